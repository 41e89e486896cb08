"""Margin bounds of multi-output networks (metrics/_bounds_prop.py: margin_bounds)."""

from __future__ import annotations

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap.metrics._bounds_prop import margin_bounds
from uniformgap.networks import ReLUNetwork


def _net(arch, seed):
    rng = np.random.default_rng(seed)
    layers = [(rng.normal(size=(o, i)) / np.sqrt(i), rng.normal(size=o) * 0.1) for i, o in zip(arch[:-1], arch[1:])]
    return layers, ReLUNetwork.from_arrays(layers)


def _margins(layers, x, y):
    h = x
    for i, (A, b) in enumerate(layers):
        h = h @ A.T + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0)
    other = np.where(np.eye(h.shape[1], dtype=bool)[y], -np.inf, h).max(1)
    return h[np.arange(len(y)), y] - other


def _problem(arch, eps, *, net_seed, seed, n):
    """A random network, n random points of [0,1]^d, their eps-boxes clipped to the cube, random labels."""
    layers, net = _net(arch, seed=net_seed)
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, arch[0]))
    lo, hi = np.clip(x - eps, 0, 1), np.clip(x + eps, 0, 1)
    return layers, net, rng, x, lo, hi, rng.integers(0, arch[-1], size=n)


@pytest.mark.parametrize("method", ["ibp", "crown-ibp", "crown", "auto"])
@pytest.mark.parametrize("arch,eps", [((2, 8, 8, 3), 0.05), ((5, 16, 4), 0.05), ((40, 24, 24, 10), 0.01), ((3, 2), 0.1)])
def test_margin_bounds_contain_sampled_margins(arch, eps, method):
    layers, net, rng, x, lo, hi, y = _problem(arch, eps, net_seed=sum(arch), seed=0, n=30)
    n, d = x.shape
    lb = margin_bounds(net, lo, hi, y, method=method)
    samples = rng.uniform(lo[:, None, :], hi[:, None, :], size=(n, 300, d))
    corners = np.where(rng.integers(0, 2, size=(n, 300, d)).astype(bool), lo[:, None, :], hi[:, None, :])
    for pts in (samples, corners):
        m = _margins(layers, pts.reshape(-1, d), np.repeat(y, 300)).reshape(n, 300)
        assert np.all(lb <= m.min(1))


def test_linear_classifier_margin_bound_is_exact():
    # one affine layer: the margin is affine on the box, its minimum is at a vertex (closed form)
    layers, net = _net((4, 3), seed=7)
    A, b = layers[0]
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(10, 4))
    lo, hi = np.clip(x - 0.1, 0, 1), np.clip(x + 0.1, 0, 1)
    y = rng.integers(0, 3, size=10)
    exact = np.array([min((A[y[k]] - A[j]) @ np.where(A[y[k]] - A[j] > 0, lo[k], hi[k]) + b[y[k]] - b[j]
                          for j in range(3) if j != y[k]) for k in range(10)])
    for method in ("ibp", "crown"):
        np.testing.assert_allclose(margin_bounds(net, lo, hi, y, method=method), exact, atol=1e-9)


def test_crown_is_tighter_than_ibp_on_average():
    _, net = _net((20, 32, 32, 5), seed=3)
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(40, 20))
    lo, hi = np.clip(x - 0.02, 0, 1), np.clip(x + 0.02, 0, 1)
    y = rng.integers(0, 5, size=40)
    ibp = margin_bounds(net, lo, hi, y, method="ibp")
    crown = margin_bounds(net, lo, hi, y, method="crown-ibp")
    assert np.all(crown >= ibp - 1e-12) and crown.mean() > ibp.mean()


def test_bad_labels_and_method():
    _, net = _net((2, 3), seed=0)
    with pytest.raises(InputError) as exc:
        margin_bounds(net, np.zeros((1, 2)), np.ones((1, 2)), [3])
    assert str(exc.value) == "`y` must hold 1 class ids in 0..2 (C = 3 >= 2 outputs), got shape (1,)"
    with pytest.raises(InputError) as exc:
        margin_bounds(net, np.zeros((1, 2)), np.ones((1, 2)), [0], method="lp")
    assert str(exc.value) == "`method` must be one of auto, crown, crown-ibp, ibp, got 'lp'"


def _ball_points(rng, x, eps, k):
    """k points per row of x in B_2(x, eps) ∩ [0,1]^d: uniform in the ball, then clipped to the cube
    (clipping moves each coordinate towards x ∈ [0,1]^d, so the point stays in the ball)."""
    n, d = x.shape
    u = rng.standard_normal((n, k, d))
    u *= (eps * rng.uniform(size=(n, k, 1)) ** (1 / d)) / np.linalg.norm(u, axis=2, keepdims=True)
    return np.clip(x[:, None, :] + u, 0, 1)


def _pgd_ball(layers, x, y, eps, steps=25):
    """Projected gradient descent on the margin inside B_2(x, eps) ∩ [0,1]^d (torch, float64)."""
    import torch

    X = torch.as_tensor(x)
    xa = X.clone()
    Ws = [(torch.as_tensor(A), torch.as_tensor(b)) for A, b in layers]
    for _ in range(steps):
        xa = xa.detach().requires_grad_(True)
        h = xa
        for i, (A, b) in enumerate(Ws):
            h = h @ A.T + b
            h = torch.relu(h) if i < len(Ws) - 1 else h
        other = torch.where(torch.eye(h.shape[1], dtype=torch.bool)[y], -torch.inf, h).max(1).values
        (g,) = torch.autograd.grad((h[torch.arange(len(y)), y] - other).sum(), xa)
        with torch.no_grad():
            v = xa - eps / 8 * g / g.norm(dim=1, keepdim=True).clamp_min(1e-300) - X
            v *= torch.clamp(eps / v.norm(dim=1, keepdim=True).clamp_min(1e-300), max=1.0)
            xa = (X + v).clamp(0, 1)
    return xa.detach().numpy()


@pytest.mark.parametrize("method", ["ibp", "crown-ibp", "crown"])
@pytest.mark.parametrize("arch,eps", [((5, 8, 8, 3), 0.3), ((20, 16, 4), 0.5), ((3, 6, 6, 6, 2), 0.2)])
def test_l2_ball_bounds_are_sound_and_never_looser_than_the_box(arch, eps, method, one_thread):
    layers, net, rng, x, lo, hi, y = _problem(arch, eps, net_seed=sum(arch) + 1, seed=5, n=25)
    n, d = x.shape
    box = margin_bounds(net, lo, hi, y, method=method)
    ball = margin_bounds(net, lo, hi, y, method=method, ball=(x, eps))
    assert np.all(ball >= box)
    pts = _ball_points(rng, x, eps, 400)
    assert np.all(np.linalg.norm(pts - x[:, None, :], axis=2) <= eps * (1 + 1e-12))
    sampled = _margins(layers, pts.reshape(-1, d), np.repeat(y, 400)).reshape(n, 400).min(1)
    attacked = _margins(layers, _pgd_ball(layers, x, y, eps), y)
    assert np.all(ball <= sampled) and np.all(ball <= attacked)


def test_l2_ball_is_strictly_tighter_on_a_seeded_example():
    layers, net = _net((20, 16, 16, 4), seed=3)
    rng = np.random.default_rng(8)
    x = rng.uniform(0.3, 0.7, size=(40, 20))
    eps = 0.2
    h = x  # labels: the clean predictions
    for i, (A, b) in enumerate(layers):
        h = h @ A.T + b
        h = np.maximum(h, 0) if i < len(layers) - 1 else h
    y = h.argmax(1)
    lo, hi = np.clip(x - eps, 0, 1), np.clip(x + eps, 0, 1)
    for method in ("crown-ibp", "crown"):
        box = margin_bounds(net, lo, hi, y, method=method)
        ball = margin_bounds(net, lo, hi, y, method=method, ball=(x, eps))
        assert np.all(ball >= box) and np.mean(ball - box) > 0.1 * np.mean(np.abs(box))
        assert np.sum(ball > 0) >= np.sum(box > 0)


def test_linear_classifier_l2_bound_is_exact_inside_the_cube():
    # one affine layer, the ball inside [0,1]^d: min over the ball of (a_y − a_j)·x + b_y − b_j is
    # (a_y − a_j)·x0 + b_y − b_j − eps ‖a_y − a_j‖₂ (Cauchy–Schwarz), minimised over j ≠ y
    layers, net = _net((6, 4), seed=2)
    A, b = layers[0]
    rng = np.random.default_rng(3)
    x, eps = rng.uniform(0.3, 0.7, size=(12, 6)), 0.2
    y = rng.integers(0, 4, size=12)
    exact = np.array([min((A[y[k]] - A[j]) @ x[k] + b[y[k]] - b[j] - eps * np.linalg.norm(A[y[k]] - A[j])
                          for j in range(4) if j != y[k]) for k in range(12)])
    lb = margin_bounds(net, x - eps, x + eps, y, method="crown", ball=(x, eps))
    np.testing.assert_allclose(lb, exact, atol=1e-9)


def test_bad_ball_is_one_line():
    _, net = _net((3, 4, 2), seed=0)
    x = np.full((2, 3), 0.5)
    with pytest.raises(InputError) as exc:
        margin_bounds(net, x - 0.1, x + 0.1, [0, 1], ball=(x[:1], 0.1))
    assert str(exc.value) == ("`ball` must be (x0, eps) with x0 of shape (2, 3) and eps >= 0, got shape (1, 3) and eps 0.1 "
                              "(e.g. ball=(x, 0.5))")
