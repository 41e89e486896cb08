"""The ``robust:`` section of an experiment config: the size-versus-dimension experiments E1/E2 of
docs/robust.md §6.4 (Li et al., arXiv:2205.13863, Thms 2.2 and 4.3) in the experiment engine.

A config with ``experiment: robust`` plans one trial per (grid variant, seed): the Theorem 4.3
instance (docs/robust.md §5.1) in dimension ``d`` — K = ⌊1/(2ε)⌋, M = K^{d−1} columns, labels φ
i.i.d. uniform from ``instance_seed`` — and a ReLU MLP of ``depth`` affine layers and hidden width
``width`` adversarially trained (PGD, ℓ∞ or ℓ2, radius δ = cε) either on the whole support S
(``training: whole-support``, E1 and E2's floor) or on N i.i.d. draws from P = uniform on S
(``training: sample``, E2). Typical grid axes: ``robust.d``, ``robust.width``, ``robust.training``.

E3 (docs/robust.md §5.2, §6.4): with ``manifold: linear | torus`` the instance lives in ``k`` intrinsic
dimensions (K^{k−1} columns) and is embedded into R^d (d ≥ k, resp. 2k) by
:class:`uniformgap.robust.Embedding`; training and evaluation attack ON the manifold (Def 5.4: PGD in the
intrinsic coordinates through the embedding). Typical grid axes: ``robust.k``, ``robust.d``, ``robust.width``.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..robust._train_config import EvalConfig, PGDConfig, TrainConfig

PosInt = Annotated[int, Field(ge=1, strict=True)]
MAX_LOG10_M = 7  # the support is materialised: M <= 1e7 points (robust.theorem43_instance's cap)
PosFloat = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]

class RobustEvalConfig(EvalConfig):
    """The final attack and certificate of a trial (docs/robust.md §6.3), defaults for tiny supports."""

    steps: Annotated[int, Field(ge=1, strict=True)] = 50  # §6.3: PGD >= 50 steps
    restarts: Annotated[int, Field(ge=1, strict=True)] = 5  # §6.3: R >= 5
    # the library suite (AutoAttack, FAB) is off: on a 2^k-point support it would dominate a trial's time;
    # the witness s̃_i of §5.1 is checked at every point instead (``witness_lb``)
    library: tuple[Literal["apgd-ce", "apgd-dlr", "apgd-t", "square", "ta-fab"], ...] = ()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RobustConfig(_Model):
    """One robust trial's instance, training set and classifier (docs/robust.md §5.1, §6.4)."""

    instance: Literal["thm43"] = "thm43"  # the Theorem 4.3 instance (§5.1): the only hard instance implemented here
    eps: Annotated[float, Field(gt=0.0, le=0.5)] = 0.25  # §6.4: ε = 1/4, so K = 2 and M = 2^(d-1)
    c: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5  # §6.4: c = 1/2, attack radius δ = cε
    manifold: Literal["linear", "torus"] | None = None  # None: E1/E2 in R^d; E3 embeds the instance on a manifold
    rotate: bool = False  # §6.4 E3: U = [e_1..e_k] (an l-inf isometry); True: Haar-random U / V from instance_seed
    k: Annotated[int, Field(ge=2, strict=True)] = 2  # E3 only: intrinsic dimension (the instance has K^(k-1) columns)
    d: Annotated[int, Field(ge=2, strict=True)] = 3  # §6.4: d = 2..12 (the instance keeps M = K^(d-1) <= 1e7)
    eps0: PosFloat | None = None  # None: ε0 = cε/10 (§5.1's default of the "arbitrarily small" ε0)
    norm: Literal["inf", "2"] = "inf"  # the ℓ∞ threat model of Thm 4.3 (the instance serves ℓ2 too)
    instance_seed: Annotated[int, Field(ge=0, strict=True)] = 0  # φ: one fixed random labelling per d
    training: Literal["whole-support", "sample"] = "whole-support"  # E1: trained on all of S (the support)
    n_draws: PosInt = 64  # E2: N i.i.d. draws from P = uniform on S when training is "sample"
    width: Annotated[int, Field(ge=1, le=2**14, strict=True)] = 16  # hidden width of the MLP
    depth: Annotated[int, Field(ge=2, le=16, strict=True)] = 3  # affine layers: two hidden layers fit random labels faster than one
    epochs: PosInt = 300  # measured: enough for width 64 to reach robust error 0 at d = 5 with the ramp below
    batch_size: PosInt = 256  # ≥ the support for d ≤ 9: full-batch Adam steps on the small instances
    lr: PosFloat = 0.01  # Adam; measured at d = 5, width 64, 400 epochs: robust error 0 with 0.01, 0.06 with 3e-3
    # δ grows from 0 over 30% of the epochs; measured: without a ramp 100 epochs left d = 3, 5, 7 at a constant
    # classifier's error, with it 400 epochs fit d = 5
    eps_ramp: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3
    train_steps: PosInt = 5  # PGD steps per training batch: the final attack (eval) is ten times stronger
    curve_every: PosInt = 25  # selection every 25 epochs: each attacks train, val and test with PGD-10 (~ 6 training steps)
    val_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1  # "sample" only: selection split carved from the N draws; whole-support selects on S
    dtype: Literal["float32", "float64"] = "float32"  # classification needs no float64; verdicts are re-checked in float64
    eval: RobustEvalConfig = RobustEvalConfig()  # the final attack and certificate (docs/robust.md §6.3)

    @field_validator("k")
    @classmethod
    def _intrinsic_fits(cls, k: int, info: ValidationInfo) -> int:
        eps = info.data.get("eps")
        if info.data.get("manifold") is None:
            return k
        if eps is not None and (k - 1) * math.log10(math.floor(1 / (2 * eps))) > MAX_LOG10_M:
            raise ValueError(f"must be small enough that M = K^(k-1) <= 1e7 (K = {math.floor(1 / (2 * eps))} for eps = {eps:g})")
        if info.data.get("manifold") == "torus" and info.data.get("rotate") and k > 9:
            raise ValueError("must be <= 9 for a rotated torus (r*sqrt(k) <= 1/2 keeps it in the cube; e.g. rotate: false)")
        return k

    @field_validator("d")
    @classmethod
    def _support_fits(cls, d: int, info: ValidationInfo) -> int:
        eps, manifold, k = info.data.get("eps"), info.data.get("manifold"), info.data.get("k")
        if manifold is not None:
            if k is not None and d < (m := k if manifold == "linear" else 2 * k):
                raise ValueError(f"must be >= {m} for manifold '{manifold}' with k = {k} (the embedding needs "
                                 f"{'d >= k' if manifold == 'linear' else 'd >= 2k'})")
            return d
        if eps is not None:
            K = math.floor(1 / (2 * eps))
            if (d - 1) * math.log10(K) > MAX_LOG10_M:
                raise ValueError(f"must be small enough that M = K^(d-1) <= 1e7 (K = {K} for eps = {eps:g})")
        return d

    @property
    def K(self) -> int:
        """Grid steps per axis K = ⌊1/(2ε)⌋ (docs/robust.md §5.1)."""
        return math.floor(1 / (2 * self.eps))

    @property
    def intrinsic_d(self) -> int:
        """The instance's own dimension: k on a manifold (E3), else d."""
        return self.d if self.manifold is None else self.k

    @property
    def M(self) -> int:
        """Columns M = K^{d−1} (K^{k−1} on a manifold): the support size |S| (docs/robust.md §5.1)."""
        return self.K ** (self.intrinsic_d - 1)

    @property
    def training_points(self) -> int:
        """Points trained on: M (whole support) or N = ``n_draws`` (sample)."""
        return self.M if self.training == "whole-support" else self.n_draws

    @property
    def delta(self) -> float:
        """The attack radius δ = cε (docs/robust.md §1, Thm 4.3)."""
        return self.c * self.eps

    @property
    def widths(self) -> tuple[int, ...]:
        """Hidden widths of the MLP: ``depth − 1`` layers of ``width``."""
        return (self.width,) * (self.depth - 1)

    def train_config(self) -> TrainConfig:
        """The adversarial-training config of one trial: PGD at radius δ = cε; validation carved
        from the N draws ("sample") or none ("whole-support": selected on S itself)."""
        return TrainConfig(
            arch="mlp", widths=self.widths, adversarial=True,
            attack=PGDConfig(norm=self.norm, eps=self.delta, steps=self.train_steps),
            eps_ramp=self.eps_ramp, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
            val_fraction=self.val_fraction if self.training == "sample" else 0.0,
            curve_every=self.curve_every, dtype=self.dtype,
        )
