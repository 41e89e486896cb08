"""`uniformgap run`: everything validated before RUN_DIR exists, --overwrite, the resume hint on Ctrl-C."""

from __future__ import annotations

import pytest
import yaml

from uniformgap.cli import main
from uniformgap.experiments import _local, load_run

TINY = {
    "name": "tiny", "target": {"kind": "teacher", "d": 1, "n": 1, "depth": 3, "width": 4},
    "n_samples": [8], "seeds": [0],
    "student": {"depth": 3, "width": 4, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 2, "batch_size": 0.5},
    "evaluation": {"checkpoints": 1, "test_points": 256, "val_points": 64, "chunk_size": 256},
}


@pytest.fixture
def tiny_yaml(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


def test_ctrl_c_prints_the_exact_resume_command(tiny_yaml, tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_local, "run_local", interrupted)
    out = tmp_path / "run"
    assert main(["run", str(tiny_yaml), "--local", "--out", str(out)]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"uniformgap run: interrupted; continue with: uniformgap run --resume {out.resolve()} --local"
    )
    monkeypatch.undo()
    assert main(["run", "--resume", str(out.resolve()), "--local"]) == 0  # the printed command works
    assert load_run(out)[0]["epoch"].max() == 2


def test_non_empty_out_is_refused_unless_overwrite(tiny_yaml, tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["run", str(tiny_yaml), "--local", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"uniformgap run: error: `--out` directory {str(out)!r} is not empty (choose a new directory or pass --overwrite)\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]

    assert main(["run", str(tiny_yaml), "--local", "--out", str(out), "--overwrite"]) == 0
    trials = sorted(p.name for p in (out / "trials").iterdir())
    stale = out / "trials" / "stale-trial"
    stale.mkdir()
    capsys.readouterr()
    # a second --overwrite replaces what the run wrote (the stale trial goes) and keeps the user's file
    assert main(["run", str(tiny_yaml), "--local", "--out", str(out), "--overwrite"]) == 0
    assert sorted(p.name for p in (out / "trials").iterdir()) == trials
    assert (out / "notes.txt").read_text() == "mine"


def test_bad_targets_are_refused_before_the_run_directory_exists(tmp_path, capsys):
    hat = {**TINY, "target": {"kind": "hat", "d": 1, "M": 4.0, "y": [3.0]}}
    files = {**TINY, "target": {"kind": "file", "paths": [str(tmp_path / "missing.json")]}}
    for name, cfg in (("hat", hat), ("file", files)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        out = tmp_path / f"run-{name}"
        assert main(["run", str(path), "--local", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("uniformgap run: error: "), err
        assert not out.exists()


def test_an_address_where_no_cluster_answers_is_one_line_before_anything_is_written(tiny_yaml, tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "run"
    assert main(["run", str(tiny_yaml), "--address", f"127.0.0.1:{port}", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"uniformgap run: error: `--address` 127.0.0.1:{port}: no Ray cluster answers there (connection refused); start its "
        f"head with `ray start --head --port {port}` or give the head's address (e.g. --address 10.0.0.5:6379)"
    )
    assert not out.exists()
