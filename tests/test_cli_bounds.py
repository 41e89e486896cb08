"""Tests of `uniformgap bounds` (cli/_bounds.py): output, JSON, sweeps and every bad-input message."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from uniformgap.cli import main
from uniformgap.cli._bounds import human


def _run(capsys, *argv):
    code = main(["bounds", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, *argv):
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_done_when_paper_bound_beside_W_and_atoms(capsys):
    code, out, err = _run(capsys, "--dim", "15", "--depth", "5", "--coef-bound", "1", "--eps", "1e-3")
    assert code == 0 and err == ""
    expected = 15 * (3 * np.log10(45) - np.log10(29e-3))
    assert f"Theorem 1.1 lower            m >= 10^{expected:.2f} (2.9e97)" in out
    assert "W = 6976" in out
    assert f"atoms in the observable universe (~1e80): the lower bound is 10^{expected - 80:.2f}" in out
    assert "ORDER OF MAGNITUDE" in out


@pytest.mark.parametrize("d,L,c,eps", [(15, 5, 1.0, 1e-3), (1, 3, 2.0, 0.5), (7, 12, 0.9, 1e-6)])
def test_json_paper_keys_equal_formulas(capsys, d, L, c, eps):
    r = _json(capsys, "--dim", str(d), "--depth", str(L), "--coef-bound", str(c), "--eps", str(eps))
    base = L * np.log10(c) + (L - 2) * np.log10(3 * d)
    assert r["paper_lower_log10_samples"] == pytest.approx(d * (base - np.log10(29 * eps)), abs=1e-9)
    assert r["paper_upper_log10_samples"] == pytest.approx(d * (base + np.log10(3 * d**2 / eps)), abs=1e-9)
    assert r["n_params"] == 3 * d * (d + 1) + (L - 2) * 3 * d * (3 * d + 1) + 3 * d + 1
    for key in ("derived_lower_log10_samples", "derived_lower_log10_samples_optimised", "derived_upper_log10_samples"):
        assert math.isfinite(r[key])
    assert r["paper_reason"] is None and (r["d"], r["L"], r["eps"], r["q"], r["p"]) == (d, L, eps, "inf", "inf")


def test_json_non_paper_class_gives_null_and_reason(capsys):
    r = _json(capsys, "--dim", "3", "--depth", "4", "--width", "20,5,7", "--reg", "2", "--norm", "2", "--eps", "0.01")
    assert r["paper_lower_log10_samples"] is None and r["paper_upper_log10_samples"] is None
    assert r["paper_reason"] == (
        "Theorems 1.1/1.4 (paper) need q = inf (got q = 2), p = inf (got p = 2), "
        "every hidden width = 3d = 9 (got 20,5,7)"
    )
    assert r["widths"] == [20, 5, 7] and r["headline_lower_source"] == "derived"


def test_json_samples_bracket(capsys):
    r = _json(capsys, "--dim", "2", "--depth", "4", "--samples", "1e4")
    assert 0 < r["derived_lower_error"] <= r["derived_upper_error"]
    assert r["derived_lower_log10_error"] == pytest.approx(np.log10(r["derived_lower_error"]))
    assert r["derived_upper_log10_error"] == pytest.approx(np.log10(r["derived_upper_error"]))
    # The poster-form rate (Remark B.4) sits inside [γ/29, 3d²γ] m^{-1/2}, γ = 6^2.
    assert r["paper_lower_error"] == pytest.approx(36 / 29 / 100)
    assert r["paper_upper_error"] == pytest.approx(12 * 36 / 100)


def test_text_samples_mode(capsys):
    code, out, _ = _run(capsys, "--dim", "2", "--depth", "4", "--samples", "1e4")
    assert code == 0
    assert "bracket (§4 exact max, §5)" in out and "even m = 1e80 samples" in out and "W = 109" in out


def test_d1000_L100_json_is_finite(capsys):
    r = _json(capsys, "--dim", "1000", "--depth", "100", "--eps", "1e-3")
    for key in ("paper_lower_log10_samples", "derived_lower_log10_samples_optimised", "derived_upper_log10_samples"):
        assert math.isfinite(r[key]) and r[key] > 3e5


def test_human_form_from_log10():
    assert human(97.45859) == "2.9e97"
    assert human(2.0) == "1.0e2"
    assert human(-1.5) == "3.2e-2"
    assert human(0.99999) == "1.0e1"  # mantissa 9.9998 rounds up into the next decade
    assert human(5000.3) == "2.0e5000"  # never forms the float
    assert human(None) == "n/a"


def test_sweep_json_table_and_plot(capsys, tmp_path):
    plot = tmp_path / "map.png"
    r = _json(capsys, "--dims", "1:6", "--depths", "3:8", "--eps", "1e-3", "--plot", str(plot))
    assert r["bound"] == "paper" and len(r["rows"]) == 36 and r["plot"] == str(plot)
    assert plot.stat().st_size > 1000 and plot.read_bytes()[:4] == b"\x89PNG"
    row = next(x for x in r["rows"] if (x["d"], x["L"]) == (5, 7))
    assert row["lower_log10_samples"] == pytest.approx(5 * (5 * np.log10(15) - np.log10(29e-3)))
    code, out, _ = _run(capsys, "--dims", "1,5,10,13,17,24", "--depths", "3:200", "--eps", "1e-3", "--table")
    assert code == 0 and "lower bound shown: paper Theorem 1.1 lower bound" in out
    for d, L, W in [(1, 167, 1990), (5, 15, 3226), (10, 7, 5011), (13, 5, 5266), (17, 4, 6274), (24, 3, 7129)]:
        assert f"  {d:>5} {L:>5} {W:>10}" in out
    assert len([line for line in out.splitlines() if line.startswith("  ")]) == 1 + 6 + 1 + 6 * 198


def test_sweep_with_q2_uses_derived_bound(capsys):
    r = _json(capsys, "--dims", "2,3", "--depths", "3,4", "--reg", "2", "--eps", "1e-2")
    assert r["bound"] == "derived" and all(x["paper_lower_log10_samples"] is None for x in r["rows"])


H = " (see 'uniformgap bounds --help')"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--dim", "0", "--depth", "5", "--eps", "1e-3"], "argument --dim: must be an integer >= 1, got '0'" + H),
        (["--dim", "3", "--depth", "2", "--eps", "1e-3"], "argument --depth: must be an integer >= 3, got '2'" + H),
        (["--dim", "3", "--depth", "5", "--coef-bound", "0", "--eps", "1e-3"], "argument --coef-bound: must be a number > 0, got '0'" + H),
        (["--dim", "3", "--depth", "5", "--coef-bound", "-1", "--eps", "1e-3"], "argument --coef-bound: must be a number > 0, got '-1'" + H),
        (["--dim", "3", "--depth", "5", "--eps", "0"], "argument --eps: must be a number > 0, got '0'" + H),
        (["--dim", "3", "--depth", "5", "--eps=-1e-3"], "argument --eps: must be a number > 0, got '-1e-3'" + H),
        (["--dim", "3", "--depth", "5", "--reg", "0.5", "--eps", "1e-3"], "argument --reg: must be a number >= 1 or 'inf', got '0.5'" + H),
        (["--dim", "3", "--depth", "5", "--norm", "0.5", "--eps", "1e-3"], "argument --norm: must be a number >= 1 or 'inf', got '0.5'" + H),
        (["--dim", "3", "--depth", "5", "--c0", "0", "--eps", "1e-3"], "argument --c0: must be a number > 0, got '0'" + H),
        (["--dim", "3", "--depth", "5", "--samples", "0.5"], "argument --samples: must be a number >= 1, got '0.5'" + H),
        (["--dim", "3", "--depth", "5", "--width", "0", "--eps", "1e-3"], "argument --width: must be one integer >= 1 or a comma list of integers >= 1, got '0'" + H),
        (["--dims", "0:3", "--depths", "3:5", "--eps", "1e-3"], "argument --dims: must be integers >= 1, got '0:3'" + H),
        (["--dims", "1:3", "--depths", "2:5", "--eps", "1e-3"], "argument --depths: must be integers >= 3, got '2:5'" + H),
    ],
)
def test_argparse_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(["bounds", *argv])
    assert e.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"uniformgap bounds: error: {message}\n"


def test_unknown_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bounds", "--dim", "3", "--depth", "5", "--eps", "1e-3", "--frobnicate"])
    assert e.value.code == 2
    assert capsys.readouterr().err == (
        "uniformgap: error: unrecognized arguments: --frobnicate (see 'uniformgap --help')\n"
    )


EX = "e.g. uniformgap bounds --dim 15 --depth 5 --eps 1e-3"
SEX = "e.g. uniformgap bounds --dims 1:30 --depths 3:10 --eps 1e-3"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--dim", "3", "--depth", "5", "--eps", "1e-3", "--samples", "10"], f"give exactly one of --eps or --samples, got both ({EX})"),
        (["--dim", "3", "--depth", "5"], f"give exactly one of --eps or --samples, got neither ({EX})"),
        (["--dim", "3", "--depth", "5", "--width", "9,9", "--eps", "1e-3"], "`--width` must be one integer or L-1 = 4 comma-separated integers for --depth 5, got '9,9'"),
        (["--depth", "5", "--eps", "1e-3"], f"`--dim` is required (or --dims for a sweep), {EX}"),
        (["--dim", "3", "--eps", "1e-3"], f"`--depth` is required (or --depths for a sweep), {EX}"),
        (["--dim", "3", "--dims", "1:3", "--depth", "5", "--eps", "1e-3"], f"give --dim or --dims, not both ({EX})"),
        (["--dims", "1:3", "--depths", "3:5", "--samples", "10"], f"`--samples` cannot be used in a sweep (--dims/--depths map the sample bound for --eps), {SEX}"),
        (["--dims", "1:3", "--depths", "3:5", "--eps", "1e-3", "--width", "3,4"], "`--width` must be one integer in a sweep (--dims/--depths), got '3,4'"),
        (["--dims", "1:3", "--depths", "3:5", "--eps", "1e-3", "--plot", "x.txt"], "`--plot` must end in .png, .pdf or .svg, got 'x.txt'"),
        (["--dim", "3", "--depth", "5", "--eps", "1e-3", "--table"], f"`--table` needs a sweep over --dims/--depths, {SEX} --table"),
    ],
)
def test_cross_argument_errors(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err == f"uniformgap bounds: error: {message}\n"
