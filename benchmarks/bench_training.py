"""Training throughput: the batched EnsembleTrainer vs stacked autograd vs the one-model-at-a-time loop.

Three ways to train K students: the EnsembleTrainer (hand-written batched backward pass and Adam);
stacked autograd (the K students as (K, n_out, n_in) leaf tensors, forward by torch.baddbmm, the
backward by autograd, torch.optim.Adam with fused=True where supported, else foreach) — the
obvious alternative, kept here so the choice of the hand-written pass stays evidenced; and the
conventional loop. The conventional loop is what the paper's code does per model: nn.Sequential, a DataLoader over a
TensorDataset (shuffle=True), torch.optim.Adam and ExponentialLR stepped every epoch. Both run on the
same data, architecture and number of epochs, interleaved (baseline, batched, baseline, batched, ...)
so the ratios stay meaningful on a shared machine. The baseline's rate per model-epoch does not
depend on K, so it is measured on at most --base-models models of the same data.

    python benchmarks/bench_training.py            # full table (a few minutes on 2 CPU cores)
    python benchmarks/bench_training.py --quick    # < 1 min
"""

from __future__ import annotations

import argparse
import os
import math
import statistics
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from uniformgap.learners import EnsembleTrainer, GradientConfig


def conventional(cfg: GradientConfig, x: torch.Tensor, y: torch.Tensor, seed: int, epochs: int, device) -> float:
    """One model trained the conventional way; returns its final full-data loss (to use the result)."""
    mu, sigma = 0.0, 1 / math.sqrt(12)
    ds = TensorDataset(((x - mu) / sigma).to(device), y.to(device))
    g = torch.Generator().manual_seed(seed)
    loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, drop_last=False, generator=g)
    arch = cfg.architecture(x.shape[1])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mods = []
        for a, b in zip(arch[:-1], arch[1:]):
            mods += [nn.Linear(a, b, dtype=torch.float64), nn.ReLU()]
        net = nn.Sequential(*mods[:-1]).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.gamma)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(net(xb).squeeze(-1), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return float(loss.detach())


def stacked_autograd(cfg: GradientConfig, x: torch.Tensor, y: torch.Tensor, epochs: int, device) -> float:
    """K models at once by autograd: baddbmm forward, per-model shuffles, Adam over the stacks."""
    K, m, d = x.shape
    mu, sigma = 0.0, 1 / math.sqrt(12)
    xs, y = ((x - mu) / sigma).to(device), y.to(device)
    g = torch.Generator().manual_seed(0)
    arch = cfg.architecture(d)
    params = []
    for a, b in zip(arch[:-1], arch[1:]):  # default init U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        bound = 1 / math.sqrt(a)
        W = (torch.rand(K, b, a, generator=g, dtype=torch.float64) * 2 - 1) * bound
        c = (torch.rand(K, 1, b, generator=g, dtype=torch.float64) * 2 - 1) * bound
        params += [W.to(device).requires_grad_(), c.to(device).requires_grad_()]
    try:
        opt = torch.optim.Adam(params, lr=cfg.lr, fused=True)
    except RuntimeError:  # fused Adam not supported for this device/dtype
        opt = torch.optim.Adam(params, lr=cfg.lr, foreach=True)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.gamma)
    rows = torch.arange(K, device=device)[:, None]
    for _ in range(epochs):
        perm = torch.argsort(torch.rand(K, m, generator=g), dim=1).to(device)  # (K, m): one shuffle per model
        for start in range(0, m, cfg.batch_size):
            idx = perm[:, start : start + cfg.batch_size]  # (K, B)
            h = xs[rows, idx]  # (K, B, d)
            for ell in range(0, len(params), 2):
                h = torch.baddbmm(params[ell + 1], h, params[ell].transpose(1, 2))  # (K, B, n_out)
                if ell < len(params) - 2:
                    h = torch.relu(h)
            # sum over models of each model's mean loss: model k's gradient is its own
            loss = (h.squeeze(-1) - y[rows, idx]).square().mean(dim=1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return float(loss.detach())


def measure(K: int, d: int, m: int, batch: int, width: int, depth: int, epochs: int, base_models: int,
            repeats: int, device) -> dict:
    cfg = GradientConfig(depth=depth, width=width, batch_size=batch, epochs=max(epochs, 1))
    g = torch.Generator().manual_seed(K)
    x = torch.rand(K, m, d, generator=g, dtype=torch.float64) - 0.5  # (K, m, d)
    y = torch.sin(4 * x.sum(-1))  # (K, m)
    kb = min(K, base_models)
    conventional(cfg, x[0], y[0], 0, 1, device)  # warm-up: first-call costs (allocator, MKL, DataLoader)
    EnsembleTrainer(cfg, x, y, list(range(K)), device=device).train(1)
    stacked_autograd(cfg, x, y, 1, device)
    wall = {"baseline": [], "batched": [], "autograd": []}
    cpu = {"baseline": [], "batched": [], "autograd": []}
    for _ in range(repeats):  # interleaved: both see the same machine load
        t0, c0 = time.perf_counter(), time.process_time()
        for k in range(kb):
            conventional(cfg, x[k], y[k], k, epochs, device)
        wall["baseline"].append(kb * epochs / (time.perf_counter() - t0))
        cpu["baseline"].append(kb * epochs / (time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        trainer = EnsembleTrainer(cfg, x, y, list(range(K)), device=device)
        trainer.train(epochs)
        trainer.train_loss()
        if device.type == "cuda":
            torch.cuda.synchronize()
        wall["batched"].append(K * epochs / (time.perf_counter() - t0))
        cpu["batched"].append(K * epochs / (time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        stacked_autograd(cfg, x, y, epochs, device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        wall["autograd"].append(K * epochs / (time.perf_counter() - t0))
        cpu["autograd"].append(K * epochs / (time.process_time() - c0))
    r = {"K": K, "d": d, "m": m, "batch": batch}
    for name, rates in (("wall", wall), ("cpu", cpu)):
        for method in ("baseline", "batched", "autograd"):
            r[f"{name}_{method}"] = statistics.median(rates[method])
        r[f"{name}_ratio"] = r[f"{name}_batched"] / r[f"{name}_baseline"]
        r[f"{name}_vs_autograd"] = r[f"{name}_batched"] / r[f"{name}_autograd"]
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small epochs/repeats: finishes in < 1 min")
    ap.add_argument("--K", type=lambda s: [int(v) for v in s.split(",")], default=[1, 8, 40, 120])
    ap.add_argument("--epochs", type=int, default=None, help="epochs per measurement (default 10; quick 2)")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved repeats, median reported (default 3; quick 1)")
    ap.add_argument("--base-models", type=int, default=None, help="models the baseline runs (default 8; quick 2)")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--no-large", action="store_true", help="skip the d=3, m=1e4, K=40 case")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch CPU threads for both (default: all cores; use 1 on a machine shared with other jobs, where OpenMP threads spin)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    epochs = args.epochs or (2 if args.quick else 10)
    repeats = args.repeats or (1 if args.quick else 3)
    base_models = args.base_models or (2 if args.quick else 8)
    device = torch.device(args.device)
    cases = [(K, 1, 1000, 200) for K in args.K]
    if not args.no_large:
        cases.append((40, 3, 10_000, 200))
    print(f"device={device} threads={torch.get_num_threads()} torch={torch.__version__} width={args.width} "
          f"depth={args.depth} epochs={epochs} repeats={repeats} (median)", flush=True)
    print("model-epochs/s; 'wall' = per second of wall time, 'cpu' = per second of this process's CPU time")
    print("(the CPU-time rate is less sensitive to other jobs on a shared machine)")
    print("'x base' = batched / one-at-a-time; 'x autograd' = batched / stacked autograd (baddbmm + Adam fused/foreach)")
    print(f"{'K':>4} {'d':>2} {'m':>6} {'batch':>5} | {'wall base':>10} {'autograd':>10} {'batched':>10} "
          f"{'x base':>7} {'x autograd':>10} | {'cpu base':>10} {'autograd':>10} {'batched':>10} {'x base':>7} {'x autograd':>10}")
    for K, d, m, batch in cases:
        r = measure(K, d, m, batch, args.width, args.depth, epochs, base_models, repeats, device)
        cells = []
        for name in ("wall", "cpu"):
            cells.append(f"{r[name + '_baseline']:>10.1f} {r[name + '_autograd']:>10.1f} {r[name + '_batched']:>10.1f} "
                         f"{r[name + '_ratio']:>6.1f}x {r[name + '_vs_autograd']:>9.2f}x")
        print(f"{K:>4} {d:>2} {m:>6} {batch:>5} | {cells[0]} | {cells[1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
