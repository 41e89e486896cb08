"""`uniformgap run`: run a student–teacher experiment (a preset or a YAML config), or resume one.

Thin layer over :func:`uniformgap.experiments.run_experiment` / :func:`resume_run`.
"""

from __future__ import annotations

import sys

from .._errors import InputError
from .._presets import preset_names
from ._parser import add_config_arguments, examples, print_json


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run a student-teacher experiment (preset or YAML config) on Ray or in-process",
        description=(
            "Train students on teachers for every grid point (or searched configuration, `search:`), sample size "
            "and seed; write "
            "RUN_DIR/results.parquet (+ .csv), config.yaml, run.json, teachers/, students/, "
            f"tensorboard/. Presets: {', '.join(preset_names())}."
        ),
        epilog=examples("uniformgap run quick --local --out runs/quick",
                        "uniformgap run paper-1d --set student.width=64 --set seeds=[0,1]",
                        "uniformgap run my-experiment.yaml --json",
                        "uniformgap run e1-quick --local --out runs/e1-quick",
                        "uniformgap run my-search.yaml --out runs/search",
                        "uniformgap run --resume runs/quick",
                        "uniformgap run quick --out s3://my-bucket/runs/quick"),
    )
    add_config_arguments(p)
    p.add_argument("--out", metavar="DIR|URI",
                   help="run directory or s3:// / gs:// URI (default: runs/<name>-<timestamp>)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace what a run wrote in a non-empty --out (refused otherwise)")
    p.add_argument("--local", action="store_true", help="run the trials in-process instead of on Ray")
    p.add_argument("--address", metavar="ADDR", help="join this Ray cluster (default: $RAY_ADDRESS or a local instance)")
    p.add_argument("--resume", metavar="RUN_DIR|URI", help="continue an interrupted run (finished trials are kept)")
    p.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (offline unless WANDB_MODE is set)")
    p.add_argument("--json", action="store_true", help="print one JSON object (summary, paths) instead of a table")
    p.set_defaults(func=_main)


def _main(args) -> int:
    from ..experiments import format_summary, resume_run, run_experiment

    executor = "local" if args.local else "ray"
    if args.local and args.address:
        raise InputError("`--address` joins a Ray cluster and cannot be combined with --local")
    if args.resume is not None:
        if args.config is not None or args.overrides or args.out is not None or args.overwrite:
            raise InputError(
                "`--resume` continues a run with its saved config.yaml; drop PRESET|CONFIG, --set, --out and --overwrite "
                f"(e.g. uniformgap run --resume {args.resume})"
            )
    try:
        if args.resume is not None:
            result = resume_run(args.resume, executor=executor, address=args.address, wandb=args.wandb)
        else:
            result = run_experiment(
                args.config or "quick", overrides=args.overrides, out=args.out, executor=executor,
                address=args.address, wandb=args.wandb, overwrite=args.overwrite,
            )
    except KeyboardInterrupt as exc:
        run_dir = getattr(exc, "run_dir", None)
        if run_dir is None:
            raise
        if getattr(exc, "search", False):
            print(f"uniformgap run: interrupted; a search run cannot be resumed, its table stays analysable: "
                  f"uniformgap analyze {run_dir}", file=sys.stderr)
            return 130
        local = " --local" if args.local else ""
        print(f"uniformgap run: interrupted; continue with: uniformgap run --resume {run_dir}{local}", file=sys.stderr)
        return 130
    results = f"{result.location}/results.parquet"
    if args.json:
        print_json({
            "run_dir": result.location, "results": results, "status": result.status,
            "n_trials": result.n_trials, "elapsed_s": result.elapsed_s, "errors": result.errors,
            "summary": result.summary,
        })
    else:
        print(format_summary(result.summary))
        print(f"results: {results} ({len(result.table)} rows, status {result.status}, "
              f"{result.elapsed_s:.1f} s)")
    if result.status != "complete" and "search.index" in result.table.columns:
        print(f"uniformgap run: {len(result.errors)} searched configuration(s) failed (see run.json); the table "
              f"holds the others: uniformgap analyze {result.run_dir}", file=sys.stderr)
        return 1
    if result.status != "complete":
        print(f"uniformgap run: {len(result.errors)} trial(s) did not finish; "
              f"continue with: uniformgap run --resume {result.location}", file=sys.stderr)
        return 1
    return 0
