"""Evaluation throughput and memory of the Monte-Carlo metrics (uniformgap.metrics.mc_errors).

Compares, interleaved on the same machine load:

- batched: ``mc_errors(StackedReLU, teacher, ...)`` — points drawn once per chunk, shared by all K
  students, the teacher evaluated once per point, students and teacher in cache-sized chunks;
- plain:   the conventional per-model loop — for each student, 131072-point batches: draw points,
  evaluate teacher and student (nn.Sequential), accumulate |e|, e², max|e|.

Throughput is model-points/s = K · n_points / seconds. Peak RSS of one 2^24-point evaluation is
measured with ``resource.getrusage`` in a fresh subprocess (so nothing else is counted).

    python benchmarks/bench_eval.py            # full (~5 minutes on a shared 2-core CPU)
    python benchmarks/bench_eval.py --quick    # < 1 min
"""

from __future__ import annotations

import argparse
import os
import json
import math
import resource
import statistics
import subprocess
import sys
import time

import torch

from uniformgap.learners._gradient import init_student
from uniformgap.metrics import mc_errors
from uniformgap.networks import ReLUNetwork, StackedReLU

DOMAIN = (-0.5, 0.5)
PLAIN_BATCH = 131072


def build(K: int, d: int, width: int, depth: int, seed: int = 0) -> tuple[StackedReLU, list[ReLUNetwork], ReLUNetwork]:
    arch = (d, *([width] * (depth - 1)), 1)
    g = torch.Generator().manual_seed(seed)
    nets = [ReLUNetwork(init_student(arch, g, torch.float64)) for _ in range(K)]
    teacher = ReLUNetwork(init_student(arch, g, torch.float64))
    for net in (*nets, teacher):
        net.requires_grad_(False)
    return StackedReLU.from_networks(nets), nets, teacher


def batched(stack: StackedReLU, teacher: ReLUNetwork, d: int, n_points: int, seed: int) -> dict:
    t_stack = StackedReLU.from_networks([teacher])  # the teacher also in cache-sized chunks, as in experiments
    return mc_errors(stack, lambda x: t_stack(x)[0], d=d, domain=DOMAIN, n_points=n_points,
                     generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def plain(nets: list[ReLUNetwork], teacher: ReLUNetwork, d: int, n_points: int, seed: int) -> dict:
    lo, hi = DOMAIN
    out = {"l1": [], "l2": [], "linf": []}
    for k, net in enumerate(nets):
        g = torch.Generator().manual_seed(seed + k)
        s1 = s2 = 0.0
        mx = -math.inf
        for start in range(0, n_points, PLAIN_BATCH):
            n = min(PLAIN_BATCH, n_points - start)
            x = lo + (hi - lo) * torch.rand(n, d, generator=g, dtype=torch.float64)
            e = net(x).squeeze(-1) - teacher(x).squeeze(-1)
            s1 += float(e.abs().sum())
            s2 += float(e.square().sum())
            mx = max(mx, float(e.abs().max()))
        out["l1"].append(s1 / n_points)
        out["l2"].append(math.sqrt(s2 / n_points))
        out["linf"].append(mx)
    return out


def rss_child(K: int, d: int, width: int, depth: int, n_points: int) -> None:
    """Run in a subprocess: one n_points evaluation; print peak RSS (bytes) and wall time as JSON."""
    stack, _, teacher = build(K, d, width, depth)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    t0 = time.perf_counter()
    batched(stack, teacher, d, n_points, seed=1)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"peak_rss": peak, "rss_before": before, "seconds": seconds}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: finishes in < 1 min")
    ap.add_argument("--K", type=int, default=None, help="students (default 40; quick 8)")
    ap.add_argument("--d", type=int, default=1)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--n-points", type=int, default=None, help="points per throughput run (default 2^18; quick 2^17)")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved repeats, median (default 3; quick 1)")
    ap.add_argument("--rss-points", type=int, default=None, help="points of the peak-RSS run (default 2^24; quick 2^22)")
    ap.add_argument("--rss-K", type=int, default=None, help="students in the peak-RSS run (default 4; quick 1)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch CPU threads (default: all cores; use 1 on a machine shared with other jobs, where OpenMP threads spin)")
    ap.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    K = args.K or (8 if args.quick else 40)
    rss_K = args.rss_K or (1 if args.quick else 4)
    args.rss_points = args.rss_points or (2**22 if args.quick else 2**24)
    if args.rss_child:
        rss_child(rss_K, args.d, args.width, args.depth, args.rss_points)
        return 0
    n_points = args.n_points or (2**17 if args.quick else 2**18)
    repeats = args.repeats or (1 if args.quick else 3)

    # the peak-RSS child runs first: a child inherits the parent's RSS high-water mark at fork
    cmd = [sys.executable, __file__, "--rss-child", "--rss-K", str(rss_K), "--d", str(args.d), "--width",
           str(args.width), "--depth", str(args.depth), "--rss-points", str(args.rss_points), "--threads",
           str(args.threads)]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    stack, nets, teacher = build(K, args.d, args.width, args.depth)
    batched(stack, teacher, args.d, 4096, seed=0)  # warm-up (allocator, MKL)
    plain(nets[:1], teacher, args.d, 4096, seed=0)
    wall = {"plain": [], "batched": []}
    cpu = {"plain": [], "batched": []}
    for rep in range(repeats):  # interleaved: both see the same machine load
        for name, fn, args_ in (("plain", plain, (nets,)), ("batched", batched, (stack,))):
            t0, c0 = time.perf_counter(), time.process_time()
            fn(*args_, teacher, args.d, n_points, seed=rep)
            wall[name].append(K * n_points / (time.perf_counter() - t0))
            cpu[name].append(K * n_points / (time.process_time() - c0))
    med = {f"{k}_{n}": statistics.median(v[n]) for k, v in (("wall", wall), ("cpu", cpu)) for n in v}
    print(f"torch={torch.__version__} threads={args.threads} K={K} d={args.d} width={args.width} depth={args.depth} "
          f"n_points={n_points} repeats={repeats} (median)")
    print("model-points/s per second of wall time and of this process's CPU time")
    print(f"{'method':<36} {'wall':>10} {'cpu':>10}")
    print(f"{'plain per-model, 131072-pt batches':<36} {med['wall_plain']:>10.3e} {med['cpu_plain']:>10.3e}")
    print(f"{'batched shared points (mc_errors)':<36} {med['wall_batched']:>10.3e} {med['cpu_batched']:>10.3e}")
    print(f"{'ratio batched/plain':<36} {med['wall_batched'] / med['wall_plain']:>9.1f}x "
          f"{med['cpu_batched'] / med['cpu_plain']:>9.1f}x", flush=True)
    gib = res["peak_rss"] / 2**30
    print(f"peak RSS of a {args.rss_points}-point evaluation (K={rss_K}): {gib:.3f} GiB "
          f"(process before evaluating: {res['rss_before'] / 2**30:.3f} GiB; {res['seconds']:.1f} s) "
          f"-> {'OK' if gib <= 2 else 'OVER'} (limit 2 GiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
