"""`uniformgap robust ...`: robust generalization (Li et al., NeurIPS 2022; docs/robust.md).

Each nested subcommand lives in its own module ``cli/_robust_<name>.py`` exposing
``register(subparsers)``, like the top-level subcommands. Registration imports nothing
heavy: each module imports its API inside the function that runs the command.
"""

from __future__ import annotations

from ._parser import OneLineParser, examples

# The order here is the order in `uniformgap robust --help`.
_NESTED: tuple[str, ...] = ("separation", "classify", "construct", "sizes")


def register(sub) -> None:
    import importlib

    p = sub.add_parser(
        "robust",
        help="robust generalization: data separation, robust classifiers, constructions, adversarial training",
        description=(
            "Why robust generalization in deep learning is difficult (Li et al., NeurIPS 2022): "
            "separation statistics, the robust classifier, the O(Nd) and exp(d) constructions, "
            "adversarial training with honest evaluation. See docs/robust.md."
        ),
        epilog=examples("uniformgap robust --help"),
    )
    nested = p.add_subparsers(dest="robust_command", metavar="COMMAND", parser_class=OneLineParser)
    for name in _NESTED:
        importlib.import_module(f"._robust_{name}", __package__).register(nested)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
