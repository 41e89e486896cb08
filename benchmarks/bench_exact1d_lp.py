"""Benchmark: exact 1-D L1 / L2 / L∞ errors (segment integrals between breakpoints) versus
Monte Carlo on 2^24 uniform points (the paper's evaluation, arXiv:2205.13531), side by side.

Two pairs of 5×32 ReLU networks on [-1/2, 1/2] (architecture [1, 32, 32, 32, 32, 1], the
paper's teacher size): two independent random teachers (coefficients U(-1/2, 1/2)), and a
teacher against a slightly perturbed copy (a stand-in for a well-trained student: small,
spiky differences). Prints the time of each method, their ratio, and MC − exact with the
Monte-Carlo standard error, so the differences can be judged (L∞ by MC is a sampled max,
never above the exact sup).

    python benchmarks/bench_exact1d_lp.py            # 2^24 points
    python benchmarks/bench_exact1d_lp.py --mc-log2 20

This is a script, not a test: it prints numbers, it asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mc-log2", type=int, default=24, help="log2 of the Monte-Carlo points (default 24)")
    p.add_argument("--repeats", type=int, default=5, help="repeats of the exact computation (median time)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: comparable on shared machines)")
    return p.parse_args(argv)


def pairs():
    import torch

    from uniformgap.networks import ReLUNetwork, random_network

    arch = [1, 32, 32, 32, 32, 1]
    u = random_network(arch, 0.5, seed=0)
    v = random_network(arch, 0.5, seed=1)
    g = torch.Generator().manual_seed(2)
    near = ReLUNetwork([(A + 1e-3 * torch.randn(A.shape, generator=g, dtype=A.dtype),
                         b + 1e-3 * torch.randn(b.shape, generator=g, dtype=b.dtype)) for A, b in u.layers])
    return [("independent teachers", u, v), ("teacher vs perturbed copy", u, near)]


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from uniformgap.metrics import lp_error_exact_1d, mc_errors

    n = 2**args.mc_log2
    domain = (-0.5, 0.5)
    for name, f, g in pairs():
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            exact = lp_error_exact_1d(f, g, domain)
            times.append(time.perf_counter() - t0)
        t_exact = statistics.median(times)

        def predict(x):
            with torch.no_grad():
                return f(x).T  # (1, n)

        def target(x):
            with torch.no_grad():
                return g(x)[:, 0]  # (n,)

        t0 = time.perf_counter()
        mc = mc_errors(predict, target, d=1, domain=domain, n_points=n, generator=torch.Generator().manual_seed(0),
                       metrics=("l1", "l2", "linf"))
        t_mc = time.perf_counter() - t0
        mc = {k: float(v[0]) for k, v in mc.items()}
        # standard errors of the MC means: sd(|e|)/√n and, for L2 = √mean(e²), sd(e²)/(2 L2 √n),
        # with sd(e²) ≤ √(E e⁴) ≤ sup·L2 (e⁴ ≤ sup² e²) — a bound, no second pass needed
        se1 = math.sqrt(max(exact.l2**2 - exact.l1**2, 0.0) / n)
        se2 = exact.linf / (2 * math.sqrt(n))
        print(f"{name}: {exact.n_candidates} breakpoints")
        print(f"  exact: {1e3 * t_exact:.2f} ms (median of {args.repeats});  Monte Carlo 2^{args.mc_log2}: "
              f"{t_mc:.2f} s;  ratio MC/exact = {t_mc / t_exact:.0f}x")
        for key, exact_v, se in (("l1", exact.l1, se1), ("l2", exact.l2, se2), ("linf", exact.linf, None)):
            diff = mc[key] - exact_v
            extra = f", MC standard error <= {se:.2e} ({abs(diff) / se:.1f} se)" if se else " (sampled max: never above the sup)"
            print(f"  {key:<4}  exact {exact_v:.10g}  MC {mc[key]:.10g}  MC - exact {diff:+.3e} "
                  f"(relative {diff / exact_v:+.2e}){extra}")


if __name__ == "__main__":
    main()
