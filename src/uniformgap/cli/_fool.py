"""`uniformgap fool`: the Theorem 2.2 adversary against a learner (see audit/_fool.py)."""

from __future__ import annotations

from ._parser import domain as domain_arg
from .._errors import InputError
from ._parser import examples, human_bytes, positive_int, print_json, real

# the names of learners.LEARNERS (the registry), spelled here so `--help` imports no torch;
# tests/test_registry.py checks they agree
_LEARNERS = ("gd", "grid", "poly")
# float64 numbers held at once: the hat network's weights, 2^16 candidate centres, the m queries.
_MAX_BYTES = 4 * 10**9
_CANDIDATES = 2**16


def _check_size(args) -> None:
    """The hat network of H^inf_{(d,3d,...,3d,1),c} has W = (d+1)3d + (L-3)(3d+1)3d + 3d+1 weights."""
    d, L, m = args.dim, args.depth, args.samples
    n_params = (d + 1) * 3 * d + (L - 3) * (3 * d + 1) * 3 * d + 3 * d + 1
    need = 8 * (n_params + (_CANDIDATES + m) * d)
    if need > _MAX_BYTES:
        raise InputError(
            f"`--dim` {d} with --depth {L} and --samples {m} would need {human_bytes(need)} for the hat network "
            f"({n_params:.3g} weights), candidate centres and queries (at most {human_bytes(_MAX_BYTES)}; "
            "e.g. uniformgap fool --dim 10 --samples 1000)"
        )


def register(sub) -> None:
    p = sub.add_parser(
        "fool",
        help="fool any learner: a hat network it cannot tell from zero (Theorem 2.2)",
        description=(
            "Runs the learner on the zero function, records its queries, builds a hat network in "
            "H^inf_{(d,3d,...,3d,1),c} whose support avoids them, runs the learner on +hat and -hat, "
            "checks the outputs are identical and reports the certified lower bound on the learner's "
            "worst-case sup error, next to the theory's lower bound for m samples."
        ),
        epilog=examples("uniformgap fool --learner grid --samples 1000",
                        "uniformgap fool --learner gd --samples 100 --epochs 200 --dim 2 --json"),
    )
    p.add_argument("--learner", choices=_LEARNERS, default="gd", help="the learner to fool (default: gd)")
    p.add_argument("--samples", "-m", type=positive_int(1), required=True, metavar="m",
                   help="sample budget m of the learner")
    p.add_argument("--dim", type=positive_int(1), default=1, metavar="d", help="input dimension (default 1)")
    p.add_argument("--depth", type=positive_int(3), default=5, metavar="L",
                   help="affine layers of the hat network's class (default 5)")
    p.add_argument("--coef-bound", type=real(0, strict=True), default=1.0, metavar="c",
                   help="coefficient bound c of the class (default 1)")
    p.add_argument("--seed", type=positive_int(0), default=0, help="the learner's seed (default 0)")
    p.add_argument("--epochs", type=positive_int(1), default=1000,
                   help="gd only: training epochs (default 1000; the paper uses 5000)")
    p.add_argument("--domain", type=domain_arg, default=(-0.5, 0.5), metavar="LO,HI", help="the cube [LO,HI]^d (default -0.5,0.5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _learner(name: str, epochs: int):
    from ..learners import GradientConfig, make_learner

    return make_learner(name, gradient=GradientConfig(epochs=epochs))


def _run(args) -> int:
    _check_size(args)
    from ..audit import fool

    result = fool(
        _learner(args.learner, args.epochs), args.samples, d=args.dim, L=args.depth, c=args.coef_bound,
        domain=args.domain, seed=args.seed, progress=True,
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    r = result
    y = ", ".join(f"{v:.6g}" for v in r.hat_center)
    print(f"Learner {r.learner!r} with m = {r.m} samples, d = {r.d}, class H^inf with L = {r.L}, width 3d, c = {r.c:g}")
    print(f"  queried points on the zero function: {r.n_queries}")
    print(f"  fooling hat: centre y = ({y}), scale M = {r.hat_scale:.6g}, height lambda = {r.hat_lambda:.6g}")
    print(f"  queries on +hat / -hat identical to those on 0: {'yes' if r.same_queries else 'NO'}")
    print(f"  outputs A(+hat) = A(-hat) = A(0) bit for bit on {r.n_check_points} points: "
          f"{'yes' if r.identical_outputs else 'NO'}")
    print(f"  certified: max(||A(0) - hat||_inf, ||A(0) + hat||_inf) >= {r.certified_error_lower_bound:.6g} "
          f"(>= lambda = {r.hat_lambda:.6g})")
    print(f"  theory: no algorithm with {r.m} samples beats error {r.theory_lower_bound_error:.6g} on this class "
          "(docs/theory.md §4, derived bound)")
    return 0 if r.identical_outputs else 1
