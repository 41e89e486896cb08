"""The examples run end to end (bounds → experiment → analysis) in their tiny configuration.

They run in-process (runpy, as ``__main__``) to spare two interpreter start-ups; each
example only uses the public API and the in-process executor.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, out: Path, capsys, monkeypatch) -> str:
    monkeypatch.setenv("UNIFORMGAP_TINY", "1")
    monkeypatch.setattr(sys, "argv", [name, "--out", str(out)])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


@pytest.mark.slow
def test_minimax_quick_example(tmp_path, capsys, monkeypatch):
    out = run_example("01_minimax_quick.py", tmp_path / "quick", capsys, monkeypatch)
    lines = out.splitlines()
    assert sum(line.startswith("bounds: eps=") for line in lines) == 3
    table = pd.read_parquet(tmp_path / "quick" / "results.parquet")
    assert f"experiment: complete, {len(table)} rows in {tmp_path / 'quick'}" in lines
    # one line per metric the run measured: the quick preset evaluates exactly (1-D breakpoints), no Monte Carlo
    metrics = [c for c in ("l1", "l2", "linf", "l1_exact", "l2_exact", "linf_exact", "linf_lower", "linf_upper")
               if c in table.columns]
    assert metrics == ["l1_exact", "l2_exact", "linf_exact"]
    # the finding first: one line per m with the fit regime, then why an optimisation floor is not the barrier
    findings = [line for line in lines if line.startswith("finding: ")]
    assert [f.split(" the worst-case")[0] for f in findings[:2]] == ["finding: at m = 10", "finding: at m = 100"]
    assert all(("sampling-limited" in f) != ("optimisation-limited" in f) for f in findings[:2])
    for metric in metrics:
        assert sum(line.startswith(f"analysis: m=100 {metric:4s} ") for line in lines) == 1
        assert sum(line.startswith(f"analysis: {metric:4s} fitted slope") for line in lines) == 1
    assert lines[-1] == f"report: {tmp_path / 'quick' / 'report.html'}"
    assert (tmp_path / "quick" / "report.html").stat().st_size > 20_000


@pytest.mark.slow
def test_sine_figure1_example(tmp_path, capsys, monkeypatch):
    out = run_example("02_sine_figure1.py", tmp_path / "sine", capsys, monkeypatch)
    assert out.startswith("sine, m=200: L2 error ")
    fig = tmp_path / "sine" / "figures" / "fig1_sine.png"
    assert f"figure 1: {fig} (largest error at x = " in out
    assert fig.stat().st_size > 10_000 and fig.with_suffix(".pdf").stat().st_size > 2_000
