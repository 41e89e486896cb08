"""What a searched configuration is (no Ray here; Tune drives it in ``_ray_search``).

Configuration number i of a search (the order Tune creates its trials in; with ``include_default`` number 0 is the
base config's own values) is the learner configuration ``gd/search=<i>/<key>=<value>...``, one trial
``search-<i>__m<m>`` with every teacher and seed, its sampled values in the table's columns (the key
paths, e.g. ``student.lr``) beside ``search.index`` = i. A configuration the scheduler stopped early
has ``trials/<id>/stopped.json`` and ``search.stopped`` True in every row: it did not finish its
epochs, so the analysis does not take it for a finished learner configuration.

Objective reported at checkpoint j (``_search_config``; arXiv:2205.13531, eq. (5) with validation
selection)::

    J_j(A) = max_u mean_s min_{e <= e_j} val_metric(A, u, s, m, e),   diverged or missing = +inf
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from .._atomic import write_json_atomic
from ._config import ExperimentConfig, _set_path
from ._results import read_trial_rows
from ._spec import TrialSpec, checkpoint_epochs
from ._targets import n_targets
from ._trial import trial_dir

from ..analysis._trajectory import SEARCH_INDEX as INDEX_COLUMN
from ..analysis._trajectory import SEARCH_STOPPED as STOPPED_COLUMN

STOPPED_FILE = "stopped.json"


def plain(value: Any) -> Any:
    """A sampled value as a plain Python number (samplers may return numpy scalars)."""
    return value.item() if hasattr(value, "item") else value


def default_point(config: ExperimentConfig) -> dict[str, Any]:
    """The base config's own values of the searched keys (the untuned learner)."""
    raw = config.model_dump()
    point = {}
    for key in config.search.space:
        node = raw
        for part in key.split("."):
            node = node[part]
        point[key] = node
    return point


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def search_spec(config: ExperimentConfig, params: dict[str, Any], index: int) -> TrialSpec:
    """Configuration number ``index`` of the search with the sampled ``params`` as one trial."""
    params = {key: plain(params[key]) for key in config.search.space}
    raw = config.model_dump()
    raw["search"] = None
    for key, value in params.items():
        _set_path(raw, key, value)
    resolved = ExperimentConfig.model_validate(raw)
    m = resolved.n_samples[0]
    names = "/".join(f"{key.rsplit('.', 1)[-1]}={_short(v)}" for key, v in params.items())
    return TrialSpec(
        trial_id=f"search-{index:04d}__m{m}", config_id=f"gd/search={index}/{names}", learner="gd", m=m,
        teachers=tuple(range(n_targets(resolved))), seeds=tuple(resolved.seeds),
        swept={**params, INDEX_COLUMN: index}, config=resolved.model_dump(), teachers_dir="teachers",
        plan_index=index, checkpoints=checkpoint_epochs(resolved),
    )


def template_spec(config: ExperimentConfig) -> TrialSpec:
    """The base configuration as a trial (number 0): its teachers are the search's teachers."""
    return search_spec(config, default_point(config), 0)


def reserve_epochs(config: ExperimentConfig) -> int:
    """Epochs to expect of a configuration not sampled yet: the most the space allows."""
    dist = config.search.space.get("student.epochs")
    if dist is None:
        return config.student.epochs
    return int(max(dist.edges()))


def trial_name_of(index: int) -> str:
    """The Tune trial name of configuration number ``index``: ``search-3``."""
    return f"search-{index}"


def trial_index(trial_name: str) -> int:
    """The configuration number in a Tune trial name: ``search-3`` -> 3."""
    return int(str(trial_name).rsplit("-", 1)[-1])


def objective(rows: pd.DataFrame | None, metric: str) -> float:
    """J_j(A) over one trial's rows so far (module docstring; the one definition is
    :func:`uniformgap.analysis._estimator.validation_objective`). +inf before any row."""
    from ..analysis._estimator import validation_objective

    if rows is None or rows.empty:
        return math.inf
    return float(validation_objective(rows, metric).max())


def max_checkpoints(config: ExperimentConfig) -> int:
    """The most checkpoints a configuration has (the scheduler's ``max_t``, in checkpoints)."""
    k = config.evaluation.checkpoints
    return k if isinstance(k, int) else len(set(k))


def settle(run_dir: Path, spec: TrialSpec) -> None:
    """After Tune ended a trial without error: done when its rows reach the last checkpoint (the
    scheduler may stop a trial at its last report, before it wrote done.json — everything else
    of that checkpoint is saved before the report), else stopped early (``stopped.json``)."""
    tdir = trial_dir(run_dir, spec)
    if (tdir / "done.json").is_file():
        return
    rows = read_trial_rows(tdir)
    if rows is not None and not rows.empty and int(rows["epoch"].max()) >= spec.checkpoints[-1]:
        write_json_atomic(tdir / "done.json", {"trial_id": spec.trial_id, "finished": time.time()})
    else:
        write_json_atomic(tdir / STOPPED_FILE, {"stopped": time.time()})


def is_stopped(run_dir: Path, spec: TrialSpec) -> bool:
    return (Path(run_dir) / "trials" / spec.trial_id / STOPPED_FILE).is_file()


def with_stopped_column(table: pd.DataFrame, run_dir: Path, specs: list[TrialSpec]) -> pd.DataFrame:
    """The search table with ``search.stopped`` (True for every row of a stopped configuration),
    placed after ``search.index``."""
    stopped = {s.trial_id for s in specs if is_stopped(run_dir, s)}
    flag = table["trial_id"].isin(stopped).astype(bool)
    table = table.drop(columns=[STOPPED_COLUMN], errors="ignore")
    at = list(table.columns).index(INDEX_COLUMN) + 1 if INDEX_COLUMN in table.columns else len(table.columns)
    table.insert(at, STOPPED_COLUMN, flag)
    return table
