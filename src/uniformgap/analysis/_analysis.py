"""``analyze(run_dir)``: eq. (5) with bootstrap intervals, rate fits and the theory.

Puts _table (load), _estimator (eq. 5 + selection), _bootstrap (intervals) and _rates
(fits) together, and _underestimate (the Monte-Carlo L∞ vs the exact/certified sup);
the figures and the report read the :class:`Analysis` it returns.

Sup metrics (``linf_exact``, ``linf_lower``, ``linf_upper``) are analysed by
default when the table has them. They have no validation twin: under validation
selection their checkpoints and configurations are chosen by ``val_linf`` (the
Monte-Carlo L∞ on the validation sample) — a proxy, said in the notes; ``selection="test"``
chooses on the sup metric itself.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._errors import InputError
from ._bootstrap import bootstrap_cube, percentile_interval, resample_indices
from ._context import RunContext, run_context
from ._diagnostics import Diagnostics, diagnose
from ._estimator import (
    KINDS,
    Cube,
    Selection,
    build_cubes,
    check_selection,
    estimate_cube,
)
from ._rates import RateFit, fit_rate
from ._table import SUP_METRICS, RunData, load_results, metric_p, resolve_metrics
from ._underestimate import Underestimate, mc_underestimate


@dataclass(frozen=True)
class AnalysisConfig:
    """How to analyse a run (validated on construction)."""

    selection: Selection = "validation"  # honest by default: the test metric is only reported
    metrics: tuple[str, ...] | None = None  # None: l1, l2, linf + linf_exact/_lower/_upper (those in the table)
    n_bootstrap: int = 1000  # percentile-interval endpoints settle to ~1% at 1000 replicates
    seed: int = 0  # seeds the bootstrap generator: same seed, same intervals
    level: float = 0.95  # the conventional two-sided confidence level
    c0: float = 1.0  # Theorem 1.1's setting: the class itself (u0 = 0, c0 = 1), docs/theory.md §4

    def __post_init__(self) -> None:
        check_selection(self.selection)
        if isinstance(self.metrics, str):
            object.__setattr__(self, "metrics", tuple(m.strip() for m in self.metrics.split(",") if m.strip()))
        elif self.metrics is not None:
            object.__setattr__(self, "metrics", tuple(self.metrics))
        if isinstance(self.n_bootstrap, bool) or not isinstance(self.n_bootstrap, int) or self.n_bootstrap < 0:
            raise InputError(
                f"`n_bootstrap` must be an integer >= 0 (0: no intervals), got {self.n_bootstrap!r}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"`seed` must be an integer >= 0, got {self.seed!r}")
        if not (isinstance(self.level, float) and 0 < self.level < 1):
            raise InputError(f"`level` must be a number in (0, 1), got {self.level!r} (e.g. level=0.95)")
        if not (isinstance(self.c0, (int, float)) and math.isfinite(self.c0) and self.c0 > 0):
            raise InputError(f"`c0` must be a number > 0, got {self.c0!r}")


@dataclass(frozen=True)
class MinimaxEntry:
    """One reported number of eq. (5) with its percentile interval."""

    metric: str
    kind: str  # "worst" (eq. 5) | "average" (teacher mean)
    n_samples: int
    value: float
    ci_low: float
    ci_high: float
    teacher: int | None  # the worst teacher at the chosen configuration ("worst" only)
    config: str  # the chosen configuration
    epoch: int | None  # the shared checkpoint (selection "test"); None: chosen per run
    bound: float | None  # the derived lower bound of docs/theory.md §4 at m, if the class is known


@dataclass(frozen=True)
class Analysis:
    run: RunData
    context: RunContext
    config: AnalysisConfig
    metrics: tuple[str, ...]
    minimax: tuple[MinimaxEntry, ...]
    rates: tuple[RateFit, ...]
    notes: tuple[str, ...]
    cubes: dict[str, dict[int, Cube]] = field(repr=False)  # metric -> m -> cube
    replicates: dict[tuple[str, str], np.ndarray] = field(repr=False)  # (metric, kind) -> (B, n_m)
    underestimate: tuple[Underestimate, ...] = ()  # linf vs linf_exact / linf_lower, per m
    diagnostics: Diagnostics = Diagnostics()  # fit regime per (configuration, m), worst-error location

    @property
    def selection(self) -> str:
        return self.config.selection

    @property
    def optimistic(self) -> bool:
        """True for ``selection="test"``: chosen on the reported metric (the paper's estimator)."""
        return self.config.selection == "test"

    @property
    def partial(self) -> bool:
        return self.run.partial

    def entry(self, metric: str, kind: str, m: int) -> MinimaxEntry:
        for e in self.minimax:
            if (e.metric, e.kind, e.n_samples) == (metric, kind, m):
                return e
        raise KeyError((metric, kind, m))

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object (see README, "Analysis")."""
        return {
            "run_dir": str(self.run.run_dir),
            "selection": self.selection,
            "optimistic": self.optimistic,
            "partial": self.partial,
            "notes": list(self.notes),
            "metrics": list(self.metrics),
            # a search run: one entry per configuration in sampling order (analysis._trajectory)
            "search": None if self.run.search is None else [
                {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
                for rec in self.run.search.to_dict("records")
            ],
            "d": self.context.d,
            "n_bootstrap": self.config.n_bootstrap,
            "level": self.config.level,
            "seed": self.config.seed,
            "minimax": [
                {
                    "metric": e.metric,
                    "kind": e.kind,
                    "n_samples": e.n_samples,
                    "value": e.value,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "teacher": e.teacher,
                    "config": e.config,
                    "epoch": e.epoch,
                    "lower_bound": e.bound,
                }
                for e in self.minimax
            ],
            "rates": [
                {
                    "metric": r.metric,
                    "kind": r.kind,
                    "slope": r.slope,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "ci_method": r.ci_method,
                    "n_points": r.n_points,
                    "theory_slope": r.theory_slope,
                }
                for r in self.rates
            ],
            "mc_underestimate": [u.to_dict() for u in self.underestimate],
            "diagnostics": self.diagnostics.to_dict(),
        }


def lower_bound(cls, m: int, p: float, c0: float) -> tuple[float | None, str | None]:
    """(bound, note): docs/theory.md §4's derived lower bound on err_m^MC over the class
    (``uniformgap.theory.derived_lower_error``); None and why where it does not apply."""
    from ..theory import derived_lower_error

    try:
        return float(derived_lower_error(cls, m, p=p, c0=c0)), None
    except InputError as exc:  # the theory module refuses this class: say so, keep the analysis
        return None, f"no derived lower bound for this class ({exc})"


def analyze(run: str | Path | RunData, config: AnalysisConfig | None = None, **options: Any) -> Analysis:
    """Analyse a run directory: eq. (5) per metric, m and kind with bootstrap percentile
    intervals, log-log rate fits and the theory's rate / derived lower bound.

    ``options`` are :class:`AnalysisConfig` fields (``selection``, ``metrics``,
    ``n_bootstrap``, ``seed``, ``level``, ``c0``) when ``config`` is not given.
    """
    if config is None:
        config = AnalysisConfig(**options)
    elif options:
        raise InputError(f"`config` and keyword options are exclusive, got both (options {sorted(options)})")
    data = run if isinstance(run, RunData) else load_results(run)
    metrics = resolve_metrics(config.metrics, data.metrics)
    context = run_context(data)
    notes = list(data.notes) + list(context.notes)
    if config.selection == "test":
        notes.insert(0, "selection 'test' is OPTIMISTIC: configurations and checkpoints chosen on the test metric (the paper's estimator)")
    sup = [m for m in metrics if m in SUP_METRICS]
    if sup and config.selection == "validation":
        notes.append(
            f"{', '.join(sup)} ha{'s' if len(sup) == 1 else 've'} no validation twin: checkpoints and "
            "configurations are chosen by val_linf (the sampled max on the validation sample), then the sup is reported"
        )
    table = data.table
    teachers = tuple(int(t) for t in sorted(table["teacher"].unique()))
    seeds = tuple(int(s) for s in sorted(table["seed"].unique()))
    gen = np.random.default_rng(config.seed)
    idx_t, idx_s = resample_indices(len(teachers), len(seeds), config.n_bootstrap, gen)

    bound_notes: list[str] = []
    entries: list[MinimaxEntry] = []
    cubes: dict[str, dict[int, Cube]] = {}
    replicates: dict[tuple[str, str], np.ndarray] = {}
    work = [(metric, kind) for metric in metrics for kind in KINDS]
    for metric in metrics:
        cubes[metric] = build_cubes(table, metric, config.selection, teachers, seeds)
    bar = tqdm(work, desc="bootstrap", unit="curve", file=sys.stderr, disable=None, leave=False)
    for metric, kind in bar:
        reps = []
        for m, cube in cubes[metric].items():
            est = estimate_cube(cube, kind)
            boot = bootstrap_cube(cube, kind, idx_t, idx_s)
            reps.append(boot)
            lo, hi = percentile_interval(boot, config.level) if len(boot) else (math.nan, math.nan)
            bound = None
            if context.network_class is not None:
                bound, why = lower_bound(context.network_class, m, metric_p(metric), config.c0)
                if why is not None and why not in bound_notes:
                    bound_notes.append(why)
            entries.append(
                MinimaxEntry(metric, kind, m, est.value, lo, hi, est.teacher, est.config, est.epoch, bound)
            )
        replicates[(metric, kind)] = np.stack(reps, axis=1) if reps else np.empty((0, 0))  # (B, n_m)
    notes.extend(bound_notes)

    rates = []
    for metric, kind in work:
        ms = sorted(cubes[metric])
        values = [next(e.value for e in entries if (e.metric, e.kind, e.n_samples) == (metric, kind, m)) for m in ms]
        rates.append(fit_rate(metric, kind, ms, values, replicates[(metric, kind)], context.d, config.level))
    entries.sort(key=lambda e: (metrics.index(e.metric), KINDS.index(e.kind), e.n_samples))
    underestimate = mc_underestimate(table, config.selection)
    analysis = Analysis(
        run=data,
        context=context,
        config=config,
        metrics=metrics,
        minimax=tuple(entries),
        rates=tuple(rates),
        notes=tuple(notes),
        cubes=cubes,
        replicates=replicates,
        underestimate=underestimate,
    )
    return dataclasses.replace(analysis, diagnostics=diagnose(analysis))
