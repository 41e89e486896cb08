"""`uniformgap robust sizes`: sizes of C1 and C2 against N and d, built where affordable, formulas beyond.

Thin over :func:`uniformgap.robust.size_table` and
:func:`uniformgap.analysis.plot_construction_sizes`; imports them inside :func:`run`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .._errors import InputError
from ._parser import int_range_at_least, number_list, positive_int, print_json, real

_EXAMPLE = "uniformgap robust sizes --dims 2:8 --n-points 16,64,256 --eps 0.25 --c 0.5 --plot sizes.png"
_PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def _points(text: str) -> list[int]:
    values = number_list(int)(text)
    if not values or min(values) < 2:
        raise argparse.ArgumentTypeError(f"must be a comma list of integers >= 2, got {text!r}")
    return values


def register(sub) -> None:
    p = sub.add_parser(
        "sizes",
        help="sizes of C1 (O(Nd)) and C2 (exp(d)) against N and d, next to the paper's rates",
        description=(
            "Build and verify C1 (N random points in [0,1]^d) and C2 (the Theorem 4.3 instance with eps, c) "
            "for growing d and N while their size is at most --max-build-nnz, and give the exact formula "
            "sizes beyond (docs/robust.md §3-§4). The paper's bounds are rates with unknown constants "
            f"(docs/robust.md §7): printed as rates, drawn through a reference point. Example: {_EXAMPLE}"
        ),
    )
    p.add_argument("--dims", type=int_range_at_least(2), default=list(range(2, 9)), help="dimensions d: LO:HI or a comma list (default 2:8)")
    p.add_argument("--n-points", type=_points, default=[16, 64, 256], metavar="N,...",
                   help="C1 point counts N (half in A; default 16,64,256)")
    p.add_argument("--eps", type=real(0, strict=True), default=0.25, help="C2: eps in (0, 0.5] (default 0.25)")
    p.add_argument("--c", type=real(0, strict=True), default=0.5, help="C2: radius c*eps, 0 < c < 1 (default 0.5)")
    p.add_argument("--max-build-nnz", type=positive_int(0), default=10**6, metavar="W",
                   help="build (and verify) rows up to W non-zero weights; formulas beyond (default 1000000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the points and the instance (default 0)")
    p.add_argument("--plot", metavar="FILE", help="figure (.png, .pdf or .svg)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    if not 0 < args.c < 1:
        raise InputError(f"`--c` must be a number in (0, 1), got {args.c:g} (e.g. {_EXAMPLE})")
    if args.eps > 0.5:
        raise InputError(f"`--eps` must be a number in (0, 0.5] (the Theorem 4.3 instance), got {args.eps:g} (e.g. --eps 0.25)")
    if args.plot is not None and Path(args.plot).suffix.lower() not in _PLOT_SUFFIXES:
        raise InputError(f"`--plot` must end in .png, .pdf or .svg, got {args.plot!r}")
    from ..robust import size_table

    table = size_table(args.dims, args.n_points, eps=args.eps, c=args.c, max_build_nnz=args.max_build_nnz,
                       seed=args.seed, progress=True)
    plot = None
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from ..analysis import plot_construction_sizes

        plot = str(plot_construction_sizes(table, args.plot))
    if args.json:
        print_json({**table.to_dict(), "plot": plot})
        return 0
    print(f"sizes of the constructions (docs/robust.md §3-§4); C2 on the Theorem 4.3 instance, eps = {table.eps:g}, c = {table.c:g}")
    print(f"  {'':<4}{'d':>4}{'N':>8}{'n':>5}{'log10 H':>9}{'nnz(W)':>16}{'formula':>16}{'depth':>7}{'log10 dense':>13}  status")
    for r in table.rows:
        n = "-" if r.n is None else str(r.n)
        H = "-" if r.log10_hats is None else f"{r.log10_hats:.2f}"
        nnz = str(r.nnz_weights) if r.log10_nnz_weights < 15 else f"10^{r.log10_nnz_weights:.2f}"
        nnz_f = str(r.nnz_weights_formula) if r.log10_nnz_weights < 15 else f"10^{r.log10_nnz_weights:.2f}"
        when = f" ({r.build_s:.2g} s)" if r.build_s is not None else ""
        print(f"  {r.construction:<4}{r.d:>4}{r.N:>8}{n:>5}{H:>9}{nnz:>16}{nnz_f:>16}{r.depth:>7}{r.log10_dense_weights:>13.2f}  {r.status}{when}")
    print("  (C2 built rows drop hats with F(v) = 0, so nnz(W) <= the all-hats formula; C2's N is the support size M)")
    print("rates (docs/robust.md §7; constants unknown, never numbers):")
    for name, text in table.to_dict()["rates"].items():
        print(f"  {name:<22} {text}")
    if plot:
        print(f"plot: {plot}")
    return 0
