"""Tests of uniformgap.theory's sample-complexity bounds (docs/theory.md §4–§8).

Oracles: the poster formulas written out in NumPy; brute-force maxima over n in NumPy
with η_n recomputed from the widths (not from the module's helpers); the bound inverting
the error bound it came from; lower ≤ upper; hand calculus for d = 1.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy.special import gammaln

from uniformgap import InputError
from uniformgap.theory import BoundsReport, NetworkClass, bounds_sweep, derived_lower_applicability, derived_lower_error, derived_lower_error_closed, derived_lower_log10_error, derived_lower_log10_error_closed, derived_lower_log10_samples, derived_lower_log10_samples_optimised, derived_upper_error, derived_upper_log10_error, derived_upper_log10_samples, l2_learning_log10_samples, log10_sup_bound, paper_applicability, paper_lower_log10_error, paper_lower_log10_samples, paper_upper_log10_error, paper_upper_log10_samples, plot_bounds_sweep
from uniformgap.theory._sweep import atoms_frontier

INF = math.inf


def _np_log10_C(d: int, p: float) -> float:
    return 0.0 if math.isinf(p) else float((gammaln(p + 1) - gammaln(p + d + 1)) / (p * np.log(10)))


def _np_log10_gamma(d: int, widths, c: float, q: float) -> float:
    """docs/theory.md §3: γ_q = c^L (2d)^{-2/q} Π_{ℓ=2}^{L-1} N_ℓ^{(1-2/q)_+}, from the widths."""
    iq = 0.0 if math.isinf(q) else 1.0 / q
    L = len(widths) + 1
    return L * np.log10(c) - 2 * iq * np.log10(2 * d) + max(1 - 2 * iq, 0) * np.sum(np.log10(widths[1:]))


def _np_terms(d, widths, c, q, p, c0, m, n):
    """log10 of (1 − m/(n+1)^d)_+ η_n for the integer array n (docs/theory.md §4), −inf where 0."""
    iq = 0.0 if math.isinf(q) else 1.0 / q
    ip = 0.0 if math.isinf(p) else 1.0 / p
    M_star = 1.0 if math.isinf(q) else c * (2 * d) ** (-2 * iq)
    log_eta = (
        np.log10(c0) + _np_log10_C(d, p) + _np_log10_gamma(d, widths, c, q)
        - d * ip * np.log10(2.0 * n) - np.log10(np.maximum(2.0 * n, M_star))
    )
    first = 1.0 - m / (n + 1.0) ** d
    with np.errstate(divide="ignore"):
        return np.where(first > 0, np.log10(np.maximum(first, 1e-300)) + log_eta, -np.inf)


def _np_optimised(cls: NetworkClass, eps, p, c0, n_max):
    """Brute-force max_n (n+1)^d (1 − ε/η̃_n)_+, η̃_n = c0 γ̃ C (2n)^{-1-d/p} (docs/theory.md §4)."""
    d = cls.d
    ip = 0.0 if math.isinf(p) else 1.0 / p
    n = np.arange(1, n_max + 1, dtype=np.float64)
    log_eta = np.log10(c0) + cls.log10_gamma_tilde + _np_log10_C(d, p) - (1 + d * ip) * np.log10(2 * n)
    first = 1.0 - eps / 10.0**log_eta
    with np.errstate(divide="ignore"):
        vals = np.where(first > 0, d * np.log10(n + 1) + np.log10(np.maximum(first, 1e-300)), -np.inf)
    return float(vals.max()), int(n[np.argmax(vals)])


GRID = [
    (d, L, c, q, p)
    for d, L, c, q, p in itertools.product((1, 2, 3), (3, 4), (0.5, 1.0, 3.0), (1.0, 2.0, INF), (1.0, 2.5, INF))
]


def _cls(d, L, c, q, width=None):
    return NetworkClass.create(d, L, width, c, q)


# -- paper formulas ------------------------------------------------------------------------------
@pytest.mark.parametrize("d,L,c,eps", [(1, 3, 1.0, 0.1), (15, 5, 1.0, 1e-3), (4, 9, 0.7, 1e-5), (30, 10, 1.3, 0.02)])
def test_paper_bounds_equal_poster_formulas(d, L, c, eps):
    cls = _cls(d, L, c, INF)
    lower = d * (L * np.log10(c) + (L - 2) * np.log10(3 * d) - np.log10(29 * eps))
    upper = d * (L * np.log10(c) + (L - 2) * np.log10(3 * d) + np.log10(3 * d**2 / eps))
    assert paper_lower_log10_samples(cls, eps) == pytest.approx(lower, abs=1e-9)
    assert paper_upper_log10_samples(cls, eps) == pytest.approx(upper, abs=1e-9)
    # The poster's rates (docs/theory.md §6) invert the sample formulas: at m = the bound, error = ε.
    for log10_m, f in ((lower, paper_lower_log10_error), (upper, paper_upper_log10_error)):
        if 0 <= log10_m < 300:  # m must be a float >= 1
            assert f(cls, 10**log10_m) == pytest.approx(np.log10(eps), abs=1e-9)


def test_paper_applicability_reasons():
    assert paper_applicability(_cls(15, 5, 1.0, INF)) is None
    assert paper_applicability(_cls(2, 4, 1.0, 2.0), p=3.0, c0=2.0) == (
        "Theorems 1.1/1.4 (paper) need q = inf (got q = 2), p = inf (got p = 3), c0 = 1 (got c0 = 2)"
    )
    assert paper_applicability(_cls(2, 4, 1.0, INF, [6, 5, 6])) == (
        "Theorems 1.1/1.4 (paper) need every hidden width = 3d = 6 (got 6,5,6)"
    )
    with pytest.raises(InputError) as e:
        paper_lower_log10_samples(_cls(2, 4, 1.0, 2.0), 0.1)
    assert str(e.value) == (
        "`cls` must have q = inf (got q = 2) for Theorem 1.1 (paper); the derived bounds cover other classes"
    )


# -- derived lower bounds ------------------------------------------------------------------------
@pytest.mark.parametrize("d,L,c,q,p", GRID)
@pytest.mark.parametrize("eps_rel", [0.3, 0.01, 1e-3])
def test_closed_le_optimised_eq_brute_force(d, L, c, q, p, eps_rel):
    cls = _cls(d, L, c, q)
    eps = eps_rel * 10**cls.log10_gamma  # ε relative to the class's scale keeps n0 moderate
    closed = derived_lower_log10_samples(cls, eps, p=p)
    opt = derived_lower_log10_samples_optimised(cls, eps, p=p)
    brute, n_best = _np_optimised(cls, eps, p, 1.0, n_max=20_000)
    assert n_best < 20_000  # the brute force saw the whole rise and fall
    if brute == -np.inf:
        assert opt == -np.inf
    else:
        assert opt == pytest.approx(brute, abs=1e-9)
    if closed > math.log10(0.5):  # docs/theory.md §4: the closed form is a statement only then
        assert closed <= opt + 1e-9


@pytest.mark.parametrize("d,L,c,q,p", GRID[::3] + [(1, 3, 50.0, 1.0, INF), (2, 3, 40.0, 1.5, 2.0)])
@pytest.mark.parametrize("m", [0.0, 1.0, 7.0, 300.0, 5e4])
def test_lower_error_is_the_brute_force_max(d, L, c, q, p, m):
    cls = _cls(d, L, c, q)
    n = np.arange(1, 200_001, dtype=np.float64)
    terms = _np_terms(d, cls.widths, c, q, p, 1.0, m, n)
    assert np.argmax(terms) < len(n) - 1
    assert derived_lower_log10_error(cls, m, p=p) == pytest.approx(float(terms.max()), abs=1e-9)
    if m > 0.5:
        assert derived_lower_log10_error_closed(cls, m, p=p) <= terms.max() + 1e-9


def test_lower_error_with_c0_scales_linearly():
    cls = _cls(3, 4, 1.0, 2.0)
    base = derived_lower_error(cls, 100.0, p=2.0)
    assert derived_lower_error(cls, 100.0, p=2.0, c0=0.25) == pytest.approx(0.25 * base, rel=1e-12)


def test_d1_huge_m_matches_hand_calculus():
    """d = 1, p = ∞: max_n (1 − m/(n+1)) γ/(2n) → γ/(8m) at n ≈ 2m (real-n branch, n > 1e15)."""
    cls = _cls(1, 40, 1.0, INF)  # γ = 3^38
    for m in (1e17, 1e40, 1e200):
        expected = 38 * math.log10(3) - math.log10(8 * m)
        assert derived_lower_log10_error(cls, m) == pytest.approx(expected, abs=1e-9)
        # Here the closed form is asymptotically exact: both are γ 2^{-3} m^{-1}.
        assert derived_lower_log10_error_closed(cls, m) == pytest.approx(expected, abs=1e-9)


def test_optimised_is_continuous_across_the_real_n_switch():
    """n0 crosses 1e15 between these ε; the value must move smoothly (by d·log10 of the ratio)."""
    cls = _cls(2, 30, 1.0, INF)
    r, d = 1.0, 2
    log10_gamma = 28 * math.log10(6)
    # n0 = (d/((d+r)a))^{1/r}, a = 2ε/γ: choose ε so that n0 = 1e15 exactly, then step both ways.
    eps = d / (d + r) * 10**log10_gamma / 2 / 1e15
    a, b = derived_lower_log10_samples_optimised(cls, eps * 1.001), derived_lower_log10_samples_optimised(cls, eps / 1.001)
    assert b - a == pytest.approx(2 * d * math.log10(1.001), rel=1e-3)


@pytest.mark.parametrize("d,L,c,q,p", GRID[::2])
def test_samples_bound_inverts_the_error_bound(d, L, c, q, p):
    """m < optimised ⇒ derived_lower_error(m) > ε; the closed form at m_LB is exactly ε."""
    cls = _cls(d, L, c, q)
    eps = 0.05 * 10**cls.log10_gamma
    opt = derived_lower_log10_samples_optimised(cls, eps, p=p)
    if opt > 0.5:
        assert derived_lower_error(cls, 10**opt * (1 - 1e-6), p=p) > eps
    closed = derived_lower_log10_samples(cls, eps, p=p)
    if closed > math.log10(0.5):
        assert derived_lower_error_closed(cls, 10**closed, p=p) == pytest.approx(eps, rel=1e-9)


# -- upper bounds and lower <= upper -------------------------------------------------------------
@pytest.mark.parametrize("d,L,c,q", [(1, 3, 1.0, INF), (2, 4, 0.5, 2.0), (3, 3, 2.0, 1.0), (3, 5, 1.0, INF)])
def test_upper_samples_reach_eps_with_the_upper_error(d, L, c, q):
    cls = _cls(d, L, c, q)
    for eps in (0.5 * 10**cls.log10_K_up, 1e-2 * 10**cls.log10_K_up, 1e-4 * 10**cls.log10_K_up):
        n = round(10 ** (derived_upper_log10_samples(cls, eps) / d))
        assert derived_upper_error(cls, float(n**d)) <= eps * (1 + 1e-12)
        if n > 1:  # one cell fewer per axis misses ε
            assert derived_upper_error(cls, float((n - 1) ** d)) > eps


def test_upper_error_uses_the_exact_integer_root():
    cls = _cls(3, 3, 1.0, INF)
    K = 10**cls.log10_K_up
    assert derived_upper_error(cls, 1000.0) == pytest.approx(K / 20)  # 1000^(1/3) = 10, not 9.999…
    assert derived_upper_error(cls, 999.0) == pytest.approx(K / 18)


@pytest.mark.parametrize("d,L,c,q,p", GRID)
def test_lower_le_upper(d, L, c, q, p):
    cls = _cls(d, L, c, q)
    for m in (1.0, 10.0, 1e4, 1e9):
        assert derived_lower_log10_error(cls, m, p=p) <= derived_upper_log10_error(cls, m) + 1e-9
    for eps in (1e-1, 1e-3, 1e-6):
        up = derived_upper_log10_samples(cls, eps)
        assert derived_lower_log10_samples_optimised(cls, eps, p=p) <= up + 1e-9
        assert derived_lower_log10_samples(cls, eps, p=p) <= max(up, math.log10(0.5)) + 1e-9
        if math.isinf(q) and math.isinf(p):
            assert paper_lower_log10_samples(cls, eps) <= paper_upper_log10_samples(cls, eps)


@pytest.mark.parametrize("d,L,c,q,p", GRID[::4])
def test_monotone_in_eps_and_m(d, L, c, q, p):
    cls = _cls(d, L, c, q)
    eps = [1.0, 0.1, 1e-2, 1e-4]
    for f in (derived_lower_log10_samples, derived_lower_log10_samples_optimised):
        vals = [f(cls, e, p=p) for e in eps]
        assert all(a <= b for a, b in zip(vals, vals[1:]))
    vals = [derived_upper_log10_samples(cls, e) for e in eps]
    assert all(a <= b for a, b in zip(vals, vals[1:]))
    ms = [1.0, 3.0, 50.0, 1e3, 1e6]
    vals = [derived_lower_log10_error(cls, m, p=p) for m in ms]
    assert all(a >= b for a, b in zip(vals, vals[1:]))
    vals = [derived_upper_log10_error(cls, m) for m in ms]
    assert all(a >= b for a, b in zip(vals, vals[1:]))


@pytest.mark.parametrize("d,L,c", [(1, 3, 1.0), (2, 5, 1.0), (5, 4, 0.8), (15, 5, 1.0), (3, 3, 0.3)])
@pytest.mark.parametrize("eps", [0.5, 1e-3])
def test_poster_lower_follows_from_derived(d, L, c, eps):
    """docs/theory.md §4: m_LB = ½(γ/4ε)^d ≥ (γ/29ε)^d when m_LB > ½; else the poster value is < 1."""
    cls = _cls(d, L, c, INF)
    poster, closed = paper_lower_log10_samples(cls, eps), derived_lower_log10_samples(cls, eps)
    if closed > math.log10(0.5):
        assert poster <= closed
        assert poster <= derived_lower_log10_samples_optimised(cls, eps)
    else:
        assert poster < 0


def test_theory_section7_table_recomputed():
    rows = atoms_frontier([1, 5, 10, 13, 17, 24], eps=1e-3)
    assert [(r["d"], r["L"]) for r in rows] == [(1, 167), (5, 15), (10, 7), (13, 5), (17, 4), (24, 3)]
    assert [r["n_params"] for r in rows] == [1990, 3226, 5011, 5266, 6274, 7129]
    for r in rows:  # W by docs/theory.md §1's closed formula for width 3d
        d, L = r["d"], r["L"]
        assert r["n_params"] == 3 * d * (d + 1) + (L - 2) * 3 * d * (3 * d + 1) + 3 * d + 1
    derived = [r["derived_lower_log10_samples"] for r in rows]
    assert derived == pytest.approx([80.8, 88.1, 97.5, 92.9, 98.5, 101.8], abs=0.05)
    assert all(r["n_params"] < 15000 for r in rows)


def test_no_overflow_at_d1000_L100():
    cls = _cls(1000, 100, 1.0, INF)
    values = [
        paper_lower_log10_samples(cls, 1e-3), paper_upper_log10_samples(cls, 1e-3),
        derived_lower_log10_samples(cls, 1e-3), derived_lower_log10_samples_optimised(cls, 1e-3),
        derived_upper_log10_samples(cls, 1e-3), derived_lower_log10_error(cls, 1e300),
        derived_upper_log10_error(cls, 1e300), l2_learning_log10_samples(cls, 1e-3),
        derived_lower_log10_samples(cls, 1e-3, p=2.0),
    ]
    assert all(math.isfinite(v) for v in values)
    assert values[0] > 3e5  # ~ d (L-2) log10(3d)
    assert derived_lower_error(cls, 1e6) == INF  # the float overflows; its log10 does not
    report = BoundsReport.compute(cls, eps=1e-3)
    json.dumps(report.to_dict(), allow_nan=False)


def test_sup_bound_is_attained_by_the_all_c_network():
    """B_L of docs/theory.md §8 is the value at x = (1..1) of the network with every entry c (q = ∞),
    and bounds random networks with ‖A_ℓ‖_q, ‖b_ℓ‖_q ≤ c (q = 2)."""
    rng = np.random.default_rng(0)
    for d, widths, c in [(3, [4, 5], 1.5), (2, [6, 6, 6], 0.9)]:
        arch = [d, *widths, 1]
        h = np.ones(d)
        for i in range(len(arch) - 1):
            h = np.maximum(np.full((arch[i + 1], arch[i]), c) @ h + c, 0)
        assert log10_sup_bound(_cls(d, len(widths) + 1, c, INF, widths)) == pytest.approx(np.log10(h[0]))
        cls2 = _cls(d, len(widths) + 1, c, 2.0, widths)
        x = rng.random((500, d))
        for _ in range(20):
            h = x.T
            for i in range(len(arch) - 1):
                A, b = rng.standard_normal((arch[i + 1], arch[i])), rng.standard_normal(arch[i + 1])
                A, b = c * A / np.linalg.norm(A), c * b / np.linalg.norm(b)
                h = A @ h + b[:, None]
                h = np.maximum(h, 0) if i < len(arch) - 2 else h
            assert np.abs(h).max() <= 10 ** log10_sup_bound(cls2)


def test_derived_lower_needs_a_hat_network():
    narrow = _cls(3, 4, 1.0, INF, 6)  # N_1 = 6 < 2d + 1 = 7
    assert derived_lower_applicability(narrow) == (
        "the derived lower bound needs first hidden width N_1 >= 2d+1 = 7 for its hat network "
        "(docs/theory.md §3), got 6"
    )
    assert derived_lower_applicability(_cls(3, 4, 1.0, 2.0, 6)) is None  # q < ∞ needs only 2d
    with pytest.raises(InputError) as e:
        derived_lower_log10_samples(narrow, 0.1)
    assert str(e.value) == (
        "`cls` must have first hidden width N_1 >= 2d+1 = 7 for the derived lower bound "
        "(its hat network, docs/theory.md §3), got 6"
    )
    report = BoundsReport.compute(narrow, eps=0.1)
    assert report.derived_lower_log10_samples is None and report.headline_source is None


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda c: derived_lower_log10_samples(c, 0.0), "`eps` must be a number > 0, got 0.0"),
        (lambda c: derived_lower_log10_samples(c, 0.1, p=0.5), "`p` must be a number >= 1 or 'inf', got 0.5 (e.g. p=2 or p=math.inf)"),
        (lambda c: derived_lower_log10_samples(c, 0.1, c0=-1), "`c0` must be a number > 0, got -1"),
        (lambda c: derived_upper_error(c, 0.5), "`m` must be a number >= 1, got 0.5"),
        (lambda c: derived_lower_error(c, -1.0), "`m` must be a number >= 0, got -1.0"),
        (lambda c: derived_lower_error_closed(c, 0.5), "`m` must be a number > 0.5 for the closed form, got 0.5"),
        (lambda c: derived_upper_log10_samples("net", 0.1), "`cls` must be a NetworkClass, got str (e.g. NetworkClass.create(d=15, L=5))"),
        (lambda c: BoundsReport.compute(c, eps=0.1, m=10), "give exactly one of `eps` or `m`, got both (e.g. eps=1e-3)"),
        (lambda c: bounds_sweep([0, 1], [3], 0.1), "`dims` must be a non-empty list of integers >= 1, got [0, 1]"),
        (lambda c: bounds_sweep([1], [2, 3], 0.1), "`depths` must be a non-empty list of integers >= 3, got [2, 3]"),
    ],
)
def test_bad_input_messages(call, message):
    with pytest.raises(InputError) as e:
        call(_cls(2, 3, 1.0, INF))
    assert str(e.value) == message


# -- report and sweep ----------------------------------------------------------------------------
def test_report_dict_for_eps_and_samples():
    cls = _cls(15, 5, 1.0, INF)
    r = BoundsReport.compute(cls, eps=1e-3).to_dict()
    assert r["paper_lower_log10_samples"] == pytest.approx(15 * (3 * np.log10(45) - np.log10(29e-3)), abs=1e-9)
    assert r["n_params"] == 6976 and r["headline_lower_source"] == "paper"
    assert r["headline_lower_log10_over_atoms"] == pytest.approx(r["paper_lower_log10_samples"] - 80)
    s = BoundsReport.compute(cls, m=1e6, p=2.0).to_dict()
    assert s["paper_lower_log10_samples"] is None and s["paper_reason"].endswith("p = inf (got p = 2)")
    assert s["derived_lower_error"] == pytest.approx(10 ** s["derived_lower_log10_error"])
    assert s["derived_lower_error"] <= s["derived_upper_error"]
    assert s["derived_lower_error_closed"] <= s["derived_lower_error"]
    assert s["q"] == "inf" and s["p"] == 2.0
    json.dumps(s, allow_nan=False)


def test_sweep_grid_frontier_and_plot(tmp_path):
    sweep = bounds_sweep(range(1, 8), range(3, 11), 1e-3)
    assert sweep.bound == "paper" and sweep.grid("lower_log10_samples").shape == (7, 8)
    cls = _cls(6, 9, 1.0, INF)
    assert sweep.grid("lower_log10_samples")[5, 6] == pytest.approx(paper_lower_log10_samples(cls, 1e-3))
    frontier = {f["d"]: f["L"] for f in sweep.frontier()}
    assert frontier == {r["d"]: r["L"] if r["L"] <= 10 else None for r in atoms_frontier(range(1, 8))}
    assert bounds_sweep([2, 3], [3, 4], 1e-3, q=2.0).bound == "derived"
    for name in ("map.png", "map.pdf"):
        out = plot_bounds_sweep(sweep, tmp_path / name)
        head = out.read_bytes()[:4]
        assert head in (b"\x89PNG", b"%PDF") and out.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.pdf", "map.png"]  # no temp files left


def test_plateau_below_M_star_on_the_real_n_branch():
    """q = 1, d = 1, L = 3, c = 1e18: γ = c³/4, M_* = c/4 ≫ 1e15. For p = ∞, η_n = γ/M_* = c²
    until 2n = M_*, and (1 − m/(n+1)) → 1 there, so the bound is c² (hand calculus)."""
    cls = _cls(1, 3, 1e18, 1.0)
    assert cls.M_star > 2e15
    assert derived_lower_log10_error(cls, 10.0) == pytest.approx(36.0, abs=1e-9)
