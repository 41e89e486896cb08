"""argparse pieces shared by the subcommands: a one-line error parser and value types.

Value types raise ``argparse.ArgumentTypeError`` with messages in the project's form
("must be a number >= 1 or 'inf', got '0.5'"); argparse prefixes the flag name.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from .._domain import domain_pair


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and exit 2.

    It also reads values such as ``-0.5,0.5``, ``-1e-3`` or ``-inf`` as values, not flags, so that
    ``--domain -0.5,0.5`` works without ``=`` (argparse only knows plain negative numbers).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+|inf|nan)([eE][-+]?\d+)?(,.*)?$", re.IGNORECASE)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions as usual, but never inside a hyphenated word (a command such as
    ``--preset robust-quick`` stays copyable), and prints an ``examples(...)`` epilog line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(_EXAMPLES):
            return "\n".join(indent + line for line in text.splitlines())
        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)


_EXAMPLES = "examples:"


def examples(*commands: str) -> str:
    """The epilog of a subcommand's ``--help``: one correct call per line."""
    return "\n".join([_EXAMPLES, *(f"  {c}" for c in commands)])


def times_default(default: int, what: str) -> Callable[[int], str]:
    """``need`` for :func:`positive_int`: how many times the default's work a value asks for."""
    return lambda n: f"{n:.3g} {what} would take {n / default:.3g} times as long as the default {default}"


def _integer(text: str) -> int | None:
    """``text`` as an int: '1000', '1_000' or an integer in scientific notation ('1e6'); else None."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def positive_int(minimum: int = 1, maximum: int | None = None, need: Callable[[int], str] | None = None):
    """An integer >= ``minimum`` (counts accept '1e6' like '1000000'), at most ``maximum``.

    ``need(value)`` says what a value above ``maximum`` would need (memory, time), e.g.
    "1e11 points would need 800 GB"; the error names it.
    """

    def parse(text: str) -> int:
        value = _integer(text)
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        if maximum is not None and value > maximum:
            why = f": {need(value)}" if need is not None else ""
            raise argparse.ArgumentTypeError(
                f"must be an integer from {minimum} to {maximum:.3g}, got {text!r}{why}"
            )
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def real(minimum: float | None = None, *, strict: bool = False, allow_inf: bool = False):
    """A float; ``minimum`` with ``strict`` means ``> minimum``; ``allow_inf`` accepts 'inf'."""
    relation = ">" if strict else ">="
    allowed = "a number" if minimum is None else f"a number {relation} {minimum:g}"
    if allow_inf:
        allowed += " or 'inf'"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        bad = math.isnan(value) or (math.isinf(value) and not (allow_inf and value > 0))
        if minimum is not None and not bad:
            bad = value <= minimum if strict else value < minimum
        if bad:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
        return value

    parse.__name__ = allowed
    return parse


def number_list(kind: type = float):
    """Comma-separated numbers: '0.5,0.25' → [0.5, 0.25]."""

    def parse(text: str) -> list:
        try:
            return [kind(part) for part in text.split(",") if part.strip() != ""]
        except ValueError:
            name = "integers" if kind is int else "numbers"
            raise argparse.ArgumentTypeError(
                f"must be comma-separated {name} (e.g. 1,2,3), got {text!r}"
            ) from None

    parse.__name__ = "comma list"
    return parse


def int_list(minimum: int, example: str):
    """A non-empty comma list of integers >= minimum: '256,256' → [256, 256]."""

    def parse(text: str) -> list[int]:
        try:
            values = [int(part) for part in text.split(",") if part.strip() != ""]
        except ValueError:
            values = []
        if not values or min(values) < minimum:
            raise argparse.ArgumentTypeError(
                f"must be a comma list of integers >= {minimum} (e.g. {example}), got {text!r}"
            )
        return values

    parse.__name__ = f"comma list of integers >= {minimum}"
    return parse


_MAX_CORNER = 1e6


def domain(text: str) -> tuple[float, float]:
    """'LO,HI' → (LO, HI) with -1e6 <= LO < HI <= 1e6: the cube [LO,HI]^d.

    Corners beyond ±1e6 make network values and the width HI - LO overflow or lose all
    precision in float64 (e.g. 0,1e308); the paper's cubes are [0,1]^d and [-1/2,1/2]^d.
    """
    allowed = "must be LO,HI with -1e6 <= LO < HI <= 1e6 (e.g. --domain -0.5,0.5 or --domain 0,1)"
    pair = domain_pair(text.split(","), bound=_MAX_CORNER)  # the package's one domain rule
    if pair is None:
        raise argparse.ArgumentTypeError(f"{allowed}, got {text!r}")
    return pair


def int_range(text: str, maximum_count: int = 10_000) -> list[int]:
    """'1:30' → [1, ..., 30] (inclusive); '3,5,8' → [3, 5, 8]; at most ``maximum_count`` values."""
    allowed = "must be an inclusive range LO:HI or a comma list of integers (e.g. 1:30 or 3,5,8)"
    try:
        if ":" in text:
            lo, hi = (int(p) for p in text.split(":"))
            if hi < lo:
                raise ValueError
            count = hi - lo + 1
        else:
            values = [int(p) for p in text.split(",")]
            count = len(values)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{allowed}, got {text!r}") from None
    if count > maximum_count:
        raise argparse.ArgumentTypeError(f"must have at most {maximum_count} values, got {text!r} ({count} values)")
    return list(range(lo, hi + 1)) if ":" in text else values


def human_bytes(n: float) -> str:
    """'800 GB' for 8e11: a memory size in words (powers of 1000)."""
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} bytes"


def check_output(
    flag: str,
    path: str | os.PathLike | None,
    *,
    suffixes: tuple[str, ...] = (),
    directory: bool = False,
    inputs: tuple[str | os.PathLike, ...] = (),
) -> None:
    """Before anything is written: ``path`` (given as ``flag``) can be written, ends in one of
    ``suffixes`` (a file) or is a directory (``directory``), and is none of the ``inputs``.

    Raises :class:`uniformgap.InputError` naming the flag and the path.
    """
    from .._errors import InputError

    if path is None:
        return
    name, target = os.fspath(path), Path(path)
    if directory:
        if target.exists() and not target.is_dir():
            raise InputError(f"`{flag}` must be a directory, got the file {name!r}")
    else:
        if target.is_dir():
            raise InputError(f"`{flag}` must be a file, got the directory {name!r} (e.g. {flag} {target / ('out' + (suffixes or ('',))[0])})")
        if suffixes and target.suffix.lower() not in suffixes:
            allowed = suffixes[0] if len(suffixes) == 1 else f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"
            raise InputError(f"`{flag}` must end in {allowed}, got {name!r}")
        if any(Path(i).exists() and target.exists() and os.path.samefile(i, target) for i in inputs):
            raise InputError(f"`{flag}` would overwrite an input of this command, got {name!r} (choose another file)")
    parent = target if directory else target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"`{flag}` cannot be created: {os.fspath(parent)!r} is a file, got {name!r}")
    if not os.access(parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"`{flag}` cannot be written: {os.fspath(parent)!r} is not writable, got {name!r}")


def int_range_at_least(minimum: int, maximum: int | None = None, need=None):
    """:func:`int_range` with every entry from ``minimum`` to ``maximum``; ``need(value)`` says
    what a too large value would cost (appended to the message)."""

    def parse(text: str) -> list[int]:
        values = int_range(text)
        if not values or min(values) < minimum:
            raise argparse.ArgumentTypeError(f"must be integers >= {minimum}, got {text!r}")
        if maximum is not None and max(values) > maximum:
            why = f": {need(max(values))}" if need is not None else ""
            raise argparse.ArgumentTypeError(f"must be integers from {minimum} to {maximum:.3g}, got {text!r}{why}")
        return values

    parse.__name__ = f"range of integers >= {minimum}"
    return parse


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """PRESET|CONFIG.yaml (default quick) and repeatable --set KEY=VALUE, as `run` and `plan` take them."""
    p.add_argument("config", nargs="?", default=None, metavar="PRESET|CONFIG.yaml",
                   help="a preset name or a YAML experiment file (default: quick)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key (value parsed as YAML), e.g. --set student.width=64; repeatable")


def print_json(obj: Any) -> None:
    """One JSON object on stdout; non-finite floats become null (valid JSON)."""
    json.dump(_finite(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj

