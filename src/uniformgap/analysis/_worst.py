"""The results row behind the eq. (5) worst case (arXiv:2205.13531, eq. (5); docs/theory.md §6):
which sup metric a table has, and the (configuration, teacher, seed, epoch) that realises the
minimax error at m. Figures and diagnostics both read it here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SUP_ORDER = ("linf_exact", "linf_lower", "linf")  # best sup estimate first: exact, certified lower, sampled


def sup_metric(metrics) -> str | None:
    """The best sup-norm column among ``metrics`` (SUP_ORDER), or None."""
    return next((m for m in SUP_ORDER if m in metrics), None)


def worst_case_row(analysis, metric: str | None = None, m: int | None = None) -> pd.Series:
    """The table row behind eq. (5) at m (default: the largest): the chosen configuration,
    its worst teacher, the seed with the largest error, at the checkpoint the selection used.
    ``metric`` default: the sup metric (linf_exact, linf_lower, else the sampled linf)."""
    metric = metric or sup_metric(analysis.metrics) or analysis.metrics[-1]
    cubes = analysis.cubes[metric]
    m = max(cubes) if m is None else m
    cube = cubes[m]
    e = analysis.entry(metric, "worst", m)
    k = next(i for i, (c, ep) in enumerate(zip(cube.configs, cube.epochs)) if c == e.config and ep == e.epoch)
    u = cube.teachers.index(e.teacher)
    errs = np.where(np.isnan(cube.rep[k, u]), -math.inf, cube.rep[k, u])  # (S,)
    s = int(np.argmax(errs))
    table = analysis.run.table
    hit = table[
        (table["config_id"] == e.config)
        & (table["teacher"] == e.teacher)
        & (table["seed"] == cube.seeds[s])
        & (table["n_samples"] == m)
        & (table["epoch"] == int(cube.run_epoch[k, u, s]))
    ]
    return hit.iloc[0]
