"""Honest evaluation (robust/_evaluate.py): certified ≤ true ≤ attack, checked by dense search on
tiny 2-D networks; witnesses re-verified by an independent numpy forward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uniformgap.networks import ReLUNetwork
from uniformgap.robust import EvalConfig, evaluate_split, verify_witnesses


def _numpy_logits(layers, x):
    h = x
    for i, (A, b) in enumerate(layers):
        h = h @ A.T + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0)
    return h


def _numpy_margin(layers, x, y):
    z = _numpy_logits(layers, x)
    other = np.where(np.eye(z.shape[1], dtype=bool)[y], -np.inf, z).max(1)
    return z[np.arange(len(y)), y] - other


def _tiny_net(seed, d=2, width=12, C=3):
    rng = np.random.default_rng(seed)
    layers = [(rng.normal(size=(width, d)) * 2, rng.normal(size=width)),
              (rng.normal(size=(width, width)) / np.sqrt(width), rng.normal(size=width) * 0.1),
              (rng.normal(size=(C, width)), rng.normal(size=C) * 0.1)]
    return layers, ReLUNetwork.from_arrays(layers)


@pytest.mark.parametrize("seed,norm", [(0, "inf"), (1, "inf"), (2, "2")])
def test_sandwich_against_dense_search(one_thread, seed, norm):
    layers, net = _tiny_net(seed)
    rng = np.random.default_rng(10 + seed)
    n, eps = 60, 0.06
    x = rng.uniform(size=(n, 2))
    y = np.argmax(_numpy_logits(layers, x), 1)  # every point clean-correct
    y[:5] = (y[:5] + 1) % 3  # and a few clean errors
    ev = evaluate_split(net, x, y, eps=eps, norm=norm, config=EvalConfig(steps=40, restarts=3, library=()),
                        n_classes=3, seed=0)
    # dense search: a 121x121 grid of each box (∩ the ℓ2 ball for norm 2)
    t = np.linspace(-eps, eps, 121)
    grid = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    if norm == "2":
        grid = grid[np.linalg.norm(grid, axis=1) <= eps]
    grid_min = np.empty(n)
    for i in range(n):
        pts = np.clip(x[i] + grid, 0, 1)
        grid_min[i] = _numpy_margin(layers, pts, np.full(len(pts), y[i])).min()
    grid_robust = grid_min > 0
    assert ev.certified is not None
    assert np.all(grid_robust[ev.certified])  # certified ⇒ truly robust (dense search finds no error)
    assert not np.any(ev.certified & ev.fooled)
    assert np.all(ev.fooled[~grid_robust])  # the attack finds every error dense search finds
    assert ev.certified_accuracy <= ev.robust
    assert ev.fooled[:5].all() and not ev.clean_correct[:5].any()
    # every witness: in the ball, in the cube, misclassified (independent forward pass)
    w = ev.witnesses[ev.fooled]
    d = np.abs(w - x[ev.fooled]).max(1) if norm == "inf" else np.linalg.norm(w - x[ev.fooled], axis=1)
    assert np.all(d <= eps + 1e-12) and np.all((w >= 0) & (w <= 1))
    assert np.all(_numpy_margin(layers, w, y[ev.fooled]) <= 0)


def test_verify_rejects_correct_points_and_projects_outside_ones():
    layers, net = _tiny_net(3)
    from uniformgap.robust._evaluate import reference_logits

    x = np.full((2, 2), 0.5)
    y = np.argmax(_numpy_logits(layers, x), 1)
    ok, xa = verify_witnesses(reference_logits(net), x, y, x + 0.5, 0.1, "inf")  # far outside: projected
    np.testing.assert_allclose(xa, np.full((2, 2), 0.6))
    assert ok.tolist() == list(_numpy_margin(layers, xa, y) <= 0)
    ok, _ = verify_witnesses(reference_logits(net), x, y, x, 0.1, "inf")
    assert not ok.any()  # the clean, correctly classified point is no witness


def test_library_suite_runs_and_only_adds_verified_points(one_thread):
    pytest.importorskip("pyautoattack")
    layers, net = _tiny_net(4)
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(40, 2))
    y = np.argmax(_numpy_logits(layers, x), 1)
    ev = evaluate_split(net.float(), x, y, eps=0.05, config=EvalConfig(steps=5, restarts=1, library=("apgd-ce", "apgd-t"),
                        library_iterations=10), n_classes=3, seed=0)
    assert ev.attacks == ["pgd-ce", "pgd-margin", "apgd-ce"]
    assert ev.skipped == [("apgd-t", "needs >= 4 classes, the data have 3")]
    assert ev.full_suite  # apgd-t does not exist for 3 classes: not a missing attack
    assert np.all(_numpy_margin(layers, ev.witnesses[ev.fooled], y[ev.fooled]) <= 1e-6)


def test_a_sparse_network_is_attacked_on_the_cpu_in_float64_without_a_certificate(one_thread):
    """A SparseReLUNetwork has no torch parameters: attacks run on it in float64; witnesses re-verified
    by the numpy forward pass of its dense layers; no certificate (it needs dense weights)."""
    from uniformgap.networks import SparseReLUNetwork

    layers, _ = _tiny_net(3)
    net = SparseReLUNetwork(layers)
    x = np.random.default_rng(3).uniform(size=(80, 2))
    y = np.argmax(_numpy_logits(layers, x), 1)
    y[:5] = (y[:5] + 1) % 3  # a few clean errors
    ev = evaluate_split(net, x, y, eps=0.1, config=EvalConfig(steps=5, restarts=1, library=()), n_classes=3)
    assert ev.certify_method is None and ev.certified_accuracy is None
    assert np.array_equal(ev.clean_correct, _numpy_margin(layers, x, y) > 0)
    hit = ev.fooled & ev.clean_correct
    assert hit.any() and (_numpy_margin(layers, ev.witnesses[hit], y[hit]) <= 0).all()
    assert np.abs(ev.witnesses - x).max() <= 0.1 + 1e-12
