"""Benchmark: worst-case errors you can trust versus the Monte-Carlo "L∞" (a sampled max).

Part 1 (d = 1): for trained students f against their teachers g, the exact sup |f − g|
(breakpoint enumeration) versus the max over 2^24 uniform points (the paper's protocol,
arXiv:2205.13531): time of each, and how often and by how much Monte Carlo underestimates.
Students come from a `uniformgap run` directory (--run-dir, via uniformgap.experiments) or,
without one, are trained here against random 5×32 teachers with a plain torch loop.

Part 2 (d = 2, 3): time to a 1 % certified bracket for random depth-4/5, width-16/32 pairs.

    python benchmarks/bench_sup.py --quick          # < 1 min: 4 students, 2^20 MC points
    python benchmarks/bench_sup.py                  # 12 students, 2^24 MC points, 60 s budgets
    python benchmarks/bench_sup.py --run-dir runs/quick

This is a script, not a test: it prints numbers, it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: finishes in under a minute")
    p.add_argument("--run-dir", help="a `uniformgap run` result directory with saved students and teachers")
    p.add_argument("--students", type=int, help="students to train/audit (default 4 quick, 12 full)")
    p.add_argument("--mc-log2", type=int, help="log2 of the Monte-Carlo points (default 20 quick, 24 full)")
    p.add_argument("--budget-s", type=float, help="time budget per bracket (default 10 quick, 60 full)")
    # One thread per process: the timings are then comparable on shared machines.
    p.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (default 1)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    args.domain = (-0.5, 0.5)  # the experiments' cube; a run directory's config overrides it
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # must precede the numpy import to take effect
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from uniformgap.metrics import sup_error_bracket, sup_error_exact_1d  # noqa: E402
from uniformgap.networks import ReLUNetwork  # noqa: E402


def random_net(arch, gen: torch.Generator) -> ReLUNetwork:
    """He-like initialisation with biases: a generic CPWL function with many breakpoints."""
    return ReLUNetwork(
        [
            (torch.randn(o, i, generator=gen, dtype=torch.float64) * (2.0 / i) ** 0.5, 0.3 * torch.randn(o, generator=gen, dtype=torch.float64))
            for i, o in zip(arch[:-1], arch[1:])
        ]
    )


def train_student(teacher: ReLUNetwork, m: int, steps: int, gen: torch.Generator) -> ReLUNetwork:
    """Full-batch Adam on m uniform samples in [-1/2, 1/2] (float64), a 3×32 student."""
    x = torch.rand(m, 1, generator=gen, dtype=torch.float64) - 0.5
    with torch.no_grad():
        y = teacher(x)
    student = random_net([1, 32, 32, 32, 1], gen)
    opt = torch.optim.Adam(student.parameters(), lr=3e-3)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((student(x) - y) ** 2)
        loss.backward()
        opt.step()
    return student


def pairs_1d(args, n: int):
    """(student, teacher, label) pairs: from a run directory or trained here."""
    if args.run_dir:
        try:
            from uniformgap.experiments import load_run, load_trained
        except ImportError:
            sys.exit("bench_sup: --run-dir needs uniformgap.experiments.load_run/load_trained (not available yet)")
        table, config = load_run(args.run_dir)
        args.domain = config.bounds
        table = table[table["learner"] == "gd"]  # trained networks (grid/poly are baselines)
        last = table[table["epoch"] == table.groupby("trial_id")["epoch"].transform("max")]
        used = 0
        for _, row in last.iterrows():
            if used >= n:
                break
            target, student, _, _ = load_trained(args.run_dir, row)
            teacher = getattr(target, "network", None)  # exact 1-D needs a network teacher
            if isinstance(teacher, ReLUNetwork) and isinstance(student, ReLUNetwork) and teacher.input_dim == 1:
                used += 1
                yield student, teacher, f"{row['trial_id']} t{row['teacher']} s{row['seed']}"[:22]
        if used == 0:
            sys.exit(f"bench_sup: no trained 1-D student with a network teacher in {args.run_dir}")
        return
    gen = torch.Generator().manual_seed(args.seed)
    steps = 300 if args.quick else 2000
    for k in range(n):
        teacher = random_net([1, 32, 32, 32, 32, 32, 1], gen)  # 5×32 teacher
        yield train_student(teacher, m=64 * 2 ** (k % 4), steps=steps, gen=gen), teacher, f"student {k} (m={64 * 2 ** (k % 4)})"


def mc_max(f, g, log2_points: int, seed: int, domain=(-0.5, 0.5)) -> float:
    """max |f − g| over 2^log2_points uniform points of [lo, hi] (chunked, float64)."""
    gen = torch.Generator().manual_seed(seed)
    lo, hi = domain
    best, chunk = 0.0, 1 << 16  # small chunks: activations stay in cache
    with torch.no_grad():
        for _ in range(max(1, (1 << log2_points) // chunk)):
            x = lo + (hi - lo) * torch.rand(min(chunk, 1 << log2_points), 1, generator=gen, dtype=torch.float64)
            best = max(best, float((f(x) - g(x)).abs().max()))
    return best


def part_1d(args):
    n = args.students or (4 if args.quick else 12)
    log2 = args.mc_log2 or (20 if args.quick else 24)
    print(f"\n[1] d = 1: exact sup |f - g| vs Monte-Carlo max over 2^{log2} points")
    print(f"{'pair':<22} {'exact':>12} {'t_exact s':>10} {'MC max':>12} {'t_MC s':>8} {'MC under %':>11}")
    rows = []
    for student, teacher, label in pairs_1d(args, n):
        t0 = time.perf_counter()
        ex = sup_error_exact_1d(student, teacher, args.domain)
        t_ex = time.perf_counter() - t0
        t0 = time.perf_counter()
        mc = mc_max(student, teacher, log2, args.seed, args.domain)
        t_mc = time.perf_counter() - t0
        under = (ex.value - mc) / ex.value if ex.value > 0 else 0.0
        rows.append((ex.value, t_ex, mc, t_mc, under))
        print(f"{label:<22} {ex.value:12.6g} {t_ex:10.4f} {mc:12.6g} {t_mc:8.2f} {100 * under:11.3g}")
    a = np.array(rows)
    if len(a):
        strict = a[:, 4] > 1e-12
        print(
            f"summary: MC underestimated in {strict.sum()}/{len(a)} pairs; relative underestimate "
            f"median {100 * np.median(a[:, 4]):.3g} %, max {100 * a[:, 4].max():.3g} %; "
            f"median time exact {np.median(a[:, 1]):.4f} s vs MC {np.median(a[:, 3]):.2f} s "
            f"({np.median(a[:, 3]) / max(np.median(a[:, 1]), 1e-9):.0f}x)"
        )


def part_bracket(args):
    budget = args.budget_s or (10.0 if args.quick else 60.0)
    # (d, L, width, perturbed): "perturbed" pairs g = f + 1 % noise mimic a student close to its
    # teacher — a small sup error spread over the cube, the hard case for branch and bound
    configs = [(d, L, w, False) for d in (2, 3) for (L, w) in ((4, 16), (5, 32))]
    configs += [(2, 4, 16, True)] if args.quick else [(d, 4, 32, True) for d in (2, 3)]
    print(f"\n[2] d >= 2: time to a 1 % certified bracket (budget {budget:g} s), random pairs (p: g = f + 1 % noise)")
    print(f"{'d':>2} {'arch':>10} {'lower':>12} {'upper':>12} {'gap %':>7} {'reached':>8} {'boxes':>8} {'time s':>8} {'MC under %':>11}")
    gen = torch.Generator().manual_seed(args.seed + 1)
    for d, L, w, perturbed in configs:
        arch = [d] + [w] * (L - 1) + [1]  # L affine layers
        f, g = random_net(arch, gen), random_net(arch, gen)
        if perturbed:
            g = ReLUNetwork([(A + 0.01 * C, b + 0.01 * e) for (A, b), (C, e) in zip(f.layers, g.layers)])
        b = sup_error_bracket(f, g, (-0.5, 0.5), tol=0.01, budget_s=budget, seed=args.seed)
        under = (b.lower - b.mc_max) / b.lower if b.lower > 0 else 0.0
        print(
            f"{d:>2} {f'{L}x{w}' + ('p' if perturbed else ''):>10} {b.lower:12.6g} {b.upper:12.6g} {100 * b.rel_gap:7.3g} "
            f"{str(b.tol_reached):>8} {b.boxes_processed:>8} {b.time_s:8.2f} {100 * under:11.3g}"
        )


def main(args) -> None:
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    part_1d(args)
    part_bracket(args)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(ARGS)
