"""The robustness report (analysis/_robust_report.py) of a `robust train` directory: the finding in
words first, the side-by-side bracket table read back from table.json, the attacks, the selected
and OPTIMISTIC epochs, the embedded curves; run-kind detection in `uniformgap report`; the page
renders in headless Chromium."""

from __future__ import annotations

import base64
import html
import json
import re

import numpy as np

import pytest
import torch

from _browser import images_decoded
from uniformgap.analysis._robust_report import robust_headline, run_kind, write_robust_report
from uniformgap.cli import main

TINY = ["--epochs", "2", "--width", "16", "--eval-steps", "2", "--eval-restarts", "1", "--no-library"]


@pytest.fixture(scope="module")
def robust_dir(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = tmp_path_factory.mktemp("robust") / "run"
        assert main(["robust", "train", "digits", "--eps", "0.05", "--seeds", "0,1", *TINY,
                     "--out", str(out), "--json"]) == 0
    finally:
        torch.set_num_threads(threads)
    return out


@pytest.fixture(scope="module")
def report(robust_dir):
    assert main(["report", str(robust_dir)]) == 0
    return robust_dir / "report.html"


def test_run_kind_tells_the_two_kinds_apart(robust_dir, tmp_path):
    from uniformgap.analysis._synthetic import write_synthetic_run

    assert run_kind(robust_dir) == "robust"
    assert run_kind(write_synthetic_run(tmp_path / "st", n_samples=(10,), n_teachers=2)) == "student-teacher"


def test_the_finding_comes_first_and_the_table_is_the_run_s(report, robust_dir):
    text = report.read_text()
    table = json.loads((robust_dir / "table.json").read_text())
    finding = text.index("<b>Finding.</b>")
    assert finding < text.index("<h2>Robustness: clean vs adversarial training</h2>")
    for s in table["summary"]:
        t = s["training"]
        line = (f"{t} training: robust train {s['train_robust']:.3f} vs robust test {s['test_robust']:.3f} "
                f"— gap {round(s['train_robust'] - s['test_robust'], 3) + 0.0:.3f}")
        assert html.escape(line) in text, line
        # each robust cell is the bracket certified <= true <= attack of table.json
        for split in ("train", "val", "test"):
            cell = f"{s[f'{split}_certified']:.3f} &le; true &le; <b>{s[f'{split}_robust']:.3f}</b>"
            assert cell in text, cell
    # both trainings side by side in one table
    head = re.search(r"<th colspan=2>clean training \(seeds 0, 1\)</th><th colspan=2>adversarial training", text)
    assert head is not None


def test_attacks_epochs_and_the_optimistic_label(report, robust_dir):
    text = report.read_text()
    table = json.loads((robust_dir / "table.json").read_text())
    assert "<b>pgd-ce, pgd-margin</b>" in text and "Not the full suite." in text
    assert "test-selected epoch (OPTIMISTIC, not used)" in text
    for r in table["rows"]:
        row = (f"<tr><td class=l>{r['training']}</td><td>{r['seed']}</td><td><b>{r['selected_epoch']}</b></td>"
               f"<td>{r['optimistic_epoch']}</td><td>{r['epochs_done']}</td>")
        assert row in text, row


def test_the_curves_figure_is_embedded_byte_for_byte(report, robust_dir):
    text = report.read_text()
    assert "http://" not in text and "https://" not in text
    imgs = re.findall(r"src='data:image/png;base64,([^']+)'", text)
    assert [base64.b64decode(d) for d in imgs] == [(robust_dir / "curves.png").read_bytes()]


def test_test_intervals_are_a_bootstrap_of_the_saved_per_point_verdicts(robust_dir, report):
    """Rebuild the per-point verdicts from the saved models (numpy forward pass) and witnesses
    (indices of correct but fooled test points), resample the points by hand: the stored interval."""
    from uniformgap.networks import load_network
    from uniformgap.robust import load_dataset

    table = json.loads((robust_dir / "table.json").read_text())
    b = table["bootstrap"]
    assert b["n_bootstrap"] == 1000 and b["level"] == 0.95 and b["seed"] == 0
    data = load_dataset("digits")
    for s in table["summary"]:
        clean, robust = [], []
        for seed in s["seeds"]:
            net, _ = load_network(robust_dir / s["training"] / f"seed{seed}.json")
            h = data.x_test
            for i, (A, bias) in enumerate(net.layers):
                h = h @ A.numpy().T + bias.numpy()
                h = np.maximum(h, 0) if i < net.depth - 1 else h
            correct = h.argmax(1) == data.y_test
            fooled = np.zeros(len(correct), bool)
            fooled[np.load(robust_dir / s["training"] / f"seed{seed}_witnesses.npz")["index"]] = True
            clean.append(correct)
            robust.append(correct & ~fooled)
        for key, per_seed in (("test_clean", clean), ("test_robust", robust)):
            a = np.mean(per_seed, axis=0)
            rng = np.random.default_rng(0)
            means = [a[rng.integers(0, len(a), size=(1, len(a)))][0].mean() for _ in range(1000)]
            want = np.percentile(means, [2.5, 97.5])
            assert s[f"{key}_ci"] == pytest.approx(want, abs=1e-12), key
            assert s[f"{key}_ci"][0] <= s[key] <= s[f"{key}_ci"][1]
            ci = f"CI [{s[f'{key}_ci'][0]:.3g}, {s[f'{key}_ci'][1]:.3g}]"
            assert ci in report.read_text()
    assert "95% percentile bootstrap interval over test points (1000 replicates, seed 0)" in report.read_text()


def _table(train_robust, test_robust, certified, *, full=True, clean=None):
    def summ(training, rt, rte, cert):
        return {"training": training, "seeds": [0], "train_clean": 1.0, "test_clean": 0.9, "train_robust": rt,
                "test_robust": rte, "train_certified": cert, "test_certified": cert, "robust_gap": rt - rte,
                "full_suite": full}

    summary = [summ("adversarial", train_robust, test_robust, certified)]
    if clean is not None:
        summary.insert(0, summ("clean", *clean, certified))
    return {"rows": [], "summary": summary, "status": "complete"}


def test_headline_says_when_a_small_gap_comes_from_underfitting():
    under = robust_headline(_table(0.42, 0.40, 0.0))
    assert under[0].startswith("adversarial training: robust train 0.420 vs robust test 0.400 — gap 0.020")
    assert "has NOT fit the robust training loss (robust train accuracy 0.420 < 0.9)" in under[0]
    assert "the gap is small because the robust training error itself is large" in under[0]
    assert any("certified robust accuracy is 0: the networks were not trained for certification" in t for t in under)
    fit = robust_headline(_table(0.98, 0.60, 0.3))
    assert "NOT fit" not in fit[0] and not any("certified robust accuracy is 0" in t for t in fit)
    big = robust_headline(_table(0.70, 0.30, 0.3))  # underfit, but the gap is not small
    assert "NOT fit" in big[0] and "the gap is small" not in big[0]
    clean = robust_headline(_table(0.98, 0.6, 0.3, clean=(0.04, 0.05)))[0]
    assert clean.startswith("clean training: robust train 0.040 vs robust test 0.050 — gap -0.010")
    assert "clean training does not minimise the robust training loss (robust train accuracy 0.040)" in clean
    assert "gap 0.000 " in robust_headline(_table(0.5, 0.5 + 1e-9, 0.0))[0]  # no "-0.000"


def test_headline_compares_trainings_and_flags_a_weak_attack():
    lines = robust_headline(_table(0.95, 0.7, None, full=False, clean=(0.2, 0.05)))
    assert "adversarial training moves robust test accuracy from 0.050 (clean training) to 0.700" in lines[-3]
    assert lines[-2].startswith("no certified lower bound (not a ReLU MLP)")
    assert lines[-1].startswith("the attack was NOT the full suite")


def test_report_cli_detects_neither_kind_in_one_line(tmp_path, capsys):
    (tmp_path / "table.json").write_text(json.dumps({"something": 1}))
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"uniformgap report: error: `RUN_DIR` must be a run directory of `uniformgap run` (results.parquet "
                   f"or results.csv) or of `uniformgap robust train` (table.json), got '{tmp_path}' (neither "
                   "results.parquet/results.csv nor a robust table.json) (e.g. uniformgap report runs/robust-quick)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.json"]


def test_report_cli_refuses_student_teacher_options_on_a_robust_run(robust_dir, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(robust_dir), "--metrics", "l2", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"uniformgap report: error: `--metrics` applies to student-teacher runs only, got 'l2' for the robust run "
        f"'{robust_dir}' (e.g. uniformgap report {robust_dir})")
    assert main(["report", str(robust_dir), "--out", str(robust_dir / "table.json")]) == 2
    assert "`--out` must end in .html or .htm" in capsys.readouterr().err
    assert not out.exists()
    assert write_robust_report(robust_dir, out) == out and out.stat().st_size > 10_000


@pytest.mark.slow
def test_robust_report_renders_in_headless_chromium(report, tmp_path):
    assert images_decoded(report, tmp_path / "profile") == ("1", "1")
