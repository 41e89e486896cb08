"""Grid interpolation (Lemma B.3): exact n, cell centres, and sup error ≤ K/(2n) on dense grids."""

from __future__ import annotations

import math

import pytest
import torch

from uniformgap import InputError
from uniformgap.learners import CountingOracle, GridInterpolationLearner, SampleLearner, error_bound
from uniformgap.learners._interpolation import n_per_axis
from uniformgap.networks import ReLUNetwork
from uniformgap.theory import NetworkClass, lipschitz_bound


def random_member(cls: NetworkClass, seed: int) -> ReLUNetwork:
    """Coefficients U(−c, c): a member of H^∞_{a,c}."""
    gen = torch.Generator().manual_seed(seed)
    a = cls.architecture
    return ReLUNetwork(
        [
            (cls.c * (2 * torch.rand(a[i + 1], a[i], generator=gen, dtype=torch.float64) - 1),
             cls.c * (2 * torch.rand(a[i + 1], generator=gen, dtype=torch.float64) - 1))
            for i in range(len(a) - 1)
        ]
    )


def as_oracle(net: ReLUNetwork):
    def oracle(x):
        with torch.no_grad():
            return net(x)[:, 0]

    return oracle


def dense_grid(d: int, G: int, domain) -> torch.Tensor:
    axis = torch.linspace(domain[0], domain[1], G, dtype=torch.float64)
    return torch.cartesian_prod(*([axis] * d)).reshape(-1, d)


def test_n_per_axis_is_the_exact_integer_root():
    for d in (1, 2, 3, 4, 7):
        for m in list(range(1, 300)) + [999, 1000, 1001, 10**6, 10**6 - 1, 3**20, 3**20 - 1]:
            n = n_per_axis(m, d)
            assert n**d <= m < (n + 1) ** d, (m, d, n)
    # float roots that land just below an integer: 1000 ** (1/3) = 9.999999999999998
    assert n_per_axis(1000, 3) == 10 and n_per_axis(10**15, 3) == 10**5 and n_per_axis(10**15 - 1, 3) == 10**5 - 1
    assert n_per_axis(2**60, 6) == 2**10


def test_learner_queries_the_cell_centres_once():
    learner = GridInterpolationLearner()
    assert isinstance(learner, SampleLearner) and learner.name == "grid"
    oracle = CountingOracle(lambda x: x.sum(dim=1), m=30)
    pred = learner.learn(oracle, 30, d=2, domain=(-0.5, 0.5), seed=0)
    assert pred.n == 5 and oracle.n_queried == 25 and len(oracle.queries) == 1
    centres = sorted(tuple(round(v, 12) for v in row) for row in oracle.queries[0].tolist())
    axis = [-0.4, -0.2, 0.0, 0.2, 0.4]  # (j + ½)/5 − ½
    assert centres == sorted((a, b) for a in axis for b in axis)


def test_prediction_is_the_value_of_the_cell_centre():
    f = lambda x: 10 * x[:, 0] + x[:, 1] ** 2  # noqa: E731
    pred = GridInterpolationLearner().learn(f, 16, d=2, domain=(0.0, 1.0), seed=0)  # n = 4, h = 1/4
    x = torch.tensor(
        [[0.0, 0.0], [0.2499, 0.5], [0.25, 0.5], [0.999, 1.0], [1.0, 1.0], [0.6, 0.74]], dtype=torch.float64
    )
    centre = torch.tensor(
        [[0.125, 0.125], [0.125, 0.625], [0.375, 0.625], [0.875, 0.875], [0.875, 0.875], [0.625, 0.625]],
        dtype=torch.float64,
    )  # cells [j/4, (j+1)/4), closed at 1
    assert torch.equal(pred(x), f(centre))


@pytest.mark.parametrize("d,L,m", [(1, 3, 7), (1, 4, 50), (2, 3, 30), (2, 4, 100), (3, 3, 64)])
@pytest.mark.parametrize("domain", [(0.0, 1.0), (-0.5, 0.5)])
def test_sup_error_below_proven_bound(d, L, m, domain):
    cls = NetworkClass.create(d, L, c=1.0)
    side = domain[1] - domain[0]
    for seed in range(3):
        net = random_member(cls, seed)
        pred = GridInterpolationLearner().learn(as_oracle(net), m, d=d, domain=domain, seed=seed)
        n = pred.n
        G = {1: 20001, 2: 401, 3: 61}[d]
        x = dense_grid(d, G, domain)
        err = float((as_oracle(net)(x) - pred(x)).abs().max())
        K_net = min(math.sqrt(d) * lipschitz_bound(net, 2), lipschitz_bound(net, math.inf))
        assert err <= error_bound(K_net, n, side) * (1 + 1e-12)
        assert err <= error_bound(10**cls.log10_K_up, n, side) * (1 + 1e-12)


def test_bound_is_attained_by_a_linear_target():
    """f(x) = K x_1 is K-Lipschitz in ‖·‖_∞; its interpolation error is K h/2 at the cell edges."""
    K, m = 3.0, 49
    f = lambda x: K * x[:, 0]  # noqa: E731
    for domain in [(0.0, 1.0), (-0.5, 0.5)]:
        pred = GridInterpolationLearner().learn(f, m, d=2, domain=domain, seed=0)
        x = dense_grid(2, 7 * 40 + 1, domain)  # contains every cell edge
        err = float((f(x) - pred(x)).abs().max())
        assert err == pytest.approx(error_bound(K, 7, domain[1] - domain[0]), rel=1e-9)
        assert error_bound(K, 7) == pytest.approx(K / 14)


def test_static_aliases():
    assert GridInterpolationLearner.n_per_axis(1000, 3) == 10
    assert GridInterpolationLearner.error_bound(2.0, 4, 0.5) == 2.0 * 0.5 / 8


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: n_per_axis(0, 2), "`m` must be an integer >= 1 (number of samples), got 0"),
        (lambda: n_per_axis(10, 0), "`d` must be an integer >= 1, got 0"),
        (lambda: error_bound(-1.0, 3), "`K` must be a number >= 0, got -1.0"),
        (lambda: error_bound(1.0, 0), "`n` must be an integer >= 1, got 0"),
        (lambda: error_bound(1.0, 2, side=0), "`side` must be a number > 0, got 0"),
        (
            lambda: GridInterpolationLearner().learn(lambda x: x[:, 0], 2.5, d=1, domain=(0, 1), seed=0),
            "`m` must be an integer >= 1 (number of samples), got 2.5",
        ),
        (
            lambda: GridInterpolationLearner().learn(lambda x: x[:, 0], 4, d=1, domain=(1, 0), seed=0),
            "`domain` must be a pair (lo, hi) of finite numbers with lo < hi, got (1, 0) (e.g. (-0.5, 0.5))",
        ),
        (
            lambda: GridInterpolationLearner().learn(lambda x: x[:, 0], 4, d=1, domain=(0, 1), seed=None),
            "`seed` must be an integer, got None",
        ),
    ],
)
def test_error_messages(call, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == message
