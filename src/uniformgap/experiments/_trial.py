"""One trial: one learner configuration, one sample size m, a chunk of teachers × all seeds.

For "gd" the trial trains ONE batched ensemble of K = |teachers| · |seeds| students
(``learners.EnsembleTrainer``), member k = (teacher t, seed s) in the order
``[(t, s) for t in teachers for s in seeds]``. Baselines ("grid", "poly") run once per
(t, s) through the learner protocol ``learn(oracle, m, *, d, domain, seed)``.

Seeds (all derived with :func:`stable_seed`, a hash, so they do not depend on the order in
which trials run; ``base`` = config ``seed``):

- training data of (t, s, m): x ~ U([lo, hi]^d), m points, from
  ``torch.Generator().manual_seed(stable_seed(base, "data", t, s, m))``, y = u_t(x);
- student initialisation and minibatch order of (t, s): ``stable_seed(base, "train", t, s)``;
- test points of checkpoint epoch e: 'evaluation.test_points' fresh points from
  ``stable_seed(base, "test", m, e)``, shared by the whole ensemble;
- validation points: an independent sample from ``stable_seed(base, "val", m)``.

At every checkpoint the trial appends its rows, saves the students (safetensors) and the
trainer state, each atomically, rows first; a restarted trial loads the state, drops rows of
later epochs and continues — bit-identical to an uninterrupted trial on CPU.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .._atomic import write_atomic
from .._errors import InputError
from ._config import ExperimentConfig
from ._results import read_trial_rows, rows_frame, write_json_atomic
from ._targets import Target, load_targets

MC_NAMES = ("l1", "l2", "linf")


def stable_seed(*parts: Any) -> int:
    """A 63-bit seed from a hash of ``parts`` (stable across processes and machines)."""
    digest = hashlib.sha256(repr(tuple(parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


@dataclass(frozen=True)
class TrialSpec:
    """Everything a trial needs besides RUN_DIR (JSON-serialisable for Ray)."""

    trial_id: str
    config_id: str
    learner: str
    m: int
    teachers: tuple[int, ...]
    seeds: tuple[int, ...]
    swept: dict[str, Any]
    config: dict[str, Any]  # the variant's resolved ExperimentConfig (model_dump)
    teachers_dir: str = "teachers"  # relative to RUN_DIR
    plan_index: int = 0  # position in the plan: the table is assembled in this order
    checkpoints: tuple[int, ...] = field(default=())

    @property
    def members(self) -> list[tuple[int, int]]:
        return [(t, s) for t in self.teachers for s in self.seeds]

    def experiment_config(self) -> ExperimentConfig:
        return ExperimentConfig.model_validate(self.config)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrialSpec":
        data = dict(data)
        for key in ("teachers", "seeds", "checkpoints"):
            data[key] = tuple(data[key])
        return cls(**data)


def checkpoint_epochs(config: ExperimentConfig) -> tuple[int, ...]:
    """Evaluation epochs: k evenly spaced (k = evaluation.checkpoints) or the listed epochs."""
    if config.learner != "gd":
        return (0,)
    E = config.student.epochs
    spec = config.evaluation.checkpoints
    if isinstance(spec, int):
        return tuple(sorted({max(1, round(E * j / spec)) for j in range(1, spec + 1)}))
    bad = [e for e in spec if e > E]
    if bad:
        raise InputError(
            f"config: evaluation.checkpoints: epochs must be <= student.epochs = {E}, got {bad}"
        )
    return tuple(sorted(set(spec)))


def absolute_batch_size(batch_size: float, m: int) -> int:
    """⌈b·m⌉ for a fraction b < 1, else b; never more than m."""
    b = math.ceil(batch_size * m) if batch_size < 1 else int(batch_size)
    return max(1, min(b, m))


def training_data(config: ExperimentConfig, target: Target, seed: int, m: int) -> tuple[Tensor, Tensor]:
    """(x (m, d), y (m,)) of (teacher, seed, m), float64 (see module docstring)."""
    lo, hi = config.bounds
    g = torch.Generator().manual_seed(stable_seed(config.seed, "data", target.index, seed, m))
    x = lo + (hi - lo) * torch.rand(m, target.d, generator=g, dtype=torch.float64)  # (m, d)
    return x, target(x)


# learner name -> factory(config); explicit registry (baselines live in uniformgap.learners)
def _grid(config: ExperimentConfig):
    from ..learners import GridInterpolationLearner

    return GridInterpolationLearner()


def _poly(config: ExperimentConfig):
    from ..learners import PolynomialLeastSquares

    return PolynomialLeastSquares(degree=config.poly.degree)


BASELINES: dict[str, Callable[[ExperimentConfig], Any]] = {"grid": _grid, "poly": _poly}


def run_baseline(config: ExperimentConfig, target: Target, seed: int, m: int):
    """(predictor, x_queried (n, d), y_queried (n,)) of a baseline learner on target u_t."""
    queries: list[tuple[Tensor, Tensor]] = []

    def oracle(x: Tensor) -> Tensor:
        y = target(torch.as_tensor(x))
        queries.append((torch.as_tensor(x).detach().to(torch.float64), y.detach()))
        return y

    learner = BASELINES[config.learner](config)
    predictor = learner.learn(
        oracle, m, d=target.d, domain=config.bounds, seed=stable_seed(config.seed, "data", target.index, seed, m)
    )
    x = torch.cat([q[0] for q in queries]) if queries else torch.empty(0, target.d, dtype=torch.float64)
    y = torch.cat([q[1].reshape(-1) for q in queries]) if queries else torch.empty(0, dtype=torch.float64)
    return predictor, x, y


# -- running a trial -------------------------------------------------------------------------------
Report = Callable[[dict[str, Any]], None]


def trial_dir(run_dir: Path, spec: TrialSpec) -> Path:
    return Path(run_dir) / "trials" / spec.trial_id


def is_done(run_dir: Path, spec: TrialSpec) -> bool:
    return (trial_dir(run_dir, spec) / "done.json").is_file()


def run_trial(spec: TrialSpec, run_dir: str | Path, *, report: Report | None = None) -> Path:
    """Run (or continue) one trial; returns its directory. Idempotent once done."""
    run_dir = Path(run_dir)
    tdir = trial_dir(run_dir, spec)
    if (tdir / "done.json").is_file():
        return tdir
    tdir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(tdir / "spec.json", spec.to_dict())
    (tdir / "error.txt").unlink(missing_ok=True)
    config = spec.experiment_config()
    threads = torch.get_num_threads()
    # one trial = its CPU share; also makes float reductions independent of the executor
    torch.set_num_threads(max(1, int(config.execution.cpus_per_trial)))
    try:
        targets = load_targets(run_dir / spec.teachers_dir, config, list(spec.teachers))
        if spec.learner == "gd":
            _run_gd(spec, config, targets, run_dir, tdir, report)
        else:
            _run_baseline_trial(spec, config, targets, tdir, report)
    except BaseException as exc:
        if not isinstance(exc, (KeyboardInterrupt, SystemExit)):  # interrupted, not failed
            message = f"{type(exc).__name__}: {exc}\n"
            write_atomic(tdir / "error.txt", lambda tmp: Path(tmp).write_text(message))
        raise
    finally:
        torch.set_num_threads(threads)
    write_json_atomic(tdir / "done.json", {"trial_id": spec.trial_id, "finished": time.time()})
    return tdir


def _load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The trainer checkpoint at ``path``, or None when there is none. A checkpoint that cannot
    be read (a crash mid-write on a filesystem without atomic rename, a truncated copy) is named
    on stderr and set aside as ``<path>.corrupt-<time>``; the trial then starts from epoch 0."""
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
        if not (isinstance(state, dict) and "trainer" in state and "wall_time_s" in state):
            raise ValueError("not a trainer checkpoint")
        return state
    except Exception as exc:  # noqa: BLE001 - any unreadable file is set aside, never trusted
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        path.replace(aside)
        print(f"uniformgap: checkpoint {str(path)!r} is unreadable ({type(exc).__name__}); set aside as "
              f"{aside.name!r}, this trial restarts from epoch 0", file=sys.stderr)
        return None


def _row_base(spec: TrialSpec, config: ExperimentConfig, t: int, s: int, batch_size: int | None) -> dict[str, Any]:
    gd = spec.learner == "gd"
    return {
        "learner": spec.learner,
        "config_id": spec.config_id,
        "trial_id": spec.trial_id,
        "n_samples": spec.m,
        "teacher": t,
        "seed": s,
        **spec.swept,
        "student.width": config.student.width if gd else None,
        "student.depth": config.student.depth if gd else None,
        "batch_size": batch_size,
    }


def _evaluate(
    predict: Callable[[Tensor], Tensor],
    target: Callable[[Tensor], Tensor],
    config: ExperimentConfig,
    d: int,
    m: int,
    epoch: int,
    device: str = "cpu",
) -> dict[str, Tensor]:
    """Test metrics on fresh points of this checkpoint (unless ``evaluation.monte_carlo`` is
    false) and validation metrics (val_*), each (K,)."""
    from ..metrics import mc_errors

    ev = config.evaluation
    out: dict[str, Tensor] = {}
    draws = [("", ev.test_points, ("test", m, epoch))] if ev.monte_carlo else []
    for prefix, n, key in draws + [("val_", ev.val_points, ("val", m))]:
        g = torch.Generator(device=device).manual_seed(stable_seed(config.seed, *key))  # must live on device
        errs = mc_errors(
            predict, target, d=d, domain=config.bounds, n_points=n,
            chunk_size=min(ev.chunk_size, n), generator=g, metrics=MC_NAMES, device=device,
        )
        out.update({prefix + k: v.detach().to("cpu", torch.float64) for k, v in errs.items()})
    return out


def _network_metrics(config: ExperimentConfig, students: list, targets: list, diverged: list[bool]) -> list[dict]:
    from ..metrics import NETWORK_METRICS

    names = config.evaluation.network_metrics
    out: list[dict] = [{} for _ in students]
    for name in names:
        fn = NETWORK_METRICS[name]
        cols: list[str] = []
        for k, (student, target) in enumerate(zip(students, targets)):
            if diverged[k] or student is None or target.network is None:
                continue
            res = fn(student, target.network, domain=config.bounds, budget_s=config.evaluation.network_metric_budget_s)
            out[k].update({c: float(v) for c, v in res.items()})
            cols = list(res)
        for k in range(len(students)):
            for c in cols or [name]:
                out[k].setdefault(c, math.nan)
    return out


def _save_rows(tdir: Path, rows: list[dict[str, Any]]) -> None:
    df = rows_frame(rows)
    write_atomic(tdir / "rows.parquet", lambda tmp: df.to_parquet(tmp, index=False))


def _run_gd(spec: TrialSpec, config: ExperimentConfig, targets: list[Target], run_dir: Path, tdir: Path, report: Report | None) -> None:
    from safetensors.torch import save_file

    from ..learners import EnsembleTrainer, GradientConfig
    from ..networks import StackedReLU

    by_index = {t.index: t for t in targets}
    members = spec.members
    d = targets[0].d
    data = [training_data(config, by_index[t], s, spec.m) for t, s in members]
    x = torch.stack([xy[0] for xy in data])  # (K, m, d)
    y = torch.stack([xy[1] for xy in data])  # (K, m)
    st = config.student
    bs = absolute_batch_size(st.batch_size, spec.m)
    gc = GradientConfig(
        depth=st.depth, width=st.width, lr=st.lr, lr_final=st.lr_final, epochs=st.epochs,
        batch_size=bs, standardize=st.standardize, dtype=st.dtype,
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    seeds = [stable_seed(config.seed, "train", t, s) for t, s in members]
    trainer = EnsembleTrainer(gc, x, y, seeds, domain=config.bounds, device=device)

    # the K targets: each distinct teacher evaluated once, then indexed per member
    order = list(spec.teachers)
    pick = torch.tensor([order.index(t) for t, _ in members])
    if all(t.network is not None for t in targets):
        stack = StackedReLU.from_networks([by_index[t].network for t in order]).to(device=device)
        target_fn = lambda xx: stack(xx.to(device, torch.float64))[pick.to(device)]  # noqa: E731  (K, n)
    else:
        target_fn = by_index[order[0]]  # sine: one target, (n,) broadcasts

    rows: list[dict[str, Any]] = []
    wall0 = 0.0
    state_path = tdir / "state.pt"
    state = _load_checkpoint(state_path)
    if state is not None:
        trainer.load_state_dict(state["trainer"])
        wall0 = float(state["wall_time_s"])
        old = read_trial_rows(tdir)
        if old is not None:
            rows = [r for r in old.to_dict("records") if r["epoch"] <= trainer.epoch]
    done_epochs = {r["epoch"] for r in rows}
    start = time.perf_counter()
    for epoch in spec.checkpoints:
        if epoch in done_epochs:
            continue
        trainer.train(epoch - trainer.epoch)
        metrics = _evaluate(trainer.predict, target_fn, config, d, spec.m, epoch, device)
        loss = trainer.train_loss().to("cpu", torch.float64)
        diverged = trainer.diverged.cpu().tolist()
        students = trainer.networks() if config.evaluation.network_metrics else [None] * len(members)
        extra = _network_metrics(config, students, [by_index[t] for t, _ in members], diverged)
        wall = wall0 + time.perf_counter() - start
        for k, (t, s) in enumerate(members):
            row = _row_base(spec, config, t, s, bs)
            row.update(epoch=epoch, train_loss=float(loss[k]))
            row.update({name: float(metrics[name][k]) for name in MC_NAMES if name in metrics})
            row.update(extra[k])
            row.update({"val_" + name: float(metrics["val_" + name][k]) for name in MC_NAMES})
            if diverged[k]:
                row.update({c: math.nan for c in row if c.startswith(("l1", "l2", "linf", "val_", "train_loss"))})
            row.update(wall_time_s=wall, diverged=bool(diverged[k]))
            rows.append(row)
        keep = config.evaluation.save_students
        if keep == "all" or (keep == "final" and epoch == spec.checkpoints[-1]):
            tensors = {k: v.cpu() for k, v in trainer.tensors().items()}
            path = run_dir / "students" / spec.trial_id / f"epoch_{epoch}.safetensors"
            write_atomic(path, lambda tmp: save_file(tensors, tmp))
        _save_rows(tdir, rows)
        state = {"trainer": trainer.state_dict(), "wall_time_s": wall}
        write_atomic(state_path, lambda tmp: torch.save(state, tmp))
        if report is not None:
            report(_summary(rows, epoch, spec))


def _run_baseline_trial(spec: TrialSpec, config: ExperimentConfig, targets: list[Target], tdir: Path, report: Report | None) -> None:
    by_index = {t.index: t for t in targets}
    start = time.perf_counter()
    members = spec.members
    fitted = []
    for t, s in members:
        predictor, xq, yq = run_baseline(config, by_index[t], s, spec.m)
        fitted.append((predictor, _mse(predictor, xq, yq)))
    d = targets[0].d

    def predict(x: Tensor) -> Tensor:
        return torch.stack([torch.as_tensor(p(x)).reshape(-1).to(torch.float64) for p, _ in fitted])  # (K, n)

    def target_fn(x: Tensor) -> Tensor:
        return torch.stack([by_index[t](x) for t, _ in members])  # (K, n)

    metrics = _evaluate(predict, target_fn, config, d, spec.m, 0)
    students = [p if hasattr(p, "layers") else getattr(p, "network", None) for p, _ in fitted]
    extra = _network_metrics(config, students, [by_index[t] for t, _ in members], [False] * len(members))
    wall = time.perf_counter() - start
    rows = []
    for k, (t, s) in enumerate(members):
        row = _row_base(spec, config, t, s, None)
        row.update(epoch=0, train_loss=fitted[k][1])
        row.update({name: float(metrics[name][k]) for name in MC_NAMES if name in metrics})
        row.update(extra[k])
        row.update({"val_" + name: float(metrics["val_" + name][k]) for name in MC_NAMES})
        diverged = not all(math.isfinite(row[c]) for c in MC_NAMES if c in metrics)
        row.update(wall_time_s=wall, diverged=diverged)
        rows.append(row)
    _save_rows(tdir, rows)
    if report is not None:
        report(_summary(rows, 0, spec))


def _mse(predictor, x: Tensor, y: Tensor) -> float:
    if x.shape[0] == 0:
        return math.nan
    with torch.no_grad():
        pred = torch.as_tensor(predictor(x)).reshape(-1).to(torch.float64)
    return float((pred - y).square().mean())


def _summary(rows: list[dict[str, Any]], epoch: int, spec: TrialSpec) -> dict[str, Any]:
    """Numbers for the executor's live view (Ray's ``tune.report``): worst member at ``epoch``."""
    now = [r for r in rows if r["epoch"] == epoch]
    out: dict[str, Any] = {"epoch": epoch, "checkpoint": list(spec.checkpoints).index(epoch) + 1}
    for name in MC_NAMES:
        vals = [r.get(name, r.get(f"{name}_exact", math.nan)) for r in now if not r["diverged"]]
        out[f"worst_{name}"] = max(vals) if vals else math.nan
    out["n_diverged"] = sum(bool(r["diverged"]) for r in now)
    out["wall_time_s"] = max((r["wall_time_s"] for r in now), default=0.0)
    return out

