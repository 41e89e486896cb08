"""Sizes of the constructions C1 and C2 against d and N, next to the paper's rates
(arXiv:2205.13863, Thms 2.2, 3.3, 3.4, 4.3; docs/robust.md §3, §4, §7).

Markers are sizes (filled: built and verified; open: exact formula, nothing built). Dashed lines
are RATES with unknown constants: each is drawn through one reference point (the first C2 row,
resp. the first C1 row) and labelled with its slope and "rate, constant unknown".
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._atomic import write_atomic


def plot_construction_sizes(table, path: str | os.PathLike) -> Path:
    """Two panels: log10 nnz(W) vs d (C1 per N, C2, rates) and vs N (C1 per d, rate O(N)). Written atomically.

    ``table`` is a :class:`uniformgap.robust.SizeTable`. The caller chooses the matplotlib backend.
    """
    import matplotlib.pyplot as plt

    from ..robust._sizes import rate_curves

    rows = table.rows
    c1 = [r for r in rows if r.construction == "C1"]
    c2 = [r for r in rows if r.construction == "C2"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    def draw(axis, xs, ys, built, color, label):
        xs, ys, built = np.asarray(xs, float), np.asarray(ys, float), np.asarray(built, bool)
        axis.plot(xs, ys, "-", color=color, lw=1, label=label)
        axis.plot(xs[built], ys[built], "o", color=color, ms=5)
        axis.plot(xs[~built], ys[~built], "o", mfc="none", color=color, ms=5)

    # panel 1: against d
    for i, N in enumerate(table.n_points):
        rs = [r for r in c1 if r.N == N]
        draw(ax, [r.d for r in rs], [r.log10_nnz_weights for r in rs], [r.status == "built+verified" for r in rs],
             colors[i % len(colors)], f"C1, N = {N} (8Nd + O(N log d))")
    draw(ax, [r.d for r in c2], [r.log10_nnz_weights for r in c2], [r.status == "built+verified" for r in c2], "black",
         f"C2, eps = {table.eps:g}, c = {table.c:g} (Thm 4.3 instance)")
    d = np.array(table.dims, dtype=float)
    ref = c2[0]
    curves = rate_curves(d, eps=table.eps, c=table.c)
    for (name, curve), style in zip(curves.items(), ("--", "-.", ":")):
        shifted = curve - curve[0] + ref.log10_nnz_weights  # through the first C2 point
        slope = (curve[-1] - curve[0]) / (d[-1] - d[0]) if len(d) > 1 else float("nan")
        ax.plot(d, shifted, style, color="grey", lw=1.2,
                label=f"{name} rate, slope {slope:.2f} per unit d, constant unknown")
    ref1 = [r for r in c1 if r.N == table.n_points[-1]][0]
    c1_rate = rate_curves(d, eps=table.eps, c=table.c, N=table.n_points[-1])["Thm 2.2"]
    ax.plot(d, c1_rate - c1_rate[0] + ref1.log10_nnz_weights, linestyle=(0, (1, 1)), color=colors[(len(table.n_points) - 1) % len(colors)],
            lw=1, label=f"Thm 2.2 rate Nd log(d/delta), N = {table.n_points[-1]}, constant unknown")
    ax.set_xlabel("input dimension d")
    ax.set_ylabel("log10 nnz(W)  (non-zero weights)")
    ax.set_title("size against d: O(Nd) (C1) vs exp(d) (C2)", fontsize=10)
    ax.legend(fontsize=6.5, loc="upper left")
    # panel 2: C1 against N
    for i, dd in enumerate(table.dims):
        rs = [r for r in c1 if r.d == dd]
        draw(bx, [np.log10(r.N) for r in rs], [r.log10_nnz_weights for r in rs], [r.status == "built+verified" for r in rs],
             colors[i % len(colors)], f"C1, d = {dd}")
    if len(table.n_points) > 1:
        rs = [r for r in c1 if r.d == table.dims[-1]]
        xN = np.log10(np.array(table.n_points, dtype=float))
        bx.plot(xN, xN - xN[0] + rs[0].log10_nnz_weights, "--", color="grey",
                label="Thm 2.2 rate O(N) at fixed d (slope 1), constant unknown")
    bx.set_xlabel("log10 N (points)")
    bx.set_ylabel("log10 nnz(W)")
    bx.set_title("C1 size against N (filled: built and verified; open: exact formula)", fontsize=10)
    bx.legend(fontsize=6.5, loc="upper left")
    try:
        return write_atomic(path, lambda tmp: fig.savefig(tmp, bbox_inches="tight", dpi=150))
    finally:
        plt.close(fig)
