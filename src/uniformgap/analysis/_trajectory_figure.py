"""The figure of a hyperparameter search's trajectory (``_trajectory``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._figures import STYLE, FigureFile, save


def figure_search_trajectory(trajectory: pd.DataFrame, metric: str, out_dir: Path) -> FigureFile:
    """J(A) per configuration vs its number (finished: dots; stopped early: crosses) and the best
    finished J so far (a step line)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.0, 3.2), layout="constrained")
        for m, part in trajectory.groupby("n_samples"):
            done, cut = part[~part["stopped"]], part[part["stopped"]]
            line = ax.step(part["search_index"], part["best_so_far"], where="post", label=f"m={m}: best so far")[0]
            ax.plot(done["search_index"], done["objective"], "o", color=line.get_color(), ms=4,
                    label=f"m={m}: trained to the end")
            if len(cut):
                ax.plot(cut["search_index"], cut["objective"], "x", color=line.get_color(), ms=5,
                        label=f"m={m}: stopped early (ASHA)")
        finite = trajectory["objective"].to_numpy(dtype=float)
        if np.isfinite(finite).any() and (finite[np.isfinite(finite)] > 0).all():
            ax.set_yscale("log")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("configuration number (sampling order)")
        ax.set_ylabel(f"worst-teacher {metric} (validation selection)")
        ax.set_title("Hyperparameter search: J(A) = max_u mean_s min_e " + metric)
        ax.legend(frameon=False)
        data = {"search_index": trajectory["search_index"].tolist(), "best_so_far": trajectory["best_so_far"].tolist()}
        return save(fig, Path(out_dir), "search_trajectory",
                    f"Search trajectory: each configuration's worst-teacher validation error J(A) ({metric}; per run "
                    "its best checkpoint, seed mean, max over teachers) in sampling order, and the best J so far "
                    "among configurations that trained to the end (the candidates of eq. 5). Crosses: stopped "
                    "early by the scheduler, J over the checkpoints they reached.", data)
