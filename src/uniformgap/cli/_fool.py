"""`uniformgap fool` (placeholder until its issue lands)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("fool", help="(not yet implemented)")
    p.set_defaults(func=lambda args: print("uniformgap fool: not implemented yet") or 1)
