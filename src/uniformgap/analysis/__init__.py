"""Analysis of a run: the minimax estimator (arXiv:2205.13531, eq. 5) with honest
selection, bootstrap intervals, rate fits against the theory, the Monte-Carlo L∞ against
the exact/certified sup (how much the sampled max underestimated), the paper's figures
and a self-contained HTML report.
"""

from ._analysis import Analysis as Analysis
from ._analysis import AnalysisConfig as AnalysisConfig
from ._analysis import MinimaxEntry as MinimaxEntry
from ._analysis import analyze as analyze
from ._bootstrap import percentile_interval as percentile_interval
from ._bootstrap import resample_indices as resample_indices
from ._context import RunContext as RunContext
from ._context import run_context as run_context
from ._estimator import Estimate as Estimate
from ._estimator import build_cubes as build_cubes
from ._estimator import minimax as minimax
from ._figures import FigureFile as FigureFile
from ._figures import figure_worst_case_line as figure_worst_case_line
from ._figureset import FigureSet as FigureSet
from ._figureset import make_figures as make_figures
from ._hat_figure import plot_hat as plot_hat
from ._sizes_figure import plot_construction_sizes as plot_construction_sizes
from ._rates import RateFit as RateFit
from ._rates import fit_power_law as fit_power_law
from ._rates import fit_rate as fit_rate
from ._rates import slope_t_interval as slope_t_interval
from ._rates import theory_slope as theory_slope
from ._report import render_html as render_html
from ._report import write_report as write_report
from ._synthetic import write_synthetic_run as write_synthetic_run
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
    "RunContext",
    "RunData",
    "Underestimate",
    "analyze",
    "build_cubes",
    "figure_worst_case_line",
    "fit_power_law",
    "fit_rate",
    "load_results",
    "make_figures",
    "mc_underestimate",
    "minimax",
    "percentile_interval",
    "render_html",
    "resample_indices",
    "run_context",
    "slope_t_interval",
    "theory_slope",
    "write_report",
    "write_synthetic_run",
]
