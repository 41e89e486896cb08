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


@pytest.mark.parametrize("method", ["ibp", "crown-ibp", "crown", "auto"])
@pytest.mark.parametrize("arch,eps", [((2, 8, 8, 3), 0.05), ((5, 16, 4), 0.05), ((40, 24, 24, 10), 0.01), ((3, 2), 0.1)])
def test_margin_bounds_contain_sampled_margins(arch, eps, method):
    layers, net = _net(arch, seed=sum(arch))
    rng = np.random.default_rng(0)
    n, d = 30, arch[0]
    x = rng.uniform(size=(n, d))
    lo, hi = np.clip(x - eps, 0, 1), np.clip(x + eps, 0, 1)
    y = rng.integers(0, arch[-1], size=n)
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
