"""`uniformgap report RUN_DIR [--out FILE.html]`: one self-contained HTML report.

Thin over :func:`uniformgap.analysis.write_report`; prints the report's path.
"""

from __future__ import annotations

import sys

from ._analyze import add_analysis_options, run_and_config
from ._parser import examples

DESCRIPTION = (
    "Write one self-contained HTML file (figures embedded, tables, the resolved config, package "
    "versions, machine, run time, the estimator's definition and the selection rule) that reads "
    "offline. Default output RUN_DIR/report.html; figures also go to RUN_DIR/figures."
)


def register(sub) -> None:
    p = sub.add_parser("report", help="self-contained HTML report of a run", description=DESCRIPTION,
                       epilog=examples("uniformgap report runs/quick-20250101-120000",
                                       "uniformgap report RUN_DIR --out report.html --selection test"))
    add_analysis_options(p)
    p.add_argument("--out", default=None, metavar="FILE.html", help="output file (default RUN_DIR/report.html)")
    p.add_argument("--figures", default=None, metavar="DIR", help="where the PNG/PDF figures go (default RUN_DIR/figures)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import write_report

    run_data, config = run_and_config(args)
    if run_data.partial:
        print("uniformgap report: PARTIAL run: reporting the rows that exist", file=sys.stderr)
    print(write_report(run_data, args.out, config=config, figures_dir=args.figures))
    return 0
