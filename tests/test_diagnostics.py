"""Fit diagnostics and the worst-error location: hand-built tables and sample sets, and a tiny
real run checked against brute force (dense grid, nearest sample by numpy)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from uniformgap.analysis import analyze
from uniformgap.analysis._diagnostics import RHO_SAMPLING, fit_diagnostics, locate, nearest_distance, regime


def _rows(cfg, m, epoch, rmse, l2, diverged=False):
    return [{"config_id": cfg, "teacher": t, "seed": 0, "n_samples": m, "epoch": epoch, "train_loss": r * r,
             "l2_exact": e, "diverged": diverged} for t, (r, e) in enumerate(zip(rmse, l2))]


def test_fit_uses_final_checkpoints_medians_and_the_threshold():
    rows = (
        _rows("a", 10, 5, [9.0, 9.0, 9.0], [1.0, 1.0, 1.0])  # an earlier checkpoint: ignored
        + _rows("a", 10, 10, [0.01, 0.03, 0.02], [0.3, 0.1, 0.2])  # medians 0.02 / 0.2
        + _rows("a", 100, 10, [0.02, 0.02, 0.04], [0.03, 0.04, 0.03])  # medians 0.02 / 0.03
        + _rows("b", 10, 10, [0.05, 0.05], [0.1, 0.1])  # ratio exactly 1/2: optimisation-limited
    )
    table = pd.DataFrame(rows)
    table.loc[len(table)] = {"config_id": "b", "teacher": 9, "seed": 0, "n_samples": 10, "epoch": 10,
                             "train_loss": 1e-12, "l2_exact": 1e-12, "diverged": True}  # diverged: ignored
    fits = {(f.config, f.n_samples): f for f in fit_diagnostics(table)}
    a10, a100, b10 = fits[("a", 10)], fits[("a", 100)], fits[("b", 10)]
    assert (a10.n_runs, a10.train_rmse, a10.test_l2, a10.l2_metric) == (3, 0.02, 0.2, "l2_exact")
    assert a10.ratio == pytest.approx(0.1) and a10.regime == "sampling-limited"
    assert a100.ratio == pytest.approx(2 / 3) and a100.regime == "optimisation-limited"
    assert b10.n_runs == 2 and b10.ratio == pytest.approx(RHO_SAMPLING) and b10.regime == "optimisation-limited"
    assert regime(math.nan) == "unknown"
    assert fit_diagnostics(table.drop(columns=["train_loss"])) == ()


def test_location_in_1d_by_hand():
    # samples 0.1, 0.4, 0.9 on [0, 1], h = 1/3. Distance to the nearest sample exceeds t on a set of
    # measure 2 (0.1 - t)_+ + (0.3 - 2t)_+ + (0.5 - 2t)_+, which is 0.1 at t = 0.2: the 90 % quantile.
    x = np.array([[0.1], [0.4], [0.9]])
    dist, h, q, in_gap = locate(np.array([0.65]), x, (0.0, 1.0))
    assert h == pytest.approx(1 / 3) and dist == pytest.approx(0.25 * 3)
    assert q == pytest.approx(0.2 * 3, abs=0.02) and in_gap
    dist, _, _, in_gap = locate(np.array([0.2]), x, (0.0, 1.0))
    assert dist == pytest.approx(0.1 * 3) and not in_gap
    dist, _, _, _ = locate(np.array([0.0]), x, (0.0, 1.0))  # the boundary gap
    assert dist == pytest.approx(0.1 * 3)


def test_nearest_distance_in_3d_against_brute_force():
    rng = np.random.default_rng(0)
    samples, points = rng.random((50, 3)), rng.random((2000, 3))
    brute = np.array([np.abs(p - samples).max(axis=1).min() for p in points])
    np.testing.assert_allclose(nearest_distance(points, samples), brute, rtol=0, atol=0)
    one = rng.random((20, 1))
    brute1 = np.abs(points[:, :1] - one.T).min(axis=1)
    np.testing.assert_allclose(nearest_distance(points[:, :1], one), brute1, rtol=0, atol=0)


# -- a tiny real run: 1 random teacher + 1 hat of its class, exact evaluation -------------------------
TINY = ["target.n=1", "target.hats=1", "target.hat_M=50", "n_samples=[10,100]", "seeds=[0,1]",
        "student.epochs=30", "evaluation.checkpoints=2", "evaluation.val_points=1024"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from uniformgap.experiments import run_experiment

    out = tmp_path_factory.mktemp("diag") / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_experiment("quick", overrides=TINY, out=out, executor="local", progress=False)
    finally:
        torch.set_num_threads(threads)
    return out


def test_exact_evaluation_writes_no_monte_carlo_columns(tiny_run):
    table = pd.read_parquet(tiny_run / "results.parquet")
    assert not {"l1", "l2", "linf"} & set(table.columns)
    assert {"l1_exact", "l2_exact", "linf_exact", "val_l1", "val_l2", "val_linf"} <= set(table.columns)
    assert sorted(table["teacher"].unique()) == [0, 1]  # teacher 0 and the hat
    teachers = json.loads((tiny_run / "teachers" / "teacher_1.json").read_text())
    assert teachers["kind"] == "hat" and teachers["architecture"] == [1, 32, 32, 32, 32, 1]


def test_worst_location_is_the_exact_argmax_and_its_distance(tiny_run):
    from uniformgap.experiments import load_trained
    from uniformgap.analysis._worst import worst_case_row

    a = analyze(tiny_run, n_bootstrap=0)
    assert a.metrics == ("l1_exact", "l2_exact", "linf_exact")
    locs = a.diagnostics.locations
    assert [w.n_samples for w in locs] == [10, 100]
    for w in locs:
        row = worst_case_row(a, "linf_exact", w.n_samples)
        assert (w.teacher, w.seed, w.epoch) == (int(row["teacher"]), int(row["seed"]), int(row["epoch"]))
        target, student, x_train, _ = load_trained(tiny_run, row)
        grid = torch.linspace(-0.5, 0.5, 200001, dtype=torch.float64)[:, None]
        with torch.no_grad():
            err = (student(grid)[:, 0] - target(grid)).abs()
            at = (student(torch.tensor([list(w.argmax)], dtype=torch.float64))[0, 0]
                  - target(torch.tensor([list(w.argmax)], dtype=torch.float64))[0]).abs()
        assert float(at) == pytest.approx(w.sup, rel=1e-9)  # x* attains the reported sup
        assert float(err.max()) <= w.sup + 1e-12  # nothing on a dense grid exceeds it
        x = x_train.numpy()[:, 0]
        assert w.spacing == pytest.approx(1.0 / w.n_samples)
        assert w.distance == pytest.approx(np.abs(x - w.argmax[0]).min() * w.n_samples, rel=1e-12)
        # the worst student's own fit: its train RMSE over its test L2, from the table row
        assert w.fit_ratio == pytest.approx(math.sqrt(float(row["train_loss"])) / float(row["l2_exact"]), rel=1e-12)
        assert w.fit_regime == ("sampling-limited" if w.fit_ratio < RHO_SAMPLING else "optimisation-limited")


def test_fit_and_headline_of_the_real_run(tiny_run):
    a = analyze(tiny_run, n_bootstrap=0)
    table = pd.read_parquet(tiny_run / "results.parquet")
    final = table[table["epoch"] == table["epoch"].max()]
    for f in a.diagnostics.fits:
        rows = final[final["n_samples"] == f.n_samples]
        assert f.train_rmse == pytest.approx(float(np.median(np.sqrt(rows["train_loss"]))), rel=1e-12)
        assert f.test_l2 == pytest.approx(float(np.median(rows["l2_exact"])), rel=1e-12)
    head = a.diagnostics.headline
    for line, m in zip(head, (10, 100)):
        sup, l2 = a.entry("linf_exact", "worst", m).value, a.entry("l2_exact", "worst", m).value
        fit = next(f for f in a.diagnostics.fits if f.n_samples == m)
        assert line.startswith(f"at m = {m} the worst-case error is {sup / l2:.1f}x the L2 error; students fit "
                               f"their samples to {fit.ratio:.2f}x their test error: {fit.regime}; the worst error sits ")
    obj = a.to_dict()["diagnostics"]
    assert obj["headline"] == list(head) and obj["rho_sampling"] == RHO_SAMPLING
    assert [w["n_samples"] for w in obj["worst_location"]] == [10, 100]


def test_cli_analyze_opens_with_the_finding(tiny_run, capsys):
    from uniformgap.cli import main

    assert main(["analyze", str(tiny_run), "--bootstrap", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    a = analyze(tiny_run, n_bootstrap=0)
    assert lines[0].startswith(f"run {tiny_run}: selection validation")
    assert lines[1 : 1 + len(a.diagnostics.headline)] == [f"finding: {t}" for t in a.diagnostics.headline]
    assert any(line.startswith("lower bound: docs/theory.md §4's derived bound is a worst case over the WHOLE class")
               for line in lines)
    assert any(line.split()[:3] == ["configuration", "m", "runs"] for line in lines)
    assert main(["analyze", str(tiny_run), "--bootstrap", "0", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["diagnostics"]["headline"] == list(a.diagnostics.headline)


def test_one_students_fit_ratio_by_hand():
    from uniformgap.analysis._diagnostics import _row_fit_ratio

    row = pd.Series({"train_loss": 4e-6, "l2_exact": 4e-3, "l2": 1.0})
    assert _row_fit_ratio(row) == pytest.approx(0.5)  # sqrt(4e-6) / 4e-3, l2_exact preferred over l2
    assert regime(_row_fit_ratio(row)) == "optimisation-limited"
    assert math.isnan(_row_fit_ratio(pd.Series({"train_loss": 1e-6})))
