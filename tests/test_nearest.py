"""Exact nearest neighbours against a brute-force numpy oracle."""

import numpy as np
import pytest

from uniformgap.robust._nearest import nearest


def _brute(Q, R, p):
    diff = Q[:, None, :] - R[None, :, :]
    return np.abs(diff).max(-1) if np.isinf(p) else np.sqrt((diff**2).sum(-1))


@pytest.mark.parametrize("quantized", [False, True])
def test_linf_equals_brute_force_bit_for_bit_with_smallest_index_on_ties(quantized):
    rng = np.random.default_rng(1)
    for _ in range(30):
        nq, nr, d = rng.integers(1, 40), rng.integers(1, 70), rng.integers(1, 30)
        make = (lambda *s: rng.integers(0, 4, s) / 3) if quantized else (lambda *s: rng.random(s))
        Q, R = make(nq, d), make(nr, d)
        D = _brute(Q, R, np.inf)
        dist, idx = nearest(Q, R, p=np.inf)
        np.testing.assert_array_equal(dist, D.min(1))
        np.testing.assert_array_equal(idx, D.argmin(1))  # argmin: the first (smallest) index on ties


def test_l2_matches_brute_force():
    rng = np.random.default_rng(2)
    for _ in range(20):
        nq, nr, d = rng.integers(1, 40), rng.integers(1, 70), rng.integers(1, 30)
        Q, R = rng.random((nq, d)), rng.random((nr, d))
        D = _brute(Q, R, 2.0)
        dist, idx = nearest(Q, R, p=2.0)
        np.testing.assert_allclose(dist, D.min(1), rtol=1e-13, atol=0)
        np.testing.assert_array_equal(idx, D.argmin(1))  # continuous data: no ties


@pytest.mark.parametrize("p", [np.inf, 2.0])
def test_duplicates_have_distance_zero(p):
    rng = np.random.default_rng(3)
    R = rng.random((10, 5))
    Q = np.vstack([R[7], rng.random(5)])
    dist, idx = nearest(Q, R, p=p)
    assert dist[0] == 0 and idx[0] == 7


def test_upper_bound_returns_only_strictly_nearer_pairs():
    rng = np.random.default_rng(4)
    Q, R = rng.random((30, 6)), rng.random((50, 6))
    D = _brute(Q, R, np.inf)
    u = np.median(D.min(1))
    dist, idx = nearest(Q, R, p=np.inf, upper=u)
    nearer = D.min(1) < u
    np.testing.assert_array_equal(dist[nearer], D.min(1)[nearer])
    assert np.all(dist[~nearer] == u) and np.all(idx[~nearer] == -1)


def test_empty_references_and_progress_ticks():
    ticks = []
    dist, idx = nearest(np.zeros((3, 2)), np.zeros((0, 2)), p=np.inf)
    assert np.all(np.isinf(dist)) and np.all(idx == -1)
    nearest(np.random.default_rng(0).random((5, 3)), np.zeros((4, 3)), p=np.inf, tick=ticks.append)
    assert sum(ticks) == 5
