"""`audit`: a worst-case error you can trust between two ReLU networks f, g on a box Ω.

    d = 1:  sup_Ω |f − g| exactly (breakpoint enumeration, :func:`sup_error_exact_1d`);
    d ≥ 2:  a certified bracket lower ≤ sup_Ω |f − g| ≤ upper (attack + branch and bound,
            :func:`sup_error_bracket`),
next to the Monte-Carlo max over N uniform points — a lower ESTIMATE of the sup, which is
what "L∞ error" means in most papers (arXiv:2205.13531 reports the max over 2^24 points) —
and by how much that estimate falls short. Ω defaults to [-1/2, 1/2]^d, the experiments' cube.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._errors import InputError
from ..metrics import regression_attack, sup_error_bracket, sup_error_exact_1d
from .._domain import check_box, check_domain
from ..metrics._supcore import check_pair, check_positive, layers64, require_dense
from ..networks import ReLUNetwork, SparseReLUNetwork, load_network

_TORCH_SUFFIXES = (".pt", ".pth")


def load_model(path: str | os.PathLike) -> ReLUNetwork | SparseReLUNetwork:
    """A scalar-output ReLU network from a network JSON file or a ``torch.save``d nn.Sequential.

    ``.json``: the project's network format (:func:`uniformgap.networks.load_network`; sparse
    layers give a :class:`SparseReLUNetwork`, exact in 1-D, refused by the d >= 2 bracket).
    ``.pt``/``.pth``: an ``nn.Sequential`` alternating ``nn.Linear`` and ``nn.ReLU``, first and
    last ``nn.Linear`` (loaded with ``torch.load(weights_only=False)``: only open files you trust).
    Converted to float64.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", *_TORCH_SUFFIXES):
        raise InputError(
            f"{path}: unsupported network file {suffix or '(no extension)'!r} "
            "(expected .json in the uniformgap.network format, or .pt/.pth holding a torch.save'd nn.Sequential)"
        )
    if suffix == ".json":
        net, _ = load_network(path)
    else:
        net = _load_sequential(path)
    out = net.architecture[-1]
    if out != 1:
        raise InputError(f"{path}: output dimension must be 1, got {out}")
    return net


def _load_sequential(path: Path) -> ReLUNetwork:
    if not path.is_file():
        raise InputError(f"network file {str(path)!r} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # any unpickling failure is a bad file, not a bug
        raise InputError(f"{path}: torch.load cannot read it ({exc.__class__.__name__})") from None
    if not isinstance(obj, nn.Sequential):
        raise InputError(f"{path}: expected a torch.save'd nn.Sequential of Linear and ReLU layers, got {type(obj).__name__}")
    mods = list(obj)
    names = ", ".join(type(mod).__name__ for mod in mods) or "no layers"
    ok = bool(mods) and len(mods) % 2 == 1 and all(
        isinstance(mod, nn.Linear if i % 2 == 0 else nn.ReLU) for i, mod in enumerate(mods)
    )
    if not ok:
        raise InputError(
            f"{path}: the nn.Sequential must alternate Linear and ReLU, starting and ending with Linear, got [{names}]"
        )
    layers = []
    for lin in mods[::2]:
        A = lin.weight.detach().to(torch.float64)
        b = torch.zeros(A.shape[0], dtype=torch.float64) if lin.bias is None else lin.bias.detach().to(torch.float64)
        layers.append((A, b))
    return ReLUNetwork(layers)


@dataclass(frozen=True)
class AuditResult:
    """sup_lower ≤ sup_Ω |f − g| ≤ sup_upper (equal when ``exact``), with witness ``argmax``."""

    d: int
    domain: tuple[float, float]  # Ω = [lo, hi]^d
    exact: bool  # d = 1: breakpoint enumeration; else a certified bracket
    sup_lower: float  # = |f − g|(argmax)
    sup_upper: float
    gap: float
    rel_gap: float
    tol: float
    tol_reached: bool
    argmax: tuple[float, ...]
    mc_max: float  # lower ESTIMATE: max over mc_points uniform points
    mc_argmax: tuple[float, ...]
    mc_points: int
    attack_value: float  # lower bound from the regression attack
    mc_underestimate: float  # sup_lower − mc_max: the sup exceeds the MC value by at least this
    mc_underestimate_rel: float  # (sup_lower − mc_max) / sup_lower (0 when sup_lower = 0)
    method: str
    boxes_processed: int  # branch and bound (0 when exact)
    n_candidates: int  # breakpoints + endpoints evaluated (0 unless exact)
    seed: int
    time_s: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("domain", "argmax", "mc_argmax"):
            out[key] = list(out[key])
        return out


def audit(
    f: ReLUNetwork,
    g: ReLUNetwork,
    *,
    domain=(-0.5, 0.5),
    tol: float = 0.01,
    budget_s: float = 10.0,
    mc_points: int = 1 << 20,
    seed: int = 0,
    progress: bool = False,
    names: tuple[str, str] = ("f", "g"),
) -> AuditResult:
    """Audit sup_{x ∈ [lo, hi]^d} |f(x) − g(x)|: exact for d = 1, a certified bracket for d ≥ 2.

    ``tol``/``budget_s``: relative gap and time budget of the bracket (d ≥ 2). ``mc_points``
    uniform points (``seed``) give the Monte-Carlo max for comparison. ``names`` label f, g in
    error messages (the CLI passes the file names).
    """
    t0 = time.perf_counter()
    F, G = layers64(f, names[0]), layers64(g, names[1])
    d = check_pair(F, G, names)
    if d > 1:  # d = 1 is exact for sparse networks too
        for layers, name in zip((F, G), names):
            require_dense(layers, name, "the certified bracket for d >= 2 (CROWN bound propagation)")
    check_box(domain, d)  # the rule, per coordinate
    lo, hi = check_domain(domain)  # audit takes a cube [lo, hi]^d
    tol = check_positive("tol", tol)
    budget_s = check_positive("budget_s", budget_s)
    if not (isinstance(mc_points, int) and mc_points >= 1):
        raise InputError(f"`mc_points` must be an integer >= 1, got {mc_points!r}")
    if d == 1:
        ex = sup_error_exact_1d(f, g, (lo, hi))
        att = regression_attack(f, g, (lo, hi), mc_points=mc_points, seed=seed)
        s_lo = s_up = ex.value
        argmax, method, boxes, cands = (ex.argmax,), "exact breakpoint enumeration", 0, ex.n_candidates
        mc_max, mc_argmax, attack_value, reached = att.mc_max, att.mc_argmax, att.value, True
    else:
        br = sup_error_bracket(
            f, g, (lo, hi), tol=tol, budget_s=budget_s, seed=seed, mc_points=mc_points, progress=progress
        )
        s_lo, s_up, argmax = br.lower, br.upper, br.argmax
        method, boxes, cands = f"attack + branch and bound ({br.method} bounds)", br.boxes_processed, 0
        mc_max, mc_argmax, attack_value, reached = br.mc_max, br.mc_argmax, br.attack_value, br.tol_reached
    under = max(s_lo - mc_max, 0.0)
    return AuditResult(
        d=d,
        domain=(lo, hi),
        exact=d == 1,
        sup_lower=s_lo,
        sup_upper=s_up,
        gap=s_up - s_lo,
        rel_gap=(s_up - s_lo) / s_up if s_up > 0 else 0.0,
        tol=tol,
        tol_reached=reached,
        argmax=tuple(argmax),
        mc_max=mc_max,
        mc_argmax=tuple(mc_argmax),
        mc_points=mc_points,
        attack_value=attack_value,
        mc_underestimate=under,
        mc_underestimate_rel=under / s_lo if s_lo > 0 else 0.0,
        method=method,
        boxes_processed=boxes,
        n_candidates=cands,
        seed=seed,
        time_s=time.perf_counter() - t0,
    )
