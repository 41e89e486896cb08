"""The trajectory of a hyperparameter search (a run with ``search:``; experiments._search).

One row per configuration A in sampling order (``search.index``): its criterion J(A) of eq. (5)
under validation selection (``_estimator.validation_objective``: max over teachers of the seed
mean of each run's best validation error), whether the scheduler stopped it early, and the best
J so far over the configurations that trained to the end — the candidates of eq. (5). A stopped
configuration's J is over the checkpoints it reached (an upper estimate of what it would have had).
"""

from __future__ import annotations

import math

import pandas as pd

from ._estimator import validation_objective

# A search run's columns: the configuration's number, and whether the scheduler stopped it early.
SEARCH_INDEX, SEARCH_STOPPED = "search.index", "search.stopped"
COLUMNS = ["search_index", "config_id", "n_samples", "objective", "stopped", "best_so_far", "last_epoch"]


def search_trajectory(table: pd.DataFrame, metric: str = "val_l2") -> pd.DataFrame:
    """The search trajectory of ``table`` (every row, stopped configurations included) for the
    validation column ``metric``; columns :data:`COLUMNS`."""
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    objective = validation_objective(table, metric)
    stopped = table[SEARCH_STOPPED] if SEARCH_STOPPED in table.columns else pd.Series(False, index=table.index)
    per = table.assign(_stopped=stopped.astype(bool)).groupby(["n_samples", "config_id"], sort=False).agg(
        search_index=(SEARCH_INDEX, "min"), stopped=("_stopped", "any"), last_epoch=("epoch", "max"))
    per["objective"] = objective.reindex(per.index).to_numpy(dtype=float)
    out = per.reset_index().sort_values(["n_samples", "search_index"], kind="mergesort").reset_index(drop=True)
    finished = out["objective"].where(~out["stopped"], math.inf)
    out["best_so_far"] = finished.groupby(out["n_samples"]).cummin().replace(math.inf, math.nan)
    out["search_index"] = out["search_index"].astype(int)
    out["last_epoch"] = out["last_epoch"].astype(int)
    return out[COLUMNS]
