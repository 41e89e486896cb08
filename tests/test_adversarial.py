"""PGD (robust/_adversarial.py): closed-form worst points of linear models, exact projection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.robust import margin, pgd, pgd_witnesses, project
from uniformgap.robust._adversarial import check_eps, check_norm


def _linear(W, b):
    lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(W))
        lin.bias.copy_(torch.as_tensor(b))
    return lin


def test_linf_pgd_reaches_the_closed_form_vertex(one_thread):
    # two classes: margin(x) = (w0 − w1)·x + (b0 − b1) for y = 0 is minimised over the box
    # [max(x−δ,0), min(x+δ,1)] at the vertex lo_i where v_i > 0 and hi_i where v_i < 0
    rng = np.random.default_rng(0)
    d, n, eps = 6, 20, 0.15
    W, b = rng.normal(size=(2, d)), np.zeros(2)
    x = rng.uniform(size=(n, d))
    y = np.zeros(n, dtype=np.int64)
    v = W[0] - W[1]
    lo, hi = np.maximum(x - eps, 0), np.minimum(x + eps, 1)
    expected = np.where(v > 0, lo, hi)
    got = pgd(_linear(W, b), torch.tensor(x), torch.tensor(y), eps=eps, norm="inf", steps=30,
              loss="margin", generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_l2_pgd_reaches_the_closed_form_point(one_thread):
    # away from the cube's faces the worst ℓ2 point of a linear margin is x − δ v/‖v‖
    rng = np.random.default_rng(1)
    d, n, eps = 5, 10, 0.05
    W = rng.normal(size=(2, d))
    x = rng.uniform(0.3, 0.7, size=(n, d))
    v = W[0] - W[1]
    expected = x - eps * v / np.linalg.norm(v)
    got = pgd(_linear(W, np.zeros(2)), torch.tensor(x), torch.zeros(n, dtype=torch.int64), eps=eps, norm="2",
              steps=50, loss="margin", random_init=False).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_linf_projection_is_the_nearest_point_of_the_box():
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(30, 4))
    z = x + rng.normal(scale=0.5, size=x.shape)
    eps = 0.2
    p = project(torch.tensor(z), torch.tensor(x), eps, "inf").numpy()
    lo, hi = np.maximum(x - eps, 0), np.minimum(x + eps, 1)
    assert np.all((p >= lo) & (p <= hi))
    # optimality against many feasible points (independent of the formula)
    q = rng.uniform(lo[:, None, :], hi[:, None, :], size=(30, 2000, 4))
    assert np.all(np.linalg.norm(p - z, axis=1)[:, None] <= np.linalg.norm(q - z[:, None, :], axis=2) + 1e-15)
    # idempotent
    np.testing.assert_array_equal(project(torch.tensor(p), torch.tensor(x), eps, "inf").numpy(), p)


def test_l2_projection_is_feasible():
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(50, 3))
    z = x + rng.normal(scale=1.0, size=x.shape)
    p = project(torch.tensor(z), torch.tensor(x), 0.3, "2").numpy()
    assert np.all(np.linalg.norm(p - x, axis=1) <= 0.3 + 1e-12)
    assert np.all((p >= 0) & (p <= 1))


def test_witnesses_are_misclassified_and_clean_errors_count(one_thread):
    rng = np.random.default_rng(4)
    W, b = rng.normal(size=(3, 4)), rng.normal(size=3) * 0.1
    model = _linear(W, b)
    x = torch.tensor(rng.uniform(size=(40, 4)))
    y = torch.tensor(rng.integers(0, 3, size=40))
    fooled, wit = pgd_witnesses(model, x, y, eps=0.2, steps=20, restarts=2, generator=torch.Generator().manual_seed(0))
    clean_wrong = margin(model(x), y) <= 0
    assert torch.all(fooled[clean_wrong])
    m_w = (wit.numpy() @ W.T + b)
    m_w = m_w[np.arange(40), y.numpy()] - np.where(np.eye(3, dtype=bool)[y.numpy()], -np.inf, m_w).max(1)
    assert np.all(m_w[fooled.numpy()] <= 0)
    assert np.all(np.abs(wit.numpy() - x.numpy()).max(1) <= 0.2 + 1e-12)


def test_bad_norm_and_eps_messages():
    with pytest.raises(InputError) as exc:
        check_norm("3")
    assert str(exc.value) == "`norm` must be 'inf' or '2', got '3' (e.g. --norm inf)"
    with pytest.raises(InputError) as exc:
        check_eps(-0.1)
    assert str(exc.value) == "`eps` must be a number >= 0, got -0.1 (e.g. --eps 0.1)"
