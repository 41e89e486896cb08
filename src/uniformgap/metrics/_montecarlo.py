"""Monte-Carlo L^p errors of K predictors against a target, on shared random points.

Conventions (docs/architecture.md, "Errors of the p-norms"): errors are taken w.r.t. the uniform
*probability* measure on the domain [lo, hi]^d, and estimated from n i.i.d. points x_i ~ U(domain^d):

    ‖e‖_{L^p} = (E_{x~U} |e(x)|^p)^{1/p} ≈ ((1/n) Σ_i |e(x_i)|^p)^{1/p},   e = f_k - u,
    ‖e‖_{L^∞} ≈ max_i |e(x_i)|.

The sampled max is a LOWER estimate of the sup norm (it never exceeds ess-sup |e|; for the
ReLU networks here, continuous, ess-sup = sup). arXiv:2205.13531, Section 3 evaluates its
experiments the same way (Appendix C: "evaluation norm" on uniformly distributed samples).

Points are drawn chunk by chunk (peak memory independent of n_points) and shared by all K
models. To make the points independent of ``chunk_size`` (a memory knob must not change
results), they are generated in blocks of ``DRAW_BLOCK`` points, one ``torch.rand`` call per
block in order; chunks are whole numbers of blocks.

Metrics are a registry ``MC_METRICS: name -> accumulator`` (init / update / finalize); a new
Monte-Carlo metric is one more entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .._domain import check_domain
from .._errors import InputError

# points per torch.rand call: fixed, so the point sequence does not depend on chunk_size
DRAW_BLOCK = 2**12


@dataclass(frozen=True)
class MCAccumulator:
    """A streaming statistic of the error matrix e (K, n): ``finalize(update(...update(init(K))), n)``."""

    init: Callable[[int, torch.dtype, torch.device], Tensor]  # (K,) start value
    update: Callable[[Tensor, Tensor], Tensor]  # (state (K,), e (K, n_chunk)) -> state (K,)
    finalize: Callable[[Tensor, int], Tensor]  # (state (K,), n_points) -> metric (K,)
    description: str


def _zeros(K: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    return torch.zeros(K, dtype=dtype, device=device)


def _p_norm(p: float) -> MCAccumulator:
    """((1/n) Σ |e|^p)^{1/p}: the L^p error w.r.t. the uniform probability measure."""
    return MCAccumulator(
        init=_zeros,
        update=lambda s, e: s + e.abs().pow(p).sum(dim=1),
        finalize=lambda s, n: (s / n).pow(1.0 / p),
        description=f"L^{p:g} error w.r.t. the uniform probability measure, Monte-Carlo estimate",
    )


def _max_init(K: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    return torch.full((K,), -math.inf, dtype=dtype, device=device)


MC_METRICS: dict[str, MCAccumulator] = {
    "l1": _p_norm(1.0),
    "l2": MCAccumulator(
        init=_zeros,
        update=lambda s, e: s + e.square().sum(dim=1),
        finalize=lambda s, n: (s / n).sqrt(),
        description="L^2 error w.r.t. the uniform probability measure, Monte-Carlo estimate",
    ),
    # torch.maximum and amax propagate NaN, so a diverged model reports NaN, never a finite max
    "linf": MCAccumulator(
        init=_max_init,
        update=lambda s, e: torch.maximum(s, e.abs().amax(dim=1)),
        finalize=lambda s, n: s,
        description="max over the sampled points: a LOWER estimate of the L^inf (sup) error",
    ),
}


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"`{name}` must be an integer >= {minimum}, got {value!r}")
    return value


def mc_points(
    n_points: int,
    *,
    d: int,
    domain: tuple[float, float] = (-0.5, 0.5),
    chunk_size: int = 2**16,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> Iterator[Tensor]:
    """Yield the i.i.d. U([lo, hi]^d) points in chunks (n_chunk, d), n_points in total.

    ``chunk_size`` is rounded up to a multiple of ``DRAW_BLOCK``; the concatenated points do not
    depend on it. Points are drawn on ``generator.device`` and moved to ``device``, so a CPU
    generator gives the same points for any evaluation device.
    """
    _check_int("n_points", n_points)
    _check_int("d", d)
    _check_int("chunk_size", chunk_size)
    lo, hi = domain
    per_chunk = -(-chunk_size // DRAW_BLOCK)  # blocks per chunk
    done = 0
    while done < n_points:
        blocks = []
        for _ in range(per_chunk):
            if done >= n_points:
                break
            u = torch.rand(DRAW_BLOCK, d, generator=generator, dtype=dtype, device=generator.device)
            blocks.append(u[: n_points - done])
            done += blocks[-1].shape[0]
        yield (lo + (hi - lo) * torch.cat(blocks)).to(device)  # (n_chunk, d)


def mc_errors(
    predict: Callable[[Tensor], Tensor],
    target: Callable[[Tensor], Tensor],
    *,
    d: int,
    domain: tuple[float, float] = (-0.5, 0.5),
    n_points: int = 2**24,
    chunk_size: int = 2**16,
    generator: torch.Generator,
    metrics: Sequence[str] = ("l1", "l2", "linf"),
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> dict[str, Tensor]:
    """Monte-Carlo errors of K predictors: {metric: (K,)} (see the module doc for the conventions).

    ``predict`` maps points (n, d) to (K, n) (e.g. ``EnsembleTrainer.predict`` or a
    ``StackedReLU``); ``target`` maps (n, d) to (K, n) or (n,) (broadcast to all K). The same
    n_points points, drawn from ``generator`` chunk by chunk, serve all K models and all
    metrics. ``linf`` is the sampled max — a lower estimate of the sup norm.
    """
    _check_int("d", d)
    _check_int("n_points", n_points)
    _check_int("chunk_size", chunk_size)
    lo, hi = check_domain(domain)
    if isinstance(metrics, str):
        metrics = (metrics,)
    unknown = [name for name in metrics if name not in MC_METRICS]
    if unknown or not metrics:
        raise InputError(
            f"`metrics` must be a non-empty list of {sorted(MC_METRICS)}, got {list(metrics)!r}"
        )
    if not isinstance(generator, torch.Generator):
        raise InputError(
            f"`generator` must be a torch.Generator, got {type(generator).__name__} "
            f"(e.g. generator=torch.Generator().manual_seed(0))"
        )
    device = torch.device(device)
    states: dict[str, Tensor] | None = None
    for x in mc_points(n_points, d=d, domain=(lo, hi), chunk_size=chunk_size, generator=generator,
                       dtype=dtype, device=device):
        with torch.no_grad():
            f = predict(x)  # (K, n)
            u = target(x)  # (K, n) or (n,)
            if f.ndim != 2 or f.shape[1] != x.shape[0]:
                raise InputError(f"`predict` must map (n, d) to (K, n), got {tuple(f.shape)} for n={x.shape[0]}")
            if u.shape != f.shape and u.shape != f.shape[1:]:
                raise InputError(
                    f"`target` must map (n, d) to (n,) or (K, n) = {tuple(f.shape)}, got {tuple(u.shape)}"
                )
            e = (f - u).to(dtype)  # (K, n), a (n,) target broadcast over K
        if states is None:
            states = {name: MC_METRICS[name].init(e.shape[0], dtype, e.device) for name in metrics}
        for name in metrics:
            states[name] = MC_METRICS[name].update(states[name], e)
    return {name: MC_METRICS[name].finalize(states[name], n_points) for name in metrics}
