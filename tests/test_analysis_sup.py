"""Sup metrics in the analysis: linf_exact / linf_lower / linf_upper are analysed
by default beside the sampled max linf, the Monte-Carlo underestimation is exact on a
hand-built table, and the CLI's --json and the HTML report show it."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from uniformgap import InputError
from uniformgap.analysis import AnalysisConfig, analyze, make_figures, mc_underestimate, render_html
from uniformgap.analysis._synthetic import write_synthetic_run
from uniformgap.cli import main

# Hand-built runs: configurations a, b; teachers 0, 1; one seed; m = 10, 100; epochs 0, 1.
# Values per (config, teacher, m): {epoch: (linf, sup)}; val_linf = linf. (b, 1, 10) diverges
# at its final epoch. The epoch-0 rows are not final checkpoints: they must not count.
EXACT = {
    ("a", 0, 10): {0: (0.9, 3.0), 1: (0.5, 1.0)},  # final: rel 0.5, below
    ("a", 1, 10): {0: (0.9, 3.0), 1: (0.8, 0.8)},  # final: rel 0, not below
    ("b", 0, 10): {0: (0.9, 3.0), 1: (0.3, 0.4)},  # final: rel 0.25, below
    ("b", 1, 10): {0: (0.9, 3.0), 1: None},  # final checkpoint diverged: left out
    ("a", 0, 100): {0: (0.5, 0.5), 1: (0.1, 0.1)},
    ("a", 1, 100): {0: (0.5, 0.5), 1: (0.2, 0.25)},  # final: rel 0.2, below
    ("b", 0, 100): {0: (0.5, 0.5), 1: (0.1, 0.1)},
    ("b", 1, 100): {0: (0.5, 0.5), 1: (0.1, 0.1)},
}


def write_table(run_dir, cells, sup_columns):
    """A run directory from ``cells``; each value tuple is (linf, *sup_columns)."""
    rows = []
    for (cfg, teacher, m), epochs in cells.items():
        for epoch, vals in epochs.items():
            row = {"config_id": cfg, "teacher": teacher, "seed": 0, "n_samples": m, "epoch": epoch,
                   "diverged": vals is None}
            for col, v in zip(("linf",) + sup_columns, vals or (math.nan,) * (1 + len(sup_columns))):
                row[col] = v
            row["val_linf"] = row["linf"]
            rows.append(row)
    run_dir.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(run_dir / "results.csv", index=False)
    (run_dir / "run.json").write_text(json.dumps({"status": "complete"}))
    return run_dir


@pytest.fixture()
def exact_run(tmp_path):
    return write_table(tmp_path / "exact", EXACT, ("linf_exact",))


def by_m(items):
    return {u.n_samples: u for u in items}


@pytest.mark.parametrize("selection", ["validation", "test"])
def test_underestimation_numbers_are_exact_on_a_hand_built_table(exact_run, selection):
    a = analyze(exact_run, n_bootstrap=0, selection=selection)
    got = by_m(a.underestimate)
    assert [u.metric for u in a.underestimate] == ["linf_exact", "linf_exact"]
    u = got[10]
    assert u.n_rows == 3
    assert u.fraction_below == pytest.approx(2 / 3)
    assert u.mean_rel == pytest.approx((0.5 + 0.0 + 0.25) / 3)
    assert u.max_rel == pytest.approx(0.5)
    # eq. (5): config a wins (worst val_linf 0.8 < b's 0.9 at its epoch 0 / +inf at epoch 1);
    # its worst teacher: linf max(0.5, 0.8) = 0.8, sup max(1.0, 0.8) = 1.0.
    assert (u.minimax_mc, u.minimax_sup) == (pytest.approx(0.8), pytest.approx(1.0))
    assert u.minimax_rel == pytest.approx((1.0 - 0.8) / 1.0)
    assert u.mean_rel_upper is None and u.minimax_upper is None
    u = got[100]
    assert u.n_rows == 4 and u.fraction_below == pytest.approx(1 / 4)
    assert u.mean_rel == pytest.approx((0.25 - 0.2) / 0.25 / 4)
    assert u.max_rel == pytest.approx((0.25 - 0.2) / 0.25)
    # config b (worst 0.1) beats a (worst 0.2): no underestimation at the minimax.
    assert (u.minimax_mc, u.minimax_sup, u.minimax_rel) == (pytest.approx(0.1), pytest.approx(0.1), 0.0)


def test_bracket_reports_both_ends(tmp_path):
    cells = {
        ("a", 0, 10): {0: (0.9, 3.0, 3.0), 1: (0.5, 0.6, 1.0)},
        ("a", 1, 10): {0: (0.9, 3.0, 3.0), 1: (0.8, 0.8, 0.8)},
        ("b", 0, 10): {0: (0.9, 3.0, 3.0), 1: (0.3, 0.25, 0.6)},  # the attack fell short of mc
        ("b", 1, 10): {0: (0.9, 3.0, 3.0), 1: None},
    }
    run = write_table(tmp_path / "bracket", cells, ("linf_lower", "linf_upper"))
    a = analyze(run, n_bootstrap=0)
    assert a.metrics == ("linf", "linf_lower", "linf_upper")
    (u,) = a.underestimate
    assert (u.metric, u.n_samples, u.n_rows) == ("linf_lower", 10, 3)
    assert u.fraction_below == pytest.approx(1 / 3)
    lower_rel = [(0.6 - 0.5) / 0.6, 0.0, (0.25 - 0.3) / 0.25]
    assert u.mean_rel == pytest.approx(sum(lower_rel) / 3) and u.max_rel == pytest.approx(max(lower_rel))
    upper_rel = [(1.0 - 0.5) / 1.0, 0.0, (0.6 - 0.3) / 0.6]
    assert u.mean_rel_upper == pytest.approx(sum(upper_rel) / 3) and u.max_rel_upper == pytest.approx(max(upper_rel))
    assert (u.minimax_mc, u.minimax_sup, u.minimax_upper) == (pytest.approx(0.8), pytest.approx(0.8), pytest.approx(1.0))
    assert u.minimax_rel == pytest.approx(0.0) and u.minimax_rel_upper == pytest.approx(0.2)
    assert a.entry("linf_upper", "worst", 10).value == pytest.approx(1.0)


def test_defaults_include_sup_metrics_only_when_present(tmp_path, exact_run):
    with_sup = write_synthetic_run(tmp_path / "with", n_teachers=3, n_samples=(10, 100), sup="exact")
    without = write_synthetic_run(tmp_path / "without", n_teachers=3, n_samples=(10, 100))
    a = analyze(with_sup, n_bootstrap=0)
    assert a.metrics == ("l1", "l2", "linf", "linf_exact")
    assert {e.metric for e in a.minimax} == set(a.metrics)
    assert [(r.metric, r.kind) for r in a.rates][-2:] == [("linf_exact", "worst"), ("linf_exact", "average")]
    assert any("val_linf" in n for n in a.notes)
    b = analyze(without, n_bootstrap=0)
    assert b.metrics == ("l1", "l2", "linf") and b.underestimate == ()
    assert not any("no validation twin" in n for n in b.notes)
    # explicit --metrics still wins
    assert analyze(with_sup, n_bootstrap=0, metrics=("l1",)).metrics == ("l1",)


def test_sup_metric_under_validation_is_selected_by_val_linf(exact_run):
    a = analyze(exact_run, n_bootstrap=0, metrics=("linf", "linf_exact"))
    for m in (10, 100):
        mc, sup = a.entry("linf", "worst", m), a.entry("linf_exact", "worst", m)
        assert sup.config == mc.config  # the same choice: both made on val_linf
    # selection 'test' chooses on the sup itself: at m = 100, a's worst sup 0.25 vs b's 0.1 -> b
    t = analyze(exact_run, n_bootstrap=0, selection="test", metrics=("linf_exact",))
    assert t.entry("linf_exact", "worst", 100).config == "b"


def test_synthetic_sup_lies_above_the_sampled_max(tmp_path):
    run = write_synthetic_run(tmp_path / "s", n_teachers=2, n_samples=(10,), sup="bracket")
    a = analyze(run, n_bootstrap=0)
    table = a.run.table
    assert (table["linf_upper"] >= table["linf_lower"]).all()
    (u,) = a.underestimate
    assert 0 < u.fraction_below < 1 and u.mean_rel <= u.mean_rel_upper
    with pytest.raises(InputError, match=r"^`sup` must be 'none', 'exact' or 'bracket', got 'yes'"):
        write_synthetic_run(tmp_path / "bad", sup="yes")


def test_json_has_mc_underestimate_and_text_has_the_section(exact_run, capsys):
    assert main(["analyze", str(exact_run), "--json", "--bootstrap", "0"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["metrics"] == ["linf", "linf_exact"]
    rows = obj["mc_underestimate"]
    want = [u.to_dict() for u in analyze(exact_run, n_bootstrap=0).underestimate]
    assert rows == want and len(rows) == 2
    for r in rows:
        assert {"n_samples", "metric", "fraction_below", "mean_rel", "max_rel"} <= r.keys()
    assert main(["analyze", str(exact_run), "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "Monte-Carlo linf (a sampled max, a LOWER estimate) vs the exact / certified-lower sup" in out
    section = out.split("vs the exact / certified-lower sup", 1)[1].splitlines()
    line = next(line for line in section if line.startswith("linf_exact  10 "))
    assert line.split()[:6] == ["linf_exact", "10", "3", f"{100 * 2 / 3:.3g}%", f"{100 * 0.75 / 3:.3g}%", "50%"]


def test_json_without_sup_columns_has_an_empty_list(tmp_path, capsys):
    run = write_synthetic_run(tmp_path / "plain", n_teachers=2, n_samples=(10, 100))
    assert main(["analyze", str(run), "--json", "--bootstrap", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["mc_underestimate"] == []


@pytest.mark.parametrize("sup", ["exact", "bracket"])
def test_report_has_the_worst_case_section_and_figure_2_draws_the_sup(tmp_path, sup):
    run = write_synthetic_run(tmp_path / "run", n_teachers=3, n_samples=(10, 100), sup=sup)
    a = analyze(run, AnalysisConfig(n_bootstrap=20))
    figures = make_figures(a, tmp_path / "fig")
    fig2 = next(f for f in figures.files if f.name == "fig2_error_vs_m")
    assert fig2.data["panels"] == ["all metrics", "l1", "l2", "linf"]  # sup metrics overlay the L∞ panel
    drawn = fig2.data["sup_overlay"]
    names = ["linf_exact"] if sup == "exact" else ["linf_lower", "linf_upper"]
    assert sorted(drawn) == names
    for name in names:
        assert drawn[name] == [a.entry(name, "worst", m).value for m in (10, 100)]
    text = render_html(a, figures)
    assert "<h2>Worst case: Monte Carlo vs exact/certified sup</h2>" in text
    assert "a sampled max is only a <b>lower estimate</b> of the sup norm" in text
    u = a.underestimate[0]
    assert f"<td>{100 * u.fraction_below:.3g}%</td><td>{100 * u.mean_rel:.3g}%</td>" in text
    assert ("mean rel. (upper)" in text) == (sup == "bracket")


def test_report_without_sup_says_so(tmp_path):
    run = write_synthetic_run(tmp_path / "run", n_teachers=2, n_samples=(10, 100))
    a = analyze(run, n_bootstrap=0)
    figures = make_figures(a, tmp_path / "fig")
    text = render_html(a, figures)
    assert "no <code>linf_exact</code> or <code>linf_lower</code> column" in text
    assert next(f for f in figures.files if f.name == "fig2_error_vs_m").data["sup_overlay"] == {}


def test_mc_underestimate_of_a_table_without_linf_is_empty(exact_run):
    table = analyze(exact_run, n_bootstrap=0).run.table
    assert mc_underestimate(table.drop(columns=["linf_exact"])) == ()
    assert mc_underestimate(table.drop(columns=["linf", "val_linf"])) == ()


def test_a_missing_sup_value_does_not_mark_the_row_diverged(tmp_path):
    cells = dict(EXACT)
    cells[("a", 0, 100)] = {0: (0.5, 0.5), 1: (0.1, math.nan)}  # sup not computed, linf fine
    a = analyze(write_table(tmp_path / "gap", cells, ("linf_exact",)), n_bootstrap=0)
    row = a.run.table.query("config_id == 'a' and teacher == 0 and n_samples == 100 and epoch == 1")
    assert not bool(row["diverged"].iloc[0])
    assert "1 non-diverged row(s) lack a finite linf_exact: counted as +inf in eq. (5) for linf_exact" in a.notes
    assert by_m(a.underestimate)[100].n_rows == 3  # the row without a sup is not compared
    cube = a.cubes["linf"][100]  # linf still uses that row: its final checkpoint is the one chosen
    assert cube.configs[0] == "a" and cube.run_epoch[0, 0, 0] == 1 and cube.rep[0, 0, 0] == pytest.approx(0.1)
