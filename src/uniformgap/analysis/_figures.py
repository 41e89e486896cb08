"""The paper's figures in one publication style (PNG and PDF).

- Figure 2 (arXiv:2205.13531, Fig. 2): error vs m, log-log, L1/L2/L∞; worst teacher
  (eq. 5) solid, teacher average dotted, percentile bands, least-squares fits, the lower
  bound's rate m^(−1/d−1/p) (anchored at the smallest m: the bound fixes the exponent, not
  the constant) and the derived lower bound of docs/theory.md §4 when the class is known; the
  fit regime per m (train RMSE / test L2, ``_diagnostics``) written under the overview;
  sup metrics (linf_exact, the bracket linf_lower/linf_upper) drawn over the L∞ panel;
- Figure 3 (Fig. 3): worst teacher vs the best student along a line (1-D: the domain;
  d > 1: the paper's diagonal t·(1, …, 1), and the segment through the worst point — the
  certified witness when the run has one, else the sampled point of largest error —
  parallel to axis 1), training samples marked, the largest-error location highlighted;
- Figure 1 (Fig. 1): the same plot for the sine target;
- per m a heat table (configuration × teacher, colour = log10 error) and training curves.

The L∞ error shown is a sampled max: a LOWER estimate of the sup norm.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._estimator import heat_matrix
from .._atomic import write_atomic
from ._table import SUP_METRICS

# Okabe–Ito, colour-blind safe; the sup metrics differ from the sampled L∞ in colour and marker.
METRIC_COLOURS = {"l1": "#0072B2", "l2": "#E69F00", "linf": "#D55E00", "linf_exact": "#CC79A7",
                  "linf_lower": "#009E73", "linf_upper": "#009E73"}
METRIC_LABELS = {"l1": r"$L^1$", "l2": r"$L^2$", "linf": r"$L^\infty$ (sampled)", "linf_exact": r"$L^\infty$ exact sup",
                 "linf_lower": r"$L^\infty$ certified lower", "linf_upper": r"$L^\infty$ certified upper"}
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 200,  # sharp in print, still small as base64 in the report
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.5,
    "pdf.fonttype": 3,  # matplotlib default; Type 42 embedding costs seconds per figure
}


@dataclass(frozen=True)
class FigureFile:
    name: str  # e.g. "fig2_error_vs_m"
    caption: str
    png: Path
    pdf: Path
    data: dict = field(default_factory=dict, compare=False)  # numbers the figure shows (for checks)


def _label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def _colour(metric: str) -> str:
    return METRIC_COLOURS.get(metric, METRIC_COLOURS.get(metric.split("_")[0], "#555555"))


def save(fig, out_dir: Path, name: str, caption: str, data: dict | None = None) -> FigureFile:
    """Write ``fig`` as PNG and PDF atomically and close it."""
    import matplotlib.pyplot as plt

    paths = {}
    for fmt in ("png", "pdf"):
        paths[fmt] = write_atomic(out_dir / f"{name}.{fmt}",
                                  lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt))
    plt.close(fig)
    return FigureFile(name, caption, paths["png"], paths["pdf"], data or {})


def _panels(plt, n: int, sharey: bool = False, height: float = 2.9, width: float = 3.2):
    """n panels in one row, or 2 × 2 for four (readable at column width)."""
    rows, cols = (2, 2) if n == 4 else (1, n)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), sharey=sharey, squeeze=False,
                             layout="constrained")
    return fig, list(axes.ravel())


def _log(ax, x: bool = True) -> None:
    """Log axes without minor tick labels (clutter, and each one costs a mathtext layout)."""
    from matplotlib.ticker import NullFormatter

    axes = (ax.xaxis, ax.yaxis) if x else (ax.yaxis,)
    ax.set_yscale("log")
    if x:
        ax.set_xscale("log")
    for axis in axes:
        axis.set_minor_formatter(NullFormatter())


def _label_short_log_axis(ax) -> None:
    """Label the minor ticks of a log y-axis that spans less than a decade (else it has no labels)."""
    from matplotlib.ticker import FormatStrFormatter

    lo, hi = ax.get_ylim()
    if lo > 0 and hi / lo < 10:
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%.2g"))
        ax.tick_params(axis="y", which="minor", labelsize=7)


def _selection_tag(analysis) -> str:
    return "selection: test (OPTIMISTIC)" if analysis.optimistic else "selection: validation"


def _curve(analysis, metric: str, kind: str):
    """(m, value, ci_low, ci_high, ok, entries) of one (metric, kind) curve of eq. (5)."""
    es = [e for e in analysis.minimax if e.metric == metric and e.kind == kind]
    m = np.array([e.n_samples for e in es], float)
    v = np.array([e.value for e in es], float)
    lo = np.array([e.ci_low for e in es], float)
    hi = np.array([e.ci_high for e in es], float)
    return m, v, lo, hi, np.isfinite(v) & (v > 0), es


def _draw_sup(ax, analysis, overlay: list[str], kinds: tuple[str, ...]) -> dict:
    """The sup metrics over the Monte-Carlo L∞ curves: linf_exact in its own colour with
    triangle markers; the bracket as its two ends plus a hatched band between the
    worst-teacher lower and upper values. Returns {metric: worst-teacher values} drawn."""
    drawn = {}
    for metric in overlay:
        for kind in kinds:
            m, v, _, _, ok, _ = _curve(analysis, metric, kind)
            marker = {"linf_upper": "v"}.get(metric, "^") if kind == "worst" else None
            ax.plot(m[ok], v[ok], "-" if kind == "worst" else ":", color=_colour(metric), marker=marker, ms=4, mfc="none",
                    lw=1.1, label=f"{_label(metric)} {'worst teacher' if kind == 'worst' else 'teacher mean'}")
            if kind == "worst":
                drawn[metric] = v.tolist()
    if "linf_lower" in overlay and "linf_upper" in overlay:
        m, lo, _, _, ok_lo, _ = _curve(analysis, "linf_lower", "worst")
        _, up, _, _, ok_up, _ = _curve(analysis, "linf_upper", "worst")
        ok = ok_lo & ok_up
        if ok.any():
            ax.fill_between(m[ok], lo[ok], up[ok], facecolor="none", edgecolor=_colour("linf_lower"),
                            hatch="///", lw=0, alpha=0.5, label="certified bracket of the sup (worst teacher)")
    return drawn


def _draw_regimes(ax, analysis) -> dict:
    """Per m, "ρ = train RMSE / test L2" and the regime of the configuration eq. (5) chooses for
    L2, written at the bottom of the panel. Returns {m: (ratio, regime)} drawn."""
    l2 = next((mt for mt in ("l2_exact", "l2") if mt in analysis.metrics), None)
    fits = {(f.config, f.n_samples): f for f in analysis.diagnostics.fits}
    drawn = {}
    if l2 is None:
        return drawn
    for m in sorted(analysis.cubes[l2]):
        f = fits.get((analysis.entry(l2, "worst", m).config, m))
        if f is None or not math.isfinite(f.ratio):
            continue
        short = {"sampling-limited": "sampling-\nlimited", "optimisation-limited": "optimisation-\nlimited"}
        ax.annotate(f"ρ={f.ratio:.2f}\n{short.get(f.regime, f.regime)}", (m, 0.02), xycoords=("data", "axes fraction"),
                    ha="center", va="bottom", fontsize=6,
                    color="#D55E00" if f.regime == "optimisation-limited" else "#009E73")
        drawn[int(m)] = (f.ratio, f.regime)
    if drawn:
        ax.margins(x=0.12)  # room for the centred labels at the smallest and largest m
    return drawn


def figure_error_vs_m(analysis, out_dir: Path) -> FigureFile:
    """Figure 2: one panel with every metric (the gap), then one panel per metric with
    intervals, fits, the theory rate and the derived lower bound.

    Sup metrics (linf_exact, linf_lower, linf_upper) get no panel of their own when the
    Monte-Carlo ``linf`` is shown: their worst-teacher curves (eq. 5) are drawn over it in
    the L∞ panel and in the first panel, in a distinct colour and open markers (only the
    worst teacher, to keep the legend short: the sup is about the worst case).
    """
    import matplotlib.pyplot as plt

    sup = [mt for mt in analysis.metrics if mt in SUP_METRICS]
    overlay = sup if "linf" in analysis.metrics else []
    metrics = [mt for mt in analysis.metrics if mt not in overlay]
    drawn: dict = {}
    with plt.rc_context(STYLE):
        # the overview panel gets its own y-range (the data's), so the gap between the metrics is
        # visible; the per-metric panels share one range so their theory lines compare
        fig, axes = _panels(plt, 1 + len(metrics), height=4.2, width=4.4)
        for ax in axes[2:]:
            ax.sharey(axes[1])
        rate = {(r.metric, r.kind): r for r in analysis.rates}
        for i, ax in enumerate(axes):
            shown = metrics if i == 0 else metrics[i - 1 : i]
            for metric in shown:
                col = _colour(metric)
                for kind, ls in (("worst", "-"), ("average", ":")):
                    m, v, lo, hi, ok, es = _curve(analysis, metric, kind)
                    name = f"{_label(metric)} {'worst teacher' if kind == 'worst' else 'teacher mean'}"
                    ax.plot(m[ok], v[ok], ls, color=col, marker="o" if kind == "worst" else "s", ms=3, label=name)
                    band = ok & np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
                    if band.any():
                        ax.fill_between(m[band], lo[band], hi[band], color=col, alpha=0.15 if kind == "worst" else 0.08, lw=0)
                    r = rate[(metric, kind)]
                    if i > 0 and math.isfinite(r.slope) and ok.sum() >= 2:
                        grid = np.geomspace(m[ok].min(), m[ok].max(), 50)
                        ax.plot(grid, 10**r.intercept * grid**r.slope, "--", color=col, lw=0.8, alpha=0.8,
                                label=f"fit {kind}: slope {r.slope:.2f}")
                    if i > 0 and kind == "worst" and r.theory_slope is not None and ok.any():
                        m0, v0 = m[ok][0], v[ok][0]
                        grid = np.geomspace(m[ok].min(), m[ok].max(), 50)
                        ax.plot(grid, v0 * (grid / m0) ** r.theory_slope, "-.", color="0.4", lw=0.9,
                                label=f"lower bound's rate $m^{{{r.theory_slope:.2f}}}$ (anchored)")
                    bounds = [(e.n_samples, e.bound) for e in es if e.bound is not None and e.bound > 0]
                    if i > 0 and kind == "worst" and bounds:
                        bm, bv = zip(*bounds)
                        ax.plot(bm, bv, "-", color="k", lw=0.8, label="derived lower bound (class)")
            if overlay and (i == 0 or shown == ["linf"]):
                drawn = _draw_sup(ax, analysis, overlay, ("worst",))
            if i == 0:
                regimes = _draw_regimes(ax, analysis)
            _log(ax)
            ax.set_xlabel("number of samples $m$")
            ax.set_title("all metrics" if i == 0 else _label(metrics[i - 1]))
            # below the axes: inside, seven entries would cover the curves they describe
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=6.5, frameon=False)
        for ax in axes[:: 2 if len(axes) == 4 else len(axes)]:
            ax.set_ylabel("error")
        fig.suptitle(f"Error vs m: min over learners of worst / mean teacher error ({_selection_tag(analysis)})")
        sup_caption = (
            " The exact / certified sup of |student - target| (triangles, own colour; a hatched band for "
            "a certified bracket) is drawn over the sampled max L-infinity, which can only lie below it."
            if overlay else ""
        )
        return save(fig, out_dir, "fig2_error_vs_m",
                    "Figure 2. Estimated minimax error (eq. 5; worst teacher solid, teacher mean dotted) "
                    f"vs m with {analysis.config.level:.0%} bootstrap bands, log-log fits (dashed), the "
                    "lower bound's rate m^(-1/d-1/p) anchored at the smallest m (dash-dot) and, where the "
                    "targets' class is known, the derived lower bound for that class (black): a worst case "
                    "over the whole class, which random teachers may sit below. Under the overview, per m: "
                    "median train RMSE / test L2 of the chosen configuration and the regime (sampling- or "
                    "optimisation-limited)." + sup_caption,
                    {"panels": ["all metrics"] + list(metrics), "sup_overlay": drawn, "regimes": regimes})


def figure_heat_tables(analysis, out_dir: Path) -> list[FigureFile]:
    """Per m: configuration × teacher heat tables of log10(mean-over-seeds error)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    files = []
    ms = sorted({m for cubes in analysis.cubes.values() for m in cubes})
    for m in ms:
        metrics = [mt for mt in analysis.metrics if m in analysis.cubes[mt]]
        configs0, _ = heat_matrix(analysis.cubes[metrics[0]][m])
        n_t = len(analysis.cubes[metrics[0]][m].teachers)
        with plt.rc_context(STYLE):
            fig, axes = plt.subplots(1, len(metrics), figsize=(max(3.0, 0.25 * n_t + 1.8) * len(metrics),
                                                                 max(2.8, 0.3 * len(configs0) + 1.9)), squeeze=False,
                                     layout="constrained")
            for ax, metric in zip(axes[0], metrics):
                cube = analysis.cubes[metric][m]
                configs, mat = heat_matrix(cube)
                with np.errstate(divide="ignore", invalid="ignore"):
                    logm = np.log10(mat)
                cmap = plt.get_cmap("viridis").with_extremes(bad="0.85", over="k")  # missing, diverged
                finite = logm[np.isfinite(logm)]
                vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
                shown = np.where(np.isposinf(logm), vmax + 1.0, logm)
                im = ax.imshow(np.ma.masked_invalid(shown), aspect="auto", cmap=cmap, vmin=vmin,
                               vmax=vmax if vmax > vmin else vmin + 1e-9, interpolation="nearest")
                best = analysis.entry(metric, "worst", m)
                r = configs.index(best.config)
                ax.add_patch(Rectangle((-0.5, r - 0.5), mat.shape[1], 1, fill=False, ec="r", lw=1.2))
                if best.teacher is not None:
                    ax.plot(list(cube.teachers).index(best.teacher), r, marker="*", color="r", ms=8)
                ax.set_yticks(range(len(configs)), configs)
                ax.set_xticks(range(len(cube.teachers)), [str(t) for t in cube.teachers],
                              fontsize=6 if len(cube.teachers) > 20 else 7)
                ax.set_xlabel("teacher")
                ax.set_title(f"{_label(metric)}, m = {m}")
                ax.grid(False)
                fig.colorbar(im, ax=ax, extend="max", label="log10 error")
            fig.suptitle(f"Configuration × teacher ({_selection_tag(analysis)}); red: chosen learner, ★ worst teacher")
            files.append(save(fig, out_dir, f"heat_m{m}",
                              f"Heat table, m = {m}: mean over seeds of the test error at the selected "
                              "checkpoints, per configuration (rows) and teacher (columns); red frame: the "
                              "configuration eq. (5) chooses; star: its worst teacher; black: diverged; grey: missing."))
    return files


def figure_training_curves(analysis, out_dir: Path) -> FigureFile | None:
    """Error vs epoch of the chosen configuration per m: worst teacher (solid) and teacher
    mean (dotted) of the seed-mean test error; None when the run has one checkpoint."""
    import matplotlib.pyplot as plt

    table = analysis.run.table
    if table["epoch"].nunique() < 2:
        return None
    ms = sorted(table["n_samples"].unique())
    cmap = plt.get_cmap("viridis")
    panels = list(analysis.metrics) + (["train_loss"] if "train_loss" in table.columns else [])
    with plt.rc_context(STYLE):
        fig, axes = _panels(plt, len(panels))
        for ax, col in zip(axes, panels):
            metric = col if col != "train_loss" else analysis.metrics[0]
            for j, m in enumerate(ms):
                try:
                    cfg = analysis.entry(metric, "worst", int(m)).config
                except KeyError:
                    continue
                rows = table[(table["config_id"] == cfg) & (table["n_samples"] == m)]
                # Diverged rows are left out of the curves (eq. 5 counts them as +inf).
                rows = rows[~rows["diverged"] & np.isfinite(rows[col].to_numpy(float))]
                if rows.empty:
                    continue
                per = rows.groupby(["epoch", "teacher"])[col].mean().unstack("teacher")
                colour = cmap(j / max(1, len(ms) - 1))
                ax.plot(per.index, per.max(axis=1), "-", color=colour, marker="o", ms=2.5, label=f"m={m} worst")
                ax.plot(per.index, per.mean(axis=1), ":", color=colour, label=f"m={m} mean")
            _log(ax, x=False)
            ax.set_xlabel("epoch")
            ax.set_ylabel("test error" if col != "train_loss" else "train MSE (own samples)")
            ax.set_title(_label(col) if col != "train_loss" else "training loss")
            _label_short_log_axis(ax)
        # one legend for every panel, outside the data (under the panels)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", frameon=False, fontsize=7, ncol=min(len(labels), 6))
        fig.suptitle("Training curves of the chosen configuration per m\n(seed mean over non-diverged runs; "
                     "worst teacher solid, teacher mean dotted)")
        return save(fig, out_dir, "training_curves",
                    "Training curves: test error vs epoch for the configuration eq. (5) chooses at each m "
                    "(the first metric's choice for the loss panel), worst teacher (solid) and teacher mean "
                    "(dotted) of the seed mean; diverged runs are left out here (eq. 5 counts them as +inf).")


# -- worst case along a line (Figures 1 and 3) --------------------------------------------
def evaluate(f: Callable, x: np.ndarray) -> np.ndarray:
    """f on points x (n, d) → (n,) float64; f may take a torch tensor or a NumPy array."""
    import torch

    dtype = torch.float64
    if isinstance(f, torch.nn.Module):
        params = list(f.parameters())
        dtype = params[0].dtype if params else dtype
    try:
        with torch.no_grad():
            y = f(torch.as_tensor(x, dtype=dtype))
    except (TypeError, AttributeError):
        y = f(x)
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().to(torch.float64).numpy()
    return np.asarray(y, dtype=float).reshape(len(x), -1)[:, 0]


def figure_worst_case_line(
    target: Callable,
    student: Callable,
    x_train: np.ndarray,
    y_train: np.ndarray | None,
    domain: tuple[float, float],
    out_dir: Path,
    *,
    name: str = "fig3_worst_case",
    title: str = "Worst teacher vs best student",
    seed: int = 0,
    axis: int = 0,
    n_points: int = 4001,
    line: str = "axis",
    centre: np.ndarray | None = None,
    note: str | None = None,
) -> FigureFile:
    """Target and student along a line, samples marked, the largest error highlighted.

    ``line="axis"``: 1-D: the whole interval (grid of ``n_points`` plus the samples and
    ``centre``, e.g. the exact argmax). d > 1: the segment through ``centre`` (default: the
    point of largest error among 2^14 uniform points (``seed``) and the samples) parallel to
    coordinate ``axis``. ``line="diagonal"``: the paper's diagonal t·(1, …, 1), t ∈ [lo, hi].
    Samples within ℓ∞ distance δ = (hi − lo)/(2 m^(1/d)) of the line are projected onto it
    (d > 1). ``note`` is a line added under the title (e.g. where the sup sits).
    """
    import matplotlib.pyplot as plt

    x_train = np.asarray(x_train, dtype=float).reshape(len(x_train), -1)  # (m, d)
    m, d = x_train.shape
    lo, hi = domain
    if y_train is None:
        y_train = evaluate(target, x_train)
    y_train = np.asarray(y_train, dtype=float).reshape(-1)
    delta = (hi - lo) / (2 * m ** (1 / d))
    if line == "diagonal":
        ts = np.clip(x_train.mean(axis=1), lo, hi)  # projection onto the diagonal (ℓ2), clipped
        near = np.abs(x_train - ts[:, None]).max(axis=1) <= delta if d > 1 else np.ones(m, dtype=bool)
        t = np.union1d(np.linspace(lo, hi, n_points), ts[near])
        points = np.repeat(t[:, None], d, axis=1)  # (n, d) = t·(1, …, 1)
        coord = ts
        centre = None
    else:
        k_axis = 0 if d == 1 else axis
        if centre is None and d > 1:
            rng = np.random.default_rng(seed)
            cloud = np.concatenate([lo + (hi - lo) * rng.random((2**14, d)), x_train])  # (N, d)
            centre = cloud[np.argmax(np.abs(evaluate(target, cloud) - evaluate(student, cloud)))]
        centre = None if centre is None else np.asarray(centre, dtype=float).reshape(d)
        others = [k for k in range(d) if k != k_axis]
        near = (np.abs(x_train[:, others] - centre[others]) <= delta).all(axis=1) if d > 1 else np.ones(m, dtype=bool)
        extra = [] if centre is None else [centre[k_axis]]
        t = np.union1d(np.linspace(lo, hi, n_points), np.concatenate([x_train[near, k_axis], extra]))
        points = np.repeat((np.zeros(d) if centre is None else centre)[None, :], len(t), axis=0)  # (n, d)
        points[:, k_axis] = t
        coord = x_train[:, k_axis]
    u, v = evaluate(target, points), evaluate(student, points)
    err = np.abs(u - v)
    k = int(np.argmax(err))
    ts = coord[near]
    with plt.rc_context(STYLE):
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(6.0, 4.4), sharex=True, height_ratios=[2, 1],
                                      layout="constrained")
        # samples first and hollow, the target on top: the target line stays visible under the markers
        ax.plot(ts, y_train[near], "o", ms=3 if len(ts) <= 200 else 1.8, mfc="none", mew=0.6,
                color=METRIC_COLOURS["l2"], alpha=0.9, zorder=2,
                label="training samples" + ("" if d == 1 else f" (within δ={delta:.2g}, projected)"))
        ax.plot(t, u, color="k", lw=1.2, label="target", zorder=4)
        ax.plot(t, v, "--", color=METRIC_COLOURS["l1"], lw=1.2, label="student", zorder=5)
        for a in (ax, ax2):
            a.axvline(t[k], color=METRIC_COLOURS["linf"], lw=3, alpha=0.25, zorder=1)
        ax.plot([t[k]], [u[k]], "x", color=METRIC_COLOURS["linf"], ms=7, mew=2, label="largest error", zorder=6)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
        ax.set_ylabel("value")
        ax2.plot(t, err, color=METRIC_COLOURS["linf"], lw=1)
        ax2.plot(ts, np.zeros_like(ts), "|", color=METRIC_COLOURS["l2"], ms=6)
        ax2.set_ylabel("|target − student|")
        if line == "diagonal":
            where = f"t = {t[k]:.4g} on the diagonal t·(1, …, 1)"
            ax2.set_xlabel("t (point t·(1, …, 1))")
        elif d == 1:
            where = f"x = {t[k]:.4g}"
            ax2.set_xlabel("x")
        else:
            where = f"x_{axis + 1} = {t[k]:.4g} on the line through {np.round(centre, 3).tolist()} along axis {axis + 1}"
            ax2.set_xlabel(f"x_{axis + 1}")
        head = "\n".join(textwrap.wrap(f"{title}: largest error on the line {err[k]:.3g} at {where}", 90))
        # a figure title, not an axes title: the legend sits outside the axes, and an axes title as wide
        # as the figure would be centred on the narrower axes and clipped on the left
        fig.suptitle(head + ("\n" + "\n".join(textwrap.wrap(note, 90)) if note else ""), fontsize=8)
        along = {"diagonal": "the diagonal t(1,...,1)"}.get(line, "the domain" if d == 1 else "the segment through the worst point")
        return save(fig, out_dir, name,
                    f"{title} along {along}; hollow dots: training samples; red band: the location of the "
                    "largest error on the line (on a grid plus the samples and the marked point: exact in 1-D "
                    "when the exact argmax is marked, else a sampled max, a lower estimate of the sup)."
                    + (f" {note}." if note else ""),
                    {"x_max": float(t[k]), "err_max": float(err[k]), "n_near": int(near.sum()),
                     "centre": None if centre is None else centre.tolist(), "line": line})
