"""The data a trial learns from, regenerated from its seed (see ``_seeds``): the single
definition used by the trial and by reading runs back (``_loader``).

A run saves no training sets: they are a pure function of (config seed, teacher, seed, m), so
the trial and :func:`~uniformgap.experiments.load_trained` call the same two functions here
(``training_data`` for "gd", ``run_baseline`` for the baselines, whose queries may be adaptive).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._config import ExperimentConfig
from ._seeds import stable_seed
from ._targets import Target


def training_data(config: ExperimentConfig, target: Target, seed: int, m: int) -> tuple[Tensor, Tensor]:
    """(x (m, d), y (m,)) of (teacher, seed, m), float64: x ~ U([lo, hi]^d), y = u_t(x)."""
    lo, hi = config.bounds
    g = torch.Generator().manual_seed(stable_seed(config.seed, "data", target.index, seed, m))
    x = lo + (hi - lo) * torch.rand(m, target.d, generator=g, dtype=torch.float64)  # (m, d)
    return x, target(x)


def run_baseline(config: ExperimentConfig, target: Target, seed: int, m: int):
    """(predictor, x_queried (n, d), y_queried (n,)) of a baseline learner on target u_t, through
    the learner protocol ``learn(oracle, m, *, d, domain, seed)``."""
    from ..learners import make_learner

    queries: list[tuple[Tensor, Tensor]] = []

    def oracle(x: Tensor) -> Tensor:
        y = target(torch.as_tensor(x))
        queries.append((torch.as_tensor(x).detach().to(torch.float64), y.detach()))
        return y

    learner = make_learner(config.learner, poly_degree=config.poly.degree)
    predictor = learner.learn(
        oracle, m, d=target.d, domain=config.bounds, seed=stable_seed(config.seed, "data", target.index, seed, m)
    )
    x = torch.cat([q[0] for q in queries]) if queries else torch.empty(0, target.d, dtype=torch.float64)
    y = torch.cat([q[1].reshape(-1) for q in queries]) if queries else torch.empty(0, dtype=torch.float64)
    return predictor, x, y
