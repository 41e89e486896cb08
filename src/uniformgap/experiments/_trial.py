"""One trial: one learner configuration, one sample size m, a chunk of teachers × all seeds.

For "gd" the trial trains ONE batched ensemble of K = |teachers| · |seeds| students
(``learners.EnsembleTrainer``), member k = (teacher t, seed s) in the order of
``TrialSpec.members`` (``_gd_trial``). Baselines ("grid", "poly") run once per (t, s) through the
learner protocol (``_baseline_trial``). Seeds: ``_seeds``; errors: ``_evaluate``.

At every checkpoint the trial appends its rows, saves the students (safetensors) and the
trainer state, each atomically, rows first; a restarted trial loads the state, drops rows of
later epochs and continues — bit-identical to an uninterrupted trial on CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from .._atomic import write_json_atomic, write_text_atomic
from ._baseline_trial import run_baseline_trial
from ._gd_trial import run_gd_trial
from ._spec import TrialSpec
from ._targets import load_targets

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
        if spec.learner == "robust":
            from ._robust_trial import run_robust_trial

            run_robust_trial(spec, config, tdir, report)
            write_json_atomic(tdir / "done.json", {"trial_id": spec.trial_id, "finished": time.time()})
            return tdir
        targets = load_targets(run_dir / spec.teachers_dir, config, list(spec.teachers))
        if spec.learner == "gd":
            run_gd_trial(spec, config, targets, run_dir, tdir, report)
        else:
            run_baseline_trial(spec, config, targets, tdir, report)
    except BaseException as exc:
        if not isinstance(exc, (KeyboardInterrupt, SystemExit)):  # interrupted, not failed
            message = f"{type(exc).__name__}: {exc}\n"
            write_text_atomic(tdir / "error.txt", message)
        raise
    finally:
        torch.set_num_threads(threads)
    write_json_atomic(tdir / "done.json", {"trial_id": spec.trial_id, "finished": time.time()})
    return tdir
