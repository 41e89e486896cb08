"""`uniformgap analyze RUN_DIR`: the minimax table (eq. 5) with intervals, and the rates; on a robust run
(``experiment: robust``) the E1 capacity and E2 gap tables of docs/robust.md §6.4.

Thin over :func:`uniformgap.analysis.analyze`; ``--figures DIR`` also writes the figures.
"""

from __future__ import annotations

import argparse
import math
import sys

from ._parser import check_output, examples, positive_int, print_json, real, times_default

_BOOTSTRAP = 1000  # replicates: percentile intervals stable to about a percent
ALPHA = 0.1  # docs/robust.md §6.4's example threshold; one definition: analysis._robust_runs.ALPHA (tested equal)

DESCRIPTION = (
    "Estimate the minimax error of arXiv:2205.13531, eq. (5), from a run's results table: for every "
    "metric and m, mean over seeds, max over teachers (worst teacher), min over learner configurations "
    "(best learner); also the teacher mean. Bootstrap percentile intervals over teachers and seeds, "
    "log-log rate fits against the lower bound's rate m^(-1/d-1/p). Fit diagnostics: per configuration and "
    "m the median train RMSE next to the test L2 and the regime (sampling- or optimisation-limited), and "
    "where the worst student's largest error sits relative to its samples. Default selection 'validation' chooses "
    "checkpoints and configurations on the validation metric and reports the test metric; "
    "'test' is the paper's (optimistic) estimator. Sup metrics in the table (linf_exact; the bracket "
    "linf_lower/linf_upper) are analysed too, chosen by val_linf under validation selection, and "
    "compared with the sampled max linf (how much Monte Carlo underestimated the sup). "
    "A robust run (experiment: robust, docs/robust.md §6.4) gets its own tables instead: E1's W*(d), the smallest "
    "trained size with robust error <= --alpha, beside C1's exact size and the linear classifier, and E2's robust "
    "train vs test vs floor with the unseen-column fraction."
)


def _selection(text: str) -> str:
    if text not in ("validation", "test"):
        raise argparse.ArgumentTypeError(f"must be 'validation' or 'test', got {text!r}")
    return text


def add_analysis_options(p: argparse.ArgumentParser) -> None:
    """Options shared by `analyze` and `report`."""
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (results.parquet or results.csv)")
    p.add_argument("--selection", type=_selection, default="validation", metavar="{validation,test}",
                   help="how checkpoints/configurations are chosen (default: validation; test = the paper's, optimistic)")
    p.add_argument("--metrics", default=None, metavar="LIST",
                   help="comma list of metric columns (default: l1,l2,linf and linf_exact,linf_lower,linf_upper when present)")
    p.add_argument("--bootstrap", type=positive_int(0, 10**6, times_default(_BOOTSTRAP, "replicates")),
                   default=_BOOTSTRAP, metavar="N",
                   help="bootstrap replicates for the intervals (default 1000; 0: none)")
    p.add_argument("--seed", type=positive_int(0), default=0, metavar="S", help="bootstrap seed (default 0)")


def run_and_config(args):
    """The run's table and the AnalysisConfig of the options of `add_analysis_options` (a regression
    run: `analyze` and `report` answer robust runs before they get here)."""
    from ..analysis import AnalysisConfig, load_results
    from ..analysis._table import resolve_metrics

    run = load_results(args.run_dir)
    metrics = None if args.metrics is None else resolve_metrics(args.metrics, run.metrics, name="--metrics")
    config = AnalysisConfig(selection=args.selection, metrics=metrics, n_bootstrap=args.bootstrap, seed=args.seed)
    return run, config


def register(sub) -> None:
    p = sub.add_parser("analyze", help="minimax table (eq. 5) with intervals and rate fits", description=DESCRIPTION,
                       epilog=examples("uniformgap analyze runs/quick-20250101-120000",
                                       "uniformgap analyze RUN_DIR --selection test --bootstrap 0 --json",
                                       "uniformgap analyze RUN_DIR --figures RUN_DIR/figures",
                                       "uniformgap analyze runs/e1-quick --alpha 0.05 --figures runs/e1-quick/figures"))
    add_analysis_options(p)
    p.add_argument("--figures", default=None, metavar="DIR", help="also write the figures (PNG and PDF) to DIR")
    p.add_argument("--alpha", type=real(0.0), default=ALPHA, metavar="A",
                   help="robust runs (experiment: robust): W*(d) = smallest trained size with robust error <= A "
                        f"(default {ALPHA:g}, docs/robust.md §6.4); the options above are for regression runs")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _g(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def run(args) -> int:
    from .._storage import is_uri
    from ..analysis import analyze, make_figures
    from ..analysis._robust_runs import is_robust_run

    if is_robust_run(args.run_dir):
        return run_robust(args)
    run_data, config = run_and_config(args)
    where = args.run_dir if is_uri(args.run_dir) else str(run_data.run_dir)  # a URI, not its local copy
    check_output("--figures", args.figures, directory=True)
    analysis = analyze(run_data, config)
    figures = make_figures(analysis, args.figures) if args.figures else None
    if analysis.partial:
        print("uniformgap analyze: PARTIAL run: analysing the rows that exist (see notes)", file=sys.stderr)
    if args.json:
        out = {**analysis.to_dict(), "run_dir": where}
        if figures is not None:
            out["figures"] = [str(f.png) for f in figures.files] + [str(f.pdf) for f in figures.files]
            out["notes"] += list(figures.notes)
        print_json(out)
        return 0
    cfg = analysis.config
    print(f"run {where}: selection {analysis.selection}"
          f"{' (OPTIMISTIC: chosen on the test metric, the paper estimator)' if analysis.optimistic else ''}; "
          f"{cfg.n_bootstrap} bootstrap replicates, {cfg.level:.0%} percentile intervals"
          f"{'; PARTIAL run' if analysis.partial else ''}")
    _print_headline(analysis.diagnostics)  # the finding right under the run line
    print("minimax error (eq. 5): min over configurations of max (worst) / mean over teachers of the seed-mean test error")
    rows = [("metric", "m", "worst", "CI", "teacher", "configuration", "mean", "CI", "lower bound")]
    for metric in analysis.metrics:
        for m in sorted(analysis.cubes[metric]):
            w, a = analysis.entry(metric, "worst", m), analysis.entry(metric, "average", m)
            cfg_txt = w.config + ("" if w.epoch is None else f"@{w.epoch}")
            rows.append((metric, str(m), _g(w.value), f"[{_g(w.ci_low)}, {_g(w.ci_high)}]", _g(w.teacher),
                         cfg_txt, _g(a.value), f"[{_g(a.ci_low)}, {_g(a.ci_high)}]", _g(w.bound)))
    _print_rows(rows)
    if any(e.bound is not None for e in analysis.minimax):
        print(LOWER_BOUND_TEXT)
    print("rates: least-squares slope of log10 error vs log10 m; lower bound's rate: -1/d-1/p")
    rrows = [("metric", "kind", "slope", "CI", "method", "lower bound's rate")]
    rrows += [(r.metric, r.kind, _g(r.slope), f"[{_g(r.ci_low)}, {_g(r.ci_high)}]", r.ci_method, _g(r.theory_slope))
              for r in analysis.rates]
    _print_rows(rrows)
    if analysis.run.search is not None:
        _print_search(analysis.run.search, (analysis.run.config.get("search") or {}).get("metric", "val_l2"))
    if analysis.underestimate:
        _print_underestimate(analysis.underestimate)
    _print_diagnostics(analysis.diagnostics)
    notes = list(analysis.notes) + list(analysis.diagnostics.notes) + (list(figures.notes) if figures else [])
    if figures is not None:
        print(f"figures: {len(figures.files)} written to {args.figures} (PNG and PDF)")
    for note in notes:
        print(f"note: {note}")
    return 0


LOWER_BOUND_TEXT = (
    "lower bound: docs/theory.md §4's derived bound is a worst case over the WHOLE class of targets (every network "
    "with these sizes and coefficient bound): no algorithm with m samples beats it on all of them. Random "
    "teachers are a few members of the class and may sit below it; it is not a prediction for them."
)


def _print_headline(diagnostics) -> None:
    for line in diagnostics.headline:
        print(f"finding: {line}")


def _print_diagnostics(diagnostics) -> None:
    from ..analysis._diagnostics import GAP_QUANTILE, RHO_SAMPLING

    if diagnostics.fits:
        print(f"fit: median train RMSE vs median test L2 at the final checkpoints; ratio < {RHO_SAMPLING:g}: "
              "sampling-limited (students fit their samples much better than they generalise), else "
              "optimisation-limited (they do not even fit their samples)")
        rows = [("configuration", "m", "runs", "train RMSE", "test L2", "ratio", "regime")]
        rows += [(f.config, str(f.n_samples), str(f.n_runs), _g4(f.train_rmse), _g4(f.test_l2) + f" ({f.l2_metric})",
                  _g(f.ratio), f.regime) for f in diagnostics.fits]
        _print_rows(rows)
    if diagnostics.locations:
        print(f"where the worst error sits: the worst student's argmax x* of |f - g|; distance to the nearest "
              f"training sample in sample spacings h = (hi-lo) m^(-1/d); in the largest gaps = farther than "
              f"{GAP_QUANTILE:.0%} of the domain")
        rows = [("m", "student", "x*", "sup", "distance/h", f"{GAP_QUANTILE:.0%} quantile", "largest gaps",
                 "its train RMSE/test L2")]
        rows += [(str(w.n_samples), f"{w.config} teacher {w.teacher} seed {w.seed} @{w.epoch}",
                  ",".join(f"{v:.4g}" for v in w.argmax) + f" ({w.source})", _g4(w.sup), _g(w.distance),
                  _g(w.gap_quantile), "yes" if w.in_largest_gaps else "no", f"{_g(w.fit_ratio)} ({w.fit_regime})")
                 for w in diagnostics.locations]
        _print_rows(rows)


def _print_search(trajectory, metric: str) -> None:
    print(f"search trajectory: J = max over teachers of the seed mean of each run's best {metric} (validation "
          "selection), per configuration in sampling order; best so far over configurations trained to the end")
    rows = [("#", "configuration", "m", "J", "best so far", "epochs", "status")]
    rows += [(str(r.search_index), r.config_id, str(r.n_samples), _g4(r.objective), _g4(r.best_so_far),
              str(r.last_epoch), "stopped early (ASHA)" if r.stopped else "finished")
             for r in trajectory.itertuples()]
    _print_rows(rows)


def _print_underestimate(items) -> None:
    print("Monte-Carlo linf (a sampled max, a LOWER estimate) vs the exact / certified-lower sup: final "
          "checkpoints, non-diverged; rel = (sup - mc)/sup; minimax = eq. (5) worst-teacher values")
    bracket = any(u.mean_rel_upper is not None for u in items)
    head = ("sup", "m", "rows", "mc<sup", "mean rel", "max rel", "minimax mc", "minimax sup", "rel")
    rows = [head + (("rel vs upper: mean", "max", "minimax") if bracket else ())]
    for u in items:
        row = (u.metric, str(u.n_samples), str(u.n_rows), _pct(u.fraction_below), _pct(u.mean_rel),
               _pct(u.max_rel), _g4(u.minimax_mc), _g4(u.minimax_sup), _pct(u.minimax_rel))
        if bracket:
            row += (_pct(u.mean_rel_upper), _pct(u.max_rel_upper), _pct(u.minimax_rel_upper))
        rows.append(row)
    _print_rows(rows)


def _g4(x) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.4g}"


def _pct(x) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{100 * x:.3g}%"


def _print_rows(rows) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def run_robust(args) -> int:
    """A robust run (``experiment: robust``, docs/robust.md §6.4): E1's W*(d) beside C1's exact size and the
    linear classifier, E2's gap table; text or ``--json``; ``--figures``: one figure per experiment."""
    import matplotlib

    matplotlib.use("Agg")
    from ..analysis._robust_figure import robust_figures
    from ..analysis._robust_runs import analyze_robust

    check_output("--figures", args.figures, directory=True)
    a = analyze_robust(args.run_dir, alpha=args.alpha, alpha_name="--alpha")
    files = robust_figures(a, args.figures) if args.figures else []
    if a.partial:
        print("uniformgap analyze: PARTIAL run: analysing the trials that finished (see notes)", file=sys.stderr)
    if args.json:
        out = a.to_dict()
        out["figures"] = [str(f.png) for f in files] + [str(f.pdf) for f in files]
        print_json(out)
        return 0
    print(f"robust run {a.run_dir}: eps = {a.eps:g}, c = {a.c:g}, delta = c*eps = {a.c * a.eps:g}, alpha = {a.alpha:g}")
    if a.capacity:
        print(f"E1 capacity (trained on the whole support): W* = smallest trained size with robust error <= {a.alpha:g} "
              "(best seed); C1 = constructed, robust error 0, exact nnz(W)")
        rows = [("d", "M", "sizes tried", "seeds", "W* attack", "W* certified", "best err (attack)", "best err (cert)",
                 "C1 size", "linear clean", "linear robust")]
        rows += [(str(r.d), str(r.M), ",".join(map(str, r.sizes)), str(r.seeds),
                  _g(r.wstar_attack) if r.wstar_attack is not None else f"> {max(r.sizes)} (not reached)",
                  _g(r.wstar_certified) if r.wstar_certified is not None else f"> {max(r.sizes)} (not reached)",
                  _g(r.best_error_attack), _g(r.best_error_certified), _g(r.c1_size),
                  _g(r.linear_clean_error), _g(r.linear_robust_error)) for r in a.capacity]
        _print_rows(rows)
    if a.gap:
        print("E2 gap at fixed size (trained on N draws from P): robust errors, means over seeds; test = L_P on all of S")
        rows = [("d", "M", "width", "size", "N", "seeds", "train robust", "test robust", "floor", "unseen",
                 "unseen/2", "C1 size (train pts)", "C1 size (S)")]
        rows += [(str(r.d), str(r.M), str(r.width), str(r.size), str(r.n_draws), str(r.seeds),
                  _g(r.train_robust_error), _g(r.test_robust_error), _g(r.floor), _g(r.unseen_fraction),
                  _g(r.information_limit), _g(r.c1_size_train), _g(r.c1_size)) for r in a.gap]
        _print_rows(rows)
    if a.manifold:
        print(f"E3 manifold (trained on the whole support, attacked ON the manifold, Def 5.4): W*(k, d) = smallest "
              f"trained size with robust error <= {a.alpha:g} (best seed); C1 = constructed, exact nnz(W)")
        rows = [("manifold", "k", "d", "M", "sizes tried", "seeds", "W* attack", "W* certified", "width*",
                 "best err (attack)", "best err (cert)", "C1 size", "C1 on", "linear robust")]
        rows += [(r.manifold + (" rotated" if r.rotate else ""), str(r.k), str(r.d), str(r.M),
                  ",".join(map(str, r.sizes)), str(r.seeds),
                  _g(r.wstar_attack) if r.wstar_attack is not None else f"> {max(r.sizes)} (not reached)",
                  _g(r.wstar_certified) if r.wstar_certified is not None else "-",
                  _g(r.width_star) if r.width_star is not None else f"> {max(r.widths)}",
                  _g(r.best_error_attack), _g(r.best_error_certified), _g(r.c1_size), r.c1_on,
                  _g(r.linear_robust_error)) for r in a.manifold]
        _print_rows(rows)
    if files:
        print(f"figures: {len(files)} written to {args.figures} (PNG and PDF)")
    for note in a.notes:
        print(f"note: {note}")
    return 0
