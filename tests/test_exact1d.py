"""Exact 1-D sup error: hand-built CPWL functions with known maxima, dense grids, bad inputs."""

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.metrics import NETWORK_METRICS, PiecewiseLinear, breakpoints_1d, sup_error_exact_1d
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
