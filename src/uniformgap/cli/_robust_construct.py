"""`uniformgap robust construct nn|grid|subspace DATA`: build, verify and export the constructions.

nn = C1 (exact l∞ nearest-neighbour network, Thm 2.2, docs/robust.md §3), grid = C2 (clamped grid
interpolation, Thm 3.3, §4), subspace = C2 on the chart coordinates of a manifold example (§5.2).
Thin over :mod:`uniformgap.robust`; the API is imported inside :func:`run`.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from .._errors import InputError
from ._parser import number_list, print_json, real

_EXAMPLE = "uniformgap robust construct nn mnist-5k --classes 3,8"
_GRID_EXAMPLE = "uniformgap robust construct grid thm43:d=3,eps=0.1,c=0.5 --c 0.5"
_SUB_EXAMPLE = "uniformgap robust construct subspace manifold-linear:k=2,d=8"
KINDS = ("nn", "grid", "subspace")


def register(sub) -> None:
    p = sub.add_parser(
        "construct",
        help="build and verify the constructive networks C1 (nn), C2 (grid) and the subspace network",
        description=(
            "Build a construction of Li et al. (NeurIPS 2022) as a sparse ReLU network on the training "
            "split of DATA, verify it (values against the closed form / a simplex-lookup evaluator, sizes "
            "against the exact formulas of docs/robust.md §3-§5) and check its robust training error. "
            "nn = C1, the exact l-inf nearest-neighbour network (Thm 2.2, O(Nd) weights); grid = C2, the "
            "clamped grid interpolation of f* (Thm 3.3, exp(d) weights); subspace = C2 on the chart of a "
            f"manifold-linear/manifold-torus example (§5.2). Examples: {_EXAMPLE}; {_GRID_EXAMPLE}; "
            f"{_SUB_EXAMPLE} --export sub.json"
        ),
    )
    p.add_argument("kind", choices=KINDS, help="nn (C1), grid (C2) or subspace")
    p.add_argument("data", metavar="DATA", help="dataset name, synthetic spec (thm43:..., manifold-...) or .npz path")
    p.add_argument("--classes", type=number_list(int), metavar="a,b",
                   help="A = class a (+1), B = class b (-1) (default: the two classes of DATA)")
    eps = p.add_mutually_exclusive_group()
    eps.add_argument("--eps-from-data", action="store_true", help="eps = half the separation d_p(A,B)/2 (the default)")
    eps.add_argument("--eps", type=real(0, strict=True), help="eps > 0, at most half the separation")
    p.add_argument("--c", type=real(0), default=0.5, help="radius delta = c*eps, 0 <= c < 1 (default 0.5)")
    p.add_argument("--norm", default="inf", help="'inf' (default) or '2' (grid only)")
    p.add_argument("--target", choices=("f*", "g"), default="f*", help="grid: interpolate f* (default) or g")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data and the check points (default 0)")
    p.add_argument("--export", metavar="FILE.json", help="write the network (sparse JSON format, version 2)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def check_export(path: str | None) -> None:
    """--export must be a writable .json file path (checked before anything is built)."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise InputError(f"`--export` must be a file path, got {path!r}, which is a directory (e.g. --export c1.json)")
    if target.suffix.lower() != ".json":
        raise InputError(f"`--export` must end in .json, got {path!r} (e.g. --export c1.json)")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"`--export` cannot be written: {str(parent)!r} is not a writable directory, got {path!r}")


def _check_args(args) -> None:
    from ..robust._separation import NORMS, parse_norm

    args.norm = NORMS[parse_norm(args.norm)]
    if args.classes is not None and len(args.classes) != 2:
        raise InputError(f"`--classes` must be two class ids a,b (A = a, B = b), got {','.join(map(str, args.classes))!r} (e.g. --classes 3,8)")
    if not 0.0 <= args.c < 1.0:
        raise InputError(f"`--c` must be a number in [0, 1) (radius delta = c*eps), got {args.c:g} (e.g. --c 0.5)")
    if args.kind != "grid" and not math.isinf(args.norm):
        raise InputError(
            f"`--norm` must be 'inf' for {args.kind} (C1 and the subspace network are l-inf constructions), "
            f"got '2' (e.g. {_GRID_EXAMPLE} --norm 2)"
        )
    if args.kind == "subspace" and not args.data.startswith(("manifold-linear", "manifold-torus")):
        raise InputError(f"`DATA` must be a manifold-linear:... or manifold-torus:... spec for subspace, got {args.data!r} (e.g. {_SUB_EXAMPLE})")
    check_export(args.export)


def _binary(args):
    """(A, B, description) from the training split of DATA (A = class a, B = class b)."""
    from ..robust import load_dataset

    ds = load_dataset(args.data, seed=args.seed)
    C = len(ds.class_names)
    if args.classes is None and C != 2:
        raise InputError(f"`--classes` is required: {ds.name} has {C} classes (e.g. --classes 3,8)")
    if args.classes is not None:
        ds = ds.select(list(args.classes))
    x, y = ds.x_train, ds.y_train
    a, b = x[y == 0], x[y == 1]
    if len(a) == 0 or len(b) == 0:
        raise InputError(f"`--classes` must name classes present in the training split of {ds.name}, got one empty class")
    return a, b, ds


def run(args) -> int:
    _check_args(args)
    import numpy as np

    a, b, ds = _binary(args)
    if args.kind == "nn":
        report = _run_c1(args, a, b)
    elif args.kind == "grid":
        report = _run_c2(args, a, b)
    else:
        report = _run_subspace(args, a, b)
    report = {"construction": args.kind, "data": ds.name, "n_a": int(len(a)), "n_b": int(len(b)), "d": int(a.shape[1]), **report}
    net = report.pop("_network")
    if args.export:
        from ..networks import save_network

        save_network(net, args.export, kind=f"robust-{args.kind}", data=ds.name, eps=report["eps"], c=args.c)
    report["export"] = args.export
    if args.json:
        print_json(report)
        return 0
    _print(report, np)
    return 0


def _sizes(net, counts) -> dict:
    return {
        "built": {"nnz_weights": net.nnz_weights, "nnz_biases": net.nnz_biases, "dense_weights": net.dense_weights,
                  "log10_dense_weights": math.log10(net.dense_weights), "depth": net.depth, "widths": list(net.architecture)},
        "formula": counts.to_dict(),
    }


def _run_c1(args, a, b) -> dict:
    import numpy as np

    from ..robust import c1_network
    from ..robust._c2 import check_eps_c
    from ..robust._geometry import linf_distance

    sep = float(linf_distance(a, b).min())
    eps, c = check_eps_c(args.eps, args.c, sep)
    res = c1_network(a, b, seed=args.seed)
    labels = np.concatenate([np.ones(len(a)), -np.ones(len(b))])
    radius = np.where(np.sign(res.g_data) == labels, np.abs(res.g_data) / 2, 0.0)  # certified l-inf radius
    delta = c * eps
    not_certified = int(np.sum(radius <= delta))
    return {
        "_network": res.network, "norm": "inf", "separation": sep, "eps": eps, "c": c, "delta": delta,
        **_sizes(res.network, res.counts),
        "verified": {"max_error_random": res.max_error_random, "max_error_data": res.max_error_data,
                     "n_random": res.n_random, "counts_equal_formulas": True},
        "robust_training_error_certified": not_certified / len(labels),
        "min_certified_radius": float(radius.min()),
        "note": ("Thm 2.2 is stated for delta < eps/2 (c < 1/2); C1 is robust for every delta < eps"
                 if c >= 0.5 else None),
        "build_s": res.build_s, "verify_s": res.verify_s,
    }


def _run_c2(args, a, b) -> dict:
    from ..robust import c2_network

    res = c2_network(a, b, eps=args.eps, c=args.c, p=args.norm, target=args.target, seed=args.seed)
    return _grid_report(res, res.counts, extra={"norm": "inf" if math.isinf(args.norm) else "2", "target": args.target,
                                                 "log10_hats_full": res.log10_hats_full})


def _run_subspace(args, a, b) -> dict:
    import numpy as np

    from ..robust import manifold_linear, manifold_torus, subspace_network
    from ..robust._datasets import parse_spec

    name, _, params = args.data.partition(":")
    spec = parse_spec(name, params)
    if name == "manifold-linear":
        ms = manifold_linear(spec.k, spec.d, eps=spec.eps, c=spec.c, rotate=spec.rotate, seed=args.seed)
    else:
        ms = manifold_torus(spec.k, spec.d, m=spec.m, r=spec.r, rotate=spec.rotate, seed=args.seed)
    # the chart box [-a, a]^m: a = 1/2, 1/(2 sqrt k) or r by construction, attained on the support
    half = float(np.abs((ms.points - ms.origin) @ ms.basis).max())
    res = subspace_network(a, b, ms.basis, ms.origin, half, eps=args.eps, c=args.c, seed=args.seed)
    return _grid_report(res, res.counts, extra={"norm": "inf", "m": res.m, "half_width": half})


def _grid_report(res, counts, extra: dict) -> dict:
    ch = res.check
    return {
        "_network": res.network, **extra, "eps": res.eps, "c": res.c, "delta": res.c * res.eps, "n": res.n, "h": res.h,
        "hats": res.hats, **_sizes(res.network, counts),
        "verified": {"max_error_simplex": ch.max_error_simplex, "max_error_target": ch.max_error_target,
                     "error_bound": ch.error_bound, "counts_equal_formulas": True},
        "ball_points": ch.ball_points, "flips": ch.flips,
        "points_with_flip": ch.points_with_flip,
        "build_s": res.build_s, "verify_s": res.verify_s,
    }


def _print(r: dict, np) -> None:
    kind = {"nn": "C1, exact l-inf nearest-neighbour network (Thm 2.2, docs/robust.md §3)",
            "grid": "C2, clamped grid interpolation (Thm 3.3, docs/robust.md §4)",
            "subspace": "subspace network: C2 on the chart coordinates (docs/robust.md §5.2, ours)"}[r["construction"]]
    print(f"{kind}")
    print(f"  data        {r['data']}: |A| = {r['n_a']}, |B| = {r['n_b']}, d = {r['d']}")
    if "separation" in r:
        print(f"  separation  d_inf(A,B) = {r['separation']:.6g}; eps = {r['eps']:.6g}, delta = c*eps = {r['delta']:.6g} (c = {r['c']:g})")
    else:
        print(f"  grid        eps = {r['eps']:.6g}, c = {r['c']:g}, n = {r['n']} intervals per axis, h = {r['h']:.6g}, "
              f"H = {r['hats']} hats kept")
    built, f = r["built"], r["formula"]
    print(f"  {'':<16}{'built':>16}{'formula':>16}")
    print(f"  {'nnz(W)':<16}{built['nnz_weights']:>16}{f['nnz_weights']:>16}")
    print(f"  {'nnz(b)':<16}{built['nnz_biases']:>16}{f['nnz_biases']:>16}")
    print(f"  {'depth':<16}{built['depth']:>16}{f['depth']:>16}")
    print(f"  {'dense weights':<16}{'10^%.2f' % built['log10_dense_weights']:>16}{'10^%.2f' % f['log10_dense_weights']:>16}")
    widths = built["widths"]
    shown = ", ".join(map(str, widths)) if len(widths) <= 12 else ", ".join(map(str, widths[:6])) + ", ..., " + ", ".join(map(str, widths[-3:]))
    print(f"  widths      [{shown}] (equal to the formulas: {built['widths'] == f['widths']})")
    v = r["verified"]
    if r["construction"] == "nn":
        print(f"  verified    max |net - g| = {max(v['max_error_random'], v['max_error_data']):.3g} on {v['n_random']} random "
              f"x in [-0.2,1.2]^d and all {r['n_a'] + r['n_b']} data points; counts equal the formulas")
        print(f"  robust      certified robust training error at delta = {r['delta']:.6g}: "
              f"{r['robust_training_error_certified']:.4g} (certified radius |g|/2, min {r['min_certified_radius']:.6g})")
        if r["note"]:
            print(f"  note        {r['note']}")
    else:
        print(f"  verified    max |net - simplex lookup| = {v['max_error_simplex']:.3g}; max |net - F o clamp| = "
              f"{v['max_error_target']:.3g} <= bound {v['error_bound']:.3g}; counts equal the formulas")
        print(f"  robust      {r['flips']} sign flips at {r['ball_points']} corner + random points of the c*eps-balls "
              f"around the training points ({r['points_with_flip']} points affected; sampled: a check, not a certificate)")
    print(f"  time        build {r['build_s']:.3g} s, verify {r['verify_s']:.3g} s")
    if r["export"]:
        print(f"  exported    {r['export']}")
