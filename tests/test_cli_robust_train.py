"""`uniformgap robust train` (cli/_robust_train.py): a tiny end-to-end run, its files, and every
bad-input message (checked before anything is written)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from uniformgap.cli import main
from uniformgap.networks import load_network
from uniformgap.robust import load_dataset, load_run_config

TINY = ["--epochs", "1", "--width", "16,16", "--eval-steps", "2", "--eval-restarts", "1", "--no-library"]


def _numpy_logits(net, x):
    h = x
    for i, (A, b) in enumerate(net.layers):
        h = h @ A.numpy().T + b.numpy()
        if i < net.depth - 1:
            h = np.maximum(h, 0)
    return h


@pytest.fixture
def mnist_once(monkeypatch):
    """mnist-5k parsed once for the CLI commands and the test (its CSV parse costs seconds)."""
    import uniformgap.robust as robust

    data = load_dataset("mnist-5k")
    original = robust.load_dataset
    monkeypatch.setattr(robust, "load_dataset", lambda spec, **kw: data if spec == "mnist-5k" else original(spec, **kw))
    return data


def test_quick_preset_tiny_json_and_files(tmp_path, capsys, one_thread, mnist_once):
    out = tmp_path / "run"
    code = main(["robust", "train", "mnist-5k", "--preset", "robust-quick", *TINY, "--out", str(out), "--json"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    r = json.loads(stdout)
    for key in ("clean_train", "clean_test", "robust_train", "robust_test", "certified_test"):
        assert 0.0 <= r[key] <= 1.0, key
    assert r["certified_test"] <= r["robust_test"] <= r["clean_test"]
    assert r["eps"] == 0.1 and r["norm"] == "inf"
    assert set(r["trainings"]) == {"clean", "adversarial"}
    assert r["model"] == str(out / "adversarial" / "seed0.json")
    for name in ("table.csv", "table.json", "curves.csv", "curves.png", "clean/seed0.json"):
        assert (out / name).is_file(), name
    # anyone can re-evaluate the saved classifier: an independent numpy forward pass
    net, meta = load_network(r["model"])
    assert net.architecture == (784, 16, 16, 10) and meta["kind"] == "classifier" and meta["eps"] == 0.1
    data = mnist_once
    acc = float(np.mean(_numpy_logits(net, data.x_test).argmax(1) == data.y_test))
    assert acc == pytest.approx(r["clean_test"], abs=1e-12)
    # the stored witnesses re-verify: in the ball, in the cube, misclassified
    w = np.load(out / "adversarial" / "seed0_witnesses.npz")
    idx, xa = w["index"], w["x_adv"]
    assert len(idx) > 0
    assert np.all(np.abs(xa - data.x_test[idx]).max(1) <= 0.1 + 1e-12) and np.all((xa >= 0) & (xa <= 1))
    z = _numpy_logits(net, xa)
    assert np.all(z.argmax(1) != data.y_test[idx])
    # `robust attack` re-attacks the saved model: same attack and seed, same numbers
    code = main(["robust", "attack", r["model"], "mnist-5k", "--eps", "0.1", "--steps", "2", "--restarts", "1",
                 "--no-library", "--json"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    again = json.loads(stdout)
    assert again["robust"] == r["robust_test"] and again["clean"] == r["clean_test"]
    assert again["certified"] == r["certified_test"] and again["n"] == len(data.y_test)


def test_text_output_states_the_gap_and_the_suite(tmp_path, capsys, one_thread):
    code = main(["robust", "train", "breast-cancer", "--eps", "0.05", "--seeds", "0,1", *TINY, "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "clean training (seeds 0,1;" in out and "adversarial training (seeds 0,1;" in out
    assert "robust generalization gap, adversarial training: robust train - robust test = " in out
    assert "attack: NOT the full suite (library suite: not configured (library=() / --no-library))" in out
    table = json.loads((tmp_path / "o" / "table.json").read_text())
    assert [(r["training"], r["seed"]) for r in table["rows"]] == [("clean", 0), ("clean", 1), ("adversarial", 0), ("adversarial", 1)]
    for row in table["rows"]:
        assert row["test_certified"] <= row["test_robust"] <= row["test_clean"]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["digits", "--eps", "-1"], "argument --eps: must be a number >= 0, got '-1'"),
        (["digits", "--norm", "3"], "`norm` must be 'inf' or '2', got '3' (e.g. --norm inf)"),
        (["cifar-11"], "`data` must be one of mnist-5k, digits, breast-cancer, mnist1d, thm43:d=3,eps=0.25,c=0.5, "
                       "manifold-linear:k=2,d=8, manifold-torus:k=1,d=4 or a path to an existing .npz file with x_train, "
                       "y_train, x_test, y_test, got 'cifar-11' (e.g. uniformgap robust separation mnist-5k)"),
        (["breast-cancer", "--arch", "cnn"], "`--arch` cnn needs image data, got 'breast-cancer' (tabular, no image shape) (e.g. --arch mlp)"),
        (["digits", "--preset", "huge"], "`preset` must be one of 'robust-quick', 'robust-long', got 'huge' (e.g. --preset robust-quick)"),
    ],
)
def test_bad_inputs_are_one_line_and_write_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "new"
    try:
        code = main(["robust", "train", *argv, "--out", str(out)])
    except SystemExit as exc:  # argparse value types
        code = exc.code
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_non_empty_out_is_refused_without_overwrite(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    code = main(["robust", "train", "digits", "--out", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == (f"uniformgap robust: error: `--out` must be a new or empty directory, got {str(tmp_path)!r} "
                   "(not empty; add --overwrite to replace its files)\n")
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_config_rejects_unknown_keys_by_name():
    from uniformgap import InputError

    with pytest.raises(InputError) as exc:
        load_run_config({"train": {"widht": [3]}})
    assert str(exc.value).startswith("robust train config: unknown key 'train.widht' (allowed: arch, widths,")
    with pytest.raises(InputError) as exc:
        load_run_config({"train": {"attack": {"eps": -1}}})
    assert str(exc.value) == "robust train config: train.attack.eps: must be a number >= 0, got -1"


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["robust", "train", "--help"])
    assert exc.value.code == 0
    assert "Example: uniformgap robust train mnist-5k --preset robust-quick" in capsys.readouterr().out.replace("\n", " ").replace("  ", " ")
