"""One robust trial (``experiment: robust``): the size-versus-dimension experiments E1/E2 of
docs/robust.md §6.4 (Li et al., arXiv:2205.13863, Thms 2.2 and 4.3).

A trial is one (d, width, training, seed). It samples the Theorem 4.3 instance (§5.1: support
S = {s_i}, i ∈ {1..K}^{d−1}, M = K^{d−1}, labels φ(i) = ±1 from ``instance_seed``, shifted points
s̃_i at distance ε0 ≤ δ), trains an MLP adversarially at radius δ = cε on the whole support or on
N i.i.d. draws from P = uniform on S (draws from ``stable_seed(base, "robust-draws", instance_seed,
seed, N)``), and evaluates it with :func:`uniformgap.robust.train_and_evaluate`:

- ``train_*``: the fit set (Def 2.1, L̂^{p,δ}_D), ``val_*`` (sample only): the selection split;
- ``test_*``: the whole support S with P uniform, so ``test_robust_error`` is L^{p,δ}_P itself
  (Def 3.1) up to the attack's strength — no sampling error;
- errors are 1 − accuracy: ``*_robust_error`` from verified attack witnesses (a LOWER bound on the
  true robust error), ``*_certified_error`` = 1 − certified accuracy (an UPPER bound, CROWN/IBP);
- ``witness_lb`` = LB(f) = (1/M) Σ_i 1{sgn f(s_i) ≠ φ(i) or sgn f(s̃_i) ≠ φ(i)} (§5.1): a lower
  bound that needs no attack; every ``*_robust_error`` counts a point fooled by the attack OR by s̃_i;
- ``unseen_fraction``: columns absent from the fit set — for a random φ each costs ≈ ½ for EVERY
  learner (an information limit, not an expressivity limit);
- ``linear_*``: f_lin(x) = x_d − ½ (d + 1 parameters; clean error 0, robust error 1 by §5.1);
- ``c1_size``: nnz(W) of C1 (docs/robust.md §3, exact formula ``robust.c1_counts``) on all of S
  (robust error 0 for δ < ε), ``c1_size_train`` on the distinct training points (robust train error 0);
  empty when one class is empty (a constant classifier is then exact);
- ``size``: dense weights Σ n_{ℓ−1}n_ℓ of the one-output network f_1 − f_0 (docs/robust.md §1's size
  of a dense net, comparable with C1's nnz(W)); ``n_params``: every coefficient of the 2-logit model.

E3 (``manifold: linear | torus``, docs/robust.md §5.2, §6.4): the instance is sampled in k intrinsic
dimensions and embedded into R^d by E (``robust.Embedding``); the network f on R^d is trained and attacked
as f∘E in the intrinsic coordinates (Def 5.4, the adversary stays on M), so every split's points, witnesses
s̃_i and f_lin (= u_k − ½ on the chart) are intrinsic. Each attack witness u' is re-checked in the ambient
space, ‖E(u') − E(u)‖_p ≤ δ (a Def 5.4 witness; one that is not is dropped and counted in ``unverified``).
``*_certified_error``: the certificate of f∘E on the intrinsic box — exact for the linear embedding (folded
into the first layer), NaN for the torus (no certificate through cos/sin). ``c1_size``: C1 in the
coordinates of the span of M composed with the coordinate projection when E is axis-aligned (``c1_on`` =
"chart R^k" for the linear embedding: exact and independent of d; "span R^2k" for the torus: robust on the
whole ambient ball, hence on M, exact, independent of d), C1 on the ambient points when E is rotated
("ambient R^d": grows with d); the d-independent construction of Thm 5.5 for a rotated / curved M is not
built (rate only).

One row per trial (wide columns, ``_robust_table.COLUMNS``); the model is saved as
``trials/<id>/model.json`` (network format; for E3 the ambient network f on R^d).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._config import ExperimentConfig
from ._results import save_trial_rows
from ._robust_config import RobustConfig
from ._seeds import stable_seed
from ._spec import TrialSpec

Report = Callable[[dict[str, Any]], None]


def training_draws(rc: RobustConfig, base_seed: int, seed: int) -> np.ndarray | None:
    """Column indices of the N i.i.d. draws from P = uniform on S ("sample"), None for the whole support."""
    if rc.training == "whole-support":
        return None
    rng = np.random.default_rng(stable_seed(base_seed, "robust-draws", rc.instance_seed, seed, rc.n_draws))
    return rng.integers(0, rc.M, size=rc.n_draws)


def linear_classifier(d: int):
    """f_lin(x) = x_d − ½ as a 2-logit network (logits (−f_lin, f_lin)): class 1 (φ = +1) iff x_d > ½."""
    from ..networks import ReLUNetwork

    W = torch.zeros(2, d, dtype=torch.float64)
    W[0, -1], W[1, -1] = -1.0, 1.0
    return ReLUNetwork([(W, torch.tensor([0.5, -0.5], dtype=torch.float64))])


def one_output_size(architecture: tuple[int, ...]) -> int:
    """Σ n_{ℓ−1}n_ℓ of the network with the last layer replaced by the one output f_1 − f_0."""
    widths = (*architecture[:-1], 1)
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def _c1_size(points: np.ndarray, labels: np.ndarray) -> int | None:
    from ..robust import c1_counts

    n_a, n_b = int((labels == 1).sum()), int((labels == -1).sum())
    if n_a == 0 or n_b == 0:
        return None
    return c1_counts(n_a, n_b, points.shape[1], nonzero_coords=int(np.count_nonzero(points))).nnz_weights


def _witness(logits64, inst, y01: np.ndarray) -> np.ndarray:
    """Per column: sgn f(s_i) ≠ φ(i) or sgn f(s̃_i) ≠ φ(i) (margin ≤ 0 is an error, docs/robust.md §1)."""
    from ..robust._evaluate import margins

    return (margins(logits64(inst.support), y01) <= 0) | (margins(logits64(inst.shifted), y01) <= 0)


def _on_manifold_only(split, emb, x: np.ndarray, eps: float, norm: str) -> tuple[np.ndarray, int]:
    """(fooled, dropped): attack witnesses u' kept only where ‖E(u') − E(u)‖_p ≤ δ (a Def 5.4 witness)."""
    from ..robust._evaluate import BALL_TOL
    from ..robust._manifold_attack import ambient_distances

    attacked = split.fooled & split.clean_correct
    if emb is None or not attacked.any():
        return split.fooled, 0
    far = np.zeros(len(x), dtype=bool)
    far[attacked] = ambient_distances(emb, x[attacked], split.witnesses[attacked], norm) > eps + BALL_TOL
    return split.fooled & ~far, int(far.sum())


def _c1_manifold(emb, inst) -> tuple[int | None, str]:
    """C1's exact size on the embedded support and where it runs (see the module docstring)."""
    if emb is None:
        return _c1_size(inst.support, inst.labels), "R^d"
    x = emb.embed(inst.support)
    if emb.rotate:
        return _c1_size(x, inst.labels), "ambient R^d"
    m = emb.span_dim
    return _c1_size(x[:, :m], inst.labels), ("chart R^k" if emb.kind == "linear" else "span R^2k")


def _err(acc: float | None) -> float:
    return math.nan if acc is None else 1.0 - float(acc)


def run_robust_trial(spec: TrialSpec, config: ExperimentConfig, tdir: Path, report: Report | None) -> None:
    """Train and evaluate one (d, width, training, seed); writes the trial's one row."""
    from ..networks import save_network
    from ..robust import theorem43_instance
    from ..robust._compare import train_and_evaluate
    from ..robust._evaluate import evaluate_split, reference_logits
    from ..robust._manifold_attack import Embedding, evaluation_model

    start = time.perf_counter()
    rc, seed = config.robust, spec.seeds[0]
    inst = theorem43_instance(rc.intrinsic_d, rc.eps, rc.c, eps0=rc.eps0, seed=rc.instance_seed)
    emb = None if rc.manifold is None else Embedding(rc.manifold, rc.k, rc.d, rotate=rc.rotate, seed=rc.instance_seed)
    y01 = (inst.labels + 1) // 2
    draws = training_draws(rc, config.seed, seed)
    cols = np.arange(inst.M) if draws is None else draws
    train = rc.train_config()
    ev = train_and_evaluate(inst.support[cols], y01[cols], inst.support, y01, train=train, eval=rc.eval,
                            seed=seed, n_classes=2, splits=("train", "val", "test"), embedding=emb)
    model = evaluation_model(ev.result.model)  # f∘E on the intrinsic coordinates (E3), else f
    net = ev.result.model.net if emb is not None else model  # the classifier on R^d
    fit = np.setdiff1d(np.arange(len(cols)), ev.result.val_idx)
    fit_cols = np.unique(cols[fit])
    witness = _witness(reference_logits(model), inst, y01)
    test = ev.splits["test"]
    columns = {"train": cols[fit], "val": cols[ev.result.val_idx], "test": np.arange(inst.M)}  # each split's points
    lin = evaluate_split(linear_classifier(rc.intrinsic_d), inst.support, y01, eps=rc.delta, norm=rc.norm,
                         config=rc.eval, n_classes=2, seed=seed, split="linear")
    lin_witness = _witness(reference_logits(linear_classifier(rc.intrinsic_d)), inst, y01)
    arch = tuple(net.architecture)
    c1_size, c1_on = _c1_manifold(emb, inst)
    selected = [c for c in ev.result.curves if c["epoch"] == ev.result.selected_epoch]
    row: dict[str, Any] = {
        "learner": "robust", "config_id": spec.config_id, "trial_id": spec.trial_id, "n_samples": spec.m,
        "teacher": rc.instance_seed, "seed": seed, **spec.swept,
        "d": rc.d, "k": rc.k if emb is not None else None, "manifold": rc.manifold, "rotate": rc.rotate,
        "K": inst.K, "M": inst.M, "width": rc.width, "depth": rc.depth,
        "n_params": int(sum(p.numel() for p in net.parameters())), "size": one_output_size(arch),
        "eps": rc.eps, "c": rc.c, "delta": rc.delta, "eps0": inst.eps0, "norm": rc.norm, "training": rc.training,
        "epoch": ev.result.selected_epoch, "epochs_done": ev.result.epochs_done,
        "train_loss": float(selected[0]["train_loss"]) if selected else math.nan,
    }
    dropped = 0
    for name, split in ev.splits.items():
        on_m, far = _on_manifold_only(split, emb, inst.support[columns[name]], rc.delta, rc.norm)
        dropped += far
        fooled = on_m | witness[columns[name]]  # attack ∪ witness s̃_i: both verified, still a lower bound
        if split.certified is not None and (split.certified & fooled).any():
            raise RuntimeError(f"sandwich violated on {name}: a certified point has the witness s~_i (a bug)")
        row[f"{name}_clean_error"] = _err(split.clean)
        row[f"{name}_robust_error"] = float(fooled.mean())
        row[f"{name}_certified_error"] = _err(split.certified_accuracy)
    row.update(
        witness_lb=float(witness.mean()), unseen_fraction=1.0 - len(fit_cols) / inst.M,
        linear_clean_error=_err(lin.clean), linear_robust_error=float((lin.fooled | lin_witness).mean()),
        linear_certified_error=_err(lin.certified_accuracy),
        c1_size=c1_size, c1_on=c1_on,
        c1_size_train=_c1_size(inst.support[fit_cols], inst.labels[fit_cols]),
        attacks=",".join(test.attacks), unverified=dropped + sum(s.unverified for s in ev.splits.values()),
        train_time_s=ev.result.train_time_s, wall_time_s=time.perf_counter() - start,
    )
    row["diverged"] = not all(math.isfinite(row[k]) for k in ("train_robust_error", "test_robust_error"))
    save_network(net, tdir / "model.json", kind="robust-student", seed=seed, trial_id=spec.trial_id)
    save_trial_rows(tdir, [row])
    if report is not None:
        report({"test_robust_error": row["test_robust_error"], "train_robust_error": row["train_robust_error"]})
