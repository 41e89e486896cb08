"""On-manifold robustness (robust/_manifold_attack.py, Def 5.4): the embeddings against numpy formulas, the
attack stays on M and inside the intrinsic ball, and the linear chart reproduces the intrinsic instance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import ReLUNetwork
from uniformgap.robust import Embedding, OnManifold, theorem43_instance
from uniformgap.robust._adversarial import pgd_witnesses
from uniformgap.robust._evaluate import evaluate_split
from uniformgap.robust._manifold_attack import ambient_distances, evaluation_model
from uniformgap.robust._train_config import EvalConfig
from uniformgap.robust._training import build_model


def _net(d, seed, widths=(8, 8)):
    return build_model("mlp", d, 2, widths, seed=seed, dtype=torch.float64)


def test_embeddings_match_the_formulas_of_section_5_2():
    u = np.random.default_rng(0).random((5, 3))
    x = Embedding("linear", 3, 7).embed(u)
    assert np.array_equal(x[:, :3], u) and np.all(x[:, 3:] == 0.5)  # U = [e_1..e_k]: x = (u, 1/2, ..., 1/2)
    x = Embedding("torus", 3, 7).embed(u)
    r = 1 / (2 * math.pi)
    for j in range(3):  # (cos 2 pi u_j, sin 2 pi u_j) * r around 1/2
        assert np.allclose(x[:, 2 * j], 0.5 + r * np.cos(2 * np.pi * u[:, j]))
        assert np.allclose(x[:, 2 * j + 1], 0.5 + r * np.sin(2 * np.pi * u[:, j]))
    assert np.all(x[:, 6] == 0.5)
    rot = Embedding("linear", 3, 7, rotate=True, seed=4)
    U = rot.basis.numpy()
    assert np.allclose(U.T @ U, np.eye(3))
    xr = rot.embed(u)
    assert np.all((xr >= 0) & (xr <= 1))
    assert np.allclose((xr - 0.5) @ U * math.sqrt(3) + 0.5, u)  # the chart inverts it


def test_embedding_errors_are_one_line():
    with pytest.raises(InputError) as exc:
        Embedding("torus", 3, 5)
    assert str(exc.value) == "`d` must be >= 6 for the torus embedding of k = 3, got 5 (e.g. d: 6)"
    with pytest.raises(InputError) as exc:
        Embedding("sphere", 2, 5)
    assert str(exc.value) == "`manifold` must be 'linear' or 'torus', got 'sphere' (e.g. manifold: linear)"


@pytest.mark.parametrize("kind, rotate", [("torus", False), ("linear", True)])
def test_on_manifold_attack_stays_on_m_and_in_the_intrinsic_ball(kind, rotate):
    k, d, delta = 2, 6, 0.125
    emb = Embedding(kind, k, d, rotate=rotate, seed=1)
    W = torch.zeros(2, d, dtype=torch.float64)
    W[0, 0], W[1, 0] = -1.0, 1.0  # f(x) = x_1 - 1/2 (after an identity ReLU layer on [0,1]^d): M crosses its boundary
    f = ReLUNetwork([(torch.eye(d, dtype=torch.float64), torch.zeros(d, dtype=torch.float64)),
                     (W, torch.tensor([0.5, -0.5], dtype=torch.float64))])
    model = OnManifold(emb, f)
    u = torch.as_tensor(np.random.default_rng(2).random((100, k)))
    with torch.no_grad():
        y = model(u).argmax(1)  # correctly classified at u: only the attack can fool
    fooled, w = pgd_witnesses(model, u, y, eps=delta, norm="inf", steps=10, restarts=1, generator=torch.Generator().manual_seed(0))
    assert fooled.sum() >= 5  # the attack finds something (else nothing below is tested)
    w, u = w.numpy()[fooled.numpy()], u.numpy()[fooled.numpy()]
    assert np.all(np.abs(w - u).max(1) <= delta + 1e-12) and np.all((w >= 0) & (w <= 1))
    with torch.no_grad():
        assert np.all(model(torch.as_tensor(w)).argmax(1).numpy() != y.numpy()[fooled.numpy()])
    x = emb.embed(w)
    if kind == "torus":  # on M: each (cos, sin) pair at radius r around 1/2, the rest 1/2
        radii = np.hypot(x[:, 0:2 * k:2] - 0.5, x[:, 1:2 * k:2] - 0.5)
        assert np.allclose(radii, 1 / (2 * math.pi)) and np.all(x[:, 2 * k:] == 0.5)
    else:  # on M: x - 1/2 lies in span(U)
        U = emb.basis.numpy()
        assert np.allclose((x - 0.5) - (x - 0.5) @ U @ U.T, 0.0)
    assert np.all(ambient_distances(emb, u, w, "inf") <= delta + 1e-12)  # a Def 5.4 witness in R^d


def test_linear_chart_reproduces_the_intrinsic_instance():
    """f(x) = h(x_1..x_k) on R^d, attacked on M_lin: the same verdicts as h on the k-dim instance itself."""
    k, d, delta = 3, 7, 0.125
    inst = theorem43_instance(k, 0.25, 0.5, seed=0)
    y = (inst.labels + 1) // 2
    h = _net(k, seed=5, widths=(6,))
    (W0, b0), *rest = h.layers
    f = ReLUNetwork([(torch.cat([W0, torch.zeros(W0.shape[0], d - k, dtype=W0.dtype)], 1), b0), *rest])
    folded = evaluation_model(OnManifold(Embedding("linear", k, d), f))
    assert isinstance(folded, ReLUNetwork)  # affine chart: one network, certifiable
    cfg = EvalConfig(steps=10, restarts=1, library=(), bootstrap=0)
    on_m = evaluate_split(folded, inst.support, y, eps=delta, config=cfg, n_classes=2, seed=0)
    own = evaluate_split(h, inst.support, y, eps=delta, config=cfg, n_classes=2, seed=0)
    assert np.array_equal(on_m.fooled, own.fooled) and np.array_equal(on_m.certified, own.certified)
    assert on_m.certified.any() and on_m.fooled.any()  # both verdicts occur: the comparison is not vacuous
    # brute force over a grid of each intrinsic ball: certified points have no fooling grid point
    g = np.linspace(-delta, delta, 9)
    offsets = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, k)
    for i, s in enumerate(inst.support):
        pts = np.clip(s + offsets, 0, 1)
        with torch.no_grad():
            wrong = (h(torch.as_tensor(pts)).argmax(1).numpy() != y[i]).any()
        assert not (wrong and on_m.certified[i])
