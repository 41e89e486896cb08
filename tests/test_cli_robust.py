"""Tests of `uniformgap robust separation` and `uniformgap robust classify`: JSON, text, figure and
every bad-input message (one line, exit 2, checked before anything is written)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from uniformgap.cli import main


def _run(capsys, *argv):
    code = main(["robust", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def npz(tmp_path):
    """A small 3-class image dataset (4x4 'images', integer pixels 0..255)."""
    rng = np.random.default_rng(0)
    path = tmp_path / "small.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (60, 4, 4), dtype=np.uint8), y_train=np.arange(60) % 3,
        x_test=rng.integers(0, 256, (15, 4, 4), dtype=np.uint8), y_test=np.arange(15) % 3,
    )
    return str(path)


def _brute_min(x, y, xr, yr):
    D = np.abs(x[:, None] - xr[None]).max(-1)
    return np.where(y[:, None] != yr[None], D, np.inf).min(1)


def test_separation_json_equals_brute_force(capsys, npz):
    code, out, err = _run(capsys, "separation", npz, "--drop", "2", "--delta", "0.05", "--closest", "3", "--json")
    assert code == 0, err
    r = json.loads(out)
    with np.load(npz) as f:
        x, y = f["x_train"].reshape(60, 16) / 255, f["y_train"]
        xt, yt = f["x_test"].reshape(15, 16) / 255, f["y_test"]
    tt, st = _brute_min(x, y, x, y), _brute_min(xt, yt, x, y)
    assert (r["dataset"], r["norm"], r["n_train"], r["n_test"]) == ("small.npz", "inf", 60, 15)
    assert r["train_train_min"] == tt.min() and r["test_train_min"] == st.min()
    assert r["train_train_min_filtered"] == np.sort(tt)[2]
    assert sorted(r["dropped_indices"]) == sorted(np.argsort(tt, kind="stable")[:2].tolist())
    assert r["c_train_train"] == pytest.approx(0.1 / tt.min())
    assert len(r["closest_train_pairs"]) == 3 and r["closest_train_pairs"][0]["distance"] == tt.min()
    assert r["pair_min_train"][0][0] is None and len(r["pair_min_train"]) == 3


def test_separation_text_and_plot(capsys, npz, tmp_path):
    plot = tmp_path / "figs" / "sep.png"
    code, out, err = _run(capsys, "separation", npz, "--drop", "1", "--delta", "0.1", "--plot", str(plot))
    assert code == 0, err
    assert "train-train min" in out and "filtered" in out and "(drop 1: indices" in out
    assert "per-class-pair minimum" in out and f"figure: {plot}" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_classify_json_sandwich(capsys, npz):
    code, out, err = _run(capsys, "classify", npz, "--classes", "2,0", "--delta", "0.05", "--steps", "5", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["classes"] == ["2", "0"] and r["n_train"] == 40 and r["n_test"] == 10
    for split in ("train", "test"):
        e = r[split]
        assert e["certified_robust_accuracy"] <= e["attack_robust_accuracy"] <= e["clean_accuracy"]
    assert r["train"]["clean_accuracy"] == 1.0  # every training point is its own nearest point


def test_classify_text(capsys):
    code, out, err = _run(capsys, "classify", "thm43:d=3,eps=0.25,c=0.5", "--delta", "0.1", "--steps", "5")
    assert code == 0, err
    assert "certified <= true <= attack" in out and "train " in out and "eps = 0.2500" in out


BAD = [
    (["separation", "cifar10"], "uniformgap robust: error: `data` must be one of mnist-5k, digits, breast-cancer, mnist1d, "
     "thm43:d=3,eps=0.25,c=0.5, manifold-linear:k=2,d=8, manifold-torus:k=1,d=4 or a path to an existing .npz file with "
     "x_train, y_train, x_test, y_test, got 'cifar10' (e.g. uniformgap robust separation mnist-5k)"),
    (["separation", "NPZ", "--norm", "3"], "uniformgap robust: error: `norm` must be 'inf' or '2', got '3' (e.g. --norm inf)"),
    (["separation", "NPZ", "--drop", "-1"], "uniformgap robust: error: `drop` must be an integer in [0, n_train) = [0, 60), got -1 (e.g. --drop 4)"),
    (["separation", "NPZ", "--drop", "60"], "uniformgap robust: error: `drop` must be an integer in [0, n_train) = [0, 60), got 60 (e.g. --drop 4)"),
    (["separation", "NPZ", "--plot", "sep.txt"], "uniformgap robust: error: `--plot` must end in .png, .pdf or .svg, got 'sep.txt'"),
    (["classify", "NPZ", "--classes", "0,7"], "uniformgap robust: error: `classes` must be class ids of small.npz (0=0, 1=1, 2=2), got 7 (e.g. --classes 0,1)"),
    (["classify", "NPZ", "--norm", "1"], "uniformgap robust: error: `norm` must be 'inf' or '2', got '1' (e.g. --norm inf)"),
]


@pytest.mark.parametrize("argv,message", BAD)
def test_bad_inputs_are_one_line(capsys, npz, argv, message):
    code, out, err = _run(capsys, *[npz if a == "NPZ" else a for a in argv])
    assert code == 2 and out == ""
    assert err == message + "\n"


@pytest.mark.parametrize("sub", ["separation", "classify"])
def test_negative_delta_is_an_argparse_error(capsys, npz, sub):
    with pytest.raises(SystemExit) as exc:
        main(["robust", sub, npz, "--delta", "-0.1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        f"uniformgap robust {sub}: error: argument --delta: must be a number >= 0, got '-0.1' "
        f"(see 'uniformgap robust {sub} --help')\n"
    )


def test_unwritable_plot_path_fails_before_computing(capsys, npz, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    code, out, err = _run(capsys, "separation", npz, "--plot", str(blocker / "sep.png"))
    assert code == 2 and out == ""
    assert err == (
        f"uniformgap robust: error: `--plot` cannot be created: '{blocker}' is a file, got '{blocker / 'sep.png'}'\n"
    )


@pytest.mark.parametrize(
    "change,message",
    [
        ("missing", "`data` '{p}' must contain arrays x_train, y_train, x_test, y_test, missing y_test "
         "(e.g. numpy.savez(path, x_train=X, y_train=y, x_test=Xt, y_test=yt))"),
        ("nan", "`x_train` in '{p}' must be finite, got nan in row 0"),
        ("one-class", "`y_train` in '{p}' must contain at least 2 classes, got only class 0"),
        ("d", "`x_test` in '{p}' must have the same feature shape as x_train (3,), got (4,)"),
    ],
)
def test_malformed_npz_is_one_line(capsys, tmp_path, change, message):
    a = dict(x_train=np.full((4, 3), 0.5), y_train=np.array([0, 1, 0, 1]), x_test=np.full((2, 3), 0.5), y_test=np.array([0, 1]))
    if change == "missing":
        del a["y_test"]
    elif change == "nan":
        a["x_train"][0, 1] = np.nan
    elif change == "one-class":
        a["y_train"] = np.zeros(4, int)
    else:
        a["x_test"] = np.full((2, 4), 0.5)
    path = tmp_path / "bad.npz"
    np.savez(path, **a)
    code, out, err = _run(capsys, "separation", str(path))
    assert code == 2 and err == "uniformgap robust: error: " + message.format(p=path) + "\n"
