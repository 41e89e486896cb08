"""`uniformgap audit A B`: the worst-case error sup_Ω |A − B| you can trust, beside Monte Carlo.

Thin over :func:`uniformgap.audit.audit` (exact in 1-D, a certified bracket for d ≥ 2).
"""

from __future__ import annotations

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
            "format) or .pt/.pth holding a torch.save'd nn.Sequential of Linear/ReLU."
        ),
        epilog=examples("uniformgap audit teacher.json student.json",
                        "uniformgap audit a.json b.json --domain 0,1 --mc-points 1e6 --json"),
    )
    p.add_argument("network_a", metavar="A", help="first network (.json, .pt or .pth)")
    p.add_argument("network_b", metavar="B", help="second network (.json, .pt or .pth)")
    p.add_argument(
        "--domain", type=domain_arg, default=(-0.5, 0.5), metavar="LO,HI",
        help="the cube [LO,HI]^d (default -0.5,0.5)",
    )
    p.add_argument("--tol", type=real(0, strict=True), default=0.01, help="target relative gap of the bracket (default 0.01)")
    p.add_argument("--budget-s", type=real(0, strict=True), default=10.0, help="time budget of branch and bound, seconds (default 10)")
    p.add_argument("--mc-points", type=positive_int(1, 1 << 30, times_default(_MC_POINTS, "points")),
                   default=_MC_POINTS, metavar="N", help="uniform points for the Monte-Carlo max (default 2^20)")
    p.add_argument("--seed", type=positive_int(0), default=0, help="seed of the Monte-Carlo points (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..audit import audit, load_model

    f, g = load_model(args.network_a), load_model(args.network_b)
    res = audit(
        f, g, domain=args.domain, tol=args.tol, budget_s=args.budget_s, mc_points=args.mc_points,
        seed=args.seed, progress=True, names=(args.network_a, args.network_b),
    )
    if args.json:
        print_json({"a": args.network_a, "b": args.network_b, **res.to_dict()})
        return 0
    lo, hi = res.domain
    pt = "(" + ", ".join(f"{t:.6g}" for t in res.argmax) + ")"
    mpt = "(" + ", ".join(f"{t:.6g}" for t in res.mc_argmax) + ")"
    print(f"sup |A - B| over [{lo:g}, {hi:g}]^{res.d}:  A = {args.network_a}, B = {args.network_b}")
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
