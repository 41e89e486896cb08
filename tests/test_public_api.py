"""The curated public surface: every subpackage lists its public names in ``__all__``, each
exists, nothing public is imported into ``__init__`` without being listed, and internals stay private."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import uniformgap

PACKAGES = ["uniformgap", "uniformgap.analysis", "uniformgap.audit", "uniformgap.cli", "uniformgap.experiments",
            "uniformgap.learners", "uniformgap.metrics", "uniformgap.networks", "uniformgap.robust", "uniformgap.theory"]


def _imported_public(package: str) -> set[str]:
    init = Path(uniformgap.__file__).parent.joinpath(*package.split(".")[1:], "__init__.py")
    tree = ast.parse(init.read_text(encoding="utf-8"))
    return {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.module != "__future__"
            for a in n.names if not (a.asname or a.name).startswith("_")}


@pytest.mark.parametrize("package", PACKAGES)
def test_all_lists_exactly_the_public_imports(package):
    module = importlib.import_module(package)
    listed = set(module.__all__)
    assert len(listed) == len(module.__all__)  # no name twice
    assert all(hasattr(module, name) for name in listed)
    used_inside = {"annotations", "Sequence", "OneLineParser", "InputError"} if package == "uniformgap.cli" else set()
    assert _imported_public(package) - used_inside <= listed | {"__version__"}


@pytest.mark.parametrize("package, name", [
    ("uniformgap.analysis", "write_synthetic_run"), ("uniformgap.analysis", "build_cubes"),
    ("uniformgap.metrics", "DRAW_BLOCK"), ("uniformgap.metrics", "relu_bounds"),
    ("uniformgap.learners", "n_per_axis"), ("uniformgap.audit", "RecordingOracle"),
    ("uniformgap.theory", "validate_hat_args"), ("uniformgap.robust", "grid_intervals"),
])
def test_internals_are_not_part_of_the_public_surface(package, name):
    assert name not in importlib.import_module(package).__all__
