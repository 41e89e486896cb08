"""The tidy results table of a run, atomic file writes, and reading runs back.

One row per (learner configuration, teacher, seed, m, checkpoint); the columns are those
of docs/architecture.md ("The results table"). ``linf`` is the maximum over the sampled test
points: a LOWER estimate of the sup norm. Errors are w.r.t. the uniform probability measure
on the domain. Layout of RUN_DIR::

    config.yaml  run.json  results.parquet  results.csv  teachers/teacher_<i>.json
    trials/<trial_id>/{spec.json, rows.parquet, state.pt, done.json, error.txt}
    students/<trial_id>/epoch_<e>.safetensors  tensorboard/
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .._atomic import write_atomic
from .._errors import InputError

# Columns in table order; swept key paths (e.g. "student.batch_size") follow LEAD.
LEAD = ["learner", "config_id", "trial_id", "n_samples", "teacher", "seed"]
ALWAYS = ["student.width", "student.depth", "batch_size"]
TAIL = ["epoch", "train_loss", "l1", "l2", "linf"]
VALIDATION = ["val_l1", "val_l2", "val_linf"]
MONTE_CARLO = ["l1", "l2", "linf"]  # test metrics; absent when evaluation.monte_carlo is false
END = ["wall_time_s", "diverged"]
INT_COLUMNS = ["n_samples", "teacher", "seed", "student.width", "student.depth", "batch_size", "epoch"]




def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def write_json_atomic(path: Path, obj: Any) -> Path:
    return write_text_atomic(path, json.dumps(obj, indent=2, default=str) + "\n")


def write_table(df: pd.DataFrame, run_dir: Path) -> None:
    """RUN_DIR/results.parquet and results.csv (same rows), each written atomically."""
    write_atomic(Path(run_dir) / "results.parquet", lambda tmp: df.to_parquet(tmp, index=False))
    write_atomic(Path(run_dir) / "results.csv", lambda tmp: df.to_csv(tmp, index=False))


# -- tables ------------------------------------------------------------------------------------
def order_columns(df: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """The documented column order and dtypes (nullable ints: baselines have no width)."""
    extra = [c for c in df.columns if c not in LEAD + swept + ALWAYS + TAIL + VALIDATION + END]
    cols = LEAD + [s for s in swept if s not in ALWAYS] + ALWAYS + TAIL + extra + VALIDATION + END
    if len(df) and not any(c in df.columns for c in MONTE_CARLO):  # evaluation.monte_carlo: false
        cols = [c for c in cols if c not in MONTE_CARLO]
    df = df.reindex(columns=cols)
    for c in INT_COLUMNS:
        df[c] = df[c].astype("Int64")
    df["diverged"] = df["diverged"].astype(bool)
    return df


def rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows)


def read_trial_rows(trial_dir: Path) -> pd.DataFrame | None:
    path = Path(trial_dir) / "rows.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def assemble(run_dir: Path, trial_ids: list[str], swept: list[str]) -> pd.DataFrame:
    """The run table: every trial's rows (finished or not) in plan order, so the table does
    not depend on which trial finished first."""
    frames = [f for t in trial_ids if (f := read_trial_rows(Path(run_dir) / "trials" / t)) is not None]
    if not frames:
        return order_columns(pd.DataFrame(columns=LEAD + ALWAYS + TAIL + VALIDATION + END), swept)
    df = pd.concat(frames, ignore_index=True)
    return order_columns(df, swept)


# -- reading runs back -------------------------------------------------------------------------
def load_run(run_dir: str | os.PathLike) -> tuple[pd.DataFrame, "ExperimentConfig"]:  # noqa: F821
    """(results table, resolved config) of a run directory."""
    from ._config import ExperimentConfig

    run_dir = Path(run_dir)
    table, cfg = run_dir / "results.parquet", run_dir / "config.yaml"
    if not cfg.is_file():
        raise InputError(f"`run_dir` must be a uniformgap run directory (with config.yaml), got {str(run_dir)!r}")
    config = ExperimentConfig.model_validate(yaml.safe_load(cfg.read_text()))
    if not table.is_file():
        raise InputError(f"run {str(run_dir)!r} has no results.parquet yet (resume it with --resume)")
    return pd.read_parquet(table), config


def load_trained(run_dir: str | os.PathLike, row: Any):
    """(target, student, x_train, y_train) of one results row (a pandas row or a dict).

    ``target`` maps x (n, d) → (n,) (``.network`` is the ReLUNetwork when there is one);
    ``student`` is a ReLUNetwork for "gd" (read from the safetensors of that checkpoint) and
    the re-run baseline predictor for "grid"/"poly" (deterministic from the same seed);
    x_train (m, d), y_train (m,) are the training data, regenerated from their seed.
    """
    from safetensors.torch import load_file

    from ..networks import StackedReLU
    from ._targets import load_targets
    from ._trial import TrialSpec, run_baseline, training_data

    run_dir = Path(run_dir)
    row = dict(row)
    trial_dir = run_dir / "trials" / str(row["trial_id"])
    if not (trial_dir / "spec.json").is_file():
        raise InputError(f"`row` names trial {row['trial_id']!r}, which is not in run {str(run_dir)!r}")
    spec = TrialSpec.from_dict(json.loads((trial_dir / "spec.json").read_text()))
    config = spec.experiment_config()
    teacher, seed, epoch = int(row["teacher"]), int(row["seed"]), int(row["epoch"])
    target = load_targets(run_dir / spec.teachers_dir, config, [teacher])[0]
    if spec.learner != "gd":
        student, x, y = run_baseline(config, target, seed, spec.m)
        return target, student, x, y
    x, y = training_data(config, target, seed, spec.m)
    path = run_dir / "students" / spec.trial_id / f"epoch_{epoch}.safetensors"
    if not path.is_file():
        raise InputError(
            f"no saved student for epoch {epoch} of trial {spec.trial_id!r} "
            f"(evaluation.save_students was {config.evaluation.save_students!r})"
        )
    k = spec.members.index((teacher, seed))
    student = StackedReLU.from_tensors(load_file(str(path))).to_networks()[k]
    return target, student, x, y
