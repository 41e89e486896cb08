"""The one registry of sample learners by their results-table name ("gd", "grid", "poly").

Experiments (the baselines of a trial) and the fooling adversary (``uniformgap fool``) build
their learners here; the batched "gd" trainer of experiments (``EnsembleTrainer``) is the same
algorithm as ``GradientLearner``, K students at once.
"""

from __future__ import annotations

from .._errors import InputError
from ._base import SampleLearner
from ._gradient import GradientConfig, GradientLearner
from ._interpolation import GridInterpolationLearner
from ._polynomial import PolynomialLeastSquares

LEARNERS = ("gd", "grid", "poly")  # the `learner` column of the results table


def make_learner(name: str, *, gradient: GradientConfig | None = None, poly_degree: int | None = None) -> SampleLearner:
    """The learner ``name`` (``gradient``: the "gd" hyperparameters, default :class:`GradientConfig`;
    ``poly_degree``: the "poly" total degree k, None: chosen from m)."""
    if name == "gd":
        return GradientLearner(gradient if gradient is not None else GradientConfig())
    if name == "grid":
        return GridInterpolationLearner()
    if name == "poly":
        return PolynomialLeastSquares(degree=poly_degree)
    raise InputError(f"`learner` must be one of {', '.join(LEARNERS)}, got {name!r} (e.g. learner='grid')")
