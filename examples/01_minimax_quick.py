"""Bounds → experiment → analysis with the Python API: the paper's question in one script.

"How does the best learner's worst-case error fall with the number of samples m, in L1,
L2 and L∞, and how does that compare with the theory?" (arXiv:2205.13531, Section 3.)

    python examples/01_minimax_quick.py            # the `quick` preset (a few minutes, 2 CPUs)
    python examples/01_minimax_quick.py --tiny     # seconds: 2 teachers, m in {10, 100}, 20 epochs
    UNIFORMGAP_TINY=1 python examples/01_minimax_quick.py

Writes RUN_DIR (default runs/example-quick) with the results table, figures and report.html.
"""

from __future__ import annotations

import argparse
import math
import os

from uniformgap.analysis import analyze, write_report
from uniformgap.experiments import load_config, run_experiment
from uniformgap.theory import NetworkClass, derived_lower_log10_samples

# The tiny configuration: the same pipeline at a size a test can afford.
TINY = [
    "target.n=2", "n_samples=[10,100]", "seeds=[0,1]", "student.epochs=20",
    "evaluation.val_points=1024", "grid.student.width=[8,16]",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", default=os.environ.get("UNIFORMGAP_TINY") == "1")
    parser.add_argument("--out", default="runs/example-quick", help="run directory (must not hold a run)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    args = parser.parse_args()
    overrides = TINY if args.tiny else []

    # 1. Bounds: the teachers U(-a, a) of the preset lie in H^inf_{a, c=a}; how many samples
    #    does ANY algorithm need for accuracy eps on that class (THEORY.md §4)?
    t = load_config("quick", overrides).target
    cls = NetworkClass.create(t.d, t.depth, t.width, c=t.a)
    for eps in (1e-1, 1e-2, 1e-3):
        linf = derived_lower_log10_samples(cls, eps, p=math.inf)
        l2 = derived_lower_log10_samples(cls, eps, p=2.0)
        print(f"bounds: eps={eps:g}: any algorithm needs m >= 10^{linf:.1f} (L-inf) / 10^{l2:.1f} (L2) samples")

    # 2. Experiment: student-teacher training (Ray, or in-process with executor="local").
    result = run_experiment("quick", overrides=overrides, out=args.out, executor=args.executor, progress=False)
    print(f"experiment: {result.status}, {len(result.table)} rows in {result.run_dir}")

    # 3. Analysis: eq. (5) with honest (validation) selection, bootstrap intervals, rates.
    analysis = analyze(result.run_dir, n_bootstrap=200 if args.tiny else 1000)
    for line in analysis.diagnostics.headline:  # why the uniform error is what it is (fit regime, location)
        print(f"finding: {line}")
    m = max(analysis.cubes[analysis.metrics[0]])
    for metric in analysis.metrics:
        e = analysis.entry(metric, "worst", m)
        print(f"analysis: m={m} {metric:4s} worst-teacher error {e.value:.3g} "
              f"[{e.ci_low:.3g}, {e.ci_high:.3g}] ({e.config}, teacher {e.teacher})")
    for r in analysis.rates:
        if r.kind == "worst":
            print(f"analysis: {r.metric:4s} fitted slope {r.slope:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}], "
                  f"lower bound's rate {r.theory_slope:.2f}")
    print(f"report: {write_report(analysis.run, config=analysis.config)}")


if __name__ == "__main__":
    main()
