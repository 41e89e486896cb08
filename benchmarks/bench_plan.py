"""How good is `uniformgap plan`'s cost extrapolation? Estimate vs measured CPU time, side by side.

For a few small configurations (different widths, batch sizes, epochs) this script asks
``plan_experiment`` for its estimate, then runs the same experiment in-process (executor "local",
one thread per trial, as planned) and measures the process CPU time of each trial. It prints
estimate / measured per configuration: the ratio is what a user should expect from the estimate
(the estimate times a few steps on random data; the run also writes files and builds targets).

    python benchmarks/bench_plan.py            # ~1-2 min on 2 CPU cores
    python benchmarks/bench_plan.py --quick    # two cases, < 1 min
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from uniformgap.experiments import load_config, plan_experiment, run_experiment

BASE = {
    "name": "bench-plan",
    "target": {"kind": "teacher", "d": 1, "n": 4, "width": 32},
    "n_samples": [200],
    "seeds": [0, 1],
    "student": {"depth": 5, "lr": 1e-3, "lr_final": 1e-5},
    "evaluation": {"checkpoints": 2, "test_points": 2**16, "val_points": 2**12, "save_students": "none"},
    "execution": {"cpus_per_trial": 1},
}
CASES = [
    ("width 32, B = 0.02 m, 200 epochs", {"student": {"width": 32, "batch_size": 0.02, "epochs": 200}}),
    ("width 32, B = 100, 400 epochs", {"student": {"width": 32, "batch_size": 100, "epochs": 400}}),
    ("width 256, B = 0.2 m, 100 epochs", {"student": {"width": 256, "batch_size": 0.2, "epochs": 100}}),
    ("width 256, B = 0.02 m, 20 epochs", {"student": {"width": 256, "batch_size": 0.02, "epochs": 20}}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two cases only (< 1 min)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'case':<36} {'estimate CPU-s':>15} {'measured CPU-s':>15} {'estimate/measured':>18}")
    for label, change in CASES[:2] if args.quick else CASES:
        raw = {**BASE, "student": {**BASE["student"], **change["student"]}}
        config = load_config(raw)
        estimate = plan_experiment(config, timed=True).cpu_s
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.process_time()
            run_experiment(config, out=f"{tmp}/run", executor="local", progress=False)
            measured = time.process_time() - t0
        print(f"{label:<36} {estimate:>15.3g} {measured:>15.3g} {estimate / measured:>18.2f}")


if __name__ == "__main__":
    main()
