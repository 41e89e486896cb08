"""argparse pieces shared by the subcommands: a one-line error parser and value types.

Value types raise ``argparse.ArgumentTypeError`` with messages in the project's form
("must be a number >= 1 or 'inf', got '0.5'"); argparse prefixes the flag name.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from typing import Any, NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and exit 2.

    It also reads values such as ``-0.5,0.5`` or ``-1e-3`` as values, not flags, so that
    ``--domain -0.5,0.5`` works without ``=`` (argparse only knows plain negative numbers).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(,.*)?$")

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def positive_int(minimum: int = 1):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
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


def domain(text: str) -> tuple[float, float]:
    """'LO,HI' → (LO, HI) with finite LO < HI: the cube [LO,HI]^d."""
    allowed = "must be LO,HI with LO < HI (e.g. --domain -0.5,0.5 or --domain 0,1)"
    try:
        lo, hi = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{allowed}, got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise argparse.ArgumentTypeError(f"{allowed}, got {text!r}")
    return lo, hi


def int_range(text: str) -> list[int]:
    """'1:30' → [1, ..., 30] (inclusive); '3,5,8' → [3, 5, 8]."""
    try:
        if ":" in text:
            lo, hi = (int(p) for p in text.split(":"))
            if hi < lo:
                raise ValueError
            return list(range(lo, hi + 1))
        return [int(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an inclusive range LO:HI or a comma list of integers (e.g. 1:30 or 3,5,8), got {text!r}"
        ) from None


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
