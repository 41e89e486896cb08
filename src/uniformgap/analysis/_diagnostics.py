"""Why does the uniform error stall? Fit diagnostics and where the worst error sits.

arXiv:2205.13531, Section 3, explains the gap between L∞ and L2 by "errors caused by spikes
of the teacher network which are not covered by any sample". That is one possible cause; an
optimisation floor (students that do not even fit their own samples) is another. This module
tells them apart from the results table and the saved students.

Fit, per configuration and m, over the final checkpoint of every non-diverged run:

    train RMSE = (train_loss)^{1/2}  (train_loss = (1/m) Σ_i (f(x_i) − y_i)², original units),
    test L2    = ``l2_exact`` if the table has it, else the Monte-Carlo ``l2``,
    ρ          = median train RMSE / median test L2.

Regime: ρ < ``RHO_SAMPLING`` = 1/2 is *sampling-limited* — the students fit their samples at
least twice as well as they generalise, so the remaining error sits where the samples are
not; ρ ≥ 1/2 is *optimisation-limited* — they do not even fit their samples (for noiseless
targets a student that could be trained further would push the train error far below the test
error), so the error is a training floor, not the sampling barrier.

Location, per m, of the worst student eq. (5) chooses for the sup metric (``linf_exact`` >
``linf_lower`` > ``linf``; the row of ``_worst.worst_case_row``): x* = the argmax of
|f − g| — exact by breakpoint enumeration in 1-D (``metrics.sup_error_exact_1d``), the
certified bracket's witness in d ≥ 2 (``metrics.sup_error_bracket``; only when the run has
brackets) — and

    δ(x*) = min_i ‖x* − x_i‖_∞ / h,   h = (hi − lo) · m^{−1/d}   (the typical spacing, (vol/m)^{1/d}),
    in_largest_gaps: δ(x*) ≥ the 90 % quantile of δ(x) for x ~ U(domain) (2^14 points, seeded),

i.e. x* lies in the tenth of the domain farthest from every sample. The worst student's own fit
ratio ρ_w = (train_loss)^{1/2} / test L2 of that row is reported too: the median students can fit
their samples while the worst one does not, and the headline says so when ρ_w ≥ 1/2.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ._worst import SUP_ORDER, sup_metric, worst_case_row

RHO_SAMPLING = 0.5  # ρ below this: sampling-limited; at or above: optimisation-limited (module doc)
GAP_QUANTILE = 0.9  # "one of the largest gaps": farther from the samples than 90 % of the domain
N_PROBE = 2**14  # uniform points for that quantile: its Monte-Carlo error is ~0.3 % in probability


@dataclass(frozen=True)
class FitDiagnostic:
    """Train fit next to test error of one configuration at one m (final checkpoints)."""

    config: str
    n_samples: int
    n_runs: int  # non-diverged final-checkpoint runs
    train_rmse: float  # median over runs of (train_loss)^{1/2}
    test_l2: float  # median over runs of the test L2
    l2_metric: str  # "l2_exact" | "l2"
    ratio: float  # train_rmse / test_l2
    regime: str  # "sampling-limited" | "optimisation-limited" | "unknown"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class WorstLocation:
    """Where the worst student's largest error sits relative to its training samples."""

    n_samples: int
    metric: str  # the sup metric that chose the student
    config: str
    teacher: int
    seed: int
    epoch: int
    argmax: tuple[float, ...]  # x*
    source: str  # "exact" (1-D enumeration) | "bracket witness"
    sup: float  # |f − g|(x*)
    distance: float  # min_i ‖x* − x_i‖_∞ in units of h
    spacing: float  # h = (hi − lo) m^{−1/d}
    gap_quantile: float  # the 90 % quantile of the same distance for a uniform point, units of h
    in_largest_gaps: bool
    fit_ratio: float  # ρ_w: this student's train RMSE / its test L2 (NaN without train_loss / L2)
    fit_regime: str  # regime(ρ_w)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Diagnostics:
    """Everything this module says about a run (see :func:`diagnose`)."""

    fits: tuple[FitDiagnostic, ...] = ()
    locations: tuple[WorstLocation, ...] = ()
    headline: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "headline": list(self.headline),
            "rho_sampling": RHO_SAMPLING,
            "fit": [f.to_dict() for f in self.fits],
            "worst_location": [w.to_dict() for w in self.locations],
            "notes": list(self.notes),
        }


def diagnose(analysis) -> Diagnostics:
    """Fit diagnostics, worst-error locations and the headline of an analysed run."""
    fits = fit_diagnostics(analysis.run.table)
    notes = [] if fits else ["fit diagnostics need train_loss and an L2 column (l2_exact or l2)"]
    locations, where_notes = worst_locations(analysis)
    return Diagnostics(fits, locations, headline(analysis, fits, locations), tuple(notes) + where_notes)


def regime(ratio: float) -> str:
    if not math.isfinite(ratio):
        return "unknown"
    return "sampling-limited" if ratio < RHO_SAMPLING else "optimisation-limited"


def l2_metric(table: pd.DataFrame) -> str | None:
    for col in ("l2_exact", "l2"):
        if col in table.columns:
            return col
    return None


def fit_diagnostics(table: pd.DataFrame) -> tuple[FitDiagnostic, ...]:
    """One :class:`FitDiagnostic` per (configuration, m) (module doc); () without train_loss / L2."""
    col = l2_metric(table)
    if col is None or "train_loss" not in table.columns:
        return ()
    last = table.groupby(["config_id", "teacher", "seed", "n_samples"])["epoch"].transform("max")
    final = table[(table["epoch"] == last) & ~table["diverged"]]
    out = []
    for (cfg, m), rows in final.groupby(["config_id", "n_samples"], sort=True):
        rmse = np.sqrt(rows["train_loss"].to_numpy(float))
        test = rows[col].to_numpy(float)
        ok = np.isfinite(rmse) & np.isfinite(test)
        r, t = (float(np.median(rmse[ok])), float(np.median(test[ok]))) if ok.any() else (math.nan, math.nan)
        ratio = r / t if t > 0 else math.nan
        out.append(FitDiagnostic(str(cfg), int(m), int(ok.sum()), r, t, col, ratio, regime(ratio)))
    return tuple(out)


def nearest_distance(points: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """min_i ‖p − x_i‖_∞ for each row p of ``points`` (n, d) over ``samples`` (m, d)."""
    if samples.shape[1] == 1:
        s = np.sort(samples[:, 0])
        j = np.clip(np.searchsorted(s, points[:, 0]), 1, len(s) - 1) if len(s) > 1 else np.zeros(len(points), int)
        left, right = s[np.maximum(j - 1, 0)], s[j]
        return np.minimum(np.abs(points[:, 0] - left), np.abs(points[:, 0] - right))
    out = np.empty(len(points))
    for a in range(0, len(points), 1024):  # (1024, m, d) blocks bound the memory
        out[a:a + 1024] = np.abs(points[a:a + 1024, None, :] - samples[None]).max(axis=2).min(axis=1)
    return out


def locate(x_star: np.ndarray, x_train: np.ndarray, domain: tuple[float, float], seed: int = 0) -> tuple[float, float, float, bool]:
    """(distance, h, quantile, in_largest_gaps) of x* (d,) w.r.t. samples x_train (m, d) (module doc)."""
    m, d = x_train.shape
    lo, hi = domain
    h = (hi - lo) * m ** (-1.0 / d)
    dist = float(nearest_distance(np.asarray(x_star, float).reshape(1, d), x_train)[0]) / h
    probe = lo + (hi - lo) * np.random.default_rng(seed).random((N_PROBE, d))
    q = float(np.quantile(nearest_distance(probe, x_train), GAP_QUANTILE)) / h
    return dist, h, q, dist >= q


def worst_locations(analysis) -> tuple[tuple[WorstLocation, ...], tuple[str, ...]]:
    """One :class:`WorstLocation` per m (module doc) and notes for those that could not be made."""
    from ..experiments import load_trained
    from ..metrics import sup_error_bracket, sup_error_exact_1d

    metric = sup_metric(analysis.metrics)
    d = analysis.context.d
    if metric is None or d is None:
        return (), ("where the worst error sits: no sup metric or unknown d",)
    if d >= 2 and metric != "linf_lower":
        return (), ("where the worst error sits: d >= 2 needs certified brackets (network_metrics: [linf_bracket])",)
    out, notes = [], []
    for m in sorted(analysis.cubes[metric]):
        try:
            row = worst_case_row(analysis, metric, m)
            target, student, x_train, _ = load_trained(analysis.run.run_dir, row)
            if getattr(target, "network", None) is None or not hasattr(student, "layers"):
                raise TypeError("the target or the student is not a ReLU network")
            if d == 1:
                res = sup_error_exact_1d(student, target.network, analysis.context.domain)
                x_star, value, source = np.array([res.argmax]), res.value, "exact"
            else:
                budget = float((analysis.run.config.get("evaluation") or {}).get("network_metric_budget_s", 10.0))
                res = sup_error_bracket(student, target.network, analysis.context.domain, budget_s=budget)
                x_star, value, source = np.array(res.argmax), res.lower, "bracket witness"
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:  # a student not stored, a partial run, ... (a bug still raises)
            notes.append(f"where the worst error sits at m = {m}: not available ({type(exc).__name__}: {exc})")
            continue
        x = np.asarray(x_train.detach().cpu().numpy() if hasattr(x_train, "detach") else x_train, float).reshape(-1, d)
        dist, h, q, in_gap = locate(x_star, x, analysis.context.domain, seed=analysis.config.seed)
        ratio = _row_fit_ratio(row)
        out.append(WorstLocation(m, metric, str(row["config_id"]), int(row["teacher"]), int(row["seed"]),
                                 int(row["epoch"]), tuple(float(v) for v in x_star), source, float(value),
                                 dist, h, q, bool(in_gap), ratio, regime(ratio)))
    return tuple(out), tuple(notes)


def _row_fit_ratio(row) -> float:
    """ρ of one student: (train_loss)^{1/2} / its test L2 at that checkpoint (NaN if unknown)."""
    col = next((c for c in ("l2_exact", "l2") if c in row.index), None)
    if col is None or "train_loss" not in row.index:
        return math.nan
    loss, test = float(row["train_loss"]), float(row[col])
    return math.sqrt(loss) / test if loss >= 0 and test > 0 else math.nan


def _pick(analysis, names, kind, m):
    for name in names:
        if name in analysis.metrics and m in analysis.cubes[name]:
            return analysis.entry(name, kind, m)
    return None


def headline(analysis, fits, locations) -> tuple[str, ...]:
    """The finding in words, one line per m: the sup/L2 ratio of eq. (5)'s worst-teacher
    values, the fit ratio ρ of the configuration chosen for L2 and its regime, and where the
    worst error sits."""
    lines = []
    where = {w.n_samples: w for w in locations}
    for m in sorted({f.n_samples for f in fits}):
        sup = _pick(analysis, SUP_ORDER, "worst", m)
        l2 = _pick(analysis, ("l2_exact", "l2"), "worst", m)
        if sup is None or l2 is None:
            continue
        fit = next((f for f in fits if f.n_samples == m and f.config == l2.config), None)
        if fit is None:
            continue
        text = f"at m = {m} the worst-case error is {sup.value / l2.value:.1f}x the L2 error"
        text += f"; students fit their samples to {fit.ratio:.2f}x their test error: {fit.regime}"
        w = where.get(m)
        if w is not None:
            text += (f"; the worst error sits {w.distance:.2g} sample spacings from the nearest sample"
                     f" ({'in' if w.in_largest_gaps else 'not in'} the largest gaps)")
            if w.fit_regime == "optimisation-limited" and fit.regime != w.fit_regime:
                text += (f"; but the worst student itself fits its samples only to {w.fit_ratio:.2f}x its test "
                         "error: optimisation-limited")
        lines.append(text)
    if any("optimisation-limited" in line for line in lines):
        lines.append(
            "optimisation-limited means the students do not fit their own samples: that error is a training "
            "floor, not the sampling barrier of the theory (train longer or differently before reading a rate)"
        )
    return tuple(lines)
