"""Reports of the sample-complexity bounds: one point (BoundsReport) and a (d, L) grid.

docs/theory.md §4–§8 (arXiv:2205.13531): the formulas live in :mod:`._bounds`; this module
gathers them for one (cls, p, c0, eps | m), sweeps them over dimensions d and depths L,
finds where the lower bound passes the ~1e80 atoms of the observable universe (docs/theory.md
§7) and draws the heat map. All counts are log10.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._atomic import write_atomic
from .._errors import InputError
from ._bounds import (
    INF,
    LOG10_ATOMS,
    _check_cls,
    _check_m,
    _check_p,
    _check_positive,
    _from_log10,
    derived_lower_applicability,
    derived_lower_log10_error,
    derived_lower_log10_error_closed,
    derived_lower_log10_samples,
    derived_lower_log10_samples_optimised,
    derived_upper_log10_error,
    derived_upper_log10_samples,
    l2_learning_log10_error,
    l2_learning_log10_samples,
    paper_applicability,
    paper_lower_log10_error,
    paper_lower_log10_samples,
    paper_upper_log10_error,
    paper_upper_log10_samples,
)
from ._class import NetworkClass

PLOT_SUFFIXES = (".png", ".pdf", ".svg")


# -- the report gathered for one (cls, p, c0, eps | m) -----------------------------------
def _inf_text(x: float) -> float | str:
    return "inf" if math.isinf(x) else x


@dataclass(frozen=True)
class BoundsReport:
    """Every bound of docs/theory.md §4–§8 for one class, norm p, constant c0 and either a target
    accuracy ``eps`` (sample counts, log10) or a sample count ``m`` (error bracket).

    None marks a bound that does not apply; ``paper_reason`` / ``derived_lower_reason`` say why.
    ``headline_*`` is the lower bound the contrasts use: the paper's where it applies, else
    the derived closed form (docs/theory.md §4 "Software": never mixed within one number).
    """

    cls: NetworkClass
    p: float
    c0: float
    eps: float | None
    m: float | None
    paper_reason: str | None
    derived_lower_reason: str | None
    # accuracy mode (eps): log10 sample counts
    paper_lower_log10_samples: float | None = None
    paper_upper_log10_samples: float | None = None
    derived_lower_log10_samples: float | None = None
    derived_lower_log10_samples_optimised: float | None = None
    derived_upper_log10_samples: float | None = None
    l2_learning_log10_samples: float | None = None
    l2_learning_log10_samples_fast: float | None = None
    # sample mode (m): log10 errors
    derived_lower_log10_error: float | None = None
    derived_lower_log10_error_closed: float | None = None
    derived_upper_log10_error: float | None = None
    paper_lower_log10_error: float | None = None
    paper_upper_log10_error: float | None = None
    derived_lower_log10_error_at_atoms: float | None = None
    l2_learning_log10_error: float | None = None

    @classmethod
    def compute(
        cls_,
        cls: NetworkClass,
        *,
        eps: float | None = None,
        m: float | None = None,
        p: float = INF,
        c0: float = 1.0,
    ) -> "BoundsReport":
        """Validate, then evaluate every bound; exactly one of ``eps`` and ``m`` is given."""
        cls, p, c0 = _check_cls(cls), _check_p(p), _check_positive("c0", c0)
        if (eps is None) == (m is None):
            got = "both" if eps is not None else "neither"
            raise InputError(f"give exactly one of `eps` or `m`, got {got} (e.g. eps=1e-3)")
        common = dict(
            cls=cls, p=p, c0=c0, eps=None, m=None,
            paper_reason=paper_applicability(cls, p, c0),
            derived_lower_reason=derived_lower_applicability(cls),
        )
        paper, hat = common["paper_reason"] is None, common["derived_lower_reason"] is None

        def lower(f, x):  # None where no hat network fits (the reason is in the report)
            return f(cls, x, p=p, c0=c0) if hat else None

        if eps is not None:
            eps = _check_positive("eps", eps)
            return cls_(
                **{**common, "eps": eps},
                paper_lower_log10_samples=paper_lower_log10_samples(cls, eps) if paper else None,
                paper_upper_log10_samples=paper_upper_log10_samples(cls, eps) if paper else None,
                derived_lower_log10_samples=lower(derived_lower_log10_samples, eps),
                derived_lower_log10_samples_optimised=lower(derived_lower_log10_samples_optimised, eps),
                derived_upper_log10_samples=derived_upper_log10_samples(cls, eps),
                l2_learning_log10_samples=l2_learning_log10_samples(cls, eps),
                l2_learning_log10_samples_fast=l2_learning_log10_samples(cls, eps, fast=True),
            )
        m = _check_m(m, 1.0)
        return cls_(
            **{**common, "m": m},
            derived_lower_log10_error=lower(derived_lower_log10_error, m),
            derived_lower_log10_error_closed=lower(derived_lower_log10_error_closed, m),
            derived_upper_log10_error=derived_upper_log10_error(cls, m),
            paper_lower_log10_error=paper_lower_log10_error(cls, m) if paper else None,
            paper_upper_log10_error=paper_upper_log10_error(cls, m) if paper else None,
            derived_lower_log10_error_at_atoms=lower(derived_lower_log10_error, 10.0**LOG10_ATOMS),
            l2_learning_log10_error=l2_learning_log10_error(cls, m),
        )

    @property
    def n_params(self) -> int:
        return self.cls.n_params

    @property
    def headline_source(self) -> str | None:
        """Which lower bound the contrasts use: 'paper' (Theorem 1.1) or 'derived' (closed form)."""
        if self.paper_reason is None:
            return "paper"
        return "derived" if self.derived_lower_reason is None else None

    @property
    def headline_lower_log10_samples(self) -> float | None:
        if self.eps is None or self.headline_source is None:
            return None
        if self.headline_source == "paper":
            return self.paper_lower_log10_samples
        return self.derived_lower_log10_samples

    def to_dict(self) -> dict:
        """Flat JSON-ready dict: inputs, reasons, every bound (log10), contrasts; None = n/a."""
        c = self.cls
        out: dict = {
            "mode": "eps" if self.eps is not None else "samples",
            "d": c.d, "L": c.L, "widths": list(c.widths), "c": c.c, "q": _inf_text(c.q),
            "p": _inf_text(self.p), "c0": self.c0, "eps": self.eps, "samples": self.m,
            "n_params": c.n_params,
            "paper_applies": self.paper_reason is None, "paper_reason": self.paper_reason,
            "derived_lower_applies": self.derived_lower_reason is None,
            "derived_lower_reason": self.derived_lower_reason,
        }
        for name in (
            "paper_lower_log10_samples", "paper_upper_log10_samples",
            "derived_lower_log10_samples", "derived_lower_log10_samples_optimised",
            "derived_upper_log10_samples",
        ):
            out[name] = getattr(self, name)
        if self.m is not None:
            for kind in ("derived_lower", "derived_upper", "paper_lower", "paper_upper"):
                for suffix in ("", "_closed") if kind == "derived_lower" else ("",):
                    x = getattr(self, f"{kind}_log10_error{suffix}")
                    out[f"{kind}_error{suffix}"] = None if x is None else _from_log10(x)
                    out[f"{kind}_log10_error{suffix}"] = x
        head = self.headline_lower_log10_samples
        out.update(
            headline_lower_source=self.headline_source,
            headline_lower_log10_samples=head,
            atoms_log10=LOG10_ATOMS,
            headline_lower_log10_over_atoms=None if head is None else head - LOG10_ATOMS,
            linear_space_samples=c.n_params,
            headline_lower_log10_over_linear=(
                None if head is None else head - math.log10(c.n_params)
            ),
            l2_learning_log10_samples=self.l2_learning_log10_samples,
            l2_learning_log10_samples_fast=self.l2_learning_log10_samples_fast,
            l2_learning_log10_error=self.l2_learning_log10_error,
            l2_learning_is_order_of_magnitude=True,
        )
        if self.m is not None:
            out["derived_lower_log10_error_at_atoms"] = self.derived_lower_log10_error_at_atoms
        return out


# -- a (d, L) grid ---------------------------------------------------------------------------
def _check_ints(name: str, values: Sequence[int], minimum: int) -> tuple[int, ...]:
    values = tuple(values)
    if not values or any(
        isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in values
    ):
        raise InputError(f"`{name}` must be a non-empty list of integers >= {minimum}, got {list(values)}")
    return values


def _cell(d: int, L: int, eps: float, width: int | None, c: float, q: float, p: float, c0: float) -> dict:
    cls = NetworkClass.create(d, L, width, c, q)
    paper = paper_applicability(cls, p, c0) is None
    hat = derived_lower_applicability(cls) is None
    return {
        "d": d,
        "L": L,
        "n_params": cls.n_params,
        "paper_lower_log10_samples": paper_lower_log10_samples(cls, eps) if paper else None,
        "derived_lower_log10_samples": derived_lower_log10_samples(cls, eps, p=p, c0=c0) if hat else None,
        "derived_lower_log10_samples_optimised": (
            derived_lower_log10_samples_optimised(cls, eps, p=p, c0=c0) if hat else None
        ),
        "derived_upper_log10_samples": derived_upper_log10_samples(cls, eps),
    }


@dataclass(frozen=True)
class BoundsSweep:
    """Sample bounds (log10) on the grid dims × depths at accuracy ``eps``.

    ``bound`` names the lower bound in ``lower_log10_samples`` / the heat map: "paper"
    (Theorem 1.1) when it applies to every cell, else "derived" (docs/theory.md §4 closed form
    m_LB) for every cell, so one map never mixes the two.
    """

    dims: tuple[int, ...]
    depths: tuple[int, ...]
    eps: float
    width: int | None  # None: the paper's width 3d in every hidden layer
    c: float
    q: float
    p: float
    c0: float
    bound: str
    rows: tuple[dict, ...]  # d-major: rows[i * len(depths) + j] is (dims[i], depths[j])

    @property
    def bound_label(self) -> str:
        if self.bound == "paper":
            return "paper Theorem 1.1 lower bound"
        return "derived lower bound (docs/theory.md §4 closed form)"

    def grid(self, key: str) -> np.ndarray:
        """(len(dims), len(depths)) array of a row key; NaN where it does not apply."""
        values = [np.nan if r[key] is None else float(r[key]) for r in self.rows]
        return np.array(values, dtype=np.float64).reshape(len(self.dims), len(self.depths))

    def frontier(self, threshold_log10: float = LOG10_ATOMS) -> list[dict]:
        """Per d, the smallest swept L whose lower bound exceeds 10^threshold (docs/theory.md §7);
        L is None when no swept depth gets there."""
        out = []
        for i, d in enumerate(self.dims):
            row = self.rows[i * len(self.depths) : (i + 1) * len(self.depths)]
            hit = next(
                (r for r in sorted(row, key=lambda r: r["L"])
                 if r["lower_log10_samples"] is not None and r["lower_log10_samples"] > threshold_log10),
                None,
            )
            out.append({"d": d, "L": None if hit is None else hit["L"],
                        "n_params": None if hit is None else hit["n_params"],
                        "lower_log10_samples": None if hit is None else hit["lower_log10_samples"]})
        return out

    def to_dict(self, threshold_log10: float = LOG10_ATOMS) -> dict:
        return {
            "mode": "sweep", "dims": list(self.dims), "depths": list(self.depths), "eps": self.eps,
            "width": self.width, "c": self.c, "q": "inf" if math.isinf(self.q) else self.q,
            "p": "inf" if math.isinf(self.p) else self.p, "c0": self.c0,
            "bound": self.bound, "bound_label": self.bound_label,
            "threshold_log10": threshold_log10,
            "frontier": self.frontier(threshold_log10), "rows": list(self.rows),
        }


def bounds_sweep(
    dims: Sequence[int],
    depths: Sequence[int],
    eps: float,
    *,
    width: int | None = None,
    c: float = 1.0,
    q: float = INF,
    p: float = INF,
    c0: float = 1.0,
) -> BoundsSweep:
    """Evaluate the sample bounds on dims × depths (width ``width`` or 3d in every hidden
    layer); a tqdm bar on stderr for large grids."""
    from tqdm import tqdm

    dims, depths = _check_ints("dims", dims, 1), _check_ints("depths", depths, 3)
    eps, p, c0 = _check_positive("eps", eps), _check_p(p), _check_positive("c0", c0)
    cells = [(d, L) for d in dims for L in depths]
    rows = [
        _cell(d, L, eps, width, c, q, p, c0)
        for d, L in tqdm(cells, desc="bounds", file=sys.stderr, disable=len(cells) < 20_000, leave=False)
    ]
    bound = "paper" if all(r["paper_lower_log10_samples"] is not None for r in rows) else "derived"
    for r in rows:
        r["lower_log10_samples"] = r[f"{bound}_lower_log10_samples"]
    return BoundsSweep(dims, depths, eps, width, float(c), float(q), p, c0, bound, tuple(rows))


def atoms_frontier(
    dims: Sequence[int],
    eps: float = 1e-3,
    *,
    c: float = 1.0,
    threshold_log10: float = LOG10_ATOMS,
    L_max: int = 1000,
) -> list[dict]:
    """docs/theory.md §7: per d, the smallest L ≥ 3 with the paper's Theorem 1.1 bound (q = p = ∞,
    width 3d) above 10^threshold, searched L = 3, 4, ..., L_max (L None if none)."""
    dims = _check_ints("dims", dims, 1)
    eps = _check_positive("eps", eps)
    out = []
    for d in dims:
        hit = None
        for L in range(3, L_max + 1):
            cls = NetworkClass.create(d, L, None, c)
            lower = paper_lower_log10_samples(cls, eps)
            if lower > threshold_log10:
                hit = {"d": d, "L": L, "n_params": cls.n_params, "paper_lower_log10_samples": lower,
                       "derived_lower_log10_samples": derived_lower_log10_samples(cls, eps)}
                break
        out.append(hit or {"d": d, "L": None, "n_params": None, "paper_lower_log10_samples": None,
                           "derived_lower_log10_samples": None})
    return out


# -- the heat map ----------------------------------------------------------------------------
def plot_bounds_sweep(sweep: BoundsSweep, path: str | os.PathLike, *, threshold_log10: float = LOG10_ATOMS) -> Path:
    """Heat map of the log10 lower bound over (d, L) with the 10^threshold (atoms) contour,
    beside a panel of log10 W with labelled W contours; PNG/PDF/SVG by the file's suffix.
    Written atomically."""
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise InputError(f"`path` must end in .png, .pdf or .svg, got {str(path)!r}")
    dims, depths = np.array(sweep.dims), np.array(sweep.depths)
    lower = sweep.grid("lower_log10_samples").T  # (n_L, n_d): L on the vertical axis
    log_w = np.log10(sweep.grid("n_params")).T  # (n_L, n_d)
    contour_ok = len(dims) > 1 and len(depths) > 1

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    mesh = ax0.pcolormesh(dims, depths, lower, shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax0, label="log10 m (samples)")
    if contour_ok and np.nanmin(lower) < threshold_log10 < np.nanmax(lower):
        cs = ax0.contour(dims, depths, lower, levels=[threshold_log10], colors="white", linewidths=2)
        ax0.clabel(cs, fmt={threshold_log10: f"1e{threshold_log10:g} (atoms in the universe)"}, fontsize=8)
    ax0.set_title(f"{sweep.bound_label}, ε = {sweep.eps:g}", fontsize=10)
    mesh1 = ax1.pcolormesh(dims, depths, log_w, shading="nearest", cmap="magma")
    fig.colorbar(mesh1, ax=ax1, label="log10 W (parameters)")
    if contour_ok:
        levels = [k for k in range(1, 13) if np.nanmin(log_w) < k < np.nanmax(log_w)]
        if levels:
            cw = ax1.contour(dims, depths, log_w, levels=levels, colors="white", linewidths=1)
            ax1.clabel(cw, fmt={k: f"W = 1e{k}" for k in levels}, fontsize=8)
        if np.nanmin(lower) < threshold_log10 < np.nanmax(lower):
            ax1.contour(dims, depths, lower, levels=[threshold_log10], colors="cyan", linestyles="--")
    ax1.set_title(f"parameter count W (dashed: lower bound = 1e{threshold_log10:g})", fontsize=10)
    width = "3d" if sweep.width is None else str(sweep.width)
    for ax in (ax0, ax1):
        ax.set_xlabel("input dimension d")
        ax.set_ylabel("depth L (affine layers)")
    fig.suptitle(f"width {width}, c = {sweep.c:g}, q = {sweep.q:g}, p = {sweep.p:g}, c0 = {sweep.c0:g}", fontsize=10)

    try:
        return write_atomic(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=120))
    finally:
        plt.close(fig)
