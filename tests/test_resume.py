"""Kill-and-resume: SIGKILL a running `uniformgap run`, resume it, compare with an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from uniformgap.experiments import load_config, resume_run, run_experiment

CONFIG = {
    "name": "killme", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
    "n_samples": [16, 32, 48], "seeds": [0, 1],
    "student": {"depth": 3, "width": 16, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 80, "batch_size": 0.25},
    "evaluation": {"checkpoints": 4, "test_points": 8192, "val_points": 512, "chunk_size": 4096},
}


@pytest.mark.slow
def test_sigkill_after_first_checkpoint_then_resume(tmp_path):
    cfg = tmp_path / "killme.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    run_dir = tmp_path / "run"
    uniformgap = Path(sys.executable).with_name("uniformgap")
    proc = subprocess.Popen(
        [str(uniformgap), "run", str(cfg), "--local", "--out", str(run_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while not list(run_dir.glob("trials/*/state.pt")):
            assert proc.poll() is None, "the run ended before its first checkpoint"
            assert time.time() < deadline, "no checkpoint within 60 s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # our own child's process group only
        proc.wait()
    done = list(run_dir.glob("trials/*/done.json"))
    assert len(done) < 3, "the run finished before it was killed; the test proves nothing"

    resumed = resume_run(run_dir, executor="local", progress=False)
    ref = run_experiment(load_config(CONFIG), out=tmp_path / "ref", executor="local", progress=False)
    assert resumed.status == "complete"
    keys = ["config_id", "n_samples", "teacher", "seed", "epoch"]
    # every expected row exactly once: 3 sizes x 2 teachers x 2 seeds x 4 checkpoints
    assert len(resumed.table) == 48 and not resumed.table.duplicated(keys).any()
    pd.testing.assert_frame_equal(
        resumed.table.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"), check_exact=True
    )
    on_disk = pd.read_parquet(run_dir / "results.parquet")
    pd.testing.assert_frame_equal(on_disk, resumed.table)


def test_corrupt_checkpoint_is_named_set_aside_and_recomputed(tmp_path, capsys):
    small = {**CONFIG, "n_samples": [16], "seeds": [0], "student": {**CONFIG["student"], "epochs": 20},
             "evaluation": {**CONFIG["evaluation"], "checkpoints": 2}}
    ref = run_experiment(load_config(small), out=tmp_path / "ref", executor="local", progress=False)
    run_dir = tmp_path / "run"
    run_experiment(load_config(small), out=run_dir, executor="local", progress=False)
    (trial,) = list(run_dir.glob("trials/*"))
    (trial / "done.json").unlink()  # as if killed after its last checkpoint was written
    (trial / "state.pt").write_bytes(b"not a torch checkpoint")
    capsys.readouterr()

    resumed = resume_run(run_dir, executor="local", progress=False)

    err = capsys.readouterr().err
    assert f"checkpoint {str(trial / 'state.pt')!r} is unreadable" in err
    (aside,) = list(trial.glob("state.pt.corrupt-*"))
    assert aside.read_bytes() == b"not a torch checkpoint"
    assert resumed.status == "complete"
    pd.testing.assert_frame_equal(
        resumed.table.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"), check_exact=True
    )
