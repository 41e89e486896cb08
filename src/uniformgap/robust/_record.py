"""The per-point evaluation record: certified ≤ true ≤ attack robust accuracy (docs/robust.md §6.3).

One record for every classifier the package evaluates at radius δ in ℓ_p on a labelled set
{(x_i, y_i)}_{i=1..N}: the robust-by-construction f*/g (``_classifier.evaluate``, certificate
m(x)/2 > δ, arXiv:2205.13863 Prop. 3.2) and trained networks (``_evaluate.evaluate_split``,
certificate by CROWN/IBP bound propagation). Per point:

- ``clean_correct``: the prediction at x_i is y_i (a tie is an error, §1);
- ``fooled``: misclassified as is, or a verified witness x' ∈ B_p(x_i, δ) ∩ [0,1]^d exists;
- ``certified``: a proof that every point of the ball is classified y_i (None: no certificate).

Accuracies: clean = (1/N) Σ clean_correct; attack robust accuracy = (1/N) Σ ¬fooled, an UPPER
bound on the true robust accuracy 1 − L̂^{p,δ}_D (Def 2.1); certified = (1/N) Σ certified, a LOWER
bound. The sandwich certified ⇒ ¬fooled ⇒ clean_correct is checked per point on construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._attack_libs import NEEDS_CLASSES


@dataclass(frozen=True)
class RobustEvaluation:
    """Per-point verdicts at radius ``eps`` in ℓ_``norm`` on one labelled set, and their bracket."""

    eps: float
    norm: str
    clean_correct: np.ndarray  # (N,) bool
    fooled: np.ndarray  # (N,) bool: misclassified, or a verified witness exists
    certified: np.ndarray | None  # (N,) bool: certified robust (None: no certificate)
    attacks: list[str]  # the attacks that ran, in order
    split: str = "test"
    witnesses: np.ndarray | None = None  # verified witness where fooled, else x (None: not kept)
    fooled_by: dict[str, int] = field(default_factory=dict)  # points first fooled by each attack ("clean": as is)
    unverified: int = 0  # attack candidates rejected by re-verification
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (attack, why) not run
    certify_method: str | None = None
    certify_note: str | None = None  # why there is no certificate (None: there is one)
    margin: np.ndarray | None = None  # the certified margin m(x) where the certificate has one (f*/g)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = np.flatnonzero(self.fooled < ~self.clean_correct)
        if self.certified is not None:
            bad = np.union1d(bad, np.flatnonzero(self.certified & self.fooled))
        if bad.size:
            raise RuntimeError(
                f"sandwich violated: {bad.size} point(s) certified robust but fooled, or misclassified but not "
                f"counted as fooled (first index {bad[0]}); a bug in the certificate or the witness verification"
            )

    @property
    def n(self) -> int:
        return len(self.fooled)

    @property
    def clean(self) -> float:
        """Clean accuracy."""
        return float(self.clean_correct.mean())

    @property
    def robust(self) -> float:
        """Attack robust accuracy: an upper bound on the true robust accuracy."""
        return float((~self.fooled).mean())

    @property
    def certified_accuracy(self) -> float | None:
        """Certified robust accuracy: a lower bound (None without a certificate)."""
        return None if self.certified is None else float(self.certified.mean())

    @property
    def full_suite(self) -> bool:
        """True when every configured library attack that exists for this many classes ran."""
        return not [r for _, r in self.skipped if not r.startswith(NEEDS_CLASSES)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split, "n": self.n, "eps": self.eps, "norm": self.norm, "clean": self.clean,
            "robust": self.robust, "certified": self.certified_accuracy, "certify_method": self.certify_method,
            "certify_note": self.certify_note,
            "fooled_by": dict(self.fooled_by), "unverified": self.unverified, "attacks": list(self.attacks),
            "skipped": [f"{a}: {r}" for a, r in self.skipped], "full_suite": self.full_suite,
        }
