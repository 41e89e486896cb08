"""Rate fits recover exact power laws; intervals agree with scipy; theory exponents."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from uniformgap import InputError
from uniformgap.analysis import fit_power_law, fit_rate, theory_slope
from uniformgap.analysis._rates import slope_t_interval
from uniformgap.analysis._rates import bootstrap_slopes

M = np.array([10, 100, 1000, 10000, 100000])


@pytest.mark.parametrize("C, slope", [(3.7, -0.63), (0.01, -2.0), (50.0, -0.001)])
def test_exact_power_law_is_recovered(C, slope):
    s, a, n = fit_power_law(M, C * M.astype(float) ** slope)
    assert abs(s - slope) < 1e-9 and abs(a - math.log10(C)) < 1e-9 and n == 5
    lo, hi = slope_t_interval(M, C * M.astype(float) ** slope)
    assert abs(lo - slope) < 1e-9 and abs(hi - slope) < 1e-9  # no residual, no width


def test_t_interval_agrees_with_scipy_linregress():
    rng = np.random.default_rng(0)
    v = 2.0 * M ** -0.5 * np.exp(0.1 * rng.standard_normal(len(M)))
    ref = stats.linregress(np.log10(M), np.log10(v))
    lo, hi = slope_t_interval(M, v, level=0.9)
    half = stats.t.ppf(0.95, len(M) - 2) * ref.stderr
    assert fit_power_law(M, v)[0] == pytest.approx(ref.slope, rel=1e-12)
    assert (lo, hi) == (pytest.approx(ref.slope - half, rel=1e-10), pytest.approx(ref.slope + half, rel=1e-10))


def test_bootstrap_slopes_of_exact_replicates():
    slopes = np.array([-0.2, -0.5, -1.0])
    reps = 4.0 * M[None, :].astype(float) ** slopes[:, None]  # (3, 5)
    reps = np.vstack([reps, np.where(M == 100, np.inf, 1.0)[None, :]])  # a non-fittable replicate
    out = bootstrap_slopes(M, reps)
    assert np.allclose(out[:3], slopes, atol=1e-12) and math.isnan(out[3])


def test_non_finite_points_are_left_out_and_too_few_points_give_nan():
    v = 0.5 * M.astype(float) ** -0.3
    v[1], v[3] = math.inf, 0.0
    s, _, n = fit_power_law(M, v)
    assert n == 3 and abs(s + 0.3) < 1e-9
    fit = fit_rate("linf", "worst", M[:1], v[:1], None, d=1)
    assert math.isnan(fit.slope) and fit.ci_method == "none" and fit.n_points == 1


def test_fit_rate_uses_bootstrap_when_given_and_reports_the_theory_exponent():
    v = 2.0 * M.astype(float) ** -0.4
    reps = np.vstack([2.0 * M.astype(float) ** s for s in np.linspace(-0.5, -0.3, 41)])
    fit = fit_rate("l2", "worst", M, v, reps, d=3)
    assert fit.ci_method == "bootstrap"
    assert fit.ci_low == pytest.approx(-0.495, abs=1e-9) and fit.ci_high == pytest.approx(-0.305, abs=1e-9)
    assert fit.theory_slope == pytest.approx(-1 / 3 - 1 / 2, abs=1e-15)


@pytest.mark.parametrize("d, p, expected", [(1, math.inf, -1.0), (1, 1.0, -2.0), (1, 2.0, -1.5), (3, math.inf, -1 / 3)])
def test_theory_slope(d, p, expected):
    assert theory_slope(d, p) == pytest.approx(expected, abs=1e-15)


def test_theory_slope_messages():
    with pytest.raises(InputError) as exc:
        theory_slope(0, 2.0)
    assert str(exc.value) == "`d` must be an integer >= 1, got 0"
    with pytest.raises(InputError) as exc:
        theory_slope(2, 0.5)
    assert str(exc.value) == "`p` must be a number >= 1 or 'inf', got 0.5"


def test_derived_bound_decays_at_the_theory_rate():
    """The theory module's bound and this module's exponent must agree asymptotically."""
    from uniformgap import theory

    cls = theory.NetworkClass.create(1, 3, 3, c=1.0)
    m = np.geomspace(1e4, 1e8, 5)
    for p in (1.0, 2.0, math.inf):
        bound = [theory.derived_lower_error(cls, float(x), p=p) for x in m]
        assert fit_power_law(m, bound)[0] == pytest.approx(theory_slope(1, p), abs=0.02)
