"""The tidy results table of a run: column contract, per-trial rows, assembly (reading runs
back: ``_loader``).

One row per (learner configuration, teacher, seed, m, checkpoint); the columns are those
of docs/architecture.md ("The results table"). ``linf`` is the maximum over the sampled test
points: a LOWER estimate of the sup norm. Errors are w.r.t. the uniform probability measure
on the domain. Layout of RUN_DIR::

    config.yaml  run.json  results.parquet  results.csv  teachers/teacher_<i>.json
    trials/<trial_id>/{spec.json, rows.parquet, state.pt, done.json, error.txt}
    students/<trial_id>/epoch_<e>.safetensors  tensorboard/
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .._atomic import write_atomic
from ._config import ExperimentConfig
from ._spec import TrialSpec

# Columns in table order; swept key paths (e.g. "student.batch_size") follow LEAD.
LEAD = ["learner", "config_id", "trial_id", "n_samples", "teacher", "seed"]
ALWAYS = ["student.width", "student.depth", "batch_size"]
TAIL = ["epoch", "train_loss", "l1", "l2", "linf"]
VALIDATION = ["val_l1", "val_l2", "val_linf"]
MONTE_CARLO = ["l1", "l2", "linf"]  # test metrics; absent when evaluation.monte_carlo is false
END = ["wall_time_s", "diverged"]
INT_COLUMNS = ["n_samples", "teacher", "seed", "student.width", "student.depth", "batch_size", "epoch"]



def write_table(df: pd.DataFrame, run_dir: Path) -> None:
    """RUN_DIR/results.parquet and results.csv (same rows), each written atomically."""
    write_atomic(Path(run_dir) / "results.parquet", lambda tmp: df.to_parquet(tmp, index=False))
    write_atomic(Path(run_dir) / "results.csv", lambda tmp: df.to_csv(tmp, index=False))


# -- tables ------------------------------------------------------------------------------------
def order_columns(df: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """The documented column order and dtypes (nullable ints: baselines have no width); a robust
    run's rows (``experiment: robust``) follow ``_robust_table``."""
    from ._robust_table import is_robust_table, order_robust

    if is_robust_table(df):
        return order_robust(df, swept)
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


def row_base(spec: TrialSpec, config: ExperimentConfig, t: int, s: int, batch_size: int | None) -> dict[str, Any]:
    """The identifying columns of one member's row (LEAD, swept keys, ALWAYS)."""
    gd = spec.learner == "gd"
    return {
        "learner": spec.learner,
        "config_id": spec.config_id,
        "trial_id": spec.trial_id,
        "n_samples": spec.m,
        "teacher": t,
        "seed": s,
        **spec.swept,
        "student.width": config.student.width if gd else None,
        "student.depth": config.student.depth if gd else None,
        "batch_size": batch_size,
    }


def save_trial_rows(tdir: Path, rows: list[dict[str, Any]]) -> None:
    """A trial's rows so far, atomically (rows.parquet in its directory)."""
    df = rows_frame(rows)
    write_atomic(tdir / "rows.parquet", lambda tmp: df.to_parquet(tmp, index=False))


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
