"""Exact 1-D sup error: hand-built CPWL functions with known maxima, dense grids, bad inputs."""

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.metrics import NETWORK_METRICS, PiecewiseLinear, breakpoints_1d, lp_error_exact_1d, sup_error_exact_1d
from uniformgap.networks import ReLUNetwork

from _nets import random_net, hat_net


def abs_net():
    """|x| = ρ(x) + ρ(−x)."""
    return ReLUNetwork.from_arrays([([[1.0], [-1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])])


def zero_net():
    return ReLUNetwork.from_arrays([([[0.0]], [0.0]), ([[0.0]], [0.0])])


def evaluate(net, x):
    """net(x) by torch in chunks (small activations: dense grids stay cheap)."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float64).reshape(-1, 1))
    with torch.no_grad():
        return torch.cat([net(c) for c in x.split(1 << 15)]).numpy()[:, 0]


def lip_1d(net):
    """Lip(R(Φ)) ≤ Π_ℓ ‖A_ℓ‖_{∞→∞} (max absolute row sum); ρ is 1-Lipschitz."""
    return float(np.prod([np.abs(A.numpy()).sum(1).max() for A, _ in net.layers]))


def test_narrow_spike_is_found_exactly_where_a_dense_grid_misses_it():
    y, w, h = 0.123456789, 1e-7, 0.75
    res = sup_error_exact_1d(hat_net(y, w, h), zero_net(), domain=(-0.5, 0.5))
    assert res.value == pytest.approx(h, rel=1e-9)
    assert res.argmax == pytest.approx(y, abs=1e-15)
    grid = np.linspace(-0.5, 0.5, 10**6)
    assert np.abs(evaluate(hat_net(y, w, h), grid)).max() < 0.5 * h  # the grid misses the spike


def test_breakpoints_of_the_hat_are_its_three_corners():
    y, w = 0.1, 0.05
    bp = breakpoints_1d(hat_net(y, w, 1.0), domain=(-0.5, 0.5))
    np.testing.assert_allclose(bp, [y - w, y, y + w], atol=1e-15)
    # corners outside the domain are not reported
    np.testing.assert_allclose(breakpoints_1d(hat_net(y, w, 1.0), domain=(0.1, 0.5)), [y + w], atol=1e-15)


def test_abs_network_against_constants_and_piecewise_linear_targets():
    # sup_{[-0.5, 0.3]} | |x| − 0 | = 0.5 at the left endpoint
    res = sup_error_exact_1d(abs_net(), None, domain=(-0.5, 0.3))
    assert (res.value, res.argmax) == (0.5, -0.5)
    # | |x| − 0.2 | on [-0.5, 0.3]: max(0.5 − 0.2, 0.2 − 0) = 0.3 at x = −0.5
    const = PiecewiseLinear([-1.0, 1.0], [0.2, 0.2])
    res = sup_error_exact_1d(abs_net(), const, domain=(-0.5, 0.3))
    assert res.value == pytest.approx(0.3, abs=1e-15) and res.argmax == -0.5
    # |x| − (0.4 − |x − 0.1|) at the knots −0.5, 0, 0.1, 0.5: 0.7, −0.3, −0.3, 0.5 → sup 0.7 at −0.5
    tent = PiecewiseLinear([-1.0, 0.1, 1.0], [-0.7, 0.4, -0.5])
    res = sup_error_exact_1d(abs_net(), tent, domain=(-0.5, 0.5))
    assert res.value == pytest.approx(0.7, abs=1e-15) and res.argmax == -0.5
    grid = np.linspace(-0.5, 0.5, 10**6 + 1)  # contains every knot (multiples of 1e-6)
    brute = np.abs(np.abs(grid) - tent(grid))
    assert res.value == pytest.approx(brute.max(), abs=1e-12)
    assert abs(abs(res.argmax) - tent(np.array([res.argmax]))[0]) == pytest.approx(res.value, abs=1e-15)


@pytest.mark.parametrize(
    "arch_f, arch_g, seed",
    [([1, 32, 32, 32, 32, 32, 1], [1, 32, 32, 32, 32, 32, 1], 0), ([1, 8, 1], [1, 16, 16, 1], 1), ([1, 64, 64, 1], [1, 5, 5, 5, 5, 1], 2)],
)
def test_random_networks_against_a_dense_grid(arch_f, arch_g, seed):
    f, g = random_net(arch_f, seed), random_net(arch_g, seed + 100)
    res = sup_error_exact_1d(f, g, domain=(-0.5, 0.5))
    grid = np.linspace(-0.5, 0.5, 10**6)
    grid_max = np.abs(evaluate(f, grid) - evaluate(g, grid)).max()
    slack = (lip_1d(f) + lip_1d(g)) * (grid[1] - grid[0]) / 2  # every x is within spacing/2 of the grid
    assert grid_max <= res.value + 1e-12
    assert res.value <= grid_max + slack
    # the value is |f − g| evaluated at the argmax
    at = abs(evaluate(f, [res.argmax])[0] - evaluate(g, [res.argmax])[0])
    assert res.value == pytest.approx(at, rel=1e-12, abs=1e-15)


def test_float32_networks_are_evaluated_in_float64():
    f32 = ReLUNetwork([(A.float(), b.float()) for A, b in random_net([1, 16, 16, 1], 3).layers])
    f64 = ReLUNetwork([(A.double(), b.double()) for A, b in f32.layers])
    g = random_net([1, 16, 1], 4)
    assert sup_error_exact_1d(f32, g).value == sup_error_exact_1d(f64, g).value


def test_registry_metric_matches_the_api():
    f, g = random_net([1, 16, 16, 1], 5), random_net([1, 16, 16, 1], 6)
    out = NETWORK_METRICS["linf_exact"](f, g, domain=(0.0, 1.0), budget_s=1.0)
    assert out == {"linf_exact": sup_error_exact_1d(f, g, domain=(0.0, 1.0)).value}


def test_bad_inputs_are_one_line_errors():
    f2 = random_net([2, 4, 1], 0)
    with pytest.raises(InputError) as exc:
        sup_error_exact_1d(f2, zero_net())
    assert str(exc.value) == "`f` must have input dimension 1, got 2 (use sup_error_bracket for d >= 2)"
    with pytest.raises(InputError) as exc:
        sup_error_exact_1d(abs_net(), zero_net(), domain=(0.5, -0.5))
    assert str(exc.value) == "`domain` must be a pair (lo, hi) of finite numbers with lo < hi, got (0.5, -0.5) (e.g. (-0.5, 0.5))"
    with pytest.raises(InputError) as exc:
        sup_error_exact_1d(abs_net(), zero_net(), domain=(0.0, 0.0))
    assert str(exc.value) == "`domain` must be a pair (lo, hi) of finite numbers with lo < hi, got (0.0, 0.0) (e.g. (-0.5, 0.5))"
    with pytest.raises(InputError) as exc:
        sup_error_exact_1d(abs_net(), PiecewiseLinear([0.0, 1.0], [0.0, 1.0]), domain=(-0.5, 0.5))
    assert str(exc.value) == (
        "a PiecewiseLinear target must cover the domain [-0.5, 0.5], got knots from 0.0 to 1.0"
    )
    with pytest.raises(InputError) as exc:
        sup_error_exact_1d(abs_net(), np.sin)
    assert str(exc.value) == "`g` must be a ReLUNetwork or a PiecewiseLinear, got ufunc"
    wide = ReLUNetwork.from_arrays([([[1.0]], [0.0]), ([[1.0], [2.0]], [0.0, 0.0])])
    with pytest.raises(InputError) as exc:
        breakpoints_1d(wide)
    assert str(exc.value) == "`net` must have output dimension 1, got 2"


# -- exact L^1 and L^2 -------------------------------------------------------------------------
def test_lp_of_a_line_with_a_sign_change_inside_its_only_segment():
    # e(x) = x + 0.1 on [-0.5, 0.5]: no knot inside, zero at -0.1.
    # ∫|e| = (0.4² + 0.6²)/2 = 0.26;  ∫e² = (0.6³ + 0.4³)/3 = 0.28/3;  domain length 1.
    line = PiecewiseLinear([-1.0, 1.0], [-0.9, 1.1])
    res = lp_error_exact_1d(zero_net(), line, domain=(-0.5, 0.5))
    assert res.l1 == pytest.approx(0.26, rel=1e-14)
    assert res.l2 == pytest.approx((0.28 / 3) ** 0.5, rel=1e-14)
    assert (res.linf, res.argmax) == (pytest.approx(0.6, rel=1e-14), 0.5)


def test_lp_of_abs_on_an_asymmetric_domain():
    # |x| on [-0.5, 0.3] (length 0.8): ∫|x| = (0.25 + 0.09)/2 = 0.17, ∫x² = (0.125 + 0.027)/3.
    res = lp_error_exact_1d(abs_net(), None, domain=(-0.5, 0.3))
    assert res.l1 == pytest.approx(0.17 / 0.8, rel=1e-14)
    assert res.l2 == pytest.approx((0.152 / 3 / 0.8) ** 0.5, rel=1e-14)
    # the hat h(1 − |x − y|/w)_+ inside [0, 1]: ∫ = h w, ∫² = 2 h² w / 3
    y, w, h = 0.4, 0.01, 2.0
    res = lp_error_exact_1d(hat_net(y, w, h), zero_net(), domain=(0.0, 1.0))
    assert res.l1 == pytest.approx(h * w, rel=1e-12)
    assert res.l2 == pytest.approx((2 * h * h * w / 3) ** 0.5, rel=1e-12)


@pytest.mark.parametrize("arch, seed", [([1, 32, 32, 32, 32, 32, 1], 0), ([1, 64, 64, 1], 2)])
def test_lp_of_random_networks_against_a_dense_trapezoid(arch, seed):
    """Trapezoid rule on 10^6 + 1 points. It is exact for |e| on every grid cell where e is
    linear without a zero, and errs by s²δ³/6 for e² there (s the slope, δ the spacing);
    a cell holding one of the n kinks or zeros errs by at most Λ_φ δ² for φ with Lipschitz
    constant Λ_φ (Λ for |e|, 2Λ·max|e| for e²), Λ ≤ Lip(f) + Lip(g)."""
    f, g = random_net(arch, seed), random_net(arch, seed + 100)
    lo, hi = -0.5, 0.5
    res = lp_error_exact_1d(f, g, domain=(lo, hi))
    grid = np.linspace(lo, hi, 10**6 + 1)
    delta = grid[1] - grid[0]
    e = evaluate(f, grid) - evaluate(g, grid)
    trap1 = np.trapezoid(np.abs(e), grid) / (hi - lo)
    trap2 = np.trapezoid(e * e, grid) / (hi - lo)
    lam = lip_1d(f) + lip_1d(g)
    kinks = breakpoints_1d(f).size + breakpoints_1d(g).size
    zeros = kinks + 1  # e has at most one zero per linear piece
    tol1 = (kinks + zeros) * lam * delta**2 / (hi - lo)
    tol2 = (lam**2 * delta**2 / 6 + (kinks + zeros) * 2 * lam * np.abs(e).max() * delta**2) / (hi - lo)
    assert tol1 < 1e-3 * trap1 and tol2 < 1e-3 * trap2  # the check is sharp
    assert abs(res.l1 - trap1) <= tol1
    assert abs(res.l2**2 - trap2) <= tol2
    assert res.linf == sup_error_exact_1d(f, g).value


def test_lp_registry_metrics_match_the_api():
    f, g = random_net([1, 16, 16, 1], 5), random_net([1, 16, 16, 1], 6)
    res = lp_error_exact_1d(f, g, domain=(0.0, 1.0))
    assert NETWORK_METRICS["l1_exact"](f, g, domain=(0.0, 1.0), budget_s=1.0) == {"l1_exact": res.l1}
    assert NETWORK_METRICS["l2_exact"](f, g, domain=(0.0, 1.0), budget_s=1.0) == {"l2_exact": res.l2}
