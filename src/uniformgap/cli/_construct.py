"""`uniformgap construct` (placeholder until its issue lands)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("construct", help="(not yet implemented)")
    p.set_defaults(func=lambda args: print("uniformgap construct: not implemented yet") or 1)
