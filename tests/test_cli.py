"""The command-line dispatcher: help for every subcommand, one-line errors, exit codes."""

import subprocess
import sys

import pytest

from uniformgap.cli import build_parser, main

SUBCOMMANDS = ["bounds", "construct", "plan", "run", "analyze", "report", "audit", "fool"]


def test_every_subcommand_is_registered_with_help(capsys):
    parser = build_parser()
    help_text = parser.format_help()
    for name in SUBCOMMANDS:
        assert name in help_text
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: uniformgap {name}")
        assert "not yet implemented" not in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_unknown_command_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("uniformgap: error: argument COMMAND: invalid choice: 'frobnicate'")


def test_python_dash_m_entry_point():
    out = subprocess.run([sys.executable, "-m", "uniformgap", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "usage: uniformgap" in out.stdout
