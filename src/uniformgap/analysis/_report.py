"""One self-contained HTML report of a run: reads offline, no external URL.

Figures are embedded as base64 PNG; the tables, the resolved config, package versions,
machine, run time, the estimator's definition and the selection rule are inline text. A
tiny inline script counts the images that decoded (``#img-status``: "images loaded: k of
n"), so a headless browser can check the figures.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import importlib.metadata
import json
import math
import os
import platform
import sys
from pathlib import Path

import yaml

from ._analysis import Analysis, AnalysisConfig, analyze
from ._figureset import make_figures
from .._atomic import write_text_atomic
from ._table import RunData

_PACKAGES = ("uniformgap", "torch", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "pydantic", "ray")

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.8em}
.warn{background:#fff4e5;border-left:4px solid #e69f00;padding:.5em .8em;margin:.6em 0}
.opt{background:#fdecea;border-left:4px solid #d55e00;padding:.5em .8em;margin:.6em 0}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#444}.small{font-size:.8em;color:#666}
"""

_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; }
  var s = document.getElementById('img-status');
  s.textContent = 'images loaded: ' + ok + ' of ' + imgs.length;
  s.setAttribute('data-ok', ok); s.setAttribute('data-total', imgs.length);
});
"""

ESTIMATOR_TEXT = (
    "For every metric (an L<sup>p</sup> error w.r.t. the uniform probability measure on the domain, "
    "p = 1, 2, &infin;) and every sample size m, the <b>worst-teacher error</b> of eq. (5) of "
    "Berner, Grohs &amp; Voigtlaender (arXiv:2205.13531) is: average the test error over training "
    "seeds, take the <i>maximum over teachers</i> (the worst target), then the <i>minimum over learner "
    "configurations</i> (the best learner). The <b>teacher mean</b> replaces the maximum by the mean. "
    "A diverged training counts as error +&infin; (it is bad on that teacher), never dropped. "
    "The L<sup>&infin;</sup> error is a maximum over sampled points, a lower estimate of the sup norm. "
    "Intervals: percentile bootstrap over teachers and, nested, seeds; the whole estimator "
    "(selection included) is recomputed on every replicate."
)
SELECTION_TEXT = {
    "validation": (
        "<b>Selection: validation (honest).</b> For each training run (configuration, teacher, seed, m) "
        "the checkpoint with the smallest <i>validation</i> error (an independent fresh sample; "
        "early stopping per run) is used; the configuration is chosen by the same reduction of "
        "the validation errors; only then is the test error reported. The test metric is never used to choose."
    ),
    "test": (
        "<b>Selection: test (OPTIMISTIC, the paper's estimator).</b> Minimum over configurations &times; "
        "checkpoints of the test metric itself: the number reported is also the number minimised, "
        "so it is biased low."
    ),
}


def _fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "&ndash;"
    if isinstance(x, float) and math.isinf(x):
        return "&infin;" if x > 0 else "&minus;&infin;"
    return f"{x:.{digits}g}" if isinstance(x, float) else html.escape(str(x))


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _run_time(analysis: Analysis) -> str:
    info = analysis.run.info
    start, end = info.get("started") or info.get("start"), info.get("finished") or info.get("end")
    if isinstance(info.get("elapsed_s"), (int, float)):  # the engine's total over resumed sessions
        sessions = len(info.get("sessions", [])) or 1
        return f"{float(info['elapsed_s']):.1f} s in {sessions} session(s) (started {start}, finished {end})"
    if start and end:
        try:
            secs = (_dt.datetime.fromisoformat(str(end)) - _dt.datetime.fromisoformat(str(start))).total_seconds()
            return f"{secs:.1f} s ({start} → {end})"
        except ValueError:
            pass
    table = analysis.run.table
    if "wall_time_s" in table.columns:
        return f"longest trial {table['wall_time_s'].max():.1f} s (run.json has no timestamps)"
    return "unknown"


def _minimax_table(analysis: Analysis) -> str:
    head = ("<tr><th class=l>metric</th><th>m</th><th>worst teacher</th><th>CI</th><th>teacher</th>"
            "<th class=l>configuration</th><th>teacher mean</th><th>CI</th><th class=l>configuration</th>"
            "<th>derived lower bound</th></tr>")
    rows = []
    for metric in analysis.metrics:
        for m in sorted(analysis.cubes[metric]):
            w, a = analysis.entry(metric, "worst", m), analysis.entry(metric, "average", m)
            ep = "" if w.epoch is None else f" @ epoch {w.epoch}"
            rows.append(
                f"<tr><td class=l>{metric}</td><td>{m}</td><td><b>{_fmt(w.value)}</b></td>"
                f"<td>[{_fmt(w.ci_low)}, {_fmt(w.ci_high)}]</td><td>{_fmt(w.teacher)}</td>"
                f"<td class=l>{html.escape(w.config + ep)}</td><td>{_fmt(a.value)}</td>"
                f"<td>[{_fmt(a.ci_low)}, {_fmt(a.ci_high)}]</td><td class=l>{html.escape(a.config)}</td>"
                f"<td>{_fmt(w.bound)}</td></tr>"
            )
    return f"<table>{head}{''.join(rows)}</table>"


def _rates_table(analysis: Analysis) -> str:
    head = ("<tr><th class=l>metric</th><th class=l>kind</th><th>slope</th><th>CI</th><th class=l>CI method</th>"
            "<th>points</th><th>lower bound's rate &minus;1/d&minus;1/p</th></tr>")
    rows = [
        f"<tr><td class=l>{r.metric}</td><td class=l>{r.kind}</td><td><b>{_fmt(r.slope)}</b></td>"
        f"<td>[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]</td><td class=l>{r.ci_method}</td><td>{r.n_points}</td>"
        f"<td>{_fmt(r.theory_slope)}</td></tr>"
        for r in analysis.rates
    ]
    return f"<table>{head}{''.join(rows)}</table>"


SUP_TEXT = (
    "The Monte-Carlo L<sup>&infin;</sup> error (<code>linf</code>) is the maximum of |student &minus; target| "
    "over sampled points: a sampled max is only a <b>lower estimate</b> of the sup norm, and narrow spikes "
    "between the points are exactly what it misses. This run also measured the sup itself: "
    "<code>linf_exact</code> (d = 1, exact, by enumerating the breakpoints) or a certified bracket "
    "<code>linf_lower</code> &le; sup &le; <code>linf_upper</code> (d &ge; 2). Per m, over the final "
    "checkpoint of every non-diverged training run: how often the sampled max is below the exact "
    "(or certified-lower) value, and the relative underestimation (sup &minus; mc)/sup; then the same "
    "for the worst-teacher value of eq. (5). With a bracket, the true relative underestimation lies "
    "between the value computed with the lower and with the upper end."
)


def _pct(x) -> str:
    return "&ndash;" if x is None or not math.isfinite(x) else f"{100 * x:.3g}%"


def _underestimate_table(analysis: Analysis) -> str:
    items = analysis.underestimate
    bracket = any(u.mean_rel_upper is not None for u in items)
    head = ("<tr><th class=l>sup</th><th>m</th><th>runs</th><th>sampled max &lt; sup</th><th>mean rel.</th>"
            "<th>max rel.</th><th>worst teacher: Monte Carlo</th><th>worst teacher: sup</th><th>rel.</th>"
            + ("<th>mean rel. (upper)</th><th>max rel. (upper)</th><th>worst teacher: upper</th>"
               "<th>rel. (upper)</th>" if bracket else "") + "</tr>")
    rows = []
    for u in items:
        row = (f"<tr><td class=l>{u.metric}</td><td>{u.n_samples}</td><td>{u.n_rows}</td>"
               f"<td>{_pct(u.fraction_below)}</td><td>{_pct(u.mean_rel)}</td><td>{_pct(u.max_rel)}</td>"
               f"<td>{_fmt(u.minimax_mc, 4)}</td><td>{_fmt(u.minimax_sup, 4)}</td><td>{_pct(u.minimax_rel)}</td>")
        if bracket:
            row += (f"<td>{_pct(u.mean_rel_upper)}</td><td>{_pct(u.max_rel_upper)}</td>"
                    f"<td>{_fmt(u.minimax_upper, 4)}</td><td>{_pct(u.minimax_rel_upper)}</td>")
        rows.append(row + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _headline(analysis: Analysis) -> str:
    """The finding in words (``_diagnostics.headline``), first thing in the report."""
    lines = analysis.diagnostics.headline
    if not lines:
        return ""
    return "<div class=warn><b>Finding.</b><ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in lines) + "</ul></div>"


def _diagnostics_section(analysis: Analysis) -> list[str]:
    """Fit regime per (configuration, m) and where the worst error sits."""
    from ._diagnostics import GAP_QUANTILE, RHO_SAMPLING

    diag = analysis.diagnostics
    parts = ["<h2>Why the uniform error stalls: fit and location</h2>"]
    if diag.fits:
        parts.append(
            "<p>Median over the final checkpoints of the train RMSE (the students' error on their own samples) "
            "next to the median test L<sup>2</sup> error. Ratio &lt; "
            f"{RHO_SAMPLING:g}: <b>sampling-limited</b> (the students fit their samples much better than they "
            "generalise: the error sits where there are no samples, the paper's mechanism); otherwise "
            "<b>optimisation-limited</b> (they do not even fit their samples: a training floor, not the "
            "sampling barrier).</p>"
        )
        rows = "".join(
            f"<tr><td class=l>{html.escape(f.config)}</td><td>{f.n_samples}</td><td>{f.n_runs}</td>"
            f"<td>{_fmt(f.train_rmse, 4)}</td><td>{_fmt(f.test_l2, 4)}</td><td>{_fmt(f.ratio)}</td>"
            f"<td class=l>{f.regime}</td></tr>"
            for f in diag.fits
        )
        parts.append("<table><tr><th class=l>configuration</th><th>m</th><th>runs</th><th>train RMSE</th>"
                     f"<th>test L2 ({html.escape(diag.fits[0].l2_metric)})</th><th>ratio</th>"
                     f"<th class=l>regime</th></tr>{rows}</table>")
    if diag.locations:
        parts.append(
            "<p>For the worst student of eq. (5) (sup metric) at each m: the argmax x* of |student &minus; "
            "teacher| (exact in 1-D; the certified bracket's witness in d &ge; 2), its distance to the nearest "
            "training sample in units of the typical spacing h = (hi &minus; lo) m<sup>&minus;1/d</sup>, and "
            f"whether it lies in the largest gaps (farther from the samples than {GAP_QUANTILE:.0%} of the "
            "domain).</p>"
        )
        rows = "".join(
            f"<tr><td>{w.n_samples}</td><td class=l>{html.escape(w.config)}, teacher {w.teacher}, seed {w.seed}, "
            f"epoch {w.epoch}</td><td>{', '.join(f'{v:.4g}' for v in w.argmax)} ({w.source})</td>"
            f"<td>{_fmt(w.sup, 4)}</td><td>{_fmt(w.distance)}</td><td>{_fmt(w.gap_quantile)}</td>"
            f"<td class=l>{'yes' if w.in_largest_gaps else 'no'}</td></tr>"
            for w in diag.locations
        )
        parts.append("<table><tr><th>m</th><th class=l>student</th><th>x*</th><th>sup</th><th>distance / h</th>"
                     f"<th>{GAP_QUANTILE:.0%} quantile / h</th><th class=l>in largest gaps</th></tr>{rows}</table>")
    if diag.notes:
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in diag.notes) + "</ul>")
    return parts if len(parts) > 1 else []


def _sup_section(analysis: Analysis) -> list[str]:
    """The "Worst case" section; a one-line note when the run has no sup metric."""
    parts = ["<h2>Worst case: Monte Carlo vs exact/certified sup</h2>"]
    if not analysis.underestimate:
        return parts + [("<p>A sampled max is only a lower estimate of the sup norm; this run has no "
                         "<code>linf_exact</code> or <code>linf_lower</code> column to compare it with "
                         "(set <code>evaluation.network_metrics</code> in the config).</p>")]
    return parts + [f"<p>{SUP_TEXT}</p>", _underestimate_table(analysis)]


def render_html(analysis: Analysis, figures) -> str:
    """The report as one HTML string (figures: a FigureSet)."""
    run = analysis.run
    name = run.config.get("name", run.run_dir.name)
    parts = [*page_head(str(name), run.run_dir), _headline(analysis)]
    if run.partial:
        parts.append("<div class=warn><b>PARTIAL RUN</b>: the run is incomplete or still going; the numbers "
                     "below use only the rows that exist.</div>")
    if analysis.optimistic:
        parts.append("<div class=opt><b>OPTIMISTIC</b>: selection 'test' chooses on the reported test metric "
                     "(the paper's estimator).</div>")
    parts += ["<h2>The estimator</h2>", f"<p>{ESTIMATOR_TEXT}</p>", f"<p>{SELECTION_TEXT[analysis.selection]}</p>"]
    notes = list(analysis.notes) + list(figures.notes)
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts += [
        f"<h2>Minimax errors ({analysis.config.level:.0%} bootstrap intervals, "
        f"{analysis.config.n_bootstrap} replicates, seed {analysis.config.seed})</h2>",
        _minimax_table(analysis),
        "<p class=small>The derived lower bound (docs/theory.md §4) bounds the error of any algorithm on the "
        "<i>worst member of the class</i> the teachers come from; a few random teachers are rarely worst "
        "case, so the measured worst-teacher error may lie below it without contradiction.</p>",
        *_diagnostics_section(analysis),
        "<h2>Rates (log-log least squares of error vs m)</h2>",
        _rates_table(analysis),
        *_sup_section(analysis),
        "<h2>Figures</h2>",
    ]
    parts += [figure_html(f.png, f.name, f.caption) for f in figures.files]
    parts += [
        "<h2>Resolved configuration</h2>",
        f"<pre>{html.escape(yaml.safe_dump(run.config, sort_keys=False) if run.config else '(no config.yaml)')}</pre>",
        "<h2>Run</h2>",
        f"<p>Status: {html.escape(str(run.info.get('status', 'unknown')))}; run time: {html.escape(_run_time(analysis))}; "
        f"{len(run.table)} rows, {run.table['config_id'].nunique()} configurations, "
        f"{run.table['teacher'].nunique()} teachers, {run.table['seed'].nunique()} seeds.</p>",
        f"<pre>{html.escape(json.dumps(run.info, indent=2, default=str))}</pre>",
        *page_tail(),
    ]
    return "\n".join(parts)


def page_head(title: str, run_dir: Path) -> list[str]:
    """The document start, the title and the provenance line (shared by every report kind)."""
    return [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>uniformgap report: {html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>uniformgap report: {html.escape(title)}</h1>",
        f"<p class=small>Run directory <code>{html.escape(str(run_dir))}</code>; report written "
        f"{_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}.</p>",
    ]


def figure_html(png: Path, name: str, caption: str) -> str:
    """One embedded figure: the PNG as base64, so the report reads offline."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return (f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def page_tail() -> list[str]:
    """The analysis environment (machine, package versions), the command, the image check, the end."""
    machine = {"node": platform.node(), "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
               "cpus": os.cpu_count()}
    return [
        "<h2>Analysis environment</h2>",
        "<table>" + "".join(f"<tr><th class=l>{html.escape(k)}</th><td class=l>{html.escape(str(v))}</td></tr>"
                            for k, v in {**machine, **_versions()}.items()) + "</table>",
        f"<p class=small>Command: <code>{html.escape(' '.join(sys.argv[:1] + sys.argv[1:]))}</code></p>",
        "<p id=img-status class=small>images loaded: (script not run)</p>",
        f"<script>{_SCRIPT}</script></body></html>",
    ]


def write_report(
    run_dir: str | Path | RunData,
    out: str | Path | None = None,
    *,
    config: AnalysisConfig | None = None,
    figures_dir: str | Path | None = None,
) -> Path:
    """Analyse ``run_dir`` and write the HTML report (default RUN_DIR/report.html)
    atomically; figures go to ``figures_dir`` (default RUN_DIR/figures). Returns the path."""
    analysis = analyze(run_dir, config or AnalysisConfig())
    out = Path(out) if out is not None else analysis.run.run_dir / "report.html"
    figures = make_figures(analysis, Path(figures_dir) if figures_dir else analysis.run.run_dir / "figures")
    text = render_html(analysis, figures)
    write_text_atomic(out, text)
    return out
