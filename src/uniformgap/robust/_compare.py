"""Clean vs adversarial training side by side, honestly evaluated (docs/robust.md §6.2–§6.3).

:func:`train_and_evaluate` trains one (configuration, seed) on arrays and returns an evaluation
record — the unit the size-versus-dimension experiments (§6.4) call. :func:`compare_trainings`
runs every (training, seed) of a :class:`RunConfig` on one dataset and summarises the table
clean/robust × train/test with certified brackets and seed intervals (min–max over seeds).

Seeds train one after the other: training several seeds as one batched model (torch.func.vmap
over stacked weights) was measured 1.06–1.25x slower on CPU (benchmarks/bench_adversarial.py).

"train" is the part of the training set the model was fitted on (the validation split carved
from it is reported as "val"); every number is computed afterwards in eval mode on the full set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._evaluate import certifiable_network, evaluate_split
from ._record import RobustEvaluation
from ._train_config import EvalConfig, RunConfig, TrainConfig
from ._training import TrainResult, train_classifier

SPLITS = ("train", "val", "test")


@dataclass
class TrainedEval:
    """One trained (training, seed) and its evaluation on train / val / test."""

    training: str  # "clean" or "adversarial"
    result: TrainResult
    splits: dict[str, RobustEvaluation] = field(default_factory=dict)
    eval_time_s: float = 0.0

    @property
    def seed(self) -> int:
        return self.result.seed

    def record(self) -> dict[str, Any]:
        """One flat row: training, seed, epochs, and {split}_{clean,robust,certified}."""
        r = self.result
        row: dict[str, Any] = {
            "training": self.training, "seed": r.seed, "selected_epoch": r.selected_epoch,
            "optimistic_epoch": r.optimistic_epoch, "epochs_done": r.epochs_done, "interrupted": r.interrupted,
            "train_time_s": r.train_time_s, "eval_time_s": self.eval_time_s,
        }
        for name, ev in self.splits.items():
            row[f"{name}_n"] = ev.n
            row[f"{name}_clean"] = ev.clean
            row[f"{name}_robust"] = ev.robust
            row[f"{name}_certified"] = ev.certified_accuracy
        if self.splits:
            any_split = next(iter(self.splits.values()))
            row["eps"], row["norm"] = any_split.eps, any_split.norm
            row["attacks"] = ",".join(any_split.attacks)
            row["full_suite"] = all(ev.full_suite for ev in self.splits.values())
            row["unverified"] = sum(ev.unverified for ev in self.splits.values())
        return row


def train_and_evaluate(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
    train: TrainConfig, eval: EvalConfig = EvalConfig(), seed: int = 0, n_classes: int | None = None,
    image_shape=None, training: str | None = None, splits=SPLITS, progress: Any = None, eval_progress: Any = None,
    embedding=None,
) -> TrainedEval:
    """Train one classifier (``train``, ``seed``) and evaluate it honestly on ``splits``.

    The evaluation radius and norm are those of ``train.attack`` (also for clean training). With an
    ``embedding`` E the inputs are intrinsic coordinates and training and evaluation attack on the manifold
    (Def 5.4, ``_manifold_attack``); the evaluated model is f∘E, folded into one ReLUNetwork where E is affine.
    """
    from ._manifold_attack import evaluation_model

    C = int(n_classes if n_classes is not None else max(int(np.max(y_train)), int(np.max(y_test))) + 1)
    result = train_classifier(x_train, y_train, train, seed=seed, n_classes=C, x_test=x_test, y_test=y_test,
                              image_shape=image_shape, progress=progress, embedding=embedding)
    model = evaluation_model(result.model)
    out = TrainedEval(training=training or ("adversarial" if train.adversarial else "clean"), result=result)
    fit = np.setdiff1d(np.arange(len(x_train)), result.val_idx)
    data = {"train": (x_train[fit], y_train[fit]), "val": (x_train[result.val_idx], y_train[result.val_idx]),
            "test": (x_test, y_test)}
    start = time.perf_counter()
    certifiable = certifiable_network(model) if eval.certify != "none" else None  # once for every split
    for name in splits:
        xs, ys = data[name]
        if len(xs) == 0:  # no validation split (val_fraction 0)
            continue
        out.splits[name] = evaluate_split(model, xs, ys, eps=train.attack.eps, norm=train.attack.norm,
                                          config=eval, n_classes=C, seed=seed, split=name, progress=eval_progress,
                                          certifiable=certifiable)
    out.eval_time_s = time.perf_counter() - start
    return out


def training_config(run: RunConfig, training: str) -> TrainConfig:
    """The TrainConfig of one of the run's trainings ("clean": δ = 0 in training, same evaluation δ)."""
    return run.train.model_copy(update={"adversarial": training == "adversarial"})


def summarize(evals: list[TrainedEval], eval: EvalConfig = EvalConfig()) -> list[dict[str, Any]]:
    """Per training: mean and [min, max] over seeds of {split}_{clean,robust,certified}, the
    robust generalization gap robust_train − robust_test, and percentile bootstrap intervals
    test_{clean,robust,certified}_ci over test points (:func:`point_intervals`)."""
    out = []
    for training in dict.fromkeys(e.training for e in evals):
        rows = [e.record() for e in evals if e.training == training]
        summ: dict[str, Any] = {"training": training, "seeds": [r["seed"] for r in rows]}
        for key in [k for k in rows[0] if k.split("_", 1)[-1] in ("clean", "robust", "certified") and "_" in k]:
            vals = [r[key] for r in rows if r.get(key) is not None]
            if vals:
                summ[key] = float(np.mean(vals))
                summ[f"{key}_range"] = [float(min(vals)), float(max(vals))]
            else:
                summ[key] = None
        if summ.get("train_robust") is not None and summ.get("test_robust") is not None:
            summ["robust_gap"] = summ["train_robust"] - summ["test_robust"]
        summ.update(point_intervals([e for e in evals if e.training == training], eval))
        summ["full_suite"] = all(r.get("full_suite", False) for r in rows)
        summ["interrupted"] = any(r["interrupted"] for r in rows)
        out.append(summ)
    return out


def point_intervals(evals: list[TrainedEval], eval: EvalConfig = EvalConfig()) -> dict[str, list[float]]:
    """{test_clean_ci, test_robust_ci, test_certified_ci}: [lo, hi] percentile bootstrap intervals
    of the seed-mean test accuracies over test points (``eval.bootstrap`` replicates at
    ``eval.bootstrap_level``, generator seeded with ``eval.bootstrap_seed``: the same draw of points
    for every seed, metric and training), from the per-point indicators "correct", "no verified
    witness" and "certified" (:func:`uniformgap.analysis._bootstrap.mean_interval`). Empty when
    ``eval.bootstrap`` is 0 or there is no test split."""
    tests = [e.splits["test"] for e in evals if "test" in e.splits]
    if not tests or eval.bootstrap == 0:
        return {}
    from ..analysis._bootstrap import mean_interval

    out = {}
    for key, points in (("test_clean", lambda t: t.clean_correct), ("test_robust", lambda t: ~t.fooled),
                        ("test_certified", lambda t: t.certified)):
        arrays = [points(t) for t in tests]
        if any(a is None for a in arrays):
            continue
        rng = np.random.default_rng(eval.bootstrap_seed)
        out[f"{key}_ci"] = list(mean_interval(np.stack(arrays), eval.bootstrap, rng, eval.bootstrap_level))
    return out


def compare_trainings(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, run: RunConfig, *,
    n_classes: int | None = None, image_shape=None, on_done=None, progress: bool = False,
) -> tuple[list[TrainedEval], str | None]:
    """Every (training, seed) of ``run``, trained and evaluated in turn.

    ``on_done(trained_eval)`` is called after each (e.g. to save the model at once). Returns
    (evaluations, interruption note or None): Ctrl-C during training keeps the best checkpoint of
    the interrupted model, evaluates it and stops; Ctrl-C during an evaluation drops that model's
    evaluation and stops; the note says which.
    """
    from tqdm.auto import tqdm

    C = int(n_classes if n_classes is not None else max(int(np.max(y_train)), int(np.max(y_test))) + 1)
    jobs = [(t, s) for t in run.trainings for s in run.seeds]
    done: list[TrainedEval] = []
    bar = tqdm(total=len(jobs) * run.train.epochs, desc="training", unit="epoch", disable=not progress, leave=False)
    note = None
    try:
        for training, seed in jobs:
            bar.set_description(f"training {training} seed {seed}")
            cfg = training_config(run, training)
            n_eval = len(x_train) + len(x_test)
            ebar = tqdm(total=n_eval * len(_attack_names(run.eval, cfg)), desc=f"attacking {training} seed {seed}",
                        unit="pt", disable=not progress, leave=False)
            try:
                ev = train_and_evaluate(x_train, y_train, x_test, y_test, train=cfg, eval=run.eval, seed=seed,
                                        n_classes=C, image_shape=image_shape, training=training, progress=bar,
                                        eval_progress=ebar)
            except KeyboardInterrupt:
                note = f"interrupted while evaluating {training} seed {seed}: that model's evaluation is lost; remaining runs not started"
                break
            finally:
                ebar.close()
            done.append(ev)
            if on_done is not None:
                on_done(ev)
            if ev.result.interrupted:
                note = (f"interrupted while training {training} seed {seed} after {ev.result.epochs_done} epoch(s): "
                        "its best checkpoint so far was evaluated; remaining runs not started")
                break
    finally:
        bar.close()
    return done, note


def _attack_names(eval: EvalConfig, train: TrainConfig) -> list[str]:
    return ["pgd-" + loss for loss in eval.losses] + list(eval.library) if train.attack.eps > 0 else [""]
