"""write_atomic: errors name the file the caller asked for."""

from __future__ import annotations

import pytest

from uniformgap._atomic import write_text_atomic


def test_an_unwritable_target_is_named_not_its_temp_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError) as exc:
        write_text_atomic(blocker / "out.html", "<html>")  # its parent is a file
    assert exc.value.filename == str(blocker / "out.html")
    assert blocker.read_text() == "x"
