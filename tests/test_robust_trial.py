"""Robust experiments in the engine (experiments/_robust_config.py, _robust_trial.py, _robust_table.py):
config errors, a tiny run end to end, the row's columns against independent computations, resume."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from uniformgap import InputError
from uniformgap.experiments import load_config, plan_trials, resume_run, run_experiment
from uniformgap.experiments._robust_trial import training_draws
from uniformgap.robust import build_c1, theorem43_instance
from uniformgap.robust._training import split_validation

TINY = {
    "name": "tiny-robust", "experiment": "robust", "seeds": [0],
    "robust": {"epochs": 8, "curve_every": 4, "n_draws": 5, "width": 3, "eval": {"steps": 5, "restarts": 1}},
    "grid": {"robust.d": [2, 3], "robust.training": ["whole-support", "sample"]},
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("robust") / "run"
    result = run_experiment(TINY, out=out, executor="local", progress=False)
    return result


def test_config_errors_name_the_key():
    cases = [
        ({"experiment": "robust", "grid": {"student.width": [2, 4]}},
         "config: grid.student.width: an experiment: robust sweeps robust.* keys only, got 'student.width' "
         "(e.g. grid.robust.width: [4, 16, 64])"),
        ({"experiment": "robust", "robust": {"d": 25}},
         "config: robust.d: must be small enough that M = K^(d-1) <= 1e7 (K = 2 for eps = 0.25), got 25"),
        ({"experiment": "robust", "robust": {"training": "all"}},
         "config: robust.training: must be one of 'whole-support' or 'sample', got 'all'"),
        ({"experiment": "robust", "robust": {"eval": {"stepz": 3}}},
         "config: unknown key 'robust.eval.stepz' (allowed: steps, restarts, step_size_factor, losses, library, "
         "library_iterations, library_targets, certify, batch_size, bootstrap, bootstrap_level, bootstrap_seed)"),
        ({"experiment": "robst"}, "config: experiment: must be one of 'regression' or 'robust', got 'robst'"),
        ({"experiment": "robust", "robust": {"manifold": "torus", "k": 3, "d": 5}},
         "config: robust.d: must be >= 6 for manifold 'torus' with k = 3 (the embedding needs d >= 2k), got 5"),
        ({"experiment": "robust", "robust": {"manifold": "linear", "k": 25, "d": 30}},
         "config: robust.k: must be small enough that M = K^(k-1) <= 1e7 (K = 2 for eps = 0.25), got 25"),
        ({"experiment": "robust", "robust": {"manifold": "torus", "rotate": True, "k": 10, "d": 20}},
         "config: robust.k: must be <= 9 for a rotated torus (r*sqrt(k) <= 1/2 keeps it in the cube; e.g. rotate: false), got 10"),
        ({"experiment": "robust", "robust": {"manifold": "sphere"}},
         "config: robust.manifold: must be one of 'linear' or 'torus', got 'sphere'"),
    ]
    for raw, message in cases:
        with pytest.raises(InputError) as exc:
            load_config(raw)
        assert str(exc.value) == message


def test_plan_is_one_trial_per_variant_and_seed():
    config = load_config({**TINY, "seeds": [0, 1]})
    specs = plan_trials(config)
    assert [s.trial_id for s in specs][:3] == [
        "robust,d=2,training=whole-support__s0", "robust,d=2,training=whole-support__s1", "robust,d=2,training=sample__s0"]
    assert len(specs) == 8 and all(len(s.seeds) == 1 and s.learner == "robust" for s in specs)
    # points trained on: M = 2^(d-1) for the whole support, N draws for a sample
    assert [s.m for s in specs if s.seeds == (0,)] == [2, 5, 4, 5]


def test_tiny_run_rows(tiny_run):
    t = tiny_run.table
    assert tiny_run.status == "complete" and len(t) == 4
    assert (t["learner"] == "robust").all() and not t["diverged"].any()
    for _, row in t.iterrows():
        d = int(row["d"])
        inst = theorem43_instance(d, 0.25, 0.5, seed=0)
        assert (row["K"], row["M"], row["delta"], row["eps0"]) == (2, 2 ** (d - 1), 0.125, pytest.approx(0.0125))
        # one-output size by hand: d*3 + 3*3 + 3*1 weights; parameters of the 2-logit net: (d+1)*3 + 4*3 + 4*2
        assert row["size"] == 3 * d + 12 and row["n_params"] == 3 * (d + 1) + 12 + 8
        # f_lin = x_d - 1/2: clean on the support, fooled at every column (its sign at s~_i is 0)
        assert row["linear_clean_error"] == 0.0 and row["linear_robust_error"] == 1.0
        # verified witnesses (attack and s~_i) bound the robust error from below, certificates from above
        assert row["witness_lb"] <= row["test_robust_error"] <= row["test_certified_error"] + 1e-12
        assert row["test_clean_error"] <= row["test_robust_error"]
        n_a, n_b = int((inst.labels == 1).sum()), int((inst.labels == -1).sum())
        if n_a and n_b:  # C1's size: count the built network's non-zero weights
            net = build_c1(inst.support[inst.labels == 1], inst.support[inst.labels == -1])
            assert row["c1_size"] == net.nnz_weights
        else:
            assert pd.isna(row["c1_size"])
        if row["training"] == "whole-support":
            assert row["n_samples"] == inst.M and row["unseen_fraction"] == 0.0 and math.isnan(row["val_robust_error"])
            # trained and evaluated on the same points S: the train split is the test split
            assert row["train_robust_error"] == row["test_robust_error"] >= row["witness_lb"]
        else:  # unseen columns by brute force: the draws minus the validation split
            config = load_config(TINY)
            rc = config.robust.model_copy(update={"d": d, "training": "sample"})
            draws = training_draws(rc, 0, 0)
            fit, _ = split_validation(len(draws), rc.val_fraction, 0)
            seen = {int(i) for i in draws[fit]}
            assert row["n_samples"] == 5
            assert row["unseen_fraction"] == pytest.approx(1 - len(seen) / inst.M)


def test_resume_keeps_finished_trials(tiny_run):
    run_dir = tiny_run.run_dir
    trials = sorted((run_dir / "trials").iterdir())
    kept, redo = trials[0], trials[1]
    stamp = (kept / "rows.parquet").stat().st_mtime_ns
    for f in redo.iterdir():
        f.unlink()
    redo.rmdir()
    result = resume_run(run_dir, executor="local", progress=False)
    assert result.status == "complete" and len(result.table) == 4
    assert (kept / "rows.parquet").stat().st_mtime_ns == stamp  # not rerun
    assert (redo / "done.json").is_file()
    before = tiny_run.table.set_index("trial_id")
    after = result.table.set_index("trial_id")
    assert np.allclose(before.loc[redo.name, "test_robust_error"], after.loc[redo.name, "test_robust_error"])


SHRINK = ["seeds=[0]", "robust.epochs=4", "robust.curve_every=2", "robust.eval.steps=3", "robust.eval.restarts=1",
          "grid.robust.d=[2,3]"]


@pytest.mark.parametrize("preset, extra, rows", [
    ("e1-quick", ["grid.robust.width=[2]"], 2),
    ("e2-quick", ["robust.n_draws=4", "robust.width=2"], 4),
    ("e3-quick", ["grid.robust.width=[2]", "grid.robust.k=[2]", "grid.robust.d=[4,5]"], 4),
])
def test_quick_presets_run_at_a_small_size(tmp_path, preset, extra, rows):
    result = run_experiment(preset, overrides=SHRINK + extra, out=tmp_path / "run", executor="local", progress=False)
    assert result.status == "complete" and len(result.table) == rows
    assert set(result.table["training"]) == ({"whole-support", "sample"} if preset == "e2-quick" else {"whole-support"})


def test_full_presets_plan_the_documented_grids():
    for name, n_trials, trainings in (("e1", 11 * 9 * 3, {"whole-support"}), ("e2", 11 * 2 * 3, {"whole-support", "sample"}),
                                      ("e1-quick", 4 * 3 * 2, {"whole-support"}), ("e2-quick", 5 * 2 * 2, {"whole-support", "sample"}),
                                      ("e3-quick", 2 * 3 * 2 * 3, {"whole-support"}), ("e3", 2 * 6 * 4 * 8 * 3, {"whole-support"})):
        specs = plan_trials(load_config(name))
        assert len(specs) == n_trials
        assert {s.experiment_config().robust.training for s in specs} == trainings


def test_plan_resolves_the_robust_schedule():
    from uniformgap.experiments import plan_experiment

    plan = plan_experiment(load_config({**TINY, "robust": {**TINY["robust"], "batch_size": 3}}), timed=False)
    # whole support of d = 3: M = 4 points in batches of 3 -> 2 Adam steps per epoch, 8 epochs
    t = next(t for t in plan.trials if t.config_id == "robust/d=3/training=whole-support")
    assert (t.m, t.batch_size, t.steps_per_epoch, t.gradient_steps, t.eval_points) == (4, 3, 2, 16, 8)
    assert plan.counts["trials"] == 4


E3_TINY = {
    "name": "tiny-e3", "experiment": "robust", "seeds": [0],
    "robust": {"d": 6, "epochs": 8, "curve_every": 4, "width": 3, "eval": {"steps": 5, "restarts": 1}},
    "grid": {"robust.manifold": ["linear", "torus"], "robust.k": [2, 3], "robust.d": [6, 7]},
}


def test_tiny_e3_run_rows(tmp_path, capsys):
    import json

    from _cli import run_cli
    from uniformgap.robust import Embedding

    result = run_experiment(E3_TINY, out=tmp_path / "run", executor="local", progress=False)
    t = result.table
    assert result.status == "complete" and len(t) == 8 and not t["diverged"].any()
    for _, row in t.iterrows():
        k, d, kind = int(row["k"]), int(row["d"]), row["manifold"]
        inst = theorem43_instance(k, 0.25, 0.5, seed=0)
        assert (row["K"], row["M"]) == (2, 2 ** (k - 1))
        assert row["size"] == 3 * d + 12  # the classifier lives on R^d: its first layer has d*3 weights
        assert row["witness_lb"] <= row["test_robust_error"] and row["unverified"] == 0
        assert row["linear_clean_error"] == 0.0 and row["linear_robust_error"] == 1.0
        if kind == "linear":  # folded chart: certified, sandwich holds
            assert row["test_robust_error"] <= row["test_certified_error"] + 1e-12
        else:  # no certificate through cos/sin
            assert math.isnan(row["test_certified_error"])
        n_a, n_b = int((inst.labels == 1).sum()), int((inst.labels == -1).sum())
        if n_a and n_b:  # C1 built on M's span coordinates: count the built network's non-zero weights
            m = k if kind == "linear" else 2 * k
            x = Embedding(kind, k, d).embed(inst.support)[:, :m]
            net = build_c1(x[inst.labels == 1], x[inst.labels == -1])
            assert row["c1_size"] == net.nnz_weights
            assert row["c1_on"] == ("chart R^k" if kind == "linear" else "span R^2k")
    # the same k: C1's size does not depend on d
    assert t.groupby(["manifold", "k"])["c1_size"].nunique(dropna=False).max() == 1
    # analysed by command: one W*(k, d) row per (manifold, k, d), the E3 figure written, no E1 capacity rows
    code, out, _ = run_cli(["analyze", str(result.run_dir), "--json", "--figures", str(tmp_path / "fig")], capsys)
    a = json.loads(out)
    assert code == 0 and a["capacity"] == [] and len(a["manifold"]) == 8
    assert {(r["manifold"], r["k"], r["d"]) for r in a["manifold"]} == {
        (m, k, d) for m in ("linear", "torus") for k in (2, 3) for d in (6, 7)}
    assert (tmp_path / "fig" / "e3_manifold.png").is_file()
