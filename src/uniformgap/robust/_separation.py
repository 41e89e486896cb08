"""Separation statistics of a labelled dataset (Yang et al. 2020; docs/robust.md §6.1).

train–train: r_i = min{‖x_i − x_j‖_p : y_j ≠ y_i} over the training points;
test–train: s_i = min{‖x'_i − x_j‖_p : y_j ≠ y'_i} over the training points, for each test point.
Both exact (float64 brute-force values, :func:`uniformgap.robust._nearest.nearest`), with the index
of the nearest point. Yang's filtering drops the K smallest r_i (duplicates / mislabelled pairs,
both ends counted) and is always reported next to the raw minimum, with the dropped indices.
Compared with a perturbation radius δ through c = 2δ/separation (ε = separation/2, δ = cε,
docs/robust.md §1): Prop. 3.2's classifier is robust for c < 1, Thm 2.2 assumes c < ½.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._errors import InputError
from ._datasets import Dataset
from ._nearest import nearest

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95)
NORMS = {"inf": math.inf, "2": 2.0}


def parse_norm(norm: object) -> str:
    """'inf' | '2' (also math.inf, 2): the name used in reports."""
    if isinstance(norm, (int, float)) and not isinstance(norm, bool):
        norm = "inf" if math.isinf(norm) else f"{norm:g}"
    if norm not in NORMS:
        raise InputError(f"`norm` must be 'inf' or '2', got {str(norm)!r} (e.g. --norm inf)")
    return str(norm)


@dataclass(frozen=True)
class SeparationReport:
    """Exact separation of ``dataset`` in ℓ_norm (docs/robust.md §6.1); see the module docstring.

    ``train_train[i]`` = r_i with nearest other-label training point ``train_train_index[i]``;
    ``test_train[i]`` = s_i with ``test_train_index[i]`` (an index into the training set);
    ``pair_min_train[a, b]`` = min over training points of classes a ≠ b, ``pair_min_test[a, b]``
    = min over test points of class a and training points of class b (NaN on the diagonal);
    ``dropped``: the ``drop`` training indices with the smallest r_i (Yang's filtering).
    """

    dataset: str
    norm: str
    class_names: tuple[str, ...]
    y_train: np.ndarray
    y_test: np.ndarray
    train_train: np.ndarray
    train_train_index: np.ndarray
    test_train: np.ndarray
    test_train_index: np.ndarray
    pair_min_train: np.ndarray
    pair_min_test: np.ndarray
    drop: int = 0
    delta: float | None = None
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_train(self) -> int:
        return len(self.train_train)

    @property
    def n_test(self) -> int:
        return len(self.test_train)

    @property
    def train_train_min(self) -> float:
        return float(self.train_train.min())

    @property
    def train_train_min_filtered(self) -> float:
        """The (drop+1)-th smallest r_i: the minimum after Yang's filtering."""
        return float(np.sort(self.train_train)[self.drop])

    @property
    def test_train_min(self) -> float:
        return float(self.test_train.min()) if self.n_test else math.nan

    def c(self, separation: float) -> float | None:
        """c = 2δ/separation (None without δ; inf for a zero separation and δ > 0)."""
        if self.delta is None:
            return None
        if separation == 0:
            return math.inf if self.delta > 0 else math.nan
        return 2 * self.delta / separation

    def closest_pairs(self, k: int, *, which: str = "train") -> list[dict]:
        """The k points with the smallest r_i (``which='train'``; a pair found from both ends is
        listed once) or s_i (``'test'``), each with its nearest other-label training point."""
        dist, index, labels = (
            (self.train_train, self.train_train_index, self.y_train)
            if which == "train"
            else (self.test_train, self.test_train_index, self.y_test)
        )
        pairs, seen = [], set()
        for i in np.argsort(dist, kind="stable"):
            j = int(index[i])
            key = (min(int(i), j), max(int(i), j)) if which == "train" else (int(i), j)
            if key in seen:
                continue
            seen.add(key)
            pairs.append(
                {
                    "index": int(i), "label": int(labels[i]), "neighbour": j,
                    "neighbour_label": int(self.y_train[j]), "distance": float(dist[i]),
                }
            )
            if len(pairs) == k:
                break
        return pairs

    def summary(self, values: np.ndarray) -> dict:
        if len(values) == 0:
            return {}
        out = {"min": float(values.min()), "mean": float(values.mean()), "max": float(values.max())}
        out.update({f"q{round(100 * q):02d}": float(v) for q, v in zip(QUANTILES, np.quantile(values, QUANTILES))})
        return out

    def to_dict(self, *, closest: int = 10) -> dict:
        out = {
            "dataset": self.dataset,
            "norm": self.norm,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "classes": list(self.class_names),
            "train_train_min": self.train_train_min,
            "test_train_min": self.test_train_min,
            "drop": self.drop,
            "train_train_min_filtered": self.train_train_min_filtered,
            "dropped_indices": [int(i) for i in self.dropped],
            "train_train": self.summary(self.train_train),
            "test_train": self.summary(self.test_train),
            "closest_train_pairs": self.closest_pairs(closest, which="train"),
            "closest_test_pairs": self.closest_pairs(closest, which="test"),
            "pair_min_train": _matrix(self.pair_min_train),
            "pair_min_test": _matrix(self.pair_min_test),
        }
        if self.delta is not None:
            out["delta"] = self.delta
            out["c_train_train"] = self.c(self.train_train_min)
            out["c_train_train_filtered"] = self.c(self.train_train_min_filtered)
            out["c_test_train"] = self.c(self.test_train_min)
        return out


def _matrix(m: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(v) else float(v) for v in row] for row in m]


def check_drop(drop: object, n_train: int) -> int:
    if isinstance(drop, bool) or not isinstance(drop, (int, np.integer)) or not 0 <= drop < n_train:
        raise InputError(
            f"`drop` must be an integer in [0, n_train) = [0, {n_train}), got {drop!r} (e.g. --drop 4)"
        )
    return int(drop)


def check_delta(delta: object) -> float | None:
    if delta is None:
        return None
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not (0 <= delta < math.inf):
        raise InputError(f"`delta` must be a finite number >= 0, got {delta!r} (e.g. --delta 0.1)")
    return float(delta)


def separation(
    data: Dataset,
    *,
    norm: object = "inf",
    drop: int = 0,
    delta: float | None = None,
    tick: Callable[[int], None] | None = None,
) -> SeparationReport:
    """Exact train–train and test–train separation of ``data`` in ℓ∞ (default) or ℓ2.

    ``drop``: Yang's filtering (the ``drop`` smallest r_i removed, reported next to the raw
    minimum); ``delta``: a perturbation radius to report c = 2δ/separation for; ``tick(n)``:
    progress, called with the number of points finished (n_train + n_test in total, then the
    class-pair minima, one tick per class pair).
    """
    name = parse_norm(norm)
    p = NORMS[name]
    x, y, xt, yt = data.x_train, data.y_train, data.x_test, data.y_test
    classes = np.unique(y)
    if len(classes) < 2:
        raise InputError(
            f"`data` must have at least 2 classes in the training set, got only class {data.class_names[classes[0]]!r}"
            f" in {data.name!r}"
        )
    drop, delta = check_drop(drop, len(x)), check_delta(delta)
    C = len(data.class_names)
    r, r_idx = _to_other(x, y, x, y, p, tick)
    s, s_idx = _to_other(xt, yt, x, y, p, tick)
    pair_train = _pair_minima(x, y, x, y, r, r_idx, p, C, symmetric=True, tick=tick)
    pair_test = _pair_minima(xt, yt, x, y, s, s_idx, p, C, symmetric=False, tick=tick)
    return SeparationReport(
        dataset=data.name, norm=name, class_names=data.class_names, y_train=y, y_test=yt,
        train_train=r, train_train_index=r_idx, test_train=s, test_train_index=s_idx,
        pair_min_train=pair_train, pair_min_test=pair_test, drop=drop, delta=delta,
        dropped=np.argsort(r, kind="stable")[:drop].astype(np.int64),
    )


def _to_other(xq, yq, xr, yr, p, tick) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the nearest reference with another label (global reference indices)."""
    dist = np.full(len(xq), math.inf)
    index = np.full(len(xq), -1, dtype=np.int64)
    for c in np.unique(yq):
        rows, others = np.flatnonzero(yq == c), np.flatnonzero(yr != c)
        d, j = nearest(xq[rows], xr[others], p=p, tick=tick)
        found = j >= 0
        dist[rows[found]] = d[found]
        index[rows[found]] = others[j[found]]
    return dist, index


def _pair_minima(xq, yq, xr, yr, dist, index, p, C, *, symmetric, tick) -> np.ndarray:
    """M[a, b] = min over queries of class a and references of class b ≠ a. The nearest-neighbour
    results bound each entry from above (a real pair); only queries with d_i < M[a, b] can improve
    it (their distance to class b is ≥ d_i), and only those are searched."""
    M = np.full((C, C), math.inf)
    has = index >= 0
    np.minimum.at(M, (yq[has], yr[index[has]]), dist[has])
    if symmetric:
        M = np.minimum(M, M.T)
    for a in range(C):
        for b in range(C):
            if a == b or (symmetric and b < a):
                continue
            q, ref = xq[(yq == a) & (dist < M[a, b])], xr[yr == b]
            if len(q) and len(ref):
                M[a, b] = min(M[a, b], float(nearest(q, ref, p=p, upper=M[a, b])[0].min()))
            if tick is not None:
                tick(1)
    if symmetric:
        M = np.minimum(M, M.T)
    M[np.isinf(M)] = math.nan  # a class missing from one side: no pair
    np.fill_diagonal(M, math.nan)
    return M
