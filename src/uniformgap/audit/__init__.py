"""Worst-case audits of networks and the fooling adversary."""

from ._fool import FoolResult as FoolResult
from ._fool import fool as fool
from ._audit import AuditResult as AuditResult
from ._audit import audit as audit
from ._audit import load_model as load_model
from ._from_run import RunPair as RunPair
from ._from_run import student_from_run as student_from_run

__all__ = [
    "FoolResult",
    "fool",
    "AuditResult",
    "audit",
    "load_model",
    "RunPair",
    "student_from_run",
]
