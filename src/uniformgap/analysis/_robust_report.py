"""The HTML report of a `robust train` run directory (docs/robust.md §6.2–§6.3).

Reads what `uniformgap robust train` wrote (``table.json``: rows, summary, details, config;
``curves.png``) and renders, with the page style, figure embedding and provenance of
:mod:`._report`:

- the finding in words first: per training robust train vs robust test accuracy and the robust
  generalization gap (Def 2.1; the attack upper bounds), said honestly when the gap is small
  because the network does not fit the robust training loss, when the certified bounds are 0,
  and when the attack suite was not complete;
- the table clean/robust × train/val/test for clean and adversarial training side by side, each
  robust entry a bracket certified ≤ true ≤ attack, with the min–max over seeds and, for test,
  the bootstrap interval over test points;
- which attacks ran (and which were skipped, why), the certificate, points fooled per attack;
- the validation-selected epoch and the test-selected one, labelled OPTIMISTIC (never used);
- the robust-overfitting curves figure, the resolved configuration, the environment.

The report only reads the run directory; :func:`run_kind` tells the two kinds of run apart.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import yaml

from .._atomic import write_text_atomic
from .._errors import InputError
from ._report import _fmt, figure_html, page_head, page_tail

# Robust train accuracy (attack upper bound) below which the network "does not fit the robust
# training loss": a gap measured on an underfit network says little about robust generalization.
FIT_THRESHOLD = 0.9
# A robust generalization gap below this (absolute accuracy) is called small.
SMALL_GAP = 0.05
# Certified accuracy at most this counts as "0": the networks were not trained for certification.
CERTIFIED_ZERO = 0.005

ROBUST_FILES = ("table.json", "table.csv", "curves.csv", "curves.png")


def _is_robust(run_dir: Path) -> bool:
    path = run_dir / "table.json"
    if not path.is_file():
        return False
    try:
        data = json.loads(path.read_text())
    except (ValueError, OSError):
        return False
    return isinstance(data, dict) and isinstance(data.get("summary"), list) and isinstance(data.get("rows"), list)


def run_kind(run_dir: str | Path) -> str:
    """"student-teacher" (results.parquet or results.csv of `uniformgap run`) or "robust"
    (table.json of `uniformgap robust train`); anything else is an :class:`InputError`."""
    run_dir = Path(run_dir)
    if run_dir.is_dir():
        if (run_dir / "results.parquet").is_file() or (run_dir / "results.csv").is_file():
            return "student-teacher"
        if _is_robust(run_dir):
            return "robust"
    why = "no such directory" if not run_dir.is_dir() else "neither results.parquet/results.csv nor a robust table.json"
    raise InputError(
        f"`RUN_DIR` must be a run directory of `uniformgap run` (results.parquet or results.csv) or of "
        f"`uniformgap robust train` (table.json), got '{run_dir}' ({why}) (e.g. uniformgap report runs/robust-quick)"
    )


def load_robust_run(run_dir: str | Path) -> dict[str, Any]:
    """The parsed ``table.json`` of a `robust train` run directory (checked by :func:`run_kind`)."""
    run_dir = Path(run_dir)
    if run_kind(run_dir) != "robust":
        raise InputError(f"`RUN_DIR` must be a `uniformgap robust train` directory (table.json), got '{run_dir}' "
                         "(a student-teacher run) (e.g. uniformgap report runs/robust-quick)")
    return json.loads((run_dir / "table.json").read_text())


def _acc(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def robust_headline(table: dict[str, Any]) -> list[str]:
    """The finding in words, one sentence per line (first thing in the report)."""
    summary = table["summary"]
    by = {s["training"]: s for s in summary}
    lines = []
    for s in summary:
        t, rt, rte, gap = s["training"], s.get("train_robust"), s.get("test_robust"), s.get("robust_gap")
        if rt is None or rte is None:
            continue
        line = (f"{t} training: robust train {rt:.3f} vs robust test {rte:.3f} — gap {round(gap, 3) + 0.0:.3f} "
                "(attack robust accuracies, upper bounds on the true ones)")
        if rt < FIT_THRESHOLD:
            line += (f"; the network has NOT fit the robust training loss (robust train accuracy {rt:.3f} < "
                     f"{FIT_THRESHOLD:g})" if t == "adversarial" else
                     f"; clean training does not minimise the robust training loss (robust train accuracy {rt:.3f})")
            if abs(gap) < SMALL_GAP:
                line += ": the gap is small because the robust training error itself is large, not because robustness generalizes"
        lines.append(line)
    if "clean" in by and "adversarial" in by and by["clean"].get("test_robust") is not None:
        c, a = by["clean"], by["adversarial"]
        lines.append(f"adversarial training moves robust test accuracy from {c['test_robust']:.3f} (clean training) "
                     f"to {a['test_robust']:.3f}, clean test accuracy from {c['test_clean']:.3f} to {a['test_clean']:.3f}")
    certified = [s.get("test_certified") for s in summary]
    if all(c is None for c in certified):
        lines.append("no certified lower bound (not a ReLU MLP): only the attack side of the bracket is known")
    elif all(c is not None and c <= CERTIFIED_ZERO for c in certified):
        lines.append("certified robust accuracy is 0: the networks were not trained for certification (CROWN/IBP "
                     "bounds are loose on clean- and PGD-trained networks), so the true robust accuracy is only "
                     "known to lie between 0 and the attack value")
    if not all(s.get("full_suite", False) for s in summary):
        lines.append("the attack was NOT the full suite (see Attacks): the attack robust accuracies may be overestimated")
    if table.get("status") == "partial":
        lines.append(f"PARTIAL run: {table.get('note') or 'interrupted'}")
    return lines


def _gap(x) -> str:
    return "&ndash;" if x is None else f"{x:+.3f}"


def _bracket(s: dict, split: str) -> str:
    cert, atk = s.get(f"{split}_certified"), s.get(f"{split}_robust")
    if atk is None:
        return "&ndash;"
    return f"{_acc(cert)} &le; true &le; <b>{_acc(atk)}</b>"


def _range(s: dict, key: str) -> str:
    r = s.get(f"{key}_range")
    return "" if r is None or r[0] == r[1] else f" <span class=small>({r[0]:.3f}&ndash;{r[1]:.3f})</span>"


def _ci(s: dict, key: str) -> str:
    ci = s.get(f"{key}_ci")
    return "" if ci is None else f"<br><span class=small>CI [{_fmt(ci[0])}, {_fmt(ci[1])}]</span>"


def accuracy_table(table: dict[str, Any]) -> str:
    """Clean/robust × train/val/test, the trainings side by side (robust: certified ≤ true ≤ attack)."""
    summary = table["summary"]
    head1 = "<tr><th class=l rowspan=2>split</th>" + "".join(
        f"<th colspan=2>{html.escape(s['training'])} training (seeds {', '.join(map(str, s['seeds']))})</th>" for s in summary
    ) + "</tr>"
    head2 = "<tr>" + "<th>clean</th><th>robust: certified &le; true &le; attack</th>" * len(summary) + "</tr>"
    rows = []
    for split in ("train", "val", "test"):
        if all(s.get(f"{split}_clean") is None for s in summary):
            continue
        cells = "".join(
            f"<td>{_acc(s.get(f'{split}_clean'))}{_range(s, f'{split}_clean')}{_ci(s, f'{split}_clean')}</td>"
            f"<td>{_bracket(s, split)}{_range(s, f'{split}_robust')}{_ci(s, f'{split}_robust')}</td>"
            for s in summary
        )
        rows.append(f"<tr><td class=l>{split}</td>{cells}</tr>")
    gaps = "".join(f"<td colspan=2>robust gap {_gap(s.get('robust_gap'))}</td>" for s in summary)
    rows.append(f"<tr><td class=l>train &minus; test</td>{gaps}</tr>")
    return f"<table>{head1}{head2}{''.join(rows)}</table>"


def _attacks_section(table: dict[str, Any]) -> list[str]:
    details = table.get("details") or []
    ev = (table.get("config") or {}).get("eval", {})
    test = next((d["splits"]["test"] for d in details if "test" in d.get("splits", {})), None)
    parts = ["<h2>Attacks and certificate</h2>"]
    if test is None:
        return parts + ["<p>No test evaluation was recorded.</p>"]
    norm = "&infin;" if test["norm"] == "inf" else "2"
    parts.append(
        f"<p>Threat model: &ell;<sub>{norm}</sub> ball of radius &delta; = {test['eps']:g} intersected with [0,1]<sup>d</sup>. "
        f"Attacks that ran (per point the worst case over all of them; a witness counts only after float64 "
        f"re-verification): <b>{html.escape(', '.join(test['attacks']) or 'none (eps = 0)')}</b>; our PGD "
        f"{ev.get('steps', '?')} steps &times; {ev.get('restarts', '?')} restarts, step &delta;&middot;"
        f"{ev.get('step_size_factor', '?')}. Certified lower bound: "
        f"{html.escape(test.get('certify_method') or 'none (' + (test.get('certify_note') or 'not a ReLU MLP') + ')')}.</p>"
    )
    if test["skipped"]:
        parts.append("<div class=warn><b>Not the full suite.</b> Skipped: " + "; ".join(html.escape(s) for s in test["skipped"])
                     + ". Robust accuracies from the attack may be overestimated.</div>")
    else:
        parts.append("<p>The full suite ran (our PGD with every loss and every configured library attack).</p>")
    names = list(dict.fromkeys(k for d in details for k in d["splits"].get("test", {}).get("fooled_by", {})))
    head = "<tr><th class=l>training</th><th>seed</th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "<th>unverified</th></tr>"
    rows = "".join(
        f"<tr><td class=l>{html.escape(d['training'])}</td><td>{d['seed']}</td>"
        + "".join(f"<td>{d['splits']['test']['fooled_by'].get(n, 0)}</td>" for n in names)
        + f"<td>{d['splits']['test']['unverified']}</td></tr>"
        for d in details if "test" in d["splits"]
    )
    parts.append("<p>Test points first fooled by each attack (&ldquo;clean&rdquo;: misclassified without attack), and "
                 f"attack candidates rejected by re-verification:</p><table>{head}{rows}</table>")
    return parts


def _epochs_table(table: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td class=l>{html.escape(r['training'])}</td><td>{r['seed']}</td><td><b>{r['selected_epoch']}</b></td>"
        f"<td>{_fmt(r.get('optimistic_epoch'))}</td><td>{r['epochs_done']}</td>"
        f"<td class=l>{'yes' if r.get('interrupted') else 'no'}</td></tr>"
        for r in table["rows"]
    )
    return ("<table><tr><th class=l>training</th><th>seed</th><th>selected epoch (validation, used)</th>"
            "<th>test-selected epoch (OPTIMISTIC, not used)</th><th>epochs done</th><th class=l>interrupted</th></tr>"
            f"{rows}</table>")


def _bootstrap_text(table: dict[str, Any]) -> str:
    b = table.get("bootstrap")
    if not b:
        return "<p class=small>Ranges in parentheses: min&ndash;max over seeds.</p>"
    return (f"<p class=small>Ranges in parentheses: min&ndash;max over seeds. CI: {b['level']:.0%} percentile bootstrap "
            f"interval over test points ({b['n_bootstrap']} replicates, seed {b['seed']}): the test points are "
            "resampled with replacement, the same draw for every seed, and the seed-mean accuracy recomputed; it "
            "describes the sampling of the test set, not the variation over seeds.</p>")


def render_robust_html(table: dict[str, Any], run_dir: Path) -> str:
    """The robustness report as one HTML string (``table``: the parsed table.json)."""
    data = table.get("data") or {}
    title = f"robust train, {data.get('dataset', Path(run_dir).name)}"
    lines = robust_headline(table)
    parts = [*page_head(title, Path(run_dir))]
    if lines:
        parts.append("<div class=warn><b>Finding.</b><ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in lines) + "</ul></div>")
    if table.get("status") == "partial":
        parts.append(f"<div class=warn><b>PARTIAL RUN</b>: {html.escape(str(table.get('note')))}</div>")
    parts += [
        "<h2>Robustness: clean vs adversarial training</h2>",
        "<p>Every number is computed after training, in eval mode, on the full un-augmented sets (docs/robust.md "
        "§6.3): clean accuracy; robust accuracy as the bracket <i>certified &le; true &le; attack</i> (the attack "
        "value is an upper bound on the true robust accuracy 1 &minus; L&#770;<sup>p,&delta;</sup>, Def 2.1; the "
        "certified value a lower bound). &ldquo;train&rdquo; is the part of the training set the model was fitted "
        "on, &ldquo;val&rdquo; the validation split carved from it. The robust generalization gap is robust train "
        "&minus; robust test (attack values).</p>",
        accuracy_table(table),
        _bootstrap_text(table),
        *_attacks_section(table),
        "<h2>Checkpoint selection</h2>",
        "<p>The checkpoint reported is the one with the best accuracy on the <b>validation</b> split (adversarial "
        "training: robust accuracy under the cheap training-time attack; clean training: clean accuracy). The epoch that a choice on the test set would have taken is shown for "
        "comparison only: it is <b>OPTIMISTIC</b> (Rice et al.'s &ldquo;best&rdquo; checkpoint is test-selected) "
        "and is never used for a reported number.</p>",
        _epochs_table(table),
        "<h2>Figures</h2>",
    ]
    curves = Path(run_dir) / "curves.png"
    if curves.is_file():
        parts.append(figure_html(curves, "curves", "Robust-overfitting curves: clean (dashed) and robust (solid) accuracy "
                                 "on train/val/test per epoch, first seed of each training, validation-selected epoch "
                                 "dotted; measured with a CHEAP attack during training (the table uses the full attack)."))
    else:
        parts.append("<p>curves.png is missing from the run directory.</p>")
    parts += [
        "<h2>Resolved configuration</h2>",
        f"<pre>{html.escape(yaml.safe_dump(table.get('config') or {}, sort_keys=False))}</pre>",
        "<h2>Data</h2>",
        f"<pre>{html.escape(json.dumps(data, indent=2, default=str))}</pre>",
        "<h2>Run</h2>",
        f"<p>Status: {html.escape(str(table.get('status', 'unknown')))}; training time "
        f"{sum(r.get('train_time_s', 0.0) for r in table['rows']):.1f} s, evaluation time "
        f"{sum(r.get('eval_time_s', 0.0) for r in table['rows']):.1f} s over {len(table['rows'])} model(s).</p>",
        *page_tail(),
    ]
    return "\n".join(p for p in parts if p)


def write_robust_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report of a `robust train` run (default RUN_DIR/report.html) atomically;
    returns its path."""
    run_dir = Path(run_dir)
    table = load_robust_run(run_dir)
    out = Path(out) if out is not None else run_dir / "report.html"
    write_text_atomic(out, render_robust_html(table, run_dir))
    return out
