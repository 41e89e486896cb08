"""Experiment configuration: frozen pydantic models, YAML loading, ``--set`` overrides, grids.

A config file describes one student–teacher experiment (arXiv:2205.13531, Section 3): the
target(s), the learner, the sample sizes m, the training seeds, the evaluation and the
execution. ``grid:`` maps key paths to lists of values; every combination is one learner
configuration ("variant"). Every user mistake becomes ONE line::

    config: student.width: must be an integer >= 1, got 0
    config: unknown key 'student.widht' (allowed: depth, width, lr, ...)
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .._errors import InputError

PRESETS = ("quick", "paper-1d", "paper-3d", "sine-1d")

# Strict ints: YAML already yields ints, and lax mode would turn `true` into 1.
PosInt = Annotated[int, Field(ge=1, strict=True)]
NonNegInt = Annotated[int, Field(ge=0, strict=True)]
PosFloat = Annotated[float, Field(gt=0.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- targets -----------------------------------------------------------------------------
class TeacherTarget(_Model):
    """Random teacher MLPs: every weight and bias i.i.d. U(-a, a); teacher i uses seed i."""

    kind: Literal["teacher"] = "teacher"
    d: PosInt = 1  # the paper runs d = 1 and d = 3; 1 is the cheap, plottable case
    n: PosInt = 40  # the paper's 40 teachers (seeds 0..39)
    depth: Annotated[int, Field(ge=2, strict=True)] = 5  # paper: 5 affine layers
    width: PosInt = 32  # paper: hidden width 32
    a: PosFloat = 0.5  # paper: coefficients U(-1/2, 1/2)


class SineTarget(_Model):
    """Figure 1 of the paper: u(x) = log(sin(50x) + 2) + sin(5x), d = 1."""

    kind: Literal["sine"] = "sine"


class HatTarget(_Model):
    """λ·Λ_{M,y} realised by the explicit hat network of THEORY.md §3 (uniformgap.theory)."""

    kind: Literal["hat"] = "hat"
    d: PosInt = 1  # the lower bound is sharpest to see in 1-D
    L: Annotated[int, Field(ge=3, strict=True)] = 3  # the smallest depth the construction allows
    width: PosInt | None = None  # None: the paper's width 3d
    c: PosFloat = 1.0  # coefficient bound of THEORY.md §1
    q: Annotated[float, Field(ge=1.0)] = math.inf  # ℓ^∞ coefficient norm, the paper's main case
    M: Annotated[float, Field(ge=1.0)] = 20.0  # a narrow spike: support 2/M of the domain
    y: list[float] | None = None  # None: the centre of the domain
    style: Literal["derived", "paper"] = "derived"  # THEORY.md §3 form: 2x higher spike than the paper's


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
class StudentConfig(_Model):
    """The gradient learner ("gd"): the paper's Adam schedule, MSE loss, float64."""

    depth: Annotated[int, Field(ge=2, strict=True)] = 5  # paper: depth 5 students
    width: PosInt = 32  # paper: widths {32, 512, 2048}; 32 is the cheapest
    lr: PosFloat = 1e-4  # paper: Adam, learning rate 1e-4 ...
    lr_final: PosFloat = 1e-6  # ... decaying exponentially per epoch to 1e-6
    epochs: PosInt = 5000  # paper: 5000 epochs
    batch_size: float = 0.02  # < 1: fraction of m (⌈0.02 m⌉, the paper's middle family); >= 1: absolute
    standardize: bool = True  # paper: inputs standardised
    dtype: Literal["float64", "float32"] = "float64"  # paper trains in float64

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
    """Polynomial least squares (THEORY.md §8)."""

    degree: NonNegInt | None = None  # None: the learner picks the degree from m


# -- evaluation / execution ----------------------------------------------------------------
class EvaluationConfig(_Model):
    """When and how errors are measured (uniform probability measure on the domain)."""

    checkpoints: PosInt | list[NonNegInt] = 5  # 5 evenly spaced evaluations = paper's every 1000 of 5000
    test_points: PosInt = 2**24  # paper: 128 × 131072 fresh points per evaluation
    val_points: PosInt = 2**14  # independent sample for honest model selection; cheap
    chunk_size: PosInt = 2**16  # bounds peak memory of the Monte-Carlo evaluation
    network_metrics: list[str] = []  # per-network metrics by name (metrics.NETWORK_METRICS); costly
    network_metric_budget_s: PosFloat = 10.0  # per student and checkpoint
    save_students: Literal["all", "final", "none"] = "all"  # "all" lets any row be re-plotted

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
    grid: dict[str, list[Any]] = {}  # key path -> values; the cartesian product = variants

    @property
    def bounds(self) -> tuple[float, float]:
        """The domain [lo, hi]^d as (lo, hi)."""
        return (-0.5, 0.5) if self.domain == "centered" else (0.0, 1.0)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(), sort_keys=False)


# -- variants --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One learner configuration: the config with one value per grid axis."""

    config_id: str  # e.g. "gd/width=32/batch_size=0.02"
    learner: str
    config: ExperimentConfig  # grid emptied, values substituted
    swept: dict[str, Any]  # key path -> value of the axes that matter for this learner


def _irrelevant(learner: str, key: str) -> bool:
    """Axes that do not change a learner (e.g. student.width for "poly") are dropped, so
    a grid over ``learner`` does not run one baseline per student width."""
    if key.startswith("student.") and learner != "gd":
        return True
    return key.startswith("poly.") and learner != "poly"


def expand_grid(config: ExperimentConfig) -> list[Variant]:
    """The cartesian product of ``config.grid``, in file order, without duplicate variants."""
    keys = list(config.grid)
    base = config.model_dump()
    base["grid"] = {}
    variants: dict[str, Variant] = {}
    for values in itertools.product(*(config.grid[k] for k in keys)):
        raw = copy.deepcopy(base)
        for key, value in zip(keys, values):
            _set_path(raw, key, value)
        resolved = _validate(raw, context=f"grid {dict(zip(keys, values))}: ")
        swept = {k: v for k, v in zip(keys, values) if k != "learner" and not _irrelevant(resolved.learner, k)}
        config_id = _config_id(resolved.learner, swept)
        variants.setdefault(config_id, Variant(config_id, resolved.learner, resolved, swept))
    return list(variants.values())


def _config_id(learner: str, swept: dict[str, Any]) -> str:
    last = [k.rsplit(".", 1)[-1] for k in swept]
    names = [k if last.count(short) > 1 else short for k, short in zip(swept, last)]
    return "/".join([learner, *(f"{n}={_fmt(v)}" for n, v in zip(names, swept.values()))])


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v)) if v >= 1 else repr(v)
    return str(v)


# -- loading ---------------------------------------------------------------------------------
def load_config(source: str | Path | dict, overrides: list[str] | tuple[str, ...] = ()) -> ExperimentConfig:
    """A validated config from a preset name, a YAML path or a dict, with ``--set`` overrides.

    ``overrides`` are "key.path=value" strings; the value is parsed as YAML (``64``,
    ``[32, 64]``, ``true``, ``1.0e-3``). ``grid.<key path>=[...]`` sets one grid axis.
    Also validates every grid combination, so a bad grid value fails here, not mid-run.
    """
    raw = _read_source(source)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"`--set` must be KEY=VALUE with a dotted key (e.g. --set student.width=64), got {item!r}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise InputError(f"`--set` value of {key.strip()!r} is not valid YAML, got {text!r}") from None
        _set_path(raw, key.strip(), value)
    config = _validate(raw)
    for key, values in config.grid.items():
        if not values:
            raise InputError(f"config: grid.{key}: must be a non-empty list of values, got []")
        if key == "grid" or key.startswith("grid."):
            raise InputError(f"config: grid.{key}: cannot sweep the grid itself")
        for i, value in enumerate(values):
            _check_axis_value(config, key, i, value)
    expand_grid(config)
    return config


def _check_axis_value(config: ExperimentConfig, key: str, i: int, value: Any) -> None:
    raw = config.model_dump()
    raw["grid"] = {}
    _set_path(raw, key, value)
    try:
        ExperimentConfig.model_validate(raw)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        msg = _one_line(err)
        if err["type"] == "extra_forbidden":
            raise InputError(f"config: grid: {msg}") from None
        path, _ = _path(err["loc"], ExperimentConfig)
        if msg.startswith(f"{path}: ") and path == key:
            msg = msg[len(path) + 2:]
        raise InputError(f"config: grid.{key}[{i}]: {msg}") from None


def _read_source(source: str | Path | dict) -> dict:
    if isinstance(source, dict):
        return copy.deepcopy(source)
    text_source = str(source)
    if text_source in PRESETS:
        text = resources.files("uniformgap.experiments").joinpath("presets", f"{text_source}.yaml").read_text()
        origin = f"preset {text_source!r}"
    else:
        path = Path(text_source)
        if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
            raise InputError(
                f"`config` must be a preset ({', '.join(PRESETS)}) or a YAML file, got {text_source!r}"
            )
        if not path.is_file():
            raise InputError(f"config file {text_source!r} does not exist")
        text, origin = path.read_text(), text_source
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"config: {origin} is not valid YAML{where}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"config: {origin} must be a YAML mapping of keys, got {type(raw).__name__}")
    return raw


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
    validated, default ExperimentConfig)."""
    path, model = _path(err["loc"], ExperimentConfig if root is None else root)
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields) if model is not None else "?"
        return f"unknown key {path!r} (allowed: {allowed})"
    if kind == "missing":
        return f"missing required key {path!r}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(repr(t) for t in TARGET_MODELS)
        got = value.get("kind") if isinstance(value, dict) else value
        return f"{path}.kind: must be one of {tags}, got {got!r}"
    allowed = _ALLOWED.get(kind)
    if allowed is None and kind in _BOUNDS:
        (name, bound), = ((k, v) for k, v in ctx.items() if k in ("ge", "gt", "le", "lt"))
        noun = "an integer" if isinstance(bound, int) else "a number"
        allowed = f"must be {noun} {_BOUNDS[kind]} {bound:g}"
    elif kind == "literal_error":
        allowed = f"must be one of {ctx.get('expected')}"
    elif kind == "value_error":
        allowed = str(ctx.get("error", err["msg"]))
    elif allowed is None:
        allowed = err["msg"][0].lower() + err["msg"][1:]
    return f"{path}: {allowed}, got {value!r}"


_BOUNDS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
_ALLOWED = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "too_short": "must be a non-empty list",
}


def _path(loc: tuple, root: type[BaseModel]) -> tuple[str, type[BaseModel] | None]:
    """The user's key path of a pydantic location (union tags and type labels dropped) and
    the model that owns its last key."""
    model: type[BaseModel] | None = root
    owner = model
    parts: list[str] = []
    for elem in loc:
        if isinstance(elem, int):
            if parts:
                parts[-1] += f"[{elem}]"
            else:
                parts.append(f"[{elem}]")
            continue
        if model is None:
            continue  # pydantic's labels inside unions ("constrained-float", ...)
        if elem in model.model_fields:
            owner = model
            parts.append(elem)
            ann = model.model_fields[elem].annotation
            model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
            if elem == "target" and owner is ExperimentConfig:
                model = _TargetTag  # next loc element is the discriminator tag
        elif model is _TargetTag and elem in TARGET_MODELS:
            model = TARGET_MODELS[elem]
        else:
            owner = model
            parts.append(elem)
            model = None
    return ".".join(parts), owner


class _TargetTag(BaseModel):
    """Marker: inside ``target`` the location holds the union tag before the field."""
