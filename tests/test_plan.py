"""`plan`: resolved schedules and counts against a brute-force enumeration; the paper's families;
the cost extrapolation's arithmetic; the CLI (JSON, one-line errors, nothing heavy at registration)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from uniformgap.cli import main
from uniformgap.experiments import load_config, plan_experiment

SMALL = {
    "name": "small",
    "target": {"kind": "teacher", "d": 1, "n": 3, "width": 8},
    "n_samples": [7, 40],
    "seeds": [0, 1],
    "student": {"depth": 3, "width": 8, "lr": 1e-3, "lr_final": 1e-5, "epochs": 4},
    "evaluation": {"checkpoints": 2, "test_points": 256, "val_points": 64},
    "execution": {"teachers_per_trial": 2},
    "grid": {"schedule": [{"student.batch_size": 0.5, "student.epochs": 6}, {"student.batch_size": 4, "student.epochs": 4}]},
}


def test_schedules_and_counts_match_a_brute_force_enumeration():
    plan = plan_experiment(load_config(SMALL), timed=False)
    # brute force: enumerate schedule x m x teacher chunk, count every minibatch of every epoch
    expected = []
    for frac_or_b, epochs in ((0.5, 6), (4, 4)):
        for m in (7, 40):
            B = min(m, math.ceil(frac_or_b * m) if frac_or_b < 1 else frac_or_b)
            batches = len([i for i in range(0, m, B)])  # x[i:i+B], the last one smaller
            for chunk in ((0, 1), (2,)):
                K = len(chunk) * 2
                expected.append((m, K, B, epochs, batches * epochs, (epochs // 2, epochs)))
    got = [(t.m, t.students, t.batch_size, t.epochs, t.gradient_steps, t.checkpoints) for t in plan.trials]
    assert got == expected
    assert [t.config_id for t in plan.trials[::4]] == ["gd/batch_size=0.5/epochs=6", "gd/batch_size=4/epochs=4"]
    for t in plan.trials:
        assert t.batch_fraction == t.batch_size / t.m
        assert t.gamma ** t.epochs == pytest.approx(1e-5 / 1e-3, rel=1e-12)  # lr reaches lr_final after E epochs
        assert t.evaluations == t.students * 2 and t.eval_points == 256 + 64
    counts = plan.counts
    assert counts["trials"] == 8 and counts["students"] == sum(e[1] for e in expected) == 24
    assert counts["gradient_steps"] == sum(K * steps for _, K, _, _, steps, _ in expected)
    assert counts["evaluations"] == 24 * 2 and counts["eval_points"] == 48 * 320
    assert plan.cpu_s is None and not plan.timed


def test_paper_1d_plan_trains_the_batch_100_family_1000_epochs(capsys):
    assert main(["plan", "paper-1d", "--no-time", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["trials"] == 144 and out["counts"]["students"] == 4320 and out["cpu_s"] is None
    for t in out["trials"]:
        if "/batch_size=100/" in t["config_id"]:
            assert (t["epochs"], t["checkpoints"]) == (1000, [200, 400, 600, 800, 1000])
            assert t["gamma"] == pytest.approx((1e-6 / 1e-4) ** (1 / 1000), rel=1e-12)
        else:
            assert (t["epochs"], t["checkpoints"]) == (5000, [1000, 2000, 3000, 4000, 5000])
            assert t["gamma"] == pytest.approx((1e-6 / 1e-4) ** (1 / 5000), rel=1e-12)
            assert t["batch_size"] == math.ceil(t["m"] * (0.2 if "batch_size=0.2/" in t["config_id"] else 0.02))
    assert sum(t["epochs"] == 1000 for t in out["trials"]) == 48  # 3 widths x 4 m x 4 teacher chunks


def test_timed_estimate_is_a_per_student_step_model_times_the_schedule(one_thread):
    plan = plan_experiment(load_config(SMALL), timed=True)
    assert plan.timed and plan.notes[0].startswith("cpu_s is an extrapolation")
    for t in plan.trials:
        assert t.train_cpu_s > 0 and t.eval_cpu_s > 0 and t.cpu_s == t.train_cpu_s + t.eval_cpu_s
    assert plan.cpu_s == pytest.approx(sum(t.cpu_s for t in plan.trials))
    # the same student shape: training cost proportional to the gradient steps, evaluation cost
    # proportional to the points evaluated ((test + val + m) per checkpoint)
    pairs = [(x, y) for x in plan.trials for y in plan.trials if x.students == y.students and x is not y]
    assert any(x.batch_size == y.batch_size and x.epochs != y.epochs for x, y in pairs)
    for x, y in pairs:
        if x.batch_size == y.batch_size:
            assert x.train_cpu_s / y.train_cpu_s == pytest.approx(x.gradient_steps / y.gradient_steps, rel=1e-12)
        ratio = (x.eval_points + x.m) * len(x.checkpoints) / ((y.eval_points + y.m) * len(y.checkpoints))
        assert x.eval_cpu_s / y.eval_cpu_s == pytest.approx(ratio, rel=1e-12)


def test_baseline_trials_are_listed_but_not_timed(one_thread):
    plan = plan_experiment(load_config({**SMALL, "grid": {"learner": ["gd", "poly"]}}), timed=True)
    poly = [t for t in plan.trials if t.learner == "poly"]
    assert poly and all(t.cpu_s is None and t.epochs is None and t.gradient_steps == 0 for t in poly)
    assert plan.cpu_s is None and any("not timed" in n for n in plan.notes)


def test_cli_text_table_and_one_line_errors(capsys):
    assert main(["plan", "sine-1d", "--no-time"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("plan of 'sine-1d': 1 trials")
    assert "every 1000 to 5000" in out and "totals: 1 trials, 1 students trained" in out
    assert main(["plan", "quick", "--set", "n_samples=[10, 10]", "--no-time"]) == 2
    err = capsys.readouterr().err
    assert err == "uniformgap plan: error: config: n_samples: must hold distinct values (10 appears twice), got [10, 10]\n"


def test_registration_imports_nothing_heavy():
    code = (
        "import argparse, sys; from uniformgap.cli import _plan, _run; "
        "p = argparse.ArgumentParser(); sub = p.add_subparsers(); _plan.register(sub); _run.register(sub); "
        "print(sorted(m for m in ('torch', 'pandas', 'matplotlib', 'uniformgap.experiments') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
