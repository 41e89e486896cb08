"""Experiment tracking: TensorBoard always, Weights & Biases optionally (offline by default).

Only the driver logs, per checkpoint as each trial reports it (``_progress``), the new rows of
the trial's rows file — trials never talk to a tracker, so tracking cannot break or slow down
training. ``log_trial`` takes any subset of a trial's rows (all members of each epoch given). Scalars per trial
(RUN_DIR/tensorboard/<trial_id>): ``<metric>/teacher=<t>/seed=<s>`` at step = epoch, and the
worst member ``<metric>/worst``. W&B (``--wandb``) is imported lazily behind
:class:`WandbTracker`; ``WANDB_MODE`` overrides the offline default.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

METRICS = ("train_loss", "l1", "l2", "linf", "val_l1", "val_l2", "val_linf")


class TensorBoardTracker:
    """One event file per trial and session: its writer stays open from the trial's first
    logged checkpoint until :meth:`finish_trial` (or :meth:`close`), flushed after each."""

    def __init__(self, run_dir: Path):
        self.root = Path(run_dir) / "tensorboard"
        self._writers: dict[str, Any] = {}

    def log_trial(self, trial_id: str, rows: pd.DataFrame) -> None:
        from torch.utils.tensorboard import SummaryWriter

        if trial_id not in self._writers:
            self._writers[trial_id] = SummaryWriter(log_dir=str(self.root / trial_id))
        writer = self._writers[trial_id]
        try:
            cols = [c for c in rows.columns if c in METRICS or c.startswith(("linf_", "l1_", "l2_"))]
            for epoch, now in rows.groupby("epoch"):
                for c in cols:
                    vals = now[c].astype(float)
                    for (t, s), v in zip(zip(now["teacher"], now["seed"]), vals):
                        if math.isfinite(v):
                            writer.add_scalar(f"{c}/teacher={t}/seed={s}", v, int(epoch))
                    if vals.notna().any():
                        writer.add_scalar(f"{c}/worst", float(vals.max()), int(epoch))
        finally:
            writer.flush()

    def finish_trial(self, trial_id: str) -> None:
        writer = self._writers.pop(trial_id, None)
        if writer is not None:
            writer.close()

    def close(self) -> None:
        for trial_id in list(self._writers):
            self.finish_trial(trial_id)


class WandbTracker:
    """One W&B run per experiment run; one logged table row per results row."""

    def __init__(self, run_dir: Path, name: str, config: dict[str, Any]):
        import wandb  # lazy: an optional dependency (pip install 'uniformgap[wandb]')

        self._wandb = wandb
        os.environ.setdefault("WANDB_MODE", "offline")
        self.run = wandb.init(
            project="uniformgap", name=name, dir=str(run_dir), config=config,
            mode=os.environ["WANDB_MODE"], reinit=True,
        )

    def log_trial(self, trial_id: str, rows: pd.DataFrame) -> None:
        for rec in rows.to_dict("records"):
            self.run.log({f"{k}": v for k, v in rec.items() if isinstance(v, (int, float, bool))})

    def finish_trial(self, trial_id: str) -> None:
        pass  # one W&B run for the whole experiment

    def close(self) -> None:
        self.run.finish()


def make_trackers(run_dir: Path, name: str, config: dict[str, Any], *, wandb: bool, prog: str = "uniformgap run"):
    """TensorBoard plus W&B when asked and installed (otherwise a one-line notice)."""
    trackers: list[Any] = [TensorBoardTracker(run_dir)]
    if wandb:
        try:
            trackers.append(WandbTracker(run_dir, name, config))
        except ImportError:
            print(f"{prog}: --wandb: wandb is not installed (pip install 'uniformgap[wandb]'); "
                  "skipping W&B logging", file=sys.stderr)
    return trackers
