"""Hat functions and the explicit ReLU networks that realise them (verified on construction).

docs/theory.md §2–§3; arXiv:2205.13531, Lemmas A.1–A.3. For M ≥ 1 and a centre y,

    Λ_{M,y}(x) = (1 − M‖x − y‖₁)₊,     support {‖x − y‖₁ < 1/M},   Λ(y) = 1,

and a network Φ of the class H^q_{a,c} (‖Φ‖_q ≤ c, a = (d, N_1, ..., N_{L-1}, 1)) has
R(Φ) = λ Λ_{M,y}. Two constructions:

- ``style="derived"`` (docs/theory.md §3, the |z| form): layer 1 computes (w/M) ρ(±z_i),
  z_i = M(x_i − y_i), w = c (2d)^{-1/q}; layer 2 forms ρ(α(1 − Σ_i |z_i|)) = α Λ in r_2 rows;
  layers 3..L fan out with weight c (r_ℓ r_{ℓ-1})^{-1/q}. Height
  λ_q(M) = γ_q / max(M, M_*) with γ_q = c^L (2d)^{-2/q} Π_{ℓ=2}^{L-1} N_ℓ^{(1−2/q)₊}
  (q = ∞, width 3d: λ = c^L (3d)^{L−2} / M). Exact on all of R^d; needs N_1 ≥ 2d (2d + 1 for
  q = ∞: a constant neuron carries the bias), |y_i| ≤ 1.
- ``style="paper"`` (docs/theory.md §3, paper-style; q = ∞ only): t(z) = ρ(z+1) − 2ρ(z) + ρ(z−1)
  with first-layer weights c and layer-2 weights (c/2)(1, −2, 1), bias −(d−1)c²/(2M), so
  λ = γ/(2M) with γ = c^L Π_{ℓ=2}^{L-1} N_ℓ. Needs N_1 ≥ 3d, M ≥ max(1, (d−1)c/2) and the
  domain [0,1]^d (docs/theory.md §3). The neuron ρ(z_i − 1) is dropped when y_i > 1 − 1/M (its bias
  −c(y_i + 1/M) would exceed c). docs/theory.md calls the result exact on [0,1]^d; it is in fact
  exact on R^d: ρ(z − 1) is active only for z > 1, where t(z) = 0 and the truncated
  t'(z) = 1 − z < 0 still keeps Σ_i t' − (d−1) < 0, so the output stays 0 (verified on R^d).

Every :class:`HatNetwork` is verified before it is returned (coefficient norm, value at y,
zero just outside the ℓ¹ ball, agreement with the formula at random points).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from .._domain import check_domain
from .._errors import InputError
from ..networks import ReLUNetwork
from ._class import NetworkClass

STYLES = ("derived", "paper")
_API_NAMES = {"M": "M", "y": "y", "width": "width", "domain": "domain", "q": "q", "style": "style"}
# float64 has ~308 decimal digits of range; beyond this λ itself is not representable.
_MAX_LOG10_LAM = 300.0
# Relative float tolerance of the verification (sums of O(d) float64 terms times M).
_RTOL = 1e-9
# Fixed seed of the verification points: the check is a deterministic part of construction.
_VERIFY_SEED = 20230501
_VERIFY_POINTS = 2000


class HatVerificationError(RuntimeError):
    """A constructed hat network failed its own verification (a bug, not a user error)."""


def hat_function(x: Tensor, M: float, y: Sequence[float]) -> Tensor:
    """The plain formula Λ_{M,y}(x) = (1 − M‖x − y‖₁)₊ (docs/theory.md §2, Lemma A.1).

    ``x`` is (n, d); returns (n,). This is the reference the networks are checked against.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    yt = torch.as_tensor(list(y), dtype=torch.float64)
    return torch.clamp(1.0 - M * (x - yt).abs().sum(dim=-1), min=0.0)


class HatNetwork(ReLUNetwork):
    """A ReLU network with R(Φ) = λ Λ_{M,y} on R^d (both styles; docs/theory.md §3).

    Attributes: ``lam`` (λ), ``M``, ``y`` (tuple), ``style``, ``q``, ``c``, ``domain``,
    ``coef_norm`` (‖Φ‖_q, ≤ c). Build it with :func:`hat_network`, which verifies it.
    """

    def __init__(
        self,
        layers: Sequence[tuple[Tensor, Tensor]],
        *,
        lam: float,
        M: float,
        y: Sequence[float],
        style: str,
        q: float,
        c: float,
        domain: tuple[float, float],
    ):
        super().__init__(layers)
        self.lam = float(lam)
        self.M = float(M)
        self.y = tuple(float(v) for v in y)
        self.style = style
        self.q = float(q)
        self.c = float(c)
        self.domain = (float(domain[0]), float(domain[1]))
        self.coef_norm = self.coefficient_norm(self.q)

    @property
    def log10_lam(self) -> float:
        return math.log10(self.lam)

    @property
    def support_radius(self) -> float:
        """1/M: the support is the open ℓ¹ ball {‖x − y‖₁ < 1/M}."""
        return 1.0 / self.M

    def support_box(self) -> list[tuple[float, float]]:
        """The bounding box Π_i (y_i − 1/M, y_i + 1/M) of the support (not clipped to the domain)."""
        r = self.support_radius
        return [(v - r, v + r) for v in self.y]

    @property
    def metadata(self) -> dict[str, Any]:
        """Keyword metadata for ``networks.save_network`` (JSON key "lambda" for λ; q = ∞ as "inf")."""
        return {
            "kind": "hat",
            "lambda": self.lam,
            "log10_lambda": self.log10_lam,
            "M": self.M,
            "y": list(self.y),
            "style": self.style,
            "q": "inf" if math.isinf(self.q) else self.q,
            "c": self.c,
            "domain": list(self.domain),
        }

    def verify(self) -> None:
        """Raise :class:`HatVerificationError` unless ‖Φ‖_q ≤ c, R(Φ)(y) = λ, R(Φ) = 0 just
        outside the ℓ¹ ball of radius 1/M and R(Φ) = λΛ_{M,y} at random points (near y and
        in the domain)."""
        _verify(self)


def validate_hat_args(
    cls: NetworkClass,
    M: float,
    y: Sequence[float],
    *,
    style: str = "derived",
    domain: tuple[float, float] = (0.0, 1.0),
    names: Mapping[str, str] | None = None,
) -> tuple[float, tuple[float, ...], tuple[float, float]]:
    """Check the inputs of :func:`hat_network`; returns (M, y, domain) as floats.

    ``names`` maps the argument names (M, y, width, domain, q, style) to the names shown in
    messages (the CLI passes its flags). Raises :class:`uniformgap.InputError`.
    """
    n = {**_API_NAMES, **(names or {})}
    if not isinstance(cls, NetworkClass):
        raise InputError(
            f"`cls` must be a NetworkClass (e.g. NetworkClass.create(d=2, L=3)), got {type(cls).__name__}"
        )
    if style not in STYLES:
        raise InputError(f"`{n['style']}` must be 'derived' or 'paper', got {style!r}")
    lo_hi = _check_domain(domain, style, n)
    M = _check_M(M, n)
    d = cls.d
    if style == "paper":
        if not math.isinf(cls.q):
            raise InputError(
                f"`{n['q']}` must be inf for style 'paper' (the paper's t-based network, docs/theory.md §3), "
                f"got {cls.q:g} (use style 'derived' for q < inf)"
            )
        M_min = max(1.0, (d - 1) * cls.c / 2.0)
        if M < M_min:
            raise InputError(
                f"`{n['M']}` must be >= max(1, (d-1)c/2) = {M_min:g} for style 'paper' (its layer-2 bias "
                f"-(d-1)c^2/(2M) must stay within c), got {M:g} (or use style 'derived')"
            )
    N1 = cls.widths[0]
    need, why = _first_width(d, cls.q, style)
    if N1 < need:
        raise InputError(
            f"`{n['width']}` must give N_1 >= {need} in the first hidden layer for this hat network "
            f"({why}), got N_1 = {N1}"
        )
    y = _check_y(y, d, lo_hi, n)
    return M, y, lo_hi


def hat_network(
    cls: NetworkClass,
    M: float,
    y: Sequence[float],
    *,
    style: str = "derived",
    domain: tuple[float, float] = (0.0, 1.0),
) -> HatNetwork:
    """The verified network of H^q_{a,c} (a = cls.architecture) realising λ Λ_{M,y}.

    docs/theory.md §3 (arXiv:2205.13531, Lemmas A.2/A.3). Style "derived": λ = 10**cls.log10_lam(M)
    = γ_q / max(M, M_*); style "paper" (q = ∞, domain [0,1]^d): λ = γ / (2M).
    ``domain`` = (lo, hi) is the cube [lo, hi]^d that must contain y (experiments use
    (-0.5, 0.5); style "paper" needs (0, 1)). Raises :class:`uniformgap.InputError` for invalid inputs and
    :class:`HatVerificationError` if the result fails verification (a bug).
    """
    M, y, domain = validate_hat_args(cls, M, y, style=style, domain=domain)
    log10_lam = cls.log10_lam(M) if style == "derived" else cls.log10_gamma - math.log10(2.0 * M)
    if not -_MAX_LOG10_LAM <= log10_lam <= _MAX_LOG10_LAM:
        raise InputError(
            f"the hat height lambda = 10^{log10_lam:.1f} is not representable in float64 "
            "(choose smaller L or widths or c nearer 1; the log10 bounds have no such limit)"
        )
    builder = _derived_layers if style == "derived" else _paper_layers
    layers = builder(cls, M, y)
    net = HatNetwork(
        layers, lam=10.0**log10_lam, M=M, y=y, style=style, q=cls.q, c=cls.c, domain=domain
    )
    net.verify()
    return net


# -- constructions --------------------------------------------------------------------------
def _inv(q: float) -> float:
    return 0.0 if math.isinf(q) else 1.0 / q


def _zeros(cls: NetworkClass) -> list[tuple[Tensor, Tensor]]:
    a = cls.architecture
    f64 = torch.float64
    return [(torch.zeros(a[i + 1], a[i], dtype=f64), torch.zeros(a[i + 1], dtype=f64)) for i in range(len(a) - 1)]


def _fan_out(layers: list[tuple[Tensor, Tensor]], cls: NetworkClass, r: list[int]) -> None:
    """Layers 3..L: A_ℓ[j, k] = c (r_ℓ r_{ℓ-1})^{-1/q} on the first r_ℓ × r_{ℓ-1} block, b_ℓ = 0;
    A_L[1, k] = c r_{L-1}^{-1/q}. All inputs are ≥ 0, so the ReLUs act as identities.

    ``r[ℓ]`` = r_ℓ for 2 ≤ ℓ ≤ L-1 (r[0], r[1] unused); r_L = 1.
    """
    L, iq, c = cls.L, _inv(cls.q), cls.c
    for ell in range(3, L + 1):
        r_out = 1 if ell == L else r[ell]
        r_in = r[ell - 1]
        A, _ = layers[ell - 1]
        A[:r_out, :r_in] = c * (r_out * r_in) ** (-iq)


def _derived_layers(cls: NetworkClass, M: float, y: tuple[float, ...]) -> list[tuple[Tensor, Tensor]]:
    """docs/theory.md §3 [derived]: the |z| form with λ_q(M) = γ_q / max(M, M_*)."""
    d, c, q, iq = cls.d, cls.c, cls.q, _inv(cls.q)
    # r_ℓ: fanning out over N_ℓ rows pays iff the exponent 1 − 2/q ≥ 0.
    r = [0, 0] + [n if q >= 2 else 1 for n in cls.widths[1:]]
    layers = _zeros(cls)
    w = c * (2 * d) ** (-iq)
    A1, b1 = layers[0]
    for i in range(d):
        A1[2 * i, i], b1[2 * i] = w, -w * y[i]  # (w/M) ρ(z_i)
        A1[2 * i + 1, i], b1[2 * i + 1] = -w, w * y[i]  # (w/M) ρ(−z_i)
    A2, b2 = layers[1]
    if math.isinf(q):
        b1[2 * d] = c  # constant neuron: ρ(c) = c carries the layer-2 offset
        A2[: r[2], : 2 * d] = -c
        A2[: r[2], 2 * d] = c / M  # row j: ρ((c²/M)(1 − Σ|z_i|)) = (c²/M) Λ
    else:
        v = c * (2 * d * r[2]) ** (-iq) * min(1.0, M / cls.M_star)
        A2[: r[2], : 2 * d] = -v
        b2[: r[2]] = v * w / M  # α = vw/M, row j: ρ(α(1 − Σ|z_i|)) = α Λ
    _fan_out(layers, cls, r)
    return layers


def _paper_layers(cls: NetworkClass, M: float, y: tuple[float, ...]) -> list[tuple[Tensor, Tensor]]:
    """docs/theory.md §3 paper-style (q = ∞): t(z) = ρ(z+1) − 2ρ(z) + ρ(z−1), λ = γ/(2M)."""
    d, c = cls.d, cls.c
    r = [0, 0] + list(cls.widths[1:])
    layers = _zeros(cls)
    A1, b1 = layers[0]
    A2, b2 = layers[1]
    for i in range(d):
        # neuron 3i+s computes c(x_i − y_i) + c·shift = (c/M) ρ(z_i + M·shift)
        for s, shift, a2 in ((0, 1.0 / M, c / 2), (1, 0.0, -c), (2, -1.0 / M, c / 2)):
            if s == 2 and y[i] > 1.0 - 1.0 / M:
                continue  # its bias −c(y_i + 1/M) would exceed c; harmless (see module docstring)
            A1[3 * i + s, i], b1[3 * i + s] = c, c * (shift - y[i])
            A2[: r[2], 3 * i + s] = a2
    b2[: r[2]] = -(d - 1) * c * c / (2 * M)  # row j: (c²/2M) ρ(Σ t(z_i) − (d−1)) = (c²/2M) Λ
    _fan_out(layers, cls, r)
    return layers


# -- validation -----------------------------------------------------------------------------
def _first_width(d: int, q: float, style: str) -> tuple[int, str]:
    if style == "paper":
        return 3 * d, "3d: three ReLUs per coordinate"
    if math.isinf(q):
        return 2 * d + 1, "2d+1 for q = inf: two ReLUs per coordinate and a constant neuron"
    return 2 * d, "2d: two ReLUs per coordinate"


def _check_M(M: Any, n: Mapping[str, str]) -> float:
    ok = isinstance(M, (int, float)) and not isinstance(M, bool) and math.isfinite(M) and M >= 1
    if not ok:
        raise InputError(f"`{n['M']}` must be a finite number >= 1, got {M!r}")
    return float(M)


def _check_domain(domain: Any, style: str, n: Mapping[str, str]) -> tuple[float, float]:
    # |y_i| ≤ 1 keeps the first-layer biases ∓w y_i within c (docs/theory.md §3).
    lo, hi = check_domain(domain, name=n["domain"], bound=1.0, example="(0.0, 1.0) or (-0.5, 0.5)")
    if style == "paper" and (lo, hi) != (0.0, 1.0):
        raise InputError(
            f"`{n['domain']}` must be (0.0, 1.0) for style 'paper' (its biases are bounded for y in [0,1]^d), "
            f"got {(lo, hi)!r} (use style 'derived')"
        )
    return lo, hi


def _check_y(y: Any, d: int, domain: tuple[float, float], n: Mapping[str, str]) -> tuple[float, ...]:
    lo, hi = domain
    try:
        vals = tuple(float(v) for v in y)
    except (TypeError, ValueError):
        raise InputError(f"`{n['y']}` must be a list of d = {d} numbers, got {y!r}") from None
    example = ",".join([f"{(lo + hi) / 2:g}"] * d)
    if len(vals) != d:
        raise InputError(
            f"`{n['y']}` must have d = {d} coordinates, got {len(vals)} (e.g. {example})"
        )
    if not all(lo <= v <= hi for v in vals):
        shown = ",".join(f"{v:g}" for v in vals)
        raise InputError(
            f"`{n['y']}` must lie in the domain [{lo:g}, {hi:g}]^{d}, got {shown} (e.g. {example})"
        )
    return vals


# -- verification ---------------------------------------------------------------------------
def _verify(net: HatNetwork) -> None:
    d, M, lam, y = net.input_dim, net.M, net.lam, torch.tensor(net.y, dtype=torch.float64)
    coef_norm = net.coefficient_norm(net.q)
    if not coef_norm <= net.c * (1.0 + 1e-12):
        raise HatVerificationError(f"hat network has ‖Φ‖_q = {coef_norm!r} > c = {net.c!r}")
    # z = M(x − y) carries an absolute error of about M·|x|·2^-52 per coordinate.
    tol = lam * (_RTOL + 64.0 * d * M * 2.0**-52)
    with torch.no_grad():
        at_y = float(net(y[None, :])[0, 0])
        if not abs(at_y - lam) <= tol:
            raise HatVerificationError(f"hat network has value {at_y!r} at y, expected lambda = {lam!r}")
        gen = torch.Generator().manual_seed(_VERIFY_SEED)
        # Just outside the ℓ¹ ball: ±(1+δ)/M along every axis and along random ℓ¹ directions.
        delta = 1e-6 + 1024.0 * d * M * 2.0**-52
        axes = torch.cat([torch.eye(d), -torch.eye(d)]).to(torch.float64)  # (2d, d)
        u = torch.randn(_VERIFY_POINTS // 2, d, generator=gen, dtype=torch.float64)
        u = u / u.abs().sum(dim=1, keepdim=True)  # ‖u‖₁ = 1
        outside = y + (1.0 + delta) / M * torch.cat([axes, u])  # (2d + n, d)
        # Random points: near y (inside and outside the support) and in the domain.
        lo, hi = net.domain
        # ℓ¹ radii uniform in [0, 2/M): in high d a box around y would almost miss the ball
        v = torch.randn(_VERIFY_POINTS, d, generator=gen, dtype=torch.float64)
        radius = (2.0 / M) * torch.rand(_VERIFY_POINTS, 1, generator=gen, dtype=torch.float64)
        near = y + radius * v / v.abs().sum(dim=1, keepdim=True)
        cube = lo + (hi - lo) * torch.rand(_VERIFY_POINTS, d, generator=gen, dtype=torch.float64)
        points = torch.cat([outside, near, cube])  # the formula is 0 on `outside`
        got = net(points)[:, 0]
        want = lam * hat_function(points, M, net.y)
        bad = (got - want).abs() > tol
        if bad.any():
            k = int(bad.nonzero()[0, 0])
            raise HatVerificationError(
                f"hat network differs from lambda*(1 - M|x-y|_1)_+ at x = {points[k].tolist()}: "
                f"{float(got[k])!r} vs {float(want[k])!r}"
            )
