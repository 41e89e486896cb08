"""`uniformgap robust classify DATA`: the robust classifier f*/g of Prop. 3.2 and the 1-NN margin
(docs/robust.md §2): clean, certified and attacked robust accuracy, printed as the sandwich
certified ≤ true ≤ attack. A thin layer over :func:`uniformgap.robust.evaluate`.
"""

from __future__ import annotations

import math

from ._parser import number_list, positive_int, print_json, real

_EXAMPLE = "uniformgap robust classify mnist-5k --classes 3,8 --delta 0.1"


def register(sub) -> None:
    p = sub.add_parser(
        "classify",
        help="the robust-by-construction classifier f* (Prop. 3.2): clean, certified and attacked accuracy",
        description=(
            "The classifier f*(x) = (d(x,B) - d(x,A))/(d(x,A) + d(x,B)) and g = d(x,B) - d(x,A) of Li et al., "
            "Prop. 3.2 (A = first class of --classes, label +1), or without --classes the multi-class "
            "nearest-class (1-NN) rule with its margin. Certified: correct and margin/2 > delta (g is "
            "2-Lipschitz); attack: toward the nearest other-class training points and PGD on the margin, "
            "every witness re-verified. Printed as certified <= true <= attack robust accuracy. "
            f"Example: {_EXAMPLE}"
        ),
    )
    p.add_argument("data", metavar="DATA", help="dataset name, synthetic spec or .npz file (as for `robust separation`)")
    p.add_argument("--classes", type=number_list(int), help="class ids a,b (A = a, label +1; B = b, label -1); default: all classes")
    p.add_argument("--norm", default="inf", help="'inf' (default) or '2'")
    p.add_argument("--delta", type=real(0), default=0.1, help="perturbation radius delta (default 0.1, MNIST's l-inf radius)")
    p.add_argument("--steps", type=positive_int(0), default=50, help="PGD steps per restart (default 50)")
    p.add_argument("--restarts", type=positive_int(0), default=2, help="PGD random restarts (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the attack and of synthetic data (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..robust import RobustClassifier, classifier_summary, evaluate, load_dataset
    from ..robust._separation import parse_norm

    norm = parse_norm(args.norm)
    data = load_dataset(args.data, seed=args.seed)
    if args.classes is not None:
        data = data.select(args.classes)
    from tqdm.auto import tqdm

    clf = RobustClassifier(data.x_train, data.y_train, norm=norm)
    C = clf.n_classes
    results = {}
    total = C * (len(data.x_train) + len(data.x_test))
    with tqdm(total=total, desc=f"classify {data.name}", unit="pt", leave=False, dynamic_ncols=True) as bar:
        for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
            if len(x):
                results[split] = evaluate(clf, x, y, delta=args.delta, steps=args.steps, restarts=args.restarts, seed=args.seed, tick=bar.update)
    sep = float(results["train"].margin.min())  # at a training point m = r_i (its own class at distance 0)
    summary = {
        "dataset": data.name,
        "classes": list(data.class_names),
        "rule": "f* / g (binary, Prop. 3.2)" if C == 2 else "nearest class (1-NN, multi-class)",
        "norm": norm,
        "delta": args.delta,
        "n_train": len(data.x_train),
        "n_test": len(data.x_test),
        "train_separation": sep,
        "eps": sep / 2,
        "c": (args.delta / (sep / 2)) if sep > 0 else math.inf,
        **{split: {**classifier_summary(ev), "ties": int((ev.margin == 0).sum())} for split, ev in results.items()},
    }
    if args.json:
        print_json(summary)
    else:
        print("\n".join(_lines(summary, data)))
    return 0


def _lines(s: dict, data) -> list[str]:
    names = s["classes"]
    who = f"A = '{names[0]}' (+1), B = '{names[1]}' (-1)" if len(names) == 2 else f"{len(names)} classes"
    lines = [
        f"{s['dataset']}: {who}; {s['n_train']} train / {s['n_test']} test points, d = {data.d}; "
        f"{s['rule']}, l-{'inf' if s['norm'] == 'inf' else '2'}",
        f"training separation 2*eps = {s['train_separation']:.4f} (eps = {s['eps']:.4f}); delta = {s['delta']:g} = c*eps "
        f"with c = {s['c']:.3f}" + ("  (c >= 1: no robustness guarantee even at training points)" if s["c"] >= 1 else ""),
        "",
        f"  {'':<7}{'clean':>8}   {'certified':>10} <= true <= {'attack':<8}  ties (sgn 0 = error)",
    ]
    for split in ("train", "test"):
        if split in s:
            e = s[split]
            lines.append(
                f"  {split:<7}{e['clean_accuracy']:>8.4f}   {e['certified_robust_accuracy']:>10.4f} <= true <= "
                f"{e['attack_robust_accuracy']:<8.4f}  {e['ties']}/{e['n']}"
            )
    lines += [
        "",
        "  certified: correct and margin/2 > delta (the margin is 2-Lipschitz, so the prediction is constant on the",
        "  open ball of radius margin/2, in all of R^d); attack (an upper bound, in the ball and in [0,1]^d, witnesses",
        f"  re-verified exactly): {s['test' if 'test' in s else 'train']['attack']}.",
    ]
    if "test" in s and s["test"]["clean_accuracy"] < 0.9:
        lines.append(
            f"  note: clean test accuracy {s['test']['clean_accuracy']:.3f}: this distance-based rule is a poor classifier on "
            "this data; it is reported as it is, not tuned."
        )
    return lines
