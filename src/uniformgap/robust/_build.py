"""Layer-by-layer assembly of sparse ReLU networks from "values" (docs/robust.md §3, §4).

A *value* is a ±1-combination of neurons of the current layer, absorbed into the next layer's
weights: ``[(ids, sign), ...]`` where ``ids`` is an int array (G,) — the same value in G
independent groups (one per data point, one per hat), so every operation is vectorised over G.
The tree rules of docs/robust.md §3:

    max pair (a, b) → ReLU(a − b), ReLU(b);     value ReLU(a − b) + ReLU(b) = max(a, b)   (a, b ≥ 0)
    min pair (a, b) → ReLU(a), ReLU(a − b);     value ReLU(a) − ReLU(a − b) = min(a, b)   (a, b ≥ 0)
    carry a         → each neuron n of a copied as ReLU(n) (n ≥ 0), same signs.

A pair costs |a| + 2|b| non-zero weights, a carry |a| (|·| = neurons in the value).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

Value = list[tuple[np.ndarray, float]]  # [(neuron ids (G,), sign ±1), ...]
Term = tuple[np.ndarray, np.ndarray | float]  # (previous-layer ids (G,), coefficient(s))


class LayerBuilder:
    """Accumulates the COO triplets and biases of one affine layer; neurons are added in blocks of G."""

    def __init__(self, n_in: int):
        self.n_in = n_in
        self.n = 0
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._bias: list[np.ndarray] = []

    def neurons(self, terms: Sequence[Term], bias: np.ndarray | float = 0.0, *, G: int | None = None) -> np.ndarray:
        """Add G neurons ReLU(Σ_terms coef·h[ids] + bias) (one per group); returns their ids (G,)."""
        G = len(terms[0][0]) if G is None else G
        ids = np.arange(self.n, self.n + G, dtype=np.int64)
        self.n += G
        for cols, coef in terms:
            self._rows.append(ids)
            self._cols.append(np.asarray(cols, dtype=np.int64))
            self._vals.append(np.broadcast_to(np.asarray(coef, dtype=np.float64), (G,)))
        self._bias.append(np.broadcast_to(np.asarray(bias, dtype=np.float64), (G,)))
        return ids

    def row(self, cols: np.ndarray, coefs: np.ndarray, bias: float = 0.0) -> int:
        """Add one neuron with the given (cols, coefs) (e.g. the output Σ_v F(v)Λ_v); returns its id."""
        i = self.n
        self.n += 1
        self._rows.append(np.full(len(cols), i, dtype=np.int64))
        self._cols.append(np.asarray(cols, dtype=np.int64))
        self._vals.append(np.asarray(coefs, dtype=np.float64))
        self._bias.append(np.array([bias], dtype=np.float64))
        return i

    def finish(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """(W CSR (n, n_in), b (n,)); zero coefficients are dropped (the size counts non-zeros)."""
        cat = lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.empty(0, dt)  # noqa: E731
        rows, cols, vals = cat(self._rows, np.int64), cat(self._cols, np.int64), cat(self._vals, np.float64)
        keep = vals != 0.0
        W = sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(self.n, self.n_in))
        if W.nnz != int(keep.sum()):  # the constructions never combine a neuron twice
            raise AssertionError("a layer repeats a (row, col) pair: construction bug")
        return W, cat(self._bias, np.float64)


def terms(value: Value, coef: float = 1.0) -> list[Term]:
    """The value's neurons with coefficient ``coef`` × sign."""
    return [(ids, coef * s) for ids, s in value]


def carry(layer: LayerBuilder, a: Value) -> Value:
    return [(layer.neurons([(ids, 1.0)]), s) for ids, s in a]


def max_pair(layer: LayerBuilder, a: Value, b: Value) -> Value:
    """max(a, b) = ReLU(a − b) + ReLU(b) for a, b ≥ 0 (docs/robust.md §3, step 2)."""
    return [(layer.neurons(terms(a) + terms(b, -1.0)), 1.0), (layer.neurons(terms(b)), 1.0)]


def min_pair(layer: LayerBuilder, a: Value, b: Value) -> Value:
    """min(a, b) = ReLU(a) − ReLU(a − b) for a, b ≥ 0 (docs/robust.md §3, step 3)."""
    return [(layer.neurons(terms(a)), 1.0), (layer.neurons(terms(a) + terms(b, -1.0)), -1.0)]


def tree_level(layer: LayerBuilder, values: list[Value], pair) -> list[Value]:
    """One level of a pairwise tree: (a_1, a_2), (a_3, a_4), ...; an odd last element is carried."""
    out = [pair(layer, values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
    if len(values) % 2:
        out.append(carry(layer, values[-1]))
    return out
