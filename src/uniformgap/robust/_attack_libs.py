"""The one adapter to maintained attack libraries: pyautoattack (AutoAttack, Croce & Hein 2020)
and torchattacks. docs/robust.md §6.3: the evaluation attack is at least as strong as training,
so our PGD is complemented by a standard suite and the per-point worst case is kept.

Both libraries expect image-shaped input (n, c, h, w) in [0,1]; our models take flat (n, d)
rows, so the model is wrapped to accept (n, 1, 1, d) (or any shape whose rows flatten to d).
They are optional: installed with ``pip install --no-deps`` (torchattacks' metadata requires
torchvision, which would replace the pinned torch; torchattacks imports without it). When one
is missing its attacks are skipped with the reason, and the core evaluation runs without them.

Class counts (checked in pyautoattack's ``checks.check_n_classes`` and the DLR losses):
``apgd-dlr`` needs C ≥ 3 (its loss uses the third-largest logit), ``apgd-t`` needs C ≥ 4
(targeted DLR uses the fourth); ``apgd-ce``, ``fab`` and ``square`` work for C = 2.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .._errors import InputError

# name → (library, minimum number of classes)
LIBRARY_ATTACKS: dict[str, tuple[str, int]] = {
    "apgd-ce": ("pyautoattack", 2),
    "apgd-dlr": ("pyautoattack", 3),
    "apgd-t": ("pyautoattack", 4),
    "square": ("pyautoattack", 2),
    "ta-fab": ("torchattacks", 2),
}


NEEDS_CLASSES = "needs >="  # the skip reason of an attack that does not exist for this many classes


class FlatInput(nn.Module):
    """model(x.reshape(n, -1)): lets a flat-input model take (n, 1, 1, d) image tensors."""

    def __init__(self, model: Callable[[Tensor], Tensor]):
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x.reshape(x.shape[0], -1))


def check_library_attacks(names) -> tuple[str, ...]:
    names = tuple(names)
    bad = [n for n in names if n not in LIBRARY_ATTACKS]
    if bad:
        raise InputError(
            f"`library` attacks must be among {', '.join(LIBRARY_ATTACKS)}, got {bad[0]!r} (e.g. library=('apgd-ce', 'apgd-t'))"
        )
    return names


def available(names, n_classes: int) -> tuple[list[str], list[tuple[str, str]]]:
    """(runnable attacks, [(skipped attack, reason)]) for a C-class problem."""
    run, skipped = [], []
    for name in check_library_attacks(names):
        lib, min_classes = LIBRARY_ATTACKS[name]
        if n_classes < min_classes:
            skipped.append((name, f"{NEEDS_CLASSES} {min_classes} classes, the data have {n_classes}"))
            continue
        try:
            __import__(lib)
        except Exception as exc:  # noqa: BLE001 - any import failure means: not usable here
            skipped.append((name, f"{lib} not importable ({type(exc).__name__}: {exc}); install with pip install --no-deps"))
            continue
        run.append(name)
    return run, skipped


def run_library_attack(
    name: str, model: Callable[[Tensor], Tensor], x: Tensor, y: Tensor, *, eps: float, norm: str,
    n_classes: int, seed: int, iterations: int = 100, targets: int = 9,
) -> Tensor:
    """Adversarial candidates (same shape as the flat ``x``) of one library attack; the caller
    re-verifies them (nothing the library reports is trusted)."""
    wrapped = FlatInput(model).eval()
    x4 = x.reshape(x.shape[0], 1, 1, -1)
    lib_norm = "Linf" if norm == "inf" else "L2"
    device = x.device
    if LIBRARY_ATTACKS[name][0] == "pyautoattack":
        import pyautoattack

        aa = pyautoattack.AutoAttack(wrapped, eps=eps, norm=lib_norm, seed=seed, version="custom",
                                     attacks=[name], device=device)
        if name in ("apgd-ce", "apgd-dlr"):
            atk = aa.apgd
            atk.loss, atk.n_restarts, atk.n_iter = name[5:], 1, iterations
        elif name == "apgd-t":
            atk = aa.apgd_targeted
            atk.n_iter, atk.n_target_classes = iterations, min(targets, n_classes - 1)
        else:
            atk = aa.square
            atk.n_queries = 10 * iterations
        atk.seed = seed
        out = atk.perturb(x4, y)
    else:
        import torchattacks

        atk = torchattacks.FAB(wrapped, norm=lib_norm, eps=eps, steps=iterations // 10 or 1,
                               n_restarts=1, seed=seed, n_classes=n_classes)
        out = atk(x4, y)
    return out.reshape(x.shape).detach()
