"""The theory as software: bounds, hat-network constructions, Lipschitz bounds.

Berner, Grohs, Voigtlaender, arXiv:2205.13531; formulas as restated in docs/theory.md.
"""

from ._class import NetworkClass as NetworkClass
from ._hat import HatNetwork as HatNetwork
from ._hat import HatVerificationError as HatVerificationError
from ._hat import hat_function as hat_function
from ._hat import hat_network as hat_network
from ._lipschitz import layer_operator_norms as layer_operator_norms
from ._lipschitz import lipschitz_bound as lipschitz_bound
from ._lipschitz import log10_lipschitz_bound as log10_lipschitz_bound
from ._bounds import derived_lower_applicability as derived_lower_applicability
from ._bounds import derived_lower_error as derived_lower_error
from ._bounds import derived_lower_error_closed as derived_lower_error_closed
from ._bounds import derived_lower_log10_error as derived_lower_log10_error
from ._bounds import derived_lower_log10_error_closed as derived_lower_log10_error_closed
from ._bounds import derived_lower_log10_samples as derived_lower_log10_samples
from ._bounds import derived_lower_log10_samples_optimised as derived_lower_log10_samples_optimised
from ._bounds import derived_upper_error as derived_upper_error
from ._bounds import derived_upper_log10_error as derived_upper_log10_error
from ._bounds import derived_upper_log10_samples as derived_upper_log10_samples
from ._bounds import l2_learning_log10_error as l2_learning_log10_error
from ._bounds import l2_learning_log10_samples as l2_learning_log10_samples
from ._bounds import linear_space_samples as linear_space_samples
from ._bounds import log10_C as log10_C
from ._bounds import log10_sup_bound as log10_sup_bound
from ._bounds import paper_applicability as paper_applicability
from ._bounds import paper_lower_log10_error as paper_lower_log10_error
from ._bounds import paper_lower_log10_samples as paper_lower_log10_samples
from ._bounds import paper_upper_log10_error as paper_upper_log10_error
from ._bounds import paper_upper_log10_samples as paper_upper_log10_samples
from ._sweep import BoundsReport as BoundsReport
from ._sweep import BoundsSweep as BoundsSweep
from ._sweep import bounds_sweep as bounds_sweep
from ._sweep import plot_bounds_sweep as plot_bounds_sweep

__all__ = [
    "NetworkClass",
    "HatNetwork",
    "HatVerificationError",
    "hat_function",
    "hat_network",
    "layer_operator_norms",
    "lipschitz_bound",
    "log10_lipschitz_bound",
    "derived_lower_applicability",
    "derived_lower_error",
    "derived_lower_error_closed",
    "derived_lower_log10_error",
    "derived_lower_log10_error_closed",
    "derived_lower_log10_samples",
    "derived_lower_log10_samples_optimised",
    "derived_upper_error",
    "derived_upper_log10_error",
    "derived_upper_log10_samples",
    "l2_learning_log10_error",
    "l2_learning_log10_samples",
    "linear_space_samples",
    "log10_C",
    "log10_sup_bound",
    "paper_applicability",
    "paper_lower_log10_error",
    "paper_lower_log10_samples",
    "paper_upper_log10_error",
    "paper_upper_log10_samples",
    "BoundsReport",
    "BoundsSweep",
    "bounds_sweep",
    "plot_bounds_sweep",
]
