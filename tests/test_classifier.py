"""The robust classifier f*/g (Prop. 3.2, docs/robust.md §2) and its certified/attacked accuracy."""

import math

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap.robust import RobustClassifier, evaluate


def _two_classes(rng, n=30, d=5):
    """Random A (class 0) and B (class 1) in [0,1]^d; ε = d_p(A,B)/2 by brute force."""
    x = rng.random((2 * n, d))
    y = np.repeat([0, 1], n)
    return x, y


def _eps(x, y, p):
    A, B = x[y == 0], x[y == 1]
    D = np.abs(A[:, None] - B[None]).max(-1) if np.isinf(p) else np.sqrt(((A[:, None] - B[None]) ** 2).sum(-1))
    return D.min() / 2


def _dist(u, v, p):
    return np.abs(u - v).max(-1) if np.isinf(p) else np.sqrt(((u - v) ** 2).sum(-1))


@pytest.mark.parametrize("norm,p", [("inf", math.inf), ("2", 2.0)])
def test_f_star_is_inverse_eps_lipschitz_and_g_is_2_lipschitz(norm, p):
    rng = np.random.default_rng(0)
    x, y = _two_classes(rng)
    clf = RobustClassifier(x, y, norm=norm)
    eps = _eps(x, y, p)
    u = rng.random((400, 5))
    v = np.clip(u + rng.normal(0, 0.05, u.shape), 0, 1)
    r = _dist(u, v, p)
    assert np.all(np.abs(clf.f_star(u) - clf.f_star(v)) <= r / eps + 1e-12)
    assert np.all(np.abs(clf.g(u) - clf.g(v)) <= 2 * r + 1e-12)
    # g from an independent brute-force evaluation
    dA = _dist(u[:, None], x[y == 0][None], p).min(1)
    dB = _dist(u[:, None], x[y == 1][None], p).min(1)
    np.testing.assert_allclose(clf.g(u), dB - dA, rtol=1e-12, atol=1e-14)


def test_f_star_is_plus_one_on_A_and_minus_one_on_B():
    x, y = _two_classes(np.random.default_rng(1))
    clf = RobustClassifier(x, y)
    np.testing.assert_array_equal(clf.f_star(x[y == 0]), 1.0)
    np.testing.assert_array_equal(clf.f_star(x[y == 1]), -1.0)


@pytest.mark.parametrize("norm,p", [("inf", math.inf), ("2", 2.0)])
def test_zero_robust_error_below_eps_on_training_points(norm, p):
    x, y = _two_classes(np.random.default_rng(2))
    clf = RobustClassifier(x, y, norm=norm)
    eps = _eps(x, y, p)
    ev = evaluate(clf, x, y, delta=0.999 * eps, steps=10, restarts=1)
    assert ev.clean == ev.certified_accuracy == ev.robust == 1.0


def test_the_counter_example_at_delta_equal_eps_is_broken():
    eps = 0.25
    x, y = np.array([[0.0], [2 * eps]]), np.array([0, 1])  # A = {0}, B = {2ε}
    clf = RobustClassifier(x, y)
    below = evaluate(clf, x, y, delta=0.999 * eps)
    assert below.certified_accuracy == 1.0
    at = evaluate(clf, x, y, delta=eps)
    assert at.certified_accuracy == 0.0  # |g|/2 = ε is not > δ = ε
    assert at.robust == 0.0  # x' = ε: d(x',A) = d(x',B), sgn g = 0, an error for both labels
    assert clf.predict(np.array([[eps]]))[0][0] == -1


def test_multiclass_prediction_and_margin_against_brute_force():
    rng = np.random.default_rng(3)
    x, y = rng.random((45, 4)), np.arange(45) % 3
    clf = RobustClassifier(x, y)
    u = rng.random((60, 4))
    D = np.stack([_dist(u[:, None], x[y == c][None], math.inf).min(1) for c in range(3)], axis=1)
    k, m = clf.predict(u)
    np.testing.assert_array_equal(k, D.argmin(1))
    np.testing.assert_array_equal(m, np.sort(D, axis=1)[:, 1] - D.min(1))


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_certified_never_exceeds_attack_on_any_point(norm):
    rng = np.random.default_rng(4)
    x, y = rng.random((60, 6)), np.arange(60) % 3
    xt, yt = rng.random((40, 6)), np.arange(40) % 3
    clf = RobustClassifier(x, y, norm=norm)
    prev = None
    for delta in (0.0, 0.02, 0.05, 0.1, 0.3):
        ev = evaluate(clf, xt, yt, delta=delta, steps=10, restarts=1)
        assert np.all(ev.certified <= ~ev.fooled) and np.all(~ev.fooled <= ev.clean_correct)
        assert ev.certified_accuracy <= ev.robust <= ev.clean
        if prev is not None:
            assert ev.certified_accuracy <= prev.certified_accuracy
        prev = ev
    assert prev.robust < prev.clean  # δ = 0.3 breaks points: the attack is not a no-op


def test_binary_only_functions_and_bad_labels():
    x, y = np.random.default_rng(5).random((9, 2)), np.arange(9) % 3
    with pytest.raises(InputError) as exc:
        RobustClassifier(x, y).g(x)
    assert str(exc.value) == "`g` needs two classes (A, B), got 3 (e.g. --classes 3,8)"
    with pytest.raises(InputError) as exc:
        RobustClassifier(x, np.where(y == 1, 2, y))
    assert str(exc.value) == "`y_train` must contain every class 0..C-1 with C >= 2, got classes [0, 2]"
