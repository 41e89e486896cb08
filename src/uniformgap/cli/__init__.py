"""The ``uniformgap`` command line: a thin layer over the Python API.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (args → exit code). User mistakes raise
:class:`uniformgap.InputError` (or are argparse errors) and end as one line on stderr
with exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from .. import __version__
from .._errors import InputError
from . import _analyze, _audit, _bounds, _construct, _fool, _plan, _report, _robust, _run
from ._parser import OneLineParser

__all__ = ["build_parser", "main"]

# The order here is the order in `uniformgap --help`.
_SUBCOMMANDS = (_bounds, _construct, _plan, _run, _analyze, _report, _audit, _fool, _robust)


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="uniformgap",
        description=(
            "Learning ReLU networks to high uniform accuracy is intractable "
            "(Berner, Grohs, Voigtlaender, ICLR 2023): bounds, constructions, "
            "student-teacher experiments and worst-case audits; and why robust generalization "
            "is difficult (Li et al., NeurIPS 2022): `uniformgap robust`."
        ),
    )
    parser.add_argument("--version", action="version", version=f"uniformgap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for module in _SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    # The command line writes figures to files: a non-interactive backend, chosen here and
    # never in library code (a user's own MPLBACKEND wins).
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        return _error(args, str(exc))
    except UnicodeDecodeError as exc:
        # Text files (YAML configs, network JSON) are read as UTF-8; the reader names no path.
        return _error(args, f"an input file is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8")
    except OSError as exc:
        return _error(args, _os_message(exc))
    except KeyboardInterrupt:
        print(f"uniformgap {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `uniformgap ... --json | head`: the reader left; exit quietly like other Unix tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _error(args, message: str) -> int:
    """The one line a user mistake becomes: on stderr, exit code 2."""
    print(f"uniformgap {args.command}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _os_message(exc: OSError) -> str:
    """"cannot use 'out/x.json': Permission denied" from an OSError (a path the user gave)."""
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    what = " -> ".join(repr(os.fsdecode(p)) for p in paths) or "a file"
    return f"cannot use {what}: {exc.strerror or exc}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
