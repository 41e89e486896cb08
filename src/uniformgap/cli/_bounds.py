"""`uniformgap bounds` (placeholder until its issue lands)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("bounds", help="(not yet implemented)")
    p.set_defaults(func=lambda args: print("uniformgap bounds: not implemented yet") or 1)
