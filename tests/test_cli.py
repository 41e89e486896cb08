"""The command-line dispatcher: help for every subcommand, one-line errors, exit codes."""

import shlex
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


HEAVY = ("torch", "pandas", "matplotlib", "numpy", "sklearn", "ray", "pydantic", "yaml")


def test_help_and_usage_errors_import_nothing_heavy():
    # A test of work, not seconds: which modules `--help` and a usage error load.
    code = (
        "import sys\n"
        "from uniformgap.cli import main\n"
        "for argv in (['--help'], ['--version'], ['bounds', '--help'], ['run', '--help'], ['construct', 'hat', '--help'],\n"
        "             ['audit', '--help'], ['bounds', '--dim', '0'], ['fool', '--samples', '1.5'], ['frobnicate']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_version(capsys):
    from uniformgap import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out == f"uniformgap {__version__}\n"


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [[name] for name in SUBCOMMANDS] + [["construct", "hat"], ["construct", "interpolate"], ["robust"]])
def test_every_help_has_examples_that_parse(argv, capsys):
    text = _help(argv, capsys)
    assert "\nexamples:\n" in text
    examples = text.split("\nexamples:\n", 1)[1].strip().splitlines()
    assert examples
    for line in examples:
        words = shlex.split(line)
        assert words[0] == "uniformgap" and words[1] == argv[0], line
        if words[-1] == "--help":
            assert _help(words[1:-1], capsys).startswith(f"usage: uniformgap {argv[0]}")
            continue
        args = build_parser().parse_args(words[1:])  # exits 2 on a bad example
        assert args.command == argv[0]


@pytest.mark.parametrize(
    ("argv", "value"),
    [
        (["fool", "--samples", "1e3"], 1000),
        (["construct", "interpolate", "--dim", "1", "--depth", "3", "--samples", "1e4"], 10000),
        (["analyze", "RUN", "--bootstrap", "2e3"], 2000),
        (["audit", "A", "B", "--mc-points", "1e6"], 10**6),
    ],
)
def test_counts_accept_scientific_integers_everywhere(argv, value):
    args = build_parser().parse_args(argv)
    flag = next(a for a in argv if a in ("--samples", "--bootstrap", "--mc-points"))
    assert getattr(args, flag.lstrip("-").replace("-", "_")) == value


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (PermissionError(13, "Permission denied", "net.json"), "uniformgap audit: error: cannot use 'net.json': Permission denied"),
        (IsADirectoryError(21, "Is a directory", "nets/"), "uniformgap audit: error: cannot use 'nets/': Is a directory"),
        (UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid continuation byte"),
         "uniformgap audit: error: an input file is not UTF-8 text (invalid continuation byte at byte 0); save it as UTF-8"),
    ],
)
def test_file_system_and_decoding_errors_end_as_one_line(exc, line, monkeypatch, capsys):
    import uniformgap.audit

    def fail(path):
        raise exc

    monkeypatch.setattr(uniformgap.audit, "load_model", fail)
    assert main(["audit", "a.json", "b.json"]) == 2
    assert capsys.readouterr().err == line + "\n"

