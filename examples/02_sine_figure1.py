"""Figure 1 of arXiv:2205.13531 with the Python API: a trained student matches
u(x) = log(sin(50x) + 2) + sin(5x) well on average but misses it somewhere.

    python examples/02_sine_figure1.py             # the sine-1d preset (long: 5000 epochs, depth 22)
    python examples/02_sine_figure1.py --tiny      # seconds: m = 200, a small student, 40 epochs
    UNIFORMGAP_TINY=1 python examples/02_sine_figure1.py

Writes RUN_DIR (default runs/example-sine) and RUN_DIR/figures/fig1_sine.png/.pdf.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from uniformgap.analysis import analyze, make_figures
from uniformgap.experiments import run_experiment

TINY = [
    "n_samples=[200]", "seeds=[0]", "student.depth=4", "student.width=16", "student.epochs=40",
    "student.lr=0.003", "evaluation.test_points=16384", "evaluation.val_points=4096", "evaluation.checkpoints=2",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", default=os.environ.get("UNIFORMGAP_TINY") == "1")
    parser.add_argument("--out", default="runs/example-sine", help="run directory (must not hold a run)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    args = parser.parse_args()

    result = run_experiment("sine-1d", overrides=TINY if args.tiny else [], out=args.out,
                            executor=args.executor, progress=False)
    analysis = analyze(result.run_dir, metrics=("l2", "linf"), n_bootstrap=0)
    m = max(analysis.cubes["linf"])
    l2, linf = analysis.entry("l2", "worst", m), analysis.entry("linf", "worst", m)
    print(f"sine, m={m}: L2 error {l2.value:.3g}, sampled L-inf error {linf.value:.3g} "
          f"(ratio {linf.value / l2.value:.1f})")
    figures = make_figures(analysis, Path(result.run_dir) / "figures")
    for note in figures.notes:
        print(f"note: {note}")
    (fig1,) = [f for f in figures.files if f.name == "fig1_sine"]
    print(f"figure 1: {fig1.png} (largest error at x = {fig1.data['x_max']:.3f})")


if __name__ == "__main__":
    main()
