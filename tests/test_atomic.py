"""write_atomic: errors name the file the caller asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

import uniformgap

from uniformgap._atomic import write_text_atomic


def test_an_unwritable_target_is_named_not_its_temp_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError) as exc:
        write_text_atomic(blocker / "out.html", "<html>")  # its parent is a file
    assert exc.value.filename == str(blocker / "out.html")
    assert blocker.read_text() == "x"


_WRITERS = {"write_text", "write_bytes", "to_csv", "to_parquet", "savefig", "save_file", "savez",
            "savez_compressed", "save"}


def _unguarded_writes(source: str) -> list[int]:
    """Lines of file-writing calls (``_WRITERS``, ``open(..., "w")``) not inside a ``write_atomic(...)`` call."""
    import ast

    tree = ast.parse(source)
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "write_atomic":
            guarded.update(id(n) for arg in node.args for n in ast.walk(arg))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in guarded:
            continue
        f = node.func
        writes = isinstance(f, ast.Attribute) and f.attr in _WRITERS and not (
            f.attr == "save" and not (isinstance(f.value, ast.Name) and f.value.id == "torch"))
        if isinstance(f, ast.Name) and f.id == "open":
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            writes = isinstance(mode, ast.Constant) and any(c in str(mode.value) for c in "wax+")
        if writes:
            bad.append(node.lineno)
    return bad


def test_the_scan_sees_an_unguarded_write_and_passes_a_guarded_one():
    src = ('write_atomic(p, lambda tmp: df.to_csv(tmp))\n'
           'df.to_parquet(p)\n'
           'open(p, "w")\n'
           'torch.save(x, p)\n'
           'model.save(p)\n')
    assert _unguarded_writes(src) == [2, 3, 4]


def test_every_file_the_package_writes_goes_through_write_atomic():
    root = Path(uniformgap.__file__).parent
    bad = {str(p.relative_to(root)): lines for p in sorted(root.rglob("*.py"))
           if p.name != "_atomic.py" and (lines := _unguarded_writes(p.read_text(encoding="utf-8")))}
    assert bad == {}
