"""Batched gradient training of K ReLU students at once (the paper's deep-learning learner).

arXiv:2205.13531, Section 3 and Appendix C: students are ReLU networks of depth L (affine layers)
and width N, default PyTorch initialisation, trained in float64 with Adam on the MSE loss,
minibatches reshuffled every epoch, the learning rate decaying exponentially *per epoch* from
``lr`` to ``lr_final`` over ``epochs`` epochs:

    lr_e = lr · gamma^e,   gamma = (lr_final / lr)^(1/epochs),   e = 0, 1, ... (epochs done).

:class:`EnsembleTrainer` trains K such students side by side, model k on its own data
(x[k], y[k]) with its own seed seeds[k]. The coefficients are stacked (A_ℓ: (K, N_ℓ, N_{ℓ-1})) in
one flat buffer; each step is a batched forward/backward pass written out explicitly (one
``torch.bmm``/``baddbmm`` per layer and direction, preallocated buffers — see
:meth:`EnsembleTrainer._loss_and_gradient`) followed by one Adam update of the whole buffer.
Adam is elementwise, so one Adam over the stacked coefficients, fed for model k the gradient of
its own loss, is exactly K independent Adams: the ensemble is the same computation as K
sequential ``nn.Sequential`` + ``torch.optim.Adam`` + ``ExponentialLR`` runs (tested to 1e-10).

Seed rule (so a sequential reference can be rebuilt): ``g = torch.Generator("cpu").manual_seed(seeds[k])``;

1. initial weights: for ℓ = 1..L, exactly ``nn.Linear.reset_parameters`` drawing from g,
   i.e. ``A_ℓ.uniform_(-β, β, generator=g)`` with torch's kaiming bound β = √3·gain(√5)/√N_{ℓ-1}
   (= 1/√N_{ℓ-1} up to rounding), then ``b_ℓ.uniform_(-1/√N_{ℓ-1}, 1/√N_{ℓ-1}, generator=g)``,
   in the training dtype — both U(-1/√fan_in, 1/√fan_in) (:func:`init_student`). This equals
   ``torch.manual_seed(seeds[k])`` then ``nn.Sequential(nn.Linear(d, N, dtype=...), nn.ReLU(), ...)``.
2. minibatch order: every epoch ``perm = torch.randperm(m, generator=g)``, batches
   ``perm[i·B:(i+1)·B]`` (the last one smaller; like ``DataLoader(shuffle=True, drop_last=False)``).

Standardisation (``standardize=True``) uses the *known* input distribution U(domain^d), not the
sample: x ↦ (x - μ)/σ with μ = (lo+hi)/2, σ = (hi-lo)/√12. It is the same for all models and
folds exactly into the first layer (A_1/σ, b_1 - (μ/σ) A_1 1), so :meth:`EnsembleTrainer.networks`
returns plain networks on raw inputs. Targets are not rescaled: losses are in original units.

Divergence: a model whose minibatch loss is NaN/±inf (or whose parameters become non-finite) is
marked in ``diverged`` and frozen — its gradient and Adam moments are zeroed so its parameters
stop changing; the other models are unaffected (their losses and gradients never mix with it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .._domain import check_domain
from .._errors import InputError
from ..networks import ReLUNetwork, StackedReLU
from ._base import check_learn_args, generator, query

_DTYPES = {"float64": torch.float64, "float32": torch.float32}
# Adam hyperparameters: torch.optim.Adam defaults, as in the paper's code (Appendix C names only
# the optimiser and the learning rates).
_BETA1, _BETA2, _ADAM_EPS = 0.9, 0.999, 1e-8
_threshold_backward = torch.ops.aten.threshold_backward.grad_input  # ReLU backward, with out=


@dataclass(frozen=True)
class GradientConfig:
    """Hyperparameters of the gradient learner (arXiv:2205.13531, Appendix C, Tables 1 and 3).

    The defaults follow the authors' specs (juliusberner/theory2practice, specs/1d_5x32): Adam
    from lr 1e-4 decaying exponentially to 1e-6, width 32, depth 5.
    """

    depth: int = 5  # L affine layers of the student (Table 3, "depth of student architecture")
    width: int = 32  # N per hidden layer: the narrowest student of the sweep (Table 3), cheapest to train
    lr: float = 1e-4  # initial Adam learning rate (Table 1, "initial / final learning rate")
    lr_final: float = 1e-6  # learning rate reached after `epochs` epochs (Table 1)
    epochs: int = 5000  # training length; also sets the per-epoch decay gamma = (lr_final/lr)^(1/epochs)
    batch_size: int = 100  # absolute minibatch size; the experiment layer resolves fractions of m
    standardize: bool = True  # inputs standardised as in the paper's code; folded back by networks()
    dtype: str = "float64"  # Table 1, "precision: float64" (rounding must not limit small errors)

    def __post_init__(self) -> None:
        for name in ("depth", "width", "epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"`{name}` must be an integer >= 1, got {value!r}")
        for name in ("lr", "lr_final"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < math.inf):
                raise InputError(f"`{name}` must be a finite number > 0, got {value!r}")
        if self.dtype not in _DTYPES:
            raise InputError(f"`dtype` must be one of {sorted(_DTYPES)}, got {self.dtype!r}")

    @property
    def gamma(self) -> float:
        """Per-epoch decay factor (lr_final / lr)^(1/epochs)."""
        return (self.lr_final / self.lr) ** (1.0 / self.epochs)

    def lr_at(self, epoch: int) -> float:
        """lr_e = lr · gamma^e, the learning rate used during epoch e (0-based)."""
        return self.lr * self.gamma**epoch

    def architecture(self, d: int) -> tuple[int, ...]:
        """(d, N, ..., N, 1) with L = depth affine layers."""
        return (d, *([self.width] * (self.depth - 1)), 1)




def init_student(arch: Sequence[int], generator: torch.Generator, dtype: torch.dtype) -> list[tuple[Tensor, Tensor]]:
    """Default PyTorch initial coefficients of one student, drawn from ``generator`` (seed rule step 1).

    Per layer, exactly ``nn.Linear.reset_parameters`` (kaiming_uniform_ with a = √5, whose bound
    √3 · gain(a)/√fan_in equals 1/√fan_in up to rounding, then the bias on ±1/√fan_in), with the
    same arithmetic so the draws are bit-identical, but from ``generator`` instead of the global RNG.
    """
    gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    layers = []
    for n_in, n_out in zip(arch[:-1], arch[1:]):
        bound_A = math.sqrt(3.0) * (gain / math.sqrt(n_in))
        bound_b = 1 / math.sqrt(n_in)
        A = torch.empty(n_out, n_in, dtype=dtype).uniform_(-bound_A, bound_A, generator=generator)
        b = torch.empty(n_out, dtype=dtype).uniform_(-bound_b, bound_b, generator=generator)
        layers.append((A, b))
    return layers


class EnsembleTrainer:
    """K students trained side by side; model k on (x[k], y[k]) from seed ``seeds[k]`` (see module doc).

    x (K, m, d) raw inputs in ``domain``^d, y (K, m) targets. Attributes: ``K``, ``m``, ``d``,
    ``epoch`` (epochs done), ``diverged`` (K,) bool, ``params`` = [A_1..A_L, b_1..b_L] stacked
    coefficients on *standardised* inputs (views of the live buffer; use :meth:`networks` or
    :meth:`stacked` for raw-input networks). Everything runs on ``device``.
    """

    def __init__(
        self,
        config: GradientConfig,
        x: Tensor,
        y: Tensor,
        seeds: Sequence[int],
        *,
        domain: tuple[float, float] = (-0.5, 0.5),
        device: str | torch.device = "cpu",
    ):
        if not isinstance(config, GradientConfig):
            raise InputError(f"`config` must be a GradientConfig, got {type(config).__name__}")
        x, y = torch.as_tensor(x), torch.as_tensor(y)
        if x.ndim != 3 or x.shape[1] < 1 or x.shape[2] < 1:
            raise InputError(f"`x` must have shape (K, m, d) with m, d >= 1, got {tuple(x.shape)}")
        K, m, d = x.shape
        if tuple(y.shape) != (K, m):
            raise InputError(f"`y` must have shape (K, m) = ({K}, {m}) to match `x`, got {tuple(y.shape)}")
        seeds = [int(s) for s in seeds]
        if len(seeds) != K:
            raise InputError(f"`seeds` must hold one seed per model (K={K}), got {len(seeds)}")
        self.config = config
        self.domain = check_domain(domain)
        self.device = torch.device(device)
        self.dtype = _DTYPES[config.dtype]
        self.seeds = seeds
        self.arch = config.architecture(d)
        lo, hi = self.domain
        # known input law U([lo, hi]^d): same shift/scale for every model, so it folds into layer 1
        self.mu, self.sigma = ((lo + hi) / 2, (hi - lo) / math.sqrt(12)) if config.standardize else (0.0, 1.0)
        self.x = ((x.to(self.device, self.dtype) - self.mu) / self.sigma).contiguous()  # (K, m, d) standardised
        self.y = y.to(self.device, self.dtype).contiguous()  # (K, m)
        self._xT = self.x.transpose(1, 2).contiguous()  # (K, d, m): training works on point columns

        self._generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
        inits = [init_student(self.arch, g, self.dtype) for g in self._generators]
        # All coefficients live in ONE flat buffer θ (and one for ∇θ) so that Adam is a handful of
        # whole-buffer ops; params are contiguous views [A_1, ..., A_L, b_1, ..., b_L] into it.
        stacked = [torch.stack([layers[i][0] for layers in inits]) for i in range(len(self.arch) - 1)]
        stacked += [torch.stack([layers[i][1] for layers in inits]) for i in range(len(self.arch) - 1)]
        self._theta = torch.cat([t.reshape(-1) for t in stacked]).to(self.device)  # (S,)
        self._grad = torch.zeros_like(self._theta)
        self.params: list[Tensor] = self._views(self._theta, stacked)  # A_ℓ (K, N_ℓ, N_{ℓ-1}), b_ℓ (K, N_ℓ)
        self._grads: list[Tensor] = self._views(self._grad, stacked)
        # model index of every entry of θ, to freeze diverged models with one masked op
        self._owner = torch.cat([torch.arange(K).repeat_interleave(t[0].numel()) for t in stacked]).to(self.device)
        self._exp_avg = torch.zeros_like(self._theta)
        self._exp_avg_sq = torch.zeros_like(self._theta)
        self._denom = torch.empty_like(self._theta)  # Adam's √v/√(1-β2^t) + ε, reused every step
        self._step = 0  # Adam steps done (shared by all models: they step in lockstep)
        self._buffers: dict[int, tuple[list[Tensor], list[Tensor]]] = {}  # batch size -> activations, deltas
        self.epoch = 0
        self.diverged = torch.zeros(K, dtype=torch.bool, device=self.device)

    @staticmethod
    def _views(flat: Tensor, like: Sequence[Tensor]) -> list[Tensor]:
        views, offset = [], 0
        for t in like:
            views.append(flat[offset : offset + t.numel()].view(t.shape))
            offset += t.numel()
        return views

    # ------------------------------------------------------------------ shape helpers
    @property
    def K(self) -> int:
        return self.x.shape[0]

    @property
    def m(self) -> int:
        return self.x.shape[1]

    @property
    def d(self) -> int:
        return self.x.shape[2]

    def _weights_biases(self) -> tuple[list[Tensor], list[Tensor]]:
        L = len(self.arch) - 1
        return self.params[:L], self.params[L:]

    def _standardized_stack(self) -> StackedReLU:
        """The students on standardised inputs (shares storage with the trained parameters)."""
        return StackedReLU(*self._weights_biases())

    # ------------------------------------------------------------------ training
    def _activation_buffers(self, B: int) -> tuple[list[Tensor], list[Tensor]]:
        """Preallocated h_ℓ (K, N_ℓ, B), ℓ = 1..L, and δ_ℓ (K, N_ℓ, B), ℓ = 1..L-1 (reused every step)."""
        if B not in self._buffers:
            def new(n: int) -> Tensor:
                return torch.empty(self.K, n, B, dtype=self.dtype, device=self.device)

            self._buffers[B] = ([new(n) for n in self.arch[1:]], [new(n) for n in self.arch[1:-1]])
        return self._buffers[B]

    def _loss_and_gradient(self, xb: Tensor, yb: Tensor) -> Tensor:
        """Per-model minibatch MSE (K,) and its gradient written into ∇θ, by explicit backpropagation.

        Points are columns (h_ℓ is (K, N_ℓ, B): measured ~25% faster batched GEMMs than rows on CPU).
        Forward: h_0 = x, z_ℓ = A_ℓ h_{ℓ-1} + b_ℓ, h_ℓ = ρ(z_ℓ) (ℓ < L), f = z_L; loss = (1/B) Σ_i (f_i - y_i)^2.
        Backward: δ_L = (2/B)(f - y); ∇A_ℓ = δ_ℓ h_{ℓ-1}^T, ∇b_ℓ = Σ_i δ_ℓ,i;
        δ_{ℓ-1} = (A_ℓ^T δ_ℓ) ⊙ 1[h_{ℓ-1} > 0]  (torch's ReLU backward convention: gradient 0 at 0).
        All products are batched over the K models (torch.bmm), so model k only sees its own data.
        """
        L = len(self.arch) - 1
        W, b = self.params[:L], self.params[L:]
        gW, gb = self._grads[:L], self._grads[L:]
        acts, deltas = self._activation_buffers(xb.shape[2])
        h = [xb]  # h_0 .. h_{L-1}, then f
        for ell in range(L):
            if h[-1].shape[1] == 1:  # an outer product (d = 1): as a GEMM it costs as much as 32x32
                z = torch.addcmul(b[ell].unsqueeze(2), W[ell], h[-1], out=acts[ell])  # (K, N_ℓ, B)
            else:
                z = torch.baddbmm(b[ell].unsqueeze(2), W[ell], h[-1], out=acts[ell])  # (K, N_ℓ, B)
            h.append(z.clamp_(min=0) if ell < L - 1 else z)
        residual = h[-1].squeeze(1) - yb  # (K, B)
        losses = residual.square().mean(dim=1)  # (K,)
        delta = residual.mul_(2.0 / xb.shape[2]).unsqueeze(1)  # (K, 1, B)
        for ell in range(L - 1, -1, -1):
            torch.bmm(delta, h[ell].transpose(1, 2), out=gW[ell])  # (K, N_ℓ, N_{ℓ-1})
            torch.sum(delta, dim=2, out=gb[ell])  # (K, N_ℓ)
            if ell:
                if delta.shape[1] == 1:  # the output layer: again an outer product
                    delta = torch.mul(W[ell].transpose(1, 2), delta, out=deltas[ell - 1])  # (K, N_{ℓ-1}, B)
                else:
                    delta = torch.bmm(W[ell].transpose(1, 2), delta, out=deltas[ell - 1])  # (K, N_{ℓ-1}, B)
                # in place δ ← δ ⊙ 1[h > 0]: autograd's own ReLU-backward kernel, one pass (a bool
                # mask + masked_fill_ measured ~10x slower on CPU)
                _threshold_backward(delta, h[ell], 0.0, grad_input=delta)
        return losses

    def _adam_step(self, lr: float) -> None:
        """One torch.optim.Adam step (default betas/eps, no weight decay, not amsgrad) on θ.

        m ← β1 m + (1-β1) g,  v ← β2 v + (1-β2) g²,  θ ← θ - (lr/(1-β1^t)) m / (√v/√(1-β2^t) + ε),
        in torch's operation order. Adam is elementwise, so on the stacked θ it is K independent Adams.
        Diverged models get g = m = v = 0, hence update exactly 0 (frozen), and their NaNs never spread.
        """
        self._step += 1
        t = self._step
        bias_correction2_sqrt = math.sqrt(1 - _BETA2**t)
        step_size = lr / (1 - _BETA1**t)
        g, m1, m2, denom = self._grad, self._exp_avg, self._exp_avg_sq, self._denom
        # the masks cost whole-buffer passes: skip them while no model has diverged. On CPU that
        # check is free; on an accelerator it would force a host sync every step, so mask always.
        if self.device.type != "cpu" or bool(self.diverged.any()):
            frozen = self.diverged[self._owner]  # (S,)
            g.masked_fill_(frozen, 0.0)
            m1.masked_fill_(frozen, 0.0)
            m2.masked_fill_(frozen, 0.0)
        m1.lerp_(g, 1 - _BETA1)
        m2.mul_(_BETA2).addcmul_(g, g, value=1 - _BETA2)
        torch.sqrt(m2, out=denom).div_(bias_correction2_sqrt).add_(_ADAM_EPS)
        self._theta.addcdiv_(m1, denom, value=-step_size)

    def _train_epoch(self) -> None:
        K, m, d = self.x.shape
        B = self.config.batch_size
        perms = torch.stack([torch.randperm(m, generator=g) for g in self._generators]).to(self.device)  # (K, m)
        # shuffle once per epoch; the minibatches are then views (one gather instead of one per step)
        x_epoch = torch.gather(self._xT, 2, perms.unsqueeze(1).expand(-1, d, -1))  # (K, d, m)
        y_epoch = torch.gather(self.y, 1, perms)  # (K, m)
        lr = self.config.lr_at(self.epoch)
        for start in range(0, m, B):
            xb, yb = x_epoch[:, :, start : start + B], y_epoch[:, start : start + B]  # (K, d, B), (K, B)
            losses = self._loss_and_gradient(xb, yb)
            self.diverged |= ~torch.isfinite(losses)
            self._adam_step(lr)
        self.epoch += 1

    def train(self, n_epochs: int, *, progress: bool = False) -> None:
        """Run ``n_epochs`` more epochs (the learning-rate schedule continues from ``epoch``)."""
        if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or n_epochs < 0:
            raise InputError(f"`n_epochs` must be an integer >= 0, got {n_epochs!r}")
        for _ in tqdm(range(n_epochs), desc="epochs", disable=not progress, leave=False):
            self._train_epoch()
        self._mark_nonfinite_params()

    def _mark_nonfinite_params(self) -> None:
        for p in self.params:
            self.diverged |= ~torch.isfinite(p.reshape(self.K, -1)).all(dim=1)

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def train_loss(self) -> Tensor:
        """(K,) full-training-set MSE (1/m) Σ_i (f_k(x_ki) - y_ki)^2 in original units; NaN if diverged."""
        loss = (self._standardized_stack()(self.x) - self.y).square().mean(dim=1)  # (K,)
        return loss.masked_fill_(self.diverged, math.nan)

    @torch.no_grad()
    def predict(self, x: Tensor, *, chunk_size: int | None = None) -> Tensor:
        """f_k(x_i) for shared raw inputs x (n, d) → (K, n), evaluated in chunks; NaN rows if diverged."""
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.d:
            raise InputError(f"`x` must have shape (n, {self.d}), got {tuple(x.shape)}")
        xs = (x.to(self.device, self.dtype) - self.mu) / self.sigma  # (n, d) standardised
        out = self._standardized_stack()(xs, chunk_size=chunk_size)  # (K, n)
        return out.masked_fill_(self.diverged.unsqueeze(1), math.nan)

    def stacked(self) -> StackedReLU:
        """The K students on RAW inputs (standardisation folded into layer 1), detached copies."""
        W, b = self._weights_biases()
        W = [w.detach().clone() for w in W]
        b = [v.detach().clone() for v in b]
        # A_1((x-μ)/σ) + b_1 = (A_1/σ) x + (b_1 - (μ/σ) A_1 1)
        b[0] = b[0] - (self.mu / self.sigma) * W[0].sum(dim=2)
        W[0] = W[0] / self.sigma
        return StackedReLU(W, b)

    def networks(self) -> list[ReLUNetwork]:
        """K plain :class:`ReLUNetwork` students on raw inputs (diverged ones included as they are)."""
        return self.stacked().to(device="cpu").to_networks()

    def tensors(self) -> dict[str, Tensor]:
        """Flat name → tensor dict of the raw-input students (``weight_ℓ`` (K, N_ℓ, N_{ℓ-1}), ``bias_ℓ``),
        ready for ``safetensors.torch.save_file``; rebuild with ``StackedReLU.from_tensors``."""
        return self.stacked().tensors()

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit-identically (the data x, y are not included)."""
        return {
            "config": asdict(self.config),
            "seeds": list(self.seeds),
            "domain": list(self.domain),
            "epoch": self.epoch,
            "adam_step": self._step,
            "theta": self._theta.cpu().clone(),  # the flat [A_1..A_L, b_1..b_L] of all K models
            "exp_avg": self._exp_avg.cpu().clone(),
            "exp_avg_sq": self._exp_avg_sq.cpu().clone(),
            "rng_states": [g.get_state() for g in self._generators],
            "diverged": self.diverged.cpu().clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` into a trainer built with the same config, data shapes and seeds."""
        for key, mine in (("config", asdict(self.config)), ("seeds", list(self.seeds)), ("domain", list(self.domain))):
            if key not in state:
                raise InputError(f"`state` is not an EnsembleTrainer state_dict (missing {key!r})")
            if state[key] != mine:
                raise InputError(f"`state` has {key} {state[key]!r} but this trainer has {mine!r}")
        if tuple(state["theta"].shape) != tuple(self._theta.shape):
            raise InputError(
                f"`state` holds {state['theta'].numel()} coefficients but this trainer has "
                f"{self._theta.numel()} (different data dimension d?)"
            )
        self._theta.copy_(state["theta"])  # in place: the params views stay valid
        self._exp_avg.copy_(state["exp_avg"])
        self._exp_avg_sq.copy_(state["exp_avg_sq"])
        for g, s in zip(self._generators, state["rng_states"]):
            g.set_state(s)
        self.epoch = int(state["epoch"])
        self._step = int(state["adam_step"])
        self.diverged = state["diverged"].to(self.device).clone()


class _Predictor:
    """A trained single student as a callable (n, d) → (n,); ``.network`` is the ReLUNetwork."""

    def __init__(self, network: ReLUNetwork, train_loss: float, diverged: bool):
        self.network = network
        self.train_loss = train_loss
        self.diverged = diverged

    @torch.no_grad()
    def __call__(self, x: Tensor) -> Tensor:
        p = next(self.network.parameters())
        out = self.network(torch.as_tensor(x).to(p.device, p.dtype)).squeeze(-1)
        return out.fill_(math.nan) if self.diverged else out


@dataclass(frozen=True)
class GradientLearner:
    """The gradient learner as a single-model sample learner (a K = 1 :class:`EnsembleTrainer`)."""

    config: GradientConfig = GradientConfig()  # the paper's student and schedule
    name: str = "gd"  # the `learner` column of the results table

    def learn(
        self,
        oracle: Callable[[Tensor], Tensor],
        m: int,
        *,
        d: int,
        domain: tuple[float, float] = (-0.5, 0.5),
        seed: int,
        device: str | torch.device = "cpu",
    ) -> Callable[[Tensor], Tensor]:
        """Draw m points x ~ U(domain^d), query ``oracle`` once on (m, d), train, return (n, d) → (n,).

        From ``g = torch.Generator().manual_seed(seed)``: first x = lo + (hi-lo)·rand(m, d) (float64),
        then the training seed ``int(torch.randint(2**62, (), generator=g))`` (a derived seed, so data
        and initialisation are not drawn from the same stream). Trains ``config.epochs`` epochs.
        """
        m, d, lo, hi = check_learn_args(m, d, domain, seed)
        g = generator(seed)
        x = lo + (hi - lo) * torch.rand(m, d, generator=g, dtype=torch.float64)  # (m, d)
        train_seed = int(torch.randint(2**62, (), generator=g))
        y = query(oracle, x)  # (m,)
        trainer = EnsembleTrainer(self.config, x[None], y[None], [train_seed], domain=(lo, hi), device=device)
        trainer.train(self.config.epochs)
        return _Predictor(trainer.networks()[0], float(trainer.train_loss()[0]), bool(trainer.diverged[0]))
