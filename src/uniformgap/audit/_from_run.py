"""A trained student and its teacher, read back from a run directory, for `audit`.

One results row is picked by (n_samples m, teacher, seed) and, where the run has several,
the learner configuration and the checkpoint epoch (default: the last). The student is the
saved network of that checkpoint (``evaluation.save_students``), the teacher the saved
``teachers/teacher_<i>.json``; the domain is the run's cube.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .._errors import InputError
from .._storage import local_run
from ..networks import ReLUNetwork


@dataclass(frozen=True)
class RunPair:
    student: ReLUNetwork
    teacher: ReLUNetwork
    domain: tuple[float, float]
    label: str  # e.g. "gd/width=32 m=100 teacher 0 seed 1 epoch 5000"


def _pick(table, column: str, value, name: str):
    """The rows with ``column == value``; ``value`` None is allowed when one value exists."""
    present = sorted(table[column].unique().tolist())
    if value is None:
        if len(present) != 1:
            raise InputError(f"`{name}` is required: the run has {len(present)} values {present} (e.g. {name} {present[-1]})")
        value = present[0]
    if value not in present:
        raise InputError(f"`{name}` must be one of {present}, got {value!r}")
    return table[table[column] == value], value


def student_from_run(
    run_dir: str | os.PathLike,
    *,
    n_samples: int | None = None,
    teacher: int | None = None,
    seed: int | None = None,
    config_id: str | None = None,
    epoch: int | None = None,
    names: dict[str, str] | None = None,
) -> RunPair:
    """The student of one results row of a "gd" run and its teacher network (module docstring).

    ``names`` maps the argument names to the caller's (e.g. ``{"seed": "--train-seed"}``) for
    the error messages, which list the values the run holds.
    """
    name = {k: k for k in ("n_samples", "teacher", "seed", "config_id", "epoch")} | dict(names or {})
    from ..experiments import load_run, load_trained

    run_dir = local_run(run_dir, argument="RUN_DIR")  # a URI: its local copy, brought up to date once
    table, config = load_run(run_dir)
    rows, config_id = _pick(table, "config_id", config_id, name["config_id"])
    rows, n_samples = _pick(rows, "n_samples", n_samples, name["n_samples"])
    rows, teacher = _pick(rows, "teacher", teacher, name["teacher"])
    rows, seed = _pick(rows, "seed", seed, name["seed"])
    last = max(rows["epoch"].unique().tolist())
    rows, epoch = _pick(rows, "epoch", last if epoch is None else epoch, name["epoch"])
    row = rows.iloc[0]
    if row["learner"] != "gd":
        raise InputError(f"`RUN_DIR` row {config_id!r} is learner {row['learner']!r}; audit reads trained networks (learner 'gd')")
    target, student, _, _ = load_trained(run_dir, row)
    if target.network is None:
        raise InputError(f"`RUN_DIR` target {config.target.kind!r} is not a network (teacher, hat or file targets are)")
    label = f"{config_id} m={n_samples} teacher {teacher} seed {seed} epoch {epoch}"
    return RunPair(student, target.network, config.bounds, label)
