"""Adversarial-training throughput: uniformgap.robust.train_classifier vs a plain PyTorch loop.

mnist-5k (3600 fitted points after the validation split), MLP 784-256-256-10, ℓ∞ ε = 0.1, PGD-10,
Adam, batch 128 — docs/robust.md §6.2. Side by side in one process, interleaved, on the same load:

- plain:   the simplest correct loop a user would write: nn.Sequential + torch.optim.Adam + a
           hand-written PGD (random start, sign steps, clamp to the ball and [0,1]);
- ours:    train_classifier(...) with the validation curves switched off except at the end
           (``curve_every = epochs``) — the training work only;
- ours+curves: the default (cheap PGD-10 curves on <= 500 points per split after every epoch);
- stacked: K = 3 seeds trained as one batched model (torch.func.vmap over stacked weights) vs the
           same 3 seeds one after the other — does batching seeds pay off on this device?

Throughput = examples · PGD-steps / s = n_fit · steps · epochs / wall seconds. CPU seconds are
reported too (the machine may be shared: wall time then overstates the cost), and the time for
30 epochs is extrapolated linearly from the measured epochs.

    python benchmarks/bench_adversarial.py               # 2 epochs per variant (~2-4 min on 2 cores)
    python benchmarks/bench_adversarial.py --epochs 30   # the target run
    python benchmarks/bench_adversarial.py --quick       # 1 epoch, no stacked comparison
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch
from torch import nn

from uniformgap.robust import TrainConfig, load_dataset, train_classifier
from uniformgap.robust._training import split_validation

EPS, STEPS, BATCH, WIDTHS = 0.1, 10, 128, (256, 256)


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def plain_loop(x: torch.Tensor, y: torch.Tensor, epochs: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)  # the plain loop uses the global RNG, as users do
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    alpha = 2.5 * EPS / STEPS
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for s in range(0, len(x), BATCH):
            xb, yb = x[perm[s:s + BATCH]], y[perm[s:s + BATCH]]
            xa = (xb + torch.empty_like(xb).uniform_(-EPS, EPS)).clamp(0, 1)
            for _ in range(STEPS):
                xa.requires_grad_(True)
                loss = nn.functional.cross_entropy(model(xa), yb)
                (g,) = torch.autograd.grad(loss, xa)
                xa = torch.min(torch.max(xa.detach() + alpha * g.sign(), xb - EPS), xb + EPS).clamp(0, 1)
            loss = nn.functional.cross_entropy(model(xa), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def stacked_loop(x: torch.Tensor, y: torch.Tensor, epochs: int, K: int) -> None:
    """K MLPs trained at once: one vmap'd forward/backward per step over stacked weights."""
    from torch.func import functional_call, grad, stack_module_state, vmap

    models = []
    for k in range(K):
        torch.manual_seed(k)
        models.append(nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)))
    params, buffers = stack_module_state(models)
    base = models[0].to("meta")
    params = {k: v.detach().requires_grad_(True) for k, v in params.items()}
    opt = torch.optim.Adam(params.values(), lr=1e-3)

    def loss_x(p, b, xa, yb):
        return nn.functional.cross_entropy(functional_call(base, (p, b), (xa,)), yb)

    grad_x = vmap(grad(loss_x, argnums=2), in_dims=(0, 0, 0, None))
    alpha = 2.5 * EPS / STEPS
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for s in range(0, len(x), BATCH):
            xb, yb = x[perm[s:s + BATCH]], y[perm[s:s + BATCH]]
            xk = xb.expand(K, *xb.shape)
            xa = (xk + torch.empty_like(xk).uniform_(-EPS, EPS)).clamp(0, 1)
            detached = {k: v.detach() for k, v in params.items()}
            for _ in range(STEPS):
                g = grad_x(detached, buffers, xa, yb)
                xa = torch.min(torch.max(xa + alpha * g.sign(), xk - EPS), xk + EPS).clamp(0, 1)
            loss = vmap(loss_x, in_dims=(0, 0, 0, None))(params, buffers, xa, yb).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--no-stacked", action="store_true", help="skip the K=3 stacked-seeds comparison")
    ap.add_argument("--quick", action="store_true", help="1 epoch, no stacked comparison (under a minute of CPU)")
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.no_stacked = 1, True
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist-5k")
    fit, _ = split_validation(len(data.x_train), 0.1, 0)
    x = torch.tensor(data.x_train[fit], dtype=torch.float32)
    y = torch.tensor(data.y_train[fit])
    n, E = len(x), args.epochs
    work = n * STEPS * E
    cfg = TrainConfig(widths=WIDTHS, epochs=E, attack={"eps": EPS, "steps": STEPS}, batch_size=BATCH)
    rows = {}
    plain_loop(x[:256], y[:256], 1, 0)  # warm-up (lazy imports of the optimiser, thread pools)
    for name, fn in [
        ("plain", lambda: plain_loop(x, y, E, 0)),
        ("ours", lambda: train_classifier(data.x_train, data.y_train, cfg.model_copy(update={"curve_every": E}), seed=0)),
        ("ours+curves", lambda: train_classifier(data.x_train, data.y_train, cfg, seed=0)),
    ]:
        _, wall, cpu = _timed(fn)
        rows[name] = {"wall_s": wall, "cpu_s": cpu, "throughput": work / wall,
                      "wall_30_epochs_s": wall * 30 / E, "cpu_30_epochs_s": cpu * 30 / E}
    if not args.no_stacked:
        K = 3
        _, wall_s, cpu_s = _timed(lambda: stacked_loop(x, y, E, K))
        _, wall_q, cpu_q = _timed(lambda: [plain_loop(x, y, E, k) for k in range(K)])
        rows["stacked_K3"] = {"wall_s": wall_s, "cpu_s": cpu_s, "throughput": K * work / wall_s}
        rows["sequential_K3"] = {"wall_s": wall_q, "cpu_s": cpu_q, "throughput": K * work / wall_q}
    print(json.dumps({"epochs": E, "n_fit": n, "threads": args.threads, "rows": rows}, indent=2))
    p, o = rows["plain"], rows["ours"]
    print(f"\nexamples*PGD-steps/s: ours {o['throughput']:.0f}, plain {p['throughput']:.0f} "
          f"(ratio {o['throughput'] / p['throughput']:.2f}); with curves {rows['ours+curves']['throughput']:.0f}")
    print(f"30 adversarial epochs, extrapolated: ours {o['wall_30_epochs_s']:.0f} s wall / {o['cpu_30_epochs_s']:.0f} s CPU; "
          f"plain {p['wall_30_epochs_s']:.0f} s wall / {p['cpu_30_epochs_s']:.0f} s CPU (target <= 60 s on 2 idle cores)")
    if "stacked_K3" in rows:
        s, q = rows["stacked_K3"], rows["sequential_K3"]
        verdict = "pays off" if s["wall_s"] < 0.9 * q["wall_s"] else "does NOT pay off here"
        print(f"3 seeds stacked (vmap) vs one after the other: {s['wall_s']:.1f} s vs {q['wall_s']:.1f} s wall "
              f"(ratio {s['wall_s'] / q['wall_s']:.2f}): batching seeds {verdict}")
    assert math.isfinite(o["throughput"]) and np.isfinite(p["throughput"])


if __name__ == "__main__":
    main()
