"""What a run would execute, before running it: trials, resolved schedules, counts, a cost estimate.

For every trial of :func:`plan_trials` (one learner configuration, one m, one chunk of
teachers × all seeds = K students) the plan resolves the student schedule the trial will use:

- batch size B = ⌈b·m⌉ for a fraction b < 1, else b, never more than m (``absolute_batch_size``);
- steps per epoch ⌈m/B⌉ (the last minibatch smaller), gradient steps per student E·⌈m/B⌉;
- evaluation epochs (``checkpoint_epochs``), learning rate lr_e = lr·γ^e with
  γ = (lr_final/lr)^(1/E) (arXiv:2205.13531, Appendix C; ``learners.GradientConfig``).

Counts: trials; students trained Σ K; gradient steps Σ K·E·⌈m/B⌉ (one per student and
minibatch); evaluations Σ K·|checkpoints| (one student at one checkpoint, on
``test_points`` + ``val_points`` fresh points).

Cost (``timed=True``): an EXTRAPOLATION from a few timed steps on this machine, in CPU-seconds
(process CPU time, the trial's ``cpus_per_trial`` threads). Per student shape (d, architecture,
dtype, K) one minibatch step of one student is modelled as a + b·B: a = the Adam update and the
per-step overhead (∝ P, the coefficients per student), b = forward + backward per point (∝ P).
Both are fitted from 1 warm-up + ``STEPS`` timed steps (repeated up to ``MIN_TIMED_S``), on random data, at B = 1 and at the
largest batch of those trials (capped at ``WORK_CAP`` multiply-adds), with K' ≤ K students
(fewer when K·P is large). A trial's training cost is K·(a + b·B)·E·⌈m/B⌉. Evaluation cost:
timed forward passes of the students and the targets on a few points, scaled linearly to
(test + val + m) points × |checkpoints|. Per-network
metrics (``evaluation.network_metrics``) are not timed; their cap, K·|checkpoints|·budget_s per
metric, is reported beside. Baseline learners ("grid", "poly") are not timed.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from ._config import ExperimentConfig
from ._run import plan_trials
from ._targets import build_targets, target_dim
from ._spec import TrialSpec, absolute_batch_size

STEPS = 3  # timed minibatch steps per trial shape: enough to average out one slow step
WORK_CAP = 2**28  # multiply-adds per timed step (K'·B'·P); ~0.1 s on one core, so timing stays seconds
EVAL_POINTS = 4096  # points of a timed forward pass (fewer when K·P is large)
MIN_TIMED_S = 0.05  # tiny steps are repeated until this much CPU time: one 50 µs step is all jitter


@dataclass(frozen=True)
class PlannedTrial:
    """One trial with its resolved student schedule (None where the learner has none)."""

    trial_id: str
    config_id: str
    learner: str
    m: int
    teachers: int  # teachers in this trial's chunk
    seeds: int
    students: int  # K = teachers x seeds
    batch_size: int | None  # absolute B
    batch_fraction: float | None  # B / m
    epochs: int | None  # E
    checkpoints: tuple[int, ...]  # evaluation epochs
    lr: float | None
    lr_final: float | None
    gamma: float | None  # per-epoch decay (lr_final/lr)^(1/E)
    steps_per_epoch: int | None  # ⌈m/B⌉
    gradient_steps: int  # per student: E·⌈m/B⌉
    evaluations: int  # K·|checkpoints|
    eval_points: int  # per student and checkpoint: test + val points
    train_cpu_s: float | None = None  # estimates (extrapolated), None when not timed
    eval_cpu_s: float | None = None
    network_metrics_cpu_s_max: float = 0.0  # the metrics' time budget, an upper bound

    @property
    def cpu_s(self) -> float | None:
        if self.train_cpu_s is None or self.eval_cpu_s is None:
            return None
        return self.train_cpu_s + self.eval_cpu_s


@dataclass(frozen=True)
class Plan:
    """The trials of a config and their totals; ``timed`` says whether costs were estimated."""

    name: str
    trials: list[PlannedTrial]
    timed: bool
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "trials": len(self.trials),
            "students": sum(t.students for t in self.trials),
            "gradient_steps": sum(t.students * t.gradient_steps for t in self.trials),
            "evaluations": sum(t.evaluations for t in self.trials),
            "eval_points": sum(t.evaluations * t.eval_points for t in self.trials),
        }

    @property
    def cpu_s(self) -> float | None:
        """Estimated total CPU-seconds on this machine (None if not timed or any trial untimed)."""
        costs = [t.cpu_s for t in self.trials]
        return None if not self.timed or any(c is None for c in costs) else float(sum(costs))

    def to_dict(self) -> dict[str, Any]:
        trials = [{**asdict(t), "checkpoints": list(t.checkpoints), "cpu_s": t.cpu_s} for t in self.trials]
        return {
            "name": self.name, "counts": self.counts, "timed": self.timed,
            "estimate": ("extrapolated from timed steps on this machine, CPU-seconds" if self.timed else None),
            "cpu_s": self.cpu_s,
            "network_metrics_cpu_s_max": sum(t.network_metrics_cpu_s_max for t in self.trials),
            "notes": list(self.notes), "trials": trials,
        }


def plan_experiment(config: ExperimentConfig, *, timed: bool = True, progress: bool = False) -> Plan:
    """The plan of ``config`` (see module docstring); ``timed`` runs the short timings."""
    specs = plan_trials(config)
    search_notes: list[str] = []
    if config.search is not None:  # configurations are sampled while the search runs
        from ._search import template_spec

        specs = [template_spec(config)]
        search_notes.append(
            f"search: {config.search.num_samples} configuration(s) sampled from search.space "
            f"({', '.join(config.search.space)}) by {config.search.algorithm!r}, one trial each; shown: the base "
            f"config's values (configuration 0); scheduler {config.search.scheduler!r} may stop some early"
        )
    trials = [_resolve(spec) for spec in specs]
    notes: list[str] = []
    if timed:
        trials, notes = _estimate(specs, trials, progress)
    return Plan(config.name, trials, timed, search_notes + notes)


def _resolve(spec: TrialSpec) -> PlannedTrial:
    cfg = spec.experiment_config()
    K = len(spec.members)
    ev = cfg.evaluation
    metrics_cap = K * len(spec.checkpoints) * ev.network_metric_budget_s * len(ev.network_metrics)
    common = dict(
        trial_id=spec.trial_id, config_id=spec.config_id, learner=spec.learner, m=spec.m,
        teachers=len(spec.teachers), seeds=len(spec.seeds), students=K, checkpoints=tuple(spec.checkpoints),
        evaluations=K * len(spec.checkpoints), eval_points=ev.test_points + ev.val_points,
        network_metrics_cpu_s_max=float(metrics_cap),
    )
    if spec.learner == "robust":  # one adversarially trained MLP, Adam steps (PGD steps not counted)
        rc = cfg.robust
        B = min(rc.batch_size, spec.m)
        steps = math.ceil(spec.m / B)
        common.update(evaluations=1, eval_points=rc.M + spec.m, checkpoints=(), network_metrics_cpu_s_max=0.0)
        return PlannedTrial(**common, batch_size=B, batch_fraction=B / spec.m, epochs=rc.epochs, lr=rc.lr,
                            lr_final=rc.lr, gamma=1.0, steps_per_epoch=steps, gradient_steps=rc.epochs * steps)
    if spec.learner != "gd":
        return PlannedTrial(**common, batch_size=None, batch_fraction=None, epochs=None, lr=None, lr_final=None,
                            gamma=None, steps_per_epoch=None, gradient_steps=0)
    st = cfg.student
    B = absolute_batch_size(st.batch_size, spec.m)
    steps = math.ceil(spec.m / B)
    return PlannedTrial(
        **common, batch_size=B, batch_fraction=B / spec.m, epochs=st.epochs, lr=st.lr, lr_final=st.lr_final,
        gamma=(st.lr_final / st.lr) ** (1.0 / st.epochs), steps_per_epoch=steps, gradient_steps=st.epochs * steps,
    )


# -- timing ----------------------------------------------------------------------------------------
def _estimate(specs: list[TrialSpec], trials: list[PlannedTrial], progress: bool) -> tuple[list[PlannedTrial], list[str]]:
    from dataclasses import replace

    from tqdm.auto import tqdm

    # one step model per student shape, fitted at the largest batch its trials use
    shapes: dict[tuple, int] = {}
    for spec, trial in zip(specs, trials):
        if spec.learner == "gd":
            key = _shape(spec.experiment_config(), trial.students)
            shapes[key] = max(shapes.get(key, 1), trial.batch_size)
    models: dict[tuple, tuple[float, float, float]] = {}
    targets: dict[str, list] = {}
    bar = tqdm(total=len(shapes), desc="timing", unit="shape", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    out: list[PlannedTrial] = []
    for spec, trial in zip(specs, trials):
        if spec.learner != "gd":
            out.append(trial)
            continue
        cfg = spec.experiment_config()
        key = _shape(cfg, trial.students)
        if key not in models:
            tkey = cfg.target.model_dump_json()
            if tkey not in targets:
                targets[tkey] = build_targets(cfg)
            alpha, beta = _time_steps(cfg, key, shapes[key])
            models[key] = (alpha, beta, _time_forward(cfg, key, targets[tkey], spec.teachers))
            bar.update(1)
        alpha, beta, per_point = models[key]
        train = trial.students * (alpha + beta * trial.batch_size) * trial.gradient_steps
        evaluate = per_point * (trial.eval_points + spec.m) * len(trial.checkpoints)
        out.append(replace(trial, train_cpu_s=train, eval_cpu_s=evaluate))
    bar.close()
    notes = [
        "cpu_s is an extrapolation from a few timed steps on this machine (CPU time of the trial's threads, "
        "per student: a + b*B fitted at two batch sizes); a GPU, or another machine, can differ by orders of magnitude",
    ]
    untimed = sum(t.learner not in ("gd", "robust") for t in trials)
    if untimed:
        notes.append(f"{untimed} baseline trial(s) (grid/poly) are not timed: the total estimate is unavailable")
    robust = sum(t.learner == "robust" for t in trials)
    if robust:
        notes.append(f"{robust} robust trial(s) (experiment: robust) are not timed: the total estimate is unavailable; "
                     "their gradient steps count Adam steps, not the PGD steps inside each")
    if any(t.network_metrics_cpu_s_max for t in trials):
        notes.append("network_metrics are not timed; network_metrics_cpu_s_max is their time budget (an upper bound)")
    return out, notes


def _shape(cfg: ExperimentConfig, K: int) -> tuple:
    """What a step's cost depends on: d, architecture, dtype, K, threads, domain (standardisation)."""
    st = cfg.student
    return (target_dim(cfg), st.depth, st.width, st.dtype, K, max(1, int(cfg.execution.cpus_per_trial)), cfg.domain,
            st.standardize, len(cfg.seeds))


def _n_coefficients(arch: tuple[int, ...]) -> int:
    return sum(a * b + b for a, b in zip(arch[:-1], arch[1:]))


def _gradient_config(cfg: ExperimentConfig, batch_size: int = 1):
    from ..learners import GradientConfig

    st = cfg.student
    return GradientConfig(depth=st.depth, width=st.width, lr=st.lr, lr_final=st.lr_final, epochs=st.epochs,
                          batch_size=batch_size, standardize=st.standardize, dtype=st.dtype)


def _time_steps(cfg: ExperimentConfig, shape: tuple, B_max: int) -> tuple[float, float]:
    """(a, b): CPU-seconds of one minibatch step per student ≈ a + b·B (a: Adam and overhead, b: per point).

    Timed on K' ≤ K students (K'·P ≤ WORK_CAP/16) at B = 1 and at B₂ = min(B_max, WORK_CAP/(K'·P)).
    """
    from ..learners import EnsembleTrainer

    d, K, threads = shape[0], shape[4], shape[5]
    P = _n_coefficients(_gradient_config(cfg).architecture(d))
    Kp = max(1, min(K, WORK_CAP // (16 * P)))
    B2 = max(2, min(B_max, WORK_CAP // (Kp * P)))
    g = torch.Generator().manual_seed(0)
    lo, hi = cfg.bounds
    per_student = []
    with _threads(threads):
        for B in (1, B2):
            x = lo + (hi - lo) * torch.rand(Kp, B * STEPS, d, generator=g, dtype=torch.float64)
            y = torch.rand(Kp, B * STEPS, generator=g, dtype=torch.float64)
            trainer = EnsembleTrainer(_gradient_config(cfg, B), x, y, list(range(Kp)), domain=cfg.bounds)
            trainer.train(1)  # warm-up: allocates the activation buffers
            seconds, steps = _repeat(lambda: trainer.train(1))  # one epoch = STEPS minibatch steps of size B
            per_student.append(seconds / (steps * STEPS) / Kp)
    b = max(0.0, (per_student[1] - per_student[0]) / (B2 - 1))
    return max(0.0, per_student[0] - b), b


def _time_forward(cfg: ExperimentConfig, shape: tuple, targets: list, teachers: tuple[int, ...]) -> float:
    """CPU-seconds per evaluation point of K students + the trial's targets, forward only."""
    from ..learners import EnsembleTrainer
    from ..networks import StackedReLU

    d, K, threads = shape[0], shape[4], shape[5]
    gc = _gradient_config(cfg)
    P = _n_coefficients(gc.architecture(d))
    Kp = max(1, min(K, WORK_CAP // (P * EVAL_POINTS)))
    n = max(64, min(EVAL_POINTS, WORK_CAP // (P * Kp)))
    g = torch.Generator().manual_seed(0)
    lo, hi = cfg.bounds
    x = lo + (hi - lo) * torch.rand(n, d, generator=g, dtype=torch.float64)
    by_index = {t.index: t for t in targets}
    chunk = [by_index[i] for i in teachers if i in by_index] or targets[:1]
    with _threads(threads):
        zeros = torch.zeros(Kp, 1, d, dtype=torch.float64)
        trainer = EnsembleTrainer(gc, zeros, zeros[:, :, 0], list(range(Kp)), domain=cfg.bounds)
        trainer.predict(x[:8])  # warm-up
        seconds, reps = _repeat(lambda: trainer.predict(x))
        t_students = seconds / reps * K / Kp
        if all(t.network is not None for t in chunk):
            stack = StackedReLU.from_networks([t.network for t in chunk])
            seconds, reps = _repeat(lambda: stack(x))
        else:
            seconds, reps = _repeat(lambda: chunk[0](x))
        t_targets = seconds / reps
    return (t_students + t_targets) / n


def _repeat(fn, limit: int = 100) -> tuple[float, int]:
    """(CPU-seconds, calls) of calling ``fn`` until MIN_TIMED_S or ``limit`` calls."""
    t0, calls = time.process_time(), 0
    while True:
        fn()
        calls += 1
        elapsed = time.process_time() - t0
        if elapsed >= MIN_TIMED_S or calls >= limit:
            return elapsed, calls


class _threads:
    """torch.set_num_threads(n) inside the block, as a trial sets its CPU share."""

    def __init__(self, n: int):
        self.n = n

    def __enter__(self) -> None:
        self.old = torch.get_num_threads()
        torch.set_num_threads(self.n)

    def __exit__(self, *exc: Any) -> None:
        torch.set_num_threads(self.old)


# -- text ------------------------------------------------------------------------------------------
def format_plan(plan: Plan) -> str:
    """The plan as a fixed-width table: one line per trial, then the totals."""
    head = (f"{'config_id':<44} {'m':>7} {'K':>4} {'batch':>6} {'b/m':>7} {'epochs':>6} "
            f"{'evaluated at epochs':<28} {'gamma':>10} {'steps/student':>13} {'CPU-s':>9}")
    lines = [f"plan of {plan.name!r}: {len(plan.trials)} trials", head]
    for t in plan.trials:
        ck = _epochs_text(t.checkpoints)
        batch = "-" if t.batch_size is None else str(t.batch_size)
        frac = "-" if t.batch_fraction is None else f"{t.batch_fraction:.3g}"
        epochs = "-" if t.epochs is None else str(t.epochs)
        gamma = "-" if t.gamma is None else f"{t.gamma:.8f}"
        cost = "-" if t.cpu_s is None else _seconds(t.cpu_s)
        lines.append(f"{t.config_id:<44} {t.m:>7} {t.students:>4} {batch:>6} {frac:>7} {epochs:>6} "
                     f"{ck:<28} {gamma:>10} {t.gradient_steps:>13} {cost:>9}")
    c = plan.counts
    lines.append(
        f"totals: {c['trials']} trials, {c['students']} students trained, {c['gradient_steps']:.3e} gradient steps "
        f"(student x minibatch), {c['evaluations']} evaluations ({c['eval_points']:.3e} points)"
    )
    if plan.timed:
        total = plan.cpu_s
        if total is None:
            cost = "unavailable (untimed trials)"
        else:
            train = sum(t.train_cpu_s for t in plan.trials)
            cost = (f"{_seconds(total)} CPU ({total / 3600:.3g} CPU-hours; training {_seconds(train)}, "
                    f"evaluation {_seconds(total - train)})")
        lines.append(f"estimated cost: {cost} — an extrapolation from a few timed steps on this machine, "
                     "not a measurement")
    lines += [f"note: {n}" for n in plan.notes]
    return "\n".join(lines)


def _epochs_text(epochs: tuple[int, ...]) -> str:
    if len(epochs) > 2:
        steps = {b - a for a, b in zip(epochs[:-1], epochs[1:])}
        if len(steps) == 1 and epochs[0] == next(iter(steps)):
            return f"every {epochs[0]} to {epochs[-1]}"
    text = ",".join(map(str, epochs))
    return text if len(text) <= 28 else text[:25] + "..."


def _seconds(s: float) -> str:
    return f"{s:.3g} s"
