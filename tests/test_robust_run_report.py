"""The HTML report of a robust experiment run (analysis/_robust_run_report.py, `uniformgap report` on an
`experiment: robust` run): a tiny real E1/E2 run end to end (finding first, the run's own numbers in the
tables, figures embedded byte for byte, config and environment), the finding's wording by hand on a
synthetic table, the growth factors against the rate formulas, rows of an unknown experiment kind
reported generically, a partial run, and the CLI's one-line errors before anything is written."""

from __future__ import annotations

import base64
import html
import math
import re

import pandas as pd
import pytest
import torch

from _cli import run_cli
from _browser import images_decoded
from test_robust_runs import _row, _table, _write_run
from test_robust_trial import TINY
from uniformgap.analysis import write_robust_run_report
from uniformgap.analysis._robust_run_report import _e2_line, _growth, generic_table, robust_run_headline
from uniformgap.analysis._robust_runs import CapacityRow, GapRow, analyze_robust
from uniformgap.experiments import run_experiment


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = tmp_path_factory.mktemp("robust-run") / "run"
        run_experiment(TINY, out=out, executor="local", progress=False)
    finally:
        torch.set_num_threads(threads)
    return out


@pytest.fixture(scope="module")
def report(tiny_run):
    import matplotlib

    matplotlib.use("Agg")
    return write_robust_run_report(tiny_run)


def _finding(text: str) -> list[str]:
    block = text[text.index("<b>Finding.</b>"):text.index("</ul></div>")]
    return [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", block)]


def test_tiny_run_report_opens_with_the_finding_and_holds_the_run_s_numbers(report, tiny_run):
    text = report.read_text()
    assert report == tiny_run / "report.html"
    assert text.index("<b>Finding.</b>") < text.index("<h2>The experiments</h2>") < text.index("<h2>E1: W*(d)")
    a = analyze_robust(tiny_run)
    table = pd.read_parquet(tiny_run / "results.parquet")
    assert _finding(text) == robust_run_headline(a, table)
    # E1 and E2 rows computed independently from the results table
    whole = table[table["training"] == "whole-support"].sort_values("d")
    for _, r in whole.iterrows():
        assert f"<tr><td>{r['d']}</td><td>{r['M']}</td><td>{r['size']}</td><td>1</td>" in text
    sample = table[table["training"] == "sample"].sort_values("d")
    for _, r in sample.iterrows():
        floor = whole[whole["d"] == r["d"]]["test_robust_error"].iloc[0]
        cells = (f"<td>{r['train_robust_error']:.3g}</td><td><b>{r['test_robust_error']:.3g}</b></td>"
                 f"<td>{floor:.3g}</td><td>{r['unseen_fraction']:.3g}</td><td>{r['unseen_fraction'] / 2:.3g}</td>")
        assert cells in text, cells
    for needle in ("name: tiny-robust", "experiment: robust", "torch</th>", "platform</th>", "images loaded:",
                   "a LOWER bound on the true robust error"):
        assert needle in text, needle
    assert "PARTIAL RUN" not in text and "http://" not in text and "https://" not in text


def test_both_figures_are_embedded_byte_for_byte_with_the_three_things_labelled(report, tiny_run):
    text = report.read_text()
    imgs = [base64.b64decode(d) for d in re.findall(r"src='data:image/png;base64,([^']+)'", text)]
    assert imgs == [(tiny_run / "figures" / f"{n}.png").read_bytes() for n in ("e1_capacity", "e2_gap")]
    for caption in re.findall(r"<figcaption>(.*?)</figcaption>", text):
        assert "CONSTRUCTED" in caption and "TRAINED" in caption and "THEORY" in caption


def test_finding_by_hand_on_a_synthetic_run(tmp_path):
    run = _write_run(tmp_path)
    a = analyze_robust(run)
    lines = robust_run_headline(a, _table())
    assert lines[0] == ("E1, d = 3 (M = 4): W* = 20 by attack (optimistic), 40 by certificate (proved); "
                        "C1 (constructed, robust error 0) has exact size 102 (W*/C1 = 0.196)")
    assert lines[1] == ("E1, d = 4 (M = 8): no trained size up to 44 reached robust error <= 0.1 (best 0.2 by "
                        "attack): a limit of the optimiser / training budget of this run, NOT an expressivity limit; "
                        "C1 (constructed, robust error 0) has exact size 300")
    assert lines[2] == ("E1: the linear classifier x_d - 1/2 has clean error 0-0 and robust error 1-1 over d: "
                        "clean-learnable, robust-hard")
    # E2 at (4, 8): train (0 + 0.1)/2, test (0.5 + 0.3)/2, floor = the whole-support row 0.2 > alpha
    assert lines[3].startswith("E2, d = 4, width 8 (size 44, N = 8 draws, 2 seed(s)): robust train error 0.05 vs "
                               "robust test error 0.4 (L_P on all of S) vs floor 0.2; unseen columns 38%, "
                               "information limit u/2 = 0.188: the floor itself is above 0.1")
    assert lines[-1].startswith("robust errors: attack + verified witnesses (a LOWER bound")


def _gap(train=0.0, test=0.3, floor=0.0, unseen=0.5) -> GapRow:
    return GapRow(d=5, M=16, width=4, size=40, n_draws=10, seeds=1, train_robust_error=train, test_robust_error=test,
                  floor=floor, unseen_fraction=unseen, information_limit=unseen / 2, c1_size_train=10.0, c1_size=20)


def test_e2_wording_tells_information_from_fit_and_floor():
    assert _e2_line(_gap(train=0.3)).endswith("did NOT fit their training points robustly (train error > 0.1), so "
                                              "the train/test gap says little about robust generalization")
    assert _e2_line(_gap(floor=math.nan)).endswith("so the floor (expressivity) is not measured")
    # excess 0.3 - 0.0 vs u/2 = 0.25: within 0.05 -> the unseen columns explain it
    assert _e2_line(_gap()).endswith("the excess over the floor (0.3) is what the unseen columns cost any learner "
                                     "(an information limit), not a limit of the architecture")
    assert _e2_line(_gap(test=0.0, unseen=0.0)).endswith("every column was seen, so there is no information limit; "
                                                         "the excess over the floor is 0")
    assert "exceeds u/2" in _e2_line(_gap(test=0.45))
    assert "below u/2" in _e2_line(_gap(test=0.1))


def test_growth_factors_follow_the_rate_formulas():
    def cap(d, M, w, c1):
        return CapacityRow(d=d, M=M, sizes=[w], seeds=1, wstar_attack=w, wstar_certified=None, best_error_attack=0.0,
                           best_error_certified=1.0, c1_size=c1, linear_clean_error=0.0, linear_robust_error=1.0)

    eps, c = 0.25, 0.5
    line = _growth([cap(3, 4, 10, 50), cap(5, 16, 30, 400)], eps, c)
    lb = (2 * eps) ** (-(5 - 3) / 6)  # Thm 4.3: (2 eps)^(-(d-1)/6)
    ub = (16 * 5 * math.log(5 / (c * eps))) / (4 * 3 * math.log(3 / (c * eps)))  # Thm 2.2: M d log(d/delta)
    assert line == (f"from d = 3 to d = 5: W* (attack) grows x3, C1's exact size x8; the rates' exponents predict "
                    f"x{lb:.3g} (Thm 4.3 lower bound K^((d-1)/6)) and x{ub:.3g} (Thm 2.2 upper bound M d log(d/delta)), "
                    "constants unknown")
    assert _growth([cap(3, 4, 10, 50)], eps, c) is None


def test_an_unknown_experiment_kind_is_reported_generically(tmp_path, capsys):
    run = _write_run(tmp_path)
    extra = [_row(3, 2, 10, 0, 0.25, 0.75, "manifold", unseen=0.5), _row(3, 2, 10, 1, 0.75, 1.0, "manifold", unseen=0.0)]
    pd.concat([_table(), pd.DataFrame(extra)]).to_parquet(run / "results.parquet", index=False)
    g = generic_table(pd.DataFrame(extra))
    assert g.to_dict("records") == [{"training": "manifold", "d": 3, "width": 2, "seeds": 2, "size": 10,
                                     "test_robust_error": 0.5, "test_certified_error": 0.875,
                                     "train_robust_error": 0.0, "unseen_fraction": 0.25,
                                     "linear_clean_error": 0.0, "linear_robust_error": 1.0}]
    code, out, _ = run_cli(["report", str(run)], capsys)
    assert code == 0 and out.strip() == str(run / "report.html")
    text = (run / "report.html").read_text()
    assert "<h2>Other experiment kinds (generic)</h2>" in text
    assert "<tr><td class=l>manifold</td><td>3</td><td>2</td><td>2</td><td>10</td><td>0.5</td><td>0.875</td>" in text
    assert "rows of training kind &#x27;manifold&#x27; (2) have no analysis of their own here" in text
    # a run of that kind only: no E1/E2 table, no figure, still a report
    pd.DataFrame(extra).to_parquet(run / "results.parquet", index=False)
    out = write_robust_run_report(run, tmp_path / "only.html", figures_dir=tmp_path / "fig")
    text = out.read_text()
    assert "<h2>E1:" not in text and "<h2>E2:" not in text and "<p>No E1 or E2 rows: no figure.</p>" in text
    assert "<tr><td class=l>manifold</td>" in text and not (tmp_path / "fig").exists()


def test_partial_run_is_labelled(tmp_path, capsys):
    run = _write_run(tmp_path, status="partial")
    code, _, err = run_cli(["report", str(run), "--out", str(tmp_path / "r.html"), "--figures", str(tmp_path / "f")], capsys)
    assert code == 0 and "PARTIAL robust run" in err
    text = (tmp_path / "r.html").read_text()
    assert "<b>PARTIAL RUN</b>" in text and _finding(text)[0].startswith("PARTIAL run")
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["e1_capacity.pdf", "e1_capacity.png",
                                                                  "e2_gap.pdf", "e2_gap.png"]
    assert not (run / "report.html").exists() and not (run / "figures").exists()


def test_cli_errors_are_one_line_and_write_nothing(tmp_path, capsys):
    run = _write_run(tmp_path)
    before = sorted(p.name for p in run.iterdir())
    code, _, err = run_cli(["report", str(run), "--alpha", "1.5"], capsys)
    assert code == 2
    assert err.strip() == "uniformgap report: error: `--alpha` must be a number in [0, 1), got 1.5 (e.g. --alpha 0.1)"
    code, _, err = run_cli(["report", str(run), "--metrics", "l2"], capsys)
    assert code == 2 and err.strip() == (f"uniformgap report: error: `--metrics` applies to student-teacher runs only, "
                                         f"got 'l2' for the robust run '{run}' (e.g. uniformgap report {run})")
    code, _, err = run_cli(["report", str(run), "--out", str(run / "config.yaml")], capsys)
    assert code == 2 and "`--out` must end in .html or .htm" in err
    assert sorted(p.name for p in run.iterdir()) == before


@pytest.mark.slow
def test_robust_run_report_renders_in_headless_chromium(report, tmp_path):
    assert images_decoded(report, tmp_path / "profile") == ("2", "2")
