"""eq. (5) on hand-built tables with answers worked out by hand, both selection modes,
ties, diverged/NaN rows, missing rows, and the table loader's checks."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from uniformgap import InputError
from uniformgap.analysis import AnalysisConfig, analyze, load_results, minimax
from uniformgap.analysis._synthetic import write_synthetic_run
from uniformgap.analysis._table import resolve_metrics

# (config, teacher, seed, epoch) -> (test, val) for m = 10. Worked out by hand below.
HAND = {
    ("a", 0, 0, 0): (0.4, 0.4), ("a", 0, 0, 1): (0.2, 0.5),   # val picks e0 -> test .4
    ("a", 0, 1, 0): (0.6, 0.6), ("a", 0, 1, 1): (0.2, 0.3),   # val picks e1 -> test .2
    ("a", 1, 0, 0): (0.5, 0.5), ("a", 1, 0, 1): (0.3, 0.3),   # e1 -> .3
    ("a", 1, 1, 0): (0.7, 0.7), ("a", 1, 1, 1): (0.5, 0.5),   # e1 -> .5
    ("b", 0, 0, 0): (0.1, 0.45), ("b", 0, 0, 1): (0.9, 0.35),  # val misleads: e1 -> test .9
    ("b", 0, 1, 0): (0.1, 0.3), ("b", 0, 1, 1): (0.15, 0.3),  # val tie -> earliest e0 -> .1
    ("b", 1, 0, 0): (0.2, 0.2), ("b", 1, 0, 1): (0.2, 0.25),  # e0 -> .2
    ("b", 1, 1, 0): (0.2, 0.2), ("b", 1, 1, 1): (0.2, 0.25),  # e0 -> .2
}
# Validation: a: val seed means t0 .35, t1 .4 -> worst .4, mean .375; test t0 .3, t1 .4.
#             b: val t0 .325, t1 .2 -> worst .325, mean .2625  => b chosen for both kinds;
#             reported test of b: t0 (.9+.1)/2 = .5, t1 .2 -> worst .5 (teacher 0), mean .35.
# Test (paper): (b, epoch 0): t0 .1, t1 .2 -> worst .2 (teacher 1), mean .15 — the smallest.


def hand_table(values=HAND, m=10) -> pd.DataFrame:
    rows = []
    for (cfg, t, s, e), (test, val) in values.items():
        rows.append({"config_id": cfg, "teacher": t, "seed": s, "n_samples": m, "epoch": e,
                     "l2": test, "val_l2": val, "diverged": False})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # order must not matter


def one(estimates, kind):
    (e,) = [e for e in estimates if e.kind == kind]
    return e


def test_validation_selection_matches_hand_computation():
    est = minimax(hand_table(), metrics=("l2",), selection="validation")
    worst, avg = one(est, "worst"), one(est, "average")
    assert (worst.config, worst.teacher, worst.epoch) == ("b", 0, None)
    assert worst.value == pytest.approx(0.5, abs=1e-15)
    assert (avg.config, avg.teacher) == ("b", None)
    assert avg.value == pytest.approx(0.35, abs=1e-15)


def test_test_selection_is_the_papers_min_over_configs_and_checkpoints():
    est = minimax(hand_table(), metrics=("l2",), selection="test")
    worst, avg = one(est, "worst"), one(est, "average")
    assert (worst.config, worst.epoch, worst.teacher) == ("b", 0, 1)
    assert worst.value == pytest.approx(0.2, abs=1e-15)
    assert (avg.config, avg.epoch) == ("b", 0)
    assert avg.value == pytest.approx(0.15, abs=1e-15)


def test_validation_never_looks_at_the_test_metric():
    """Changing test errors at checkpoints validation did not choose changes nothing;
    under selection 'test' the same change moves the estimate."""
    chosen = {("a", 0, 0, 0), ("a", 0, 1, 1), ("a", 1, 0, 1), ("a", 1, 1, 1),
              ("b", 0, 0, 1), ("b", 0, 1, 0), ("b", 1, 0, 0), ("b", 1, 1, 0)}
    changed = {k: ((1e-3 if k not in chosen else v[0]), v[1]) for k, v in HAND.items()}
    base = minimax(hand_table(), metrics=("l2",), selection="validation")
    moved = minimax(hand_table(changed), metrics=("l2",), selection="validation")
    assert base == moved
    assert minimax(hand_table(changed), metrics=("l2",), selection="test") != minimax(
        hand_table(), metrics=("l2",), selection="test")


def test_ties_go_to_the_first_config_id_and_the_smallest_teacher():
    rows = [{"config_id": cfg, "teacher": t, "seed": 0, "n_samples": 5, "epoch": 0,
             "l1": 1.0, "val_l1": 1.0, "diverged": False}
            for cfg in ("zeta", "alpha", "mid") for t in (3, 1, 2)]
    for selection in ("validation", "test"):
        worst = one(minimax(pd.DataFrame(rows), ("l1",), selection), "worst")
        assert (worst.config, worst.teacher, worst.value) == ("alpha", 1, 1.0)


def _two_configs(diverge_b: bool, nan_only: bool = False) -> pd.DataFrame:
    rows = []
    for cfg, level in (("a", 0.5), ("b", 0.1)):
        for t in (0, 1):
            for s in (0, 1):
                bad = diverge_b and cfg == "b" and (t, s) == (1, 0)
                v = math.nan if bad else level
                rows.append({"config_id": cfg, "teacher": t, "seed": s, "n_samples": 7, "epoch": 0,
                             "linf": v, "val_linf": v, "diverged": bad and not nan_only})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("selection", ["validation", "test"])
@pytest.mark.parametrize("nan_only", [False, True])
def test_a_diverged_run_counts_as_infinite_error_never_dropped(selection, nan_only):
    # Without the divergence b (0.1) beats a (0.5); dropping the diverged row would keep b.
    assert one(minimax(_two_configs(False), ("linf",), selection), "worst").config == "b"
    est = minimax(_two_configs(True, nan_only), ("linf",), selection)
    worst, avg = one(est, "worst"), one(est, "average")
    assert (worst.config, worst.value) == ("a", 0.5)
    assert (avg.config, avg.value) == ("a", 0.5)


def test_all_configs_diverged_gives_infinity_and_the_first_config():
    table = _two_configs(True)
    table.loc[(table.config_id == "a") & (table.teacher == 0), ["linf", "val_linf"]] = math.nan
    worst = one(minimax(table, ("linf",), "validation"), "worst")
    assert worst.value == math.inf and worst.config == "a"


def test_missing_rows_are_left_out_of_the_seed_mean():
    table = hand_table()
    table = table[~((table.config_id == "b") & (table.teacher == 0) & (table.seed == 0))]
    worst = one(minimax(table, ("l2",), "validation"), "worst")
    # b: t0 now only seed 1 (test .1, val .3) -> val worst max(.3, .2) = .3 < a's .4; test worst max(.1, .2).
    assert (worst.config, worst.value, worst.teacher) == ("b", 0.2, 1)


def test_selection_test_equals_an_independent_groupby_recomputation(tmp_path):
    run = write_synthetic_run(tmp_path / "run", seed=4, diverged_fraction=0.05, n_teachers=5)
    df = pd.read_csv(run / "results.csv")
    analysis = analyze(run, selection="test", n_bootstrap=0)
    for metric in ("l1", "l2", "linf"):
        err = df[metric].where(~df["diverged"] & df[metric].notna(), np.inf)
        per_teacher = df.assign(err=err).pivot_table(
            index=["n_samples", "config_id", "epoch"], columns="teacher", values="err", aggfunc="mean")
        worst = per_teacher.max(axis=1).groupby(level="n_samples").min()
        mean = per_teacher.mean(axis=1).groupby(level="n_samples").min()
        for m in worst.index:
            assert analysis.entry(metric, "worst", int(m)).value == pytest.approx(worst[m], rel=1e-12)
            assert analysis.entry(metric, "average", int(m)).value == pytest.approx(mean[m], rel=1e-12)


# -- the loader and its messages -------------------------------------------------------
def test_not_a_run_directory(tmp_path):
    with pytest.raises(InputError) as exc:
        load_results(tmp_path / "nope")
    assert str(exc.value) == (
        f"`RUN_DIR` must be a run directory holding results.parquet or results.csv, got "
        f"'{tmp_path / 'nope'}' (no such directory) (e.g. uniformgap analyze runs/quick)"
    )
    with pytest.raises(InputError) as exc:
        load_results(tmp_path)
    assert str(exc.value) == (
        f"`RUN_DIR` must be a run directory holding results.parquet or results.csv, got "
        f"'{tmp_path}' (no results table) (e.g. uniformgap analyze runs/quick)"
    )


def test_empty_table(tmp_path):
    hand_table().iloc[:0].to_csv(tmp_path / "results.csv", index=False)
    with pytest.raises(InputError) as exc:
        load_results(tmp_path)
    assert str(exc.value) == (
        f"`RUN_DIR` has an empty results table (no checkpoint finished yet), got '{tmp_path}' "
        "(wait for the first evaluation, then run again)"
    )


def test_missing_key_column(tmp_path):
    hand_table().drop(columns="seed").to_csv(tmp_path / "results.csv", index=False)
    with pytest.raises(InputError, match=r"\(results table lacks column\(s\) seed\)"):
        load_results(tmp_path)


def test_partial_run_is_flagged_and_analysed(tmp_path):
    run = write_synthetic_run(tmp_path / "run", status="partial", n_teachers=3)
    df = pd.read_parquet(run / "results.parquet")
    df = df[~((df["config_id"] == "gd/width=8") & (df["teacher"] == 2) & (df["epoch"] == 100))]
    df.to_parquet(run / "results.parquet")
    data = load_results(run)
    assert data.partial
    assert "run.json status is 'partial', not 'complete': the run may still be going" in data.notes
    assert any("gd/width=8" in n and "stop before epoch 100" in n for n in data.notes)
    result = analyze(data, n_bootstrap=0)
    assert result.partial and result.to_dict()["partial"] is True
    assert len(result.minimax) == 3 * 2 * 3


def test_complete_run_is_not_partial(tmp_path):
    data = load_results(write_synthetic_run(tmp_path / "run", n_teachers=2))
    assert not data.partial and data.notes == ()
    info = json.loads((data.run_dir / "run.json").read_text())
    assert info["status"] == "complete"


def test_unknown_metric_message():
    with pytest.raises(InputError) as exc:
        resolve_metrics("l2,l3", ("l1", "l2", "linf"), name="--metrics")
    assert str(exc.value) == (
        "`--metrics` must be a comma list of metrics in the table (l1, l2, linf), got 'l2,l3' "
        "(e.g. --metrics l1,l2)"
    )
    with pytest.raises(InputError) as exc:
        resolve_metrics(("lx",), ("l1", "l2"))
    assert str(exc.value) == (
        "`metrics` must be a comma list of metrics in the table (l1, l2), got 'lx' (e.g. metrics=('l1', 'l2'))"
    )


def test_validation_needs_a_validation_column():
    table = hand_table().drop(columns="val_l2")
    with pytest.raises(InputError) as exc:
        minimax(table, ("l2",), "validation")
    assert str(exc.value) == (
        "`selection` 'validation' needs a column val_l2 in the table, which this run lacks; "
        "got selection='validation' (e.g. --selection test, labelled optimistic)"
    )


def test_config_messages():
    with pytest.raises(InputError) as exc:
        AnalysisConfig(selection="best")
    assert str(exc.value) == "`selection` must be 'validation' or 'test', got 'best' (e.g. selection=validation)"
    with pytest.raises(InputError) as exc:
        AnalysisConfig(n_bootstrap=-1)
    assert str(exc.value) == "`n_bootstrap` must be an integer >= 0 (0: no intervals), got -1"
    with pytest.raises(InputError) as exc:
        AnalysisConfig(level=1.5)
    assert str(exc.value) == "`level` must be a number in (0, 1), got 1.5 (e.g. level=0.95)"
