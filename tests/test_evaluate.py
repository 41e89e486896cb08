"""Honest evaluation (robust/_evaluate.py): certified ≤ true ≤ attack, checked by dense search on
tiny 2-D networks; witnesses re-verified by an independent numpy forward pass."""

from __future__ import annotations

import copy

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


def test_a_sparse_network_is_attacked_on_the_cpu_in_float64_and_certified_densely(one_thread):
    """A SparseReLUNetwork has no torch parameters: attacks run on it in float64; witnesses re-verified
    by the numpy forward pass of its dense layers; the certificate runs on its dense form (small here)."""
    from uniformgap.networks import SparseReLUNetwork

    layers, dense = _tiny_net(3)
    net = SparseReLUNetwork(layers)
    x = np.random.default_rng(3).uniform(size=(80, 2))
    y = np.argmax(_numpy_logits(layers, x), 1)
    y[:5] = (y[:5] + 1) % 3  # a few clean errors
    cfg = EvalConfig(steps=5, restarts=1, library=())
    ev = evaluate_split(net, x, y, eps=0.1, config=cfg, n_classes=3)
    assert np.array_equal(ev.clean_correct, _numpy_margin(layers, x, y) > 0)
    hit = ev.fooled & ev.clean_correct
    assert hit.any() and (_numpy_margin(layers, ev.witnesses[hit], y[hit]) <= 0).all()
    assert np.abs(ev.witnesses - x).max() <= 0.1 + 1e-12
    # the certificate of the sparse network is the dense network's, point by point, and sound (dense search)
    assert ev.certify_method == "crown" and ev.certify_note is None and ev.certified.any()
    assert np.array_equal(ev.certified, evaluate_split(dense, x, y, eps=0.1, config=cfg, n_classes=3).certified)
    t = np.linspace(-0.1, 0.1, 41)
    grid = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    for i in np.flatnonzero(ev.certified):
        pts = np.clip(x[i] + grid, 0, 1)
        assert _numpy_margin(layers, pts, np.full(len(pts), y[i])).min() > 0


def _cnn(seed, C=3, pool=False):
    from torch import nn

    from uniformgap.robust._training import build_model

    if not pool:
        return build_model("cnn", 64, C, [4], image_shape=(8, 8), seed=seed, dtype=torch.float64)
    torch.manual_seed(seed)
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(18, C)).double()


def test_certifiable_network_densifies_a_small_cnn_and_says_why_not_otherwise():
    from torch import nn

    from uniformgap.networks import SparseReLUNetwork
    from uniformgap.robust._evaluate import certifiable_network

    model = _cnn(1)
    net, why = certifiable_network(model)
    # 8x8 -> 2 channels 4x4 -> 4 channels 2x2 (4x4 kernels, stride 2, padding 1) -> 100 -> 3
    arch = (64, 2 * 4 * 4, 4 * 2 * 2, 100, 3)
    assert why is None and isinstance(net, ReLUNetwork) and net.architecture == arch
    x = torch.rand(50, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        assert (net(x) - model(x)).abs().max().item() <= 1e-12  # torch's convolutions, independently
    dense = sum(a * b for a, b in zip(arch[:-1], arch[1:]))
    assert certifiable_network(model, max_dense=dense)[0] is not None
    assert certifiable_network(model, max_dense=dense - 1) == (
        None, f"its dense size {dense} weights exceeds the {dense - 1} that are densified for the certificate")
    sparse = SparseReLUNetwork([(layer.weight.detach().numpy(), layer.bias.detach().numpy())
                                for layer in net if isinstance(layer, nn.Linear)])
    assert isinstance(certifiable_network(sparse)[0], ReLUNetwork)
    assert certifiable_network(_cnn(1, pool=True), max_dense=dense) == (
        None, f"not converted to a ReLU network of at most {dense} weights (layer 2 must be Unflatten, Conv2d, AvgPool2d, "
              "Flatten, Linear or ReLU to be written as a ReLU network, got MaxPool2d (max pooling is not linear: keep "
              "the torch .pt file))")
    # a convolution with more non-zeros than the limit is refused before it is built: 2 channels 4x4, 1 * 4 * 4 taps each
    taps = 2 * 4 * 4 * 1 * 4 * 4
    assert certifiable_network(model, max_dense=taps - 1) == (
        None, f"not converted to a ReLU network of at most {taps - 1} weights (`max_nnz` must be >= the {taps} non-zeros "
              f"of a 2-channel 4x4 convolution on (1, 8, 8), got {taps - 1})")
    assert certifiable_network(nn.Tanh()) == (None, "a Tanh is not a sequence of affine layers and ReLUs")
    assert certifiable_network(net) == (net, None)  # an MLP as it is


def test_a_cnn_is_certified_soundly_and_exactly_at_radius_zero(one_thread):
    model = _cnn(2)
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(60, 64))
    with torch.no_grad():  # logits centred and spread so that every class is predicted somewhere
        last = model[-1]
        last.bias -= model(torch.as_tensor(x)).mean(0)
        last.weight.mul_(30)
        last.bias.mul_(30)
        y = model(torch.as_tensor(x)).argmax(1).numpy()
    assert len(set(y.tolist())) == 3
    y[:5] = (y[:5] + 1) % 3  # a few clean errors
    cfg = EvalConfig(steps=3, restarts=1, library=())
    ev0 = evaluate_split(copy.deepcopy(model).float(), x, y, eps=0.0, config=cfg, n_classes=3)  # as trained
    # on a radius-0 box CROWN is exact: certified iff clean-correct
    assert ev0.certify_method == "crown" and np.array_equal(ev0.certified, ev0.clean_correct)
    eps = 0.01
    ev = evaluate_split(model, x, y, eps=eps, config=cfg, n_classes=3)
    assert 0 < ev.certified.sum() < ev.clean_correct.sum() and not ev.certified[:5].any()
    # sound: 200 random corners and interior points of each certified box, classified y by torch's CNN
    for i in np.flatnonzero(ev.certified):
        u = rng.uniform(-1, 1, size=(200, 64))
        u[:100] = np.sign(u[:100])
        pts = np.clip(x[i] + eps * u, 0, 1)
        with torch.no_grad():
            assert (model(torch.as_tensor(pts)).argmax(1).numpy() == y[i]).all()
    nothing = evaluate_split(_cnn(2, pool=True), x, y, eps=eps, config=cfg, n_classes=3)
    assert nothing.certified is None and nothing.to_dict()["certified"] is None
    assert nothing.certify_note.startswith("not converted to a ReLU network of at most 10000000 weights (layer 2 must")
    off = evaluate_split(model, x, y, eps=eps, config=EvalConfig(steps=1, restarts=1, library=(), certify="none"),
                         n_classes=3)
    assert off.certified is None and off.certify_note == "not asked for (certify: none)"
