"""`uniformgap report RUN_DIR [--out FILE.html]`: one self-contained HTML report.

Thin over :func:`uniformgap.analysis.write_report` (a student–teacher run of `uniformgap run`),
:func:`uniformgap.analysis.write_robust_run_report` (a robust experiment run, ``experiment: robust``)
and :func:`uniformgap.analysis.write_robust_report` (a `uniformgap robust train` directory);
the kind of run directory is detected; prints the report's path.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._analyze import ALPHA, add_analysis_options, run_and_config
from ._parser import check_output, examples, real

DESCRIPTION = (
    "Write one self-contained HTML file (figures embedded, tables, the resolved config, package "
    "versions, machine, run time, the estimator's definition and the selection rule) that reads "
    "offline. Default output RUN_DIR/report.html; figures also go to RUN_DIR/figures. On a "
    "`robust train` directory: the finding in words, clean/robust x train/test with certified brackets "
    "for clean and adversarial training side by side, bootstrap intervals, the attacks, the selected "
    "epochs and the robust-overfitting curves (--selection/--metrics/--bootstrap/--seed/--figures are "
    "for student-teacher runs only). On a robust experiment run (experiment: robust, e1-quick/e2-quick): "
    "the finding in words, E1's W*(d) (smallest trained size with robust error <= --alpha, by attack and by "
    "certificate) beside C1's exact size, the rates and the linear classifier, E2's robust train vs test vs "
    "floor with the unseen-column fraction, and the figures (--selection/--metrics/--bootstrap/--seed do not "
    "apply). For a run at a "
    "URI (s3://, gs://) these defaults are uploaded next to the run."
)


def register(sub) -> None:
    p = sub.add_parser("report", help="self-contained HTML report of a run", description=DESCRIPTION,
                       epilog=examples("uniformgap report runs/quick-20250101-120000",
                                       "uniformgap report RUN_DIR --out report.html --selection test",
                                       "uniformgap report runs/robust-quick",
                                       "uniformgap report runs/e1-quick --alpha 0.05"))
    add_analysis_options(p)
    p.add_argument("--out", default=None, metavar="FILE.html", help="output file (default RUN_DIR/report.html)")
    p.add_argument("--figures", default=None, metavar="DIR", help="where the PNG/PDF figures go (default RUN_DIR/figures)")
    p.add_argument("--alpha", type=real(0.0), default=ALPHA, metavar="A",
                   help="robust experiment runs: W*(d) = smallest trained size with robust error <= A "
                        f"(default {ALPHA:g}, docs/robust.md §6.4)")
    p.set_defaults(func=run)


# The files of RUN_DIR that `report` reads: never written over.
_INPUTS = ("results.parquet", "results.csv", "config.yaml", "run.json")


def run(args) -> int:
    from .._storage import is_uri
    from ..analysis._robust_report import run_kind
    from ..analysis._robust_runs import is_robust_run

    if is_robust_run(args.run_dir):
        return _robust_experiment(args)
    if not is_uri(args.run_dir) and run_kind(args.run_dir) == "robust":  # a URI holds `uniformgap run` runs
        return _robust(args)
    from ..analysis import write_report

    run_data, config = run_and_config(args)
    out = Path(args.out) if args.out is not None else run_data.run_dir / "report.html"
    check_output("--out", out, suffixes=(".html", ".htm"), inputs=tuple(run_data.run_dir / n for n in _INPUTS))
    check_output("--figures", args.figures if args.figures else run_data.run_dir / "figures", directory=True)
    if run_data.partial:
        print("uniformgap report: PARTIAL run: reporting the rows that exist", file=sys.stderr)
    path = write_report(run_data, args.out, config=config, figures_dir=args.figures)
    print(_upload_defaults(args, run_data.run_dir) or path)
    return 0


def _robust(args) -> int:
    from .._errors import InputError
    from ..analysis._robust_report import ROBUST_FILES, load_robust_run, write_robust_report

    run_dir = Path(args.run_dir)
    for flag, value in (("--metrics", args.metrics), ("--figures", args.figures)):
        if value is not None:
            raise InputError(f"`{flag}` applies to student-teacher runs only, got {value!r} for the robust run "
                             f"'{run_dir}' (e.g. uniformgap report {run_dir})")
    out = Path(args.out) if args.out is not None else run_dir / "report.html"
    check_output("--out", out, suffixes=(".html", ".htm"), inputs=tuple(run_dir / n for n in ROBUST_FILES))
    table = load_robust_run(run_dir)
    if table.get("status") == "partial":
        print("uniformgap report: PARTIAL robust run: reporting the models that exist", file=sys.stderr)
    print(write_robust_report(run_dir, out))
    return 0


def _robust_experiment(args) -> int:
    """A robust experiment run (``experiment: robust``): E1/E2 report, figures to RUN_DIR/figures."""
    import matplotlib

    matplotlib.use("Agg")
    from .._errors import InputError
    from ..analysis import write_robust_run_report

    run_dir = Path(args.run_dir)
    if args.metrics is not None:
        raise InputError(f"`--metrics` applies to student-teacher runs only, got {args.metrics!r} for the robust run "
                         f"'{run_dir}' (e.g. uniformgap report {run_dir})")
    out = Path(args.out) if args.out is not None else run_dir / "report.html"
    figures = Path(args.figures) if args.figures is not None else run_dir / "figures"
    check_output("--out", out, suffixes=(".html", ".htm"), inputs=tuple(run_dir / n for n in _INPUTS))
    check_output("--figures", figures, directory=True)
    path = write_robust_run_report(run_dir, out, alpha=args.alpha, figures_dir=figures, alpha_name="--alpha")
    if _status(run_dir) != "complete":
        print("uniformgap report: PARTIAL robust run: reporting the trials that finished", file=sys.stderr)
    print(path)
    return 0


def _status(run_dir: Path) -> str | None:
    """run.json's status (None when unreadable)."""
    import json

    try:
        return json.loads((run_dir / "run.json").read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def _upload_defaults(args, local: Path) -> str | None:
    """For a run at a URI: upload the report and figures written to their default places (the run's
    local copy) next to the run; returns the report's URI (None for a local run or --out FILE)."""
    from .._storage import RunStore, is_uri

    if not is_uri(args.run_dir):
        return None
    store = RunStore.connect(args.run_dir)
    if args.figures is None and (local / "figures").is_dir():
        store.put(local, "figures")
    if args.out is not None:
        return None
    store.put(local, "report.html")
    return f"{args.run_dir.split('?')[0].rstrip('/')}/report.html"
