"""One trial: rows, metrics recomputed independently, divergence, checkpoint continuation, baselines."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from uniformgap.experiments import load_config, load_trained, plan_trials, random_teacher, stable_seed
from uniformgap.experiments._run import _write_targets
import uniformgap.learners
from uniformgap.experiments._trial import run_trial
from uniformgap.metrics import mc_points
from uniformgap.networks import ReLUNetwork, save_network


def tiny(**extra) -> dict:
    cfg = {
        "name": "tiny", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
        "n_samples": [24], "seeds": [0, 1],
        "student": {"depth": 3, "width": 8, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 12, "batch_size": 0.25},
        "evaluation": {"checkpoints": 3, "test_points": 2048, "val_points": 512, "chunk_size": 1024},
    }
    cfg.update(extra)
    return cfg


# The results table's columns of a gd trial, in order, as docs/architecture.md specifies them
# (written out here, not imported from the code under test).
COLUMNS = ["learner", "config_id", "trial_id", "n_samples", "teacher", "seed",
           "student.width", "student.depth", "batch_size", "epoch", "train_loss", "l1", "l2", "linf",
           "val_l1", "val_l2", "val_linf", "wall_time_s", "diverged"]


def prepare(tmp_path, raw):
    config = load_config(raw)
    specs = plan_trials(config)
    _write_targets(tmp_path, specs)
    return config, specs


def without_wall(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["wall_time_s"]).reset_index(drop=True)


def test_rows_columns_and_metrics_recomputed_from_saved_students(tmp_path):
    config, (spec,) = prepare(tmp_path, tiny())
    run_trial(spec, tmp_path)
    rows = pd.read_parquet(tmp_path / "trials" / spec.trial_id / "rows.parquet")
    assert list(rows.columns) == COLUMNS
    # 2 teachers x 2 seeds x 3 checkpoints, each (teacher, seed, epoch) exactly once
    assert len(rows) == 12 and not rows.duplicated(["teacher", "seed", "epoch"]).any()
    assert sorted(rows["epoch"].unique()) == [4, 8, 12]
    assert set(rows["batch_size"]) == {6}  # ⌈0.25 · 24⌉
    for _, row in rows[rows["epoch"] == 8].iterrows():
        target, student, x, y = load_trained(tmp_path, row)
        assert x.shape == (24, 1) and torch.equal(y, target(x))
        # the same test points as the trial (seed rule of _trial), errors in NumPy
        g = torch.Generator().manual_seed(stable_seed(0, "test", 24, 8))
        pts = torch.cat(list(mc_points(2048, d=1, domain=(-0.5, 0.5), chunk_size=1024, generator=g)))
        err = np.abs(student(pts).detach().numpy().ravel() - target(pts).numpy())
        assert row["l1"] == pytest.approx(err.mean(), rel=1e-9)
        assert row["l2"] == pytest.approx(np.sqrt((err**2).mean()), rel=1e-9)
        assert row["linf"] == pytest.approx(err.max(), rel=1e-9)
        assert row["val_l2"] != row["l2"]  # an independent sample
        # the stored train loss is the MSE of the stored student on the regenerated data
        mse = float((student(x).detach().reshape(-1) - y).square().mean())
        assert row["train_loss"] == pytest.approx(mse, rel=1e-9)


def test_diverging_student_is_recorded_not_dropped(tmp_path):
    # teacher 1 outputs ~1e200: its squared error overflows, so that student diverges
    good = random_teacher(1, 3, 8, 0.5, seed=0)
    A, b = good.layers[-1]
    huge = ReLUNetwork([*good.layers[:-1], (A, b + 1e200)])
    paths = [str(save_network(good, tmp_path / "good.json")), str(save_network(huge, tmp_path / "huge.json"))]
    config, (spec,) = prepare(tmp_path, tiny(target={"kind": "file", "paths": paths}))
    run_trial(spec, tmp_path)
    rows = pd.read_parquet(tmp_path / "trials" / spec.trial_id / "rows.parquet")
    assert len(rows) == 12
    bad, ok = rows[rows["teacher"] == 1], rows[rows["teacher"] == 0]
    assert bad["diverged"].all() and not ok["diverged"].any()
    assert bad[["train_loss", "l1", "l2", "linf", "val_l2"]].isna().all().all()
    assert np.isfinite(ok[["train_loss", "l1", "l2", "linf"]].to_numpy()).all()


def test_interrupted_trial_continues_bit_identically(tmp_path):
    ref_dir, cut_dir = tmp_path / "ref", tmp_path / "cut"
    _, (spec,) = prepare(ref_dir, tiny())
    prepare(cut_dir, tiny())
    run_trial(spec, ref_dir)

    def stop_after_first(metrics):
        raise KeyboardInterrupt  # as Ctrl-C right after the first checkpoint was written

    with pytest.raises(KeyboardInterrupt):
        run_trial(spec, cut_dir, report=stop_after_first)
    partial = pd.read_parquet(cut_dir / "trials" / spec.trial_id / "rows.parquet")
    assert sorted(partial["epoch"].unique()) == [4]
    assert not (cut_dir / "trials" / spec.trial_id / "done.json").exists()
    run_trial(spec, cut_dir)
    a = pd.read_parquet(ref_dir / "trials" / spec.trial_id / "rows.parquet")
    b = pd.read_parquet(cut_dir / "trials" / spec.trial_id / "rows.parquet")
    pd.testing.assert_frame_equal(without_wall(a), without_wall(b), check_exact=True)


class _NearestNeighbour:
    """A stand-in baseline: queries m points of a grid, predicts the nearest sample."""

    def learn(self, oracle, m, *, d, domain, seed):
        lo, hi = domain
        xs = torch.linspace(lo, hi, m, dtype=torch.float64)[:, None]
        ys = oracle(xs)
        return lambda x: ys[torch.cdist(x, xs).argmin(dim=1)]


def test_baseline_trial_runs_per_member_through_the_protocol(tmp_path, monkeypatch):
    monkeypatch.setattr(uniformgap.learners, "make_learner", lambda name, **kw: _NearestNeighbour())
    config, (spec,) = prepare(tmp_path, tiny(learner="grid"))
    run_trial(spec, tmp_path)
    rows = pd.read_parquet(tmp_path / "trials" / spec.trial_id / "rows.parquet")
    assert len(rows) == 4 and set(rows["epoch"]) == {0} and (rows["train_loss"] == 0).all()
    assert rows["student.width"].isna().all() and rows["batch_size"].isna().all()
    # nearest neighbour on a grid of 24 points: both seeds give the same predictor
    for _, same in rows.groupby("teacher"):
        assert same["l2"].nunique() == 1 and math.isfinite(same["linf"].iloc[0])
    spec_file = json.loads((tmp_path / "trials" / spec.trial_id / "spec.json").read_text())
    assert spec_file["learner"] == "grid" and spec_file["checkpoints"] == [0]
