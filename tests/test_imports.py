"""The package's module graph has no import cycle (an AST walk of every relative import,
function-local ones included: a lazy import that closes a cycle still couples two modules)."""

from __future__ import annotations

import ast
from pathlib import Path

import uniformgap

ROOT = Path(uniformgap.__file__).parent


def _module_name(path: Path) -> str:
    parts = ("uniformgap",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _edges(path: Path, modules: set[str]) -> set[str]:
    """Modules of the package that ``path`` imports with ``from .x import ...`` / ``from . import x``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            for alias in node.names:  # `from . import x` names a submodule
                if f"{target}.{alias.name}" in modules:
                    out.add(f"{target}.{alias.name}")
            if target in modules:
                out.add(target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("uniformgap"):
            if node.module in modules:
                out.add(node.module)
    out.discard(name)
    return out


def import_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _edges(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, ..., a], or None (depth-first search, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if v not in state and (cycle := visit(v)):
                return cycle
        stack.pop()
        state[u] = 2
        return None

    for u in sorted(graph):
        if u not in state and (cycle := visit(u)):
            return cycle
    return None


def test_find_cycle_sees_a_cycle_and_its_absence():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_walk_sees_the_known_edges():
    graph = import_graph()
    assert "uniformgap.experiments._spec" in graph["uniformgap.experiments._trial"]
    assert "uniformgap._atomic" in graph["uniformgap.experiments._trial"]
    assert "uniformgap.learners" in graph["uniformgap.experiments._data"]  # a function-local import


def test_the_package_has_no_import_cycle():
    assert find_cycle(import_graph()) is None
