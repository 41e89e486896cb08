"""The HTML report: self-contained (no external URL), complete, and it renders in headless
Chromium with every figure decoded and a non-blank page."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from _browser import chromium, images_decoded
from uniformgap.analysis import AnalysisConfig, FigureSet, analyze, render_html, write_report
from uniformgap.analysis._synthetic import write_synthetic_run


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    run = write_synthetic_run(tmp_path_factory.mktemp("rep") / "run", n_samples=(10, 1000), n_teachers=3)
    return write_report(run, config=AnalysisConfig(metrics=("l2", "linf"), n_bootstrap=100))


def test_report_is_written_to_the_run_and_self_contained(report):
    assert report == report.parent / "report.html" and report.stat().st_size > 20_000
    text = report.read_text()
    assert "http://" not in text and "https://" not in text and "<link" not in text
    imgs = re.findall(r"src='data:image/png;base64,([^']+)'", text)
    figures = sorted((report.parent / "figures").glob("*.png"))
    assert len(imgs) == len(figures) == 4  # Figure 2, two heat tables, training curves
    for data in imgs:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_holds_the_tables_definitions_and_provenance(report):
    text = report.read_text()
    for needle in (
        "minimum over learner configurations",  # the estimator in words
        "Selection: validation (honest)",
        "Minimax errors",
        "Rates (log-log least squares",
        "Resolved configuration",
        "name: synthetic",  # the config YAML
        "torch</th>",  # package versions
        "platform</th>",  # machine
        "run time: 60.0 s",  # from run.json timestamps
        "images loaded:",
    ):
        assert needle in text, needle
    assert "PARTIAL RUN" not in text and "OPTIMISTIC" not in text


def test_report_opens_with_the_finding_and_explains_the_regimes(report):
    import html

    text = report.read_text()
    analysis = analyze(report.parent, metrics=("l2", "linf"), n_bootstrap=0)
    head = analysis.diagnostics.headline
    assert [line.split(" the worst-case")[0] for line in head[:2]] == ["at m = 10", "at m = 1000"]
    finding = text.index("<b>Finding.</b>")
    assert finding < text.index("<h2>The estimator</h2>")  # the first thing after the title
    for line in head:
        assert text.index(f"<li>{html.escape(line)}</li>") > finding
    assert "Why the uniform error stalls: fit and location" in text and "sampling-limited" in text
    for f in analysis.diagnostics.fits:
        assert f"<td class=l>{f.regime}</td>" in text
    assert "lower bound&#x27;s rate &minus;1/d&minus;1/p" in text or "lower bound's rate &minus;1/d&minus;1/p" in text


def test_partial_and_optimistic_runs_are_labelled(tmp_path):
    run = write_synthetic_run(tmp_path / "run", n_samples=(10, 100), n_teachers=2, status="partial")
    analysis = analyze(run, selection="test", n_bootstrap=0)
    text = render_html(analysis, FigureSet((), ()))
    assert "<b>PARTIAL RUN</b>" in text and "<b>OPTIMISTIC</b>" in text
    assert "<b>Selection: test (OPTIMISTIC, the paper's estimator).</b>" in text


@pytest.mark.slow
def test_report_renders_in_headless_chromium(report, tmp_path):
    assert images_decoded(report, tmp_path / "profile0") == ("4", "4")  # every <img> decoded (naturalWidth > 0)

    shot = tmp_path / "shot.png"
    chromium(report, tmp_path / "profile1", f"--screenshot={shot}", "--window-size=1200,1600")
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[0] >= 1000 and np.std(pixels) > 0.02  # not a blank page
