"""`uniformgap construct`: the constructions behind the bounds, built and checked.

- ``construct hat``: the verified hat network λ Λ_{M,y} of docs/theory.md §3 (arXiv:2205.13531,
  Lemmas A.2/A.3); prints λ, ‖Φ‖_q vs c and the support; exports JSON, plots it.
- ``construct interpolate``: the grid interpolation learner of Lemma B.3 on a random member
  of H^∞_{a,c}; prints the measured sup error (a lower estimate) next to the proven K/(2n).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from .._errors import InputError
from ._parser import domain as domain_arg
from ._parser import check_output, examples, number_list, positive_int, print_json, real, times_default

_CLI_NAMES = {
    "M": "--scale", "y": "--center", "width": "--width", "domain": "--domain", "q": "--reg", "style": "--style"
}

if TYPE_CHECKING:  # the API is imported where it runs: `--help` and usage errors stay instant
    import torch

    from ..networks import ReLUNetwork
    from ..theory import NetworkClass
_CHUNK = 1 << 16  # test points per forward pass: bounded memory for any d
_TEST_POINTS = 1 << 20  # the default number of points for the sup error
_HAT_EXAMPLE = "uniformgap construct hat --dim 1 --depth 3 --coef-bound 1 --scale 20 --center 0.5"
_INTERPOLATE_EXAMPLE = "uniformgap construct interpolate --dim 1 --depth 4 --samples 1000"


def register(sub) -> None:
    p = sub.add_parser(
        "construct",
        help="build the hat networks and the grid interpolation learner behind the bounds",
        description="The constructions behind the bounds (docs/theory.md §3, §5): verified hat networks "
        "(Lemmas A.2/A.3) and grid interpolation (Lemma B.3).",
        epilog=examples(_HAT_EXAMPLE, _INTERPOLATE_EXAMPLE),
    )
    sub2 = p.add_subparsers(dest="construction", metavar="CONSTRUCTION", parser_class=type(p))
    p.set_defaults(func=lambda args: p.print_help() or 2)

    h = sub2.add_parser(
        "hat",
        help="the hat network lambda*(1 - M|x-y|_1)_+ of the class H^q_{a,c}",
        description="Build and verify the ReLU network of H^q_{a,c} that equals lambda*(1 - M|x-y|_1)_+ "
        "(docs/theory.md §3, arXiv:2205.13531 Lemmas A.2/A.3).",
        epilog=examples(_HAT_EXAMPLE, f"{_HAT_EXAMPLE} --export hat.json --plot hat.png"),
    )
    _class_args(h, coef_required=True)
    h.add_argument("--reg", type=real(1, allow_inf=True), default=math.inf, metavar="q",
                   help="coefficient norm exponent q >= 1 or 'inf' (default inf)")
    h.add_argument("--scale", type=real(1), required=True, metavar="M", help="hat scale M >= 1 (support radius 1/M)")
    h.add_argument("--center", type=number_list(float), required=True, metavar="y1,...,yd", help="hat centre y")
    h.add_argument("--style", choices=("derived", "paper"), default="derived",
                   help="'derived' (|z| form, lambda = gamma_q/max(M, M_*)) or 'paper' (t-based, q = inf, "
                   "lambda = gamma/(2M), [0,1]^d only)")
    h.add_argument("--domain", type=domain_arg, default=(0.0, 1.0), metavar="LO,HI",
                   help="the cube [LO,HI]^d containing y (default 0,1; experiments: --domain -0.5,0.5)")
    h.add_argument("--export", metavar="FILE.json", help="write the network in the JSON network format")
    h.add_argument("--plot", metavar="FILE.png|pdf",
                   help="plot it (1-D curve, 2-D heat map, slice through y for d > 2)")
    h.add_argument("--json", action="store_true", help="print one JSON object")
    h.set_defaults(func=run_hat)

    i = sub2.add_parser(
        "interpolate",
        help="grid interpolation (Lemma B.3) of a random network: measured sup error vs K/(2n)",
        description="Learn a random member of H^inf_{a,c} (coefficients U(-c, c)) with the grid "
        "interpolation learner and compare its sup error (a lower estimate from test points) with the "
        "proven bound K/(2n) (docs/theory.md §5, arXiv:2205.13531 Lemma B.3).",
        epilog=examples(_INTERPOLATE_EXAMPLE, "uniformgap construct interpolate --dim 2 --depth 3 --samples 1e4 --json"),
    )
    _class_args(i, coef_required=False)
    i.add_argument("--samples", type=positive_int(1), required=True, metavar="m", help="sample budget m")
    i.add_argument("--seed", type=positive_int(0), default=0, help="seed of the random target network (default 0)")
    i.add_argument("--domain", type=domain_arg, default=(0.0, 1.0), metavar="LO,HI",
                   help="the cube [LO,HI]^d (default 0,1)")
    i.add_argument("--test-points", type=positive_int(1, 1 << 30, times_default(_TEST_POINTS, "points")),
                   default=_TEST_POINTS, metavar="N",
                   help="points for the sup error: a dense grid of about N/2 plus random points (default 2^20)")
    i.add_argument("--json", action="store_true", help="print one JSON object")
    i.set_defaults(func=run_interpolate)


def _class_args(p: argparse.ArgumentParser, *, coef_required: bool) -> None:
    p.add_argument("--dim", type=positive_int(1), required=True, metavar="d", help="input dimension d")
    p.add_argument("--depth", type=positive_int(3), required=True, metavar="L", help="affine layers L >= 3")
    p.add_argument("--width", type=number_list(int), default=None, metavar="N",
                   help="hidden width: one int or L-1 comma-separated ints (default 3d)")
    p.add_argument("--coef-bound", type=real(0, strict=True), required=coef_required,
                   default=None if coef_required else 1.0, metavar="c", help="coefficient bound c > 0"
                   + ("" if coef_required else " (default 1)"))


def _network_class(args: argparse.Namespace, q: float) -> NetworkClass:
    width = args.width
    if width is not None and len(width) == 1:
        width = width[0]
    from ..theory import NetworkClass

    return NetworkClass.create(args.dim, args.depth, width, args.coef_bound, q)




def _q_json(q: float) -> float | str:
    return "inf" if math.isinf(q) else q


# -- construct hat --------------------------------------------------------------------------
def run_hat(args: argparse.Namespace) -> int:
    from ..theory._sweep import PLOT_SUFFIXES

    check_output("--export", args.export, suffixes=(".json",))
    check_output("--plot", args.plot, suffixes=PLOT_SUFFIXES)
    from ..analysis import plot_hat
    from ..networks import save_network
    from ..theory import hat_network
    from ..theory._hat import validate_hat_args

    cls = _network_class(args, args.reg)
    domain = args.domain
    M, y, domain = validate_hat_args(cls, args.scale, args.center, style=args.style, domain=domain, names=_CLI_NAMES)
    net = hat_network(cls, M, y, style=args.style, domain=domain)
    if args.export:
        save_network(net, args.export, **net.metadata)
    if args.plot:
        plot_hat(net, args.plot)  # the paper's Figure 4
    report = {
        "construction": "hat",
        "style": net.style,
        "d": cls.d,
        "L": cls.L,
        "architecture": list(cls.architecture),
        "W": cls.n_params,
        "c": cls.c,
        "q": _q_json(cls.q),
        "M": net.M,
        "y": list(net.y),
        "domain": list(domain),
        "lambda": net.lam,
        "log10_lambda": net.log10_lam,
        "coef_norm": net.coef_norm,
        "support_l1_radius": net.support_radius,
        "support_box": [list(b) for b in net.support_box()],
        "verified": True,
        "export": args.export,
        "plot": args.plot,
    }
    if args.json:
        print_json(report)
        return 0
    ref = f"style {net.style}: arXiv:2205.13531 Lemmas A.2/A.3, docs/theory.md §3"
    box = " x ".join(f"[{a:.6g}, {b:.6g}]" for a, b in net.support_box())
    print(f"hat network lambda*(1 - M*|x - y|_1)_+  ({ref})")
    cube = f"[{domain[0]:g}, {domain[1]:g}]^{cls.d}"
    print(f"  class       a = {cls.architecture}, L = {cls.L}, c = {cls.c:g}, q = {cls.q:g}, "
          f"W = {cls.n_params} parameters")
    print(f"  centre      y = ({', '.join(f'{v:g}' for v in net.y)}), scale M = {net.M:g}, domain {cube}")
    print(f"  lambda      {net.lam:.10g}  (log10 {net.log10_lam:.6f})")
    print(f"  coef norm   |Phi|_q = {net.coef_norm:.10g} <= c = {cls.c:g}")
    print(f"  support     {{|x - y|_1 < {net.support_radius:.6g}}}, bounding box {box}")
    print("  verified    value lambda at y; zero just outside the l1 ball; equals the formula at random points")
    if args.export:
        print(f"  exported    {args.export}")
    if args.plot:
        print(f"  plot        {args.plot}")
    return 0


# -- construct interpolate ------------------------------------------------------------------
def sup_test_points(d: int, domain: tuple[float, float], n_points: int, seed: int) -> torch.Tensor:
    """A dense grid (G^d ≈ n/2 points, endpoints included) plus uniform random points; (n', d)."""
    lo, hi = domain
    import torch

    from ..learners._interpolation import n_per_axis

    G = max(2, n_per_axis(max(1, n_points // 2), d))
    axis = torch.linspace(lo, hi, G, dtype=torch.float64)
    grid = torch.cartesian_prod(*([axis] * d)).reshape(-1, d)  # (G^d, d)
    n_rand = max(0, n_points - grid.shape[0])
    gen = torch.Generator().manual_seed(seed)
    rand = lo + (hi - lo) * torch.rand(n_rand, d, generator=gen, dtype=torch.float64)
    return torch.cat([grid, rand])


def sup_error(target: ReLUNetwork, predictor, points: torch.Tensor) -> float:
    """max_i |target(x_i) − predictor(x_i)|: a LOWER estimate of the sup error."""
    import torch
    from tqdm.auto import tqdm

    worst = 0.0
    starts = range(0, points.shape[0], _CHUNK)
    with torch.no_grad():
        for s in tqdm(starts, desc="sup error", unit="chunk", file=sys.stderr, disable=None, leave=False):
            x = points[s : s + _CHUNK]  # (chunk, d)
            worst = max(worst, float((target(x)[:, 0] - predictor(x)).abs().max()))
    return worst


def _pow10(log10: float) -> float:
    return 10.0**log10 if log10 < 308.0 else math.inf


def run_interpolate(args: argparse.Namespace) -> int:
    import torch

    from ..learners import GridInterpolationLearner, error_bound
    from ..networks import random_network
    from ..theory import lipschitz_bound

    cls = _network_class(args, math.inf)
    domain = args.domain
    side = domain[1] - domain[0]
    target = random_network(cls.architecture, cls.c, seed=args.seed)  # a member of H^∞_{a,c}
    learner = GridInterpolationLearner()
    with torch.no_grad():
        predictor = learner.learn(lambda x: target(x)[:, 0], args.samples, d=cls.d, domain=domain, seed=args.seed)
    n = predictor.n
    points = sup_test_points(cls.d, domain, args.test_points, args.seed + 1)
    err = sup_error(target, predictor, points)
    # K w.r.t. ‖·‖_∞ on inputs: min(√d Lip_2, Lip_∞), for the class (Lemma B.2) and for this network.
    log10_K_class = cls.log10_K_up
    K_net = min(math.sqrt(cls.d) * lipschitz_bound(target, 2), lipschitz_bound(target, math.inf))
    bound_class = error_bound(_pow10(log10_K_class), n, side)
    bound_net = error_bound(K_net, n, side)
    report = {
        "construction": "interpolate",
        "d": cls.d,
        "L": cls.L,
        "architecture": list(cls.architecture),
        "W": cls.n_params,
        "c": cls.c,
        "q": "inf",
        "seed": args.seed,
        "domain": list(domain),
        "m": args.samples,
        "n_per_axis": n,
        "samples_used": n**cls.d,
        "test_points": int(points.shape[0]),
        "sup_error_lower_estimate": err,
        "K_class": _pow10(log10_K_class),
        "log10_K_class": log10_K_class,
        "bound_class": bound_class,
        "K_network": K_net,
        "bound_network": bound_net,
        "within_bounds": bool(err <= bound_net and err <= bound_class),
    }
    if args.json:
        print_json(report)
        return 0
    print("grid interpolation (Lemma B.3, centre version, docs/theory.md §5) of a random member of H^inf_{a,c}")
    print(f"  target      a = {cls.architecture}, c = {cls.c:g}, coefficients U(-c, c), seed {args.seed}")
    print(f"  samples     m = {args.samples} -> n = {n} per axis, n^d = {n**cls.d} used, "
          f"domain [{domain[0]:g}, {domain[1]:g}]^{cls.d}")
    print(f"  sup error   {err:.6g}  (max over {points.shape[0]} test points: a LOWER estimate of the sup)")
    print(f"  bound       K/(2n) with the class K_up = {report['K_class']:.6g}: {bound_class:.6g}")
    print(f"              K/(2n) with this network's K = {K_net:.6g}: {bound_net:.6g}")
    print(f"  within      {'yes' if report['within_bounds'] else 'NO (a bug: the bound is proven)'}")
    return 0
