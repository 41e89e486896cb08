"""What one trial is: :class:`TrialSpec` (JSON-serialisable for Ray), its checkpoint epochs and
its absolute minibatch size."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .._errors import InputError
from ._config import ExperimentConfig


@dataclass(frozen=True)
class TrialSpec:
    """Everything a trial needs besides RUN_DIR (JSON-serialisable for Ray).

    For "gd" the trial trains ONE batched ensemble of K = |teachers| · |seeds| students,
    member k = (teacher t, seed s) in the order ``[(t, s) for t in teachers for s in seeds]``.
    """

    trial_id: str
    config_id: str
    learner: str
    m: int
    teachers: tuple[int, ...]
    seeds: tuple[int, ...]
    swept: dict[str, Any]
    config: dict[str, Any]  # the variant's resolved ExperimentConfig (model_dump)
    teachers_dir: str = "teachers"  # relative to RUN_DIR
    plan_index: int = 0  # position in the plan: the table is assembled in this order
    checkpoints: tuple[int, ...] = field(default=())

    @property
    def members(self) -> list[tuple[int, int]]:
        return [(t, s) for t in self.teachers for s in self.seeds]

    def experiment_config(self) -> ExperimentConfig:
        return ExperimentConfig.model_validate(self.config)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrialSpec":
        data = dict(data)
        for key in ("teachers", "seeds", "checkpoints"):
            data[key] = tuple(data[key])
        return cls(**data)


def checkpoint_epochs(config: ExperimentConfig) -> tuple[int, ...]:
    """Evaluation epochs: k evenly spaced (k = evaluation.checkpoints) or the listed epochs."""
    if config.learner != "gd":
        return (0,)
    E = config.student.epochs
    spec = config.evaluation.checkpoints
    if isinstance(spec, int):
        return tuple(sorted({max(1, round(E * j / spec)) for j in range(1, spec + 1)}))
    bad = [e for e in spec if e > E]
    if bad:
        raise InputError(
            f"config: evaluation.checkpoints: epochs must be <= student.epochs = {E}, got {bad}"
        )
    return tuple(sorted(set(spec)))


def absolute_batch_size(batch_size: float, m: int) -> int:
    """⌈b·m⌉ for a fraction b < 1, else b; never more than m."""
    b = math.ceil(batch_size * m) if batch_size < 1 else int(batch_size)
    return max(1, min(b, m))
