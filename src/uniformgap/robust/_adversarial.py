"""PGD: projected gradient ascent of a classification loss inside B_p(x, δ) ∩ [0,1]^d.

docs/robust.md §6.2 (Madry et al.): for a model f with logits f(x) ∈ R^C and label y,

    x⁰ = Π(x + u),  u ~ U(B_p(0, δ))                         (random start)
    x^{t+1} = Π(x^t + α · sign ∇_x ℓ(f(x^t), y))              (p = ∞)
    x^{t+1} = Π(x^t + α · g / ‖g‖₂),  g = ∇_x ℓ(f(x^t), y)    (p = 2)

with Π(z) = min(max(z, max(x − δ, 0)), min(x + δ, 1)) coordinatewise for p = ∞ (the exact
Euclidean projection onto the box B_∞(x, δ) ∩ [0,1]^d) and, for p = 2, rescaling z − x to norm
≤ δ followed by clipping to [0,1]^d (feasible: clipping towards x ∈ [0,1]^d only shrinks
|z_i − x_i|; not the exact projection, as §6.2 says). Losses ℓ: cross-entropy ("ce") or the
negative margin ("margin", Carlini–Wagner) max_{j≠y} f_j(x) − f_y(x).

``pgd`` returns the point of largest loss (for training); ``pgd_witnesses`` keeps, per point, the
first misclassified iterate of any restart (§6.3: "a point is robust only if no iterate of any
restart is misclassified"), the clean point counting as iterate 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from .._errors import InputError

NORMS = ("inf", "2")
LOSSES = ("ce", "margin")

Model = Callable[[Tensor], Tensor]


def check_norm(norm: str) -> str:
    if str(norm) not in NORMS:
        raise InputError(f"`norm` must be 'inf' or '2', got {str(norm)!r} (e.g. --norm inf)")
    return str(norm)


def check_eps(eps: float) -> float:
    try:
        value = float(eps)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"`eps` must be a number >= 0, got {eps!r} (e.g. --eps 0.1)")
    return value


def project(z: Tensor, x: Tensor, eps: float, norm: str) -> Tensor:
    """Π onto B_p(x, ε) ∩ [0,1]^d (exact for p = ∞; feasible for p = 2); rows are points."""
    if norm == "inf":
        return torch.minimum(torch.maximum(z, (x - eps).clamp(min=0.0)), (x + eps).clamp(max=1.0))
    delta = z - x
    n = delta.flatten(1).norm(dim=1).clamp(min=1e-30).view(-1, *([1] * (x.ndim - 1)))
    delta = delta * torch.clamp(eps / n, max=1.0)
    return (x + delta).clamp(0.0, 1.0)


def random_start(x: Tensor, eps: float, norm: str, generator: torch.Generator | None) -> Tensor:
    """x + u, u uniform in B_p(0, ε) (p = ∞: U[−ε, ε]^d; p = 2: uniform in the ball), projected."""
    if norm == "inf":
        u = (torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) * 2 - 1) * eps
    else:
        g = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        g = g / g.flatten(1).norm(dim=1).clamp(min=1e-30).view(-1, *([1] * (x.ndim - 1)))
        d = x[0].numel()
        r = torch.rand(x.shape[0], generator=generator, dtype=x.dtype, device=x.device) ** (1.0 / d)
        u = g * (eps * r).view(-1, *([1] * (x.ndim - 1)))
    return project(x + u, x, eps, norm)


def loss_per_point(logits: Tensor, y: Tensor, loss: str) -> Tensor:
    """ℓ(f(x), y) per row: cross-entropy, or the negative margin max_{j≠y} f_j − f_y."""
    if loss == "ce":
        return torch.nn.functional.cross_entropy(logits, y, reduction="none")
    return -margin(logits, y)


def margin(logits: Tensor, y: Tensor) -> Tensor:
    """f_y(x) − max_{j≠y} f_j(x): > 0 iff x is classified correctly (ties are errors, §1)."""
    true = logits.gather(1, y[:, None])[:, 0]
    other = logits.scatter(1, y[:, None], -math.inf).amax(1)
    return true - other


def _step(x_adv: Tensor, grad: Tensor, alpha: float, norm: str) -> Tensor:
    if norm == "inf":
        return x_adv + alpha * grad.sign()
    g = grad.flatten(1).norm(dim=1).clamp(min=1e-30).view(-1, *([1] * (grad.ndim - 1)))
    return x_adv + alpha * grad / g


def _grad(model: Model, x_adv: Tensor, y: Tensor, loss: str) -> tuple[Tensor, Tensor]:
    """(∇_x Σ ℓ, logits) at x_adv."""
    x_adv = x_adv.detach().requires_grad_(True)
    logits = model(x_adv)
    (grad,) = torch.autograd.grad(loss_per_point(logits, y, loss).sum(), x_adv)
    return grad, logits.detach()


def pgd(
    model: Model,
    x: Tensor,
    y: Tensor,
    *,
    eps: float,
    norm: str = "inf",
    steps: int = 10,
    alpha: float | None = None,
    restarts: int = 1,
    loss: str = "ce",
    random_init: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """The PGD iterate of largest loss over ``restarts`` runs (the inner max of §6.2's min–max).

    ``alpha`` default 2.5 ε / steps. With ε = 0 returns ``x``. Gradients of the model's
    parameters are not touched (only ∂/∂x is formed).
    """
    if eps == 0:
        return x.detach()
    alpha = 2.5 * eps / steps if alpha is None else alpha
    x = x.detach()
    best, best_loss = x, torch.full((x.shape[0],), -math.inf, dtype=x.dtype, device=x.device)
    for _ in range(restarts):
        x_adv = random_start(x, eps, norm, generator) if random_init else x
        for _ in range(steps):
            grad, _ = _grad(model, x_adv, y, loss)
            x_adv = project(_step(x_adv, grad, alpha, norm), x, eps, norm).detach()
        with torch.no_grad():
            val = loss_per_point(model(x_adv), y, loss)
        better = val > best_loss
        best = torch.where(better.view(-1, *([1] * (x.ndim - 1))), x_adv, best)
        best_loss = torch.where(better, val, best_loss)
    return best


def pgd_witnesses(
    model: Model,
    x: Tensor,
    y: Tensor,
    *,
    eps: float,
    norm: str = "inf",
    steps: int = 50,
    alpha: float | None = None,
    restarts: int = 5,
    losses: tuple[str, ...] = LOSSES,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """(fooled (n,) bool, witness (n, ...)): a point is fooled when ANY iterate of any restart
    of any loss (or the clean point) is misclassified; its witness is the first such iterate.

    Points already fooled are not attacked further (same verdict, less work). ``alpha``
    default ε/4 (§6.3). The first restart of each loss starts at x itself (no noise), the
    others at random points of the ball.
    """
    alpha = eps / 4 if alpha is None else alpha
    x = x.detach()
    with torch.no_grad():
        fooled = margin(model(x), y) <= 0
    witness = x.clone()
    if eps == 0:
        return fooled, witness
    for loss in losses:
        for r in range(restarts):
            idx = torch.nonzero(~fooled)[:, 0]
            if idx.numel() == 0:
                return fooled, witness
            xs, ys = x[idx], y[idx]
            x_adv = random_start(xs, eps, norm, generator) if r > 0 else xs
            alive = torch.ones(idx.numel(), dtype=torch.bool, device=x.device)
            for _ in range(steps + 1):
                grad, logits = _grad(model, x_adv, ys, loss)
                hit = alive & (margin(logits, ys) <= 0)
                if hit.any():
                    witness[idx[hit]] = x_adv[hit].detach()
                    fooled[idx[hit]] = True
                    alive &= ~hit
                    if not alive.any():
                        break
                x_adv = project(_step(x_adv, grad, alpha, norm), xs, eps, norm).detach()
    return fooled, witness
