"""A tiny end-to-end run on Ray Tune (one local Ray instance for the module)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from uniformgap.experiments import _remote, load_config, plan_trials, resume_run, run_experiment

ray = pytest.importorskip("ray")

CONFIG = {
    "name": "tiny-ray", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
    "n_samples": [16, 32], "seeds": [0, 1],
    "student": {"depth": 3, "width": 8, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 6, "batch_size": 0.25},
    "evaluation": {"checkpoints": 2, "test_points": 1024, "val_points": 256, "chunk_size": 1024},
    "execution": {"cpus_per_trial": 1, "max_failures": 0},
    "grid": {"student.width": [4, 8]},
}


@pytest.fixture(scope="module")
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def table(result):
    return result.table.drop(columns="wall_time_s")


@pytest.mark.slow
def test_ray_run_and_ray_resume_equal_the_local_run(tmp_path, ray_session, monkeypatch):
    ref = run_experiment(load_config(CONFIG), out=tmp_path / "local", executor="local", progress=False)

    on_ray = run_experiment(load_config(CONFIG), out=tmp_path / "ray", progress=False)
    assert on_ray.status == "complete" and on_ray.n_trials == 4, on_ray.errors
    pd.testing.assert_frame_equal(table(on_ray), table(ref), check_exact=True)
    assert list((tmp_path / "ray" / "ray").glob("session-*"))  # Tune's own experiment directory

    # a run whose trials after the first failed (e.g. lost nodes), finished on Ray by --resume
    real, first = _remote.run_trial, plan_trials(load_config(CONFIG))[0].trial_id

    def only_first(spec, run_dir, **kw):
        if spec.trial_id != first:
            raise RuntimeError("node lost")
        return real(spec, run_dir, **kw)

    monkeypatch.setattr(_remote, "run_trial", only_first)
    partial = run_experiment(load_config(CONFIG), out=tmp_path / "resume", executor="local", progress=False)
    assert partial.status == "partial" and len(partial.errors) == 3
    resumed = resume_run(tmp_path / "resume", progress=False)
    assert resumed.status == "complete" and resumed.errors == {}, resumed.errors
    pd.testing.assert_frame_equal(table(resumed), table(ref), check_exact=True)
    sessions = json.loads((tmp_path / "resume" / "run.json").read_text())["sessions"]
    assert [s["executor"] for s in sessions] == ["local", "ray"]
