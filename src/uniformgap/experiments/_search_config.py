"""The ``search:`` section: a hyperparameter search over the "gd" learner's configurations A, the
min over A of eq. (5) found by a Tune search algorithm instead of a grid (arXiv:2205.13531, eq. (5);
docs/architecture.md, "Hyperparameter search").

Example::

    search:
      algorithm: random            # random (built into Tune) | optuna | hyperopt (when installed)
      num_samples: 8
      metric: val_l2
      space:
        student.lr: {kind: loguniform, low: 1.0e-4, high: 1.0e-2}
        student.width: {kind: choice, values: [16, 32, 64]}
        student.epochs: {kind: randint, low: 100, high: 400}
      scheduler: asha
      grace_period: 1
      reduction_factor: 3

Every sampled configuration is a learner configuration (one ``config_id``, one trial) of the run's
table. The objective each trial reports at checkpoint j is the worst-teacher validation error under
validation selection, restricted to the checkpoints so far::

    J_j(A) = max_u mean_s min_{e <= e_j} val_metric(A, u, s, m, e)

(``metric`` val_l1 | val_l2 | val_linf; mode min), so at the last checkpoint J(A) is the quantity
eq. (5) with ``selection="validation"`` minimises over A; the test errors are never looked at.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ALGORITHMS = ("random", "optuna", "hyperopt")
# the package a Tune search algorithm needs (random search is Tune's own)
ALGORITHM_PACKAGES = {"optuna": "optuna", "hyperopt": "hyperopt"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Section):
    """One hyperparameter's distribution: ``loguniform`` / ``uniform`` on [low, high],
    ``randint`` on the integers low..high (both included), ``choice`` of ``values``."""

    kind: Literal["loguniform", "uniform", "randint", "choice"]
    low: float | None = None  # loguniform / uniform / randint: the smallest value
    high: float | None = None  # loguniform / uniform / randint: the largest value
    values: list[Any] | None = None  # choice: the candidates, distinct

    @model_validator(mode="after")
    def _fields(self) -> "Distribution":
        if self.kind == "choice":
            if not self.values or self.low is not None or self.high is not None:
                raise ValueError("choice needs a non-empty list `values` (and no low/high), e.g. {kind: choice, values: [16, 32]}")
            if any(v == w for i, v in enumerate(self.values) for w in self.values[:i]):
                raise ValueError("choice `values` must be distinct")
            return self
        example = f"e.g. {{kind: {self.kind}, low: 1, high: 10}}"
        if self.values is not None or self.low is None or self.high is None:
            raise ValueError(f"{self.kind} needs `low` and `high` (and no values), {example}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"{self.kind} needs finite low < high, {example}")
        if self.kind == "loguniform" and self.low <= 0:
            raise ValueError("loguniform needs 0 < low < high, e.g. {kind: loguniform, low: 1.0e-4, high: 1.0e-2}")
        if self.kind == "randint" and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ValueError(f"randint needs integer low and high, {example}")
        return self

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a possible draw."""
        if self.kind == "choice":
            return any(value == v for v in self.values or [])
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        inside = self.low <= value <= self.high
        return inside and (self.kind != "randint" or float(value).is_integer())

    def edges(self) -> list[Any]:
        """Values that every draw lies between or among (checked against the config's rules)."""
        if self.kind == "choice":
            return list(self.values or [])
        if self.kind == "randint":
            return [int(self.low), int(self.high)]
        return [self.low, self.high]


class SearchConfig(_Section):
    """A Tune search over ``student.*`` hyperparameters, objective J(A) of the module docstring."""

    algorithm: Literal["random", "optuna", "hyperopt"] = "random"  # random: Tune's own, no extra package
    num_samples: Annotated[int, Field(ge=1, strict=True)] = 8  # configurations evaluated; a tiny-problem scale
    metric: Literal["val_l1", "val_l2", "val_linf"] = "val_l2"  # L2: the smooth proxy of the paper's errors
    space: Annotated[dict[str, Distribution], Field(min_length=1)]  # key path -> distribution; no default space
    scheduler: Literal["asha", "none"] = "asha"  # stop weak configurations early (ASHA, arXiv:1810.05934)
    grace_period: Annotated[int, Field(ge=1, strict=True)] = 1  # checkpoints every configuration gets before a stop
    reduction_factor: Annotated[float, Field(gt=1.0, allow_inf_nan=False)] = 3.0  # keep the best third per rung
    # evaluate the base config's own values first: the search is then never worse (on J) than the
    # untuned learner, unless the scheduler stops it early
    include_default: bool = True
    seed: Annotated[int, Field(ge=0, strict=True)] = 0  # the sampler's seed: same seed, same configurations
