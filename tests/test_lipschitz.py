"""Lipschitz bounds of networks (THEORY.md §5): compared with gradients and difference quotients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import ReLUNetwork
from uniformgap.theory import (
    NetworkClass,
    hat_network,
    layer_operator_norms,
    lipschitz_bound,
    log10_lipschitz_bound,
)

INF = math.inf


def random_network(architecture, seed: int, scale: float = 1.0) -> ReLUNetwork:
    gen = torch.Generator().manual_seed(seed)
    layers = []
    for n_in, n_out in zip(architecture[:-1], architecture[1:]):
        A = scale * torch.randn(n_out, n_in, generator=gen, dtype=torch.float64)
        b = scale * torch.randn(n_out, generator=gen, dtype=torch.float64)
        layers.append((A, b))
    return ReLUNetwork(layers)


def gradients(net: ReLUNetwork, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(net(x).sum(), x)
    return g  # (n, d): rows are ∇f(x_i) (distinct samples do not interact)


ARCHS = [(1, 5, 1), (2, 6, 6, 1), (3, 9, 4, 9, 1), (5, 15, 15, 15, 15, 1)]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("seed", [0, 1])
def test_bound_dominates_gradient_norms(arch, seed):
    net = random_network(arch, seed)
    gen = torch.Generator().manual_seed(100 + seed)
    x = 4.0 * torch.rand(2000, arch[0], generator=gen, dtype=torch.float64) - 2.0
    g = gradients(net, x)
    lip2, lip_inf = lipschitz_bound(net, 2), lipschitz_bound(net, INF)
    # Lipschitz w.r.t. ‖·‖₂ bounds ‖∇f‖₂; w.r.t. ‖·‖_∞ it bounds the dual norm ‖∇f‖₁.
    assert float(g.norm(dim=1).max()) <= lip2 * (1 + 1e-12)
    assert float(g.abs().sum(dim=1).max()) <= lip_inf * (1 + 1e-12)
    assert float(g.abs().max()) > 0  # the networks are not trivially constant


@pytest.mark.parametrize("arch", ARCHS[1:])
def test_bound_dominates_difference_quotients(arch):
    net = random_network(arch, 7)
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(3000, arch[0], generator=gen, dtype=torch.float64)
    x2 = x + 0.3 * torch.randn(3000, arch[0], generator=gen, dtype=torch.float64)
    with torch.no_grad():
        diff = (net(x) - net(x2))[:, 0].abs()
    assert float((diff / (x - x2).norm(dim=1)).max()) <= lipschitz_bound(net, 2) * (1 + 1e-12)
    assert float((diff / (x - x2).abs().max(dim=1).values).max()) <= lipschitz_bound(net, "inf") * (1 + 1e-12)


def test_hand_computed_values():
    # f(x) = −2 ρ(3x): slope 6 on x > 0, and the bound is exact
    net = ReLUNetwork.from_arrays([([[3.0]], [0.0]), ([[-2.0]], [0.0])])
    assert lipschitz_bound(net, 2) == 6.0 and lipschitz_bound(net, INF) == 6.0
    A1 = np.array([[1.0, -2.0], [3.0, 0.5]])
    A2 = np.array([[1.0, -1.0]])
    net = ReLUNetwork.from_arrays([(A1, [0.0, 0.0]), (A2, [0.0])])
    # row sums: ‖A1‖_{∞→∞} = max(3, 3.5), ‖A2‖_{∞→∞} = 2
    assert lipschitz_bound(net, INF) == pytest.approx(3.5 * 2.0, rel=1e-15)
    spec = np.linalg.svd(A1, compute_uv=False)[0] * math.sqrt(2.0)
    assert lipschitz_bound(net, 2) == pytest.approx(spec, rel=1e-13)
    assert layer_operator_norms(net, INF) == [3.5, 2.0]


@pytest.mark.parametrize("q", [1.0, 2.0, 3.0, INF])
def test_network_bound_below_class_bound(q):
    """Lemma B.1/B.2: every member of H^q_{a,c} obeys the class bounds."""
    cls = NetworkClass.create(3, 4, width=[7, 5, 6], c=1.7, q=q)
    for seed in range(3):
        net = random_network(cls.architecture, seed)
        s = cls.c / net.coefficient_norm(q)  # every layer scaled to ‖Φ‖_q = c
        net = ReLUNetwork([(s * A, s * b) for A, b in net.layers])
        assert net.coefficient_norm(q) == pytest.approx(cls.c, rel=1e-12)
        assert lipschitz_bound(net, 2) <= 10**cls.log10_lip2 * (1 + 1e-12)
        assert lipschitz_bound(net, INF) <= 10**cls.log10_lip_inf * (1 + 1e-12)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_hat_network_bound_at_least_its_slope(d):
    """λΛ_{M,y} changes by λ M d t between y and y + t(1, ..., 1), a step of ‖·‖_∞ = t."""
    cls = NetworkClass.create(d, 4, c=1.0)
    M, y = 3.0, [0.5] * d
    net = hat_network(cls, M, y)
    t = 0.1 / (M * d)
    x = torch.tensor([y, [v + t for v in y]], dtype=torch.float64)
    with torch.no_grad():
        slope = float((net(x)[0, 0] - net(x)[1, 0]).abs()) / t
    assert slope == pytest.approx(net.lam * M * d, rel=1e-9)
    assert lipschitz_bound(net, INF) >= slope * (1 - 1e-12)
    assert lipschitz_bound(net, INF) <= 10**cls.log10_lip_inf * (1 + 1e-12)


def test_overflow_is_reported_in_log10():
    layers = [([[1e3]], [0.0])] * 120  # product 10^360
    net = ReLUNetwork.from_arrays(layers)
    assert lipschitz_bound(net, 2) == INF
    assert log10_lipschitz_bound(net, 2) == pytest.approx(360.0, rel=1e-12)
    zero = ReLUNetwork.from_arrays([([[0.0]], [1.0]), ([[2.0]], [0.0])])
    assert lipschitz_bound(zero, INF) == 0.0 and log10_lipschitz_bound(zero, INF) == -INF


@pytest.mark.parametrize(
    "args,message",
    [
        ((1,), "`norm` must be 2 or inf (math.inf or 'inf'), got 1"),
        (("two",), "`norm` must be 2 or inf (math.inf or 'inf'), got 'two'"),
    ],
)
def test_error_messages(args, message):
    net = random_network((2, 3, 1), 0)
    with pytest.raises(InputError) as info:
        lipschitz_bound(net, *args)
    assert str(info.value) == message
    with pytest.raises(InputError) as info:
        lipschitz_bound("net")
    assert str(info.value) == "`net` must be a ReLUNetwork or SparseReLUNetwork, got str"


@pytest.mark.parametrize("norm", [2, INF])
def test_sparse_networks_give_the_dense_operator_norms(norm):
    from uniformgap.networks import SparseReLUNetwork

    net = random_network((4, 6, 5, 1), 3)
    sparse = SparseReLUNetwork.from_dense(net)
    assert lipschitz_bound(sparse, norm) == pytest.approx(lipschitz_bound(net, norm), rel=1e-10)
