"""The target class H^q_{a,c} and the constants its theory is written in.

docs/theory.md §1, §3, §5 (arXiv:2205.13531, Section 2, Lemmas A.2/A.3, B.1/B.2). All
quantities that grow like c^L (3d)^{L-2} are returned as log10 so that d = 1000,
L = 100 stays finite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import InputError

INF = math.inf


def _inv(q: float) -> float:
    """1/q with 1/∞ = 0."""
    return 0.0 if math.isinf(q) else 1.0 / q


@dataclass(frozen=True)
class NetworkClass:
    """H^q_{a,c} = {R(Φ) : Φ has architecture a = (d, N_1, ..., N_{L-1}, 1), ‖Φ‖_q ≤ c}.

    ‖Φ‖_q = max_ℓ max(‖A_ℓ‖_{ℓ^q}, ‖b_ℓ‖_{ℓ^q}), entrywise (docs/theory.md §1). Use
    :meth:`create` to build one from user input (it validates).
    """

    d: int
    widths: tuple[int, ...]  # (N_1, ..., N_{L-1})
    c: float
    q: float = INF

    @classmethod
    def create(
        cls,
        d: int,
        L: int,
        width: int | Sequence[int] | None = None,
        c: float = 1.0,
        q: float = INF,
    ) -> "NetworkClass":
        """Validated constructor; ``width`` is one int for every hidden layer, a list of
        L-1 ints, or None for the paper's width 3d."""
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise InputError(f"`d` must be an integer >= 1, got {d!r}")
        if isinstance(L, bool) or not isinstance(L, int) or L < 3:
            raise InputError(f"`L` must be an integer >= 3 (affine layers), got {L!r}")
        if width is None:
            widths = (3 * d,) * (L - 1)
        elif isinstance(width, int) and not isinstance(width, bool):
            widths = (width,) * (L - 1)
        else:
            widths = tuple(width)
            if len(widths) != L - 1:
                raise InputError(
                    f"`width` must list L-1 = {L - 1} hidden widths for L = {L}, got {len(widths)} "
                    f"({','.join(map(str, widths))})"
                )
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in widths):
            raise InputError(f"`width` entries must be integers >= 1, got {list(widths)}")
        if not (isinstance(c, (int, float)) and math.isfinite(c) and c > 0):
            raise InputError(f"`c` must be a number > 0, got {c!r}")
        if not (isinstance(q, (int, float)) and q >= 1):
            raise InputError(f"`q` must be a number >= 1 or 'inf', got {q!r}")
        return cls(d=d, widths=widths, c=float(c), q=float(q))

    # -- architecture -------------------------------------------------------------------
    @property
    def L(self) -> int:
        return len(self.widths) + 1

    @property
    def architecture(self) -> tuple[int, ...]:
        return (self.d, *self.widths, 1)

    @property
    def n_params(self) -> int:
        """W = Σ_ℓ (N_{ℓ-1} + 1) N_ℓ (docs/theory.md §1)."""
        a = self.architecture
        return sum((a[i] + 1) * a[i + 1] for i in range(len(a) - 1))

    @property
    def is_paper_class(self) -> bool:
        """q = ∞ and every hidden width 3d: the setting of the poster's Theorems 1.1/1.4."""
        return math.isinf(self.q) and all(n == 3 * self.d for n in self.widths)

    # -- hat-network constants (docs/theory.md §3) ------------------------------------------
    @property
    def M_star(self) -> float:
        """M_* = c (2d)^{-2/q} for q < ∞, 1 for q = ∞: below it λ_q(M) stops growing."""
        if math.isinf(self.q):
            return 1.0
        return self.c * (2 * self.d) ** (-2.0 / self.q)

    @property
    def log10_gamma(self) -> float:
        """log10 γ_q = L log c − (2/q) log(2d) + (1 − 2/q)_+ Σ_{ℓ=2}^{L-1} log N_ℓ."""
        iq = _inv(self.q)
        fan = max(1.0 - 2.0 * iq, 0.0) * sum(math.log10(n) for n in self.widths[1:])
        return self.L * math.log10(self.c) - 2.0 * iq * math.log10(2 * self.d) + fan

    def log10_lam(self, M: float) -> float:
        """log10 λ_q(M), λ_q(M) = γ_q / max(M, M_*): the height of the hat network."""
        if not M >= 1:
            raise InputError(f"`M` must be a number >= 1, got {M!r}")
        return self.log10_gamma - math.log10(max(M, self.M_star))

    @property
    def log10_gamma_tilde(self) -> float:
        """log10 γ̃_q, γ̃_q = γ_q / max(1, M_*/2) (docs/theory.md §4, closed form)."""
        return self.log10_gamma - math.log10(max(1.0, self.M_star / 2.0))

    # -- Lipschitz constants (docs/theory.md §5, Lemma B.2) ----------------------------------
    @property
    def log10_lip2(self) -> float:
        """Lip_2 ≤ c^L Π_ℓ (N_{ℓ-1} N_ℓ)^{(1/2 − 1/q)_+}, N_0 = d, N_L = 1 (w.r.t. ‖·‖_2)."""
        e = max(0.5 - _inv(self.q), 0.0)
        a = self.architecture
        return self.L * math.log10(self.c) + e * sum(
            math.log10(a[i] * a[i + 1]) for i in range(len(a) - 1)
        )

    @property
    def log10_lip_inf(self) -> float:
        """Lip_∞ ≤ c^L Π_ℓ N_{ℓ-1}^{1 − 1/q} (inputs measured in ‖·‖_∞)."""
        e = 1.0 - _inv(self.q)
        a = self.architecture
        return self.L * math.log10(self.c) + e * sum(math.log10(n) for n in a[:-1])

    @property
    def log10_K_up(self) -> float:
        """K_up = min(√d Lip_2, Lip_∞): the constant of the upper bound (docs/theory.md §5)."""
        return min(0.5 * math.log10(self.d) + self.log10_lip2, self.log10_lip_inf)
