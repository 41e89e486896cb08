"""The experiment presets: the YAML files shipped in ``uniformgap/experiments/presets/``.

Read through the top-level package's resources, so listing them (``uniformgap run --help``)
imports nothing of :mod:`uniformgap.experiments` (torch, pandas).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

_SUFFIX = ".yaml"


def _presets_dir() -> Traversable:
    return resources.files("uniformgap").joinpath("experiments", "presets")


def preset_names() -> tuple[str, ...]:
    """The preset names (file stems), sorted."""
    return tuple(sorted(p.name[: -len(_SUFFIX)] for p in _presets_dir().iterdir() if p.name.endswith(_SUFFIX)))


def preset_text(name: str) -> str:
    """The YAML text of preset ``name`` (one of :func:`preset_names`)."""
    return _presets_dir().joinpath(f"{name}{_SUFFIX}").read_text(encoding="utf-8")
