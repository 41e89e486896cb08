"""The baseline trial ("grid", "poly"): each member (t, s) runs once through the learner protocol
(``_data.run_baseline``); one checkpoint, epoch 0."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ._config import ExperimentConfig
from ._data import run_baseline
from ._evaluate import MC_NAMES, evaluate, network_metrics, summary, train_mse
from ._results import row_base, save_trial_rows
from ._spec import TrialSpec
from ._targets import Target

Report = Callable[[dict[str, Any]], None]


def run_baseline_trial(spec: TrialSpec, config: ExperimentConfig, targets: list[Target], tdir: Path, report: Report | None) -> None:
    by_index = {t.index: t for t in targets}
    start = time.perf_counter()
    members = spec.members
    fitted = []
    for t, s in members:
        predictor, xq, yq = run_baseline(config, by_index[t], s, spec.m)
        fitted.append((predictor, train_mse(predictor, xq, yq)))
    d = targets[0].d

    def predict(x: Tensor) -> Tensor:
        return torch.stack([torch.as_tensor(p(x)).reshape(-1).to(torch.float64) for p, _ in fitted])  # (K, n)

    def target_fn(x: Tensor) -> Tensor:
        return torch.stack([by_index[t](x) for t, _ in members])  # (K, n)

    metrics = evaluate(predict, target_fn, config, d, spec.m, 0)
    students = [p if hasattr(p, "layers") else getattr(p, "network", None) for p, _ in fitted]
    extra = network_metrics(config, students, [by_index[t] for t, _ in members], [False] * len(members))
    wall = time.perf_counter() - start
    rows = []
    for k, (t, s) in enumerate(members):
        row = row_base(spec, config, t, s, None)
        row.update(epoch=0, train_loss=fitted[k][1])
        row.update({name: float(metrics[name][k]) for name in MC_NAMES if name in metrics})
        row.update(extra[k])
        row.update({"val_" + name: float(metrics["val_" + name][k]) for name in MC_NAMES})
        diverged = not all(math.isfinite(row[c]) for c in MC_NAMES if c in metrics)
        row.update(wall_time_s=wall, diverged=diverged)
        rows.append(row)
    save_trial_rows(tdir, rows)
    if report is not None:
        report(summary(rows, 0, spec))
