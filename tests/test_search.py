"""Hyperparameter search (config ``search:``): its configuration section, what a searched
configuration is, the objective J(A) of eq. (5) under validation selection against a brute-force
loop, the trajectory, and a tiny search on Ray Tune against a tiny grid holding the default."""

from __future__ import annotations

import copy
import importlib.util
import math
from itertools import product

import numpy as np
import pandas as pd
import pytest

from uniformgap import InputError
from uniformgap.analysis import analyze, load_results
from uniformgap.analysis._trajectory import search_trajectory
from uniformgap.experiments import _progress, _run, load_config, resume_run, run_experiment
from uniformgap.experiments._search import objective, search_spec, settle

SPACE = {"student.lr": {"kind": "loguniform", "low": 3.0e-3, "high": 3.0e-2},
         "student.width": {"kind": "choice", "values": [4, 8, 16]}}
CONFIG = {
    "name": "tiny-search", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
    "n_samples": [32], "seeds": [0, 1],
    "student": {"depth": 3, "width": 8, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 24, "batch_size": 0.25},
    "evaluation": {"checkpoints": 3, "test_points": 512, "val_points": 256, "chunk_size": 512},
    "execution": {"cpus_per_trial": 1, "max_failures": 0, "max_concurrent_trials": 1},
    "search": {"num_samples": 5, "space": SPACE, "grace_period": 1, "reduction_factor": 2},
}


def with_(path: str, value) -> dict:
    raw = copy.deepcopy(CONFIG)
    if path == "evaluation/checkpoints":
        raw["search"]["space"]["student.epochs"] = {"kind": "randint", "low": 16, "high": 32}
    node = raw
    *head, last = path.split("/")
    for part in head:
        node = node[part]
    node[last] = value
    return raw


@pytest.mark.parametrize("path, value, message", [
    ("search/space/student.lr", {"kind": "loguniform", "low": 0, "high": 1},
     "config: search.space.student.lr: loguniform needs 0 < low < high, e.g. {kind: loguniform, low: 1.0e-4, "
     "high: 1.0e-2}, got {'kind': 'loguniform', 'low': 0, 'high': 1}"),
    ("search/space/student.width", {"kind": "choice", "values": [0, 4]},
     "config: search.space.student.width: must be an integer >= 1, got 0"),
    ("search/space/student.widht", {"kind": "choice", "values": [4]},
     "config: search.space: unknown key 'student.widht' (allowed: student.depth, student.width, student.lr, "
     "student.lr_final, student.epochs, student.batch_size, student.standardize)"),
    ("search/space/student.lr", {"kind": "uniform", "low": "a", "high": 1},
     "config: search.space.student.lr.low: must be a number, got 'a'"),
    ("evaluation/checkpoints", [10, 20], "config: search.space.student.epochs: every sampled epochs must reach "
     "the listed evaluation.checkpoints (up to 20), got epochs from 16 (e.g. --set evaluation.checkpoints=5)"),
    ("search/space/student.width", {"kind": "choice", "values": [4, 16]},
     "config: search.include_default: the base value student.width = 8 is not in search.space.student.width; "
     "widen the space or leave the default out (e.g. --set search.include_default=false)"),
    ("search/algorithm", "grid", "config: search.algorithm: must be one of 'random', 'optuna' or 'hyperopt', got 'grid'"),
    ("search/num_samples", 0, "config: search.num_samples: must be an integer >= 1, got 0"),
    ("search/asha", 1, "config: unknown key 'search.asha' (allowed: algorithm, num_samples, metric, space, scheduler, "
     "grace_period, reduction_factor, include_default, seed)"),
    ("n_samples", [16, 32], "config: search: needs one sample size (run one search per m), got n_samples [16, 32] "
     "(e.g. --set 'n_samples=[16]')"),
    ("grid", {"student.depth": [2, 3]}, "config: search: and grid: are exclusive (the search samples the "
     "configurations), got grid keys student.depth (e.g. --set grid={})"),
])
def test_bad_search_sections_are_one_line(path, value, message):
    with pytest.raises(InputError) as err:
        load_config(with_(path, value))
    assert str(err.value) == message


def test_search_runs_on_ray_only_and_is_not_resumed(tmp_path):
    with pytest.raises(InputError) as err:
        run_experiment(load_config(CONFIG), out=tmp_path / "run", executor="local", progress=False)
    assert str(err.value) == "`executor` must be 'ray' for a config with search:, got 'local' (drop --local)"
    assert not (tmp_path / "run").exists()  # refused before anything is written
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "config.yaml").write_text(load_config(CONFIG).to_yaml())
    with pytest.raises(InputError, match=r"^`--resume` cannot continue a search run yet"):
        resume_run(tmp_path / "old", progress=False)


@pytest.mark.skipif(importlib.util.find_spec("optuna") is not None, reason="optuna is installed")
def test_optuna_without_optuna_is_one_line(tmp_path):
    with pytest.raises(InputError) as err:
        run_experiment(load_config(with_("search/algorithm", "optuna")), out=tmp_path / "run", progress=False)
    assert str(err.value) == ("`search.algorithm` 'optuna' needs the package 'optuna', which is not installed "
                              "(pip install optuna, or e.g. --set search.algorithm=random)")
    assert not (tmp_path / "run").exists()


def test_a_sampled_configuration_is_one_learner_configuration():
    config = load_config(CONFIG)
    spec = search_spec(config, {"student.lr": np.float64(0.0123456), "student.width": np.int64(16)}, 3)
    assert spec.config_id == "gd/search=3/lr=0.01235/width=16" and spec.trial_id == "search-0003__m32"
    assert spec.swept == {"student.lr": 0.0123456, "student.width": 16, "search.index": 3}
    assert type(spec.swept["student.width"]) is int
    resolved = spec.experiment_config()
    assert (resolved.student.lr, resolved.student.width, resolved.search) == (0.0123456, 16, None)
    assert spec.teachers == (0, 1) and spec.seeds == (0, 1) and spec.checkpoints == (8, 16, 24)


def brute_force_J(rows: pd.DataFrame, metric: str) -> float:
    """max over teachers of the mean over seeds of the min over epochs; diverged or NaN = inf."""
    worst = -math.inf
    for t in sorted(set(rows["teacher"])):
        means = []
        for s in sorted(set(rows["seed"])):
            run = rows[(rows["teacher"] == t) & (rows["seed"] == s)]
            if run.empty:
                continue
            vals = [math.inf if (d or not math.isfinite(v)) else v for v, d in zip(run[metric], run["diverged"])]
            means.append(min(vals))
        worst = max(worst, sum(means) / len(means))
    return worst


def synthetic_rows(gen, config_id="gd/search=0", index=0, stopped=False, epochs=(1, 2, 3)):
    rows = [{"config_id": config_id, "trial_id": config_id, "n_samples": 32, "teacher": t, "seed": s, "epoch": e,
             "val_l2": float(gen.uniform(0.1, 1.0)), "l2": float(gen.uniform(0.1, 1.0)),
             "diverged": bool(gen.random() < 0.15), "search.index": index, "search.stopped": stopped}
            for t, s, e in product(range(3), range(2), epochs)]
    return pd.DataFrame(rows)


def test_objective_is_eq5_criterion_under_validation_selection():
    gen = np.random.default_rng(7)
    for _ in range(20):
        rows = synthetic_rows(gen)
        assert objective(rows, "val_l2") == pytest.approx(brute_force_J(rows, "val_l2"), rel=1e-15)
    assert objective(None, "val_l2") == math.inf


def test_trajectory_best_so_far_counts_only_finished_configurations():
    gen = np.random.default_rng(3)
    parts = [synthetic_rows(gen, f"gd/search={i}", i, stopped=i in (1, 2), epochs=(1,) if i in (1, 2) else (1, 2, 3))
             for i in range(4)]
    table = pd.concat(parts, ignore_index=True).assign(diverged=False)
    table.loc[table["config_id"] == "gd/search=1", "val_l2"] = 1e-3  # stopped, best J: never "best so far"
    traj = search_trajectory(table.sample(frac=1.0, random_state=1), "val_l2")
    assert list(traj["search_index"]) == [0, 1, 2, 3] and list(traj["stopped"]) == [False, True, True, False]
    J = [brute_force_J(p.assign(diverged=False), "val_l2") if i != 1 else 1e-3 for i, p in enumerate(parts)]
    assert traj["objective"].tolist() == pytest.approx(J)
    assert traj["best_so_far"].tolist() == pytest.approx([J[0], J[0], J[0], min(J[0], J[3])])
    assert list(traj["last_epoch"]) == [3, 1, 1, 3]


def test_settle_tells_a_stopped_trial_from_one_stopped_at_its_last_report(tmp_path):
    config = load_config(CONFIG)
    spec = search_spec(config, {"student.lr": 0.01, "student.width": 8}, 0)
    tdir = tmp_path / "trials" / spec.trial_id
    tdir.mkdir(parents=True)
    pd.DataFrame({"epoch": [8, 16]}).to_parquet(tdir / "rows.parquet")
    settle(tmp_path, spec)
    assert (tdir / "stopped.json").is_file() and not (tdir / "done.json").exists()
    (tdir / "stopped.json").unlink()
    pd.DataFrame({"epoch": [8, 16, 24]}).to_parquet(tdir / "rows.parquet")
    settle(tmp_path, spec)
    assert (tdir / "done.json").is_file() and not (tdir / "stopped.json").exists()


class Recorder:
    """A tracker keeping the rows it is given."""

    def __init__(self):
        self.rows = []

    def log_trial(self, trial_id, rows):
        self.rows.append(rows)

    def finish_trial(self, trial_id):
        pass

    def close(self):
        pass


def search_on_ray(raw: dict, out):
    """A complete search run of ``raw`` on a one-CPU Ray instance of its own."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        found = run_experiment(load_config(raw), out=out, progress=False)
    finally:
        ray.shutdown()
    assert found.status == "complete", found.errors
    return found


def J_by_config(table: pd.DataFrame) -> dict[str, float]:
    return {cfg: brute_force_J(rows, "val_l2") for cfg, rows in table.groupby("config_id")}


@pytest.mark.slow
def test_tiny_search_is_at_least_as_good_as_a_grid_holding_the_default(tmp_path, monkeypatch):
    grid_raw = {k: v for k, v in CONFIG.items() if k != "search"}
    grid_raw["grid"] = {"student.lr": [1.0e-2, 3.0e-3]}  # the default lr and a smaller one
    grid = run_experiment(load_config(grid_raw), out=tmp_path / "grid", executor="local", progress=False)
    tracker, bars = Recorder(), []

    class Watched(_progress.RunProgress):
        def close(self):
            bars.append((self.epochs_done, self.epochs_total))
            super().close()

    monkeypatch.setattr(_run, "make_trackers", lambda *a, **k: [tracker])
    monkeypatch.setattr(_run, "RunProgress", Watched)
    found = search_on_ray(CONFIG, tmp_path / "search")
    # live view: every configuration's checkpoints reached the tracker once, the first included;
    # the epoch count ends full (a stopped configuration's remaining epochs are not to be done)
    logged = pd.concat(tracker.rows, ignore_index=True)
    assert len(logged) == len(found.table) and not logged.duplicated(["trial_id", "teacher", "seed", "epoch"]).any()
    assert bars == [(5 * 24, 5 * 24)]
    table = found.table
    per = table.groupby("config_id").agg(index=("search.index", "first"), stopped=("search.stopped", "first"),
                                         last=("epoch", "max"), n=("epoch", "size"))
    assert sorted(per["index"]) == list(range(5))
    assert (table.groupby("config_id")["search.stopped"].nunique() == 1).all()  # one flag per configuration
    assert (per.loc[per["stopped"], "last"] < 24).all() and (per.loc[~per["stopped"], "last"] == 24).all()
    # every configuration has every (teacher, seed) at each checkpoint it reached
    assert (per["n"] == 4 * per["last"] // 8).all()
    # configuration 0 is the base config's own values: the very learner of the grid's default
    default = table[table["search.index"] == 0].reset_index(drop=True)
    assert default["config_id"].iloc[0] == "gd/search=0/lr=0.01/width=8"
    ref = grid.table[grid.table["config_id"] == "gd/lr=0.01"].reset_index(drop=True)
    pd.testing.assert_series_equal(default["val_l2"], ref["val_l2"], check_exact=True)
    finished = table[~table["search.stopped"]]
    assert per["stopped"].any() and not per["stopped"].all()  # ASHA stopped some, not all
    assert min(J_by_config(finished).values()) <= min(J_by_config(grid.table).values())
    # the run summary and the analysis take only configurations that trained to the end as candidates of eq. (5)
    assert found.summary[0]["l2_config"] in set(finished["config_id"])
    data = load_results(tmp_path / "search")
    assert set(data.table["config_id"]) == set(finished["config_id"]) and not data.partial
    analysis = analyze(tmp_path / "search", n_bootstrap=0)
    best = min(J_by_config(finished), key=J_by_config(finished).get)
    assert {e.config for e in analysis.minimax if e.metric == "l2" and e.kind == "worst"} == {best}
    search = analysis.to_dict()["search"]
    assert [s["search_index"] for s in search] == list(range(5))
    assert search[-1]["best_so_far"] == pytest.approx(min(J_by_config(finished).values()))


def test_analyze_shows_the_trajectory_and_leaves_stopped_configurations_out(tmp_path, capsys):
    import json

    from uniformgap.analysis._synthetic import write_synthetic_run
    from uniformgap.cli import main

    run = write_synthetic_run(tmp_path / "run", n_samples=(100,), widths=(8, 16, 32), epochs=(0, 50, 100))
    table = pd.read_parquet(run / "results.parquet")
    configs = sorted(set(table["config_id"]))
    table["search.index"] = table["config_id"].map({c: i for i, c in enumerate(configs)})
    table["search.stopped"] = table["config_id"] == configs[1]
    table = table[~table["search.stopped"] | (table["epoch"] == 0)]  # stopped at its first rung
    table.to_parquet(run / "results.parquet", index=False)
    table.to_csv(run / "results.csv", index=False)
    data = load_results(run)
    assert set(data.table["config_id"]) == {configs[0], configs[2]} and not data.partial
    assert data.notes[-1] == ("1 search configuration(s) stopped early by the scheduler (ASHA): not candidates of "
                              "eq. (5) (they did not train to the end); shown in the search trajectory")
    assert main(["analyze", str(run), "--json"]) == 0
    search = json.loads(capsys.readouterr().out)["search"]
    J = J_by_config(table)
    assert [(s["config_id"], s["stopped"], s["last_epoch"]) for s in search] == [
        (configs[0], False, 100), (configs[1], True, 0), (configs[2], False, 100)]
    assert [s["objective"] for s in search] == pytest.approx([J[c] for c in configs])
    assert [s["best_so_far"] for s in search] == pytest.approx([J[configs[0]], J[configs[0]],
                                                               min(J[configs[0]], J[configs[2]])])
    assert main(["analyze", str(run)]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [configs[1], "100"] in [line[1:3] for line in lines if line[-3:] == ["stopped", "early", "(ASHA)"]]


def test_ctrl_c_during_a_search_points_to_analyze_not_resume(tmp_path, monkeypatch, capsys):
    import yaml

    from uniformgap.cli import main
    from uniformgap.experiments import _ray_search

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_ray_search, "run_ray_search", interrupted)
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out)]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"uniformgap run: interrupted; a search run cannot be resumed, its table stays analysable: "
        f"uniformgap analyze {out.resolve()}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["optuna", "hyperopt"])
def test_optional_search_algorithms_run_when_installed(algorithm, tmp_path):
    pytest.importorskip(algorithm)
    raw = with_("search/algorithm", algorithm)
    raw["search"]["num_samples"] = 4
    table = search_on_ray(raw, tmp_path / "search").table
    assert sorted(set(table["search.index"])) == [0, 1, 2, 3]
    assert table.loc[table["search.index"] == 0, "config_id"].iloc[0] == "gd/search=0/lr=0.01/width=8"
    J = J_by_config(table[~table["search.stopped"]])
    assert min(J.values()) <= J["gd/search=0/lr=0.01/width=8"]
