"""Loading an experiment config: a preset name, a YAML path or a dict, ``--set`` overrides,
then every check (values, grid, exact evaluation, search) before anything runs."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .._errors import InputError
from .._presets import preset_text
from ._config import PRESETS, ExperimentConfig, StudentConfig, _set_path, _validate
from ._grid import _check_axis_value, _check_grid, _n_teachers, expand_grid


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
    check_monte_carlo(config)
    _check_grid(config)
    check_search(config)
    expand_grid(config)
    return config


EXACT_1D = ("l1_exact", "l2_exact", "linf_exact")


def check_monte_carlo(config: ExperimentConfig) -> None:
    """``evaluation.monte_carlo: false`` needs 1-D network targets and an exact 1-D metric."""
    if config.evaluation.monte_carlo:
        return
    target = config.target
    d = getattr(target, "d", 1)
    if target.kind == "sine" or d != 1:
        got = "target.kind 'sine'" if target.kind == "sine" else f"target.d {d}"
        raise InputError(
            "config: evaluation.monte_carlo: false needs 1-D network targets (teacher, hat or file with d = 1), "
            f"got {got} (e.g. --set evaluation.monte_carlo=true)"
        )
    if not any(name in config.evaluation.network_metrics for name in EXACT_1D):
        raise InputError(
            "config: evaluation.monte_carlo: false needs an exact 1-D metric (l1_exact, l2_exact, linf_exact) in "
            f"evaluation.network_metrics, got {config.evaluation.network_metrics} "
            "(e.g. --set 'evaluation.network_metrics=[l1_exact,l2_exact,linf_exact]')"
        )


def check_search(config: ExperimentConfig) -> None:
    """A ``search:`` samples "gd" configurations of ``student.*`` keys at one m, all teachers in one
    trial (its objective is a max over teachers); every bound / choice must be a valid value."""
    search = config.search
    if search is None:
        return
    if config.learner != "gd":
        raise InputError(f"config: search: searches the \"gd\" learner, got learner {config.learner!r} (e.g. --set learner=gd)")
    if config.grid:
        raise InputError(
            f"config: search: and grid: are exclusive (the search samples the configurations), got grid keys "
            f"{', '.join(config.grid)} (e.g. --set grid={{}})"
        )
    if len(config.n_samples) != 1:
        raise InputError(
            f"config: search: needs one sample size (run one search per m), got n_samples {config.n_samples} "
            f"(e.g. --set 'n_samples=[{config.n_samples[0]}]')"
        )
    per = config.execution.teachers_per_trial
    if per is not None and per < _n_teachers(config):
        raise InputError(
            "config: search: needs every teacher in one trial (the objective is a max over teachers), "
            f"got execution.teachers_per_trial {per} (e.g. --set execution.teachers_per_trial=null)"
        )
    fields = StudentConfig.model_fields
    for key, dist in search.space.items():
        name = key.split(".", 1)[1] if key.startswith("student.") else None
        if name not in fields or name == "dtype":
            allowed = ", ".join(f"student.{f}" for f in fields if f != "dtype")
            raise InputError(f"config: search.space: unknown key {key!r} (allowed: {allowed})")
        for value in dist.edges():
            _check_axis_value(config.model_copy(update={"search": None}), f"search.space.{key}", {key: value}, strip=key)
    if search.include_default:  # configuration 0 is the base config's values: a point of the space
        student = config.student.model_dump()
        for key, dist in search.space.items():
            value = student[key.split(".", 1)[1]]
            if not dist.contains(value):
                raise InputError(
                    f"config: search.include_default: the base value {key} = {value!r} is not in search.space.{key}; "
                    f"widen the space or leave the default out (e.g. --set search.include_default=false)"
                )
    epochs = search.space.get("student.epochs")
    listed = config.evaluation.checkpoints
    if epochs is not None and isinstance(listed, list) and max(listed) > min(epochs.edges()):
        raise InputError(
            f"config: search.space.student.epochs: every sampled epochs must reach the listed evaluation.checkpoints "
            f"(up to {max(listed)}), got epochs from {min(epochs.edges())} (e.g. --set evaluation.checkpoints=5)"
        )


def _read_source(source: str | Path | dict) -> dict:
    if isinstance(source, dict):
        return copy.deepcopy(source)
    text_source = str(source)
    if text_source in PRESETS:
        text = preset_text(text_source)
        origin = f"preset {text_source!r}"
    else:
        path = Path(text_source)
        if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
            raise InputError(
                f"`config` must be a preset ({', '.join(PRESETS)}) or a YAML file, got {text_source!r}"
            )
        if path.is_dir():
            raise InputError(f"config file {text_source!r} is a directory, not a YAML file")
        if not path.is_file():
            raise InputError(f"config file {text_source!r} does not exist")
        try:
            text, origin = path.read_text(encoding="utf-8"), text_source
        except UnicodeDecodeError as exc:
            raise InputError(
                f"config file {text_source!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
            ) from None
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
