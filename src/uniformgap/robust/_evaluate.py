"""Honest robust evaluation: a certified ≤ true ≤ attack bracket on every point (docs/robust.md §6.3).

For a classifier f (logits) and a labelled set {(x_i, y_i)}, radius δ = ``eps`` in ℓ_p:

- clean accuracy: (1/N) Σ 1{margin f(x_i) > 0}, margin = f_y − max_{j≠y} f_j (ties are errors, §1);
- attack robust accuracy (an UPPER bound on the true robust accuracy 1 − L̂^{p,δ}_D, Def 2.1):
  1 − (1/N) Σ 1{a verified witness x'_i exists}, witnesses from our PGD (``steps``, ``restarts``,
  α = δ/4, cross-entropy and margin losses; any misclassified iterate counts) and the library suite
  (``_attack_libs``), the per-point worst case over all attacks;
- certified robust accuracy (a LOWER bound): (1/N) Σ 1{margin lower bound > 0} on the
  box [max(x−δ,0), min(x+δ,1)] ⊇ B_p(x,δ) ∩ [0,1]^d, by interval/CROWN bound propagation
  (:func:`uniformgap.metrics.margin_bounds`); for ℓ2 on box ∩ B_2(x,δ): every linear bound is also
  minimised over the ball itself (CROWN, Zhang et al. 2018, Thm 3.2), the tighter value kept.
  The certificate needs the dense R(Φ) = W_L ρ(··· ρ(W_1 x + b_1) ···) + b_L of the model
  (:func:`certifiable_network`): an MLP as it is; a sparse network or a CNN of Conv2d/AvgPool2d/Linear/ReLU
  (each convolution a sparse linear map on the fixed image shape, :func:`uniformgap.networks.cnn_to_sparse`)
  densified while Σ N_{ℓ−1} N_ℓ ≤ ``DENSE_CERTIFY``; otherwise no certificate, and the record says why.

Everything is computed in eval mode on the full, un-augmented sets. The classifier whose robustness
is reported is the model evaluated in float64 (the saved JSON network): attacks run in the training
dtype, and every witness is projected again in float64 (exactly for ℓ∞; for ℓ2 rescaled) and
re-verified: ‖x'−x‖_p ≤ δ (up to 1e-12, the rounding of x ± δ), x' ∈ [0,1]^d, margin ≤ 0. A candidate
that fails re-verification is not counted. The sandwich certified ⇒ not fooled is checked per point
by the record (``_record.RobustEvaluation``).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from .._errors import InputError
from ..networks import ReLUNetwork, SparseReLUNetwork, cnn_to_sparse
from ._adversarial import check_eps, check_norm, pgd_witnesses
from ._attack_libs import available, run_library_attack
from ._record import RobustEvaluation
from ._train_config import EvalConfig

# rounding of x ± δ in float64 (|x| ≤ 1, δ ≤ 1: a few ulps of 1)
BALL_TOL = 1e-12
# A sparse network or CNN with at most this many dense weight entries Σ N_{ℓ−1} N_ℓ is densified (80 MB in
# float64) so that the CROWN/IBP certificate, which needs dense weights, gives the lower end of the bracket;
# the small CNN of `robust train` on 28x28 images with 32 channels has 7.5e6.
DENSE_CERTIFY = 10**7


def certifiable_network(model: nn.Module, max_dense: int = DENSE_CERTIFY) -> tuple[ReLUNetwork | None, str | None]:
    """(R(Φ), None): the dense :class:`ReLUNetwork` computing ``model`` in float64, the network the
    certificate bounds; or (None, why not).

    An MLP (:class:`ReLUNetwork`) is returned as it is. A :class:`SparseReLUNetwork` (e.g. a CNN loaded
    from its network JSON) and an ``nn.Sequential`` of Unflatten/Conv2d/AvgPool2d/Flatten/Linear/ReLU (a CNN,
    converted by :func:`uniformgap.networks.cnn_to_sparse`) are densified when their dense size
    Σ_ℓ N_{ℓ−1} N_ℓ is at most ``max_dense``. Anything else (max pooling, an embedding f∘E that is not affine,
    a larger network) has no certificate here, and ``why`` says which.
    """
    if isinstance(model, ReLUNetwork):
        return model, None
    if not isinstance(model, SparseReLUNetwork):
        if not isinstance(model, nn.Sequential):
            return None, f"a {type(model).__name__} is not a sequence of affine layers and ReLUs"
        try:
            model = cnn_to_sparse(model, max_nnz=max_dense)
        except InputError as exc:
            return None, f"not converted to a ReLU network of at most {max_dense} weights ({exc})"
    if model.dense_weights > max_dense:
        return None, (f"its dense size {model.dense_weights} weights exceeds the {max_dense} that are densified "
                      "for the certificate")
    return model.to_dense(max_entries=max_dense), None


def reference_logits(model: nn.Module):
    """x (n, d) float64 numpy → logits (n, C) float64 numpy of the model in float64."""
    if isinstance(model, ReLUNetwork):
        from ..metrics._supcore import forward64, layers64

        layers = layers64(model, "model", scalar=False)
        return lambda x: forward64(layers, np.asarray(x, dtype=np.float64), scalar=False)
    m64 = copy.deepcopy(model).to(device="cpu", dtype=torch.float64).eval()

    def logits(x):
        with torch.no_grad():
            return m64(torch.as_tensor(np.asarray(x, dtype=np.float64))).numpy()

    return logits


def margins(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """f_y(x) − max_{j≠y} f_j(x) per row (float64 numpy)."""
    z = np.array(logits, dtype=np.float64)
    rows = np.arange(len(y))
    true = z[rows, y].copy()
    z[rows, y] = -np.inf
    return true - z.max(1)


def _chunked(fn, x: np.ndarray, size: int = 2048) -> np.ndarray:
    return np.concatenate([fn(x[s:s + size]) for s in range(0, len(x), size)]) if len(x) else np.zeros((0, 1))


def verify_witnesses(logits64, x: np.ndarray, y: np.ndarray, x_adv: np.ndarray, eps: float, norm: str):
    """(valid (n,) bool, projected x_adv): x_adv is projected onto B_p(x, δ) ∩ [0,1]^d in float64 and
    valid iff it lies in the ball (tolerance ``BALL_TOL``) and the cube and is misclassified."""
    x = np.asarray(x, dtype=np.float64)
    xa = np.asarray(x_adv, dtype=np.float64).reshape(x.shape)
    if norm == "inf":
        xa = np.minimum(np.maximum(xa, np.maximum(x - eps, 0.0)), np.minimum(x + eps, 1.0))
        dist = np.abs(xa - x).max(1) if x.size else np.zeros(len(x))
    else:
        delta = xa - x
        n = np.linalg.norm(delta, axis=1)
        delta *= np.where(n > eps, eps / np.maximum(n, 1e-300), 1.0)[:, None]
        xa = np.clip(x + delta, 0.0, 1.0)
        dist = np.linalg.norm(xa - x, axis=1)
    in_ball = dist <= eps + BALL_TOL
    in_cube = np.all((xa >= 0.0) & (xa <= 1.0), axis=1)
    wrong = margins(_chunked(logits64, xa), y) <= 0 if len(x) else np.zeros(0, bool)
    return in_ball & in_cube & wrong, xa



@contextmanager
def _frozen(model: nn.Module):
    """Eval mode and no parameter gradients (attacks differentiate w.r.t. x only)."""
    flags = [p.requires_grad for p in model.parameters()]
    was_training = model.training
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, f in zip(model.parameters(), flags):
            p.requires_grad_(f)
        model.train(was_training)


def evaluate_split(
    model: nn.Module, x: np.ndarray, y: np.ndarray, *, eps: float, norm: str = "inf",
    config: EvalConfig = EvalConfig(), n_classes: int | None = None, seed: int = 0, split: str = "test",
    progress: Any = None, certifiable: tuple[ReLUNetwork | None, str | None] | None = None,
) -> RobustEvaluation:
    """The bracket certified ≤ true ≤ attack robust accuracy of ``model`` on (x, y), per point.

    ``progress``: a tqdm-like object advanced by the number of points each attack batch handles.
    ``certifiable``: :func:`certifiable_network` of ``model`` when the caller evaluates several splits
    (a CNN is converted once, not per split); computed here when None.
    """
    eps, norm = check_eps(eps), check_norm(norm)
    x64 = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    C = int(n_classes if n_classes is not None else max(int(y.max()) + 1, 2))
    logits64 = reference_logits(model)
    clean_correct = margins(_chunked(logits64, x64), y) > 0
    fooled, witnesses = ~clean_correct, x64.copy()
    fooled_by = {"clean": int(fooled.sum())}
    unverified = 0
    param = next(model.parameters(), None)  # None: a SparseReLUNetwork (CPU, float64, no torch parameters)
    device, dtype = (param.device, param.dtype) if param is not None else (torch.device("cpu"), torch.float64)
    g = torch.Generator(device=device).manual_seed(seed)
    lib_run, skipped = available(config.library, C) if eps > 0 else ([], [])
    if eps > 0 and not config.library:
        skipped = [("library suite", "not configured (library=() / --no-library)")]
    attacks = (["pgd-" + loss for loss in config.losses] if eps > 0 else []) + lib_run

    def record(name: str, idx: np.ndarray, cand: np.ndarray) -> None:
        nonlocal unverified
        ok, xa = verify_witnesses(logits64, x64[idx], y[idx], cand, eps, norm)
        unverified += int((~ok).sum())
        fooled[idx[ok]] = True
        witnesses[idx[ok]] = xa[ok]
        fooled_by[name] = fooled_by.get(name, 0) + int(ok.sum())

    with _frozen(model):
        for name in attacks:
            todo = np.flatnonzero(~fooled)
            for s in range(0, len(todo), config.batch_size):
                idx = todo[s:s + config.batch_size]
                xb = torch.as_tensor(x64[idx], device=device, dtype=dtype)
                yb = torch.as_tensor(y[idx], device=device)
                if name.startswith("pgd-"):
                    hit, w = pgd_witnesses(model, xb, yb, eps=eps, norm=norm, steps=config.steps,
                                           alpha=config.step_size_factor * eps, restarts=config.restarts,
                                           losses=(name[4:],), generator=g)
                    hit = hit.cpu().numpy()
                    record(name, idx[hit], w[torch.as_tensor(hit, device=device)].cpu().numpy())
                else:
                    w = run_library_attack(name, model, xb, yb, eps=eps, norm=norm, n_classes=C, seed=seed,
                                           iterations=config.library_iterations, targets=config.library_targets)
                    with torch.no_grad():
                        hit = (model(w).argmax(1) != yb).cpu().numpy()
                    record(name, idx[hit], w.cpu().numpy()[hit])
                if progress is not None:
                    progress.update(len(idx))

    certified, method = None, None
    if config.certify == "none":
        net, note = None, "not asked for (certify: none)"
    else:
        net, note = certifiable if certifiable is not None else certifiable_network(model)
    if net is not None:
        from ..metrics._bounds_prop import margin_bounds

        method = config.certify
        lo, hi = np.maximum(x64 - eps, 0.0), np.minimum(x64 + eps, 1.0)
        ball = (x64, eps) if norm == "2" else None  # ℓ2: the ball itself, not only its bounding box
        certified = margin_bounds(net, lo, hi, y, method=method, ball=ball) > 0
        if method == "auto":
            method = "crown" if x64.shape[1] <= 64 else "crown-ibp"
    return RobustEvaluation(split=split, eps=eps, norm=norm, clean_correct=clean_correct, fooled=fooled,
                     certified=certified, witnesses=witnesses, fooled_by=fooled_by, unverified=unverified,
                     attacks=attacks, skipped=skipped, certify_method=method, certify_note=note)
