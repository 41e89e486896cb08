"""The subspace network (docs/robust.md §5.2): C2 on chart coordinates, linear in d, no flips on M."""

import numpy as np
import torch

from uniformgap.robust import manifold_linear, manifold_torus, subspace_network


def test_linear_manifold_size_does_not_grow_with_d_beyond_the_first_layer():
    sizes = []
    for d in (4, 16):
        ms = manifold_linear(2, d, eps=0.1, seed=0)
        a, b = ms.points[ms.labels == 1], ms.points[ms.labels == -1]
        res = subspace_network(a, b, ms.basis, ms.origin, 0.5, n_random=64, n_ball=8)
        assert res.check.flips == 0 and res.check.max_error_simplex <= 1e-12
        sizes.append(res.network.nnz_weights - 2 * np.count_nonzero(ms.basis))
    assert sizes[0] == sizes[1]  # the hats live in dimension m = k = 2


def test_torus_labels_are_kept_on_the_manifold():
    ms = manifold_torus(1, 4, m=8, seed=1)
    a, b = ms.points[ms.labels == 1], ms.points[ms.labels == -1]
    res = subspace_network(a, b, ms.basis, ms.origin, 0.5, n_random=64, n_ball=8)
    assert res.check.flips == 0
    # points of the circle within l-inf distance c*eps of a data point, by angle
    theta = ms.chart[:, 0][:, None] + np.linspace(-1, 1, 21)[None, :] * 0.05
    x = ms.origin + 0.5 * np.stack([np.cos(theta), np.sin(theta)], axis=2) @ ms.basis.T  # (8, 21, 4)
    near = np.abs(x - ms.points[:, None, :]).max(axis=2) <= res.c * res.eps
    f = res.network(torch.from_numpy(x.reshape(-1, 4)))[:, 0].numpy().reshape(near.shape)
    assert np.all(np.sign(f)[near] == np.broadcast_to(ms.labels[:, None], near.shape)[near])
