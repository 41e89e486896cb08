"""The one per-point evaluation record (robust/_record.py): accuracies are the means of the
verdicts, the sandwich certified => not fooled => correct is enforced, and both evaluators
(the f*/g classifier and trained networks) fill it in."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uniformgap.robust import RobustClassifier, RobustEvaluation, SplitEval, evaluate, evaluate_split
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
    assert type(ev_clf) is type(ev_net) is RobustEvaluation and SplitEval is RobustEvaluation
    assert ev_clf.margin is not None and ev_net.certified is not None
