"""Where each trial ran: attempt records (nodes.json) and their collection in run.json."""

from __future__ import annotations

import json
import os
import socket

from uniformgap.experiments import _remote, load_config, plan_trials, run_experiment
from uniformgap.experiments._nodes import record_attempt, this_host, trial_nodes

CONFIG = {
    "name": "tiny-nodes", "target": {"kind": "teacher", "d": 1, "n": 1, "depth": 2, "width": 4},
    "n_samples": [8, 16], "seeds": [0],
    "student": {"depth": 2, "width": 4, "lr": 1.0e-2, "epochs": 2, "batch_size": 0.5},
    "evaluation": {"checkpoints": 1, "test_points": 64, "val_points": 64, "chunk_size": 64},
    "execution": {"max_failures": 1},
}


def test_attempts_are_appended_in_order_and_collected_per_started_trial(tmp_path):
    record_attempt(tmp_path / "trials" / "a", {"host": "n1", "node_id": "x"})
    record_attempt(tmp_path / "trials" / "a", {"host": "n2", "node_id": "y"})
    record_attempt(tmp_path / "trials" / "c", {"host": "n1", "node_id": "x"})
    nodes = trial_nodes(tmp_path, ["a", "b", "c"])
    assert list(nodes) == ["a", "c"]  # b never started
    assert [a["host"] for a in nodes["a"]] == ["n1", "n2"]
    assert all(a["pid"] == os.getpid() for a in nodes["a"])
    assert nodes["a"][0]["started"] <= nodes["a"][1]["started"]
    assert this_host()["host"] == socket.gethostname()


def test_local_run_records_every_attempt_on_this_host(tmp_path, monkeypatch, one_thread):
    specs = plan_trials(load_config(CONFIG))
    real, flaky = _remote.run_trial, specs[1].trial_id
    failed = []

    def fail_once(spec, run_dir, **kw):
        if spec.trial_id == flaky and not failed:
            failed.append(spec.trial_id)
            raise RuntimeError("node lost")
        return real(spec, run_dir, **kw)

    monkeypatch.setattr(_remote, "run_trial", fail_once)
    result = run_experiment(load_config(CONFIG), out=tmp_path / "run", executor="local", progress=False)
    assert result.status == "complete" and failed == [flaky]
    nodes = json.loads((tmp_path / "run" / "run.json").read_text())["nodes"]
    assert {tid: len(attempts) for tid, attempts in nodes.items()} == {specs[0].trial_id: 1, flaky: 2}
    assert all(a["host"] == socket.gethostname() for attempts in nodes.values() for a in attempts)
