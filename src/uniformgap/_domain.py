"""The input cube [lo, hi]^d (or a box ∏ [lo_i, hi_i]), validated by one rule for every API and
the CLI: lo and hi finite numbers with lo < hi, optionally inside [-bound, bound].

Theory is stated on [0, 1]^d; the experiments use [-1/2, 1/2]^d (docs/theory.md: every
statement holds verbatim after translation).
"""

from __future__ import annotations

import math
from typing import Any

from ._errors import InputError


def domain_pair(domain: Any, bound: float = math.inf) -> tuple[float, float] | None:
    """``(lo, hi)`` as floats when ``domain`` is a pair of numbers with -bound <= lo < hi <= bound,
    both finite; else None. The one rule that every domain check below applies."""
    try:
        lo, hi = (float(v) for v in domain)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lo) and math.isfinite(hi) and -bound <= lo < hi <= bound):
        return None
    return lo, hi


def check_domain(
    domain: Any, *, name: str = "domain", bound: float = math.inf, example: str = "(-0.5, 0.5)"
) -> tuple[float, float]:
    """``(lo, hi)`` of the cube [lo, hi]^d, or :class:`InputError` naming ``name`` (rule: :func:`domain_pair`)."""
    pair = domain_pair(domain, bound)
    if pair is None:
        allowed = (f"a pair (lo, hi) with -{bound:g} <= lo < hi <= {bound:g}" if math.isfinite(bound)
                   else "a pair (lo, hi) of finite numbers with lo < hi")
        raise InputError(f"`{name}` must be {allowed}, got {domain!r} (e.g. {example})")
    return pair


def check_box(domain: Any, d: int) -> tuple["np.ndarray", "np.ndarray"]:  # noqa: F821
    """``domain`` = (lo, hi), scalars or length-d sequences, as float64 (d,) arrays: the box
    ∏_i [lo_i, hi_i], each coordinate under the rule of :func:`domain_pair`."""
    import numpy as np  # here, not at import: the CLI's argparse types use this module

    try:
        lo, hi = domain
        lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), (d,)).copy()
        hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), (d,)).copy()
    except (TypeError, ValueError):
        raise InputError(
            f"`domain` must be a pair (lo, hi) of numbers or of length-{d} sequences with lo < hi, "
            f"got {domain!r} (e.g. domain=(-0.5, 0.5))"
        ) from None
    if any(domain_pair((a, b)) is None for a, b in zip(lo, hi)):
        raise InputError(
            f"`domain` must have finite lo < hi in every coordinate, got {_fmt_domain(domain)} "
            "(e.g. domain=(-0.5, 0.5))"
        )
    return lo, hi


def _fmt_domain(domain: Any) -> str:
    from collections.abc import Sequence

    import numpy as np

    lo, hi = domain
    as_list = lambda v: list(v) if isinstance(v, Sequence | np.ndarray) else v  # noqa: E731
    return f"({as_list(lo)!r}, {as_list(hi)!r})"
