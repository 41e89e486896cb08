"""Errors of a trial's K predictors at a checkpoint: Monte-Carlo test and validation metrics on
fresh points (seeds of ``_seeds``), the optional network metrics (exact sup, brackets), the
training MSE of a baseline, and the worst-member summary for the executor's live view.

Errors are w.r.t. the uniform probability measure on [lo, hi]^d; ``linf`` is the maximum over
the sampled points, a LOWER estimate of the sup norm (docs/architecture.md, "Errors of the p-norms").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ._config import ExperimentConfig
from ._seeds import stable_seed
from ._spec import TrialSpec

MC_NAMES = ("l1", "l2", "linf")


def evaluate(
    predict: Callable[[Tensor], Tensor],
    target: Callable[[Tensor], Tensor],
    config: ExperimentConfig,
    d: int,
    m: int,
    epoch: int,
    device: str = "cpu",
) -> dict[str, Tensor]:
    """Test metrics on fresh points of this checkpoint (unless ``evaluation.monte_carlo`` is
    false) and validation metrics (val_*), each (K,)."""
    from ..metrics import mc_errors

    ev = config.evaluation
    out: dict[str, Tensor] = {}
    draws = [("", ev.test_points, ("test", m, epoch))] if ev.monte_carlo else []
    for prefix, n, key in draws + [("val_", ev.val_points, ("val", m))]:
        g = torch.Generator(device=device).manual_seed(stable_seed(config.seed, *key))  # must live on device
        errs = mc_errors(
            predict, target, d=d, domain=config.bounds, n_points=n,
            chunk_size=min(ev.chunk_size, n), generator=g, metrics=MC_NAMES, device=device,
        )
        out.update({prefix + k: v.detach().to("cpu", torch.float64) for k, v in errs.items()})
    return out


def network_metrics(config: ExperimentConfig, students: list, targets: list, diverged: list[bool]) -> list[dict]:
    from ..metrics import NETWORK_METRICS

    names = config.evaluation.network_metrics
    out: list[dict] = [{} for _ in students]
    for name in names:
        fn = NETWORK_METRICS[name]
        cols: list[str] = []
        for k, (student, target) in enumerate(zip(students, targets)):
            if diverged[k] or student is None or target.network is None:
                continue
            res = fn(student, target.network, domain=config.bounds, budget_s=config.evaluation.network_metric_budget_s)
            out[k].update({c: float(v) for c, v in res.items()})
            cols = list(res)
        for k in range(len(students)):
            for c in cols or [name]:
                out[k].setdefault(c, math.nan)
    return out


def train_mse(predictor, x: Tensor, y: Tensor) -> float:
    if x.shape[0] == 0:
        return math.nan
    with torch.no_grad():
        pred = torch.as_tensor(predictor(x)).reshape(-1).to(torch.float64)
    return float((pred - y).square().mean())


def summary(rows: list[dict[str, Any]], epoch: int, spec: TrialSpec) -> dict[str, Any]:
    """Numbers for the executor's live view (Ray's ``tune.report``): worst member at ``epoch``."""
    now = [r for r in rows if r["epoch"] == epoch]
    out: dict[str, Any] = {"epoch": epoch, "checkpoint": list(spec.checkpoints).index(epoch) + 1}
    for name in MC_NAMES:
        vals = [r.get(name, r.get(f"{name}_exact", math.nan)) for r in now if not r["diverged"]]
        out[f"worst_{name}"] = max(vals) if vals else math.nan
    out["n_diverged"] = sum(bool(r["diverged"]) for r in now)
    out["wall_time_s"] = max((r["wall_time_s"] for r in now), default=0.0)
    return out

