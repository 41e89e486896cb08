"""The one exception type for user mistakes.

Every invalid input — a CLI flag, a config key, an argument of a public function —
raises :class:`InputError` with a one-line message that names the argument, the bad
value, what is allowed and, where it helps, a correct call::

    `q` must be a number >= 1 or 'inf', got 0.5 (e.g. q=2 or q=float('inf'))

The CLI turns it into that line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """An invalid value supplied by the user (exit code 2 on the command line)."""
