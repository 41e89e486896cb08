"""C2 (docs/robust.md §4): exact on affine targets (an independent oracle), simplex lookup, margin, bad inputs."""

import math

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.robust import c2_network, theorem43_instance
from uniformgap.robust._c2 import simplex_interpolate
from uniformgap.robust._c2 import build_grid_network, make_grid


@pytest.mark.parametrize("d, n", [(1, 4), (2, 3), (3, 3), (5, 2)])
def test_grid_network_reproduces_affine_functions_with_the_clamp(d, n):
    """P1 interpolation is exact on affine F (partition of unity + linear precision): net = F∘clamp."""
    rng = np.random.default_rng(d)
    w, w0 = rng.normal(size=d), 0.3
    F = lambda v: v @ w + w0  # noqa: E731
    grid = make_grid(F, d, n, 0.0, 1.0)
    net = build_grid_network(grid)
    x = rng.uniform(-0.5, 1.5, size=(300, d))
    got = net(torch.from_numpy(x))[:, 0].numpy()
    np.testing.assert_allclose(got, F(np.clip(x, 0, 1)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(simplex_interpolate(x, grid), got, rtol=0, atol=1e-12)


def test_d1_equals_numpy_interp():
    rng = np.random.default_rng(0)
    table = rng.normal(size=7)
    grid = make_grid(lambda v: np.interp(v[:, 0], np.linspace(0, 1, 7), table), 1, 6, 0.0, 1.0)
    x = rng.uniform(-0.3, 1.3, size=(100, 1))
    got = build_grid_network(grid)(torch.from_numpy(x))[:, 0].numpy()
    np.testing.assert_allclose(got, np.interp(np.clip(x[:, 0], 0, 1), np.linspace(0, 1, 7), table), atol=1e-13)


@pytest.mark.parametrize("p, target", [(math.inf, "f*"), (2, "f*"), (math.inf, "g")])
def test_theorem43_instance_has_zero_robust_training_error(p, target):
    inst = theorem43_instance(3, 0.25, 0.5, seed=2)
    a, b = inst.support[inst.labels == 1], inst.support[inst.labels == -1]
    res = c2_network(a, b, eps=0.25, c=0.5, p=p, target=target, n_random=64, n_ball=8)
    assert res.n == (9 if math.isinf(p) else math.floor(math.sqrt(3) / 0.125) + 1)  # ⌊s/((1-c)eps)⌋ + 1
    assert res.check.flips == 0 and res.check.max_error_simplex <= 1e-12
    assert res.check.max_error_target <= res.check.error_bound < (1 - res.c) * (1 if target == "f*" else 2 * res.eps)
    assert res.counts.nnz_weights == res.network.nnz_weights
    # the shifted points s~_i (distance eps0 <= c*eps from s_i) keep the label
    s = res.network(torch.from_numpy(inst.shifted))[:, 0].numpy()
    assert np.all(np.sign(s) == inst.labels)


def test_bad_inputs():
    a, b = np.array([[0.1, 0.1]]), np.array([[0.9, 0.9]])  # separation 0.8 in l-inf
    with pytest.raises(InputError) as exc:
        c2_network(a, b, eps=0.5)
    assert str(exc.value) == (
        "`eps` must be <= half the data's separation d(A,B)/2 = 0.4, got 0.5: the construction's guarantee needs d(A,B) >= 2*eps"
    )
    with pytest.raises(InputError, match=r"^`c` must be a number in \[0, 1\) \(radius c\*eps\), got 1 \(e.g. c=0.5\)$"):
        c2_network(a, b, c=1)
    with pytest.raises(InputError, match=r"^`eps` must be a number > 0, got 0 \(e.g. eps=0.1\)$"):
        c2_network(a, b, eps=0)
    with pytest.raises(InputError) as exc:
        c2_network(np.full((1, 6), 0.1), np.full((1, 6), 0.9), eps=0.01)
    assert str(exc.value) == (
        "the grid for eps = 0.01, c = 0.5 in dimension 6 has n = 201 intervals per axis, (n+1)^6 hats and "
        "10^15.71 non-zero weights, above this tool's build limit 2e+07 (use a larger --eps or a smaller --c, "
        "or `uniformgap robust sizes` for the formulas)"
    )
    with pytest.raises(InputError, match=r"^C2 needs A, B inside \[0,1\]\^d \(Thm 3.3\), got coordinates in \[0.1, 2\]$"):
        c2_network(a, np.array([[2.0, 0.9]]))
