"""The one per-point evaluation record (robust/_record.py): accuracies are the means of the
verdicts, the sandwich certified => not fooled => correct is enforced, and both evaluators
(the f*/g classifier and trained networks) fill it in."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uniformgap.robust import RobustClassifier, RobustEvaluation, evaluate, evaluate_split
from uniformgap.robust._train_config import EvalConfig


def _record(correct, fooled, certified):
    return RobustEvaluation(eps=0.1, norm="inf", clean_correct=np.array(correct), fooled=np.array(fooled),
                            certified=None if certified is None else np.array(certified), attacks=["pgd-ce"])


def test_accuracies_are_means_of_the_verdicts():
    ev = _record([True, True, True, False], [False, False, True, True], [True, False, False, False])
    assert (ev.n, ev.clean, ev.robust, ev.certified_accuracy) == (4, 3 / 4, 2 / 4, 1 / 4)
    assert ev.to_dict()["certified"] == 0.25 and ev.full_suite
    assert _record([True], [False], None).certified_accuracy is None


@pytest.mark.parametrize("correct, fooled, certified", [
    ([True, True], [True, False], [True, False]),  # certified but fooled
    ([False, True], [False, False], None),  # misclassified but not fooled
])
def test_a_broken_sandwich_is_refused(correct, fooled, certified):
    with pytest.raises(RuntimeError, match="sandwich violated: 1 point"):
        _record(correct, fooled, certified)


def test_both_evaluators_fill_in_the_one_record(one_thread):
    rng = np.random.default_rng(0)
    x, y = rng.random((30, 4)), np.arange(30) % 2
    ev_clf = evaluate(RobustClassifier(x, y), x, y, delta=0.01, steps=2, restarts=1)
    from uniformgap.robust import build_model

    net = build_model("mlp", 4, 2, (8,), seed=0, dtype=torch.float64)
    ev_net = evaluate_split(net, x, y, eps=0.01, config=EvalConfig(steps=2, restarts=1, library=()))
    assert type(ev_clf) is type(ev_net) is RobustEvaluation
    assert ev_clf.margin is not None and ev_net.certified is not None


def test_l2_evaluation_certifies_on_the_ball_and_keeps_the_sandwich(one_thread):
    from uniformgap.metrics._bounds_prop import margin_bounds
    from uniformgap.networks import ReLUNetwork

    rng = np.random.default_rng(1)
    layers = [(rng.normal(size=(12, 10)) / 3, rng.normal(size=12) * 0.1), (rng.normal(size=(3, 12)) / 3, np.zeros(3))]
    net = ReLUNetwork.from_arrays(layers)
    x = rng.uniform(0.2, 0.8, size=(60, 10))
    y = (np.maximum(x @ layers[0][0].T + layers[0][1], 0) @ layers[1][0].T).argmax(1)  # its own predictions
    eps = 0.3
    ev = evaluate_split(net, x, y, eps=eps, norm="2", config=EvalConfig(steps=5, restarts=1, library=()))
    box = margin_bounds(net, np.clip(x - eps, 0, 1), np.clip(x + eps, 0, 1), y) > 0
    assert np.all(ev.certified >= box) and ev.certified.sum() > box.sum()
    assert ev.certified_accuracy <= ev.robust <= ev.clean == 1.0
