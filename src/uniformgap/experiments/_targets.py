"""Targets u: [lo, hi]^d → R of the student–teacher experiments.

Explicit registry ``TARGETS`` (config ``target.kind`` → builder); no dotted-path imports:

- ``teacher``: random ReLU MLPs as in arXiv:2205.13531, Section 3 — architecture
  (d, width, ..., width, 1) with ``depth`` affine layers, every weight and bias i.i.d.
  U(-a, a), teacher i drawn from ``torch.Generator().manual_seed(i)`` (layer by layer,
  weight then bias), so teacher i is the same network in every run;
- ``sine``: u(x) = log(sin(50x) + 2) + sin(5x), d = 1 (the paper's Figure 1);
- ``hat``: λ_q(M)·Λ_{M,y}, the explicit hat network of THEORY.md §3 (``uniformgap.theory``);
- ``file``: network JSON files a user supplies (file i is teacher i).

Network targets are written to RUN_DIR/teachers/teacher_<i>.json (the network format) by
the driver and read back by every trial, so a trial needs nothing outside RUN_DIR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from .._errors import InputError
from ..networks import ReLUNetwork, load_network, random_network, save_network
from ._config import ExperimentConfig, FileTarget, HatTarget, SineTarget, TeacherTarget


@dataclass(frozen=True)
class Target:
    """One target function; ``network`` is set when u is a ReLU network."""

    index: int  # the `teacher` column (= teacher seed for random teachers)
    d: int
    network: ReLUNetwork | None = None
    fn: Callable[[Tensor], Tensor] | None = None

    def __call__(self, x: Tensor) -> Tensor:
        """u(x) for x (n, d) → (n,), float64."""
        if self.network is not None:
            with torch.no_grad():
                return self.network(x.to(torch.float64)).reshape(-1)
        assert self.fn is not None
        return self.fn(x.to(torch.float64))


def random_teacher(d: int, depth: int, width: int, a: float, seed: int) -> ReLUNetwork:
    """A teacher with architecture (d, width × (depth-1), 1), coefficients i.i.d. U(-a, a)."""
    return random_network((d, *([width] * (depth - 1)), 1), a, seed=seed)


def sine(x: Tensor) -> Tensor:
    """u(x) = log(sin(50x) + 2) + sin(5x) for x (n, 1) → (n,) (arXiv:2205.13531, Fig. 1)."""
    x = x[:, 0]
    return torch.log(torch.sin(50 * x) + 2) + torch.sin(5 * x)


def _teachers(cfg: TeacherTarget, bounds: tuple[float, float]) -> list[Target]:
    out = [Target(i, cfg.d, random_teacher(cfg.d, cfg.depth, cfg.width, cfg.a, seed=i)) for i in range(cfg.n)]
    return out + teacher_hats(cfg, bounds)


def teacher_hats(cfg: TeacherTarget, bounds: tuple[float, float]) -> list[Target]:
    """``cfg.hats`` hat networks λ·Λ_{M,y_j} of the teachers' class H^∞_{a,c=a} (THEORY.md §3,
    ``theory.hat_network``, architecture (d, width, ..., 1) like the teachers), indices n + j,
    centres y_j = lo + (j + 1/2)(hi − lo)/k in every coordinate."""
    if cfg.hats == 0:
        return []
    from ..theory import NetworkClass, hat_network

    cls = NetworkClass.create(cfg.d, cfg.depth, cfg.width, c=cfg.a, q=float("inf"))
    lo, hi = bounds
    return [
        Target(cfg.n + j, cfg.d, hat_network(cls, cfg.hat_M, [lo + (j + 0.5) * (hi - lo) / cfg.hats] * cfg.d, domain=bounds))
        for j in range(cfg.hats)
    ]


def _sine(cfg: SineTarget, bounds: tuple[float, float]) -> list[Target]:
    return [Target(0, 1, fn=sine)]


def _hat(cfg: HatTarget, bounds: tuple[float, float]) -> list[Target]:
    from ..theory import NetworkClass, hat_network  # hat_network lives in the theory issue

    cls = NetworkClass.create(cfg.d, cfg.L, cfg.width, cfg.c, cfg.q)
    lo, hi = bounds
    y = cfg.y if cfg.y is not None else [(lo + hi) / 2] * cfg.d
    if len(y) != cfg.d or not all(lo <= v <= hi for v in y):
        raise InputError(
            f"config: target.y: must be {cfg.d} number(s) in [{lo:g}, {hi:g}] (the domain), got {list(y)}"
        )
    net = hat_network(cls, cfg.M, y, style=cfg.style, domain=bounds)
    return [Target(0, cfg.d, net)]


def _files(cfg: FileTarget, bounds: tuple[float, float]) -> list[Target]:
    targets = [Target(i, 0, load_network(p)[0]) for i, p in enumerate(cfg.paths)]
    dims = {t.network.input_dim for t in targets}
    if len(dims) != 1:
        raise InputError(f"config: target.paths: all networks must have the same input dimension, got {sorted(dims)}")
    if any(t.network.architecture[-1] != 1 for t in targets):
        raise InputError("config: target.paths: networks must have one output (architecture [..., 1])")
    return [Target(t.index, t.network.input_dim, t.network) for t in targets]


# target.kind -> builder(target config, domain bounds) -> targets
TARGETS: dict[str, Callable[..., list[Target]]] = {
    "teacher": _teachers,
    "sine": _sine,
    "hat": _hat,
    "file": _files,
}


def build_targets(config: ExperimentConfig) -> list[Target]:
    """The targets of ``config`` (validates hat centres and user files)."""
    return TARGETS[config.target.kind](config.target, config.bounds)


def target_dim(config: ExperimentConfig) -> int:
    """d of the experiment (reads user files for ``file`` targets)."""
    cfg = config.target
    if isinstance(cfg, SineTarget):
        return 1
    if isinstance(cfg, FileTarget):
        return build_targets(config)[0].d
    return cfg.d


def save_targets(targets: list[Target], directory: Path, config: ExperimentConfig) -> None:
    """Write network targets as RUN_DIR/teachers/teacher_<i>.json (atomic)."""
    kind = config.target.kind
    for t in targets:
        if t.network is not None:
            meta = {"kind": kind, "seed": t.index} if kind == "teacher" else {"kind": kind, "index": t.index}
            if kind == "teacher":
                meta["a"] = config.target.a
                if t.index >= config.target.n:  # an appended hat of the teachers' class
                    meta = {"kind": "hat", "index": t.index, "M": config.target.hat_M, "c": config.target.a}
            save_network(t.network, directory / f"teacher_{t.index}.json", **meta)


def load_targets(directory: Path, config: ExperimentConfig, indices: list[int] | None = None) -> list[Target]:
    """The targets as the driver saved them (sine is rebuilt in code)."""
    if isinstance(config.target, SineTarget):
        return _sine(config.target, config.bounds)
    wanted = list(range(n_targets(config))) if indices is None else indices
    out = []
    for i in wanted:
        net, _ = load_network(directory / f"teacher_{i}.json")
        out.append(Target(i, net.input_dim, net))
    return out


def n_targets(config: ExperimentConfig) -> int:
    cfg = config.target
    if isinstance(cfg, TeacherTarget):
        return cfg.n + cfg.hats
    if isinstance(cfg, FileTarget):
        return len(cfg.paths)
    return 1

