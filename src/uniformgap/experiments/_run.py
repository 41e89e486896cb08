"""Plan, run and resume an experiment; summarise its table.

A run is planned from its resolved config: variants (grid) × n_samples × teacher chunks,
one trial each (see ``_trial``). RUN_DIR is the source of truth: a trial with
``trials/<id>/done.json`` is finished; any other trial is (re)started and continues from its
last checkpoint. So ``resume_run`` = re-plan from RUN_DIR/config.yaml and run what is not
done — nothing is redone, lost or duplicated, errored trials are retried.

Summary (per metric and m): the worst-teacher error of the best configuration at its final
checkpoint — mean over seeds, max over teachers, min over configurations.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import InputError
from .._storage import RunStore, cache_dir, is_uri, pull_run
from ._config import ExperimentConfig
from ._grid import expand_grid
from ._load import load_config
from .._atomic import write_json_atomic, write_text_atomic
from ._nodes import trial_nodes
from ._progress import RunProgress
from ._remote import check_out_store, clear_store, pull_trial
from ._results import assemble, write_table
from ._search import STOPPED_COLUMN, is_stopped, reserve_epochs, template_spec, with_stopped_column
from ._targets import build_targets, n_targets, save_targets
from ._tracking import make_trackers
from ._spec import TrialSpec, checkpoint_epochs
from ._trial import is_done

EXECUTORS = ("ray", "local")
# What a resumed run at a URI reads of its local copy (students stay in the store).
RESUME_ENTRIES = ("config.yaml", "run.json", "teachers", "trials")
# What a run (and `report` into it) writes in RUN_DIR: removed by ``overwrite=True``, nothing else is.
RUN_ENTRIES = ("config.yaml", "run.json", "results.parquet", "results.csv", "teachers", "students", "trials",
               "tensorboard", "wandb", "figures", "report.html")


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    status: str  # "complete" | "partial"
    table: pd.DataFrame
    summary: list[dict[str, Any]]
    elapsed_s: float  # this session
    n_trials: int
    errors: dict[str, str] = field(default_factory=dict)  # trial_id -> one-line error
    uri: str | None = None  # the run's URI when it lives on object storage (run_dir is then its local copy)

    @property
    def location(self) -> str:
        """Where the run lives: its URI, else its directory."""
        return self.uri or str(self.run_dir)


# -- planning ------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9=.,_-]+", "_", text.replace("/", ","))


def _target_key(config: ExperimentConfig) -> str:
    return hashlib.sha256(json.dumps(config.target.model_dump(), sort_keys=True, default=str).encode()).hexdigest()[:8]


def plan_trials(config: ExperimentConfig) -> list[TrialSpec]:
    """The trials of ``config`` in a fixed order (variant, m, teacher chunk; ``experiment: robust``:
    variant, seed); none for a search, whose configurations are sampled while it runs (``_search``)."""
    _check_network_metrics(config)
    if config.search is not None:
        return []
    variants = expand_grid(config)
    shared_target = len({_target_key(v.config) for v in variants}) == 1
    specs: list[TrialSpec] = []
    if config.experiment == "robust":  # one trial per (variant, seed): docs/robust.md §6.4
        for v in variants:
            for s in v.config.seeds:
                specs.append(TrialSpec(
                    trial_id=f"{_slug(v.config_id)}__s{s}", config_id=v.config_id, learner=v.learner,
                    m=v.config.robust.training_points, teachers=(v.config.robust.instance_seed,), seeds=(s,),
                    swept=dict(v.swept), config=v.config.model_dump(), plan_index=len(specs), checkpoints=(),
                ))
        variants = []
    for v in variants:
        epochs = checkpoint_epochs(v.config)
        n = n_targets(v.config)
        size = v.config.execution.teachers_per_trial or n
        chunks = [tuple(range(i, min(i + size, n))) for i in range(0, n, size)]
        for m in v.config.n_samples:
            for chunk in chunks:
                tid = f"{_slug(v.config_id)}__m{m}"
                if len(chunks) > 1:
                    tid += f"__t{chunk[0]}-{chunk[-1]}"
                specs.append(
                    TrialSpec(
                        trial_id=tid, config_id=v.config_id, learner=v.learner, m=m,
                        teachers=chunk, seeds=tuple(v.config.seeds), swept=dict(v.swept),
                        config=v.config.model_dump(),
                        teachers_dir="teachers" if shared_target else f"teachers/{_target_key(v.config)}",
                        plan_index=len(specs), checkpoints=epochs,
                    )
                )
    ids = [s.trial_id for s in specs]
    if len(set(ids)) != len(ids):  # slugging merged two ids: disambiguate by position
        specs = [TrialSpec(**{**s.to_dict(), "trial_id": f"{s.trial_id}__{i:04d}"}) for i, s in enumerate(specs)]
    return specs


def _check_network_metrics(config: ExperimentConfig) -> None:
    from ..metrics import NETWORK_METRICS

    for name in config.evaluation.network_metrics:
        if name not in NETWORK_METRICS:
            allowed = ", ".join(sorted(NETWORK_METRICS)) or "none registered"
            raise InputError(f"config: evaluation.network_metrics: unknown metric {name!r} (allowed: {allowed})")
    if config.evaluation.network_metrics and config.target.kind == "sine":
        raise InputError(
            "config: evaluation.network_metrics: needs a network target (teacher, hat or file), got target.kind 'sine'"
        )


# -- running -------------------------------------------------------------------------------------
def run_experiment(
    config: ExperimentConfig | str | Path,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    out: str | Path | None = None,
    executor: str = "ray",
    address: str | None = None,
    wandb: bool = False,
    progress: bool = True,
    overwrite: bool = False,
) -> RunResult:
    """Run an experiment from a config object, a preset name or a YAML path.

    ``out`` defaults to runs/<name>-<timestamp>; a non-empty ``out`` is refused unless
    ``overwrite`` (which removes the entries a run writes, :data:`RUN_ENTRIES`, and nothing
    else). ``out`` may be a URI (``s3://bucket/prefix``, ``gs://...``): trials then read and write
    only there (``_remote``) and the driver keeps a local copy (``_storage.cache_dir``).
    ``executor`` is "ray" (default; local Ray instance, or the cluster at ``address`` /
    RAY_ADDRESS) or "local" (in-process). Everything (config, targets, ``out``) is validated
    before RUN_DIR is created. An interrupt (Ctrl-C) propagates with ``run_dir`` set on the
    exception, so the caller can say how to resume.
    """
    if not isinstance(config, ExperimentConfig):
        config = load_config(config, overrides)
    elif overrides:
        config = load_config(config.model_dump(), overrides)
    _check_executor(executor)
    _check_cluster(executor, address)
    specs = plan_trials(config)
    if config.search is not None:
        _check_search_executor(config, executor)
        if is_uri(out):
            raise InputError(f"`--out` of a search run must be a local or shared directory for now, got {out!r} "
                             "(e.g. --out runs/search)")
    built = _build_targets(_target_specs(config, specs))
    if is_uri(out):
        store = check_out_store(out, overwrite)
        if overwrite:
            clear_store(store, RUN_ENTRIES)
        run_dir = cache_dir(store.uri)
        shutil.rmtree(run_dir, ignore_errors=True)  # a new run: a fresh local copy
        run_dir.mkdir(parents=True)
        write_text_atomic(run_dir / "config.yaml", config.to_yaml())
        store.put(run_dir, "config.yaml")
        return _execute(run_dir, config, specs, executor, address, wandb, progress, built, store)
    run_dir = Path(out) if out is not None else Path("runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    _check_out(run_dir, overwrite)
    if overwrite:
        for name in RUN_ENTRIES:
            entry = run_dir / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(run_dir / "config.yaml", config.to_yaml())
    return _execute(run_dir.resolve(), config, specs, executor, address, wandb, progress, built)


def _check_out(run_dir: Path, overwrite: bool) -> None:
    """Refuse an ``out`` that is a file, holds other files (unless ``overwrite``) or cannot be created."""
    name = str(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"`--out` must be a directory, got the file {name!r} (e.g. --out runs/my-run)")
    if run_dir.is_dir() and not overwrite:
        if (run_dir / "config.yaml").exists():
            raise InputError(
                f"`--out` directory {name!r} already holds a run (continue it with --resume {run_dir}, "
                "or replace it with --overwrite)"
            )
        if any(run_dir.iterdir()):
            raise InputError(f"`--out` directory {name!r} is not empty (choose a new directory or pass --overwrite)")
    parent = run_dir
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"`--out` directory {name!r} cannot be created: {str(parent)!r} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"`--out` directory {name!r} cannot be created or written: {str(parent)!r} is not writable")


def _check_search_executor(config: ExperimentConfig, executor: str) -> None:
    """A search runs on Ray Tune (its search algorithm and scheduler are Tune's)."""
    if executor != "ray":
        raise InputError(f"`executor` must be 'ray' for a config with search:, got {executor!r} (drop --local)")
    from ._ray_search import check_algorithm

    check_algorithm(config)


def _target_specs(config: ExperimentConfig, specs: list[TrialSpec]) -> list[TrialSpec]:
    """The trials whose teachers a run writes first: the plan, or a search's base configuration."""
    return specs if config.search is None else [template_spec(config)]


def _build_targets(specs: list[TrialSpec]) -> dict[str, list[Any]]:
    """The targets of every teachers directory of the plan, built once (validates hat centres
    and user network files) before anything is written."""
    built: dict[str, list[Any]] = {}
    for spec in specs:
        if spec.learner != "robust" and spec.teachers_dir not in built:
            built[spec.teachers_dir] = build_targets(spec.experiment_config())
    return built


def resume_run(
    run_dir: str | Path, *, executor: str = "ray", address: str | None = None, wandb: bool = False, progress: bool = True
) -> RunResult:
    """Continue an interrupted run from RUN_DIR/config.yaml (finished trials are kept); ``run_dir``
    may be a URI (its local copy is brought up to date first)."""
    store = RunStore.open(run_dir, argument="--resume") if is_uri(run_dir) else None
    if store is not None and store.exists("config.yaml"):
        pull_run(store, cache_dir(store.uri), only=RESUME_ENTRIES)
    local = cache_dir(store.uri) if store is not None else Path(run_dir)
    if not (local / "config.yaml").is_file():
        raise InputError(f"`--resume` must name a run directory holding config.yaml, got {str(run_dir)!r}")
    _check_executor(executor)
    _check_cluster(executor, address)
    config = load_config(local / "config.yaml")
    if config.search is not None:
        raise InputError(
            f"`--resume` cannot continue a search run yet, got {str(run_dir)!r} (its finished configurations "
            "stay analysable; start a new search with --out)"
        )
    return _execute(local.resolve(), config, plan_trials(config), executor, address, wandb, progress, store=store)


def _check_executor(executor: str) -> None:
    if executor not in EXECUTORS:
        raise InputError(f"`executor` must be 'ray' or 'local', got {executor!r}")


def _check_cluster(executor: str, address: str | None) -> None:
    """A cluster address that does not answer is refused before RUN_DIR is written."""
    if executor == "ray":
        from ._ray import check_address

        check_address(address)


def _write_targets(run_dir: Path, specs: list[TrialSpec], built: dict[str, list[Any]] | None = None) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.teachers_dir in seen or spec.learner == "robust":  # robust instances are rebuilt from their seed
            continue
        seen.add(spec.teachers_dir)
        cfg = spec.experiment_config()
        directory = run_dir / spec.teachers_dir
        if cfg.target.kind != "sine" and all(
            (directory / f"teacher_{i}.json").is_file() for i in range(n_targets(cfg))
        ):
            continue  # resume: keep the saved teachers (user files may have moved)
        targets = built[spec.teachers_dir] if built and spec.teachers_dir in built else build_targets(cfg)
        save_targets(targets, directory, cfg)


def _execute(run_dir, config, specs, executor, address, wandb, progress, built=None,
             store: RunStore | None = None) -> RunResult:
    """Run the unfinished ``specs`` of RUN_DIR. With a ``store`` RUN_DIR is the driver's copy of
    the run at ``store.uri``: trials read and write only the store; the driver downloads each
    finished trial and uploads what it writes itself (teachers, run.json, the table)."""

    def upload(*names: str) -> None:
        for name in names if store is not None else ():
            if (run_dir / name).exists():
                store.put(run_dir, name)

    def save_table(table: pd.DataFrame) -> None:
        write_table(table, run_dir)
        upload("results.parquet", "results.csv")

    t0 = time.time()
    _write_targets(run_dir, _target_specs(config, specs), built)
    upload("teachers")
    info = _run_info(run_dir, config, executor)
    write_json_atomic(run_dir / "run.json", {**info, "status": "partial"})
    upload("run.json")
    pending = [s for s in specs if not is_done(run_dir, s)]
    errors: dict[str, str] = {}
    trackers = make_trackers(run_dir, config.name, config.model_dump(), wandb=wandb)
    reserve = reserve_epochs(config) if config.search is not None else 0  # a search's trials appear as it runs
    live = RunProgress(run_dir, specs, {s.trial_id for s in specs} - {s.trial_id for s in pending}, trackers,
                       enabled=progress, reserve=reserve,
                       extra_total=reserve * (config.search.num_samples if config.search is not None else 0))
    bar = live.bar

    def table_now() -> pd.DataFrame:
        swept = list(dict.fromkeys(k for s in specs for k in s.swept))
        table = assemble(run_dir, [s.trial_id for s in sorted(specs, key=lambda s: s.plan_index)], swept)
        return table if config.search is None else with_stopped_column(table, run_dir, specs)

    def on_progress(spec: TrialSpec, result: dict[str, Any]) -> None:
        live.checkpoint(spec, int(result.get("epoch", 0)))

    def on_done(spec: TrialSpec, error: str | None) -> None:
        if store is not None:
            pull_trial(store, run_dir, spec.trial_id)
            if error is not None and (run_dir / "trials" / spec.trial_id / "error.txt").is_file():
                error = _trial_error(run_dir, spec.trial_id)
        if error is not None:
            errors[spec.trial_id] = error
            bar.write(f"trial {spec.trial_id} failed: {error}", file=sys.stderr)
        else:
            errors.pop(spec.trial_id, None)
        live.finished(spec, ok=error is None)
        save_table(table_now())

    interrupted = False
    location = store.uri if store is not None else run_dir
    try:
        if config.search is not None:
            from ._ray_search import run_ray_search

            run_ray_search(config, run_dir, specs, on_done=on_done, on_progress=on_progress, address=address)
        elif pending:
            if executor == "local":
                from ._local import run_local

                run_local(pending, location, on_done=on_done, on_progress=on_progress,
                          max_failures=config.execution.max_failures)
            else:
                from ._ray import run_ray

                run_ray(pending, run_dir, config.execution, on_done=on_done, on_progress=on_progress, address=address,
                        location=str(location))
    except KeyboardInterrupt as exc:
        interrupted = True
        exc.run_dir = location  # for the caller's "continue with: uniformgap run --resume RUN_DIR"
        exc.search = config.search is not None  # ... which a search run cannot
        raise
    finally:
        live.close()
        for tracker in trackers:
            tracker.close()
        if store is not None:
            for spec in specs:  # what the trials not yet downloaded as done left in the store
                if not is_done(run_dir, spec):
                    pull_trial(store, run_dir, spec.trial_id)
            upload("tensorboard", "wandb")
        table = table_now()
        save_table(table)
        unfinished = [s.trial_id for s in specs if not (is_done(run_dir, s) or is_stopped(run_dir, s))]
        for tid in unfinished:
            if tid not in errors and not interrupted:
                errors[tid] = _trial_error(run_dir, tid)
        elapsed = time.time() - t0
        status = "complete" if not unfinished else "partial"
        write_json_atomic(
            run_dir / "run.json",
            {**info, "status": status, "finished": _now(), "elapsed_s": info["elapsed_s"] + elapsed,
             "n_trials": len(specs), "n_unfinished": len(unfinished), "errors": errors,
             "nodes": trial_nodes(run_dir, [s.trial_id for s in specs])},
        )
        upload("run.json")
    return RunResult(run_dir, status, table, summarize(table), elapsed, len(specs), errors,
                     store.uri if store is not None else None)


def _trial_error(run_dir: Path, trial_id: str) -> str:
    path = run_dir / "trials" / trial_id / "error.txt"
    return path.read_text().strip().splitlines()[0] if path.is_file() else "did not finish"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _run_info(run_dir: Path, config: ExperimentConfig, executor: str) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    old: dict[str, Any] = {}
    if (run_dir / "run.json").is_file():
        try:
            old = json.loads((run_dir / "run.json").read_text())
        except json.JSONDecodeError:
            old = {}
    versions = {}
    for pkg in ("uniformgap", "torch", "numpy", "pandas", "pydantic", "ray"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    sessions = old.get("sessions", []) + [{"started": _now(), "executor": executor}]
    return {
        "name": config.name,
        "started": old.get("started", _now()),
        "sessions": sessions,
        "elapsed_s": float(old.get("elapsed_s", 0.0)),
        "versions": versions,
        "machine": {"host": socket.gethostname(), "platform": platform.platform(),
                    "python": platform.python_version(), "cpus": os.cpu_count(), "cuda": _cuda()},
    }


def _cuda() -> str | None:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


# -- summary -------------------------------------------------------------------------------------
MC_SUMMARY = ("l1", "l2", "linf")
EXACT_SUMMARY = ("l1_exact", "l2_exact", "linf_exact")  # evaluation.monte_carlo: false


def _summary_metrics(columns) -> tuple[str, ...]:
    return MC_SUMMARY if "l2" in columns or "l2_exact" not in columns else EXACT_SUMMARY


def summarize(table: pd.DataFrame, metrics: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Per m: for each metric the worst-teacher error of the best configuration.

    ``metrics`` None: l1, l2, linf, or the exact 1-D metrics when the run has no Monte-Carlo
    test columns (``evaluation.monte_carlo: false``).

    eq. (5) of arXiv:2205.13531 at each trial's final checkpoint — min over config_id of max over
    teachers of the mean over seeds — computed by the one implementation,
    :func:`uniformgap.analysis.minimax` (selection "test" on the final rows, kind "worst"), with its
    conventions: a diverged seed counts as +inf, so a configuration that diverges on a teacher
    loses the min; a value that is +inf for every configuration is reported as NaN.
    """
    from ..analysis._estimator import minimax

    from ._robust_table import is_robust_table, summarize_robust

    if STOPPED_COLUMN in table.columns:  # a search's early-stopped configurations did not finish
        table = table[~table[STOPPED_COLUMN].astype(bool)]
    if table.empty:
        return []
    if is_robust_table(table):
        return summarize_robust(table)
    metrics = _summary_metrics(table.columns) if metrics is None else metrics
    last = table.groupby("trial_id")["epoch"].transform("max")
    final = table[table["epoch"] == last]
    present = tuple(metric for metric in metrics if metric in final.columns)
    out: dict[int, dict[str, Any]] = {int(m): {"n_samples": int(m)} for m in sorted(final["n_samples"].unique())}
    for e in minimax(final, present, selection="test", kinds=("worst",)):
        out[e.n_samples][e.metric] = e.value if math.isfinite(e.value) else math.nan
        out[e.n_samples][f"{e.metric}_config"] = e.config
    return list(out.values())


def format_summary(summary: list[dict[str, Any]], metrics: tuple[str, ...] | None = None) -> str:
    """The summary as a fixed-width text table (+ the L∞/L2 ratio)."""
    from ._robust_table import format_robust_summary

    if summary and "test_robust_error" in summary[0]:
        return format_robust_summary(summary)
    if metrics is None:
        metrics = _summary_metrics({k for row in summary for k in row})
    l2, linf = metrics[1], metrics[2]
    head = f"{'m':>8}  " + "  ".join(f"{m:>10}" for m in metrics) + f"  {'linf/l2':>8}  best config ({linf})"
    what = ("linf = sampled max, a lower estimate of the sup" if linf == "linf"
            else "exact 1-D errors from breakpoint enumeration")
    lines = ["worst-teacher error of the best configuration (mean over seeds, max over teachers, "
             f"min over configs; {what}):", head]
    for row in summary:
        vals = "  ".join(f"{row.get(m, math.nan):>10.3e}" for m in metrics)
        ratio = row.get(linf, math.nan) / row.get(l2, math.nan) if row.get(l2) else math.nan
        lines.append(f"{row['n_samples']:>8}  {vals}  {ratio:>8.2f}  {row.get(linf + '_config', '')}")
    return "\n".join(lines)

