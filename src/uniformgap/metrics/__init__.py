"""Error metrics: Monte-Carlo L^p errors and per-network (exact / certified) sup errors."""

from ._registry import NETWORK_METRICS as NETWORK_METRICS
from ._montecarlo import MC_METRICS as MC_METRICS
from ._montecarlo import mc_errors as mc_errors
from ._montecarlo import mc_points as mc_points
from ._exact1d import PiecewiseLinear as PiecewiseLinear
from ._exact1d import SupResult as SupResult
from ._exact1d import breakpoints_1d as breakpoints_1d
from ._exact1d import sup_error_exact_1d as sup_error_exact_1d
from ._exact1d import LpResult as LpResult
from ._exact1d import lp_error_exact_1d as lp_error_exact_1d
from ._bracket import SupBracket as SupBracket
from ._bracket import sup_error_bracket as sup_error_bracket
from ._attack import AttackResult as AttackResult
from ._attack import regression_attack as regression_attack

__all__ = [
    "NETWORK_METRICS",
    "MC_METRICS",
    "mc_errors",
    "mc_points",
    "PiecewiseLinear",
    "SupResult",
    "breakpoints_1d",
    "sup_error_exact_1d",
    "LpResult",
    "lp_error_exact_1d",
    "SupBracket",
    "sup_error_bracket",
    "AttackResult",
    "regression_attack",
]
