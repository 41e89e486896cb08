"""Shared CLI test helper: run `uniformgap ...` in-process and capture its output."""

from __future__ import annotations

from uniformgap.cli import main


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``uniformgap *argv``; argparse errors give their SystemExit code."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
