"""`uniformgap bounds`: sample-complexity bounds (THEORY.md §4–§8) for one class or a (d, L) grid.

A thin layer over :class:`uniformgap.theory.BoundsReport` and :func:`uniformgap.theory.bounds_sweep`.
Counts are printed as log10 and in a human form written from the log10 (never overflows).
"""

from __future__ import annotations

import argparse
import math

from .._errors import InputError
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the API is imported where it runs: `--help` and usage errors stay instant
    from ..theory import BoundsReport
from ._parser import check_output, examples, int_range_at_least, number_list, positive_int, print_json, real

_EXAMPLE = "uniformgap bounds --dim 15 --depth 5 --eps 1e-3"
_SWEEP_EXAMPLE = "uniformgap bounds --dims 1:30 --depths 3:10 --eps 1e-3"
# The bounds loop over the L - 1 layers (a few seconds at L = 1e6): larger L would take hours.
_MAX_DEPTH = 10**6
# Sweep cells, each a full bounds report: 1e5 cells of moderate depth take about a minute.
_MAX_CELLS = 10**5


def _depth_need(L: int) -> str:
    return f"the bounds loop over the L - 1 layers; L = {L:.3g} would take {L / _MAX_DEPTH:.3g} times as long as L = 1e6"


def _widths(text: str) -> list[int]:
    values = number_list(int)(text)
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"must be one integer >= 1 or a comma list of integers >= 1, got {text!r}"
        )
    return values


def register(sub) -> None:
    p = sub.add_parser(
        "bounds",
        help="sample-complexity bounds for learning ReLU networks to uniform accuracy",
        description=(
            "Lower and upper bounds on the number of point samples needed to learn the ReLU "
            "networks H^q_{a,c} to accuracy eps in L^p (--eps), or on the optimal error with m "
            "samples (--samples); arXiv:2205.13531 Theorems 1.1/1.4 ('paper') and THEORY.md "
            f"§4-§8 ('derived')."
        ),
        epilog=examples(_EXAMPLE, "uniformgap bounds --dim 1 --depth 3 --samples 1e6 --json",
                        f"{_SWEEP_EXAMPLE} --plot map.png"),
    )
    p.add_argument("--dim", type=positive_int(1), help="input dimension d (>= 1)")
    p.add_argument("--dims", type=int_range_at_least(1), help="sweep over d: LO:HI or a comma list")
    p.add_argument("--depth", type=positive_int(3, _MAX_DEPTH, _depth_need), help="number of affine layers L (>= 3)")
    p.add_argument("--depths", type=int_range_at_least(3, _MAX_DEPTH, _depth_need), help="sweep over L: LO:HI or a comma list")
    p.add_argument("--width", type=_widths, help="hidden width: one int or L-1 ints (default 3d)")
    p.add_argument("--coef-bound", type=real(0, strict=True), default=1.0, help="coefficient bound c (> 0, default 1)")
    p.add_argument("--reg", type=real(1, allow_inf=True), default=math.inf, help="coefficient norm q (>= 1 or inf, default inf)")
    p.add_argument("--norm", type=real(1, allow_inf=True), default=math.inf, help="error norm L^p (>= 1 or inf, default inf)")
    p.add_argument("--c0", type=real(0, strict=True), default=1.0, help="U contains u0 + c0*H (> 0, default 1)")
    p.add_argument("--eps", type=real(0, strict=True), help="target accuracy eps (> 0)")
    p.add_argument("--samples", type=real(1), help="number of samples m (>= 1): report the error bracket")
    p.add_argument("--table", action="store_true", help="sweep: print every (d, L) cell")
    p.add_argument("--plot", metavar="FILE", help="sweep: heat map (.png, .pdf or .svg)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _check_args(args) -> bool:
    """Cross-argument checks; returns True for a sweep."""
    if (args.eps is None) == (args.samples is None):
        got = "both" if args.eps is not None else "neither"
        raise InputError(f"give exactly one of --eps or --samples, got {got} (e.g. {_EXAMPLE})")
    for one, many in (("dim", "dims"), ("depth", "depths")):
        if getattr(args, one) is not None and getattr(args, many) is not None:
            raise InputError(f"give --{one} or --{many}, not both (e.g. {_EXAMPLE})")
        if getattr(args, one) is None and getattr(args, many) is None:
            raise InputError(f"`--{one}` is required (or --{many} for a sweep), e.g. {_EXAMPLE}")
    sweep = args.dims is not None or args.depths is not None
    if sweep:
        if args.samples is not None:
            raise InputError(f"`--samples` cannot be used in a sweep (--dims/--depths map the sample bound for --eps), e.g. {_SWEEP_EXAMPLE}")
        cells = len(args.dims or [args.dim]) * len(args.depths or [args.depth])
        if cells > _MAX_CELLS:
            raise InputError(
                f"`--dims` x `--depths` must span at most {_MAX_CELLS} (d, L) cells, got {cells} "
                f"(e.g. {_SWEEP_EXAMPLE})"
            )
        if args.width is not None and len(args.width) != 1:
            raise InputError(f"`--width` must be one integer in a sweep (--dims/--depths), got '{','.join(map(str, args.width))}'")
        from ..theory._sweep import PLOT_SUFFIXES

        check_output("--plot", args.plot, suffixes=PLOT_SUFFIXES)
    else:
        for flag in ("table", "plot"):
            if getattr(args, flag):
                raise InputError(f"`--{flag}` needs a sweep over --dims/--depths, e.g. {_SWEEP_EXAMPLE} --{flag}{' map.png' if flag == 'plot' else ''}")
        L = args.depth
        if args.width is not None and len(args.width) not in (1, L - 1):
            raise InputError(
                f"`--width` must be one integer or L-1 = {L - 1} comma-separated integers for --depth {L}, "
                f"got '{','.join(map(str, args.width))}'"
            )
    return sweep


def run(args) -> int:
    if _check_args(args):
        return _run_sweep(args)
    from ..theory import BoundsReport, NetworkClass

    width = args.width[0] if args.width is not None and len(args.width) == 1 else args.width
    cls = NetworkClass.create(args.dim, args.depth, width, args.coef_bound, args.reg)
    report = BoundsReport.compute(cls, eps=args.eps, m=args.samples, p=args.norm, c0=args.c0)
    if args.json:
        print_json(report.to_dict())
    else:
        print("\n".join(_report_lines(report)))
    return 0


# -- text output -------------------------------------------------------------------------------
def human(log10_x: float | None) -> str:
    """'3.2e97' from log10 = 97.5 without forming 10**97.5 (no overflow); 'n/a' for None."""
    if log10_x is None:
        return "n/a"
    if log10_x == -math.inf:
        return "0"
    e = math.floor(log10_x)
    mant = 10.0 ** (log10_x - e)
    if round(mant, 1) >= 10.0:
        mant, e = mant / 10.0, e + 1
    return f"{mant:.1f}e{e}"


def _count(log10_x: float | None, relation: str) -> str:
    if log10_x is None:
        return "n/a"
    if log10_x == -math.inf:
        return f"m {relation} 0 (trivial)"
    trivial = " (trivial: below 1 sample)" if log10_x < 0 and relation == ">=" else ""
    return f"m {relation} 10^{log10_x:.2f} ({human(log10_x)}){trivial}"


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:g}"


def _header(r: BoundsReport) -> list[str]:
    c = r.cls
    widths = ",".join(map(str, c.widths)) if len(set(c.widths)) > 1 else str(c.widths[0])
    tag = " (3d)" if all(n == 3 * c.d for n in c.widths) else ""
    return [
        f"class: d = {c.d}, L = {c.L}, width {widths}{tag}, c = {_fmt(c.c)}, q = {_fmt(c.q)}; "
        f"error in L^{_fmt(r.p)}; U contains u0 + c0*H with c0 = {_fmt(r.c0)}",
        f"parameters: W = {c.n_params}",
    ]


def _report_lines(r: BoundsReport) -> list[str]:
    lines = _header(r) + [""]
    row = "  {:<8} {:<28} {}"
    if r.eps is not None:
        lines.append(f"samples m for sup_u E||A(u) - u||_(L^{_fmt(r.p)}) <= eps = {_fmt(r.eps)}:")
        if r.paper_reason is None:
            lines.append(row.format("paper", "Theorem 1.1 lower", _count(r.paper_lower_log10_samples, ">=")))
            lines.append(row.format("paper", "Theorem 1.4 upper", _count(r.paper_upper_log10_samples, "<=")))
        else:
            lines.append(row.format("paper", "Theorems 1.1/1.4", "n/a: " + r.paper_reason))
        if r.derived_lower_reason is None:
            lines.append(row.format("derived", "lower, closed form (§4)", _count(r.derived_lower_log10_samples, ">=")))
            lines.append(row.format("derived", "lower, optimised (§4)", _count(r.derived_lower_log10_samples_optimised, ">=")))
        else:
            lines.append(row.format("derived", "lower", "n/a: " + r.derived_lower_reason))
        lines.append(row.format("derived", "upper, cell centres (§5)", _count(r.derived_upper_log10_samples, "<=")))
        lines += [""] + _contrast_lines_eps(r)
    else:
        lines.append(f"optimal error inf_A sup_u E||A(u) - u||_(L^{_fmt(r.p)}) with m = {r.m:g} samples:")
        lo, up = r.derived_lower_log10_error, r.derived_upper_log10_error
        if r.derived_lower_reason is None:
            lines.append(row.format("derived", "bracket (§4 exact max, §5)", f"[{human(lo)}, {human(up)}]"))
            lines.append(row.format("derived", "lower, closed form (§4)", f">= {human(r.derived_lower_log10_error_closed)}"))
        else:
            lines.append(row.format("derived", "upper (§5)", f"<= {human(up)}"))
            lines.append(row.format("derived", "lower", "n/a: " + r.derived_lower_reason))
        if r.paper_reason is None:
            rate = f"[{human(r.paper_lower_log10_error)}, {human(r.paper_upper_log10_error)}]"
            lines.append(row.format("paper", "rate [g/29, 3d^2 g] m^(-1/d)", rate + " (Remark B.4)"))
        else:
            lines.append(row.format("paper", "rate (Remark B.4)", "n/a: " + r.paper_reason))
        lines += [""] + _contrast_lines_samples(r)
    if r.c0 != 1.0:
        lines.append(
            f"note: lower bounds are for U containing u0 + c0*H with c0 = {_fmt(r.c0)}; upper bounds for U = H"
        )
    return lines


def _contrast_lines_eps(r: BoundsReport) -> list[str]:
    head, W = r.headline_lower_log10_samples, r.n_params
    linear = f"  a linear space of dimension W = {W} is recovered exactly from W = {W} samples"
    if head is None:
        lines = ["contrasts (no lower bound applies to this class):", linear]
    else:
        name = "paper Theorem 1.1" if r.headline_source == "paper" else "derived closed form"
        from ..theory._bounds import LOG10_ATOMS

        over, over_w = head - LOG10_ATOMS, head - math.log10(W)
        lines = [
            f"contrasts (lower bound: {name}):",
            f"  atoms in the observable universe (~1e80): the lower bound is 10^{abs(over):.2f} "
            f"({human(abs(over))}) times {'more' if over >= 0 else 'fewer'}",
            f"{linear}; the lower bound is 10^{abs(over_w):.2f} times {'more' if over_w >= 0 else 'fewer'}",
        ]
    lines.append(
        f"  L^2 learning, ORDER OF MAGNITUDE only (THEORY.md §8, O~(B^4 eps^-4 W L log W), constants "
        f"unknown): m ~ 10^{r.l2_learning_log10_samples:.1f} (fast rates: 10^{r.l2_learning_log10_samples_fast:.1f})"
    )
    return lines


def _contrast_lines_samples(r: BoundsReport) -> list[str]:
    W = r.n_params
    lines = ["contrasts:"]
    if r.derived_lower_log10_error_at_atoms is not None:
        lines.append(
            f"  atoms in the observable universe (~1e80): even m = 1e80 samples leave an error "
            f">= {human(r.derived_lower_log10_error_at_atoms)} (derived lower bound)"
        )
    lines += [
        f"  a linear space of dimension W = {W}: W samples give zero error (m = {r.m:g} is "
        f"{r.m / W:.3g} W)",
        f"  L^2 learning, ORDER OF MAGNITUDE only (THEORY.md §8, B (W L log W / m)^(1/4), constants "
        f"unknown): error ~ {human(r.l2_learning_log10_error)}",
    ]
    return lines


# -- sweeps ------------------------------------------------------------------------------------
def _run_sweep(args) -> int:
    from ..theory import bounds_sweep, plot_bounds_sweep

    dims = args.dims if args.dims is not None else [args.dim]
    depths = args.depths if args.depths is not None else [args.depth]
    width = None if args.width is None else args.width[0]
    sweep = bounds_sweep(
        dims, depths, args.eps, width=width, c=args.coef_bound, q=args.reg, p=args.norm, c0=args.c0
    )
    plot = None if args.plot is None else str(plot_bounds_sweep(sweep, args.plot))
    if args.json:
        print_json({**sweep.to_dict(), "plot": plot})
        return 0
    w = "3d" if width is None else str(width)
    print(
        f"sweep: d in {_span(sweep.dims)}, L in {_span(sweep.depths)}, eps = {_fmt(sweep.eps)}, "
        f"width {w}, c = {_fmt(sweep.c)}, q = {_fmt(sweep.q)}, p = {_fmt(sweep.p)}, c0 = {_fmt(sweep.c0)}"
    )
    print(f"lower bound shown: {sweep.bound_label} (log10 m)")
    print("\nsmallest swept L with lower bound > 1e80 (atoms in the observable universe):")
    print(f"  {'d':>5} {'L':>5} {'W':>10} {'log10 m':>9}")
    for f in sweep.frontier():
        if f["L"] is None:
            print(f"  {f['d']:>5} {'-':>5} {'-':>10} {'-':>9}  (not within the swept depths)")
        else:
            print(f"  {f['d']:>5} {f['L']:>5} {f['n_params']:>10} {f['lower_log10_samples']:>9.2f}")
    if args.table:
        print("\nlog10 m per cell (paper = Theorem 1.1; derived = THEORY.md §4/§5):")
        print(f"  {'d':>5} {'L':>5} {'W':>10} {'paper lo':>9} {'derived lo':>10} {'optimised':>10} {'derived up':>10}")
        for row in sweep.rows:
            cells = [row[k] for k in ("paper_lower_log10_samples", "derived_lower_log10_samples",
                                      "derived_lower_log10_samples_optimised", "derived_upper_log10_samples")]
            text = ["-" if x is None else f"{x:.2f}" for x in cells]
            print(f"  {row['d']:>5} {row['L']:>5} {row['n_params']:>10} {text[0]:>9} {text[1]:>10} {text[2]:>10} {text[3]:>10}")
    if plot is not None:
        print(f"\nheat map written to {plot}")
    return 0


def _span(values) -> str:
    values = list(values)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}..{values[-1]}"
    return ",".join(map(str, values))
