"""What the analysis needs to know about a run besides its table: d, the domain, the
target kind and — where the targets belong to a class the theory covers — that class.

Read from the resolved ``config.yaml`` (keys ``target.kind``, ``target.d``,
``target.depth``, ``target.width``, ``target.a`` for teachers; ``target.L``, ``target.c``,
``target.q`` for hat targets; ``domain``: "centered" = [-1/2, 1/2]^d, "unit" = [0, 1]^d)
and, when the config does not say, from the stored teachers ``teachers/teacher_<i>.json``.

Teachers with every weight and bias in U(−a, a) lie in H^∞_{a,c=a} (docs/theory.md §1, q = ∞),
so the lower bound of Theorem 2.2 (docs/theory.md §4) applies to that class; the theory holds
verbatim on [−1/2, 1/2]^d (docs/theory.md preamble).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..theory import NetworkClass
from ._table import RunData


@dataclass(frozen=True)
class RunContext:
    d: int | None
    domain: tuple[float, float]
    target_kind: str | None  # "teacher" | "sine" | "hat" | "file" | None (unknown)
    network_class: NetworkClass | None  # the class the targets belong to, if known
    notes: tuple[str, ...] = ()


def _get(config: dict, path: str) -> Any:
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _teacher_files(run_dir: Path) -> list[Path]:
    folder = run_dir / "teachers"
    if not folder.is_dir():
        return []

    def index(p: Path) -> int:
        tail = p.stem.rsplit("_", 1)[-1]
        return int(tail) if tail.isdigit() else 10**9

    return sorted(folder.glob("teacher_*.json"), key=index)


def run_context(run: RunData) -> RunContext:
    """Collect d, domain, target kind and the targets' network class (see module doc)."""
    config, notes = run.config, []
    kind = _get(config, "target.kind")
    domain = (0.0, 1.0) if config.get("domain") == "unit" else (-0.5, 0.5)
    d = _get(config, "target.d")
    if kind == "sine":
        d = 1
    cls = None
    try:
        if kind == "teacher" and all(_get(config, f"target.{k}") is not None for k in ("d", "depth", "width", "a")):
            cls = NetworkClass.create(
                int(config["target"]["d"]),
                int(config["target"]["depth"]),
                int(config["target"]["width"]),
                c=float(config["target"]["a"]),
                q=math.inf,
            )
        elif kind == "hat" and _get(config, "target.d") is not None:
            t = config["target"]
            cls = NetworkClass.create(
                int(t["d"]), int(t.get("L", 3)), t.get("width"), c=float(t.get("c", 1.0)), q=float(t.get("q", math.inf))
            )
    except Exception as exc:  # a config this reader does not understand: no theory line
        notes.append(f"target class not understood from config.yaml ({exc}); no derived bound")
    if cls is None and kind in (None, "teacher", "file"):
        cls = _class_from_teacher_files(run.run_dir, notes)
    if d is None and cls is not None:
        d = cls.d
    if d is None:
        notes.append("input dimension d unknown (no target.d in config.yaml, no teacher files): no theory rate")
    if cls is None and kind not in ("sine",):
        notes.append("the targets' network class is unknown: the derived lower bound is not drawn")
    return RunContext(
        d=None if d is None else int(d),
        domain=domain,
        target_kind=kind,
        network_class=cls,
        notes=tuple(notes),
    )


def _class_from_teacher_files(run_dir: Path, notes: list[str]) -> NetworkClass | None:
    """H^∞_{a,c} with a = the teachers' architecture and c = the largest |coefficient| over
    all stored teachers (every teacher lies in that class)."""
    files = _teacher_files(run_dir)
    if not files:
        return None
    from ..networks import load_network

    try:
        nets = [load_network(p)[0] for p in files]
    except Exception as exc:
        notes.append(f"teacher files unreadable ({type(exc).__name__}): no derived bound")
        return None
    archs = {net.architecture for net in nets}
    if len(archs) != 1:
        notes.append("teachers have different architectures: no single class, no derived bound")
        return None
    (arch,) = archs
    if arch[-1] != 1 or len(arch) < 4:
        notes.append(f"teacher architecture {list(arch)} is outside the theory (needs L >= 3, scalar output)")
        return None
    c = max(net.coefficient_norm(math.inf) for net in nets)
    notes.append(f"target class read from {len(files)} teacher file(s): c = max |coefficient| = {c:.4g}")
    return NetworkClass.create(arch[0], len(arch) - 1, list(arch[1:-1]), c=c, q=math.inf)
