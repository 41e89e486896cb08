"""Analysis of a robust run (``experiment: robust``): the size-versus-dimension experiments of
docs/robust.md §6.4 (Li et al., arXiv:2205.13863, Thms 2.2 and 4.3).

- **E1 capacity** (rows trained on the whole support): per d, W*(d) = the smallest trained size
  Σ n_{ℓ−1}n_ℓ reaching robust error ≤ α on the support (P uniform) for at least one seed — an
  existence statement about what the optimiser reaches, so the best seed counts. Two versions:
  ``attack`` (the attack + witness error, a LOWER bound on the true robust error: optimistic) and
  ``certified`` (1 − certified accuracy, an UPPER bound: a proof that such a network exists). Beside
  it C1's exact size (robust error 0, docs/robust.md §3), M = K^{d−1} and the linear classifier
  f_lin(x) = x_d − ½ (clean error 0, robust error 1).
- **E2 gap** (rows trained on N draws): per (d, width), means over seeds of the robust train error
  (Def 2.1 on the fit set), the robust test error L_P (on all of S), the floor (the same architecture
  trained on all of S, E1's rows) and the unseen-column fraction u: unseen columns cost ≈ u/2 for
  EVERY learner (random φ: an information limit); only the floor measures expressivity.

- **E3 manifold** (rows with ``manifold``, docs/robust.md §5.2, §6.4): per (manifold, k, d), W*(k, d) and
  the smallest width reaching α, errors on the manifold (Def 5.4: the adversary stays on M), beside C1's exact
  size in the coordinates of M's span (``c1_on``). The size Σ n_{ℓ−1}n_ℓ counts the first layer's d·width
  weights, so at a fixed width it grows linearly in d; the prediction is the exponential growth in k, not d.

A width whose networks never reach α is reported as such: an optimisation / budget limit of the
run, never an expressivity limit (C1 reaches robust error 0 at its exact size).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError

ALPHA = 0.1  # docs/robust.md §6.4's example: robust error ≤ 0.1


@dataclass(frozen=True)
class CapacityRow:
    """E1 at one d: W* (attack / certified) and the references."""

    d: int
    M: int
    sizes: list[int]  # trained sizes tried at this d
    seeds: int  # seeds per size (the smallest count)
    wstar_attack: int | None  # None: no trained size reached α
    wstar_certified: int | None
    best_error_attack: float  # min over sizes and seeds
    best_error_certified: float
    c1_size: int | None  # None: one class empty (a constant classifier is exact)
    linear_clean_error: float
    linear_robust_error: float


@dataclass(frozen=True)
class GapRow:
    """E2 at one (d, width): robust train vs robust test vs floor, and the unseen fraction."""

    d: int
    M: int
    width: int
    size: int
    n_draws: int
    seeds: int
    train_robust_error: float
    test_robust_error: float
    floor: float  # NaN: no whole-support rows at this (d, width)
    unseen_fraction: float
    information_limit: float  # unseen_fraction / 2
    c1_size_train: float  # mean over seeds: C1 on the distinct training points (robust train error 0)
    c1_size: int | None


@dataclass(frozen=True)
class ManifoldRow:
    """E3 at one (manifold, k, d): W* and the smallest width reaching α, and C1's exact size."""

    manifold: str
    rotate: bool
    k: int
    d: int
    M: int
    sizes: list[int]
    widths: list[int]
    seeds: int
    wstar_attack: int | None  # None: no trained size reached α
    wstar_certified: int | None  # None: not reached, or no certificate (the torus)
    width_star: int | None  # the smallest width whose best seed reaches α by attack
    best_error_attack: float
    best_error_certified: float  # NaN: no certificate (the torus)
    c1_size: int | None
    c1_on: str  # where C1 runs: "chart R^k" / "span R^2k" (d-independent), "ambient R^d"
    linear_robust_error: float


def _smallest_width(rows: pd.DataFrame, alpha: float) -> int | None:
    best = rows.groupby("width")["test_robust_error"].min()
    ok = best[best <= alpha]
    return None if ok.empty else int(ok.index.min())


def manifold_table(table: pd.DataFrame, alpha: float = ALPHA) -> list[ManifoldRow]:
    """E3: W*(k, d) per (manifold, rotate, k, d) from the whole-support rows on a manifold."""
    alpha = check_alpha(alpha)
    if "manifold" not in table.columns:
        return []
    rows = table[(table["training"] == "whole-support") & table["manifold"].notna()]
    out = []
    for (kind, rotate, k, d), g in rows.groupby(["manifold", "rotate", "k", "d"], sort=True):
        cert = g["test_certified_error"].astype(float)
        out.append(ManifoldRow(
            manifold=str(kind), rotate=bool(rotate), k=int(k), d=int(d), M=int(g["M"].iloc[0]),
            sizes=sorted(int(s) for s in g["size"].unique()), widths=sorted(int(w) for w in g["width"].unique()),
            seeds=int(g.groupby("size")["seed"].nunique().min()),
            wstar_attack=_smallest_reaching(g, "test_robust_error", alpha),
            wstar_certified=_smallest_reaching(g, "test_certified_error", alpha) if cert.notna().any() else None,
            width_star=_smallest_width(g, alpha),
            best_error_attack=float(g["test_robust_error"].min()),
            best_error_certified=float(cert.min()) if cert.notna().any() else math.nan,
            c1_size=_int_or_none(g["c1_size"]), c1_on=str(g["c1_on"].iloc[0]),
            linear_robust_error=float(g["linear_robust_error"].mean()),
        ))
    return out


def _manifold_notes(rows: list[ManifoldRow], alpha: float) -> list[str]:
    if not rows:
        return []
    notes = ["E3: robust errors on the manifold (Def 5.4): PGD in the intrinsic coordinates through the embedding, "
             "witnesses re-checked on M and within delta in the ambient norm; size counts the first layer's d*width "
             "weights, so at a fixed width it grows linearly in d: the prediction is exponential growth in k, not in d"]
    missed = [r for r in rows if r.wstar_attack is None]
    if missed:
        notes.append(
            f"E3: trained networks did not reach robust error <= {alpha:g} at (manifold, k, d) = "
            + ", ".join(f"({r.manifold}, {r.k}, {r.d})" for r in missed)
            + ": a limit of the optimiser / training budget of this run, NOT an expressivity limit (C1 exists)"
        )
    if any(r.manifold == "torus" for r in rows):
        notes.append("E3 torus: no certificate through cos/sin (certified columns empty); C1 runs in the 2k "
                     "coordinates of the torus's span (axis-aligned: exact, robust on the whole ambient ball); "
                     "Thm 5.5's d-independent network for a curved M is not constructed (rate only)")
    if any(r.c1_on == "chart R^k" for r in rows):
        notes.append("E3 linear: C1 on the intrinsic instance composed with the linear chart u = x[:k] (exact: the "
                     "embedding is an l-inf isometry), the same nnz(W) for every d")
    if any(r.rotate for r in rows):
        notes.append("E3 rotated: C1 on the ambient points (its size grows with d); no d-independent construction built")
    return notes


@dataclass(frozen=True)
class RobustRunAnalysis:
    run_dir: Path
    alpha: float
    eps: float
    c: float
    capacity: list[CapacityRow]
    gap: list[GapRow]
    partial: bool
    notes: list[str] = field(default_factory=list)
    manifold: list[ManifoldRow] = field(default_factory=list)  # E3 rows (empty for E1/E2 runs)

    def to_dict(self) -> dict[str, Any]:
        return {"run_dir": str(self.run_dir), "experiment": "robust", "alpha": self.alpha, "eps": self.eps, "c": self.c,
                "capacity": [asdict(r) for r in self.capacity], "gap": [asdict(r) for r in self.gap],
                "manifold": [asdict(r) for r in self.manifold], "partial": self.partial, "notes": list(self.notes)}


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """α ∈ [0, 1): a robust error threshold (1 would count every network)."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha < 1:
        raise InputError(f"`{name}` must be a number in [0, 1), got {alpha!r} (e.g. {name} 0.1)")
    return float(alpha)


def _int_or_none(values: pd.Series) -> int | None:
    v = values.dropna()
    return None if v.empty else int(v.iloc[0])


def _smallest_reaching(rows: pd.DataFrame, column: str, alpha: float) -> int | None:
    best = rows.groupby("size")[column].min()  # the best seed per size
    ok = best[best <= alpha]
    return None if ok.empty else int(ok.index.min())


def capacity_table(table: pd.DataFrame, alpha: float = ALPHA) -> list[CapacityRow]:
    """E1: W*(d) from the whole-support rows (see the module docstring)."""
    alpha = check_alpha(alpha)
    rows = table[table["training"] == "whole-support"]
    out = []
    for d, g in rows.groupby("d", sort=True):
        out.append(CapacityRow(
            d=int(d), M=int(g["M"].iloc[0]), sizes=sorted(int(s) for s in g["size"].unique()),
            seeds=int(g.groupby("size")["seed"].nunique().min()),
            wstar_attack=_smallest_reaching(g, "test_robust_error", alpha),
            wstar_certified=_smallest_reaching(g, "test_certified_error", alpha),
            best_error_attack=float(g["test_robust_error"].min()),
            best_error_certified=float(g["test_certified_error"].min()),
            c1_size=_int_or_none(g["c1_size"]),
            linear_clean_error=float(g["linear_clean_error"].mean()),
            linear_robust_error=float(g["linear_robust_error"].mean()),
        ))
    return out


def gap_table(table: pd.DataFrame) -> list[GapRow]:
    """E2: per (d, width) of the sample rows, means over seeds; the floor from the whole-support rows."""
    sample = table[table["training"] == "sample"]
    whole = table[table["training"] == "whole-support"]
    out = []
    for (d, width), g in sample.groupby(["d", "width"], sort=True):
        fl = whole[(whole["d"] == d) & (whole["width"] == width)]["test_robust_error"]
        unseen = float(g["unseen_fraction"].mean())
        out.append(GapRow(
            d=int(d), M=int(g["M"].iloc[0]), width=int(width), size=int(g["size"].iloc[0]),
            n_draws=int(g["n_samples"].iloc[0]), seeds=int(g["seed"].nunique()),
            train_robust_error=float(g["train_robust_error"].mean()), test_robust_error=float(g["test_robust_error"].mean()),
            floor=float(fl.mean()) if len(fl) else math.nan, unseen_fraction=unseen, information_limit=unseen / 2,
            c1_size_train=float(pd.to_numeric(g["c1_size_train"], errors="coerce").astype(float).mean()), c1_size=_int_or_none(g["c1_size"]),
        ))
    return out


def _notes(capacity: list[CapacityRow], gap: list[GapRow], alpha: float, table: pd.DataFrame) -> list[str]:
    notes = []
    missed = [r for r in capacity if r.wstar_attack is None]
    if missed:
        ds = ", ".join(str(r.d) for r in missed)
        notes.append(
            f"trained networks did not reach robust error <= {alpha:g} at d = {ds} (largest size tried "
            f"{max(max(r.sizes) for r in missed)}): a limit of the optimiser / training budget of this run, NOT an "
            "expressivity limit: C1 (constructed) has robust error 0 at its exact size"
        )
    uncert = [r for r in capacity if r.wstar_attack is not None and r.wstar_certified != r.wstar_attack]
    if uncert:
        notes.append(
            "at d = " + ", ".join(str(r.d) for r in uncert) + ": W* by attack (a lower bound on the robust error, "
            "optimistic) differs from W* by certificate (CROWN/IBP upper bound): the certificate is loose or the attack weak"
        )
    if any(r.c1_size is None for r in capacity):
        notes.append("C1 size empty where one class is empty (random phi at tiny M): a constant classifier is exact there")
    if gap:
        notes.append(
            "E2: each unseen column costs about 1/2 for EVERY learner (random phi): information limit = unseen/2; "
            "only the floor (same architecture trained on all of S) measures expressivity"
        )
        if any(math.isnan(r.floor) for r in gap):
            notes.append("E2: no whole-support rows at some (d, width): floor not measured there")
    notes.append(
        "robust errors: attack + witness s~_i (verified witnesses, a LOWER bound on the true robust error); "
        "certified = 1 - certified accuracy (an UPPER bound); test = the whole support S (P uniform), i.e. L_P"
    )
    if "attacks" in table.columns and table["attacks"].notna().any():
        notes.append(f"final attack: {table['attacks'].dropna().iloc[0]} (plus the witness s~_i of every column)")
    return notes


def analyze_robust(run_dir: str | Path, *, alpha: float = ALPHA, alpha_name: str = "alpha") -> RobustRunAnalysis:
    """E1 capacity and E2 gap tables of a robust run directory (``alpha_name``: how errors name α)."""
    import json

    import yaml

    from ._table import read_table

    alpha = check_alpha(alpha, alpha_name)
    run_dir = Path(run_dir)
    table = read_table(run_dir)
    if table.empty or "test_robust_error" not in table.columns:
        raise InputError(
            f"`RUN_DIR` must hold a robust run with finished trials, got '{run_dir}' (no robust rows yet) "
            "(e.g. uniformgap run e1-quick --local --out runs/e1-quick)"
        )
    config = yaml.safe_load((run_dir / "config.yaml").read_text()) if (run_dir / "config.yaml").is_file() else {}
    rc = (config or {}).get("robust", {})
    info = json.loads((run_dir / "run.json").read_text()) if (run_dir / "run.json").is_file() else {}
    partial = info.get("status") != "complete"
    flat = table[table["manifold"].isna()] if "manifold" in table.columns else table  # E1/E2: the instance in R^d
    capacity, gap, manifold = capacity_table(flat, alpha), gap_table(flat), manifold_table(table, alpha)
    notes = _notes(capacity, gap, alpha, table) + _manifold_notes(manifold, alpha)
    if partial:
        notes.insert(0, "PARTIAL run (run.json status is not 'complete'): analysing the trials that finished")
    return RobustRunAnalysis(run_dir, alpha, float(rc.get("eps", np.nan)), float(rc.get("c", np.nan)),
                             capacity, gap, partial, notes, manifold)


def is_robust_run(run_dir: str | Path) -> bool:
    """True when RUN_DIR/config.yaml says ``experiment: robust``."""
    import yaml

    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        return False
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return False
    return isinstance(config, dict) and config.get("experiment") == "robust"
