"""`uniformgap audit A B`: the worst-case error sup_Ω |A − B| you can trust, beside Monte Carlo.

Thin over :func:`uniformgap.audit.audit` (exact in 1-D, a certified bracket for d ≥ 2). A may
also be a run directory: the student of one results row against its teacher
(:func:`uniformgap.audit.student_from_run`).
"""

from __future__ import annotations

from pathlib import Path

from .._errors import InputError
from ._parser import domain as domain_arg
from ._parser import examples, positive_int, print_json, real, times_default

_MC_POINTS = 1 << 20  # the default Monte-Carlo sample: a second or so for small networks


def register(sub) -> None:
    p = sub.add_parser(
        "audit",
        help="worst-case error sup|A - B| of two networks: exact (d = 1) or a certified bracket (d >= 2)",
        description=(
            "Compute sup over [LO,HI]^d of |A(x) - B(x)| for two ReLU networks: exactly in 1-D "
            "(breakpoint enumeration), as a certified bracket lower <= sup <= upper for d >= 2 "
            "(regression attack + branch and bound with linear bounds), next to the Monte-Carlo "
            "max over N uniform points (a lower estimate). Files: network JSON (uniformgap.network "
            "format) or .pt/.pth holding a torch.save'd nn.Sequential of Linear/ReLU. Or A = RUN_DIR "
            "(no B): a student a run saved, chosen by --samples/--teacher/--train-seed (and --config-id, "
            "--epoch where the run has several), against its teacher, on the run's domain."
        ),
        epilog=examples("uniformgap audit teacher.json student.json",
                        "uniformgap audit a.json b.json --domain 0,1 --mc-points 1e6 --json",
                        "uniformgap audit runs/quick --samples 100 --teacher 0 --train-seed 0"),
    )
    p.add_argument("network_a", metavar="A", help="first network (.json, .pt or .pth), or a run directory")
    p.add_argument("network_b", metavar="B", nargs="?", help="second network (.json, .pt or .pth); none with a run")
    p.add_argument(
        "--domain", type=domain_arg, default=None, metavar="LO,HI",
        help="the cube [LO,HI]^d (default -0.5,0.5; a run's own domain for RUN_DIR)",
    )
    from_run = p.add_argument_group("a student from a run (A = RUN_DIR)")
    from_run.add_argument("--samples", type=positive_int(1), metavar="m", help="the row's sample size m")
    from_run.add_argument("--teacher", type=positive_int(0), metavar="T", help="the row's teacher index")
    from_run.add_argument("--train-seed", type=positive_int(0), metavar="S", help="the row's training seed")
    from_run.add_argument("--config-id", metavar="ID", help="the row's learner configuration (when the run has several)")
    from_run.add_argument("--epoch", type=positive_int(0), metavar="E", help="the checkpoint (default: the last)")
    p.add_argument("--tol", type=real(0, strict=True), default=0.01, help="target relative gap of the bracket (default 0.01)")
    p.add_argument("--budget-s", type=real(0, strict=True), default=10.0, help="time budget of branch and bound, seconds (default 10)")
    p.add_argument("--mc-points", type=positive_int(1, 1 << 30, times_default(_MC_POINTS, "points")),
                   default=_MC_POINTS, metavar="N", help="uniform points for the Monte-Carlo max (default 2^20)")
    p.add_argument("--seed", type=positive_int(0), default=0, help="seed of the Monte-Carlo points (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


_RUN_FLAGS = ("samples", "teacher", "train_seed", "config_id", "epoch")
_RUN_NAMES = {"n_samples": "--samples", "teacher": "--teacher", "seed": "--train-seed", "config_id": "--config-id",
              "epoch": "--epoch"}


def _networks(args):
    """(f, g, domain, name_a, name_b): two network files, or a run's student and teacher."""
    from ..audit import load_model, student_from_run

    from .._storage import is_uri

    if Path(args.network_a).is_dir() or is_uri(args.network_a):
        if args.network_b is not None:
            raise InputError(
                f"`B` must be omitted when A is a run directory, got {args.network_b!r} "
                f"(e.g. uniformgap audit {args.network_a} --samples 100 --teacher 0 --train-seed 0)"
            )
        pair = student_from_run(args.network_a, n_samples=args.samples, teacher=args.teacher, seed=args.train_seed,
                                config_id=args.config_id, epoch=args.epoch, names=_RUN_NAMES)
        domain = pair.domain if args.domain is None else args.domain
        return pair.student, pair.teacher, domain, f"student {pair.label}", "its teacher"
    given = [f"--{k.replace('_', '-')}" for k in _RUN_FLAGS if getattr(args, k) is not None]
    if given:
        raise InputError(f"`{given[0]}` selects a student of a run: A must be a run directory, got {args.network_a!r}")
    if args.network_b is None:
        raise InputError(f"`B` is required when A is a network file, got only {args.network_a!r} (e.g. uniformgap audit a.json b.json)")
    domain = (-0.5, 0.5) if args.domain is None else args.domain
    return load_model(args.network_a), load_model(args.network_b), domain, args.network_a, args.network_b


def run(args) -> int:
    from ..audit import audit

    f, g, domain, name_a, name_b = _networks(args)
    res = audit(
        f, g, domain=domain, tol=args.tol, budget_s=args.budget_s, mc_points=args.mc_points,
        seed=args.seed, progress=True, names=(name_a, name_b),
    )
    if args.json:
        print_json({"a": name_a, "b": name_b, **res.to_dict()})
        return 0
    lo, hi = res.domain
    pt = "(" + ", ".join(f"{t:.6g}" for t in res.argmax) + ")"
    mpt = "(" + ", ".join(f"{t:.6g}" for t in res.mc_argmax) + ")"
    print(f"sup |A - B| over [{lo:g}, {hi:g}]^{res.d}:  A = {name_a}, B = {name_b}")
    if res.exact:
        print(f"  exact sup      {res.sup_upper:.10g}   at x = {pt}  ({res.method}, {res.n_candidates} points)")
    else:
        status = "reached" if res.tol_reached else "NOT reached (budget spent)"
        print(f"  certified      {res.sup_lower:.10g} <= sup <= {res.sup_upper:.10g}")
        print(
            f"  gap            {res.gap:.3g} ({100 * res.rel_gap:.3g} %); tolerance {100 * res.tol:g} % {status}; "
            f"{res.boxes_processed} boxes in {res.time_s:.3g} s"
        )
        print(f"  witness        x = {pt}  (|A - B| = {res.sup_lower:.10g} there)")
    print(f"  attack         {res.attack_value:.10g}   (gradient ascent from the worst Monte-Carlo points)")
    print(f"  Monte Carlo    {res.mc_max:.10g}   at x = {mpt}  (max over {res.mc_points} uniform points: a lower estimate)")
    rel = f"{100 * res.mc_underestimate_rel:.3g} %"
    word = "by" if res.exact else "by at least"
    print(f"  Monte Carlo underestimates the sup {word} {res.mc_underestimate:.3g} ({rel})")
    return 0
