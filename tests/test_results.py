"""Result tables: atomic writes, column contract, assembly order, summary, load_run."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from uniformgap import InputError
from uniformgap.experiments import format_summary, load_run, summarize
from uniformgap.experiments._results import (
    ALWAYS, END, LEAD, TAIL, VALIDATION, assemble, order_columns, write_atomic, write_table,
)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "x.txt"
    write_atomic(path, lambda tmp: open(tmp, "w").write("old"))

    def crash(tmp):
        open(tmp, "w").write("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        write_atomic(path, crash)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]  # no temp file left behind


def _row(trial, config_id, m, teacher, seed, epoch, l2, diverged=False, **extra):
    return {"learner": "gd", "config_id": config_id, "trial_id": trial, "n_samples": m, "teacher": teacher,
            "seed": seed, "student.width": 8, "student.depth": 3, "batch_size": 4, "epoch": epoch,
            "train_loss": 0.0, "l1": l2 / 2, "l2": l2, "linf": 3 * l2, "val_l1": 0.0, "val_l2": 0.0,
            "val_linf": 0.0, "wall_time_s": 1.0, "diverged": diverged, **extra}


def test_columns_follow_the_contract_with_swept_keys_after_the_lead():
    df = order_columns(pd.DataFrame([_row("t", "gd/lr=0.1", 10, 0, 0, 1, 0.5, **{"student.lr": 0.1})]),
                       ["student.lr"])
    assert list(df.columns) == LEAD + ["student.lr"] + ALWAYS + TAIL + VALIDATION + END
    assert str(df["batch_size"].dtype) == "Int64"


def test_assemble_uses_plan_order_not_completion_order(tmp_path):
    for trial, teacher in (("b", 1), ("a", 0)):  # "b" finished first
        d = tmp_path / "trials" / trial
        d.mkdir(parents=True)
        pd.DataFrame([_row(trial, "gd", 10, teacher, 0, 1, 0.1)]).to_parquet(d / "rows.parquet")
    (tmp_path / "trials" / "c").mkdir()  # planned, no rows yet
    table = assemble(tmp_path, ["a", "b", "c"], [])
    assert list(table["trial_id"]) == ["a", "b"]


def test_summary_is_min_over_configs_of_max_over_teachers_of_mean_over_seeds():
    rows = []
    # config A: teacher means 0.2 and 0.6 -> worst 0.6; config B: 0.4 and 0.5 -> worst 0.5 (best)
    for cid, means in (("A", (0.2, 0.6)), ("B", (0.4, 0.5))):
        for t, mean in enumerate(means):
            for s, delta in enumerate((-0.1, 0.1)):
                rows.append(_row(cid, cid, 100, t, s, 2, mean + delta))
                rows.append(_row(cid, cid, 100, t, s, 1, 9.0))  # earlier checkpoint: ignored
    # config C at m = 100: one teacher has only diverged seeds -> counts as +inf
    rows += [_row("C", "C", 100, 0, 0, 2, 0.01), _row("C", "C", 100, 1, 0, 2, math.nan, diverged=True)]
    (out,) = summarize(order_columns(pd.DataFrame(rows), []))
    assert out["n_samples"] == 100 and out["l2_config"] == "B"
    assert out["l2"] == pytest.approx(0.5) and out["linf"] == pytest.approx(1.5)


def test_summary_counts_a_diverged_seed_as_infinite_like_the_estimator():
    # config A would be best on the finite seeds (0.1) but one of its seeds diverged: +inf, A loses to B (0.3)
    rows = [_row("A", "A", 10, 0, 0, 1, 0.1), _row("A", "A", 10, 0, 1, 1, math.nan, diverged=True),
            _row("B", "B", 10, 0, 0, 1, 0.2), _row("B", "B", 10, 0, 1, 1, 0.4)]
    (out,) = summarize(order_columns(pd.DataFrame(rows), []))
    assert out["l2_config"] == "B" and out["l2"] == pytest.approx(0.3)
    # every configuration diverged somewhere: no finite minimax value, reported as NaN
    (out,) = summarize(order_columns(pd.DataFrame(rows[:2]), []))
    assert math.isnan(out["l2"]) and out["l2_config"] == "A"


def test_exact_only_tables_keep_no_monte_carlo_columns_and_summarise_the_exact_errors():
    rows = []
    for t, err in enumerate((0.1, 0.3)):
        row = {k: v for k, v in _row("a", "gd", 100, t, 0, 1, err).items() if k not in ("l1", "l2", "linf")}
        rows.append({**row, "l1_exact": err / 2, "l2_exact": err, "linf_exact": 4 * err})
    table = order_columns(pd.DataFrame(rows), [])
    assert not {"l1", "l2", "linf"} & set(table.columns)
    (out,) = summarize(table)
    assert out["l2_exact"] == pytest.approx(0.3) and out["linf_exact"] == pytest.approx(1.2) and "l2" not in out
    text = format_summary([out])
    assert "exact 1-D errors from breakpoint enumeration" in text
    assert text.splitlines()[-1].split()[:5] == ["100", "1.500e-01", "3.000e-01", "1.200e+00", "4.00"]


def test_load_run_reads_table_and_config(tmp_path):
    with pytest.raises(InputError) as exc:
        load_run(tmp_path)
    assert str(exc.value) == f"`run_dir` must be a uniformgap run directory (with config.yaml), got {str(tmp_path)!r}"
    from uniformgap.experiments import load_config

    cfg = load_config("quick")
    (tmp_path / "config.yaml").write_text(cfg.to_yaml())
    df = order_columns(pd.DataFrame([_row("t", "gd", 10, 0, 0, 1, 0.25)]), [])
    write_table(df, tmp_path)
    table, config = load_run(tmp_path)
    assert config == cfg and table["l2"].tolist() == [0.25]
    assert pd.read_csv(tmp_path / "results.csv")["l2"].tolist() == [0.25]
