"""`uniformgap analyze RUN_DIR` on a robust run (``experiment: robust``, docs/robust.md §6.4): E1's
W*(d) beside C1's exact size and the linear classifier, E2's gap table; text or ``--json``."""

from __future__ import annotations

import math
import sys

from ._parser import check_output, print_json


def _g(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _print_rows(rows) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def run_robust(args) -> int:
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
    if files:
        print(f"figures: {len(files)} written to {args.figures} (PNG and PDF)")
    for note in a.notes:
        print(f"note: {note}")
    return 0
