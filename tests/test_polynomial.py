"""Polynomial least squares (docs/theory.md §8): exact on polynomials, agrees with NumPy's Legendre fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.polynomial import legendre

from uniformgap import InputError
from uniformgap.learners import CountingOracle, PolynomialLeastSquares, SampleLearner

# A polynomial of total degree 3 in d = 3 variables, written in monomials (not in the learner's basis).
MONOMIALS = [((0, 0, 0), 0.7), ((1, 0, 0), -2.0), ((0, 1, 1), 1.5), ((1, 2, 0), 3.0), ((0, 0, 3), -1.25), ((2, 0, 1), 0.5)]


def poly(x: torch.Tensor, d: int) -> torch.Tensor:
    xs = x.numpy()
    out = np.zeros(len(xs))
    for alpha, coef in MONOMIALS:
        if any(alpha[d:]):
            continue
        out += coef * np.prod(xs ** np.asarray(alpha[:d]), axis=1)
    return torch.from_numpy(out)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("domain", [(0.0, 1.0), (-0.5, 0.5), (-2.0, 3.0)])
def test_exact_on_polynomials_from_generic_samples(d, domain):
    k = 3
    D = math.comb(k + d, d)
    gen = torch.Generator().manual_seed(9)
    x_test = domain[0] + (domain[1] - domain[0]) * torch.rand(2000, d, generator=gen, dtype=torch.float64)
    for m in (D, 2 * D, 10 * D):  # m = D: as many generic samples as unknowns already suffice
        oracle = CountingOracle(lambda x: poly(x, d), m)
        pred = PolynomialLeastSquares(degree=k).learn(oracle, m, d=d, domain=domain, seed=m)
        assert oracle.n_queried == m
        scale = float(poly(x_test, d).abs().max())
        assert float((pred(x_test) - poly(x_test, d)).abs().max()) <= 1e-8 * scale


def test_agrees_with_numpy_legendre_fit_on_a_non_polynomial():
    f = lambda x: torch.abs(x[:, 0] - 0.1) + torch.sin(3 * x[:, 0])  # noqa: E731
    m, k, domain = 200, 12, (-0.5, 0.5)
    oracle = CountingOracle(f, m)
    pred = PolynomialLeastSquares(degree=k).learn(oracle, m, d=1, domain=domain, seed=4)
    x = oracle.queries[0][:, 0].numpy()
    t = 2 * (x - domain[0]) / (domain[1] - domain[0]) - 1
    coef = legendre.legfit(t, f(oracle.queries[0]).numpy(), k)
    x_test = np.linspace(*domain, 501)
    want = legendre.legval(2 * (x_test - domain[0]) - 1, coef)
    got = pred(torch.from_numpy(x_test)[:, None]).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_basis_is_orthonormal_for_the_uniform_measure():
    """Gauss–Legendre quadrature (exact for these degrees) of φ_α φ_β over [lo, hi]^2 / volume."""
    domain = (-0.5, 0.5)
    pred = PolynomialLeastSquares(degree=4).learn(lambda x: x[:, 0], 40, d=2, domain=domain, seed=0)
    nodes, weights = legendre.leggauss(8)
    t1, t2 = np.meshgrid(nodes, nodes, indexing="ij")
    w = (np.outer(weights, weights) / 4).ravel()  # uniform probability measure on [−1, 1]^2
    x = torch.from_numpy(np.stack([t1.ravel(), t2.ravel()], axis=1) / 2)  # [−1,1] → [−½,½]
    Phi = pred.design(x).numpy()  # (64, 15)
    np.testing.assert_allclose(Phi.T @ (w[:, None] * Phi), np.eye(15), atol=1e-12)


def test_default_degree_uses_at_most_half_the_samples():
    learner = PolynomialLeastSquares()
    assert isinstance(learner, SampleLearner) and learner.name == "poly"
    for d in (1, 2, 3, 5):
        for m in (2, 3, 10, 57, 200, 1000):
            k = learner.degree_for(m, d)
            assert math.comb(k + d, d) <= m / 2 or k == 0
            assert math.comb(k + 1 + d, d) > min(m / 2, learner.max_basis)
    assert learner.degree_for(1, 3) == 0  # a constant even when m/2 < 1
    assert PolynomialLeastSquares(max_basis=10).degree_for(10**6, 1) == 9
    assert PolynomialLeastSquares().degree_for(10**6, 1) == 255  # capped at 256 basis functions


def test_seed_controls_the_points():
    def points(seed):
        oracle = CountingOracle(lambda x: x[:, 0], 20)
        PolynomialLeastSquares(degree=2).learn(oracle, 20, d=2, domain=(0.0, 1.0), seed=seed)
        return oracle.queries[0]

    assert torch.equal(points(1), points(1)) and not torch.equal(points(1), points(2))
    assert float(points(3).min()) >= 0.0 and float(points(3).max()) <= 1.0


def test_more_unknowns_than_samples_gives_an_interpolant():
    """D > m: the minimum-norm solution still interpolates the m samples."""
    f = lambda x: torch.cos(4 * x[:, 0]) * x[:, 1]  # noqa: E731
    oracle = CountingOracle(f, 10)
    pred = PolynomialLeastSquares(degree=4).learn(oracle, 10, d=2, domain=(0.0, 1.0), seed=0)  # D = 15
    x = oracle.queries[0]
    assert torch.allclose(pred(x), f(x), atol=1e-10)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(degree=-1), "`degree` must be an integer >= 0 or None (automatic), got -1"),
        (dict(degree=2.5), "`degree` must be an integer >= 0 or None (automatic), got 2.5"),
        (dict(max_basis=0), "`max_basis` must be an integer >= 1, got 0"),
    ],
)
def test_error_messages(kwargs, message):
    with pytest.raises(InputError) as info:
        PolynomialLeastSquares(**kwargs)
    assert str(info.value) == message
    with pytest.raises(InputError) as info:
        PolynomialLeastSquares().learn(lambda x: x[:, 0], 0, d=1, domain=(0, 1), seed=0)
    assert str(info.value) == "`m` must be an integer >= 1 (number of samples), got 0"
