"""Monte-Carlo errors: checked against NumPy on the very same points and against exact norms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.metrics import MC_METRICS, mc_errors, mc_points
from uniformgap.metrics._montecarlo import DRAW_BLOCK
from uniformgap.networks import ReLUNetwork, StackedReLU

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _random_stack(K, arch, seed):
    g = _gen(seed)
    nets = [
        ReLUNetwork([(torch.rand(b, a, generator=g, dtype=F64) * 2 - 1, torch.rand(b, generator=g, dtype=F64) * 2 - 1)
                     for a, b in zip(arch[:-1], arch[1:])])
        for _ in range(K)
    ]
    return nets, StackedReLU.from_networks(nets)


def _numpy_net(net, x):
    h = x
    layers = [(A.numpy(), b.numpy()) for A, b in net.layers]
    for ell, (A, b) in enumerate(layers):
        h = h @ A.T + b
        h = np.maximum(h, 0) if ell < len(layers) - 1 else h
    return h[:, 0]


def test_matches_numpy_on_the_same_points():
    nets, stack = _random_stack(3, (2, 6, 6, 1), seed=0)
    seen = []

    def predict(x):
        seen.append(x.numpy().copy())
        return stack(x)

    out = mc_errors(predict, lambda x: torch.sin(3 * x.sum(dim=1)), d=2, n_points=10_000, chunk_size=DRAW_BLOCK,
                    generator=_gen(1))
    x = np.concatenate(seen)
    assert x.shape == (10_000, 2) and len(seen) == 3  # 4096 + 4096 + 1808
    assert x.min() >= -0.5 and x.max() <= 0.5
    for k, net in enumerate(nets):
        e = _numpy_net(net, x) - np.sin(3 * x.sum(axis=1))
        assert out["l1"][k].item() == pytest.approx(np.mean(np.abs(e)), rel=1e-12)
        assert out["l2"][k].item() == pytest.approx(np.sqrt(np.mean(e**2)), rel=1e-12)
        assert out["linf"][k].item() == pytest.approx(np.max(np.abs(e)), rel=1e-12)


def test_chunk_size_does_not_change_the_points_or_results():
    _, stack = _random_stack(2, (3, 5, 1), seed=2)
    target = lambda x: x.prod(dim=1)  # noqa: E731
    small = mc_errors(stack, target, d=3, n_points=50_000, chunk_size=5000, generator=_gen(3))
    whole = mc_errors(stack, target, d=3, n_points=50_000, chunk_size=2**20, generator=_gen(3))
    torch.testing.assert_close(small["linf"], whole["linf"], rtol=1e-13, atol=0)
    torch.testing.assert_close(small["l1"], whole["l1"], rtol=1e-13, atol=0)
    torch.testing.assert_close(small["l2"], whole["l2"], rtol=1e-13, atol=0)
    a = torch.cat(list(mc_points(9000, d=3, chunk_size=1, generator=_gen(5))))
    b = torch.cat(list(mc_points(9000, d=3, chunk_size=10**6, generator=_gen(5))))
    assert a.shape == (9000, 3) and torch.equal(a, b)


def test_exact_norms_of_a_known_error_and_linf_is_a_lower_estimate():
    # e_k(x) = a_k * x_1 on [-1/2, 1/2]^2: ||e||_1 = a/4, ||e||_2 = a/sqrt(12), sup = a/2
    a = torch.tensor([1.0, 3.0], dtype=F64)
    predict = lambda x: a[:, None] * x[:, 0]  # noqa: E731
    out = mc_errors(predict, lambda x: torch.zeros(x.shape[0], dtype=F64), d=2, n_points=2**18, generator=_gen(0))
    sup = a / 2
    assert (out["linf"] <= sup).all()
    assert (out["linf"] >= sup * (1 - 1e-3)).all()
    # the mean of 2^18 i.i.d. draws: 5 standard errors (std |x_1| <= 1/2) on the order of 1e-3
    torch.testing.assert_close(out["l1"], a / 4, rtol=5e-3, atol=0)
    torch.testing.assert_close(out["l2"], a / math.sqrt(12), rtol=5e-3, atol=0)


def test_linf_below_exact_sup_of_a_hat_on_unit_cube():
    # hat h(x) = relu(1 - 4|x_1 - 0.3|), sup = 1 only at x_1 = 0.3 exactly: never hit by sampling
    hat = lambda x: torch.relu(1 - 4 * (x[:, 0] - 0.3).abs())[None]  # noqa: E731
    out = mc_errors(hat, lambda x: torch.zeros(x.shape[0], dtype=F64), d=1, domain=(0.0, 1.0),
                    n_points=20_000, generator=_gen(9), metrics=["linf"])
    assert list(out) == ["linf"] and 0.99 < out["linf"].item() < 1.0


def test_target_broadcast_and_nan_rows():
    _, stack = _random_stack(3, (1, 4, 1), seed=4)
    target = lambda x: torch.cos(x[:, 0])  # noqa: E731
    shared = mc_errors(stack, target, d=1, n_points=3000, generator=_gen(1))
    per_model = mc_errors(stack, lambda x: target(x).expand(3, -1), d=1, n_points=3000, generator=_gen(1))
    for name in MC_METRICS:
        assert torch.equal(shared[name], per_model[name])

    def with_nan(x):
        out = stack(x)
        out[1] = math.nan
        return out

    out = mc_errors(with_nan, target, d=1, n_points=3000, generator=_gen(1))
    for name in ("l1", "l2", "linf"):
        assert math.isnan(out[name][1]) and torch.equal(out[name][[0, 2]], shared[name][[0, 2]])


def test_errors():
    _, stack = _random_stack(2, (1, 3, 1), seed=0)
    target = lambda x: x[:, 0]  # noqa: E731
    with pytest.raises(InputError) as exc:
        mc_errors(stack, target, d=1, generator=_gen(0), metrics=["l3"])
    assert str(exc.value) == "`metrics` must be a non-empty list of ['l1', 'l2', 'linf'], got ['l3']"
    with pytest.raises(InputError) as exc:
        mc_errors(stack, target, d=1, n_points=0, generator=_gen(0))
    assert str(exc.value) == "`n_points` must be an integer >= 1, got 0"
    with pytest.raises(InputError) as exc:
        mc_errors(stack, lambda x: x, d=1, n_points=10, generator=_gen(0))
    assert str(exc.value) == "`target` must map (n, d) to (n,) or (K, n) = (2, 10), got (10, 1)"
    with pytest.raises(InputError) as exc:
        mc_errors(stack, target, d=1, n_points=10, generator=0)
    assert str(exc.value) == (
        "`generator` must be a torch.Generator, got int (e.g. generator=torch.Generator().manual_seed(0))"
    )
    with pytest.raises(InputError) as exc:
        mc_errors(stack, target, d=1, domain=(0.5, 0.5), generator=_gen(0))
    assert str(exc.value) == "`domain` must be a pair (lo, hi) of finite numbers with lo < hi, got (0.5, 0.5) (e.g. (-0.5, 0.5))"
