"""Figures of a robust run (docs/robust.md §6.4), each showing three things apart:

- **constructed (exists)**: C1's exact size nnz(W) (docs/robust.md §3, robust error 0), black squares;
- **trained (optimiser reaches)**: W*(d) (E1) or the fixed trained size and its errors (E2), circles
  (filled: by attack, open: by certificate; a triangle: not reached up to the largest size tried);
- **the theory's rate**: Thm 4.3's lower-bound rate (2ε)^{−(d−1)/6} = K^{(d−1)/6} and Thm 2.2's upper
  rate M·d·log(d/δ), grey dashed: exponents only, constants unknown, each drawn through one point.

E3 (``figure_manifold``): W*(k, d) per (manifold, k) across d and C1's exact size in M's span coordinates
beside the rates in the intrinsic dimension k (Thm 4.3 read through the linear chart, Thm 2.2).

The caller chooses the matplotlib backend.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .._atomic import write_atomic
from ._figures import STYLE, FigureFile
from ._robust_runs import RobustRunAnalysis

CONSTRUCTED = "constructed (exists): C1 exact nnz(W), robust error 0"
TRAINED = "trained (optimiser reaches)"


def _save(fig, out_dir: Path, name: str, caption: str, data: dict) -> FigureFile:
    png, pdf = out_dir / f"{name}.png", out_dir / f"{name}.pdf"
    for path, fmt in ((png, "png"), (pdf, "pdf")):
        write_atomic(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, bbox_inches="tight"))
    return FigureFile(name, caption, png, pdf, data)


def _rates(ds: np.ndarray, Ms: np.ndarray, eps: float, c: float) -> dict[str, np.ndarray]:
    from ..robust._sizes import rate_curves

    curves = rate_curves(ds, eps=eps, c=c, N=Ms.astype(float))
    return {"Thm 4.3 lower-bound rate (2eps)^-(d-1)/6": curves["Thm 4.3"],
            "Thm 2.2 upper rate M d log(d/delta)": curves["Thm 2.2"]}


def _first(values: list) -> tuple[int, float] | None:
    """(index, value) of the first non-None value, for anchoring a rate."""
    return next(((i, v) for i, v in enumerate(values) if v is not None), None)


def _draw_rates(ax, x, ds, Ms, eps, c, anchors: dict[str, tuple[tuple[int, float] | None, str]],
                rates: dict[str, np.ndarray] | None = None) -> dict[str, list[float]]:
    """Each rate through its anchor point (index into ``ds``, size); ``anchors`` maps the theorem
    number to (anchor, what the anchor is); ``rates`` (label → log10 shape) default: E1's in d."""
    drawn = {}
    for (label, curve), style in zip((rates or _rates(ds, Ms, eps, c)).items(), ("--", ":")):
        anchor, what = anchors.get(label.split()[1], (None, ""))
        if anchor is None or not np.all(np.isfinite(curve)):
            continue
        i, value = anchor
        y = 10 ** (curve - curve[i] + math.log10(value))
        ax.plot(x, y, style, color="grey", lw=1.2, label=f"theory: {label}, constant unknown (through {what})")
        drawn[label] = y.tolist()
    return drawn


def figure_capacity(a: RobustRunAnalysis, out_dir: Path) -> FigureFile:
    """E1: size against M = K^{d−1} (log-log) and the errors of the linear classifier against d."""
    import matplotlib.pyplot as plt

    rows = a.capacity
    ds = np.array([r.d for r in rows], dtype=float)
    Ms = np.array([r.M for r in rows], dtype=float)
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
        c1 = [(r.M, r.c1_size) for r in rows if r.c1_size is not None]
        if c1:
            ax.plot(*zip(*c1), "s-", color="black", ms=5, label=CONSTRUCTED)
        for key, mfc, text in (("wstar_attack", None, "W* by attack (optimistic)"),
                               ("wstar_certified", "none", "W* by certificate (proved)")):
            got = [(r.M, getattr(r, key)) for r in rows if getattr(r, key) is not None]
            if got:
                ax.plot(*zip(*got), "o-", color="#0072B2", mfc=mfc, ms=6, label=f"{TRAINED}: {text}, alpha = {a.alpha:g}")
        missed = [(r.M, max(r.sizes)) for r in rows if r.wstar_attack is None]
        if missed:
            ax.plot(*zip(*missed), "^", color="#D55E00", ms=7,
                    label="not reached up to this trained size (optimisation/budget, not expressivity)")
        anchors = {"4.3": (_first([r.wstar_attack for r in rows]), "the first W*"),
                   "2.2": (_first([r.c1_size for r in rows]), "C1's first size")}
        rates = _draw_rates(ax, Ms, ds, Ms, a.eps, a.c, anchors) if len(rows) > 1 else {}
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("M = K^(d-1) columns (d = " + ", ".join(str(r.d) for r in rows) + ")")
        ax.set_ylabel("size: weights sum n_(l-1) n_l (C1: nnz(W))")
        ax.set_title(f"E1 capacity: eps = {a.eps:g}, c = {a.c:g}, trained on the whole support")
        ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16))
        bx.plot(ds, [r.linear_clean_error for r in rows], "o-", color="#009E73", label="linear x_d - 1/2: clean error")
        bx.plot(ds, [r.linear_robust_error for r in rows], "s--", color="#009E73", label="linear x_d - 1/2: robust error")
        bx.plot(ds, [r.best_error_attack for r in rows], "o-", color="#0072B2", label=f"{TRAINED}: best robust error (attack)")
        bx.plot(ds, [r.best_error_certified for r in rows], "o:", color="#0072B2", mfc="none",
                label=f"{TRAINED}: best certified robust error")
        bx.axhline(a.alpha, color="grey", lw=0.8, ls="--", label=f"alpha = {a.alpha:g}")
        bx.set_ylim(-0.03, 1.03)
        bx.set_xlabel("input dimension d")
        bx.set_ylabel("error on the support (P uniform)")
        bx.set_title("clean-learnable, robust-hard: the linear classifier beside the trained networks")
        bx.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16))
        data = {"M": Ms.tolist(), "c1_size": [r.c1_size for r in rows], "wstar_attack": [r.wstar_attack for r in rows],
                "wstar_certified": [r.wstar_certified for r in rows], "rates": rates}
        try:
            return _save(fig, out_dir, "e1_capacity",
                         "E1: W*(d) (trained), C1's exact size (constructed) and the rates (constants unknown) against M", data)
        finally:
            plt.close(fig)


def figure_gap(a: RobustRunAnalysis, out_dir: Path) -> FigureFile:
    """E2: robust train vs test vs floor (and unseen/2) against d; sizes against d."""
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
        for i, width in enumerate(sorted({r.width for r in a.gap})):
            rows = [r for r in a.gap if r.width == width]
            ds = [r.d for r in rows]
            tag = f" (width {width}, N = {rows[0].n_draws})"
            ax.plot(ds, [r.train_robust_error for r in rows], "o-", color="#0072B2", alpha=1 - 0.3 * i,
                    label=f"{TRAINED}: robust train error{tag}")
            ax.plot(ds, [r.test_robust_error for r in rows], "s-", color="#D55E00", alpha=1 - 0.3 * i,
                    label=f"{TRAINED}: robust test error L_P{tag}")
            ax.plot(ds, [r.floor for r in rows], "D--", color="black", alpha=1 - 0.3 * i,
                    label=f"floor: same architecture trained on all of S{tag}")
            ax.plot(ds, [r.information_limit for r in rows], ":", color="grey",
                    label="unseen fraction / 2: information limit (any learner)" if i == 0 else None)
            bx.plot(ds, [r.size for r in rows], "o-", color="#0072B2", alpha=1 - 0.3 * i, label=f"{TRAINED}: size{tag}")
        rows = sorted({r.d: r for r in a.gap}.values(), key=lambda r: r.d)
        ds = np.array([r.d for r in rows], dtype=float)
        Ms = np.array([r.M for r in rows], dtype=float)
        bx.plot(ds, [r.c1_size_train for r in rows], "s--", color="black", mfc="none",
                label="constructed (exists): C1 on the training points, robust train error 0")
        c1 = [(r.d, r.c1_size) for r in rows if r.c1_size is not None]
        if c1:
            bx.plot(*zip(*c1), "s-", color="black", label=CONSTRUCTED + " on all of S")
        first_c1 = (_first([r.c1_size for r in rows]), "C1's first size")
        rates = _draw_rates(bx, ds, ds, Ms, a.eps, a.c, {"4.3": first_c1, "2.2": first_c1}) if len(rows) > 1 else {}
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("input dimension d")
        ax.set_ylabel("robust error")
        ax.set_title("E2 gap at fixed size: train vs test (L_P) vs floor")
        ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16))
        bx.set_yscale("log")
        bx.set_xlabel("input dimension d")
        bx.set_ylabel("size: weights (C1: nnz(W))")
        bx.set_title("sizes: the trained network vs the constructions")
        bx.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16))
        data = {"d": ds.tolist(), "floor": [r.floor for r in a.gap], "rates": rates}
        try:
            return _save(fig, out_dir, "e2_gap", "E2: robust train vs test vs floor against d, sizes vs C1", data)
        finally:
            plt.close(fig)


def _manifold_rates(ks: np.ndarray, Ms: np.ndarray, eps: float, c: float) -> dict[str, np.ndarray]:
    """log10 rate shapes in the intrinsic dimension k: Thm 4.3's lower rate for the k-dim instance read
    through the linear chart (f∘E is a ReLU net on R^k no larger than f) and Thm 2.2's upper rate M·k·log(k/δ)."""
    from ..robust._sizes import rate_curves

    curves = rate_curves(ks, eps=eps, c=c, N=Ms.astype(float))
    return {"Thm 4.3 lower-bound rate in k dims (2eps)^-(k-1)/6": curves["Thm 4.3"],
            "Thm 2.2 upper rate M k log(k/delta)": curves["Thm 2.2"]}


def figure_manifold(a: RobustRunAnalysis, out_dir: Path) -> FigureFile:
    """E3: W*(k, d) against d, one line per (manifold, k) (left), and against M = K^(k−1) at the largest d (right)."""
    import matplotlib.pyplot as plt

    rows = a.manifold
    groups = sorted({(r.manifold, r.rotate, r.k) for r in rows})
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len({g[2] for g in groups}), 1)))
    kcolor = {k: colors[i] for i, k in enumerate(sorted({g[2] for g in groups}))}
    data: dict = {"lines": []}
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.4))
        for kind, rotate, k in groups:
            g = [r for r in rows if (r.manifold, r.rotate, r.k) == (kind, rotate, k)]
            tag = f"{kind}{' rotated' if rotate else ''}, k = {k}"
            ls = "-" if kind == "linear" else "--"
            got = [(r.d, r.wstar_attack) for r in g if r.wstar_attack is not None]
            if got:
                ax.plot(*zip(*got), "o" + ls, color=kcolor[k], ms=6, label=f"{TRAINED}: W* by attack on M ({tag})")
            missed = [(r.d, max(r.sizes)) for r in g if r.wstar_attack is None]
            if missed:
                ax.plot(*zip(*missed), "^", color=kcolor[k], ms=7, mfc="none",
                        label=f"not reached up to this size ({tag}): optimisation/budget, not expressivity")
            c1 = [(r.d, r.c1_size) for r in g if r.c1_size is not None]
            if c1:
                ax.plot(*zip(*c1), "s" + ls, color="black", mfc=kcolor[k], ms=5,
                        label=f"constructed (exists): C1 on {g[0].c1_on}, exact nnz(W) ({tag})")
            data["lines"].append({"manifold": kind, "rotate": rotate, "k": k, "d": [r.d for r in g],
                                  "wstar_attack": [r.wstar_attack for r in g], "c1_size": [r.c1_size for r in g]})
        ax.set_yscale("log")
        ax.set_xlabel("ambient dimension d")
        ax.set_ylabel("size: weights sum n_(l-1) n_l (C1: nnz(W))")
        ax.set_title(f"E3: W*(k, d) on the manifold (Def 5.4), alpha = {a.alpha:g}: lines per k across d")
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16))
        d_max = max(r.d for r in rows)
        last = sorted((r for r in rows if r.d == d_max and r.manifold == "linear" and not r.rotate), key=lambda r: r.k)
        last = last or sorted((r for r in rows if r.d == d_max), key=lambda r: r.k)
        rates = {}
        if last:
            ks = np.array([r.k for r in last], dtype=float)
            Ms = np.array([r.M for r in last], dtype=float)
            got = [(r.M, r.wstar_attack) for r in last if r.wstar_attack is not None]
            if got:
                bx.plot(*zip(*got), "o-", color="#0072B2", label=f"{TRAINED}: W* by attack ({last[0].manifold}, d = {d_max})")
            c1 = [(r.M, r.c1_size) for r in last if r.c1_size is not None]
            if c1:
                bx.plot(*zip(*c1), "s-", color="black", label=f"constructed (exists): C1 on {last[0].c1_on}, exact nnz(W)")
            anchors = {"4.3": (_first([r.wstar_attack for r in last]), "the first W*"),
                       "2.2": (_first([r.c1_size for r in last]), "C1's first size")}
            if len(last) > 1:
                rates = _draw_rates(bx, Ms, ks, Ms, a.eps, a.c, anchors, _manifold_rates(ks, Ms, a.eps, a.c))
            bx.set_xscale("log", base=2)
        bx.set_yscale("log")
        bx.set_xlabel("M = K^(k-1) columns (k = " + ", ".join(str(r.k) for r in last) + ")")
        bx.set_ylabel("size: weights (C1: nnz(W))")
        bx.set_title(f"exponential in the intrinsic dimension k (d = {d_max})")
        bx.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16))
        data["rates"] = rates
        try:
            return _save(fig, out_dir, "e3_manifold",
                         "E3: W*(k, d) on the manifold (trained), C1's exact size (constructed) and the rates in k", data)
        finally:
            plt.close(fig)


def robust_figures(a: RobustRunAnalysis, out_dir: str | Path) -> list[FigureFile]:
    """E1's figure when the run has whole-support rows, E2's when it has sample rows, E3's for manifold rows."""
    out_dir = Path(out_dir)
    files = []
    if a.capacity:
        files.append(figure_capacity(a, out_dir))
    if a.gap:
        files.append(figure_gap(a, out_dir))
    if a.manifold:
        files.append(figure_manifold(a, out_dir))
    return files
