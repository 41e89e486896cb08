"""Per-network metrics: computed from a (student, target) pair of networks, not from samples.

Monte-Carlo metrics (l1, l2, linf, ...) are computed from shared test points by
:mod:`uniformgap.metrics._montecarlo`. The metrics here need the networks themselves —
e.g. the exact sup error in 1-D or a certified bracket in low dimension — and are
listed explicitly by name so a config can ask for them.

Signature: ``metric(student, target, domain=(lo, hi), budget_s=float) -> dict[column, value]``
where student and target are :class:`uniformgap.networks.ReLUNetwork` with the same input
dimension; the returned columns are added to the results table (e.g. {"linf_exact": ...}).
"""

from __future__ import annotations

from collections.abc import Callable

from ._bracket import linf_bracket
from ._exact1d import l1_exact, l2_exact, linf_exact

NetworkMetric = Callable[..., dict[str, float]]

# name -> metric; filled in by the sup-error module (issue 5).
NETWORK_METRICS: dict[str, NetworkMetric] = {
    "linf_exact": linf_exact,  # d = 1: {"linf_exact": exact sup error}
    "l1_exact": l1_exact,  # d = 1: {"l1_exact": exact L^1 error, segment integrals}
    "l2_exact": l2_exact,  # d = 1: {"l2_exact": exact L^2 error, segment integrals}
    "linf_bracket": linf_bracket,  # d >= 2: {"linf_lower": .., "linf_upper": ..} within budget_s
}
