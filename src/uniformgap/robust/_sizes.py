"""Sizes of C1 and C2 against N and d: built and verified where affordable, exact formulas beyond.

docs/robust.md §3–§4 give the exact sizes; §7 lists what is only a rate. C1 (Thm 2.2) needs
8Nd + O(N log d) non-zero weights for N points in R^d, whatever δ < ε; C2 (Thm 3.3) needs
≈ (⌊1/((1−c)ε)⌋ + 2)^d hats, exponential in d. The paper's statements are rates with unknown
constants; :func:`rate_curves` gives their *shapes* (log10 up to an additive constant), which a
figure may draw through a reference point, labelled as rates.

C1 rows use N uniform random points in [0,1]^d (half in A), C2 rows the Theorem 4.3 instance
(docs/robust.md §5.1) with the same ε and c; a row is *built* (network constructed and verified)
when its formula size is at most ``max_build_nnz``, otherwise *formula* (exact counts, nothing built).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._errors import InputError
from ._counts import c1_counts, c2_counts, grid_intervals, log10_c2_hats, log10_int

# Build rows up to 10^6 non-zero weights by default: each takes seconds on one core.
DEFAULT_MAX_BUILD_NNZ = 10**6


@dataclass(frozen=True)
class SizeRow:
    construction: str  # "C1" | "C2"
    d: int
    N: int | None  # C1: points; C2: the instance's support size M = K^{d−1}
    eps: float | None  # C2 (C1 does not depend on ε)
    c: float | None
    n: int | None  # C2 intervals per axis
    log10_hats: float | None  # C2: log10 of the hats in the size (kept hats when built, (n+1)^d otherwise)
    nnz_weights: int  # built: measured; formula: exact count
    nnz_weights_formula: int
    log10_nnz_weights: float
    depth: int
    log10_dense_weights: float
    status: str  # "built+verified" | "formula" (+ a reason when a row could not be built)
    build_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SizeTable:
    rows: tuple[SizeRow, ...]
    dims: tuple[int, ...]
    n_points: tuple[int, ...]
    eps: float
    c: float
    max_build_nnz: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "dims": list(self.dims), "n_points": list(self.n_points), "eps": self.eps, "c": self.c,
            "max_build_nnz": self.max_build_nnz, "rows": [r.to_dict() for r in self.rows],
            "rates": rate_statements(),
        }


def rate_statements() -> dict[str, str]:
    """The paper's size statements, as rates (docs/robust.md §2, §7): never numbers."""
    return {
        "Thm 2.2 (upper, C1)": "O(N d log(d/delta) + N polylog(N/delta)) parameters; robust training error 0",
        "Thm 2.3 (lower)": "Omega(sqrt(N d)) parameters",
        "Thm 3.3 (upper, C2)": "O~(((1-c) eps)^(-d)) parameters; robust test error 0",
        "Thm 3.4 (lower)": "Omega((2 eps)^(-d/2) (d log(1/(2 eps)))^(-1/2)) parameters, clean error 0",
        "Thm 4.3 (lower)": "N_d = Omega((2 eps)^(-(d-1)/6)) parameters for robust error below C1 mu0",
    }


def rate_curves(d: np.ndarray, *, eps: float, c: float, N: float | None = None) -> dict[str, np.ndarray]:
    """log10 of each rate's shape at dimensions ``d`` (an unknown additive constant left out).

    Thm 3.3: −d·log10((1 − c)ε); Thm 3.4: −(d/2)·log10(2ε) − ½·log10(d·ln(1/(2ε)));
    Thm 4.3: −((d − 1)/6)·log10(2ε); Thm 2.2 (with N): log10(N·d·ln(d/δ)), δ = cε (the N·polylog term
    is dropped: lower order in d).
    """
    d = np.asarray(d, dtype=np.float64)
    out = {
        "Thm 3.3": -d * math.log10((1 - c) * eps),
        "Thm 3.4": -(d / 2) * math.log10(2 * eps) - 0.5 * np.log10(d * math.log(1 / (2 * eps))),
        "Thm 4.3": -((d - 1) / 6) * math.log10(2 * eps),
    }
    if N is not None:
        delta = c * eps
        out["Thm 2.2"] = np.log10(N * d * np.log(np.maximum(d / delta, math.e)))
    return out


def _check(dims, n_points, eps, c, max_build_nnz) -> None:
    if not dims or any(isinstance(d, bool) or not isinstance(d, int) or d < 2 for d in dims):
        raise InputError(f"`dims` must be integers >= 2, got {list(dims)!r} (e.g. --dims 2:8)")
    if not n_points or any(isinstance(n, bool) or not isinstance(n, int) or n < 2 for n in n_points):
        raise InputError(f"`n_points` must be integers >= 2 (half in A, half in B), got {list(n_points)!r} (e.g. --n-points 16,64,256)")
    if not (isinstance(eps, (int, float)) and 0 < eps <= 0.5):
        raise InputError(f"`eps` must be a number in (0, 0.5] (the Theorem 4.3 instance), got {eps!r} (e.g. --eps 0.25)")
    if not (isinstance(c, (int, float)) and 0 < c < 1):
        raise InputError(f"`c` must be a number in (0, 1), got {c!r} (e.g. --c 0.5)")
    if isinstance(max_build_nnz, bool) or not isinstance(max_build_nnz, int) or max_build_nnz < 0:
        raise InputError(f"`max_build_nnz` must be an integer >= 0, got {max_build_nnz!r}")


def size_table(dims: Sequence[int], n_points: Sequence[int], *, eps: float = 0.25, c: float = 0.5,
               max_build_nnz: int = DEFAULT_MAX_BUILD_NNZ, seed: int = 0, progress: bool = False) -> SizeTable:
    """C1 rows for every (d, N) and C2 rows for every d (ε, c fixed); see the module docstring."""
    from ._c1 import c1_network
    from ._c2 import c2_network
    from ._instances import theorem43_instance

    dims, n_points = tuple(dims), tuple(n_points)
    _check(dims, n_points, eps, c, max_build_nnz)
    jobs = [("C1", d, N) for N in n_points for d in dims] + [("C2", d, None) for d in dims]
    rows = []
    bar = _bar(len(jobs), progress)
    for kind, d, N in jobs:
        if kind == "C1":
            n_a = N // 2
            f = c1_counts(n_a, N - n_a, d)
            if f.nnz_weights <= max_build_nnz:
                rng = np.random.default_rng([seed, d, N])
                x = rng.random((N, d))
                t0 = time.perf_counter()
                res = c1_network(x[:n_a], x[n_a:], n_random=32, seed=seed)
                net, dt = res.network, time.perf_counter() - t0
                rows.append(_row("C1", d, N, None, None, None, None, net.nnz_weights, f.nnz_weights, net.depth,
                                 math.log10(net.dense_weights), "built+verified", dt))
            else:
                rows.append(_row("C1", d, N, None, None, None, None, f.nnz_weights, f.nnz_weights, f.depth,
                                 f.log10_dense_weights, "formula", None))
        else:
            n = grid_intervals(eps, c, d=d)
            f = c2_counts(d, n)
            K = math.floor(1 / (2 * eps))
            M = K ** (d - 1)
            if f.nnz_weights <= max_build_nnz:
                inst = theorem43_instance(d, eps, c, seed=seed)
                a, b = inst.support[inst.labels == 1], inst.support[inst.labels == -1]
                t0 = time.perf_counter()
                if len(a) and len(b):
                    res = c2_network(a, b, eps=eps, c=c, n_random=64, n_ball=4, seed=seed)
                    net, H, dt = res.network, res.hats, time.perf_counter() - t0
                    rows.append(_row("C2", d, M, eps, c, n, math.log10(H), net.nnz_weights, f.nnz_weights, net.depth,
                                     math.log10(net.dense_weights), "built+verified", dt))
                    bar.update(1)
                    continue
                why = "formula (the instance drew one class only)"
            else:
                why = "formula"
            rows.append(_row("C2", d, M, eps, c, n, log10_c2_hats(d, n), f.nnz_weights, f.nnz_weights, f.depth,
                             f.log10_dense_weights, why, None))
        bar.update(1)
    bar.close()
    return SizeTable(tuple(rows), dims, n_points, float(eps), float(c), max_build_nnz)


def _row(kind, d, N, eps, c, n, log10_hats, nnz, nnz_f, depth, log10_dense, status, dt) -> SizeRow:
    return SizeRow(kind, d, N, eps, c, n, log10_hats, nnz, nnz_f, log10_int(nnz), depth, log10_dense, status, dt)


def _bar(total: int, enabled: bool):
    import sys

    from tqdm.auto import tqdm

    return tqdm(total=total, desc="sizes", unit="row", file=sys.stderr, disable=not enabled or None, leave=False)
