"""Targets: random teachers, the sine target, hat networks, user files; training data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.experiments import build_targets, load_config, random_teacher
from uniformgap.experiments._targets import load_targets, save_targets
from uniformgap.experiments._data import training_data
from uniformgap.networks import save_network


def test_teacher_architecture_and_coefficient_law():
    net = random_teacher(d=3, depth=5, width=32, a=0.5, seed=7)
    assert net.architecture == (3, 32, 32, 32, 32, 1)
    coef = torch.cat([torch.cat([A.reshape(-1), b]) for A, b in net.layers]).numpy()
    assert np.abs(coef).max() <= 0.5
    # U(-a, a): mean 0, variance a^2/3 (3377 coefficients: ~5 standard errors of slack)
    assert abs(coef.mean()) < 5 * 0.5 / np.sqrt(3 * coef.size)
    assert abs(coef.var() - 0.25 / 3) < 0.01


def test_teacher_i_is_seed_i_and_deterministic():
    cfg = load_config({"target": {"kind": "teacher", "n": 3, "width": 8, "depth": 3}})
    a, b = build_targets(cfg), build_targets(cfg)
    x = torch.linspace(-0.5, 0.5, 101, dtype=torch.float64)[:, None]
    for t, u in zip(a, b):
        assert torch.equal(t(x), u(x))
        assert torch.equal(t(x), random_teacher(1, 3, 8, 0.5, seed=t.index)(x).reshape(-1))
    assert not torch.equal(a[0](x), a[1](x))


def test_sine_target_matches_numpy():
    (t,) = build_targets(load_config({"target": {"kind": "sine"}}))
    x = np.linspace(-0.5, 0.5, 257)
    expected = np.log(np.sin(50 * x) + 2) + np.sin(5 * x)
    np.testing.assert_allclose(t(torch.tensor(x)[:, None]).numpy(), expected, rtol=0, atol=1e-14)


def test_hat_target_is_a_spike_at_the_centre():
    (t,) = build_targets(load_config({"target": {"kind": "hat", "d": 1, "L": 3, "M": 10}}))
    x = torch.tensor([[0.0], [0.05], [0.1], [0.3], [-0.3]], dtype=torch.float64)
    v = t(x)
    assert v[0] > 0 and torch.isclose(v[1], v[0] / 2)  # (1 - M|x - y|)_+ halves at 1/(2M)
    assert torch.all(v[2:] == 0)  # support |x - y| < 1/M
    with pytest.raises(InputError) as exc:
        build_targets(load_config({"target": {"kind": "hat", "y": [0.9]}}))
    assert str(exc.value) == "config: target.y: must be 1 number(s) in [-0.5, 0.5] (the domain), got [0.9]"


def test_file_targets_round_trip(tmp_path):
    nets = [random_teacher(2, 3, 4, 0.5, seed=s) for s in (11, 12)]
    paths = [str(save_network(n, tmp_path / f"n{i}.json")) for i, n in enumerate(nets)]
    cfg = load_config({"target": {"kind": "file", "paths": paths}})
    targets = build_targets(cfg)
    save_targets(targets, tmp_path / "teachers", cfg)
    again = load_targets(tmp_path / "teachers", cfg)
    x = torch.rand(50, 2, dtype=torch.float64) - 0.5
    for net, t, u in zip(nets, targets, again):
        assert t.d == 2 and torch.equal(t(x), net(x).reshape(-1)) and torch.equal(u(x), t(x))
    other = save_network(random_teacher(1, 3, 4, 0.5, seed=0), tmp_path / "d1.json")
    with pytest.raises(InputError) as exc:
        build_targets(load_config({"target": {"kind": "file", "paths": [paths[0], str(other)]}}))
    assert str(exc.value) == "config: target.paths: all networks must have the same input dimension, got [1, 2]"


@pytest.mark.parametrize("domain, lo, hi", [("centered", -0.5, 0.5), ("unit", 0.0, 1.0)])
def test_training_data_lies_in_the_domain_and_is_seeded_by_teacher_seed_m(domain, lo, hi):
    cfg = load_config({"domain": domain, "target": {"kind": "teacher", "n": 2, "width": 4, "depth": 3}})
    t0, t1 = build_targets(cfg)
    x, y = training_data(cfg, t0, seed=0, m=500)
    assert x.shape == (500, 1) and x.min() >= lo and x.max() <= hi and x.max() - x.min() > 0.9 * (hi - lo)
    assert torch.equal(y, t0(x))
    assert torch.equal(training_data(cfg, t0, 0, 500)[0], x)
    for other in (training_data(cfg, t1, 0, 500)[0], training_data(cfg, t0, 1, 500)[0],
                  training_data(cfg, t0, 0, 501)[0][:500]):
        assert not torch.equal(other, x)


def test_teacher_target_is_its_network_by_a_separate_numpy_forward_pass():
    (t,) = build_targets(load_config({"target": {"kind": "teacher", "n": 1, "width": 4, "depth": 3, "a": 0.25}}))
    layers = [(w.numpy(), b.numpy()) for w, b in t.network.layers]
    assert [w.shape for w, _ in layers] == [(4, 1), (4, 4), (1, 4)]  # architecture [1, 4, 4, 1]
    assert all(np.abs(w).max() <= 0.25 and np.abs(b).max() <= 0.25 for w, b in layers)  # U(-a, a)
    x = np.linspace(-0.5, 0.5, 101)[:, None]
    h = x
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    np.testing.assert_allclose(t(torch.from_numpy(x)).numpy(), h[:, 0], rtol=1e-12, atol=1e-15)
