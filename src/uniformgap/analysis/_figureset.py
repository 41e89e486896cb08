"""All figures of an :class:`~uniformgap.analysis.Analysis`, with notes for those skipped.

Figures 1 and 3 need the trained student; they use
``uniformgap.experiments.load_trained(run_dir, row) -> (target, student, x_train, y_train)``
and are skipped with a note when that function or the stored student is unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ._figures import (
    FigureFile,
    figure_error_vs_m,
    figure_heat_tables,
    figure_training_curves,
    figure_worst_case_line,
)
from ._worst import worst_case_row


@dataclass(frozen=True)
class FigureSet:
    files: tuple[FigureFile, ...]
    notes: tuple[str, ...]


def make_figures(analysis, out_dir: str | Path) -> FigureSet:
    """Figure 2, heat tables, a search's trajectory, training curves, and Figure 3 (or 1 for the
    sine target)."""
    out_dir = Path(out_dir)
    files, notes = [figure_error_vs_m(analysis, out_dir)], []
    files.extend(figure_heat_tables(analysis, out_dir))
    if analysis.run.search is not None and len(analysis.run.search):
        from ._trajectory_figure import figure_search_trajectory

        metric = (analysis.run.config.get("search") or {}).get("metric", "val_l2")
        files.append(figure_search_trajectory(analysis.run.search, metric, out_dir))
    curves = figure_training_curves(analysis, out_dir)
    if curves is None:
        notes.append("training curves skipped: the run has a single checkpoint per training")
    else:
        files.append(curves)
    sine = analysis.context.target_kind == "sine"
    label = "Figure 1 (sine target)" if sine else "Figure 3 (worst teacher vs best student)"
    from ..experiments import load_trained

    try:
        row = worst_case_row(analysis)
        target, student, x_train, y_train = load_trained(analysis.run.run_dir, row)
    except Exception as exc:  # a student not stored (save_students: none), a partial run, ...
        notes.append(f"{label} skipped: the trained student could not be loaded ({type(exc).__name__}: {exc})")
        return FigureSet(tuple(files), tuple(notes))
    x_train = x_train.detach().cpu().numpy() if hasattr(x_train, "detach") else np.asarray(x_train)
    if y_train is not None:
        y_train = y_train.detach().cpu().numpy() if hasattr(y_train, "detach") else np.asarray(y_train)
    title = (
        "Sine target vs trained student"
        if sine
        else f"Teacher {int(row['teacher'])} vs {row['config_id']} (seed {int(row['seed'])}, m = {int(row['n_samples'])})"
    )
    m = int(row["n_samples"])
    where = next((w for w in analysis.diagnostics.locations if w.n_samples == m), None)
    centre, note = None, None
    if where is not None:
        centre = np.array(where.argmax)
        note = (f"sup {where.sup:.3g} at x* ({where.source}), {where.distance:.2g} sample spacings from the nearest "
                f"sample, {'in' if where.in_largest_gaps else 'not in'} the largest gaps")
    files.append(
        figure_worst_case_line(
            target, student, x_train, y_train, analysis.context.domain, out_dir,
            name="fig1_sine" if sine else "fig3_worst_case", title=title, seed=analysis.config.seed,
            centre=centre, note=note,
        )
    )
    if x_train.reshape(len(x_train), -1).shape[1] > 1:  # the paper's Figure 3 in d = 3: the diagonal
        files.append(
            figure_worst_case_line(
                target, student, x_train, y_train, analysis.context.domain, out_dir,
                name="fig3_diagonal", title=title, seed=analysis.config.seed, line="diagonal",
            )
        )
    return FigureSet(tuple(files), tuple(notes))
