"""The Theorem 4.3 instance and the manifold examples (docs/robust.md §5.1–§5.2), checked by brute force."""

import itertools
import math

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap.robust import manifold_linear, manifold_torus, theorem43_instance


def _min_cross_distance(points, labels, ord):
    a, b = points[labels == 1], points[labels == -1]
    return min(np.linalg.norm(x - y, ord=ord) for x in a for y in b)


@pytest.mark.parametrize("d,eps", [(2, 0.25), (3, 0.1), (4, 1 / 6)])
def test_theorem43_instance_matches_section_5_1(d, eps):
    inst = theorem43_instance(d, eps, 0.5, seed=3)
    K = math.floor(1 / (2 * eps))
    assert (inst.K, inst.M) == (K, K ** (d - 1))
    assert inst.eps0 == pytest.approx(0.5 * eps / 10)
    expected_columns = sorted(itertools.product(range(1, K + 1), repeat=d - 1))
    assert sorted(map(tuple, inst.columns.tolist())) == expected_columns
    assert inst.support.shape == inst.shifted.shape == (inst.M, d)
    assert np.all((inst.support >= 0) & (inst.support <= 1))
    assert set(inst.labels.tolist()) <= {1, -1}
    for i, col in enumerate(inst.columns):
        np.testing.assert_allclose(inst.shifted[i], [*(col / K), 0.5])
        np.testing.assert_allclose(inst.support[i], [*(col / K), 0.5 + inst.eps0 * inst.labels[i]])
    # s̃_i is eps0 away from s_i in every l_p; x_d = 1/2 separates A and B
    for ord in (1, 2, np.inf):
        np.testing.assert_allclose(np.linalg.norm(inst.support - inst.shifted, ord=ord, axis=1), inst.eps0)
    assert np.all(np.sign(inst.support[:, -1] - 0.5) == inst.labels)
    if len(set(inst.labels.tolist())) == 2:
        for ord in (2, np.inf):
            assert _min_cross_distance(inst.support, inst.labels, ord) >= 2 * eps - 1e-12


def test_theorem43_instance_is_seeded():
    a, b = theorem43_instance(5, 0.25, 0.5, seed=1), theorem43_instance(5, 0.25, 0.5, seed=1)
    np.testing.assert_array_equal(a.labels, b.labels)
    labels = {tuple(theorem43_instance(5, 0.25, 0.5, seed=s).labels) for s in range(4)}
    assert len(labels) > 1


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(d=1, eps=0.25, c=0.5), "`d` must be an integer >= 2, got 1 (e.g. theorem43_instance(d=3, eps=0.25, c=0.5))"),
        (dict(d=3, eps=0.6, c=0.5), "`eps` must be a number in (0, 0.5], got 0.6 (e.g. theorem43_instance(d=3, eps=0.25, c=0.5))"),
        (dict(d=3, eps=0.25, c=1.0), "`c` must be a number in (0, 1), got 1.0 (e.g. theorem43_instance(d=3, eps=0.25, c=0.5))"),
        (
            dict(d=3, eps=0.25, c=0.5, eps0=0.2),
            "`eps0` must be a number in (0, c*eps] = (0, 0.125], got 0.2 (e.g. theorem43_instance(d=3, eps=0.25, c=0.5))",
        ),
    ],
)
def test_theorem43_instance_rejects_bad_arguments(kwargs, message):
    with pytest.raises(InputError) as exc:
        theorem43_instance(**kwargs)
    assert str(exc.value) == message


def test_manifold_linear_axis_preserves_linf_distances():
    mset = manifold_linear(2, 6, eps=0.1, seed=0)
    inst = theorem43_instance(2, 0.1, 0.5, seed=0)
    assert mset.points.shape == (inst.M, 6)
    D_points = np.abs(mset.points[:, None] - mset.points[None]).max(-1)
    D_inst = np.abs(inst.support[:, None] - inst.support[None]).max(-1)
    np.testing.assert_allclose(D_points, D_inst, atol=1e-15)
    np.testing.assert_allclose(mset.points[:, 2:], 0.5)
    assert mset.eps == pytest.approx(_min_cross_distance(mset.points, mset.labels, np.inf) / 2)


def test_manifold_linear_rotated_lies_in_the_affine_subspace():
    mset = manifold_linear(3, 9, eps=0.25, rotate=True, seed=2)
    V, x0 = mset.basis, mset.origin
    np.testing.assert_allclose(V.T @ V, np.eye(3), atol=1e-12)
    y = (mset.points - x0) @ V
    np.testing.assert_allclose(x0 + y @ V.T, mset.points, atol=1e-12)  # no component off span(V)
    assert np.all((mset.points >= 0) & (mset.points <= 1))
    assert np.abs(y).max() <= 1 / (2 * math.sqrt(3)) + 1e-12


@pytest.mark.parametrize("rotate", [False, True])
def test_manifold_torus_points_lie_on_the_torus(rotate):
    k, m = 2, 5
    mset = manifold_torus(k, 7, m=m, rotate=rotate, seed=1)
    r = 0.5 if not rotate else 1 / (2 * math.sqrt(k))
    assert mset.points.shape == (m**k, 7)
    y = (mset.points - mset.origin) @ mset.basis
    np.testing.assert_allclose(mset.origin + y @ mset.basis.T, mset.points, atol=1e-12)
    for j in range(k):
        np.testing.assert_allclose(np.hypot(y[:, 2 * j], y[:, 2 * j + 1]), r)
        np.testing.assert_allclose(y[:, 2 * j], r * np.cos(mset.chart[:, j]), atol=1e-12)
        np.testing.assert_allclose(y[:, 2 * j + 1], r * np.sin(mset.chart[:, j]), atol=1e-12)
    assert np.all((mset.points >= 0) & (mset.points <= 1))
    assert mset.eps == pytest.approx(_min_cross_distance(mset.points, mset.labels, np.inf) / 2)


def test_manifold_torus_rejects_too_small_ambient_dimension():
    with pytest.raises(InputError) as exc:
        manifold_torus(2, 3)
    assert str(exc.value) == "`d` must be an integer >= 2k = 4, got 3 (e.g. manifold_torus(k=1, d=4, m=8))"
