"""run_experiment / `uniformgap run --local`: planning, files, determinism, errors, CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from uniformgap.cli import main
from uniformgap.experiments import load_config, load_run, plan_trials, resume_run, run_experiment
from uniformgap.experiments import _remote


def tiny(**extra) -> dict:
    cfg = {
        "name": "tiny", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
        "n_samples": [16, 32], "seeds": [0, 1],
        "student": {"depth": 3, "width": 8, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 6, "batch_size": 0.25},
        "evaluation": {"checkpoints": 2, "test_points": 1024, "val_points": 256, "chunk_size": 1024},
        "grid": {"student.width": [4, 8]},
    }
    cfg.update(extra)
    return cfg


def key_cols(df):
    return df[["config_id", "n_samples", "teacher", "seed", "epoch"]]


def test_local_run_writes_every_row_once_and_is_deterministic(tmp_path):
    a = run_experiment(load_config(tiny()), out=tmp_path / "a", executor="local", progress=False)
    b = run_experiment(load_config(tiny()), out=tmp_path / "b", executor="local", progress=False)
    assert a.status == "complete" and a.n_trials == 4  # 2 widths x 2 sizes
    # 2 widths x 2 m x 2 teachers x 2 seeds x 2 checkpoints
    assert len(a.table) == 32 and not key_cols(a.table).duplicated().any()
    assert set(a.table["student.width"]) == {4, 8}
    table, config = load_run(tmp_path / "a")
    assert config == load_config(tiny())
    pd.testing.assert_frame_equal(table, a.table)
    pd.testing.assert_frame_equal(
        a.table.drop(columns="wall_time_s"), b.table.drop(columns="wall_time_s"), check_exact=True
    )
    run_json = json.loads((tmp_path / "a" / "run.json").read_text())
    assert run_json["status"] == "complete" and run_json["n_trials"] == 4 and run_json["versions"]["torch"]
    assert sorted(p.name for p in (tmp_path / "a" / "teachers").iterdir()) == ["teacher_0.json", "teacher_1.json"]
    assert len(list((tmp_path / "a" / "tensorboard").rglob("events.out.tfevents.*"))) == 4
    assert len(list((tmp_path / "a" / "students").rglob("*.safetensors"))) == 8  # 4 trials x 2 checkpoints
    assert yaml.safe_load((tmp_path / "a" / "config.yaml").read_text())["grid"] == {"student.width": [4, 8]}


def test_errored_trial_is_reported_and_retried_on_resume(tmp_path, monkeypatch):
    real = _remote.run_trial
    broken = plan_trials(load_config(tiny()))[1].trial_id

    def flaky(spec, run_dir, **kw):
        if spec.trial_id == broken:
            raise RuntimeError("simulated node failure")
        return real(spec, run_dir, **kw)

    monkeypatch.setattr(_remote, "run_trial", flaky)
    first = run_experiment(load_config(tiny()), out=tmp_path / "r", executor="local", progress=False)
    assert first.status == "partial" and first.errors == {broken: "RuntimeError: simulated node failure"}
    assert len(first.table) == 24 and broken not in set(first.table["trial_id"])
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "partial"

    monkeypatch.setattr(_remote, "run_trial", real)
    second = resume_run(tmp_path / "r", executor="local", progress=False)
    ref = run_experiment(load_config(tiny()), out=tmp_path / "ref", executor="local", progress=False)
    assert second.status == "complete" and second.errors == {}
    pd.testing.assert_frame_equal(
        second.table.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"), check_exact=True
    )


def test_cli_json_and_one_line_errors(tmp_path, capsys):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(tiny(n_samples=[16], grid={})))
    out = tmp_path / "run"
    assert main(["run", str(cfg), "--local", "--out", str(out), "--json", "--set", "seeds=[3]"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "complete" and report["results"] == str(out.resolve() / "results.parquet")
    assert [r["n_samples"] for r in report["summary"]] == [16] and report["summary"][0]["linf"] > 0
    assert set(load_run(out)[0]["seed"]) == {3}

    cases = [
        (["run", "nope"], "uniformgap run: error: `config` must be a preset (e1, e1-quick, e2, e2-quick, e3, e3-quick, paper-1d, paper-3d, quick, sine-1d) "
                          "or a YAML file, got 'nope'"),
        (["run", str(cfg), "--set", "student.width=0"], "uniformgap run: error: config: student.width: must be an "
                                                       "integer >= 1, got 0"),
        (["run", str(cfg), "--local", "--out", str(out)], f"uniformgap run: error: `--out` directory {str(out)!r} "
                                                          f"already holds a run (continue it with --resume {out}, "
                                                          "or replace it with --overwrite)"),
        (["run", "--resume", str(tmp_path / "none")], "uniformgap run: error: `--resume` must name a run directory "
                                                      f"holding config.yaml, got {str(tmp_path / 'none')!r}"),
    ]
    for argv, line in cases:
        assert main(argv) == 2
        assert capsys.readouterr().err.strip() == line

    # a finished run resumes to the same table without running anything
    before = load_run(out)[0]
    assert main(["run", "--resume", str(out), "--local"]) == 0
    text = capsys.readouterr().out
    assert "worst-teacher error of the best configuration" in text and "results: " in text
    pd.testing.assert_frame_equal(load_run(out)[0], before)


def test_wandb_flag_without_wandb_is_one_notice(tmp_path, capsys):
    try:
        import wandb  # noqa: F401
        pytest.skip("wandb is installed here; the notice is for machines without it")
    except ImportError:
        pass
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(tiny(n_samples=[16], grid={}, seeds=[0])))
    assert main(["run", str(cfg), "--local", "--out", str(tmp_path / "w"), "--wandb"]) == 0
    err = capsys.readouterr().err
    assert ("uniformgap run: --wandb: wandb is not installed (pip install 'uniformgap[wandb]'); "
            "skipping W&B logging") in err.splitlines()


def test_network_metric_names_are_checked_at_planning():
    with pytest.raises(Exception) as exc:
        plan_trials(load_config(tiny(evaluation={"network_metrics": ["linf_magic"]})))
    assert str(exc.value).startswith("config: evaluation.network_metrics: unknown metric 'linf_magic' (allowed: ")


def test_tied_axis_runs_each_family_on_its_own_schedule(tmp_path):
    schedule = [{"student.batch_size": 0.25, "student.epochs": 6}, {"student.batch_size": 8, "student.epochs": 2}]
    cfg = tiny(n_samples=[16], seeds=[0], grid={"student.width": [4], "schedule": schedule})
    result = run_experiment(load_config(cfg), out=tmp_path / "run", executor="local", progress=False)
    table = result.table
    assert sorted(table["config_id"].unique()) == ["gd/width=4/batch_size=0.25/epochs=6", "gd/width=4/batch_size=8/epochs=2"]
    for config_id, rows in table.groupby("config_id"):
        epochs = 6 if "epochs=6" in config_id else 2
        assert sorted(rows["epoch"].unique()) == [epochs // 2, epochs]  # 2 evenly spaced checkpoints each
        assert set(rows["student.epochs"]) == {epochs}
        assert set(rows["batch_size"]) == {4 if epochs == 6 else 8}  # ⌈0.25 · 16⌉ and 8
    table_again, config = load_run(tmp_path / "run")  # the tied axis survives config.yaml (resume re-plans from it)
    assert config.grid["schedule"] == schedule
    pd.testing.assert_frame_equal(table_again, table)
