"""`uniformgap plan [PRESET|CONFIG.yaml] [--set ...] [--no-time] [--json]`: what a run would execute.

Thin over :func:`uniformgap.experiments.plan_experiment`; registration imports nothing heavy
(the preset names are read from the presets directory, not from the experiments package).
"""

from __future__ import annotations

from importlib import resources

from ._parser import print_json

_EXAMPLE = "uniformgap plan paper-1d --no-time --json"


def _preset_names() -> list[str]:
    folder = resources.files("uniformgap").joinpath("experiments", "presets")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


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
            f"Presets: {', '.join(_preset_names())}. Example: {_EXAMPLE}"
        ),
    )
    p.add_argument("config", nargs="?", default=None, metavar="PRESET|CONFIG.yaml",
                   help="a preset name or a YAML experiment file (default: quick)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key (value parsed as YAML), e.g. --set student.width=64; repeatable")
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
