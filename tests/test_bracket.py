"""Certified brackets for d >= 2 and the bound propagation behind them: soundness by evaluation."""

import itertools

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.metrics import NETWORK_METRICS, regression_attack, sup_error_bracket
from uniformgap.metrics._bounds_prop import difference_bounds, relu_bounds
from uniformgap.networks import ReLUNetwork

from _nets import random_net


def evaluate(net, x):
    """net(x) by torch in chunks (small activations: dense grids stay cheap)."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    with torch.no_grad():
        return torch.cat([net(c) for c in x.split(1 << 15)]).numpy()[:, 0]


def lip_inf(net):
    """Lipschitz constant w.r.t. ‖·‖_∞ on inputs: ≤ Π_ℓ ‖A_ℓ‖_{∞→∞} (max absolute row sum)."""
    return float(np.prod([np.abs(A.numpy()).sum(1).max() for A, _ in net.layers]))


def grid(d, n, lo=-0.5, hi=0.5):
    axes = [np.linspace(lo, hi, n)] * d
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d), (hi - lo) / (n - 1)


def hat_2d(y, M, lam):
    """λ (1 − M‖x − y‖_1)_+ built by hand: ρ(±M(x_i − y_i)) then ρ(1 − Σ) (docs/theory.md §2)."""
    A1 = torch.tensor([[M, 0.0], [-M, 0.0], [0.0, M], [0.0, -M]], dtype=torch.float64)
    b1 = torch.tensor([-M * y[0], M * y[0], -M * y[1], M * y[1]], dtype=torch.float64)
    A2 = -torch.ones(1, 4, dtype=torch.float64)
    b2 = torch.ones(1, dtype=torch.float64)
    return ReLUNetwork([(A1, b1), (A2, b2), (torch.tensor([[lam]], dtype=torch.float64), torch.zeros(1, dtype=torch.float64))])


def zero_net(d):
    return ReLUNetwork.from_arrays([(np.zeros((1, d)), [0.0]), ([[0.0]], [0.0])])


@pytest.mark.parametrize(
    "d, arch_f, arch_g, n_grid",
    [(2, [32, 32, 32], [16, 16, 16, 16], 1001), (3, [16, 16, 16], [32, 32], 101)],
)
def test_bracket_is_sound_against_a_dense_grid(d, arch_f, arch_g, n_grid):
    f, g = random_net([d, *arch_f, 1], d), random_net([d, *arch_g, 1], d + 10)
    b = sup_error_bracket(f, g, (-0.5, 0.5), tol=0.01, budget_s=5.0, seed=0)
    x, h = grid(d, n_grid)  # 10^6 points
    vals = np.abs(evaluate(f, x) - evaluate(g, x))
    slack = (lip_inf(f) + lip_inf(g)) * h / 2  # every point is within h/2 (sup norm) of the grid
    assert vals.max() <= b.upper
    assert b.lower <= vals.max() + slack
    assert b.lower <= b.upper and b.gap == b.upper - b.lower
    at = abs(evaluate(f, [b.argmax])[0] - evaluate(g, [b.argmax])[0])
    assert b.lower == pytest.approx(at, rel=1e-12, abs=1e-15)
    assert all(-0.5 <= t <= 0.5 for t in b.argmax)
    assert b.mc_max <= b.lower and b.attack_value <= b.lower
    assert b.tol_reached == (b.upper - b.lower <= 0.01 * b.upper)


@pytest.mark.parametrize("method", ["crown", "forward", "ibp"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_bounds_contain_sampled_values_and_corners(method, d):
    rng = np.random.default_rng(d)
    f, g = random_net([d, 24, 24, 24, 1], 7 * d), random_net([d, 16, 16, 1], 7 * d + 1)
    for width in (1.0, 0.1, 0.01):
        c = rng.uniform(-0.5, 0.5, (40, d))
        lo, hi = c - width / 2, c + width / 2
        corners = np.array(list(itertools.product([0.0, 1.0], repeat=d)))  # (2^d, d)
        t = np.concatenate([rng.uniform(size=(40, 300, d)), np.broadcast_to(corners, (40, 2**d, d))], axis=1)
        x = lo[:, None, :] + (hi - lo)[:, None, :] * t  # (40, n, d)
        vf = evaluate(f, x.reshape(-1, d)).reshape(40, -1)
        vg = evaluate(g, x.reshape(-1, d)).reshape(40, -1)
        fl, fu = relu_bounds(f, lo, hi, method=method)
        assert np.all(fl <= vf.min(1)) and np.all(vf.max(1) <= fu)
        dl, du = difference_bounds(f, g, lo, hi, method=method)
        assert np.all(dl <= (vf - vg).min(1)) and np.all((vf - vg).max(1) <= du)


def test_linear_relaxation_is_exact_on_affine_networks_and_beats_ibp_on_small_boxes():
    # one affine layer: the range over a box is attained at corners, known by enumeration
    A, b = np.array([[0.7, -1.3, 2.0]]), np.array([0.25])
    net = ReLUNetwork.from_arrays([(A, b)])
    lo, hi = np.array([[-0.5, 0.0, 0.1]]), np.array([[0.2, 0.3, 0.4]])
    corners = np.array([[lo[0, i] if s == 0 else hi[0, i] for i, s in enumerate(bits)] for bits in itertools.product([0, 1], repeat=3)])
    vals = corners @ A[0] + b[0]
    l, u = relu_bounds(net, lo, hi, method="crown")
    assert l[0] == pytest.approx(vals.min(), abs=1e-9) and u[0] == pytest.approx(vals.max(), abs=1e-9)
    # on small boxes CROWN is much tighter than interval arithmetic
    f, g = random_net([2, 32, 32, 32, 1], 1), random_net([2, 32, 32, 32, 1], 2)
    c = np.random.default_rng(0).uniform(-0.4, 0.4, (50, 2))
    cl, cu = difference_bounds(f, g, c - 0.01, c + 0.01, method="crown")
    il, iu = difference_bounds(f, g, c - 0.01, c + 0.01, method="ibp")
    assert np.all(cu - cl <= iu - il + 1e-9)
    assert np.mean(cu - cl) < 0.2 * np.mean(iu - il)


def test_narrow_spike_is_bracketed_although_monte_carlo_misses_it():
    y, M, lam = (0.1234, -0.321), 400.0, 0.5  # support: an l1-ball of radius 1/400, 1.25e-5 of the area
    # a work budget (boxes), not seconds: the same outcome on any machine, however loaded
    b = sup_error_bracket(hat_2d(y, M, lam), zero_net(2), (-0.5, 0.5), tol=0.01, budget_s=1e6, mc_points=4096,
                          seed=0, max_boxes=1000)
    assert b.mc_max == 0.0  # no Monte-Carlo point lands in the support
    assert b.lower <= lam <= b.upper
    assert b.tol_reached and b.lower >= 0.99 * lam and b.boxes_processed <= 1000


def test_identical_networks_give_a_zero_bracket():
    f = random_net([2, 16, 16, 1], 3)
    b = sup_error_bracket(f, f, (0.0, 1.0), budget_s=5.0)
    assert (b.lower, b.upper, b.tol_reached) == (0.0, 0.0, True)


def test_budget_is_honest_when_it_runs_out():
    f, g = random_net([3, 32, 32, 32, 32, 1], 5), random_net([3, 32, 32, 32, 32, 1], 6)
    b = sup_error_bracket(f, g, (-0.5, 0.5), tol=1e-6, budget_s=1e6, mc_points=1024, max_boxes=1)
    assert not b.tol_reached and b.rel_gap > 1e-6
    assert b.lower <= b.upper and b.boxes_processed == 1  # stopped by the work budget after the root box
    more = sup_error_bracket(f, g, (-0.5, 0.5), tol=1e-6, budget_s=1e6, mc_points=1024, max_boxes=200)
    assert 200 <= more.boxes_processed and more.upper - more.lower <= b.upper - b.lower  # more work, no wider gap


def test_attack_improves_on_monte_carlo_and_reports_its_witness():
    f, g = random_net([2, 32, 32, 1], 8), random_net([2, 32, 32, 1], 9)
    a = regression_attack(f, g, (-0.5, 0.5), mc_points=256, seed=1)
    assert a.value >= a.mc_max
    assert a.value == pytest.approx(abs(evaluate(f, [a.argmax])[0] - evaluate(g, [a.argmax])[0]), rel=1e-12)
    assert a.mc_max == pytest.approx(abs(evaluate(f, [a.mc_argmax])[0] - evaluate(g, [a.mc_argmax])[0]), rel=1e-12)


def test_registry_metric_reports_lower_and_upper():
    f, g = random_net([2, 8, 8, 1], 1), random_net([2, 8, 1], 2)
    out = NETWORK_METRICS["linf_bracket"](f, g, domain=(-0.5, 0.5), budget_s=2.0)
    assert set(out) == {"linf_lower", "linf_upper"} and out["linf_lower"] <= out["linf_upper"]


def test_bad_inputs_are_one_line_errors():
    f2, f3 = random_net([2, 4, 1], 0), random_net([3, 4, 1], 0)
    cases = [
        (lambda: sup_error_bracket(f2, f3), "networks must have the same input dimension, got d=2 (f) and d=3 (g)"),
        (
            lambda: sup_error_bracket(f2, f2, (0.5, -0.5)),
            "`domain` must have finite lo < hi in every coordinate, got (0.5, -0.5) (e.g. domain=(-0.5, 0.5))",
        ),
        (
            lambda: sup_error_bracket(f2, f2, ([0.0, 0.0], [1.0, 0.0])),
            "`domain` must have finite lo < hi in every coordinate, got ([0.0, 0.0], [1.0, 0.0]) (e.g. domain=(-0.5, 0.5))",
        ),
        (lambda: sup_error_bracket(f2, f2, tol=0), "`tol` must be a number > 0, got 0"),
        (lambda: sup_error_bracket(f2, f2, budget_s=-1.0), "`budget_s` must be a number > 0, got -1.0"),
        (lambda: sup_error_bracket(f2, f2, max_boxes=0), "`max_boxes` must be an integer >= 1 or None, got 0"),
        (lambda: sup_error_bracket(f2, f2, method="lp"), "`method` must be one of crown, forward, ibp, got 'lp'"),
        (lambda: sup_error_bracket(f2, f2, mc_points=0), "`mc_points` must be an integer >= 1, got 0"),
        (lambda: relu_bounds(f2, [0.0, 0.0], [1.0], method="ibp"), "`lo`, `hi` must be (n, 2) arrays with lo <= hi, got shapes (1, 2) and (1, 1)"),
    ]
    for call, message in cases:
        with pytest.raises(InputError) as exc:
            call()
        assert str(exc.value) == message
