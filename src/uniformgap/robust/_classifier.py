"""The robust-by-construction classifier of Li et al. (arXiv:2205.13863, Prop. 3.2; docs/robust.md §2–§3).

Binary (A = class 0, B = class 1 after ``Dataset.select([a, b])``; labels +1/−1, docs/robust.md §1):

    f*(x) = (d_p(x,B) − d_p(x,A)) / (d_p(x,A) + d_p(x,B)),      g(x) = d_p(x,B) − d_p(x,A).

Multi-class: the 1-nearest-neighbour rule k(x) = argmin_c d_p(x, S_c) with margin
m(x) = min_{c≠k} d_p(x, S_c) − d_p(x, S_k) ≥ 0 (for two classes m = |g|). Both x ↦ d_p(x, S) are
1-Lipschitz in ℓ_p, so m (and g) is 2-Lipschitz: for ‖x' − x‖_p < m(x)/2 the nearest class stays
k, i.e. the prediction is constant on the OPEN ball of radius m(x)/2. A point is therefore
certified at radius δ iff it is classified correctly and m(x)/2 > δ (strict: at δ = m/2 a point
of the closed ball may tie, and sgn 0 is an error for both labels). The certificate holds on all
of ℝ^d (Def. 3.1); the attack stays in B_p(x,δ) ∩ [0,1]^d, so with "true" meaning the worst case
over that box-constrained ball:  certified ≤ true robust accuracy ≤ attack robust accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .._errors import InputError
from ._nearest import nearest
from ._record import RobustEvaluation
from ._separation import NORMS, check_delta, parse_norm


class RobustClassifier:
    """The nearest-class classifier on a training set (exact distances, float64).

    ``x_train`` (N, d), ``y_train`` (N,) class ids 0..C−1 (every class present); ``norm`` 'inf' or '2'.
    """

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, *, norm: object = "inf"):
        self.norm = parse_norm(norm)
        self.p = NORMS[self.norm]
        self.x_train = np.ascontiguousarray(x_train, dtype=np.float64)
        self.y_train = np.asarray(y_train, dtype=np.int64)
        self.n_classes = int(self.y_train.max()) + 1
        self.members = [np.flatnonzero(self.y_train == c) for c in range(self.n_classes)]
        if any(len(m) == 0 for m in self.members) or self.n_classes < 2:
            raise InputError(f"`y_train` must contain every class 0..C-1 with C >= 2, got classes {np.unique(self.y_train).tolist()}")

    def class_distances(self, x: np.ndarray, tick: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """D[i, c] = d_p(x_i, S_c) exactly and the training index attaining it."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        D = np.empty((len(x), self.n_classes))
        J = np.empty((len(x), self.n_classes), dtype=np.int64)
        for c, rows in enumerate(self.members):
            D[:, c], j = nearest(x, self.x_train[rows], p=self.p, tick=tick)
            J[:, c] = rows[j]
        return D, J

    def g(self, x: np.ndarray) -> np.ndarray:
        """Binary only: g(x) = d_p(x,B) − d_p(x,A) (2-Lipschitz; Prop. 3.2, docs/robust.md §2)."""
        self._binary("g")
        D, _ = self.class_distances(x)
        return D[:, 1] - D[:, 0]

    def f_star(self, x: np.ndarray) -> np.ndarray:
        """Binary only: f*(x) = (d_p(x,B) − d_p(x,A))/(d_p(x,A) + d_p(x,B)) (ε⁻¹-Lipschitz, ±1 on A/B)."""
        self._binary("f_star")
        D, _ = self.class_distances(x)
        return (D[:, 1] - D[:, 0]) / (D[:, 0] + D[:, 1])

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(k(x), m(x)): the nearest class and the margin; k = −1 where two classes tie (m = 0)."""
        D, _ = self.class_distances(x)
        return _predict(D)

    def _binary(self, name: str) -> None:
        if self.n_classes != 2:
            raise InputError(f"`{name}` needs two classes (A, B), got {self.n_classes} (e.g. --classes 3,8)")


def _predict(D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    part = np.partition(D, 1, axis=1)
    margin = part[:, 1] - part[:, 0]
    k = D.argmin(axis=1)
    return np.where(margin > 0, k, -1), margin


def classifier_summary(ev: RobustEvaluation) -> dict:
    """The f*/g evaluation as `robust classify` reports it: n, norm, delta, the three accuracies,
    the median margin m(x) and the attack."""
    return {
        "n": ev.n, "norm": ev.norm, "delta": ev.eps,
        "clean_accuracy": ev.clean,
        "certified_robust_accuracy": ev.certified_accuracy,
        "attack_robust_accuracy": ev.robust,
        "margin_median": float(np.median(ev.margin)) if ev.n else math.nan,
        "attack": ", ".join(ev.attacks),
    }


def evaluate(
    clf: RobustClassifier,
    x: np.ndarray,
    y: np.ndarray,
    *,
    delta: float,
    steps: int = 50,
    restarts: int = 2,
    seed: int = 0,
    tick: Callable[[int], None] | None = None,
) -> RobustEvaluation:
    """Clean, certified (m/2 > δ) and attacked robust accuracy of ``clf`` on (x, y) at radius δ:
    the per-point record (``_record.RobustEvaluation``, ``eps`` = δ, ``margin`` = m(x)).

    The attack targets the margin itself: (1) for each other class c, the step from x towards its
    nearest training point of class c, as far as the ball allows; (2) PGD on a smoothed margin
    (soft-min over the 16 nearest points of each class, soft-max over coordinates for ℓ∞),
    ``restarts`` random starts, ``steps`` steps of δ/4. Only correct, uncertified points are
    attacked. Every witness is re-verified exactly: ‖x' − x‖_p ≤ δ, x' ∈ [0,1]^d, and the exact
    classifier misclassifies x' (a tie counts as an error).
    """
    delta = check_delta(delta)
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.asarray(y, dtype=np.int64)
    D, J = clf.class_distances(x, tick=tick)
    k, margin = _predict(D)
    correct = k == y
    certified = correct & (margin / 2 > delta)
    fooled = ~correct
    todo = np.flatnonzero(correct & ~certified)
    if len(todo) and delta > 0:
        broken = _attack(clf, x[todo], y[todo], J[todo], delta, steps, restarts, seed)
        fooled[todo[broken]] = True
    attack = f"toward nearest other-class points + PGD ({steps} steps x {restarts} restarts, step delta/4) on the margin"
    # the record checks the sandwich: a certified point with a verified witness is a bug, never data
    return RobustEvaluation(eps=delta, norm=clf.norm, clean_correct=correct, fooled=fooled, certified=certified,
                            attacks=[attack], margin=margin, certify_method="margin/2 > delta")


def _attack(clf: RobustClassifier, x: np.ndarray, y: np.ndarray, J: np.ndarray, delta: float, steps: int, restarts: int, seed: int) -> np.ndarray:
    """Boolean per point: a verified witness was found."""
    n, C = len(x), clf.n_classes
    broken = np.zeros(n, dtype=bool)
    inner = delta * (1 - 1e-9)  # stays inside the closed ball after float64 rounding (PGD, fallback)

    def verify(cand: np.ndarray, rows: np.ndarray) -> None:
        dist = np.abs(cand - x[rows]).max(1) if math.isinf(clf.p) else np.sqrt(((cand - x[rows]) ** 2).sum(1))
        ok = (dist <= delta) & (cand >= 0).all(1) & (cand <= 1).all(1)
        if ok.any():
            k, _ = clf.predict(cand[ok])
            broken[rows[ok][k != y[rows[ok]]]] = True

    for c in range(C):  # (1) towards the nearest point of each other class, to the sphere (or just inside)
        for radius in (delta, inner):
            rows = np.flatnonzero((y != c) & ~broken)
            if len(rows):
                verify(_step_towards(x[rows], clf.x_train[J[rows, c]], radius, clf.p), rows)
    rows = np.flatnonzero(~broken)
    if len(rows) and steps > 0:  # (2) PGD on the smoothed margin
        verify_pgd = _pgd(clf, x[rows], y[rows], inner, steps, restarts, seed)
        for cand in verify_pgd:
            left = ~broken[rows]
            if left.any():
                verify(cand[left], rows[left])
    return broken


def _step_towards(x: np.ndarray, z: np.ndarray, r: float, p: float) -> np.ndarray:
    """The point of B_p(x, r) on the way to z (ℓ∞: coordinatewise clip, ℓ2: along the segment);
    a convex combination of x and z, hence in [0,1]^d."""
    v = z - x
    if math.isinf(p):
        return x + np.clip(v, -r, r)
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return x + v * np.minimum(1.0, r / np.maximum(norm, 1e-300))


def _pgd(clf, x, y, r, steps, restarts, seed, neighbours: int = 16, temperature: float = 0.02) -> list[np.ndarray]:
    """Final iterates of each restart of PGD maximising d̃(x', S_y) − min_{c≠y} d̃(x', S_c), where
    d̃ uses the ``neighbours`` ℓ2-nearest training points of each class to x (a heuristic choice:
    the verification is exact) and, in ℓ∞, a soft-max over coordinates (temperature 0.02)."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(x)
    refs, own = [], []
    for c, rows in enumerate(clf.members):
        pts = torch.as_tensor(clf.x_train[rows])
        k = min(neighbours, len(rows))
        refs.append(pts[torch.cdist(X, pts).topk(k, largest=False).indices])  # (n, k, d)
        own.append(torch.full((len(x), k), c))
    R, L = torch.cat(refs, dim=1), torch.cat(own, dim=1)  # (n, K, d), (n, K)
    same = L == torch.as_tensor(y)[:, None]
    chunk = max(1, (1 << 21) // (R.shape[1] * R.shape[2]))
    out = []
    for _ in range(restarts):
        if math.isinf(clf.p):
            start = X + (torch.rand(X.shape, generator=gen, dtype=X.dtype) * 2 - 1) * r
        else:
            u = torch.randn(X.shape, generator=gen, dtype=X.dtype)
            start = X + u / u.norm(dim=1, keepdim=True) * r * torch.rand(len(X), 1, generator=gen, dtype=X.dtype)
        xa = start.clamp(0, 1)
        for a in range(0, len(X), chunk):
            sl = slice(a, a + chunk)
            xa[sl] = _pgd_steps(xa[sl], X[sl], R[sl], same[sl], r, steps, clf.p, temperature)
        out.append(xa.numpy())
    return out


def _soft_min(d: torch.Tensor, mask: torch.Tensor, t: float) -> torch.Tensor:
    return -t * torch.logsumexp(torch.where(mask, -d / t, -math.inf), dim=1)


def _pgd_steps(xa, X, R, same, r, steps, p, t):
    for _ in range(steps):
        xa = xa.detach().requires_grad_(True)
        diff = xa[:, None, :] - R
        dist = t * torch.logsumexp(diff.abs() / t, dim=2) if math.isinf(p) else diff.pow(2).sum(2).add(1e-12).sqrt()
        loss = (_soft_min(dist, same, t) - _soft_min(dist, ~same, t)).sum()
        (grad,) = torch.autograd.grad(loss, xa)
        with torch.no_grad():
            if math.isinf(p):
                xa = torch.minimum(torch.maximum(xa + r / 4 * grad.sign(), X - r), X + r)
            else:
                v = xa + r / 4 * grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-300) - X
                xa = X + v * torch.clamp(r / v.norm(dim=1, keepdim=True).clamp_min(1e-300), max=1.0)
            xa = xa.clamp(0, 1)
    return xa.detach()
