"""Load and validate a run's results table; detect runs that are still going.

The table contract is docs/architecture.md, "The results table": one row per
(config_id, teacher, seed, n_samples, epoch) with test metrics ``l1``, ``l2``, ``linf``
(``linf`` is a sampled max, a LOWER estimate of the sup norm), their validation twins
``val_l1``, ``val_l2``, ``val_linf`` (an independent fresh sample) and a ``diverged`` flag.
Per-network sup metrics may sit beside them: ``linf_exact`` (d = 1, the exact
sup of |student − target|) or the certified bracket ``linf_lower`` ≤ sup ≤ ``linf_upper``
(d ≥ 2); they have no validation twin (see ``_estimator.validation_column``).
The table is read with pandas from ``results.parquet`` (falling back to ``results.csv``),
so the analysis does not depend on the experiment engine's Python API.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .._errors import InputError
from .._storage import local_run
from ._trajectory import SEARCH_INDEX, SEARCH_STOPPED, search_trajectory

KEY_COLUMNS = ("config_id", "teacher", "seed", "n_samples", "epoch")
# Metric columns: the three L^p errors and the per-network sup-norm metrics.
_METRIC_RE = re.compile(r"^(l1|l2|linf)(_[a-z0-9]+)?$")
DEFAULT_METRICS = ("l1", "l2", "linf")
# Exact 1-D L^1 / L^2 errors (segment integrals, metrics._exact1d), analysed by default when present.
EXACT_LP_METRICS = ("l1_exact", "l2_exact")
# Sup-norm columns analysed by default when present, beside the Monte-Carlo linf.
SUP_METRICS = ("linf_exact", "linf_lower", "linf_upper")


@dataclass(frozen=True)
class RunData:
    """A run's results table with its resolved config and status.

    ``partial`` is True when run.json says the run is not complete or the table's grid
    has holes (a run still going); ``notes`` say why, one line each.
    """

    run_dir: Path
    table: pd.DataFrame
    config: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    partial: bool = False
    notes: tuple[str, ...] = ()
    # a search run: one row per configuration in sampling order (analysis._trajectory), None otherwise
    search: pd.DataFrame | None = None

    @property
    def metrics(self) -> tuple[str, ...]:
        """Test-metric columns present in the table (l1, l2, linf, linf_exact, ...)."""
        return tuple(c for c in self.table.columns if _METRIC_RE.match(c))


def _not_a_run(run_dir: Path, why: str) -> InputError:
    return InputError(
        f"`RUN_DIR` must be a run directory holding results.parquet or results.csv, "
        f"got '{run_dir}' ({why}) (e.g. uniformgap analyze runs/quick)"
    )


def read_table(run_dir: str | Path) -> pd.DataFrame:
    """The raw results table of ``run_dir`` (parquet, else csv)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise _not_a_run(run_dir, "no such directory")
    parquet, csv = run_dir / "results.parquet", run_dir / "results.csv"
    errors = []
    for path, reader in ((parquet, pd.read_parquet), (csv, pd.read_csv)):
        if path.is_file():
            try:
                return reader(path)
            except Exception as exc:  # a file being written, or truncated: try the other
                errors.append(f"{path.name}: {type(exc).__name__}")
    if errors:
        raise _not_a_run(run_dir, "unreadable " + ", ".join(errors))
    raise _not_a_run(run_dir, "no results table")


def _read_optional(path: Path, loader) -> tuple[dict, str | None]:
    if not path.is_file():
        return {}, None
    try:
        data = loader(path.read_text())
    except Exception as exc:
        return {}, f"{path.name} is unreadable ({type(exc).__name__}); ignored"
    return (data if isinstance(data, dict) else {}), None


def load_results(run_dir: str | Path) -> RunData:
    """Read, validate and normalise a run's table; flag a partial run.

    Normalisation: ``diverged`` becomes bool (missing → False); a row is also treated as
    diverged when any Monte-Carlo test metric (l1, l2, linf, ...) is NaN or infinite — not
    a per-network column (linf_exact, linf_lower, linf_upper, ...), which the experiment
    leaves NaN where it was not computed (a note counts such rows; eq. (5) counts a
    missing sup as +∞, see _estimator). Rows are sorted by the key columns
    so that every later tie-break ("first in sort order") is deterministic. A URI ``run_dir``
    (``s3://…``) is read from its local copy, brought up to date first (``_storage.local_run``).
    """
    run_dir = local_run(run_dir, argument="RUN_DIR")
    table = read_table(run_dir)
    missing = [c for c in KEY_COLUMNS if c not in table.columns]
    if missing:
        raise _not_a_run(run_dir, f"results table lacks column(s) {', '.join(missing)}")
    if len(table) == 0:
        raise InputError(
            f"`RUN_DIR` has an empty results table (no checkpoint finished yet), got '{run_dir}' "
            "(wait for the first evaluation, then run again)"
        )
    metrics = [c for c in table.columns if _METRIC_RE.match(c)]
    if not metrics:
        raise _not_a_run(run_dir, "results table has no metric column l1, l2 or linf")

    table = table.copy()
    table["config_id"] = table["config_id"].astype(str)
    for col in ("teacher", "seed", "n_samples", "epoch"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
        if table[col].isna().any():
            raise _not_a_run(run_dir, f"column {col} holds non-integer values")
        table[col] = table[col].astype(np.int64)
    for col in metrics + [c for c in table.columns if c.startswith("val_")]:
        table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
    if "diverged" in table.columns:
        table["diverged"] = _flag(table["diverged"]).astype(bool)
    else:
        table["diverged"] = False
    sampled = [c for c in metrics if c in DEFAULT_METRICS] or metrics
    nonfinite = ~np.isfinite(table[sampled].to_numpy(dtype=float)).all(axis=1)
    table["diverged"] = table["diverged"] | nonfinite
    sup_notes = [
        f"{int(n)} non-diverged row(s) lack a finite {c}: counted as +inf in eq. (5) for {c}"
        for c in metrics
        if c not in DEFAULT_METRICS and (n := (~table["diverged"] & ~np.isfinite(table[c])).sum())
    ]
    table = table.sort_values(list(KEY_COLUMNS), kind="mergesort").reset_index(drop=True)

    config, note_c = _read_optional(run_dir / "config.yaml", yaml.safe_load)
    info, note_i = _read_optional(run_dir / "run.json", json.loads)
    notes = [n for n in (note_c, note_i) if n] + sup_notes
    search = None
    if SEARCH_INDEX in table.columns:
        metric = (config.get("search") or {}).get("metric", "val_l2")
        stopped = _flag(table[SEARCH_STOPPED]) if SEARCH_STOPPED in table.columns else pd.Series(False, table.index)
        search = search_trajectory(table.assign(**{SEARCH_STOPPED: stopped}), metric)
        if stopped.any():
            n = table.loc[stopped, "config_id"].nunique()
            notes.append(f"{n} search configuration(s) stopped early by the scheduler (ASHA): not candidates "
                         "of eq. (5) (they did not train to the end); shown in the search trajectory")
            table = table[~stopped].reset_index(drop=True)
    partial = False
    status = info.get("status")
    if status != "complete":
        partial = True
        notes.append(
            f"run.json status is {status!r}, not 'complete': the run may still be going"
            if status is not None
            else "run.json is missing or has no status: treated as partial"
        )
    holes = grid_holes(table)
    if holes:
        partial = True
        notes.extend(holes)
    return RunData(run_dir=run_dir, table=table, config=config, info=info, partial=partial, notes=tuple(notes),
                   search=search)


def _flag(column: pd.Series) -> pd.Series:
    """A bool column as read back (parquet: bool; csv: "True"/"False")."""
    if column.dtype == bool:
        return column
    return column.astype(str).str.lower().isin(("true", "1", "1.0"))


def grid_holes(table: pd.DataFrame) -> list[str]:
    """Lines describing missing cells: per configuration, every (teacher, seed, m) seen in
    the run should be present, each with the configuration's full list of checkpoints."""
    notes = []
    teachers, seeds, ms = (sorted(table[c].unique()) for c in ("teacher", "seed", "n_samples"))
    expected = len(teachers) * len(seeds) * len(ms)
    for cfg, rows in table.groupby("config_id", sort=True):
        cells = rows.groupby(["teacher", "seed", "n_samples"])["epoch"]
        have = cells.ngroups
        if have < expected:
            notes.append(f"configuration {cfg}: {have} of {expected} (teacher, seed, m) cells present")
        last = cells.max()
        if last.nunique() > 1:
            short = int((last < last.max()).sum())
            notes.append(
                f"configuration {cfg}: {short} cell(s) stop before epoch {int(last.max())} (still training?)"
            )
    return notes


def resolve_metrics(
    requested: Sequence[str] | str | None, available: Sequence[str], *, name: str = "metrics"
) -> tuple[str, ...]:
    """Validate the metric names to analyse; None → l1, l2, linf, the exact l1_exact, l2_exact
    and the sup metrics linf_exact, linf_lower, linf_upper (those present, in that order)."""
    if requested is None:
        chosen = tuple(m for m in DEFAULT_METRICS + EXACT_LP_METRICS + SUP_METRICS if m in available)
        return chosen or tuple(available)
    if isinstance(requested, str):
        requested = [r.strip() for r in requested.split(",") if r.strip()]
    requested = tuple(requested)
    bad = [r for r in requested if r not in available]
    if bad or not requested:
        shown = ",".join(requested) if requested else "nothing"
        example = (
            f"{name} {','.join(available[:2])}"
            if name.startswith("-")
            else f"{name}=({', '.join(repr(a) for a in available[:2])})"
        )
        raise InputError(
            f"`{name}` must be a comma list of metrics in the table ({', '.join(available)}), "
            f"got '{shown}' (e.g. {example})"
        )
    return tuple(dict.fromkeys(requested))


def metric_p(metric: str) -> float:
    """The L^p exponent of a metric column: l1 → 1, l2 → 2, linf* → ∞."""
    base = metric.split("_")[0]
    return {"l1": 1.0, "l2": 2.0, "linf": math.inf}[base]
