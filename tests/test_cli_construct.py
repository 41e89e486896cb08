"""`uniformgap construct hat|interpolate`: real output, exports checked without uniformgap, errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from _cli import run_cli


HAT = ["construct", "hat", "--dim", "2", "--depth", "4", "--coef-bound", "1.5", "--scale", "4", "--center", "0.3,0.6"]


def test_hat_json_reports_the_hand_computed_lambda(capsys):
    code, out, err = run_cli(HAT + ["--json"], capsys)
    assert code == 0 and err == ""
    report = json.loads(out)
    lam = 1.5**4 * 6**2 / 4  # c^L (3d)^{L-2} / M
    assert report["lambda"] == pytest.approx(lam, rel=1e-12)
    assert report["log10_lambda"] == pytest.approx(math.log10(lam), rel=1e-12)
    assert report["coef_norm"] <= 1.5 and report["q"] == "inf" and report["verified"] is True
    assert report["architecture"] == [2, 6, 6, 6, 1] and report["W"] == 2 * 6 + 6 + 2 * (6 * 6 + 6) + 7
    assert report["support_l1_radius"] == 0.25
    assert sum(report["support_box"], []) == pytest.approx([0.05, 0.55, 0.35, 0.85])


def test_hat_text_output(capsys):
    code, out, _ = run_cli(HAT + ["--reg", "2"], capsys)
    assert code == 0
    lam = 1.5**4 / 4 / 4  # q = 2: γ = c^L (2d)^{-1}, M_* = 1.5/4 < M = 4
    assert f"  lambda      {lam:.10g}  (log10 {math.log10(lam):.6f})" in out.splitlines()
    assert "support     {|x - y|_1 < 0.25}, bounding box [0.05, 0.55] x [0.35, 0.85]" in out


NUMPY_CHECK = r"""
import json, sys
import numpy as np
data = json.load(open(sys.argv[1]))
q = float(data["q"]); lam = data["lambda"]; M = data["M"]; y = np.asarray(data["y"])
def norm(a):
    a = np.abs(np.asarray(a, dtype=float)).ravel()
    return a.max() if np.isinf(q) else (a ** q).sum() ** (1 / q)
coef = max(max(norm(l["weight"]), norm(l["bias"])) for l in data["layers"])
rng = np.random.default_rng(1)
x = np.vstack([y[None, :], y + rng.uniform(-2 / M, 2 / M, (3000, y.size)), rng.uniform(0, 1, (1000, y.size))])
h = x
for i, l in enumerate(data["layers"]):
    h = h @ np.asarray(l["weight"]).T + np.asarray(l["bias"])
    if i < len(data["layers"]) - 1:
        h = np.maximum(h, 0)
want = lam * np.maximum(1 - M * np.abs(x - y).sum(axis=1), 0)
print(json.dumps({"coef": coef, "c": data["c"], "at_y": h[0, 0], "lam": lam,
                  "dev": float(np.abs(h[:, 0] - want).max()), "inside": int((want > 0).sum())}))
"""


@pytest.mark.parametrize("extra", [[], ["--reg", "1"], ["--style", "paper"]])
def test_export_checked_by_a_numpy_only_process(tmp_path, capsys, extra):
    path = tmp_path / "hat.json"
    code, _, _ = run_cli(HAT + extra + ["--export", str(path)], capsys)
    assert code == 0
    res = json.loads(subprocess.run([sys.executable, "-c", NUMPY_CHECK, str(path)], check=True,
                                    capture_output=True, text=True).stdout)
    assert res["coef"] <= res["c"] * (1 + 1e-12)
    assert res["at_y"] == pytest.approx(res["lam"], rel=1e-12)
    assert res["dev"] <= 1e-12 * max(1.0, res["lam"]) and res["inside"] > 100
    assert [p.name for p in tmp_path.iterdir()] == ["hat.json"]  # atomic write left no temp file


@pytest.mark.parametrize(
    "args,name,magic",
    [
        (["--dim", "1", "--center", "0.9", "--style", "paper"], "h.pdf", b"%PDF"),
        (["--dim", "2", "--center", "0.5,0.5"], "h.png", b"\x89PNG"),
        (["--dim", "3", "--center", "0.5,0.5,0.2"], "h.png", b"\x89PNG"),
    ],
)
def test_plot(tmp_path, capsys, args, name, magic):
    path = tmp_path / "sub" / name
    argv = ["construct", "hat", "--depth", "3", "--coef-bound", "1", "--scale", "3", *args, "--plot", str(path)]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0 and f"plot        {path}" in out
    assert path.read_bytes()[:4] == magic
    assert [p.name for p in path.parent.iterdir()] == [name]


def test_interpolate_json_within_bounds(capsys):
    argv = ["construct", "interpolate", "--dim", "2", "--depth", "3", "--samples", "200", "--seed", "3",
            "--test-points", "20000", "--json"]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    r = json.loads(out)
    n = r["n_per_axis"]
    assert n == 14 and r["samples_used"] == 196  # 14² ≤ 200 < 15²
    assert r["test_points"] >= 20000 - 1
    assert 0 < r["sup_error_lower_estimate"] <= r["bound_network"] <= r["bound_class"]
    assert r["bound_network"] == pytest.approx(r["K_network"] / (2 * n))
    assert r["K_class"] == pytest.approx(1.0**3 * 2 * 6 * 6)  # Lip_∞ = c^L d (3d)^{L-1} (THEORY.md §5)
    assert r["within_bounds"] is True


def test_interpolate_text(capsys):
    argv = ["construct", "interpolate", "--dim", "1", "--depth", "4", "--coef-bound", "0.8", "--samples", "10",
            "--domain=-0.5,0.5", "--test-points", "5000"]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    assert "a LOWER estimate of the sup" in out and "m = 10 -> n = 10 per axis" in out
    assert out.splitlines()[-1] == "  within      yes"


BASE = ["construct", "hat", "--dim", "2", "--depth", "3", "--coef-bound", "1"]


@pytest.mark.parametrize(
    "argv,message",
    [
        (BASE + ["--scale", "0.5", "--center", "0.5,0.5"],
         "uniformgap construct hat: error: argument --scale: must be a number >= 1, got '0.5' "
         "(see 'uniformgap construct hat --help')"),
        (BASE + ["--scale", "2", "--center", "0.5"],
         "uniformgap construct: error: `--center` must have d = 2 coordinates, got 1 (e.g. 0.5,0.5)"),
        (BASE + ["--scale", "2", "--center", "0.5,1.5"],
         "uniformgap construct: error: `--center` must lie in the domain [0, 1]^2, got 0.5,1.5 (e.g. 0.5,0.5)"),
        (BASE + ["--scale", "2", "--center", "0.7,0.5", "--domain=-0.5,0.5"],
         "uniformgap construct: error: `--center` must lie in the domain [-0.5, 0.5]^2, got 0.7,0.5 (e.g. 0,0)"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--width", "4"],
         "uniformgap construct: error: `--width` must give N_1 >= 5 in the first hidden layer for this hat "
         "network (2d+1 for q = inf: two ReLUs per coordinate and a constant neuron), got N_1 = 4"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--width", "5", "--style", "paper"],
         "uniformgap construct: error: `--width` must give N_1 >= 6 in the first hidden layer for this hat "
         "network (3d: three ReLUs per coordinate), got N_1 = 5"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--reg", "2", "--style", "paper"],
         "uniformgap construct: error: `--reg` must be inf for style 'paper' (the paper's t-based network, "
         "THEORY.md §3), got 2 (use style 'derived' for q < inf)"),
        (["construct", "hat", "--dim", "5", "--depth", "3", "--coef-bound", "2", "--scale", "2", "--center",
          "0.5,0.5,0.5,0.5,0.5", "--style", "paper"],
         "uniformgap construct: error: `--scale` must be >= max(1, (d-1)c/2) = 4 for style 'paper' (its layer-2 "
         "bias -(d-1)c^2/(2M) must stay within c), got 2 (or use style 'derived')"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--domain", "1,0"],
         "uniformgap construct hat: error: argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6 "
         "(e.g. --domain -0.5,0.5 or --domain 0,1), got '1,0' (see 'uniformgap construct hat --help')"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--domain", "0,2"],
         "uniformgap construct: error: `--domain` must be a pair (lo, hi) with -1 <= lo < hi <= 1, got (0.0, 2.0) "
         "(e.g. (0.0, 1.0) or (-0.5, 0.5))"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--export", "x.txt"],
         "uniformgap construct: error: `--export` must end in .json, got 'x.txt'"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--plot", "x.jpg"],
         "uniformgap construct: error: `--plot` must end in .png, .pdf or .svg, got 'x.jpg'"),
        (["construct", "hat", "--dim", "2", "--depth", "2", "--coef-bound", "1", "--scale", "2", "--center", "0.5,0.5"],
         "uniformgap construct hat: error: argument --depth: must be an integer >= 3, got '2' "
         "(see 'uniformgap construct hat --help')"),
        (["construct", "hat", "--dim", "2", "--depth", "3", "--coef-bound", "0", "--scale", "2", "--center", "0.5,0.5"],
         "uniformgap construct hat: error: argument --coef-bound: must be a number > 0, got '0' "
         "(see 'uniformgap construct hat --help')"),
        (BASE + ["--scale", "2", "--center", "0.5,0.5", "--reg", "0.5"],
         "uniformgap construct hat: error: argument --reg: must be a number >= 1 or 'inf', got '0.5' "
         "(see 'uniformgap construct hat --help')"),
        (["construct", "interpolate", "--dim", "2", "--depth", "3", "--samples", "0"],
         "uniformgap construct interpolate: error: argument --samples: must be an integer >= 1, got '0' "
         "(see 'uniformgap construct interpolate --help')"),
    ],
)
def test_error_messages(capsys, argv, message):
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert err == message + "\n"


def test_console_script_exit_code_and_one_line(tmp_path):
    exe = Path(sys.executable).parent / "uniformgap"
    proc = subprocess.run([str(exe), *BASE, "--scale", "2", "--center", "0.5,0.5,0.5"], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "uniformgap construct: error: `--center` must have d = 2 coordinates, got 3 (e.g. 0.5,0.5)\n"
