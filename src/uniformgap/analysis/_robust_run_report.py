"""The HTML report of a robust experiment run (``experiment: robust``, docs/robust.md §6.4: E1, E2).

Reads the run directory of `uniformgap run e1-quick` / `e2-quick` through
:func:`._robust_runs.analyze_robust` (E1's W*(d), E2's gap table) and renders, with the page style,
figure embedding and provenance of :mod:`._report`:

- the finding in words first. E1: per d, W*(d) by attack and by certificate against C1's exact size
  nnz(W) (Li et al., arXiv:2205.13863, Thm 2.2; docs/robust.md §3) and the growth the rates predict
  (Thm 4.3's lower-bound rate (2ε)^{−(d−1)/6} = K^{(d−1)/6}, Thm 2.2's upper rate M·d·log(d/δ),
  exponents only), and the linear classifier f_lin = x_d − ½ (clean error 0, robust error 1); a d at
  which no trained size reaches α is called a limit of the optimiser / budget of the run, never
  of expressivity (C1 has robust error 0 at its exact size). E2: robust train vs robust test (L_P on
  all of S) vs the floor (the same architecture trained on all of S) beside the unseen-column
  fraction u, whose information limit is u/2 (random φ: no learner can guess an unseen column);
- the E1 and E2 tables; rows of a training kind this module does not know (a later experiment)
  as a generic table of means per (training, d, width);
- the figures of :mod:`._robust_figure`, each showing three things apart: the constructed network
  (C1, exists), the trained networks (what the optimiser reaches) and the theory's rates;
- the resolved configuration, run.json and the analysis environment.

Robust errors are those of the run's rows: attack + verified witnesses (a LOWER bound on the true
robust error) and 1 − certified accuracy (an UPPER bound).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import pandas as pd
import yaml

from .._atomic import write_text_atomic
from ._report import _fmt, figure_html, page_head, page_tail
from ._robust_runs import ALPHA, CapacityRow, GapRow, RobustRunAnalysis, analyze_robust

# The training kinds E1 and E2 analyse (experiments/_robust_config.py); any other is shown generically.
KNOWN_TRAININGS = ("whole-support", "sample")
# Robust train error above which the E2 networks "did not fit their training points robustly": then
# a small train/test gap says nothing about generalization (the docs' α, docs/robust.md §6.4).
FIT_ALPHA = ALPHA
# |test − floor − u/2| below this: the excess of the test error over the floor is what the unseen
# columns alone cost (≈ 1/2 each): an information limit, not a failure of the architecture.
EXPLAINED = 0.05

FIGURE_CAPTION = {
    "e1_capacity": ("E1. Left: black squares = the CONSTRUCTED network C1 (exists; its exact nnz(W), robust error 0); "
                    "blue circles = the TRAINED networks' W*(d) (what the optimiser reaches; filled: by attack, open: "
                    "by certificate; orange triangles: not reached up to the largest size tried); grey = the THEORY's "
                    "rates (exponents only, constants unknown, each drawn through one point). Right: the linear "
                    "classifier x_d - 1/2 (clean error 0, robust error 1) beside the trained networks' best errors."),
    "e2_gap": ("E2. Left: TRAINED networks at a fixed size: robust train error vs robust test error L_P vs the floor "
               "(the same architecture trained on all of S), and the information limit unseen/2 (any learner). Right: "
               "the trained size beside the CONSTRUCTED C1 (on the training points and on all of S) and the THEORY's "
               "rates (exponents only, constants unknown)."),
}


def _growth(capacity: list[CapacityRow], eps: float, c: float) -> str | None:
    """Between the first and the last d where W* (attack) was reached: the factor W* grew by, C1's
    factor and the factors the rates' exponents predict (docs/robust.md §6.4)."""
    from ..robust._sizes import rate_curves

    reached = [r for r in capacity if r.wstar_attack is not None]
    if len(reached) < 2 or not (math.isfinite(eps) and math.isfinite(c)):
        return None
    lo, hi = reached[0], reached[-1]
    rates = rate_curves([lo.d, hi.d], eps=eps, c=c, N=[lo.M, hi.M])
    factor = {k: 10 ** float(v[1] - v[0]) for k, v in rates.items()}
    c1 = (f", C1's exact size x{hi.c1_size / lo.c1_size:.3g}" if lo.c1_size and hi.c1_size else "")
    return (f"from d = {lo.d} to d = {hi.d}: W* (attack) grows x{hi.wstar_attack / lo.wstar_attack:.3g}{c1}; the rates' "
            f"exponents predict x{factor['Thm 4.3']:.3g} (Thm 4.3 lower bound K^((d-1)/6)) and x{factor['Thm 2.2']:.3g} "
            "(Thm 2.2 upper bound M d log(d/delta)), constants unknown")


def _e1_lines(a: RobustRunAnalysis) -> list[str]:
    lines = []
    for r in a.capacity:
        c1 = ("no C1 (one class empty: a constant classifier is exact)" if r.c1_size is None
              else f"C1 (constructed, robust error 0) has exact size {r.c1_size}")
        if r.c1_size and r.wstar_attack is not None:
            c1 += f" (W*/C1 = {r.wstar_attack / r.c1_size:.3g})"
        if r.wstar_attack is None:
            lines.append(f"E1, d = {r.d} (M = {r.M}): no trained size up to {max(r.sizes)} reached robust error <= "
                         f"{a.alpha:g} (best {r.best_error_attack:.3g} by attack): a limit of the optimiser / training "
                         f"budget of this run, NOT an expressivity limit; {c1}")
            continue
        cert = (f"{r.wstar_certified} by certificate (proved)" if r.wstar_certified is not None
                else f"not reached by certificate up to {max(r.sizes)} (the bound is loose or the network not robust)")
        lines.append(f"E1, d = {r.d} (M = {r.M}): W* = {r.wstar_attack} by attack (optimistic), {cert}; {c1}")
    growth = _growth(a.capacity, a.eps, a.c)
    if growth:
        lines.append("E1 " + growth)
    if a.capacity:
        clean = [r.linear_clean_error for r in a.capacity]
        robust = [r.linear_robust_error for r in a.capacity]
        lines.append(f"E1: the linear classifier x_d - 1/2 has clean error {min(clean):.3g}-{max(clean):.3g} and robust "
                     f"error {min(robust):.3g}-{max(robust):.3g} over d: clean-learnable, robust-hard")
    return lines


def _e2_line(r: GapRow) -> str:
    head = (f"E2, d = {r.d}, width {r.width} (size {r.size}, N = {r.n_draws} draws, {r.seeds} seed(s)): robust train "
            f"error {r.train_robust_error:.3g} vs robust test error {r.test_robust_error:.3g} (L_P on all of S) vs "
            f"floor {r.floor:.3g}; unseen columns {r.unseen_fraction:.0%}, information limit u/2 = {r.information_limit:.3g}")
    if r.train_robust_error > FIT_ALPHA:
        return head + (f": the networks did NOT fit their training points robustly (train error > {FIT_ALPHA:g}), so "
                       "the train/test gap says little about robust generalization")
    if math.isnan(r.floor):
        return head + ": no whole-support rows at this (d, width), so the floor (expressivity) is not measured"
    if r.floor > FIT_ALPHA:
        return head + (f": the floor itself is above {FIT_ALPHA:g}: the optimiser does not reach a robust network "
                       "of this size on all of S (a budget limit, not expressivity: C1 exists)")
    excess = r.test_robust_error - r.floor
    if r.unseen_fraction == 0:
        return head + (f": every column was seen, so there is no information limit; the excess over the floor is "
                       f"{excess:.3g}")
    if abs(excess - r.information_limit) <= EXPLAINED:
        return head + (f": the excess over the floor ({excess:.3g}) is what the unseen columns cost any learner "
                       "(an information limit), not a limit of the architecture")
    if excess > r.information_limit:
        return head + (f": the excess over the floor ({excess:.3g}) exceeds u/2: the trained networks also err on "
                       "seen columns' neighbourhoods beyond the information limit")
    return head + (f": the excess over the floor ({excess:.3g}) is below u/2: the networks guessed unseen columns "
                   "better than chance on this instance")


def _other_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of a training kind that E1/E2 do not analyse."""
    if "training" not in table.columns:
        return table.iloc[0:0]
    return table[~table["training"].isin(KNOWN_TRAININGS)]


def generic_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Means over seeds per (training, d, width) of every ``*_error`` and ``unseen_fraction`` column,
    with the size and the seed count: how an experiment kind without its own analysis is reported."""
    keys = [k for k in ("training", "d", "width") if k in rows.columns]
    values = [c for c in rows.columns if c.endswith("_error") or c == "unseen_fraction"]
    if not keys:
        return pd.DataFrame()
    numeric = rows[values].apply(pd.to_numeric, errors="coerce")
    grouped = pd.concat([rows[keys], numeric], axis=1).groupby(keys, sort=True)
    out = grouped[values].mean() if values else grouped.size().to_frame("rows")
    if "size" in rows.columns:
        out.insert(0, "size", rows.groupby(keys, sort=True)["size"].first())
    if "seed" in rows.columns:
        out.insert(0, "seeds", rows.groupby(keys, sort=True)["seed"].nunique())
    return out.reset_index()


def robust_run_headline(a: RobustRunAnalysis, table: pd.DataFrame) -> list[str]:
    """The finding in words, one sentence per line (first thing in the report)."""
    lines = ["PARTIAL run (run.json status is not 'complete'): the trials that finished"] if a.partial else []
    lines += _e1_lines(a)
    lines += [_e2_line(r) for r in a.gap]
    other = _other_rows(table)
    for kind in sorted(other["training"].astype(str).unique()) if len(other) else ():
        lines.append(f"rows of training kind {kind!r} ({int((other['training'].astype(str) == kind).sum())}) have no "
                     "analysis of their own here: reported as a generic table of means")
    if not a.capacity and not a.gap and not len(other):
        lines.append("no E1 (whole-support) or E2 (sample) rows yet")
    lines.append("robust errors: attack + verified witnesses (a LOWER bound on the true robust error); certified = "
                 "1 - certified accuracy (an UPPER bound); test = the whole support S (P uniform)")
    return lines


def _html_table(header: list[str], rows: list[list[str]], left: int = 0) -> str:
    def cell(tag: str, i: int, v: str) -> str:
        return f"<{tag}{' class=l' if i < left else ''}>{v}</{tag}>"

    head = "<tr>" + "".join(cell("th", i, h) for i, h in enumerate(header)) + "</tr>"
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table>{head}{body}</table>"


def _not_reached(x, sizes) -> str:
    return _fmt(x) if x is not None else f"&gt; {max(sizes)} (not reached)"


def capacity_html(a: RobustRunAnalysis) -> str:
    """E1: W*(d) by attack and by certificate, C1's exact size, the linear classifier."""
    rows = [[str(r.d), str(r.M), ", ".join(map(str, r.sizes)), str(r.seeds), f"<b>{_not_reached(r.wstar_attack, r.sizes)}</b>",
             _not_reached(r.wstar_certified, r.sizes), _fmt(r.best_error_attack), _fmt(r.best_error_certified),
             _fmt(r.c1_size), _fmt(r.linear_clean_error), _fmt(r.linear_robust_error)] for r in a.capacity]
    return _html_table(["d", "M = K<sup>d&minus;1</sup>", "trained sizes", "seeds", "W* attack", "W* certified",
                        "best error (attack)", "best error (certified)", "C1 exact nnz(W)", "linear: clean",
                        "linear: robust"], rows)


def gap_html(a: RobustRunAnalysis) -> str:
    """E2: robust train vs test vs floor, the unseen fraction and its information limit, sizes."""
    rows = [[str(r.d), str(r.M), str(r.width), str(r.size), str(r.n_draws), str(r.seeds), _fmt(r.train_robust_error),
             f"<b>{_fmt(r.test_robust_error)}</b>", _fmt(r.floor), _fmt(r.unseen_fraction), _fmt(r.information_limit),
             _fmt(r.c1_size_train), _fmt(r.c1_size)] for r in a.gap]
    return _html_table(["d", "M", "width", "size", "N draws", "seeds", "robust train", "robust test L<sub>P</sub>",
                        "floor", "unseen u", "u/2", "C1 size (train points)", "C1 size (S)"], rows)


def generic_html(table: pd.DataFrame) -> str:
    g = generic_table(_other_rows(table))
    rows = [[_fmt(v.item() if hasattr(v, "item") else v) for v in rec] for rec in g.itertuples(index=False)]
    return _html_table([html.escape(str(c)) for c in g.columns], rows, left=1)


def render_robust_run_html(a: RobustRunAnalysis, table: pd.DataFrame, figures, config: dict, info: dict) -> str:
    """The report as one HTML string (``figures``: FigureFiles of :func:`._robust_figure.robust_figures`)."""
    title = f"robust experiment, {config.get('name', Path(a.run_dir).name)}"
    lines = robust_run_headline(a, table)
    parts = [*page_head(str(title), Path(a.run_dir)),
             "<div class=warn><b>Finding.</b><ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in lines) + "</ul></div>"]
    if a.partial:
        parts.append("<div class=warn><b>PARTIAL RUN</b>: the run is incomplete or still going; the numbers below use "
                     "only the trials that finished.</div>")
    parts += ["<h2>The experiments</h2>",
              f"<p>Theorem 4.3 instance of Li et al. (arXiv:2205.13863; docs/robust.md §6.4): &epsilon; = {_fmt(a.eps)}, "
              f"c = {_fmt(a.c)}, &delta; = c&epsilon; = {_fmt(a.c * a.eps)}, support S of M = K<sup>d&minus;1</sup> columns, "
              "P uniform on S. <b>E1 (capacity)</b>: networks trained on all of S; W*(d) = the smallest trained size "
              f"&Sigma; n<sub>&ell;&minus;1</sub>n<sub>&ell;</sub> whose robust error is &le; &alpha; = {a.alpha:g} for at "
              "least one seed (what the optimiser reaches: an existence statement), by attack (optimistic) and by "
              "certificate (proved). <b>E2 (gap)</b>: a fixed architecture trained on N draws from P; robust train "
              "error vs robust test error L<sub>P</sub> vs the floor (the same architecture trained on all of S, the "
              "expressivity part); each unseen column costs &asymp; 1/2 for every learner (random &phi;), so u/2 is an "
              "information limit.</p>"]
    if a.capacity:
        parts += ["<h2>E1: W*(d) beside C1's exact size</h2>", capacity_html(a)]
    if a.gap:
        parts += ["<h2>E2: robust train vs test vs floor</h2>", gap_html(a)]
    if len(_other_rows(table)):
        parts += ["<h2>Other experiment kinds (generic)</h2>",
                  "<p>Rows whose <code>training</code> is neither whole-support (E1) nor sample (E2): means over seeds "
                  "of the error columns, no interpretation.</p>", generic_html(table)]
    if a.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in a.notes) + "</ul>")
    parts.append("<h2>Figures</h2>")
    if figures:
        parts += [figure_html(f.png, f.name, FIGURE_CAPTION.get(f.name, f.caption)) for f in figures]
    else:
        parts.append("<p>No E1 or E2 rows: no figure.</p>")
    elapsed = info.get("elapsed_s")
    parts += [
        "<h2>Resolved configuration</h2>",
        f"<pre>{html.escape(yaml.safe_dump(config, sort_keys=False) if config else '(no config.yaml)')}</pre>",
        "<h2>Run</h2>",
        f"<p>Status: {html.escape(str(info.get('status', 'unknown')))}; "
        f"{'run time ' + format(float(elapsed), '.1f') + ' s; ' if isinstance(elapsed, (int, float)) else ''}"
        f"{len(table)} trials.</p>",
        f"<pre>{html.escape(json.dumps(info, indent=2, default=str))}</pre>",
        *page_tail(),
    ]
    return "\n".join(parts)


def write_robust_run_report(run_dir: str | Path, out: str | Path | None = None, *, alpha: float = ALPHA,
                            figures_dir: str | Path | None = None, alpha_name: str = "alpha") -> Path:
    """Analyse the robust run ``run_dir`` and write its HTML report (default RUN_DIR/report.html)
    atomically; the figures (PNG and PDF) go to ``figures_dir`` (default RUN_DIR/figures). The
    caller chooses the matplotlib backend. Returns the report's path."""
    from ._robust_figure import robust_figures
    from ._table import read_table

    run_dir = Path(run_dir)
    a = analyze_robust(run_dir, alpha=alpha, alpha_name=alpha_name)
    table = read_table(run_dir)
    config = yaml.safe_load((run_dir / "config.yaml").read_text()) if (run_dir / "config.yaml").is_file() else {}
    info = json.loads((run_dir / "run.json").read_text()) if (run_dir / "run.json").is_file() else {}
    figures = robust_figures(a, Path(figures_dir) if figures_dir is not None else run_dir / "figures")
    out = Path(out) if out is not None else run_dir / "report.html"
    write_text_atomic(out, render_robust_run_html(a, table, figures, config or {}, info))
    return out
