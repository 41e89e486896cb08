"""Hat networks (docs/theory.md §2–§3): evaluate the constructed networks against λ(1 − M‖x − y‖₁)₊."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import ReLUNetwork, save_network
from uniformgap.theory import HatNetwork, HatVerificationError, NetworkClass, hat_function, hat_network

INF = math.inf


# -- numpy-only reference: reads the JSON network format without importing uniformgap --------
def np_forward(data: dict, x: np.ndarray) -> np.ndarray:
    h = x
    layers = data["layers"]
    for ell, layer in enumerate(layers):
        h = h @ np.asarray(layer["weight"]).T + np.asarray(layer["bias"])
        if ell < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0]


def np_coef_norm(data: dict, q: float) -> float:
    def norm(a):
        a = np.abs(np.asarray(a, dtype=float)).ravel()
        return a.max() if math.isinf(q) else (a**q).sum() ** (1.0 / q)

    return max(max(norm(layer["weight"]), norm(layer["bias"])) for layer in data["layers"])


def np_hat(x: np.ndarray, M: float, y) -> np.ndarray:
    return np.maximum(1.0 - M * np.abs(x - np.asarray(y)).sum(axis=1), 0.0)


def evaluate(net: ReLUNetwork, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net(x)[:, 0]


def random_points(y, M: float, n: int, seed: int) -> torch.Tensor:
    """Points around y at ℓ¹ distances uniform in [0, 2/M) (inside and outside the support)."""
    gen = torch.Generator().manual_seed(seed)
    d = len(y)
    v = torch.randn(n, d, generator=gen, dtype=torch.float64)
    radius = (2.0 / M) * torch.rand(n, 1, generator=gen, dtype=torch.float64)
    return torch.tensor(y, dtype=torch.float64) + radius * v / v.abs().sum(dim=1, keepdim=True)


# -- the plain formula -----------------------------------------------------------------------
def test_hat_function_hand_values():
    x = torch.tensor([[0.5, 0.5], [0.6, 0.55], [0.75, 0.5], [0.8, 0.5], [0.4, 0.6]], dtype=torch.float64)
    got = hat_function(x, 4.0, [0.5, 0.5])
    # 1 − 4·(0.1 + 0.05) = 0.4; ‖x − y‖₁ = 0.25 → 0; 0.3 → 0 (clamped); 1 − 4·0.2 = 0.2
    assert torch.allclose(got, torch.tensor([1.0, 0.4, 0.0, 0.0, 0.2], dtype=torch.float64), atol=1e-15)


# -- derived style: every d, L, q ------------------------------------------------------------
@pytest.mark.parametrize("q", [1.0, 2.0, INF])
@pytest.mark.parametrize("L", [3, 4, 6])
@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_derived_network_equals_scaled_hat(d, L, q):
    c = 1.3
    cls = NetworkClass.create(d, L, c=c, q=q)
    gen = torch.Generator().manual_seed(d * 100 + L)
    for M in (1.0, 2.5, 17.0):
        y = torch.rand(d, generator=gen, dtype=torch.float64).tolist()
        net = hat_network(cls, M, y)
        assert isinstance(net, HatNetwork) and isinstance(net, torch.nn.Module)
        assert net.architecture == cls.architecture
        assert all(p.dtype == torch.float64 for p in net.parameters())
        assert net.lam == pytest.approx(10 ** cls.log10_lam(M), rel=1e-12)
        assert net.coef_norm == net.coefficient_norm(q) <= c * (1 + 1e-12)
        at_y = float(evaluate(net, torch.tensor([y], dtype=torch.float64))[0])
        assert at_y == pytest.approx(net.lam, rel=1e-10)
        x = random_points(y, M, 400, seed=L)
        want = net.lam * hat_function(x, M, y)
        assert torch.allclose(evaluate(net, x), want, rtol=0, atol=1e-10 * net.lam)
        assert (want == 0).any() and (want > 0).any()  # both sides of the support were hit


@pytest.mark.parametrize("d,L,c", [(1, 3, 1.0), (2, 4, 1.0), (3, 3, 2.0), (5, 6, 0.7)])
def test_paper_width_lambda_by_hand(d, L, c):
    """q = ∞, width 3d: λ = c^L (3d)^{L−2} / M (docs/theory.md §3), computed here by hand."""
    M = 3.0
    net = hat_network(NetworkClass.create(d, L, c=c), M, [0.5] * d)
    assert net.lam == pytest.approx(c**L * (3 * d) ** (L - 2) / M, rel=1e-12)


def test_general_widths_lambda_by_hand():
    c, M = 1.1, 2.0
    # q = ∞: N_1 ≥ 2d + 1 = 5; λ = c^L N_2 N_3 / M
    net = hat_network(NetworkClass.create(2, 4, width=[5, 2, 7], c=c), M, [0.2, 0.9])
    assert net.lam == pytest.approx(c**4 * 2 * 7 / M, rel=1e-12)
    # q = 4: γ = c^L (2d)^{-1/2} (N_2 N_3)^{1/2}; M_* = c (2d)^{-1/2} < M
    net = hat_network(NetworkClass.create(2, 4, width=[4, 3, 5], c=c, q=4.0), M, [0.2, 0.9])
    assert net.lam == pytest.approx(c**4 * 4**-0.5 * 15**0.5 / M, rel=1e-12)
    # q = 1 ≤ 2: no width gain, γ = c^L (2d)^{-2}; M_* = c/16 < M
    net = hat_network(NetworkClass.create(2, 4, width=[4, 3, 5], c=c, q=1.0), M, [0.2, 0.9])
    assert net.lam == pytest.approx(c**4 / 16 / M, rel=1e-12)
    x = random_points([0.2, 0.9], M, 300, seed=1)
    assert torch.allclose(evaluate(net, x), net.lam * hat_function(x, M, [0.2, 0.9]), atol=1e-12)


def test_small_M_below_M_star_keeps_norm():
    """q < ∞ and M < M_*: λ = γ_q / M_* (the scaling saturates), norm still ≤ c."""
    cls = NetworkClass.create(1, 3, c=8.0, q=2.0)  # M_* = 8 / 2 = 4
    net = hat_network(cls, 1.5, [0.5])
    assert net.lam == pytest.approx(8.0**3 / 2 / 4.0, rel=1e-12)
    assert net.coef_norm <= 8.0 * (1 + 1e-12)


def test_centered_domain():
    cls = NetworkClass.create(3, 4, c=1.0)
    y = [-0.5, 0.5, 0.1]
    net = hat_network(cls, 2.0, y, domain=(-0.5, 0.5))
    x = random_points(y, 2.0, 500, seed=3)
    assert torch.allclose(evaluate(net, x), net.lam * hat_function(x, 2.0, y), atol=1e-12)
    assert net.domain == (-0.5, 0.5)


# -- paper style -----------------------------------------------------------------------------
@pytest.mark.parametrize("L", [3, 4, 6])
@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_paper_style_equals_scaled_hat(d, L):
    c = 1.2
    cls = NetworkClass.create(d, L, c=c)
    M = max(1.0, (d - 1) * c / 2) + 0.5
    # one coordinate near the top edge (y_i > 1 − 1/M: the ρ(z_i − 1) neuron is dropped)
    y = [0.97] + [0.3 + 0.1 * i for i in range(d - 1)]
    net = hat_network(cls, M, y, style="paper")
    assert net.lam == pytest.approx(c**L * (3 * d) ** (L - 2) / (2 * M), rel=1e-12)
    assert net.coef_norm <= c * (1 + 1e-12)
    gen = torch.Generator().manual_seed(L)
    x = torch.cat([random_points(y, M, 300, seed=d), torch.rand(300, d, generator=gen, dtype=torch.float64)])
    x = x[((x >= 0) & (x <= 1)).all(dim=1)]  # the paper style is stated on [0,1]^d
    assert torch.allclose(evaluate(net, x), net.lam * hat_function(x, M, y), atol=1e-12 * max(1, net.lam))
    A1, b1 = net.layers[0]
    assert float(A1[2, 0]) == 0.0 and float(b1[2]) == 0.0  # dropped neuron of coordinate 1
    assert float(b1.abs().max()) <= c


def test_paper_style_is_half_the_derived_height():
    cls = NetworkClass.create(2, 4, c=1.0)
    derived = hat_network(cls, 4.0, [0.5, 0.5])
    paper = hat_network(cls, 4.0, [0.5, 0.5], style="paper")
    assert paper.lam == pytest.approx(derived.lam / 2, rel=1e-12)


# -- export: an independent numpy evaluation of the JSON file ------------------------------
@pytest.mark.parametrize("q,style", [(INF, "derived"), (2.0, "derived"), (1.0, "derived"), (INF, "paper")])
def test_exported_json_checked_with_numpy(tmp_path, q, style):
    d, L, c, M, y = 3, 4, 1.5, 2.5, [0.2, 0.95, 0.5]
    net = hat_network(NetworkClass.create(d, L, c=c, q=q), M, y, style=style)
    path = save_network(net, tmp_path / "hat.json", **net.metadata)
    data = json.loads(path.read_text())
    assert data["kind"] == "hat" and data["style"] == style
    assert float(data["q"]) == q and data["c"] == c and data["M"] == M and data["y"] == y
    assert np_coef_norm(data, q) <= c * (1 + 1e-12)
    lam = data["lambda"]
    assert lam == net.lam and data["log10_lambda"] == pytest.approx(math.log10(lam))
    rng = np.random.default_rng(0)
    near = np.asarray(y) + rng.uniform(-2 / M, 2 / M, size=(500, d))
    x = np.vstack([np.asarray([y]), near, rng.uniform(0, 1, (200, d))])
    np.testing.assert_allclose(np_forward(data, x), lam * np_hat(x, M, y), rtol=0, atol=1e-12)
    assert np_forward(data, x[:1])[0] == pytest.approx(lam, rel=1e-12)


# -- verification catches a broken network ---------------------------------------------------
def test_verify_rejects_a_tampered_network():
    net = hat_network(NetworkClass.create(2, 3, c=1.0), 2.0, [0.5, 0.5])
    net.verify()
    with torch.no_grad():
        net.linears[-1].bias.fill_(1e-3)  # nonzero outside the support
    with pytest.raises(HatVerificationError, match="expected lambda"):
        net.verify()
    net = hat_network(NetworkClass.create(2, 3, c=1.0), 2.0, [0.5, 0.5])
    with torch.no_grad():
        net.linears[0].weight[0, 0] = 1.5  # ‖Φ‖_∞ > c
    with pytest.raises(HatVerificationError, match="> c"):
        net.verify()


# -- error messages --------------------------------------------------------------------------
CLS2 = NetworkClass.create(2, 3, c=1.0)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(cls=CLS2, M=0.5, y=[0.5, 0.5]), "`M` must be a finite number >= 1, got 0.5"),
        (dict(cls=CLS2, M=math.inf, y=[0.5, 0.5]), "`M` must be a finite number >= 1, got inf"),
        (dict(cls=CLS2, M=2, y=[0.5]), "`y` must have d = 2 coordinates, got 1 (e.g. 0.5,0.5)"),
        (dict(cls=CLS2, M=2, y=[0.5, 1.2]), "`y` must lie in the domain [0, 1]^2, got 0.5,1.2 (e.g. 0.5,0.5)"),
        (
            dict(cls=CLS2, M=2, y=[0.7, 0.2], domain=(-0.5, 0.5)),
            "`y` must lie in the domain [-0.5, 0.5]^2, got 0.7,0.2 (e.g. 0,0)",
        ),
        (dict(cls=CLS2, M=2, y="ab"), "`y` must be a list of d = 2 numbers, got 'ab'"),
        (
            dict(cls=CLS2, M=2, y=[0.5, 0.5], domain=(0.0, 2.0)),
            "`domain` must be a pair (lo, hi) with -1 <= lo < hi <= 1, got (0.0, 2.0) (e.g. (0.0, 1.0) or (-0.5, 0.5))",
        ),
        (dict(cls=CLS2, M=2, y=[0.5, 0.5], style="fancy"), "`style` must be 'derived' or 'paper', got 'fancy'"),
        (
            dict(cls=NetworkClass.create(2, 3, width=4), M=2, y=[0.5, 0.5]),
            "`width` must give N_1 >= 5 in the first hidden layer for this hat network "
            "(2d+1 for q = inf: two ReLUs per coordinate and a constant neuron), got N_1 = 4",
        ),
        (
            dict(cls=NetworkClass.create(2, 3, width=3, q=2.0), M=2, y=[0.5, 0.5]),
            "`width` must give N_1 >= 4 in the first hidden layer for this hat network "
            "(2d: two ReLUs per coordinate), got N_1 = 3",
        ),
        (
            dict(cls=NetworkClass.create(2, 3, width=5), M=2, y=[0.5, 0.5], style="paper"),
            "`width` must give N_1 >= 6 in the first hidden layer for this hat network "
            "(3d: three ReLUs per coordinate), got N_1 = 5",
        ),
        (
            dict(cls=NetworkClass.create(2, 3, q=2.0), M=2, y=[0.5, 0.5], style="paper"),
            "`q` must be inf for style 'paper' (the paper's t-based network, docs/theory.md §3), got 2 "
            "(use style 'derived' for q < inf)",
        ),
        (
            dict(cls=NetworkClass.create(4, 3, c=2.0), M=2, y=[0.5] * 4, style="paper"),
            "`M` must be >= max(1, (d-1)c/2) = 3 for style 'paper' (its layer-2 bias -(d-1)c^2/(2M) "
            "must stay within c), got 2 (or use style 'derived')",
        ),
        (
            dict(cls=CLS2, M=2, y=[0.0, 0.0], style="paper", domain=(-0.5, 0.5)),
            "`domain` must be (0.0, 1.0) for style 'paper' (its biases are bounded for y in [0,1]^d), "
            "got (-0.5, 0.5) (use style 'derived')",
        ),
        (
            dict(cls="H", M=2, y=[0.5, 0.5]),
            "`cls` must be a NetworkClass (e.g. NetworkClass.create(d=2, L=3)), got str",
        ),
        (
            # log10 λ = 60·6 + 58·log10(6) − log10(2) = 404.8
            dict(cls=NetworkClass.create(2, 60, c=1e6), M=2, y=[0.5, 0.5]),
            "the hat height lambda = 10^404.8 is not representable in float64 "
            "(choose smaller L or widths or c nearer 1; the log10 bounds have no such limit)",
        ),
    ],
)
def test_error_messages(kwargs, message):
    with pytest.raises(InputError) as info:
        hat_network(**kwargs)
    assert str(info.value) == message
