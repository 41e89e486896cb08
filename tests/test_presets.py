"""The experiment presets: names and texts read from the package data, one definition for CLI and API."""

from __future__ import annotations

from pathlib import Path

import uniformgap
from uniformgap._presets import preset_names, preset_text
from uniformgap.experiments import PRESETS, load_config


def test_names_and_texts_are_the_yaml_files_on_disk():
    folder = Path(uniformgap.__file__).parent / "experiments" / "presets"
    files = sorted(folder.glob("*.yaml"))
    assert preset_names() == tuple(sorted(f.stem for f in files)) and "quick" in preset_names()
    for f in files:
        assert preset_text(f.stem) == f.read_text(encoding="utf-8")
    assert PRESETS == preset_names()  # the experiments package lists the same presets
    assert load_config("quick").name == "quick"
