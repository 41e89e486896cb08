"""Analysis of a run: the minimax estimator (arXiv:2205.13531, eq. 5) with honest
selection, bootstrap intervals, rate fits against the theory, the Monte-Carlo L∞ against
the exact/certified sup (how much the sampled max underestimated), the paper's figures
and a self-contained HTML report (of a robust experiment run too: E1/E2, docs/robust.md §6.4).
"""

from ._analysis import Analysis as Analysis
from ._analysis import AnalysisConfig as AnalysisConfig
from ._analysis import MinimaxEntry as MinimaxEntry
from ._analysis import analyze as analyze
from ._estimator import Estimate as Estimate
from ._estimator import minimax as minimax
from ._figures import FigureFile as FigureFile
from ._figureset import FigureSet as FigureSet
from ._figureset import make_figures as make_figures
from ._hat_figure import plot_hat as plot_hat
from ._sizes_figure import plot_construction_sizes as plot_construction_sizes
from ._rates import RateFit as RateFit
from ._rates import fit_power_law as fit_power_law
from ._rates import fit_rate as fit_rate
from ._rates import theory_slope as theory_slope
from ._report import render_html as render_html
from ._report import write_report as write_report
from ._robust_run_report import write_robust_run_report as write_robust_run_report
from ._table import RunData as RunData
from ._table import load_results as load_results
from ._underestimate import Underestimate as Underestimate
from ._underestimate import mc_underestimate as mc_underestimate

__all__ = [
    "Analysis",
    "AnalysisConfig",
    "Estimate",
    "FigureFile",
    "FigureSet",
    "plot_hat",
    "plot_construction_sizes",
    "MinimaxEntry",
    "RateFit",
    "RunData",
    "Underestimate",
    "analyze",
    "fit_power_law",
    "fit_rate",
    "load_results",
    "make_figures",
    "mc_underestimate",
    "minimax",
    "render_html",
    "theory_slope",
    "write_report",
    "write_robust_run_report",
]
