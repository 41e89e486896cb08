"""Grids of an experiment config: axes (free or tied), their expansion into learner
configurations ("variants"), and the one-line checks of every axis value (docs: ``_config``)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

import pydantic

from .._errors import InputError
from ._config import ExperimentConfig, _first_repeat, _one_line, _path, _set_path, _validate


@dataclass(frozen=True)
class Variant:
    """One learner configuration: the config with one value per grid axis."""

    config_id: str  # e.g. "gd/width=32/batch_size=0.02"
    learner: str
    config: ExperimentConfig  # grid emptied, values substituted
    swept: dict[str, Any]  # key path -> value of the axes that matter for this learner


def variant_learner(config: ExperimentConfig) -> str:
    """The trial kind: the config's learner, or "robust" for ``experiment: robust``."""
    return "robust" if config.experiment == "robust" else config.learner


def _irrelevant(learner: str, key: str) -> bool:
    """Axes that do not change a learner (e.g. student.width for "poly") are dropped, so
    a grid over ``learner`` does not run one baseline per student width."""
    if key.startswith("student.") and learner != "gd":
        return True
    if key.startswith("robust.") != (learner == "robust"):
        return True
    return key.startswith("poly.") and learner != "poly"


def is_tied(key: str, values: list[Any]) -> bool:
    """A grid entry is a tied axis when its key is a bare name (no dot, not a config key) and its
    values are mappings; anything else is a free axis over the key path ``key``."""
    return "." not in key and key not in ExperimentConfig.model_fields and any(isinstance(v, dict) for v in values)


def grid_axes(config: ExperimentConfig) -> list[tuple[str, list[dict[str, Any]]]]:
    """The grid as axes ``(name, [assignment, ...])``, an assignment mapping key paths to values:
    a free axis ``k: [v1, v2]`` gives ``[{k: v1}, {k: v2}]``, a tied axis its mappings."""
    return [
        (key, [dict(v) for v in values] if is_tied(key, values) else [{key: v} for v in values])
        for key, values in config.grid.items()
    ]


def expand_grid(config: ExperimentConfig) -> list[Variant]:
    """The cartesian product of the grid's axes, in file order, without duplicate variants.

    ``swept`` holds one entry per key path (a tied axis contributes each of its keys), so
    ``config_id`` and the results-table columns name key paths, never the tied axis' name.
    """
    axes = grid_axes(config)
    base = config.model_dump()
    base["grid"] = {}
    variants: dict[str, Variant] = {}
    for combo in itertools.product(*(assignments for _, assignments in axes)):
        raw = copy.deepcopy(base)
        chosen = {k: v for assignment in combo for k, v in assignment.items()}
        for key, value in chosen.items():
            _set_path(raw, key, value)
        resolved = _validate(raw, context=f"grid {chosen}: ")
        learner = variant_learner(resolved)
        swept = {k: v for k, v in chosen.items() if k != "learner" and not _irrelevant(learner, k)}
        config_id = _config_id(learner, swept)
        variants.setdefault(config_id, Variant(config_id, learner, resolved, swept))
    return list(variants.values())


def _config_id(learner: str, swept: dict[str, Any]) -> str:
    last = [k.rsplit(".", 1)[-1] for k in swept]
    names = [k if last.count(short) > 1 else short for k, short in zip(swept, last)]
    return "/".join([learner, *(f"{n}={_fmt(v)}" for n, v in zip(names, swept.values()))])


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v)) if v >= 1 else repr(v)
    return str(v)


def _check_grid(config: ExperimentConfig) -> None:
    """Every axis non-empty with distinct values, every value valid, each key path in one axis."""
    owner: dict[str, str] = {}  # key path -> the grid entry sweeping it
    for key, values in config.grid.items():
        if not values:
            raise InputError(f"config: grid.{key}: must be a non-empty list of values, got []")
        if key == "grid" or key.startswith("grid."):
            raise InputError(f"config: grid.{key}: cannot sweep the grid itself")
        _check_robust_axis(config, key, values)
        if is_tied(key, values):
            _check_tied(config, key, values)
            paths = list(values[0])
        else:
            if "." not in key and key not in ExperimentConfig.model_fields:
                raise InputError(
                    f"config: grid.{key}: must be a config key path with a list of values or a tied axis "
                    f"(a name with mappings of key paths, e.g. {key}: [{{student.batch_size: 100, student.epochs: 1000}}]), "
                    f"got {values!r}"
                )
            for i, value in enumerate(values):
                _check_axis_value(config, f"grid.{key}[{i}]", {key: value}, strip=key)
            paths = [key]
        repeated = _first_repeat(values)
        if repeated is not None:
            raise InputError(f"config: grid.{key}: must hold distinct values ({repeated!r} appears twice), got {values!r}")
        for path in paths:
            if path in _NOT_SWEPT:
                raise InputError(
                    f"config: grid.{key}: every run already sweeps {path}; list the values there instead, "
                    f"got {values!r} (e.g. --set {path}=[100,1000])"
                )
            if path in owner:
                raise InputError(
                    f"config: grid.{key}: key {path!r} is already swept by grid.{owner[path]}; "
                    "sweep a key in one axis only (tie it to the others or leave it free)"
                )
            owner[path] = key


def _check_robust_axis(config: ExperimentConfig, key: str, values: list[Any]) -> None:
    """A robust experiment sweeps ``robust.*`` keys only (any other key would not change a trial)."""
    if config.experiment != "robust":
        return
    paths = list(values[0]) if is_tied(key, values) and isinstance(values[0], dict) else [key]
    for path in paths:
        if not str(path).startswith("robust."):
            raise InputError(
                f"config: grid.{key}: an experiment: robust sweeps robust.* keys only, got {path!r} "
                "(e.g. grid.robust.width: [4, 16, 64])"
            )


# Lists every run iterates over itself: a grid axis over them would nest lists in the table.
_NOT_SWEPT = ("n_samples", "seeds")


def _n_teachers(config: ExperimentConfig) -> int:
    target = config.target
    if target.kind == "teacher":
        return target.n + target.hats
    return len(target.paths) if target.kind == "file" else 1


def _check_tied(config: ExperimentConfig, name: str, values: list[Any]) -> None:
    example = "e.g. {student.batch_size: 100, student.epochs: 1000}"
    keys: list[str] | None = None
    for i, mapping in enumerate(values):
        label = f"grid.{name}[{i}]"
        if not isinstance(mapping, dict) or not mapping:
            raise InputError(f"config: {label}: must be a non-empty mapping of key paths to values ({example}), got {mapping!r}")
        if keys is None:
            keys = list(mapping)
        elif set(mapping) != set(keys):
            raise InputError(
                f"config: {label}: must set the same keys as grid.{name}[0] ({', '.join(keys)}), "
                f"got ({', '.join(map(str, mapping))})"
            )
        for key in mapping:
            if not isinstance(key, str) or key == "grid" or key.startswith("grid."):
                raise InputError(f"config: {label}: keys must be config key paths other than grid, got {key!r}")
        _check_axis_value(config, label, mapping)


def _check_axis_value(config: ExperimentConfig, label: str, assignment: dict[str, Any], strip: str | None = None) -> None:
    """Validate ``config`` with ``assignment`` substituted; a failure names the axis value
    (``grid.student.width[1]: ...``; ``strip``: drop the key path the label already names)."""
    raw = config.model_dump()
    raw["grid"] = {}
    for key, value in assignment.items():
        _set_path(raw, key, value)
    try:
        ExperimentConfig.model_validate(raw)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        msg = _one_line(err)
        if err["type"] == "extra_forbidden":
            raise InputError(f"config: {'grid' if strip else label}: {msg}") from None
        path, _ = _path(err["loc"], ExperimentConfig)
        if strip is not None and msg.startswith(f"{path}: ") and path == strip:
            msg = msg[len(path) + 2:]
        raise InputError(f"config: {label}: {msg}") from None
