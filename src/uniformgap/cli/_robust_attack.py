"""`uniformgap robust attack`: re-attack a saved classifier (network JSON) with the evaluation suite.

docs/robust.md §6.3: anyone can check a reported robust accuracy — our PGD (restarts, cross-entropy
and margin losses), AutoAttack / torchattacks where installed, witnesses re-verified in float64, and
the certified lower bound, as the bracket certified <= true <= attack. The API is imported where
the command runs.
"""

from __future__ import annotations

from ._parser import number_list, positive_int, print_json, real

_EXAMPLE = "uniformgap robust attack runs/robust-quick/adversarial/seed0.json mnist-5k --eps 0.1"


def register(sub) -> None:
    p = sub.add_parser(
        "attack",
        help="re-attack a saved classifier: certified <= true <= attack robust accuracy",
        description=(
            "Evaluate a classifier saved in the network JSON format (e.g. by 'uniformgap robust train') on DATA: "
            "clean accuracy and robust accuracy as a bracket certified <= true <= attack (docs/robust.md §6.3). "
            f"Example: {_EXAMPLE} --steps 100 --restarts 10"
        ),
    )
    p.add_argument("model", metavar="MODEL", help="classifier in the network JSON format (C outputs; an MLP, or a CNN "
                   "saved by 'robust train' as its sparse ReLU network)")
    p.add_argument("data", metavar="DATA", help="dataset name or .npz path (as for 'robust train')")
    p.add_argument("--eps", type=real(0), required=True, help="radius delta (>= 0)")
    p.add_argument("--norm", default="inf", help="inf (default) or 2")
    p.add_argument("--split", choices=("test", "train"), default="test", help="which split to attack (default test; "
                   "'train' is the whole training set, validation part included)")
    p.add_argument("--classes", type=number_list(int), help="the class ids the model was trained on, e.g. 3,8")
    p.add_argument("--steps", type=positive_int(1), default=50, help="PGD steps (default 50)")
    p.add_argument("--restarts", type=positive_int(1), default=5, help="PGD restarts per loss (default 5)")
    p.add_argument("--no-library", action="store_true", help="skip the AutoAttack/torchattacks suite")
    p.add_argument("--seed", type=positive_int(0), default=0, help="attack seed (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    import torch

    from .._errors import InputError
    from ..networks import load_network
    from ..robust import EvalConfig, evaluate_split, load_dataset
    from ..robust._adversarial import check_norm
    from ..robust._evaluate import certifiable_network

    norm = check_norm(args.norm)
    net, meta = load_network(args.model, dtype=torch.float32)  # trained in float32: exact
    # a small sparse network (a CNN saved by `robust train`): the same function densified in float64, as the
    # training run's own evaluation certifies it; attacked and certified in that form
    dense, _ = certifiable_network(net)
    net = dense if dense is not None else net
    data = load_dataset(args.data)
    if args.classes is not None:
        data = data.select(args.classes)
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_train, data.y_train)
    C = net.architecture[-1]
    if net.input_dim != data.d or C < len(data.class_names):
        raise InputError(
            f"`model` must map d = {data.d} inputs to C = {len(data.class_names)} outputs for {data.name}, "
            f"got architecture {'-'.join(map(str, net.architecture))} (e.g. {_EXAMPLE})"
        )
    config = EvalConfig(steps=args.steps, restarts=args.restarts, **({"library": ()} if args.no_library else {}))
    from tqdm.auto import tqdm

    with tqdm(total=len(x) * 5, desc="attacking", unit="pt", leave=False) as bar:
        ev = evaluate_split(net, x, y, eps=args.eps, norm=norm, config=config, n_classes=C, seed=args.seed,
                            split=args.split, progress=bar)
    out = {**ev.to_dict(), "model": args.model, "data": data.name,
           "reported_eps": meta.get("eps"), "reported_norm": meta.get("norm")}
    if args.json:
        print_json(out)
        return 0
    cert = f"n/a: {ev.certify_note}" if ev.certified_accuracy is None else f"{ev.certified_accuracy:.3f}"
    print(f"{args.model} on {data.name} {args.split} ({ev.n} points), l{'-inf' if norm == 'inf' else '2'} eps = {args.eps:g}")
    print(f"  clean accuracy {ev.clean:.3f}; robust accuracy [certified, attack] = [{cert}, {ev.robust:.3f}]")
    print(f"  points first fooled by: {', '.join(f'{k} {v}' for k, v in ev.fooled_by.items())}")
    if not ev.full_suite:
        print(f"  attack: NOT the full suite ({'; '.join(f'{a}: {r}' for a, r in ev.skipped)})")
    return 0
