"""`uniformgap plan [PRESET|CONFIG.yaml] [--set ...] [--no-time] [--json]`: what a run would execute.

Thin over :func:`uniformgap.experiments.plan_experiment`; registration imports nothing heavy
(the preset names are read from the presets directory, not from the experiments package).
"""

from __future__ import annotations

from .._presets import preset_names
from ._parser import add_config_arguments, examples, print_json

_EXAMPLE = "uniformgap plan paper-1d --no-time --json"


def register(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="list the trials a run would execute, their schedules, counts and an estimated cost",
        description=(
            "List every trial `uniformgap run` would execute for a config, with the resolved student "
            "schedule (absolute and relative batch size, epochs, evaluation epochs, learning rate and its "
            "per-epoch decay gamma), the counts (trials, students trained, gradient steps, evaluations) and "
            "an estimated cost in CPU-seconds per trial and in total, extrapolated from a few timed training "
            "steps and forward passes on this machine (seconds; --no-time skips it). Nothing is written. "
            f"Presets: {', '.join(preset_names())}."
        ),
        epilog=examples(_EXAMPLE, "uniformgap plan quick --set student.width=64"),
    )
    add_config_arguments(p)
    p.add_argument("--no-time", dest="timed", action="store_false",
                   help="skip the timed steps (no cost estimate; instant)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=_main)


def _main(args) -> int:
    from ..experiments import format_plan, load_config, plan_experiment

    config = load_config(args.config or "quick", args.overrides)
    plan = plan_experiment(config, timed=args.timed, progress=True)
    if args.json:
        print_json(plan.to_dict())
    else:
        print(format_plan(plan))
    return 0
