"""How much the Monte-Carlo L∞ (a sampled max) underestimated the sup error.

The table's ``linf`` is the maximum of |student − target| over sampled points, a LOWER
estimate of the sup norm. Where the run also measured the sup per network —
``linf_exact`` (d = 1, exact) or the certified bracket ``linf_lower`` ≤ sup ≤
``linf_upper`` (d ≥ 2) — this module compares them, per sample size m:

- rows: the final checkpoint (largest epoch) of every training run (config_id, teacher,
  seed, m), leaving out diverged rows and rows where either value is not finite;
- ``fraction_below``: share of those rows with mc < sup (strictly);
- relative underestimation of a row: (sup − mc) / sup, over rows with sup > 0 (with the
  exact sup it is ≥ 0 up to rounding; with ``linf_lower`` it is a certified lower bound on
  the true relative underestimation and may be negative when the attack fell short of the
  sampled max); ``mean_rel`` / ``max_rel`` are its mean and max;
- with a bracket, the same with ``linf_upper`` in place of sup (``*_rel_upper``): since
  (s − mc)/s increases with s, the true relative underestimation lies between the two;
- minimax: eq. (5)'s worst-teacher value of ``linf`` and of the sup metric under the
  analysis's selection rule, and (sup − mc)/sup of those two numbers. Under validation
  selection both are chosen by ``val_linf`` (a sup metric has no validation twin), so the
  two values come from the same configuration and checkpoints.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ._estimator import Selection, build_cubes, estimate_cube

MC_METRIC = "linf"
SUP_REFERENCES = ("linf_exact", "linf_lower")  # the metric the sampled max is compared to
_RUN_KEYS = ["config_id", "teacher", "seed", "n_samples"]


@dataclass(frozen=True)
class Underestimate:
    """The comparison at one m of ``linf`` with ``metric`` (linf_exact or linf_lower)."""

    n_samples: int
    metric: str  # "linf_exact" | "linf_lower"
    n_rows: int  # final-checkpoint, non-diverged rows compared
    fraction_below: float  # share of rows with mc < sup
    mean_rel: float  # mean of (sup − mc)/sup
    max_rel: float  # max of (sup − mc)/sup
    minimax_mc: float  # eq. (5) worst-teacher value of linf
    minimax_sup: float  # eq. (5) worst-teacher value of ``metric``
    minimax_rel: float  # (minimax_sup − minimax_mc)/minimax_sup
    mean_rel_upper: float | None = None  # bracket only: the same with linf_upper
    max_rel_upper: float | None = None
    minimax_upper: float | None = None
    minimax_rel_upper: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def final_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The last checkpoint (largest epoch) of every training run, diverged rows left out."""
    last = table.groupby(_RUN_KEYS, sort=False)["epoch"].transform("max")
    rows = table[table["epoch"] == last]
    return rows[~rows["diverged"].to_numpy(dtype=bool)]


def _rel(mc: np.ndarray, sup: np.ndarray) -> np.ndarray:
    """(sup − mc)/sup where sup > 0 (other rows dropped)."""
    ok = sup > 0
    return (sup[ok] - mc[ok]) / sup[ok]


def _stats(rel: np.ndarray) -> tuple[float, float]:
    return (float(rel.mean()), float(rel.max())) if len(rel) else (math.nan, math.nan)


def _ratio(mc: float, sup: float) -> float:
    return (sup - mc) / sup if math.isfinite(mc) and math.isfinite(sup) and sup > 0 else math.nan


def _worst(table: pd.DataFrame, metric: str, selection: Selection, teachers, seeds) -> dict[int, float]:
    cubes = build_cubes(table, metric, selection, teachers, seeds)
    return {m: estimate_cube(cube, "worst").value for m, cube in cubes.items()}


def mc_underestimate(table: pd.DataFrame, selection: Selection = "validation") -> tuple[Underestimate, ...]:
    """One :class:`Underestimate` per (reference metric, m); empty when the table lacks
    ``linf`` or both ``linf_exact`` and ``linf_lower`` (see the module doc for the rules)."""
    refs = [r for r in SUP_REFERENCES if r in table.columns]
    if MC_METRIC not in table.columns or not refs:
        return ()
    teachers = tuple(sorted(table["teacher"].unique()))
    seeds = tuple(sorted(table["seed"].unique()))
    ms = sorted(int(m) for m in table["n_samples"].unique())
    last = final_rows(table)
    worst_mc = _worst(table, MC_METRIC, selection, teachers, seeds)
    out = []
    for ref in refs:
        upper = "linf_upper" if ref == "linf_lower" and "linf_upper" in table.columns else None
        worst_sup = _worst(table, ref, selection, teachers, seeds)
        worst_up = _worst(table, upper, selection, teachers, seeds) if upper else {}
        cols = [MC_METRIC, ref] + ([upper] if upper else [])
        for m in ms:
            part = last[last["n_samples"] == m]
            vals = part[cols].to_numpy(dtype=float)  # (n, 2 or 3)
            vals = vals[np.isfinite(vals).all(axis=1)]
            mc, sup = vals[:, 0], vals[:, 1]
            mean_rel, max_rel = _stats(_rel(mc, sup))
            extra = {}
            if upper:
                mean_u, max_u = _stats(_rel(mc, vals[:, 2]))
                up = worst_up.get(m, math.nan)
                extra = {"mean_rel_upper": mean_u, "max_rel_upper": max_u, "minimax_upper": up,
                         "minimax_rel_upper": _ratio(worst_mc.get(m, math.nan), up)}
            w_mc, w_sup = worst_mc.get(m, math.nan), worst_sup.get(m, math.nan)
            out.append(
                Underestimate(
                    n_samples=m,
                    metric=ref,
                    n_rows=len(vals),
                    fraction_below=float((mc < sup).mean()) if len(vals) else math.nan,
                    mean_rel=mean_rel,
                    max_rel=max_rel,
                    minimax_mc=w_mc,
                    minimax_sup=w_sup,
                    minimax_rel=_ratio(w_mc, w_sup),
                    **extra,
                )
            )
    return tuple(out)
