"""The one learner registry: names, construction, the CLI's and the config's spelling of it."""

from __future__ import annotations

import typing

import pytest
import torch

from uniformgap import InputError
from uniformgap.cli import _fool
from uniformgap.experiments import ExperimentConfig
from uniformgap.learners import (
    LEARNERS, GradientConfig, GradientLearner, GridInterpolationLearner, PolynomialLeastSquares, make_learner,
)


def test_each_name_builds_the_learner_whose_table_name_it_is():
    for name in LEARNERS:
        assert make_learner(name).name == name
    assert isinstance(make_learner("grid"), GridInterpolationLearner)
    assert make_learner("poly", poly_degree=3).degree == 3 and make_learner("poly").degree is None
    gd = make_learner("gd", gradient=GradientConfig(epochs=7))
    assert isinstance(gd, GradientLearner) and gd.config.epochs == 7
    assert isinstance(make_learner("poly"), PolynomialLeastSquares)


def test_the_cli_and_the_config_offer_exactly_the_registry():
    assert _fool._LEARNERS == LEARNERS
    assert typing.get_args(ExperimentConfig.model_fields["learner"].annotation) == LEARNERS


def test_a_built_learner_learns_a_line_through_the_protocol():
    learner = make_learner("poly", poly_degree=1)
    f = learner.learn(lambda x: 2 * x[:, 0] + 1, 10, d=1, domain=(0.0, 1.0), seed=0)
    x = torch.tensor([[0.25], [0.75]], dtype=torch.float64)
    assert torch.allclose(torch.as_tensor(f(x)).reshape(-1), torch.tensor([1.5, 2.5], dtype=torch.float64))


def test_an_unknown_name_is_one_line_naming_the_registry():
    with pytest.raises(InputError) as e:
        make_learner("knn")
    assert str(e.value) == "`learner` must be one of gd, grid, poly, got 'knn' (e.g. learner='grid')"
