"""`uniformgap robust separation DATA`: exact separation statistics (docs/robust.md §6.1).

A thin layer over :func:`uniformgap.robust.separation` and its figure.
"""

from __future__ import annotations

import math

from ._parser import check_output, positive_int, print_json, real

_EXAMPLE = "uniformgap robust separation mnist-5k --drop 4 --delta 0.1 --plot sep.png"


def _int(text: str) -> int:
    """Any integer; the range is checked against the data (one message for every bad value)."""
    import argparse

    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def register(sub) -> None:
    p = sub.add_parser(
        "separation",
        help="exact train-train and test-train separation of a dataset (Yang et al.)",
        description=(
            "Each training point's distance to the nearest training point of another label "
            "(train-train) and each test point's distance to the nearest training point of another "
            "label (test-train), exact, in l-inf (default) or l2; per-class-pair minima, the closest "
            "pairs, Yang's filtering (--drop K) next to the raw minimum, and c = 2*delta/separation. "
            f"DATA: mnist-5k, digits, breast-cancer, mnist1d, thm43:d=3,eps=0.25,c=0.5, "
            f"manifold-linear:k=2,d=8, manifold-torus:k=1,d=4 or FILE.npz. Example: {_EXAMPLE}"
        ),
    )
    p.add_argument("data", metavar="DATA", help="dataset name, synthetic spec or .npz file")
    p.add_argument("--norm", default="inf", help="'inf' (default) or '2'")
    p.add_argument("--drop", type=_int, default=0, help="Yang's filtering: drop the K smallest train-train values (default 0)")
    p.add_argument("--closest", type=positive_int(1), default=10, help="closest pairs to list (default 10)")
    p.add_argument("--delta", type=real(0), help="perturbation radius delta: report c = 2*delta/separation")
    p.add_argument("--seed", type=int, default=0, help="seed of synthetic data (default 0)")
    p.add_argument("--plot", metavar="FILE", help="histograms and the closest pairs (.png, .pdf or .svg)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..theory._sweep import PLOT_SUFFIXES

    check_output("--plot", args.plot, suffixes=PLOT_SUFFIXES)
    from ..robust import load_dataset, separation
    from ..robust._separation import check_drop, parse_norm

    norm = parse_norm(args.norm)
    data = load_dataset(args.data, seed=args.seed)
    check_drop(args.drop, len(data.x_train))
    from tqdm.auto import tqdm

    C = len(data.class_names)
    total = len(data.x_train) + len(data.x_test) + C * (C - 1) // 2 + C * (C - 1)
    with tqdm(total=total, desc=f"separation {data.name}", unit="pt", leave=False, dynamic_ncols=True) as bar:
        report = separation(data, norm=norm, drop=args.drop, delta=args.delta, tick=bar.update)
    plot = None
    if args.plot:
        from ..robust._separation_figure import plot_separation

        plot = str(plot_separation(report, data, args.plot, closest=min(args.closest, 10)))
    if args.json:
        print_json({**report.to_dict(closest=args.closest), "plot": plot})
    else:
        print("\n".join(_lines(report, data, args.closest, plot)))
    return 0


def _f(x: float | None) -> str:
    if x is None:
        return "-"
    return "inf" if math.isinf(x) else "nan" if math.isnan(x) else f"{x:.4f}"


def _lines(report, data, closest: int, plot: str | None) -> list[str]:
    norm = "l-inf" if report.norm == "inf" else "l2"
    tt, st = report.summary(report.train_train), report.summary(report.test_train)
    lines = [
        f"{report.dataset}: {report.n_train} train / {report.n_test} test points, d = {data.d}, "
        f"{len(report.class_names)} classes; exact {norm} nearest neighbours of another label",
        f"  ({data.description})",
        "",
        f"  {'':<26}{'raw':>10}{'filtered':>12}",
        f"  {'train-train min':<26}{_f(report.train_train_min):>10}{_f(report.train_train_min_filtered):>12}"
        + (f"   (drop {report.drop}: indices {', '.join(map(str, report.dropped))})" if report.drop else "   (--drop K for Yang's filtering)"),
        f"  {'test-train min':<26}{_f(report.test_train_min):>10}{'(not filtered)':>16}" if report.n_test else "  test-train: no test points",
    ]
    if report.delta is not None:
        c_raw, c_f, c_t = report.c(report.train_train_min), report.c(report.train_train_min_filtered), report.c(report.test_train_min)
        lines.append(f"  {f'c = 2*delta/sep (delta {report.delta:g})':<26}{_f(c_raw):>10}{_f(c_f):>12}   test-train {_f(c_t)}"
                     "   (Prop. 3.2 needs c < 1, Thm 2.2 c < 1/2)")
    lines += ["", f"  {'':<14}" + "".join(f"{k:>9}" for k in ("min", "q01", "q05", "q25", "median", "q75", "q95", "mean", "max"))]
    for name, s in (("train-train", tt), ("test-train", st)):
        if s:
            lines.append(f"  {name:<14}" + "".join(f"{s[k]:>9.4f}" for k in ("min", "q01", "q05", "q25", "q50", "q75", "q95", "mean", "max")))
    names = report.class_names
    lines += ["", f"  closest train-train pairs (index 'class' -> nearest other-label training index 'class'):"]
    for p in report.closest_pairs(closest, which="train"):
        lines.append(f"    {p['distance']:.4f}  #{p['index']} '{names[p['label']]}' -> #{p['neighbour']} '{names[p['neighbour_label']]}'")
    if report.n_test:
        lines.append(f"  closest test-train pairs (test index -> training index):")
        for p in report.closest_pairs(min(closest, 5), which="test"):
            lines.append(f"    {p['distance']:.4f}  test #{p['index']} '{names[p['label']]}' -> #{p['neighbour']} '{names[p['neighbour_label']]}'")
    w = max(6, max(len(n) for n in names) + 1)
    lines += ["", "  per-class-pair minimum, train-train (row a, column b: min over training points of a and b):",
              "  " + " " * w + "".join(f"{n[:8]:>9}" for n in names)]
    for a, row in enumerate(report.pair_min_train):
        lines.append(f"  {names[a][:w]:<{w}}" + "".join(f"{'-' if math.isnan(v) else f'{v:.4f}':>9}" for v in row))
    if plot:
        lines += ["", f"  figure: {plot}"]
    else:
        lines += ["", "  figure (histograms, the closest pairs side by side): add --plot FILE.png"]
    return lines
