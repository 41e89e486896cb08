"""The input cube [lo, hi]^d, validated once for every API that takes ``domain=(lo, hi)``.

Theory is stated on [0, 1]^d; the experiments use [-1/2, 1/2]^d (docs/theory.md: every
statement holds verbatim after translation).
"""

from __future__ import annotations

import math
from typing import Any

from ._errors import InputError


def check_domain(domain: Any) -> tuple[float, float]:
    """``(lo, hi)`` as floats, or :class:`InputError` unless both are finite with lo < hi."""
    try:
        lo, hi = (float(v) for v in domain)
    except (TypeError, ValueError):
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InputError(
            f"`domain` must be a pair (lo, hi) of finite numbers with lo < hi, got {domain!r} (e.g. (-0.5, 0.5))"
        )
    return lo, hi
