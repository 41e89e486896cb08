"""The minimax estimator of arXiv:2205.13531, eq. (5), with honest selection.

For a metric (an L^p error, p = 1, 2, ∞) and a sample size m, with learner
configurations A, teachers u and training seeds s:

    worst:    ε̂_m = min_A  max_u  mean_s  err(A, u, s, m)        (eq. 5)
    average:  ε̄_m = min_A  mean_u mean_s  err(A, u, s, m)

"mean over seeds, then max over teachers (the worst teacher), then min over
configurations (the best learner)". Each (A, u, s, m) has several checkpoints (epochs);
which checkpoint and which A are used is the *selection rule*:

- ``selection="validation"`` (default, honest): for every training run (A, u, s, m) the
  checkpoint with the smallest validation error ``val_<metric>`` (an independent fresh
  sample, i.e. early stopping per run); the configuration A by the same reduction of the
  validation errors (max over teachers of the seed mean for ``worst``, mean for
  ``average``); THEN the test metric is reported at the chosen point. The test metric
  is never looked at to choose. (The validation sample is extra information about the
  target that the count m does not include.)
- ``selection="test"`` (the paper's estimator, optimistic): min over configurations ×
  checkpoints of the test metric itself; a checkpoint is shared by all teachers and seeds
  of a configuration, as in the paper's code. (Because validation picks a checkpoint per
  run, its value can occasionally fall below this one; it is still never chosen on test.)

Conventions: a diverged row (``diverged`` or a NaN/inf metric) has error +∞ — a learner
that diverges on a teacher is bad on it — so it is never dropped and can only lose the
min over A. A missing row (a partial run) is left out of the mean/max. Ties go to the
first in sort order (config_id, then epoch; teacher index for the worst teacher).
``linf`` is a sampled max, a lower estimate of the sup norm. The sup metrics
``linf_exact``, ``linf_lower``, ``linf_upper`` have no validation twin: under
validation selection they are chosen by ``val_linf`` (see :func:`validation_column`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .._errors import InputError

Selection = Literal["validation", "test"]
SELECTIONS = ("validation", "test")
KINDS = ("worst", "average")
_RUN_KEYS = ["config_id", "teacher", "seed", "n_samples"]


def check_selection(selection: str, *, name: str = "selection") -> Selection:
    if selection not in SELECTIONS:
        raise InputError(
            f"`{name}` must be 'validation' or 'test', got {selection!r} (e.g. {name}"
            f"{' ' if name.startswith('-') else '='}validation)"
        )
    return selection  # type: ignore[return-value]


def validation_column(metric: str, columns) -> str | None:
    """The validation twin of a test metric: ``val_<metric>``; refinements of linf
    (linf_exact, ...) fall back to ``val_linf``."""
    for col in (f"val_{metric}", f"val_{metric.split('_')[0]}"):
        if col in columns:
            return col
    return None


@dataclass(frozen=True)
class Cube:
    """The arrays eq. (5) reduces, for one metric and one m.

    ``sel`` and ``rep`` have shape (K, T, S): candidate × teacher × seed. A candidate is a
    configuration (validation selection; the checkpoint was already chosen per run) or a
    (configuration, epoch) pair (test selection). ``sel`` is what is minimised over
    candidates, ``rep`` what is reported; +∞ = diverged, NaN = missing.
    """

    metric: str
    n_samples: int
    configs: tuple[str, ...]  # configuration of each candidate, (K,)
    epochs: tuple[int | None, ...]  # epoch of each candidate (None: chosen per run), (K,)
    teachers: tuple[int, ...]
    seeds: tuple[int, ...]
    sel: np.ndarray  # (K, T, S)
    rep: np.ndarray  # (K, T, S)
    run_epoch: np.ndarray  # (K, T, S) checkpoint used by each run; -1 = missing


def _errors(rows: pd.DataFrame, col: str) -> np.ndarray:
    """Metric values with diverged/NaN rows as +∞."""
    v = rows[col].to_numpy(dtype=float).copy()
    v[rows["diverged"].to_numpy(dtype=bool) | ~np.isfinite(v)] = math.inf
    return v


def build_cubes(
    table: pd.DataFrame,
    metric: str,
    selection: Selection,
    teachers: tuple[int, ...] | None = None,
    seeds: tuple[int, ...] | None = None,
) -> dict[int, Cube]:
    """One :class:`Cube` per sample size m for ``metric`` under ``selection``.

    ``teachers``/``seeds`` fix the T and S axes (default: all in the table) so that the
    cubes of every m share them — the bootstrap resamples those axes jointly.
    """
    if metric not in table.columns:
        raise InputError(f"`metric` must be a metric column of the table, got {metric!r}")
    teachers = tuple(sorted(table["teacher"].unique())) if teachers is None else teachers
    seeds = tuple(sorted(table["seed"].unique())) if seeds is None else seeds
    rows = table[_RUN_KEYS + ["epoch", "diverged", metric]].copy()
    rows["_rep"] = _errors(table, metric)
    if selection == "validation":
        vcol = validation_column(metric, table.columns)
        if vcol is None:
            raise InputError(
                f"`selection` 'validation' needs a column val_{metric} in the table, which this run "
                f"lacks; got selection='validation' (e.g. --selection test, labelled optimistic)"
            )
        rows["_sel"] = _errors(table.assign(**{metric: table[vcol]}), metric)
        # Early stopping per run: smallest validation error, ties → earliest epoch.
        rows = rows.sort_values(_RUN_KEYS + ["_sel", "epoch"], kind="mergesort")
        rows = rows.drop_duplicates(subset=_RUN_KEYS, keep="first")
        rows["_cand"] = list(zip(rows["config_id"], [None] * len(rows)))
    else:
        rows["_sel"] = rows["_rep"]
        rows["_cand"] = list(zip(rows["config_id"], rows["epoch"].astype(int)))
    t_index = {t: i for i, t in enumerate(teachers)}
    s_index = {s: i for i, s in enumerate(seeds)}
    cubes = {}
    for m, part in rows.groupby("n_samples", sort=True):
        cands = sorted(set(part["_cand"]), key=lambda c: (c[0], -1 if c[1] is None else c[1]))
        k_index = {c: i for i, c in enumerate(cands)}
        shape = (len(cands), len(teachers), len(seeds))
        sel, rep = np.full(shape, np.nan), np.full(shape, np.nan)
        run_epoch = np.full(shape, -1, dtype=np.int64)
        k = part["_cand"].map(k_index).to_numpy()
        t = part["teacher"].map(t_index).to_numpy()
        s = part["seed"].map(s_index).to_numpy()
        keep = ~(pd.isna(t) | pd.isna(s))
        k, t, s = k[keep].astype(int), t[keep].astype(int), s[keep].astype(int)
        sel[k, t, s] = part["_sel"].to_numpy()[keep]
        rep[k, t, s] = part["_rep"].to_numpy()[keep]
        run_epoch[k, t, s] = part["epoch"].to_numpy()[keep]
        cubes[int(m)] = Cube(
            metric=metric,
            n_samples=int(m),
            configs=tuple(c[0] for c in cands),
            epochs=tuple(c[1] for c in cands),
            teachers=teachers,
            seeds=seeds,
            sel=sel,
            rep=rep,
            run_epoch=run_epoch,
        )
    return cubes


def validation_objective(table: pd.DataFrame, val_metric: str) -> pd.Series:
    """The criterion eq. (5) minimises under validation selection, per (n_samples, config_id)::

        J(A) = max_u mean_s min_e val_metric(A, u, s, m, e)

    (per run the best checkpoint on the validation sample, the seed mean, the worst teacher);
    a diverged or NaN row counts +∞, a missing run is left out. Over the rows given: a trial's
    rows so far give J at its latest checkpoint (the search's objective, ``experiments._search``).
    """
    if val_metric not in table.columns:
        raise InputError(f"`metric` must be a validation column of the table, got {val_metric!r}")
    rows = table[_RUN_KEYS].copy()
    rows["_v"] = _errors(table, val_metric)
    per_run = rows.groupby(_RUN_KEYS, sort=True)["_v"].min()
    per_teacher = per_run.groupby(level=["n_samples", "config_id", "teacher"]).mean()
    return per_teacher.groupby(level=["n_samples", "config_id"]).max()


# -- the reductions of eq. (5), on arrays (..., K, T, S) ------------------------------
def seed_mean(x: np.ndarray) -> np.ndarray:
    """mean_s over the last axis, ignoring missing (NaN) entries; all missing → NaN."""
    present = ~np.isnan(x)
    count = present.sum(axis=-1)
    total = np.where(present, x, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def teacher_reduce(x: np.ndarray, kind: str) -> np.ndarray:
    """max_u (worst) or mean_u (average) over the last axis, ignoring NaN."""
    if kind == "worst":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.fmax.reduce(x, axis=-1)
    return seed_mean(x)


def reduce(sel: np.ndarray, rep: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, k*, u*) of eq. (5) for arrays (..., K, T, S).

    k* = argmin_k teacher_reduce(mean_s sel) (first on ties; missing counts as +∞),
    value = teacher_reduce(mean_s rep)[k*], u* = argmax_u mean_s rep[k*] (first on ties).
    """
    crit = teacher_reduce(seed_mean(sel), kind)  # (..., K)
    k_star = np.argmin(np.where(np.isnan(crit), math.inf, crit), axis=-1)  # (...)
    rep_u = seed_mean(rep)  # (..., K, T)
    chosen = np.take_along_axis(rep_u, k_star[..., None, None], axis=-2)[..., 0, :]  # (..., T)
    value = teacher_reduce(chosen, kind)
    u_star = np.argmax(np.where(np.isnan(chosen), -math.inf, chosen), axis=-1)
    return value, k_star, u_star


@dataclass(frozen=True)
class Estimate:
    """One number of eq. (5): metric, m, kind, value and what attains it."""

    metric: str
    n_samples: int
    kind: str  # "worst" | "average"
    value: float
    config: str
    teacher: int | None  # the worst teacher (kind "worst"); None for "average"
    epoch: int | None  # the shared checkpoint (selection "test"); None when chosen per run


def estimate_cube(cube: Cube, kind: str) -> Estimate:
    value, k, u = reduce(cube.sel, cube.rep, kind)
    k, u = int(k), int(u)
    return Estimate(
        metric=cube.metric,
        n_samples=cube.n_samples,
        kind=kind,
        value=float(value),
        config=cube.configs[k],
        teacher=int(cube.teachers[u]) if kind == "worst" else None,
        epoch=cube.epochs[k],
    )


def minimax(
    table: pd.DataFrame,
    metrics: tuple[str, ...] = ("l1", "l2", "linf"),
    selection: Selection = "validation",
    kinds: tuple[str, ...] = KINDS,
) -> list[Estimate]:
    """eq. (5) for every metric, m and kind (no uncertainty; see :func:`analyze`)."""
    check_selection(selection)
    out = []
    for metric in metrics:
        for cube in build_cubes(table, metric, selection).values():
            out.extend(estimate_cube(cube, kind) for kind in kinds)
    return out


def heat_matrix(cube: Cube) -> tuple[list[str], np.ndarray]:
    """Configuration × teacher matrix of mean_s err at the selected checkpoints.

    Validation selection: each run's own checkpoint. Test selection: per configuration,
    the checkpoint minimising max_u mean_s err (the paper's choice for that configuration).
    """
    configs = list(dict.fromkeys(cube.configs))
    crit = teacher_reduce(seed_mean(cube.sel), "worst")
    crit = np.where(np.isnan(crit), math.inf, crit)
    rows = []
    for cfg in configs:
        ks = [k for k, c in enumerate(cube.configs) if c == cfg]
        best = ks[int(np.argmin(crit[ks]))]
        rows.append(seed_mean(cube.rep[best]))
    return configs, np.array(rows)
