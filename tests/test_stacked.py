"""StackedReLU: K networks evaluated at once must equal evaluating each network on its own."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import ReLUNetwork, StackedReLU


pytestmark = pytest.mark.usefixtures("one_thread")


def _random_net(arch, seed):
    g = torch.Generator().manual_seed(seed)
    return ReLUNetwork(
        [
            (torch.rand(n_out, n_in, generator=g, dtype=torch.float64) * 2 - 1,
             torch.rand(n_out, generator=g, dtype=torch.float64) * 2 - 1)
            for n_in, n_out in zip(arch[:-1], arch[1:])
        ]
    )


def _numpy_eval(net: ReLUNetwork, x: np.ndarray) -> np.ndarray:
    h = x
    layers = [(A.numpy(), b.numpy()) for A, b in net.layers]
    for ell, (A, b) in enumerate(layers):
        h = h @ A.T + b
        if ell < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0]


ARCH = (3, 7, 5, 1)


@pytest.fixture
def nets():
    return [_random_net(ARCH, seed) for seed in range(4)]


def test_shared_points_equal_each_network(nets):
    stack = StackedReLU.from_networks(nets)
    assert stack.K == 4 and stack.architecture == ARCH and stack.depth == 3
    x = torch.rand(50, 3, generator=torch.Generator().manual_seed(9), dtype=torch.float64) - 0.5
    out = stack(x)
    assert out.shape == (4, 50)
    for k, net in enumerate(nets):
        np.testing.assert_allclose(out[k].numpy(), _numpy_eval(net, x.numpy()), rtol=1e-13, atol=1e-14)


def test_per_model_points_equal_each_network(nets):
    stack = StackedReLU.from_networks(nets)
    x = torch.rand(4, 20, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    out = stack(x)
    assert out.shape == (4, 20)
    for k, net in enumerate(nets):
        torch.testing.assert_close(out[k], net(x[k]).squeeze(-1), rtol=1e-13, atol=1e-14)


def test_chunking_does_not_change_values(nets):
    stack = StackedReLU.from_networks(nets)
    g = torch.Generator().manual_seed(5)
    x = torch.rand(100, 3, generator=g, dtype=torch.float64)
    # GEMM kernels may round differently for different sizes: equal up to rounding
    torch.testing.assert_close(stack(x, chunk_size=7), stack(x, chunk_size=1000), rtol=1e-13, atol=1e-14)
    xk = torch.rand(4, 100, 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(stack(xk, chunk_size=9), stack(xk, chunk_size=1000), rtol=1e-13, atol=1e-14)
    assert stack.chunk_points() >= 64


def test_round_trips(nets):
    stack = StackedReLU.from_networks(nets)
    back = stack.to_networks()
    for a, b in zip(nets, back):
        for (A1, b1), (A2, b2) in zip(a.layers, b.layers):
            assert torch.equal(A1, A2) and torch.equal(b1, b2)
    again = StackedReLU.from_tensors(stack.tensors())
    x = torch.rand(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again(x), stack(x))
    assert sorted(stack.tensors()) == ["bias_1", "bias_2", "bias_3", "weight_1", "weight_2", "weight_3"]


def test_to_dtype(nets):
    stack32 = StackedReLU.from_networks(nets).to(dtype=torch.float32)
    assert stack32.dtype == torch.float32
    x = torch.rand(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        stack32(x.float()).double(), StackedReLU.from_networks(nets)(x), rtol=1e-5, atol=1e-5
    )


def test_relu_is_applied_between_layers_only():
    # f(x) = -relu(x) - 1 on 1-D: a last-layer ReLU would clip the negative output to 0
    net = ReLUNetwork([(torch.tensor([[1.0]], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)),
                       (torch.tensor([[-1.0]], dtype=torch.float64), torch.tensor([-1.0], dtype=torch.float64))])
    out = StackedReLU.from_networks([net])(torch.tensor([[-2.0], [3.0]], dtype=torch.float64))
    assert out.tolist() == [[-1.0, -4.0]]


def test_errors(nets):
    other = _random_net((3, 6, 5, 1), 0)
    with pytest.raises(InputError) as exc:
        StackedReLU.from_networks([nets[0], other])
    assert str(exc.value) == "`nets` must share one architecture, got (3, 7, 5, 1) for net 0 and (3, 6, 5, 1) for net 1"
    with pytest.raises(InputError) as exc:
        StackedReLU.from_networks([])
    assert str(exc.value) == "`nets` must hold at least one ReLUNetwork, got none"
    stack = StackedReLU.from_networks(nets)
    with pytest.raises(InputError) as exc:
        stack(torch.zeros(5, 2, dtype=torch.float64))
    assert str(exc.value) == "`x` must have shape (n, 3) or (4, n, 3), got (5, 2)"
    with pytest.raises(InputError) as exc:
        StackedReLU.from_tensors({"weight_1": torch.zeros(1, 1, 1)})
    assert str(exc.value) == "`tensors` must hold weight_1..weight_L and bias_1..bias_L, missing 'bias_1'"
    assert math.isfinite(float(stack(torch.zeros(1, 3, dtype=torch.float64)).sum()))
