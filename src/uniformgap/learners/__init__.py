"""Learners from point samples (the :class:`SampleLearner` protocol): grid interpolation
(arXiv:2205.13531, Lemma B.3), polynomial least squares (docs/theory.md §8), gradient ensembles."""

from ._base import CountingOracle as CountingOracle
from ._base import Oracle as Oracle
from ._base import Predictor as Predictor
from ._base import SampleBudgetExceeded as SampleBudgetExceeded
from ._base import SampleLearner as SampleLearner
from ._gradient import EnsembleTrainer as EnsembleTrainer
from ._gradient import GradientConfig as GradientConfig
from ._gradient import GradientLearner as GradientLearner
from ._interpolation import GridInterpolationLearner as GridInterpolationLearner
from ._interpolation import error_bound as error_bound
from ._polynomial import PolynomialLeastSquares as PolynomialLeastSquares
from ._registry import LEARNERS as LEARNERS
from ._registry import make_learner as make_learner

__all__ = [
    "CountingOracle",
    "Oracle",
    "Predictor",
    "SampleBudgetExceeded",
    "SampleLearner",
    "EnsembleTrainer",
    "GradientConfig",
    "GradientLearner",
    "GridInterpolationLearner",
    "error_bound",
    "PolynomialLeastSquares",
    "LEARNERS",
    "make_learner",
]
