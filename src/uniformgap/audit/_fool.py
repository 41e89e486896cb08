"""The fooling adversary: the proof of Theorem 2.2 (arXiv:2205.13531) made executable.

Given any sample-based learner A (the :class:`uniformgap.learners.SampleLearner` protocol:
it may query the target at up to m points, adaptively, and may be randomised through
its seed), the adversary

1. runs A on the zero function and records every point it queried;
2. builds a hat network f = λ·Λ_{M,y} in H^∞_{(d,3d,…,3d,1),c} (THEORY.md §3) whose support
   {‖x − y‖₁ < 1/M} avoids all those points, with y as far (in ℓ¹) from them as it can find,
   so M — and hence λ = c^L (3d)^{L−2} / M — is as favourable as possible;
3. runs A on +f and on −f, re-recording the queries: an adaptive learner sees the same
   values (zeros) at the same points, so it asks the same questions and returns the same
   output — checked bit for bit, not assumed;
4. certifies the learner's worst-case error: A(+f) = A(−f) = A(0) =: g, and at x = y
   |g(y) − λ| + |g(y) + λ| ≥ 2λ, so max(‖g − f‖_∞, ‖g + f‖_∞) ≥ max(|g(y) − λ|, |g(y) + λ|) ≥ λ.

The bound is a point evaluation, hence a certified lower bound of the sup errors on the
domain (no sampling involved). It is reported beside the theory's lower bound on the
optimal error with m samples (THEORY.md §4, derived form).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from .._domain import check_domain
from .._errors import InputError
from ..learners import SampleLearner
from ..theory import NetworkClass, derived_lower_error, hat_network

_DTYPE = torch.float64


class RecordingOracle:
    """Wraps a target function, recording every point queried (in order)."""

    def __init__(self, target):
        self._target = target
        self.queries: list[Tensor] = []

    def __call__(self, x: Tensor) -> Tensor:
        x = torch.as_tensor(x, dtype=_DTYPE)
        self.queries.append(x.detach().clone())
        with torch.no_grad():
            return self._target(x).reshape(-1).to(_DTYPE)

    @property
    def points(self) -> Tensor:
        if not self.queries:
            return torch.empty(0, 0, dtype=_DTYPE)
        return torch.cat(self.queries)  # (n_queried, d)


@dataclass(frozen=True)
class FoolResult:
    """The outcome of :func:`fool`; all errors are in the sup norm on the domain."""

    learner: str
    m: int
    d: int
    L: int
    c: float
    domain: tuple[float, float]
    n_queries: int
    hat_center: tuple[float, ...]
    hat_scale: float  # M
    hat_lambda: float  # λ = max |f| = f(y)
    same_queries: bool  # ±f runs asked exactly the zero run's points
    identical_outputs: bool  # A(+f), A(−f), A(0) agree bit for bit on the check points
    output_at_center: float  # g(y), g = A(0)
    certified_error_lower_bound: float  # max(|g(y) − λ|, |g(y) + λ|) ≥ λ
    theory_lower_bound_error: float  # THEORY §4: lower bound of the optimal error with m samples
    n_check_points: int = field(default=0)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        out = asdict(self)
        out["hat_center"] = list(self.hat_center)
        out["domain"] = list(self.domain)
        return out


def farthest_center(points: Tensor, d: int, domain: tuple[float, float], *, n_candidates: int,
                    generator: torch.Generator) -> tuple[Tensor, float]:
    """A point y of the domain and r = min_i ‖y − x_i‖₁, r as large as the search finds.

    Candidates: a regular grid with at most n_candidates/2 points (none when 2^d is more) plus as many uniform random
    points; the best one is kept. In 1-D the search is exact (midpoints of the gaps between
    sorted queries, and the two ends). Any y with r > 0 yields a valid fooling hat; a larger r
    only gives a larger λ.
    """
    lo, hi = domain
    if points.numel() == 0:
        y = torch.full((d,), (lo + hi) / 2, dtype=_DTYPE)
        return y, math.inf
    if d == 1:
        xs = torch.sort(points.reshape(-1)).values
        cands = torch.cat([torch.tensor([lo, hi], dtype=_DTYPE), (xs[1:] + xs[:-1]) / 2])
    else:
        per_axis = math.floor((n_candidates / 2) ** (1 / d) + 1e-9)  # per_axis^d <= n_candidates/2
        if per_axis >= 2:
            axis = torch.linspace(lo, hi, per_axis, dtype=_DTYPE)
            grid = torch.cartesian_prod(*([axis] * d)).reshape(-1, d)
        else:  # high d: even the 2^d cube vertices are too many; random candidates only
            grid = torch.empty(0, d, dtype=_DTYPE)
        rand = lo + (hi - lo) * torch.rand(n_candidates // 2, d, generator=generator, dtype=_DTYPE)
        cands = torch.cat([grid, rand])
    cands = cands.reshape(-1, d)  # (n_cand, d)
    best = torch.full((cands.shape[0],), math.inf, dtype=_DTYPE)
    for chunk in points.split(4096):  # bounded memory: (n_cand, 4096) distances at a time
        best = torch.minimum(best, torch.cdist(cands, chunk, p=1).min(dim=1).values)
    i = int(torch.argmax(best))
    return cands[i].clone(), float(best[i])


def fool(
    learner: SampleLearner,
    m: int,
    *,
    d: int = 1,
    L: int = 5,
    c: float = 1.0,
    domain: tuple[float, float] = (-0.5, 0.5),
    seed: int = 0,
    n_candidates: int = 2**16,
    n_check_points: int = 4096,
    progress: bool = False,
) -> FoolResult:
    """Run the Theorem 2.2 adversary against ``learner`` with budget ``m`` (module docstring)."""
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise InputError(f"`m` must be an integer >= 1, got {m!r}")
    lo, hi = check_domain(domain)
    cls = NetworkClass.create(d, L, c=c)  # H^∞_{(d,3d,…,3d,1),c}
    generator = torch.Generator().manual_seed(seed)

    from tqdm.auto import tqdm

    bar = tqdm(total=3, desc=f"fool {learner.name}", unit="run", disable=not progress or None, leave=False)

    def learn(target) -> tuple[object, Tensor]:
        oracle = RecordingOracle(target)
        predictor = learner.learn(oracle, m, d=d, domain=domain, seed=seed)
        bar.update()
        return predictor, oracle.points

    zero = lambda x: torch.zeros(x.shape[0], dtype=_DTYPE)  # noqa: E731
    g0, x0 = learn(zero)
    if x0.shape[0] > m:
        raise RuntimeError(f"learner {learner.name!r} queried {x0.shape[0]} points, more than m = {m}")

    y, r = farthest_center(x0, d, domain, n_candidates=n_candidates, generator=generator)
    # Support {‖x − y‖₁ < 1/M}: a query at distance exactly r lies outside once 1/M ≤ r.
    # M ≥ 1 is the construction's range; the tiny factor guards against rounding at the rim.
    M = max(1.0, (1.0 + 1e-9) / r) if math.isfinite(r) else 1.0
    f = hat_network(cls, M, y.tolist(), domain=domain)
    while x0.numel() and bool((f(x0) != 0).any()):  # rounding at the rim: shrink the support a hair
        M *= 1.0 + 1e-6
        f = hat_network(cls, M, y.tolist(), domain=domain)
    minus_f = _negated(f)

    g_plus, x_plus = learn(f)
    g_minus, x_minus = learn(minus_f)
    bar.close()
    same_queries = _same(x0, x_plus) and _same(x0, x_minus)

    checks = torch.cat([
        y.reshape(1, d),
        lo + (hi - lo) * torch.rand(n_check_points, d, generator=generator, dtype=_DTYPE),
        x0.reshape(-1, d),
    ])
    with torch.no_grad():
        outs = [torch.as_tensor(g(checks), dtype=_DTYPE).reshape(-1) for g in (g0, g_plus, g_minus)]
    identical = bool(torch.equal(outs[0], outs[1]) and torch.equal(outs[0], outs[2]))

    lam = float(f.lam)
    g_y = float(outs[0][0])
    certified = max(abs(g_y - lam), abs(g_y + lam))
    return FoolResult(
        learner=learner.name, m=m, d=d, L=L, c=c, domain=(lo, hi), n_queries=int(x0.shape[0]),
        hat_center=tuple(y.tolist()), hat_scale=M, hat_lambda=lam, same_queries=same_queries,
        identical_outputs=identical, output_at_center=g_y, certified_error_lower_bound=certified,
        theory_lower_bound_error=float(derived_lower_error(cls, m)), n_check_points=int(checks.shape[0]),
    )


def _negated(f):
    """−f as a network: negate the last layer (the class is symmetric, THEORY.md §1)."""
    from ..networks import ReLUNetwork

    layers = [(A.clone(), b.clone()) for A, b in f.layers]
    A, b = layers[-1]
    layers[-1] = (-A, -b)
    return ReLUNetwork(layers)


def _same(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and bool(torch.equal(a, b))
