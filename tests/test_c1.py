"""C1 (docs/robust.md §3): exact g = d_inf(x,B) - d_inf(x,A), certified radius |g|/2, bad inputs."""

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.robust import c1_network


def brute_g(x, a, b):
    dist = lambda s: np.abs(x[:, None, :] - s[None, :, :]).max(axis=2).min(axis=1)  # noqa: E731
    return dist(b) - dist(a)


@pytest.mark.parametrize("n_a, n_b, d", [(1, 1, 1), (3, 1, 2), (4, 5, 3), (6, 6, 7)])
def test_c1_equals_brute_force_g(n_a, n_b, d):
    rng = np.random.default_rng(d)
    a, b = rng.random((n_a, d)), rng.random((n_b, d))
    res = c1_network(a, b, n_random=32, seed=1)
    x = rng.uniform(-0.5, 1.5, size=(200, d))
    got = res.network(torch.from_numpy(x))[:, 0].numpy()
    np.testing.assert_allclose(got, brute_g(x, a, b), rtol=0, atol=1e-13)
    np.testing.assert_allclose(res.g_data, brute_g(np.concatenate([a, b]), a, b), rtol=0, atol=1e-13)
    assert res.max_error_random <= 1e-13 and res.counts.nnz_weights == res.network.nnz_weights


def test_sign_is_constant_in_the_certified_ball():
    rng = np.random.default_rng(3)
    a, b = rng.random((5, 3)), rng.random((4, 3))
    net = c1_network(a, b, n_random=0).network
    x = rng.random((40, 3))
    g = net(torch.from_numpy(x))[:, 0].numpy()
    u = rng.uniform(-1, 1, size=(40, 50, 3)) * (0.999 * np.abs(g) / 2)[:, None, None]  # inside the l-inf ball
    g2 = net(torch.from_numpy((x[:, None, :] + u).reshape(-1, 3)))[:, 0].numpy().reshape(40, 50)
    assert np.all(np.sign(g2) == np.sign(g)[:, None])


def test_bad_point_sets():
    with pytest.raises(InputError, match=r"^`a` and `b` must have the same dimension d, got 2 and 3$"):
        c1_network(np.zeros((1, 2)), np.ones((1, 3)))
    with pytest.raises(InputError, match=r"^`b` must be an \(n, d\) array with n, d >= 1, got shape \(0, 2\)$"):
        c1_network(np.zeros((1, 2)), np.zeros((0, 2)))
    with pytest.raises(InputError, match=r"^`a` must be finite, got NaN or inf entries$"):
        c1_network(np.full((1, 2), np.nan), np.ones((1, 2)))
