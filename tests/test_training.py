"""Training (robust/_training.py): validation split, reproducible models, checkpoint selection,
the ε ramp, the CNN, Ctrl-C."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import ReLUNetwork
from uniformgap.robust import EvalConfig, TrainConfig, build_model, evaluate_split, load_dataset, train_classifier
from uniformgap.robust._training import split_validation


def _small(n=300):
    data = load_dataset("digits")
    return data, data.x_train[:n], data.y_train[:n]


def test_split_is_disjoint_and_complete():
    tr, val = split_validation(101, 0.1, seed=3)
    assert len(val) == 11 and len(tr) == 90
    assert sorted(np.concatenate([tr, val]).tolist()) == list(range(101))
    assert np.array_equal(split_validation(101, 0.1, seed=3)[1], val)
    with pytest.raises(InputError) as exc:
        split_validation(1, 0.5, seed=0)
    assert str(exc.value) == "`val_fraction` leaves no training points: n = 1, validation 1 (e.g. val_fraction=0.1)"


def test_models_are_reproducible_from_the_seed():
    a, b, c = (build_model("mlp", 5, 3, (4,), seed=s) for s in (1, 1, 2))
    assert isinstance(a, ReLUNetwork) and a.architecture == (5, 4, 3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.linears[0].weight, c.linears[0].weight)


def test_selected_checkpoint_is_the_best_validation_row(one_thread):
    data, x, y = _small()
    cfg = TrainConfig(widths=(16,), epochs=4, attack={"eps": 0.1, "steps": 2}, curve_points=50, eps_ramp=0.5)
    r = train_classifier(x, y, cfg, seed=0, n_classes=10, x_test=data.x_test[:50], y_test=data.y_test[:50])
    val = [row for row in r.curves if row["split"] == "val"]
    scores = [row["robust"] for row in val]
    assert r.selected_epoch == val[int(np.argmax(scores))]["epoch"]  # first best on validation
    test = [row["robust"] for row in r.curves if row["split"] == "test"]
    assert r.optimistic_epoch == int(np.argmax(test)) + 1
    # ε ramp over ⌈0.5 · 4⌉ = 2 epochs: 0.05, 0.1, 0.1, 0.1
    assert [row["eps"] for row in val] == pytest.approx([0.05, 0.1, 0.1, 0.1])
    assert r.epochs_done == 4 and not r.interrupted


def test_ctrl_c_keeps_the_best_checkpoint(one_thread):
    _, x, y = _small()

    class Stop:
        calls = 0

        def update(self, n):
            Stop.calls += 1
            if Stop.calls == 2:
                raise KeyboardInterrupt

        def set_postfix_str(self, s):
            pass

    r = train_classifier(x, y, TrainConfig(widths=(8,), epochs=5, adversarial=False, curve_points=30), seed=0,
                         progress=Stop())
    assert r.interrupted and r.epochs_done == 2 and r.selected_epoch in (1, 2)


def test_cnn_on_images_trains_and_is_certified_through_its_dense_network(one_thread):
    data, x, y = _small(200)
    cfg = TrainConfig(arch="cnn", widths=(8,), epochs=1, attack={"eps": 0.1, "steps": 2}, curve_points=20)
    r = train_classifier(x, y, cfg, seed=0, n_classes=10, image_shape=data.image_shape)
    assert r.model(torch.zeros(3, 64)).shape == (3, 10)
    ev = evaluate_split(r.model, data.x_test[:40], data.y_test[:40], eps=0.1,
                        config=EvalConfig(steps=3, restarts=1, library=()), n_classes=10)
    assert ev.certify_method == "crown" and ev.certify_note is None
    assert 0.0 <= ev.certified_accuracy <= ev.robust <= ev.clean
    with pytest.raises(InputError) as exc:
        build_model("cnn", 30, 2, (8,), image_shape=None)
    assert str(exc.value) == ("`arch` 'cnn' needs image data (a dataset with an image shape), got tabular data "
                              "(e.g. --arch mlp)")


def test_no_validation_split_selects_on_the_training_set(one_thread):
    tr, val = split_validation(7, 0.0, seed=0)
    assert tr.tolist() == list(range(7)) and val.size == 0
    data, x, y = _small(60)
    cfg = TrainConfig(widths=(8,), epochs=2, attack={"eps": 0.1, "steps": 2}, curve_points=60, val_fraction=0.0)
    r = train_classifier(x, y, cfg, seed=0, n_classes=10)
    by_split = {s: [row["robust"] for row in r.curves if row["split"] == s] for s in ("train", "val")}
    assert len(by_split["val"]) == 2
    # the "val" curve is measured on the same 60 training points (its own attack draw)
    assert r.selected_epoch == int(np.argmax(by_split["val"])) + 1
    assert r.val_idx.size == 0
