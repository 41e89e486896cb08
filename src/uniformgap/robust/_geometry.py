"""Shared numerics of the constructions: validated point sets, l_p distances to a set,
and chunked evaluation of (huge, sparse) networks.

d_p(x, S) = min_{s ∈ S} ‖x − s‖_p (docs/robust.md §1), exact (the separation statistics'
nearest-neighbour search); f*(x) = (d_p(x,B) − d_p(x,A))/(d_p(x,A) + d_p(x,B)) (Prop. 3.2, §2).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._errors import InputError

_CHUNK_ENTRIES = 1 << 23  # ~64 MB of float64 per chunk: two busy cores, several processes


def check_point_sets(a, b) -> tuple[np.ndarray, np.ndarray]:
    """A and B as float64 (n, d) arrays: non-empty, same d, finite."""
    out = []
    for name, s in (("a", a), ("b", b)):
        try:
            arr = np.asarray(s, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"`{name}` must be a numeric (n, d) array, got {type(s).__name__}") from None
        if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
            raise InputError(f"`{name}` must be an (n, d) array with n, d >= 1, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise InputError(f"`{name}` must be finite, got NaN or inf entries")
        out.append(arr)
    if out[0].shape[1] != out[1].shape[1]:
        raise InputError(f"`a` and `b` must have the same dimension d, got {out[0].shape[1]} and {out[1].shape[1]}")
    return out[0], out[1]


def distance(x: np.ndarray, s: np.ndarray, p: float = math.inf) -> np.ndarray:
    """d_p(x_i, S) = min_j ‖x_i − s_j‖_p for p ∈ {2, ∞}, (n,): exact (:func:`robust._nearest.nearest`)."""
    from ._nearest import nearest

    return nearest(np.atleast_2d(x), np.atleast_2d(s), p=p)[0]


def linf_distance(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """d_∞(x_i, S), (n,)."""
    return distance(x, s, math.inf)


def f_star(x: np.ndarray, a: np.ndarray, b: np.ndarray, p: float = math.inf) -> np.ndarray:
    """f*(x) = (d_p(x,B) − d_p(x,A))/(d_p(x,A) + d_p(x,B)) (Prop. 3.2; docs/robust.md §2), (n,)."""
    da, db = distance(x, a, p), distance(x, b, p)
    return (db - da) / (da + db)


def evaluate_chunked(net, x: np.ndarray) -> np.ndarray:
    """net(x)[:, 0] in float64, in chunks sized so one hidden layer's activations stay ~64 MB."""
    width = max(net.architecture)
    step = max(1, _CHUNK_ENTRIES // width)
    out = np.empty(x.shape[0])
    with torch.no_grad():
        for i in range(0, x.shape[0], step):
            out[i : i + step] = net(torch.from_numpy(np.ascontiguousarray(x[i : i + step])))[:, 0].numpy()
    return out
