"""Experiment configuration: the frozen pydantic models (grids: ``_grid``; loading: ``_load``).

A config file describes one student–teacher experiment (arXiv:2205.13531, Section 3): the
target(s), the learner, the sample sizes m, the training seeds, the evaluation and the
execution. ``grid:`` lists the axes of a cartesian product; every combination is one learner
configuration ("variant"). An axis is either

- free: a key path and its values, ``student.width: [32, 512, 2048]``, or
- tied: a name (not a config key) and mappings of key paths that vary together,
  ``schedule: [{student.batch_size: 0.2, student.epochs: 5000},
  {student.batch_size: 100, student.epochs: 1000}]`` — one axis of the product; every mapping
  sets the same keys, and a key is swept by one axis only.

Values in an axis, ``n_samples`` and ``seeds`` are distinct (a repeat would run twice and be
counted twice). Every user mistake becomes ONE line::

    config: student.width: must be an integer >= 1, got 0
    config: unknown key 'student.widht' (allowed: depth, width, lr, ...)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union

import pydantic
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from .._errors import InputError
from .._messages import key_path, one_line
from .._presets import preset_names
from ..learners import GradientConfig
from ._robust_config import RobustConfig
from ._search_config import SearchConfig

PRESETS = preset_names()

# Strict ints: YAML already yields ints, and lax mode would turn `true` into 1.
PosInt = Annotated[int, Field(ge=1, strict=True)]
NonNegInt = Annotated[int, Field(ge=0, strict=True)]


def _at_most(limit: int, need: Callable[[int], str]):
    """A size cap whose error says what a larger value would need (``need(value)``)."""

    def check(v: int) -> int:
        if v > limit:
            raise ValueError(f"must be an integer from 1 to {limit:.3g}; {v:.3g} {need(v)}")
        return v

    return AfterValidator(check)


# Sizes beyond any machine: a hidden layer of width N holds N^2 float64 weights; 2^16 is 34 GB.
Width = Annotated[PosInt, _at_most(2**16, lambda v: f"would need {8.0 * v * v:.3g} bytes per hidden layer")]
# Input dimension: 2^16 inputs per test point already make a 2^24-point evaluation 8.8 TB of inputs.
Dim = Annotated[PosInt, _at_most(2**16, lambda v: f"inputs would need {8.0 * v * 2**24:.3g} bytes for the paper's 2^24 test points")]
# Fresh test points per evaluation: 2^32 is 256 times the paper's 2^24 (the time grows with it).
Points = Annotated[PosInt, _at_most(2**32, lambda v: f"points would take {v / 2**24:.3g} times as long as the paper's 2^24")]
PosFloat = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]  # inf: an lr or a CPU share is never infinite


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- targets -----------------------------------------------------------------------------
class TeacherTarget(_Model):
    """Random teacher MLPs: every weight and bias i.i.d. U(-a, a); teacher i uses seed i."""

    kind: Literal["teacher"] = "teacher"
    d: Dim = 1  # the paper runs d = 1 and d = 3; 1 is the cheap, plottable case
    n: PosInt = 40  # the paper's 40 teachers (seeds 0..39)
    depth: Annotated[int, Field(ge=2, strict=True)] = 5  # paper: 5 affine layers
    width: Width = 32  # paper: hidden width 32
    a: PosFloat = 0.5  # paper: coefficients U(-1/2, 1/2)
    # k > 0: k hat networks λ·Λ_{M,y} of the teachers' own class H^∞_{a,c=a} (docs/theory.md §3: the
    # lower bound's worst case) appended as teachers n, ..., n+k-1, centres y_j = lo + (j+1/2)(hi-lo)/k
    # in every coordinate; they show the sampling-limited regime where random teachers do not.
    hats: NonNegInt = 0  # the paper: random teachers only
    hat_M: Annotated[float, Field(ge=1.0)] = 100.0  # support 2/M = 2% of the domain: no sample at m = 10, a few at 1000


class SineTarget(_Model):
    """Figure 1 of the paper: u(x) = log(sin(50x) + 2) + sin(5x), d = 1."""

    kind: Literal["sine"] = "sine"


class HatTarget(_Model):
    """λ·Λ_{M,y} realised by the explicit hat network of docs/theory.md §3 (uniformgap.theory)."""

    kind: Literal["hat"] = "hat"
    d: Dim = 1  # the lower bound is sharpest to see in 1-D
    L: Annotated[int, Field(ge=3, strict=True)] = 3  # the smallest depth the construction allows
    width: Width | None = None  # None: the paper's width 3d
    c: PosFloat = 1.0  # coefficient bound of docs/theory.md §1
    q: Annotated[float, Field(ge=1.0)] = math.inf  # ℓ^∞ coefficient norm, the paper's main case
    M: Annotated[float, Field(ge=1.0, allow_inf_nan=False)] = 20.0  # a narrow spike: support 2/M of the domain
    y: list[Annotated[float, Field(allow_inf_nan=False)]] | None = None  # None: the centre of the domain
    style: Literal["derived", "paper"] = "derived"  # docs/theory.md §3 form: 2x higher spike than the paper's


class FileTarget(_Model):
    """Networks a user supplies in the project's JSON format; file i is teacher i."""

    kind: Literal["file"] = "file"
    paths: Annotated[list[str], Field(min_length=1)]


Target = Annotated[Union[TeacherTarget, SineTarget, HatTarget, FileTarget], Field(discriminator="kind")]
TARGET_MODELS: dict[str, type[_Model]] = {
    "teacher": TeacherTarget,
    "sine": SineTarget,
    "hat": HatTarget,
    "file": FileTarget,
}


# -- learners ----------------------------------------------------------------------------
_PAPER_STUDENT = GradientConfig()  # the defaults of the "gd" student (one definition)


class StudentConfig(_Model):
    """The gradient learner ("gd"): the paper's Adam schedule, MSE loss, float64."""

    # The paper's student and schedule are defined once, in learners.GradientConfig (arXiv:2205.13531,
    # Appendix C, Tables 1 and 3; the why of each value is there); only batch_size differs in kind.
    depth: Annotated[int, Field(ge=2, strict=True)] = _PAPER_STUDENT.depth
    width: Width = _PAPER_STUDENT.width
    lr: PosFloat = _PAPER_STUDENT.lr
    lr_final: PosFloat = _PAPER_STUDENT.lr_final
    epochs: PosInt = _PAPER_STUDENT.epochs
    batch_size: float = 0.02  # < 1: fraction of m (⌈0.02 m⌉, the paper's middle family); >= 1: absolute
    standardize: bool = _PAPER_STUDENT.standardize
    dtype: Literal["float64", "float32"] = _PAPER_STUDENT.dtype  # type: ignore[assignment]

    @field_validator("batch_size", mode="before")
    @classmethod
    def _batch_size(cls, v: Any) -> float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
        if ok and v >= 1 and float(v) != int(v):
            ok = False
        if not ok:
            raise ValueError("must be an integer >= 1 (absolute) or a fraction in (0, 1) of m")
        return float(v)


class PolyConfig(_Model):
    """Polynomial least squares (docs/theory.md §8)."""

    degree: NonNegInt | None = None  # None: the learner picks the degree from m


# -- evaluation / execution ----------------------------------------------------------------
class EvaluationConfig(_Model):
    """When and how errors are measured (uniform probability measure on the domain)."""

    checkpoints: PosInt | list[NonNegInt] = 5  # 5 evenly spaced evaluations = paper's every 1000 of 5000
    test_points: Points = 2**24  # paper: 128 × 131072 fresh points per evaluation
    val_points: Points = 2**14  # independent sample for honest model selection; cheap
    chunk_size: PosInt = 2**16  # bounds peak memory of the Monte-Carlo evaluation
    network_metrics: list[str] = []  # per-network metrics by name (metrics.NETWORK_METRICS); costly
    network_metric_budget_s: PosFloat = 10.0  # per student and checkpoint
    save_students: Literal["all", "final", "none"] = "all"  # "all" lets any row be re-plotted
    # True: test errors l1, l2, linf on test_points fresh points. False (d = 1, network targets):
    # no Monte-Carlo test draw; the test errors are the exact network metrics l1_exact, l2_exact,
    # linf_exact (metrics._exact1d), the validation sample stays for honest selection.
    monte_carlo: bool = True  # the paper's evaluation; False frees the evaluation time in 1-D

    @field_validator("checkpoints", mode="before")
    @classmethod
    def _checkpoints(cls, v: Any) -> Any:
        if isinstance(v, bool) or not (
            (isinstance(v, int) and v >= 1)
            or (isinstance(v, list) and v and all(isinstance(e, int) and not isinstance(e, bool) and e >= 0 for e in v))
        ):
            raise ValueError("must be an integer >= 1 (evenly spaced) or a non-empty list of epochs >= 0")
        return v


class ExecutionConfig(_Model):
    """Resources of one trial (one batched ensemble) and failure handling."""

    cpus_per_trial: PosFloat = 1.0  # two trials in parallel on a 2-core laptop
    gpus_per_trial: float | Literal["auto"] = "auto"  # auto: 1 when the cluster has GPUs, else 0
    teachers_per_trial: PosInt | None = None  # None: all teachers in one ensemble (fewest trials)
    max_failures: NonNegInt = 1  # one automatic retry (continues from the last checkpoint)
    max_concurrent_trials: PosInt | None = None  # None: as many as resources allow

    @field_validator("gpus_per_trial", mode="before")
    @classmethod
    def _gpus(cls, v: Any) -> Any:
        if v == "auto":
            return v
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v < math.inf):
            raise ValueError("must be a number >= 0 or 'auto'")
        return float(v)


class ExperimentConfig(_Model):
    """One experiment: targets × learner variants × n_samples × seeds (see module docstring)."""

    name: str = "experiment"  # used for the default output directory
    seed: NonNegInt = 0  # base seed mixed into every data / test-point generator
    learner: Literal["gd", "grid", "poly"] = "gd"  # the paper's learner
    target: Target = TeacherTarget()  # the paper's teachers
    domain: Literal["centered", "unit"] = "centered"  # paper: [-1/2, 1/2]^d; "unit": [0, 1]^d
    n_samples: Annotated[list[PosInt], Field(min_length=1)] = [100, 1000, 10000, 100000]  # paper's m
    seeds: Annotated[list[NonNegInt], Field(min_length=1)] = [0, 1, 2]  # paper: 3 training seeds
    student: StudentConfig = StudentConfig()
    poly: PolyConfig = PolyConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    execution: ExecutionConfig = ExecutionConfig()
    # "robust": the size-versus-dimension experiments of docs/robust.md §6.4 (section ``robust``);
    # target, learner, student, n_samples and evaluation are then unused
    experiment: Literal["regression", "robust"] = "regression"  # the student-teacher experiment of the paper
    robust: RobustConfig = RobustConfig()  # used only by experiment: robust
    grid: dict[str, list[Any]] = {}  # free axes (key path -> values) and tied axes (name -> mappings)
    search: SearchConfig | None = None  # None: the grid's configurations are the min over A (_search_config)

    @field_validator("n_samples", "seeds")
    @classmethod
    def _distinct(cls, v: list[int]) -> list[int]:
        repeated = _first_repeat(v)
        if repeated is not None:
            raise ValueError(f"must hold distinct values ({repeated!r} appears twice)")
        return v

    @property
    def bounds(self) -> tuple[float, float]:
        """The domain [lo, hi]^d as (lo, hi)."""
        return (-0.5, 0.5) if self.domain == "centered" else (0.0, 1.0)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(), sort_keys=False)


def _first_repeat(values: list[Any]) -> Any:
    """The first value equal to an earlier one (``==``: 100 and 100.0 repeat), else None."""
    for i, v in enumerate(values):
        if any(v == w for w in values[:i]):
            return v
    return None


def _set_path(raw: dict, key: str, value: Any) -> None:
    if key.startswith("grid."):
        raw.setdefault("grid", {})
        if not isinstance(raw["grid"], dict):
            raw["grid"] = {}
        raw["grid"][key[len("grid."):]] = value
        return
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


def _validate(raw: dict, context: str = "") -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise InputError(f"config: {context}{_one_line(exc.errors()[0])}") from None


def _one_line(err: dict, root: type[BaseModel] | None = None) -> str:
    """One pydantic error as "key.path: must be <allowed>, got <value>" (``root``: the model
    validated, default ExperimentConfig, whose ``target`` is a union tagged by ``kind``)."""
    return one_line(err, ExperimentConfig if root is None else root, _UNIONS)


def _path(loc: tuple, root: type[BaseModel]) -> tuple[str, type[BaseModel] | None]:
    """The user's key path of a pydantic location and the model that owns its last key."""
    return key_path(loc, root, _UNIONS)


# the discriminated unions of the config: (owner, field) -> (tag -> model, an example value)
_UNIONS = {(ExperimentConfig, "target"): (TARGET_MODELS, "{kind: teacher, d: 1}")}
