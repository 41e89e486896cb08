"""Sample-complexity bounds for learning H^q_{a,c} to accuracy ε in L^p, all in log10.

docs/theory.md §4–§8 (arXiv:2205.13531, Theorems 1.1, 1.4, 2.2, 2.4, A.5, Remark B.4).
Conventions: domain [0,1]^d; L^p w.r.t. the uniform probability measure, so an L^∞ error
bounds every L^p error; the lower bounds hold for every (adaptive, randomized) algorithm
using m point samples on average against U ⊃ u0 + c0·H^q_{a,c}; the upper bounds are for
U = H^q_{a,c} itself. Sample counts and errors grow like (c^L (3d)^{L-2})^d and overflow
float64, so every function returns log10 (d = 1000, L = 100 stays finite).

"paper" = the poster's formulas verbatim (Theorems 1.1/1.4, only q = p = ∞, every width 3d,
c0 = 1); "derived" = docs/theory.md's re-derivations (any q, p, widths, c0). Never mixed.
"""

from __future__ import annotations

import math

from .._errors import InputError
from ._class import NetworkClass

INF = math.inf
LOG10_2 = math.log10(2.0)
LOG10_ATOMS = 80.0  # atoms in the observable universe ≈ 1e80 (docs/theory.md §7)
# Above this, consecutive integers n are indistinguishable in float64: treat n as real.
_N_REAL = 1e15


# -- validation (once, at the public boundary) ---------------------------------------------
def _check_cls(cls: object) -> NetworkClass:
    if not isinstance(cls, NetworkClass):
        raise InputError(
            f"`cls` must be a NetworkClass, got {type(cls).__name__} "
            "(e.g. NetworkClass.create(d=15, L=5))"
        )
    return cls


def _check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value > 0
    ):
        raise InputError(f"`{name}` must be a number > 0, got {value!r}")
    return float(value)


def _check_p(p: object) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not p >= 1:
        raise InputError(f"`p` must be a number >= 1 or 'inf', got {p!r} (e.g. p=2 or p=math.inf)")
    return float(p)


def _check_m(m: object, minimum: float) -> float:
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not (
        math.isfinite(m) and m >= minimum
    ):
        raise InputError(f"`m` must be a number >= {minimum:g}, got {m!r}")
    return float(m)


def _inv(p: float) -> float:
    return 0.0 if math.isinf(p) else 1.0 / p


def _log10_one_minus(log10_x: float) -> float:
    """log10(1 − x) from log10 x; −inf once x ≥ 1 (the bracket (·)_+ is 0)."""
    if log10_x >= 0.0:
        return -INF
    return math.log10(-math.expm1(log10_x * math.log(10.0)))


def log10_C(d: int, p: float) -> float:
    """log10 C_{p,d}, C_{p,d} = (Γ(p+1)/Γ(p+d+1))^{1/p}, C_{∞,d} = 1 (docs/theory.md §2)."""
    if math.isinf(p):
        return 0.0
    return (math.lgamma(p + 1.0) - math.lgamma(p + d + 1.0)) / (p * math.log(10.0))


# -- applicability -------------------------------------------------------------------------
def _paper_violations(cls: NetworkClass, p: float, c0: float) -> list[str]:
    out = []
    if not math.isinf(cls.q):
        out.append(f"q = inf (got q = {cls.q:g})")
    if not math.isinf(p):
        out.append(f"p = inf (got p = {p:g})")
    if any(n != 3 * cls.d for n in cls.widths):
        out.append(f"every hidden width = 3d = {3 * cls.d} (got {','.join(map(str, cls.widths))})")
    if c0 != 1.0:
        out.append(f"c0 = 1 (got c0 = {c0:g})")
    return out


def paper_applicability(cls: NetworkClass, p: float = INF, c0: float = 1.0) -> str | None:
    """None if the poster's Theorems 1.1/1.4 apply verbatim, else the reason why not.

    They are stated for q = p = ∞, U ⊃ H^∞_{(d,3d,...,3d,1),c} with c0 = 1 (docs/theory.md §4, §5).
    """
    cls, p, c0 = _check_cls(cls), _check_p(p), _check_positive("c0", c0)
    reasons = _paper_violations(cls, p, c0)
    return "Theorems 1.1/1.4 (paper) need " + ", ".join(reasons) if reasons else None


def _hat_width(cls: NetworkClass) -> tuple[str, int]:
    """The hat network of docs/theory.md §3 needs N_1 ≥ 2d (q < ∞) or 2d + 1 (q = ∞: a constant neuron)."""
    if math.isinf(cls.q):
        return "2d+1", 2 * cls.d + 1
    return "2d", 2 * cls.d


def derived_lower_applicability(cls: NetworkClass) -> str | None:
    """None if the hat network of docs/theory.md §3 fits in the class (N_1 large enough), else why not."""
    rule, need = _hat_width(_check_cls(cls))
    if cls.widths[0] >= need:
        return None
    return (
        f"the derived lower bound needs first hidden width N_1 >= {rule} = {need} for its hat "
        f"network (docs/theory.md §3), got {cls.widths[0]}"
    )


def _require_paper(cls: NetworkClass, theorem: str) -> None:
    reasons = _paper_violations(cls, INF, 1.0)
    if reasons:
        raise InputError(
            f"`cls` must have {', '.join(reasons)} for {theorem} (paper); the derived bounds "
            "cover other classes"
        )


def _require_hat(cls: NetworkClass) -> None:
    rule, need = _hat_width(cls)
    if cls.widths[0] < need:
        raise InputError(
            f"`cls` must have first hidden width N_1 >= {rule} = {need} for the derived lower "
            f"bound (its hat network, docs/theory.md §3), got {cls.widths[0]}"
        )


# -- paper (poster) formulas -----------------------------------------------------------------
def paper_lower_log10_samples(cls: NetworkClass, eps: float) -> float:
    """Theorem 1.1 [poster]: log10 m ≥ d·(L·log10 c + (L−2)·log10(3d) − log10(29ε)).

    m ≥ c^{dL} (3d)^{d(L−2)} (29ε)^{−d} for any algorithm with sup_u E‖A(u)−u‖_{L^∞} ≤ ε
    (arXiv:2205.13531, Theorem 1.1; docs/theory.md §4). Only q = ∞, every width 3d.
    """
    cls, eps = _check_cls(cls), _check_positive("eps", eps)
    _require_paper(cls, "Theorem 1.1")
    d, L = cls.d, cls.L
    return d * (L * math.log10(cls.c) + (L - 2) * math.log10(3 * d) - math.log10(29.0 * eps))


def paper_upper_log10_samples(cls: NetworkClass, eps: float) -> float:
    """Theorem 1.4 [poster]: log10 m ≤ d·(L·log10 c + (L−2)·log10(3d) + log10(3d²/ε)).

    Piecewise-constant interpolation reaches sup_u ‖A(u)−u‖_{L^∞} ≤ ε with
    m ≤ c^{dL} (3d)^{d(L−2)} (3d²/ε)^d samples (arXiv:2205.13531, Theorem 1.4; docs/theory.md §5).
    """
    cls, eps = _check_cls(cls), _check_positive("eps", eps)
    _require_paper(cls, "Theorem 1.4")
    d, L = cls.d, cls.L
    return d * (L * math.log10(cls.c) + (L - 2) * math.log10(3 * d) + math.log10(3 * d * d / eps))


def paper_lower_log10_error(cls: NetworkClass, m: float) -> float:
    """Poster-form rate (docs/theory.md §6): err_m ≥ (γ/29)·m^{−1/d}, γ = c^L (3d)^{L−2}, m ≥ 1."""
    cls, m = _check_cls(cls), _check_m(m, 1.0)
    _require_paper(cls, "Theorem 1.1")
    return cls.log10_gamma - math.log10(29.0) - math.log10(m) / cls.d


def paper_upper_log10_error(cls: NetworkClass, m: float) -> float:
    """Poster-form rate (docs/theory.md §6): err_m ≤ 3d²γ·m^{−1/d}, m ≥ 1."""
    cls, m = _check_cls(cls), _check_m(m, 1.0)
    _require_paper(cls, "Theorem 1.4")
    return math.log10(3 * cls.d**2) + cls.log10_gamma - math.log10(m) / cls.d


# -- derived lower bounds (docs/theory.md §4) -----------------------------------------------------
def derived_lower_log10_samples(
    cls: NetworkClass, eps: float, *, p: float = INF, c0: float = 1.0
) -> float:
    """log10 m_LB, the closed-form inversion of Theorem A.5 (docs/theory.md §4 "Inversion"):

    log m_LB = −log 2 + dp/(d+p)·[log c0 + log γ̃_q + log C_{p,d} − (2 + d/p) log 2 − log ε],

    dp/(d+p) → d for p = ∞. Every algorithm with sup_u E‖A(u)−u‖_{L^p} ≤ ε and m ≥ 1 samples
    on average has m ≥ m_LB (the statement is empty when m_LB ≤ 1/2).
    """
    cls, eps, p = _check_cls(cls), _check_positive("eps", eps), _check_p(p)
    c0 = _check_positive("c0", c0)
    _require_hat(cls)
    d = cls.d
    ip = _inv(p)
    k = d / (1.0 + d * ip)  # dp/(d+p)
    inner = (
        math.log10(c0) + cls.log10_gamma_tilde + log10_C(d, p)
        - (2.0 + d * ip) * LOG10_2 - math.log10(eps)
    )
    return -LOG10_2 + k * inner


def _log10_a(cls: NetworkClass, eps: float, p: float, c0: float) -> float:
    """log10 a, a = ε 2^r / (c0 γ̃_q C_{p,d}), r = 1 + d/p (docs/theory.md §4 "Optimised form")."""
    r = 1.0 + cls.d * _inv(p)
    return (
        math.log10(eps) + r * LOG10_2 - math.log10(c0) - cls.log10_gamma_tilde - log10_C(cls.d, p)
    )


def derived_lower_log10_samples_optimised(
    cls: NetworkClass, eps: float, *, p: float = INF, c0: float = 1.0
) -> float:
    """log10 of max_{n∈ℕ} (n+1)^d (1 − a n^r)_+ (docs/theory.md §4 "Optimised form"; sharper, all m ≥ 0).

    r = 1 + d/p, a = ε 2^r/(c0 γ̃_q C_{p,d}). d log(n+1) + log(1 − a n^r) is concave with its
    real maximiser in [n0 − 1, n0), n0 = (d/((d+r)a))^{1/r}, so the integer maximum is at one
    of n ∈ {1, ⌊n0⌋−1, ⌊n0⌋, ⌈n0⌉}; for n0 > 1e15 n is treated as real (n = n0, a n0^r =
    d/(d+r)). Returns −inf when a ≥ 1 (the bound is m ≥ 0).
    """
    cls, eps, p = _check_cls(cls), _check_positive("eps", eps), _check_p(p)
    c0 = _check_positive("c0", c0)
    _require_hat(cls)
    d, r = cls.d, 1.0 + cls.d * _inv(p)
    la = _log10_a(cls, eps, p, c0)
    log10_n0 = (math.log10(d) - math.log10(d + r) - la) / r
    if log10_n0 > math.log10(_N_REAL):
        # log10(n0 + 1) = log10 n0 + log10(1 + 1/n0); the second term is below 1e-15.
        return d * log10_n0 + math.log10(r / (d + r))
    n0 = 10.0**log10_n0
    candidates = {1, math.floor(n0) - 1, math.floor(n0), math.ceil(n0)}
    return max(
        d * math.log10(n + 1) + _log10_one_minus(la + r * math.log10(n))
        for n in candidates
        if n >= 1
    )


def _log10_eta(cls: NetworkClass, n: float, p: float, c0: float) -> float:
    """log10 η_n, η_n = c0 C_{p,d} γ_q (2n)^{−d/p} / max(2n, M_*): the L^p norm of one bump."""
    l2n = LOG10_2 + math.log10(n)
    return (
        math.log10(c0) + log10_C(cls.d, p) + cls.log10_gamma
        - cls.d * _inv(p) * l2n - max(l2n, math.log10(cls.M_star))
    )


def _log10_term(cls: NetworkClass, m: float, n: float, p: float, c0: float) -> float:
    """log10 of (1 − m/(n+1)^d)_+ η_n, the packing bound with the grid {0, 1/n, ..., 1}^d."""
    first = 0.0 if m == 0 else _log10_one_minus(math.log10(m) - cls.d * math.log10(n + 1.0))
    return first + _log10_eta(cls, n, p, c0) if first > -INF else -INF


def derived_lower_log10_error(
    cls: NetworkClass, m: float, *, p: float = INF, c0: float = 1.0
) -> float:
    """log10 of max_{n≥1} (1 − m/(n+1)^d)_+ η_n ≤ err^MC_m ≤ err^det_m (docs/theory.md §4).

    Exact integer maximisation: in n the term rises then falls (n·d/dn log(1 − m(n+1)^{−d})
    decreases while the decay exponent of η_n only grows), so a binary search on the sign of
    T(n+1) − T(n) over [⌊m^{1/d}⌋ − 1, max(M_*/2, ((d+r)m/r)^{1/d}) + 2] finds it; past 1e15
    n is treated as real (golden-section search on log n).
    """
    cls, m, p = _check_cls(cls), _check_m(m, 0.0), _check_p(p)
    c0 = _check_positive("c0", c0)
    _require_hat(cls)
    d, r = cls.d, 1.0 + cls.d * _inv(p)

    def T(n: float) -> float:
        return _log10_term(cls, m, n, p, c0)

    log10_m = math.log10(m) if m > 0 else -INF
    n_lo = max(1.0, math.floor(10.0 ** (log10_m / d)) - 1.0) if m > 0 else 1.0
    log10_hi = max(
        math.log10(max(cls.M_star / 2.0, 1.0)),
        (math.log10((d + r) / r) + log10_m) / d if m > 0 else 0.0,
    )
    if log10_hi < math.log10(_N_REAL):
        lo, hi = int(n_lo), int(10.0**log10_hi) + 2  # peak in [lo, hi]
        while lo < hi:  # first n with T(n+1) <= T(n) (−inf counts as rising)
            mid = (lo + hi) // 2
            t_mid, t_next = T(mid), T(mid + 1)
            if t_mid == -INF or t_next > t_mid:
                lo = mid + 1
            else:
                hi = mid
        return max(T(lo), T(1))
    # Golden-section search for the maximum of the unimodal t ↦ T(10^t).
    a, b = math.log10(n_lo), log10_hi + 1.0
    g = (math.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = b - g * (b - a), a + g * (b - a)
    f1, f2 = T(10.0**x1), T(10.0**x2)
    for _ in range(200):
        if f1 < f2 or f1 == -INF:
            a, x1, f1 = x1, x2, f2
            x2 = a + g * (b - a)
            f2 = T(10.0**x2)
        else:
            b, x2, f2 = x2, x1, f1
            x1 = b - g * (b - a)
            f1 = T(10.0**x1)
    best = max(f1, f2, T(1))
    n_star = 10.0 ** ((a + b) / 2.0)
    if n_star < _N_REAL:  # the peak may sit at an integer just beside the real one
        best = max([best] + [T(float(k)) for k in range(max(1, int(n_star) - 2), int(n_star) + 3)])
    return best


def derived_lower_log10_error_closed(
    cls: NetworkClass, m: float, *, p: float = INF, c0: float = 1.0
) -> float:
    """Closed form (docs/theory.md §4), m > 1/2, from n = ⌈(2m)^{1/d}⌉ − 1:

    err^MC_m ≥ c0 γ̃_q C_{p,d} 2^{−2−d/p−1/d−1/p} m^{−1/d−1/p}.
    """
    cls, p, c0 = _check_cls(cls), _check_p(p), _check_positive("c0", c0)
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not (math.isfinite(m) and m > 0.5):
        raise InputError(f"`m` must be a number > 0.5 for the closed form, got {m!r}")
    _require_hat(cls)
    d, ip = cls.d, _inv(p)
    return (
        math.log10(c0) + cls.log10_gamma_tilde + log10_C(d, p)
        - (2.0 + d * ip + 1.0 / d + ip) * LOG10_2 - (1.0 / d + ip) * math.log10(m)
    )


def _from_log10(x: float) -> float:
    """10^x as a float; inf where it would overflow (use the log10 variant there)."""
    return INF if x > 308.25 else 10.0**x


def derived_lower_error(cls: NetworkClass, m: float, *, p: float = INF, c0: float = 1.0) -> float:
    """max_{n≥1} (1 − m/(n+1)^d)_+ η_n (see :func:`derived_lower_log10_error`); inf on overflow."""
    return _from_log10(derived_lower_log10_error(cls, m, p=p, c0=c0))


def derived_lower_error_closed(
    cls: NetworkClass, m: float, *, p: float = INF, c0: float = 1.0
) -> float:
    """The closed form of :func:`derived_lower_log10_error_closed` as a float (inf on overflow)."""
    return _from_log10(derived_lower_log10_error_closed(cls, m, p=p, c0=c0))


# -- derived upper bounds (docs/theory.md §5) -----------------------------------------------------
def _floor_root(m: float, d: int) -> float:
    """⌊m^{1/d}⌋, exact (integer arithmetic) while it fits; above 1e15 the real root."""
    x = m ** (1.0 / d)
    if x >= _N_REAL:
        return x
    n = int(x)
    while (n + 1) ** d <= m:  # m**(1/d) may round just below an exact integer root
        n += 1
    while n > 0 and n**d > m:
        n -= 1
    return float(n)


def derived_upper_log10_error(cls: NetworkClass, m: float) -> float:
    """log10 of K_up / (2⌊m^{1/d}⌋) ≥ err^det_m in every L^p (docs/theory.md §5, Theorem 2.4).

    K_up = min(√d Lip_2, Lip_∞); the algorithm samples the n^d cell centres, n = ⌊m^{1/d}⌋.
    """
    cls, m = _check_cls(cls), _check_m(m, 1.0)
    return cls.log10_K_up - LOG10_2 - math.log10(_floor_root(m, cls.d))


def derived_upper_error(cls: NetworkClass, m: float) -> float:
    """K_up / (2⌊m^{1/d}⌋) as a float (inf on overflow)."""
    return _from_log10(derived_upper_log10_error(cls, m))


def derived_upper_log10_samples(cls: NetworkClass, eps: float) -> float:
    """log10 m_UB, m_UB = ⌈K_up/(2ε)⌉^d non-adaptive samples reach ε in L^∞ (docs/theory.md §5)."""
    cls, eps = _check_cls(cls), _check_positive("eps", eps)
    x = cls.log10_K_up - LOG10_2 - math.log10(eps)  # log10(K_up / 2ε)
    if x > math.log10(_N_REAL):
        return cls.d * x
    # The 1e-12 guard keeps an exact integer K_up/2ε from rounding up to the next one.
    n = max(1, math.ceil(10.0**x * (1.0 - 1e-12)))
    return cls.d * math.log10(n)


# -- contrasts (docs/theory.md §8) ----------------------------------------------------------------
def log10_sup_bound(cls: NetworkClass) -> float:
    """log10 B_L, ‖u‖_{L^∞([0,1]^d)} ≤ B_L: B_0 = 1, B_ℓ = c N_{ℓ−1}^{1−1/q} B_{ℓ−1} + c."""
    cls = _check_cls(cls)
    e, lc = 1.0 - _inv(cls.q), math.log10(cls.c)
    b = 0.0
    for n in cls.architecture[:-1]:
        x = lc + e * math.log10(n) + b
        b = max(x, lc) + math.log10(1.0 + 10.0 ** (-abs(x - lc)))  # log10(10^x + c)
    return b


def _log10_pdim(cls: NetworkClass) -> float:
    """log10(W L ln W): the order of Pdim(H) (Bartlett et al. 2019), constants unknown."""
    W = cls.n_params
    return math.log10(W * cls.L * max(math.log(W), 1.0))


def l2_learning_log10_samples(cls: NetworkClass, eps: float, *, fast: bool = False) -> float:
    """ORDER OF MAGNITUDE ONLY (docs/theory.md §8): log10 of B^4 ε^{−4} W L log W.

    ERM reaches ‖f̂ − u‖_{L^2(μ)} ≤ ε from m = Õ(B^4 ε^{−4} W L log W) i.i.d. samples
    (uniform convergence; fast rates: Õ(B^2 ε^{−2} W L log W) with ``fast=True``); absolute
    constants and log m factors are unknown and dropped.
    """
    cls, eps = _check_cls(cls), _check_positive("eps", eps)
    k = 2.0 if fast else 4.0
    return k * (log10_sup_bound(cls) - math.log10(eps)) + _log10_pdim(cls)


def l2_learning_log10_error(cls: NetworkClass, m: float) -> float:
    """ORDER OF MAGNITUDE ONLY (docs/theory.md §8): log10 of B (W L log W / m)^{1/4}, the L^2 error
    of ERM with m samples (inverse of :func:`l2_learning_log10_samples`)."""
    cls, m = _check_cls(cls), _check_m(m, 1.0)
    return log10_sup_bound(cls) + 0.25 * (_log10_pdim(cls) - math.log10(m))


def linear_space_samples(cls: NetworkClass) -> int:
    """W: a W-dimensional linear space of real-analytic functions is recovered exactly from W
    generic samples (docs/theory.md §8) — samples = parameters, zero error."""
    return _check_cls(cls).n_params

