"""`uniformgap robust construct nn|grid|subspace`: reports, exports re-read by a numpy-only process, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from _cli import run_cli
from uniformgap.robust import theorem43_instance

THM43 = "thm43:d=3,eps=0.25,c=0.5"


# A separate process reads the exported JSON with numpy only (COO index arithmetic, np.add.at).
_READER = """
import json, sys
import numpy as np
sys.modules['uniformgap'] = None
d = json.load(open(sys.argv[1]))
h = np.load(sys.argv[2])
for i, layer in enumerate(d['layers']):
    ws = layer['weight_sparse']
    rows, cols = (np.asarray(t, dtype=np.int64) for t in ws['indices'])
    z = np.zeros((ws['shape'][0], h.shape[0]))
    np.add.at(z, rows, np.asarray(ws['values'])[:, None] * h[:, cols].T)
    h = (z + np.asarray(layer['bias'])[:, None]).T
    if i < len(d['layers']) - 1:
        h = np.maximum(h, 0.0)
np.save(sys.argv[3], h[:, 0])
"""


def numpy_only_eval(path, x, tmp_path):
    np.save(tmp_path / "x.npy", x)
    subprocess.run([sys.executable, "-c", _READER, str(path), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")], check=True)
    return np.load(tmp_path / "y.npy")


def test_nn_export_evaluates_to_the_closed_form_g(tmp_path, capsys):
    path = tmp_path / "c1.json"
    code, out, err = run_cli(["robust", "construct", "nn", THM43, "--export", str(path), "--json"], capsys)
    assert code == 0, err
    r = json.loads(out)
    inst = theorem43_instance(3, 0.25, 0.5, seed=0)
    a, b = inst.support[inst.labels == 1], inst.support[inst.labels == -1]
    assert (r["n_a"], r["n_b"], r["d"]) == (len(a), len(b), 3)
    assert r["built"]["nnz_weights"] == r["formula"]["nnz_weights"] and r["built"]["widths"] == r["formula"]["widths"]
    assert r["separation"] == pytest.approx(0.5) and r["eps"] == pytest.approx(0.25)
    assert r["robust_training_error_certified"] == 0.0 and r["min_certified_radius"] >= r["eps"] - 1e-12
    x = np.random.default_rng(0).uniform(-0.2, 1.2, size=(50, 3))
    dist = lambda s: np.abs(x[:, None, :] - s[None]).max(axis=2).min(axis=1)  # noqa: E731
    np.testing.assert_allclose(numpy_only_eval(path, x, tmp_path), dist(b) - dist(a), atol=1e-13)


def test_grid_export_keeps_the_labels_on_the_shifted_points(tmp_path, capsys):
    path = tmp_path / "c2.json"
    code, out, err = run_cli(["robust", "construct", "grid", THM43, "--export", str(path), "--json"], capsys)
    assert code == 0, err
    r = json.loads(out)
    assert r["n"] == 9 and r["flips"] == 0 and r["verified"]["max_error_simplex"] <= 1e-12
    assert r["built"]["nnz_weights"] == r["formula"]["nnz_weights"]
    inst = theorem43_instance(3, 0.25, 0.5, seed=0)
    f = numpy_only_eval(path, np.concatenate([inst.support, inst.shifted]), tmp_path)
    assert np.all(np.sign(f) == np.concatenate([inst.labels, inst.labels]))


def test_text_outputs(capsys):
    code, out, _ = run_cli(["robust", "construct", "nn", THM43], capsys)
    assert code == 0
    assert "C1, exact l-inf nearest-neighbour network" in out and "certified robust training error at delta = 0.125: 0" in out
    assert "note        Thm 2.2 is stated for delta < eps/2" in out
    code, out, _ = run_cli(["robust", "construct", "subspace", "manifold-torus:k=1,d=4", "--c", "0.3"], capsys)
    assert code == 0 and "subspace network" in out and "0 sign flips" in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--c", "1"], "`--c` must be a number in [0, 1) (radius delta = c*eps), got 1 (e.g. --c 0.5)"),
        (["--eps", "0"], "argument --eps: must be a number > 0, got '0'"),
        (["--eps", "0.3"], "`eps` must be <= half the data's separation d(A,B)/2 = 0.25, got 0.3: the construction's "
                           "guarantee needs d(A,B) >= 2*eps"),
        (["--norm", "3"], "`norm` must be 'inf' or '2', got '3' (e.g. --norm inf)"),
    ],
)
def test_bad_arguments_are_one_line_errors(capsys, extra, message):
    code, out, err = run_cli(["robust", "construct", "grid", THM43, *extra], capsys)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_export_is_checked_before_building(tmp_path, capsys):
    code, _, err = run_cli(["robust", "construct", "nn", THM43, "--export", str(tmp_path)], capsys)
    assert code == 2
    assert err.strip() == (f"uniformgap robust: error: `--export` must be a file path, got {str(tmp_path)!r}, "
                           "which is a directory (e.g. --export c1.json)")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run_cli(["robust", "construct", "nn", THM43, "--export", str(locked / "x.json")], capsys)
    if code == 2:  # root ignores directory permissions
        assert err.strip() == (f"uniformgap robust: error: `--export` cannot be written: {str(locked)!r} is not a "
                               f"writable directory, got {str(locked / 'x.json')!r}")
    code, _, err = run_cli(["robust", "construct", "grid", "thm43:d=6,eps=0.25,c=0.5", "--eps", "0.01"], capsys)
    assert code == 2 and "above this tool's build limit 2e+07" in err


def test_class_and_norm_rules(capsys):
    code, _, err = run_cli(["robust", "construct", "nn", "digits"], capsys)
    assert code == 2 and "`--classes` is required: digits has 10 classes (e.g. --classes 3,8)" in err
    code, _, err = run_cli(["robust", "construct", "nn", THM43, "--norm", "2"], capsys)
    assert code == 2 and "`--norm` must be 'inf' for nn" in err
    code, _, err = run_cli(["robust", "construct", "nn", THM43, "--classes", "0,1,2"], capsys)
    assert code == 2 and "`--classes` must be two class ids a,b (A = a, B = b), got '0,1,2' (e.g. --classes 3,8)" in err
    code, _, err = run_cli(["robust", "construct", "subspace", THM43], capsys)
    assert code == 2 and "`DATA` must be a manifold-linear:... or manifold-torus:... spec for subspace" in err
