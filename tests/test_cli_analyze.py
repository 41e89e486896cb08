"""`uniformgap analyze` and `uniformgap report`: output agrees with the Python API, every
mistake is one line with exit 2, partial runs are announced."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from uniformgap.analysis import analyze
from uniformgap.analysis._synthetic import write_synthetic_run
from uniformgap.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_synthetic_run(tmp_path_factory.mktemp("cli") / "run", n_samples=(10, 100, 1000), n_teachers=4,
                               diverged_fraction=0.03)


def call(capsys, *argv):
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_matches_the_python_api(run_dir, capsys):
    code, out, err = call(capsys, "analyze", run_dir, "--json", "--bootstrap", 200, "--seed", 7)
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj["selection"] == "validation" and obj["optimistic"] is False and obj["partial"] is False
    api = analyze(run_dir, n_bootstrap=200, seed=7)
    assert len(obj["minimax"]) == len(api.minimax) == 3 * 3 * 2
    for got, want in zip(obj["minimax"], api.minimax):
        assert {"metric", "n_samples", "value", "ci_low", "ci_high", "teacher", "config", "kind"} <= got.keys()
        assert (got["metric"], got["n_samples"], got["kind"], got["config"], got["teacher"]) == (
            want.metric, want.n_samples, want.kind, want.config, want.teacher)
        assert (got["value"], got["ci_low"], got["ci_high"]) == (want.value, want.ci_low, want.ci_high)
        assert got["ci_low"] <= got["ci_high"]
    assert [(r["metric"], r["kind"]) for r in obj["rates"]] == [
        (m, k) for m in ("l1", "l2", "linf") for k in ("worst", "average")]
    for r in obj["rates"]:
        assert {"slope", "ci_low", "ci_high", "theory_slope"} <= r.keys()
    assert [r["theory_slope"] for r in obj["rates"]] == [-2.0, -2.0, -1.5, -1.5, -1.0, -1.0]


def test_text_output_shows_table_and_rates(run_dir, capsys):
    code, out, _ = call(capsys, "analyze", run_dir, "--bootstrap", 50, "--metrics", "linf")
    assert code == 0
    api = analyze(run_dir, n_bootstrap=50, metrics=("linf",))
    lines = out.splitlines()
    assert lines[0].startswith(f"run {run_dir}: selection validation; 50 bootstrap replicates")
    worst = api.entry("linf", "worst", 1000)
    row = next(line for line in lines if line.startswith("linf    1000"))
    assert f"{worst.value:.3g}" in row and f"[{worst.ci_low:.3g}, {worst.ci_high:.3g}]" in row
    assert worst.config in row
    assert any(line.split()[:2] == ["linf", "worst"] for line in lines)
    assert not any(line.startswith("l1 ") for line in lines)


def test_selection_test_is_labelled_optimistic(run_dir, capsys):
    code, out, _ = call(capsys, "analyze", run_dir, "--selection", "test", "--bootstrap", 0)
    assert code == 0 and "OPTIMISTIC" in out.splitlines()[0]
    code, out, _ = call(capsys, "analyze", run_dir, "--selection", "test", "--bootstrap", 0, "--json")
    obj = json.loads(out)
    assert obj["optimistic"] is True and obj["notes"][0].startswith("selection 'test' is OPTIMISTIC")
    assert all(e["ci_low"] is None for e in obj["minimax"])  # no replicates: NaN -> null


def test_figures_option_writes_png_and_pdf(capsys, tmp_path):
    run = write_synthetic_run(tmp_path / "run", n_samples=(10, 100), n_teachers=2)
    code, out, _ = call(capsys, "analyze", run, "--metrics", "l2", "--bootstrap", 0, "--json",
                        "--figures", tmp_path / "figs")
    files = json.loads(out)["figures"]
    assert code == 0 and len(files) == 2 * 4  # fig2, 2 heat tables, curves; PNG + PDF
    for f in files:
        assert (tmp_path / "figs").joinpath(f.rsplit("/", 1)[-1]).stat().st_size > 1000


def test_partial_run_is_announced_and_analysed(tmp_path, capsys):
    run = write_synthetic_run(tmp_path / "run", n_samples=(10, 100), n_teachers=2, status="partial")
    code, out, err = call(capsys, "analyze", run, "--json", "--bootstrap", 0)
    assert code == 0
    assert err == "uniformgap analyze: PARTIAL run: analysing the rows that exist (see notes)\n"
    obj = json.loads(out)
    assert obj["partial"] is True and len(obj["minimax"]) == 3 * 2 * 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--selection", "best"], "argument --selection: must be 'validation' or 'test', got 'best' "
                                  "(see 'uniformgap analyze --help')"),
        (["--bootstrap", "-1"], "argument --bootstrap: must be an integer >= 0, got '-1' "
                                "(see 'uniformgap analyze --help')"),
        (["--seed", "x"], "argument --seed: must be an integer >= 0, got 'x' (see 'uniformgap analyze --help')"),
    ],
)
def test_bad_flags_are_one_line(run_dir, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(run_dir), *argv])
    assert exc.value.code == 2
    assert capsys.readouterr().err == f"uniformgap analyze: error: {message}\n"


def test_unknown_metric(run_dir, capsys):
    code, out, err = call(capsys, "analyze", run_dir, "--metrics", "l1,lsup")
    assert (code, out) == (2, "")
    assert err == ("uniformgap analyze: error: `--metrics` must be a comma list of metrics in the table "
                   "(l1, l2, linf), got 'l1,lsup' (e.g. --metrics l1,l2)\n")


def test_not_a_run_and_empty_and_unreadable_tables(tmp_path, capsys):
    code, _, err = call(capsys, "analyze", tmp_path)
    assert code == 2 and err == (
        f"uniformgap analyze: error: `RUN_DIR` must be a run directory holding results.parquet or "
        f"results.csv, got '{tmp_path}' (no results table) (e.g. uniformgap analyze runs/quick)\n")
    (tmp_path / "results.parquet").write_bytes(b"PAR1 half written")
    code, _, err = call(capsys, "report", tmp_path)
    assert code == 2 and err == (
        f"uniformgap report: error: `RUN_DIR` must be a run directory holding results.parquet or "
        f"results.csv, got '{tmp_path}' (unreadable results.parquet: ArrowInvalid) "
        "(e.g. uniformgap analyze runs/quick)\n")
    pd.DataFrame(columns=["config_id", "teacher", "seed", "n_samples", "epoch", "l1"]).to_csv(
        tmp_path / "results.csv", index=False)
    code, _, err = call(capsys, "analyze", tmp_path)
    assert code == 2 and err == (
        f"uniformgap analyze: error: `RUN_DIR` has an empty results table (no checkpoint finished yet), "
        f"got '{tmp_path}' (wait for the first evaluation, then run again)\n")


def test_report_prints_its_path(tmp_path, capsys):
    run = write_synthetic_run(tmp_path / "run", n_samples=(10, 100), n_teachers=2)
    out_file = tmp_path / "out" / "r.html"
    code, out, err = call(capsys, "report", run, "--out", out_file, "--metrics", "linf", "--bootstrap", 20)
    assert code == 0 and err == "" and out == f"{out_file}\n"
    assert out_file.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in (run / "figures").glob("*.png")) == [
        "fig2_error_vs_m.png", "heat_m10.png", "heat_m100.png", "training_curves.png"]
