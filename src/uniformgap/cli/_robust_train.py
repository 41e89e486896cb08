"""`uniformgap robust train`: clean vs adversarial training with honest robust evaluation.

docs/robust.md §6.2–§6.3. With neither --clean nor --adversarial both trainings run (the poster's
comparison: the robust generalization gap appears only next to the clean baseline). A thin layer
over :func:`uniformgap.robust.compare_trainings`; the API is imported where the command runs.
"""

from __future__ import annotations

from pathlib import Path

from .._errors import InputError
from ._parser import int_list, number_list, positive_int, print_json, real

_EXAMPLE = "uniformgap robust train mnist-5k --preset robust-quick --out runs/robust-quick"


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="clean vs adversarial (PGD) training, evaluated with certified brackets",
        description=(
            "Train ReLU classifiers on DATA cleanly and adversarially (Madry et al., PGD; docs/robust.md §6.2) and "
            "report clean/robust accuracy on train and test as brackets certified <= true <= attack (§6.3): "
            "our PGD with restarts and two losses plus AutoAttack/torchattacks where installed, witnesses "
            "re-verified in float64, certified bounds by CROWN/IBP (a CNN through the dense ReLU network it computes, "
            "while that is small); checkpoints selected on a validation split carved from train. "
            "With neither --clean nor --adversarial both run. "
            "--json: clean_train, clean_test, robust_train, robust_test, certified_test, the bootstrap intervals over "
            "test points clean_test_ci, robust_test_ci, certified_test_ci ([lo, hi]), eps, norm, model of the "
            "adversarial training (the clean one if only it ran), and the same per training under 'trainings'. "
            f"Example: {_EXAMPLE}"
        ),
    )
    p.add_argument("data", metavar="DATA", help="dataset name (mnist-5k, digits, breast-cancer, mnist1d, thm43:...) or .npz path")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--adversarial", action="store_true", help="only adversarial training")
    which.add_argument("--clean", action="store_true", help="only clean training")
    p.add_argument("--eps", type=real(0), help="radius delta of the threat model (>= 0; default 0.1)")
    p.add_argument("--norm", help="threat model norm: inf or 2 (default inf)")
    p.add_argument("--eps-ramp", type=real(0), metavar="FRACTION",
                   help="grow eps linearly from 0 over this fraction of the epochs (0..1; default 0: no ramp)")
    p.add_argument("--epochs", type=positive_int(1), help="training epochs (default 30; robust-quick 20)")
    p.add_argument("--seeds", type=int_list(0, "0,1,2"), help="comma list of seeds (default 0; docs/robust.md §6.3 asks >= 3)")
    p.add_argument("--arch", choices=("mlp", "cnn"), help="mlp (default) or cnn (image data only)")
    p.add_argument("--width", type=int_list(1, "256,256"), help="MLP hidden widths, e.g. 256,256 (cnn: its channel count)")
    p.add_argument("--classes", type=number_list(int), help="keep only these class ids, e.g. 3,8")
    p.add_argument("--preset", help="named configuration: robust-quick (mnist-5k demo, <= 5 min on 2 cores), "
                   "robust-long (100 epochs, 3 seeds, stronger evaluation: a cluster job)")
    p.add_argument("--eval-steps", type=positive_int(1), help="PGD steps of the evaluation attack (default 50)")
    p.add_argument("--eval-restarts", type=positive_int(1), help="PGD restarts of the evaluation attack (default 5)")
    p.add_argument("--no-library", action="store_true", help="skip the AutoAttack/torchattacks suite (NOT the full suite)")
    p.add_argument("--device", help="auto (default: CUDA when available), cpu, cuda:0, ...")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (new or empty)")
    p.add_argument("--overwrite", action="store_true", help="allow a non-empty --out")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _overrides(args) -> dict:
    train: dict = {}
    attack: dict = {}
    ev: dict = {}
    if args.eps is not None:
        attack["eps"] = args.eps
    if args.norm is not None:
        from ..robust._adversarial import check_norm

        attack["norm"] = check_norm(args.norm)
    if attack:
        train["attack"] = attack
    for key, value in (("epochs", args.epochs), ("arch", args.arch), ("device", args.device), ("eps_ramp", args.eps_ramp)):
        if value is not None:
            train[key] = value
    if args.width is not None:
        train["widths"] = args.width
    if args.eval_steps is not None:
        ev["steps"] = args.eval_steps
    if args.eval_restarts is not None:
        ev["restarts"] = args.eval_restarts
    if args.no_library:
        ev["library"] = []
    raw: dict = {"train": train, "eval": ev}
    if args.adversarial or args.clean:
        raw["trainings"] = ["adversarial" if args.adversarial else "clean"]
    if args.seeds is not None:
        raw["seeds"] = args.seeds
    return raw


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"`--out` must be a directory, got {str(out)!r} (a file)")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"`--out` must be a new or empty directory, got {str(out)!r} (not empty; add --overwrite to replace its files)")


def run(args) -> int:
    from ..robust import load_dataset, load_run_config

    config = load_run_config(_overrides(args), preset=args.preset)
    data = load_dataset(args.data)
    if args.classes is not None:
        data = data.select(args.classes)
    if config.train.arch == "cnn" and data.image_shape is None:
        raise InputError(f"`--arch` cnn needs image data, got {data.name!r} (tabular, no image shape) (e.g. --arch mlp)")
    from ..robust._training import resolve_device

    resolve_device(config.train.device)
    out = Path(args.out)
    _check_out(out, args.overwrite)
    out.mkdir(parents=True, exist_ok=True)
    return _train(args, config, data, out)


def _train(args, config, data, out: Path) -> int:
    from ..robust import compare_trainings, summarize
    from ..robust._outputs import model_path, plot_curves, save_trained, write_tables

    meta = {"dataset": data.name, "class_names": list(data.class_names), "image_shape": data.image_shape}
    saved: dict[tuple[str, int], str] = {}

    def on_done(ev) -> None:
        saved[(ev.training, ev.seed)] = str(save_trained(out, ev, **meta))

    C = len(data.class_names)
    evals, note = compare_trainings(data.x_train, data.y_train, data.x_test, data.y_test, config, n_classes=C,
                                    image_shape=data.image_shape, on_done=on_done, progress=True)
    if not evals:
        raise KeyboardInterrupt  # nothing usable: the top-level handler prints "interrupted"
    summary = summarize(evals, config.eval)
    ev = config.eval
    extra = {"config": config.model_dump(mode="json"), "data": {**meta, "description": data.description},
             "status": "partial" if note else "complete", "note": note,
             "bootstrap": {"n_bootstrap": ev.bootstrap, "level": ev.bootstrap_level, "seed": ev.bootstrap_seed,
                           "over": "test points"}}
    write_tables(out, evals, summary, extra)
    curves = str(plot_curves(evals, out / "curves.png"))
    per = {}
    for s in summary:
        first = next(e for e in evals if e.training == s["training"])
        per[s["training"]] = {
            "clean_train": s.get("train_clean"), "clean_test": s.get("test_clean"),
            "robust_train": s.get("train_robust"), "robust_test": s.get("test_robust"),
            "certified_train": s.get("train_certified"), "certified_test": s.get("test_certified"),
            "clean_test_ci": s.get("test_clean_ci"), "robust_test_ci": s.get("test_robust_ci"),
            "certified_test_ci": s.get("test_certified_ci"),
            "robust_gap": s.get("robust_gap"), "seeds": s["seeds"], "full_suite": s["full_suite"],
            "model": saved.get((first.training, first.seed), str(model_path(out, first))),
            "selected_epoch": first.result.selected_epoch,
        }
    main = per.get("adversarial") or per["clean"]
    if args.json:
        print_json({**main, "eps": config.train.attack.eps, "norm": config.train.attack.norm, "trainings": per,
                    "attacks": evals[0].splits["test"].attacks, "skipped": evals[0].splits["test"].to_dict()["skipped"],
                    "out": str(out), "curves": curves, "status": extra["status"], "note": note})
        return 130 if note else 0
    print("\n".join(_lines(config, data, evals, summary, out, note)))
    return 130 if note else 0


def _bracket(s: dict, split: str) -> str:
    cert, atk = s.get(f"{split}_certified"), s.get(f"{split}_robust")
    c = "  n/a" if cert is None else f"{cert:.3f}"
    return f"[{c}, {atk:.3f}]"


def _rng(s: dict, key: str) -> str:
    r = s.get(f"{key}_range")
    return "" if r is None or r[0] == r[1] else f" ({r[0]:.3f}-{r[1]:.3f})"


def _ci(s: dict, key: str) -> str:
    lo, hi = s[f"{key}_ci"]
    return f"[{lo:.3f}, {hi:.3f}]"


def _lines(config, data, evals, summary, out: Path, note) -> list[str]:
    t, a = config.train, config.train.attack
    first = evals[0]
    n_fit, n_val = first.splits["train"].n, first.splits["val"].n
    arch = "-".join(map(str, (data.d, *t.widths, len(data.class_names)))) if t.arch == "mlp" else f"CNN (channels {t.widths[0]})"
    norm = "l-inf" if a.norm == "inf" else "l2"
    lines = [
        f"data: {data.name}, d = {data.d}, C = {len(data.class_names)}; train {n_fit} fitted + {n_val} validation, test {first.splits['test'].n}",
        f"model: {arch}; {t.epochs} epochs, {t.optimizer} lr {t.lr:g}, batch {t.batch_size}; adversarial training: "
        f"PGD-{a.steps} (alpha {a.alpha():.3g}, {a.restarts} restart(s)); threat model {norm} eps = {a.eps:g}",
        f"evaluation: eval mode, full sets; attack = {', '.join(first.splits['test'].attacks) or 'none (eps = 0)'} "
        f"(PGD {config.eval.steps} steps x {config.eval.restarts} restarts, alpha = eps/4); certified by "
        f"{first.splits['test'].certify_method or 'nothing (' + str(first.splits['test'].certify_note) + ')'}; "
        "checkpoint selected on validation",
        "",
    ]
    for s in summary:
        ev = next(e for e in evals if e.training == s["training"])
        seeds = ",".join(map(str, s["seeds"]))
        lines.append(f"{s['training']} training (seeds {seeds}; selected epoch {ev.result.selected_epoch} of {ev.result.epochs_done}"
                     + (f"; test-selected epoch {ev.result.optimistic_epoch}: OPTIMISTIC, not used" if ev.result.optimistic_epoch is not None else "") + ")")
        lines.append(f"  {'':6} {'clean':<20} robust [certified, attack]")
        for split in ("train", "val", "test"):
            if s.get(f"{split}_clean") is not None:
                clean = f"{s[f'{split}_clean']:.3f}{_rng(s, f'{split}_clean')}"
                lines.append(f"  {split:6} {clean:<20} {_bracket(s, split)}{_rng(s, f'{split}_robust')}")
        if s.get("test_robust_ci") is not None:
            ev = config.eval
            lines.append(f"  test {ev.bootstrap_level:.0%} bootstrap CI over test points (B = {ev.bootstrap}): "
                         f"clean {_ci(s, 'test_clean')}, robust (attack) {_ci(s, 'test_robust')}"
                         + (f", certified {_ci(s, 'test_certified')}" if s.get("test_certified_ci") else ""))
        lines.append("")
    for s in summary:
        gap = s.get("robust_gap")
        if gap is not None:
            lines.append(f"robust generalization gap, {s['training']} training: robust train - robust test = "
                         f"{s['train_robust']:.3f} - {s['test_robust']:.3f} = {gap:+.3f} (attack upper bounds)")
    full = all(s["full_suite"] for s in summary)
    skipped = first.splits["test"].skipped
    if full:
        lines.append("attack: the full suite ran (our PGD with both losses + every configured library attack)")
    else:
        why = "; ".join(f"{n}: {r}" for n, r in skipped)
        lines.append(f"attack: NOT the full suite ({why}); robust accuracies may be overestimated")
    unver = sum(e.record().get("unverified", 0) for e in evals)
    if unver:
        lines.append(f"note: {unver} attack candidate(s) failed float64 re-verification and were not counted")
    lines.append(f"files: {out}/table.csv, table.json, curves.png, <training>/seed<k>.json (models), witnesses .npz")
    if note:
        lines.append(f"PARTIAL RESULT: {note}")
    return lines
