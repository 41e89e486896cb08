"""The sample-learner protocol shared by experiments, learners and the fooling adversary.

docs/theory.md §4 (arXiv:2205.13531, Section 2.1): an algorithm sees a target u only through
point values u(x_1), ..., u(x_m); it may choose each query after seeing earlier values
(adaptive), and it returns a function. Here:

- an :data:`Oracle` maps (n, d) float64 points to the (n,) values of the target;
- a :class:`SampleLearner` queries the oracle at most ``m`` points in total (over one or
  several calls) and returns a :data:`Predictor`, (n, d) → (n,);
- randomness comes only from ``seed`` (never global RNG state), so a learner is a
  deterministic algorithm for each seed (a randomized algorithm is the family over seeds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from .._domain import check_domain
from .._errors import InputError

Oracle = Callable[[Tensor], Tensor]  # (n, d) float64 points -> (n,) values
Predictor = Callable[[Tensor], Tensor]  # (n, d) -> (n,)


@runtime_checkable
class SampleLearner(Protocol):
    """A learning algorithm from point samples (at most ``m`` oracle queries in total)."""

    name: str

    def learn(
        self, oracle: Oracle, m: int, *, d: int, domain: tuple[float, float], seed: int
    ) -> Predictor: ...


class SampleBudgetExceeded(RuntimeError):
    """A learner asked its oracle for more than ``m`` points (a bug in the learner)."""


class CountingOracle:
    """Wraps an oracle, counts the points queried and refuses to exceed the budget ``m``.

    ``queries`` is the list of (n_i, d) query batches in order (what the learner saw).
    """

    def __init__(self, oracle: Oracle, m: int):
        self.oracle = oracle
        self.m = int(m)
        self.n_queried = 0
        self.queries: list[Tensor] = []

    def __call__(self, x: Tensor) -> Tensor:
        if x.ndim != 2:
            raise ValueError(f"oracle points must be (n, d), got shape {tuple(x.shape)}")
        if self.n_queried + x.shape[0] > self.m:
            raise SampleBudgetExceeded(
                f"learner queried {self.n_queried + x.shape[0]} points, budget m = {self.m}"
            )
        self.n_queried += x.shape[0]
        self.queries.append(x.detach().clone())
        return self.oracle(x)


def check_learn_args(m: object, d: object, domain: object, seed: object) -> tuple[int, int, float, float]:
    """Validate the arguments of ``SampleLearner.learn``; returns (m, d, lo, hi)."""
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise InputError(f"`m` must be an integer >= 1 (number of samples), got {m!r}")
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InputError(f"`d` must be an integer >= 1, got {d!r}")
    lo, hi = check_domain(domain)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"`seed` must be an integer, got {seed!r}")
    return m, d, lo, hi


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (explicit randomness)."""
    return torch.Generator().manual_seed(int(seed))


def query(oracle: Oracle, x: Tensor) -> Tensor:
    """Call the oracle and return its values as a float64 (n,) tensor."""
    values = torch.as_tensor(oracle(x), dtype=torch.float64).reshape(-1)
    if values.shape[0] != x.shape[0]:
        raise ValueError(f"oracle returned {values.shape[0]} values for {x.shape[0]} points")
    return values
