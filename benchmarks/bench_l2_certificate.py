"""ℓ2 certificates: CROWN on the bounding box alone vs box ∩ ℓ2 ball (metrics/_bounds_prop.margin_bounds).

For norm 2, the certified side of the bracket (docs/robust.md §6.3) used the ℓ∞ box around the ℓ2 ball;
now every linear bound is also minimised over the ball itself (a·x0 − ε‖a‖₂, CROWN Thm 3.2), the larger
of the two lower bounds kept (two passes). Side by side in one process on the same model and points:
certified accuracy and wall time of each, and their ratios.

    python benchmarks/bench_l2_certificate.py                     # trains a quick model (~30 s on 2 cores)
    python benchmarks/bench_l2_certificate.py --model runs/l2/adversarial/seed0.json --eps 1.0
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from uniformgap.metrics._bounds_prop import margin_bounds
from uniformgap.networks import load_network
from uniformgap.robust import PGDConfig, TrainConfig, load_dataset, train_classifier


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="a saved classifier (network JSON); default: train a quick l2 model")
    p.add_argument("--data", default="mnist-5k")
    p.add_argument("--eps", type=float, default=1.0)
    p.add_argument("--method", default="auto")
    p.add_argument("--points", type=int, default=1000)
    args = p.parse_args()
    torch.set_num_threads(1)
    data = load_dataset(args.data)
    if args.model:
        net, _ = load_network(args.model)
    else:
        cfg = TrainConfig(widths=(64, 64), epochs=3, attack=PGDConfig(norm="2", eps=args.eps), device="cpu")
        net = train_classifier(data.x_train, data.y_train, cfg, seed=0, n_classes=len(data.class_names)).model
    x, y = data.x_test[: args.points].astype(np.float64), data.y_test[: args.points]
    lo, hi = np.clip(x - args.eps, 0, 1), np.clip(x + args.eps, 0, 1)
    out = {}
    for name, ball in (("box", None), ("box ∩ ball", (x, args.eps)), ("box (again)", None)):
        start = time.perf_counter()
        lb = margin_bounds(net, lo, hi, y, method=args.method, ball=ball)
        out[name] = {"certified": float(np.mean(lb > 0)), "mean_lower_bound": float(lb.mean()),
                     "seconds": time.perf_counter() - start}
    box_s = 0.5 * (out["box"]["seconds"] + out["box (again)"]["seconds"])
    out["time_ratio_ball_over_box"] = out["box ∩ ball"]["seconds"] / box_s
    print(json.dumps({"data": args.data, "eps": args.eps, "points": len(y), "architecture": net.architecture, **out}, indent=2))


if __name__ == "__main__":
    main()
