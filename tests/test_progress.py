"""The driver's live view advances per checkpoint: epochs on the bar, tracker rows as they arrive
(in-process and on Ray)."""

from __future__ import annotations

import pandas as pd
import pytest

from uniformgap.experiments import _progress, _run, load_config, plan_trials, run_experiment

CONFIG = {
    "name": "tiny-progress", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
    "n_samples": [16, 32], "seeds": [0, 1],
    "student": {"depth": 3, "width": 8, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 6, "batch_size": 0.25},
    "evaluation": {"checkpoints": 3, "test_points": 512, "val_points": 128, "chunk_size": 512},
    "execution": {"cpus_per_trial": 1, "max_failures": 0},
}


class Recorder:
    """A tracker recording each call: trial, epochs given, whether the trial was done by then."""

    def __init__(self, run_dir):
        self.run_dir, self.calls, self.rows = run_dir, [], []

    def log_trial(self, trial_id, rows):
        done = (self.run_dir / "trials" / trial_id / "done.json").is_file()
        self.calls.append((trial_id, sorted(set(rows["epoch"])), done))
        self.rows.append(rows)

    def finish_trial(self, trial_id):
        pass

    def close(self):
        pass


def watch(monkeypatch, run_dir):
    """Record the tracker calls and the bar's (done, total) after every report."""
    tracker, seen = Recorder(run_dir), []
    monkeypatch.setattr(_run, "make_trackers", lambda *a, **k: [tracker])

    class Watched(_progress.RunProgress):
        def checkpoint(self, spec, epoch):
            super().checkpoint(spec, epoch)
            seen.append((spec.trial_id, epoch, self.epochs_done, self.epochs_total))

    monkeypatch.setattr(_run, "RunProgress", Watched)
    return tracker, seen


def check_live_view(result, tracker, seen, config):
    specs = plan_trials(config)
    # checkpoints at epochs 2, 4, 6 of 6 per trial (m = 16 [, 32])
    total = 6 * len(specs)
    assert [(t, e) for t, e, _, _ in seen] == [(s.trial_id, e) for s in specs for e in (2, 4, 6)]
    assert [done for _, _, done, _ in seen] == list(range(2, total + 1, 2)) and {t for *_, t in seen} == {total}
    # each checkpoint's rows reach the tracker once, as they arrive: before the trial is done
    assert [(t, e) for t, e, _ in tracker.calls] == [(s.trial_id, [e]) for s in specs for e in (2, 4, 6)]
    assert not any(done for *_, done in tracker.calls)
    logged = pd.concat(tracker.rows, ignore_index=True)
    keys = ["trial_id", "teacher", "seed", "epoch"]
    assert not logged.duplicated(keys).any() and len(logged) == len(result.table)
    merged = result.table.merge(logged, on=keys, suffixes=("", "_logged"))
    assert (merged["val_l2"] == merged["val_l2_logged"]).all()


def test_local_run_reports_every_checkpoint(tmp_path, monkeypatch):
    tracker, seen = watch(monkeypatch, (tmp_path / "run").resolve())
    result = run_experiment(load_config(CONFIG), out=tmp_path / "run", executor="local", progress=False)
    assert result.status == "complete"
    check_live_view(result, tracker, seen, load_config(CONFIG))


def test_resumed_progress_counts_saved_checkpoints(tmp_path):
    result = run_experiment(load_config(CONFIG), out=tmp_path / "run", executor="local", progress=False)
    first, second = plan_trials(load_config(CONFIG))
    tdir = result.run_dir / "trials" / second.trial_id
    (tdir / "done.json").unlink()
    rows = pd.read_parquet(tdir / "rows.parquet")
    rows[rows["epoch"] <= 2].to_parquet(tdir / "rows.parquet", index=False)
    live = _progress.RunProgress(result.run_dir, [first, second], {first.trial_id}, [], enabled=False)
    assert (live.epochs_done, live.epochs_total) == (6 + 2, 12)
    live.checkpoint(second, 4)
    live.finished(second)
    assert live.epochs_done == 12


@pytest.mark.slow
def test_ray_run_reports_every_checkpoint(tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        tracker, seen = watch(monkeypatch, (tmp_path / "run").resolve())
        config = load_config({**CONFIG, "n_samples": [16]})  # one trial: one Ray worker to start
        result = run_experiment(config, out=tmp_path / "run", executor="ray", progress=False)
    finally:
        ray.shutdown()
    assert result.status == "complete", result.errors
    check_live_view(result, tracker, seen, config)


def test_trials_that_appear_during_the_run_count_from_zero(tmp_path):
    """A search's configurations become known at their first report, when their first rows are
    already on disk: those rows are this session's, counted and logged."""
    result = run_experiment(load_config(CONFIG), out=tmp_path / "run", executor="local", progress=False)
    first, second = plan_trials(load_config(CONFIG))
    paths = [result.run_dir / "trials" / s.trial_id / "rows.parquet" for s in (first, second)]
    full = [pd.read_parquet(p) for p in paths]
    for path, rows in zip(paths, full):  # as on disk at each trial's first report
        rows[rows["epoch"] <= 2].to_parquet(path, index=False)
    tracker = Recorder(result.run_dir)
    live = _progress.RunProgress(result.run_dir, [], set(), [tracker], enabled=False, extra_total=2 * 8, reserve=8)
    assert (live.epochs_done, live.epochs_total) == (0, 16)
    live.checkpoint(first, 2)
    full[0].to_parquet(paths[0], index=False)
    assert (live.epochs_done, live.epochs_total) == (2, 6 + 8)  # the reserve of 8 became the trial's 6 epochs
    live.finished(first)
    live.checkpoint(second, 2)
    assert (live.epochs_done, live.epochs_total) == (6 + 2, 12)
    assert [(t, e) for t, e, _ in tracker.calls] == [(first.trial_id, [2]), (first.trial_id, [4, 6]),
                                                    (second.trial_id, [2])]
