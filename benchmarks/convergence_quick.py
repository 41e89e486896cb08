"""Is the `quick` preset trained, not truncated? Train it at 1× and F× its epochs and compare.

At the preset's largest m (or --m), the run is made twice, side by side (one process each), with ``student.epochs`` multiplied
by F (default 4; same initial and final learning rate, so the decay γ = (lr_final/lr)^(1/E)
is slower) and the worst-teacher L2 error of the best configuration (final checkpoint:
mean over seeds, max over teachers, min over configurations; ``experiments.summarize``)
is compared. Converged means: F× more training changes it by less than 20 %. Also
printed: the median train RMSE next to the median test L2 (do the students fit their own
samples?) and the CPU time of each run (timings on a shared machine are noisy; CPU seconds
per epoch are the number to extrapolate from).

    python benchmarks/convergence_quick.py                       # quick preset at its largest m, 1× vs 4×
    python benchmarks/convergence_quick.py --factor 4 --set student.lr=1e-3

This is a script, not a test: it prints numbers, it asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="quick", help="preset name or YAML file (default quick)")
    p.add_argument("--m", type=int, default=None, help="sample size (default: the preset's largest m)")
    p.add_argument("--factor", type=int, default=4, help="training-length multiplier F (default 4)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config overrides")
    p.add_argument("--out", default=None, help="keep the two runs here (default: a temporary directory)")
    return p.parse_args(argv)


def run_once(preset, overrides, out):
    from uniformgap.experiments import load_config, run_experiment

    config = load_config(preset, overrides)
    c0, w0 = time.process_time(), time.perf_counter()
    result = run_experiment(config, out=out, executor="local", progress=False)
    return config, result, time.process_time() - c0, time.perf_counter() - w0


def fit_line(table, l2):
    """Median over final-checkpoint students of train RMSE and of test L2, and their ratio."""
    last = table.groupby("trial_id")["epoch"].transform("max")
    final = table[(table["epoch"] == last) & ~table["diverged"]]
    rmse = float(final["train_loss"].pow(0.5).median())
    test = float(final[l2].median())
    return rmse, test


def one(preset, overrides, out, factor, E, m):
    """Run the preset at ``factor``× epochs; the numbers of one line of the comparison."""
    import torch

    torch.set_num_threads(1)
    config, result, cpu, wall = run_once(preset, overrides, out)
    table = result.table
    l2 = "l2" if "l2" in table.columns else "l2_exact"
    sup = l2.replace("l2", "linf")
    (summary,) = result.summary
    rmse, test = fit_line(table, l2)
    n_trials = table["trial_id"].nunique()
    line = (f"{factor}x: {E * factor} epochs, m = {m}: worst-teacher {l2} {summary[l2]:.4g}, sup {summary[sup]:.4g}; "
            f"median train RMSE {rmse:.4g} vs median test {l2} {test:.4g} (ratio {rmse / test:.2f}); "
            f"CPU {cpu:.1f} s, wall {wall:.1f} s, {n_trials} trial(s), CPU per trial-epoch "
            f"{cpu / (n_trials * E * factor) * 1e3:.2f} ms")
    return summary[l2], summary[sup], line


def main(argv=None) -> None:
    args = parse_args(argv)
    from concurrent.futures import ProcessPoolExecutor

    from uniformgap.experiments import load_config

    base = load_config(args.preset, args.set)
    m = args.m or max(base.n_samples)
    E = base.student.epochs
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="convergence-"))
    # the two lengths side by side, one process (one core) each
    with ProcessPoolExecutor(2) as pool:
        jobs = [pool.submit(one, args.preset, [*args.set, f"n_samples=[{m}]", f"student.epochs={E * f}"],
                            root / f"x{f}", f, E, m) for f in (1, args.factor)]
        (a, sa, line_a), (b, sb, line_b) = (j.result() for j in jobs)
    print(line_a)
    print(line_b)
    change = abs(b - a) / a
    if math.isnan(change):
        print("a run diverged: no comparison")
        return
    print(f"change of the worst-teacher L2 from 1x to {args.factor}x training: {100 * change:.1f}% "
          f"({'converged: < 20%' if change < 0.2 else 'NOT converged: >= 20%'}); "
          f"sup changed by {100 * abs(sb - sa) / sa:.1f}%")
    print(f"runs kept in {root}" if args.out else f"runs in {root} (temporary)")


if __name__ == "__main__":
    main()
