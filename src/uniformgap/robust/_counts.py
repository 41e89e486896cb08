"""Exact sizes of the constructions C1, C2 and the subspace network, from formulas alone.

docs/robust.md §3 ("Counts"), §4 ("Counts") and §5.2 ("Subspace network"). These functions
never build a network: the constructions compare what they built against them, and
``uniformgap robust sizes`` prints them where building is unaffordable. Huge counts are
returned as Python ints (exact) together with their log10.

Notation: ⌈log2 1⌉ = 0; pop(m) = number of 1-bits of m; tz(m) = trailing zero bits of m;
K(m) = ⌈log2 m⌉ − pop(m − 1), the carries in the pairwise tree over m leaves.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .._errors import InputError


def ceil_log2(m: int) -> int:
    """⌈log2 m⌉ for m ≥ 1 (⌈log2 1⌉ = 0), exact for any int."""
    return (m - 1).bit_length()


def pop(m: int) -> int:
    """Number of 1-bits of m ≥ 0."""
    return bin(m).count("1")


def tz(m: int) -> int:
    """Trailing zero bits of m ≥ 1."""
    return (m & -m).bit_length() - 1


def carries(m: int) -> int:
    """K(m) = ⌈log2 m⌉ − pop(m − 1): carried elements over the levels of an m-leaf pairwise tree."""
    return ceil_log2(m) - pop(m - 1)


@dataclass(frozen=True)
class NetworkCounts:
    """Sizes of a construction (docs/robust.md §1): widths n_0..n_L, depth L, Σ nnz(W_ℓ), Σ nnz(b_ℓ),
    dense weights Σ n_{ℓ-1}n_ℓ and dense total Σ (n_{ℓ-1}+1)n_ℓ."""

    construction: str
    widths: tuple[int, ...]
    depth: int
    nnz_weights: int
    nnz_biases: int
    dense_weights: int
    dense_total: int

    @property
    def log10_nnz_weights(self) -> float:
        return log10_int(self.nnz_weights)

    @property
    def log10_dense_weights(self) -> float:
        return log10_int(self.dense_weights)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["widths"] = list(self.widths)
        out["log10_nnz_weights"] = self.log10_nnz_weights
        out["log10_dense_weights"] = self.log10_dense_weights
        return out


def log10_int(n: int) -> float:
    """log10 of a (possibly huge) positive int without converting it to float."""
    if n <= 0:
        return -math.inf
    digits = len(str(n)) if n > 10**300 else 0
    if digits:
        return digits - 17 + math.log10(int(str(n)[:17]))
    return math.log10(n)


def _dense(widths: tuple[int, ...]) -> tuple[int, int]:
    pairs = list(zip(widths[:-1], widths[1:]))
    return sum(a * b for a, b in pairs), sum((a + 1) * b for a, b in pairs)


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"`{name}` must be an integer >= {minimum}, got {value!r}")
    return value


# -- C1 (docs/robust.md §3) --------------------------------------------------------------------
def c1_counts(n_a: int, n_b: int, d: int, *, nonzero_coords: int | None = None) -> NetworkCounts:
    """Sizes of C1 (the exact l∞ nearest-neighbour network of Thm 2.2) for |A| = n_a, |B| = n_b in R^d.

    docs/robust.md §3: N = |A| + |B|, T = ⌈log2 max(|A|, |B|)⌉,
    depth L = 1 + ⌈log2 d⌉ + T + 1; widths n_1 = 2Nd, max level ℓ: 2N⌈d/2^ℓ⌉,
    min level ℓ: 2(⌈|A|/2^ℓ⌉ + ⌈|B|/2^ℓ⌉), output 1;
    nnz(W) = 8Nd + 2N·K(d) + 2(2T − pop(|A|−1) − pop(|B|−1)) − 8;
    nnz(b) = 2·#{(p, j): p_j ≠ 0} (``nonzero_coords``; without it the bound 2Nd is returned).
    """
    n_a, n_b, d = _check_int("n_a", n_a, 1), _check_int("n_b", n_b, 1), _check_int("d", d, 1)
    N = n_a + n_b
    T = ceil_log2(max(n_a, n_b))
    widths = [d, 2 * N * d]
    widths += [2 * N * -(-d // 2**ell) for ell in range(1, ceil_log2(d) + 1)]
    widths += [2 * (-(-n_a // 2**ell) + -(-n_b // 2**ell)) for ell in range(1, T + 1)]
    widths.append(1)
    nnz_w = 8 * N * d + 2 * N * carries(d) + 2 * (2 * T - pop(n_a - 1) - pop(n_b - 1)) - 8
    nnz_b = 2 * N * d if nonzero_coords is None else 2 * _check_int("nonzero_coords", nonzero_coords, 0)
    dense_w, dense_t = _dense(tuple(widths))
    return NetworkCounts("C1", tuple(widths), 1 + ceil_log2(d) + T + 1, nnz_w, nnz_b, dense_w, dense_t)


# -- C2 (docs/robust.md §4) and the subspace network (§5.2) --------------------------------------
def tree_cost(d: int) -> int:
    """C(d): non-zero weights of one max tree over d single-neuron leaves (pair |a| + 2|b|, carry |a|).

    docs/robust.md §4: C(1) = 0; d even: (9d − 12)/2 + 2K(d); d odd ≥ 3: (9d − 13)/2 + 2K(d) − tz(d − 1).
    """
    d = _check_int("d", d, 1)
    if d == 1:
        return 0
    if d % 2 == 0:
        return (9 * d - 12) // 2 + 2 * carries(d)
    return (9 * d - 13) // 2 + 2 * carries(d) - tz(d - 1)


def per_hat(d: int) -> int:
    """Non-zero weights per hat: 4d + 2C(d) + 5 for d ≥ 2, 7 for d = 1 (docs/robust.md §4)."""
    return 7 if _check_int("d", d, 1) == 1 else 4 * d + 2 * tree_cost(d) + 5


def grid_intervals(eps: float, c: float, *, d: int, p: float = math.inf, width: float = 1.0) -> int:
    """n, the grid intervals per axis that make C2's margin hold (docs/robust.md §4, §5.2).

    |I_h f* − f*| ≤ s·h/ε with s = 1 (p = ∞) or √d (p = 2) and h = width/n; the guarantee needs
    s·h/ε < 1 − c, hence n = ⌊s·width/((1 − c)ε)⌋ + 1 (width = 1 for [0,1]^d; 2a for [−a, a]^m).
    """
    s = 1.0 if math.isinf(p) else math.sqrt(d)
    return math.floor(s * width / ((1.0 - c) * eps)) + 1


def c2_counts(d: int, n: int, *, hats: int | None = None, first_layer_nnz: int | None = None,
              first_layer_bias_nnz: int | None = None, hat_bias_nnz: int | None = None) -> NetworkCounts:
    """Sizes of C2 (grid interpolation, Thm 3.3) with n intervals per axis in dimension d.

    docs/robust.md §4: H ≤ (n+1)^d hats (``hats`` when hats with F(v) = 0 were dropped); depth
    ⌈log2 d⌉ + 4; widths d, 2d, 2dH, then two max trees per hat (level ℓ: 2H·w_ℓ with w_ℓ the
    neurons of one tree), H, 1; nnz(W) = 2d + H·(per hat) (the first layer's 2d becomes
    ``first_layer_nnz`` = 2·nnz(V) for the subspace network, §5.2); nnz(b) = ``first_layer_bias_nnz``
    (d for lo = 0, the c¹ biases) + H (the Λ biases) + 2·#{(v, k): v_k ≠ lo} (``hat_bias_nnz``;
    default 2dn(n+1)^{d−1}, all hats kept).
    """
    d, n = _check_int("d", d, 1), _check_int("n", n, 1)
    full = (n + 1) ** d
    H = full if hats is None else _check_int("hats", hats, 0)
    widths = [d, 2 * d, 2 * d * H]
    for w in _tree_widths(d):
        widths.append(2 * H * w)
    widths += [H, 1]
    first = 2 * d if first_layer_nnz is None else first_layer_nnz
    nnz_w = first + H * per_hat(d)
    b1 = d if first_layer_bias_nnz is None else first_layer_bias_nnz
    hb = 2 * d * n * (n + 1) ** (d - 1) if hat_bias_nnz is None else hat_bias_nnz
    dense_w, dense_t = _dense(tuple(widths))
    return NetworkCounts("C2", tuple(widths), ceil_log2(d) + 4, nnz_w, b1 + H + hb, dense_w, dense_t)


def _tree_widths(d: int) -> list[int]:
    """Neurons per level ℓ = 1..⌈log2 d⌉ of one max tree over d single-neuron leaves:
    2⌈d/2^ℓ⌉ − [d ≡ 1 mod 2^ℓ] (a pair makes 2 neurons; the last leaf stays one neuron while it
    is carried, i.e. while the level's count stays odd)."""
    return [2 * -(-d // 2**ell) - (d % 2**ell == 1) for ell in range(1, ceil_log2(d) + 1)]


def subspace_counts(d: int, m: int, n: int, nnz_v: int, *, hats: int | None = None) -> NetworkCounts:
    """Sizes of the subspace network (docs/robust.md §5.2): C2 in dimension m on y = Vᵀ(x − x₀).

    Size 2·nnz(V) + H(4m + 2C(m) + 5), H ≤ (n+1)^m; the input width is the ambient d.
    """
    base = c2_counts(m, n, hats=hats, first_layer_nnz=2 * _check_int("nnz_v", nnz_v, 1))
    widths = (d, *base.widths[1:])
    dense_w, dense_t = _dense(widths)
    return NetworkCounts("subspace", widths, base.depth, base.nnz_weights, base.nnz_biases, dense_w, dense_t)


def log10_c2_hats(d: int, n: int) -> float:
    """log10 (n+1)^d, the full grid's hat count, without forming the number."""
    return d * math.log10(n + 1)
