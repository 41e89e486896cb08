"""A synthetic run directory with known power-law errors, to try the analysis (and test
it) without training anything.

err(metric, A, u, s, m, epoch) = C_metric · f_A · g_u · m^{slope_metric} · h_epoch · noise,
with log-normal teacher factors g_u and noise; validation errors are the test errors times
independent log-normal noise (a fresh sample measures the same function). The layout is
the experiment engine's (docs/architecture.md, "The results table"): results.parquet,
results.csv, config.yaml, run.json and teachers/teacher_<i>.json (random U(−a, a) teachers).

``sup`` adds per-network sup columns beside the sampled max ``linf``, drawn from
their own generator (seeded by (seed, 1)) so the other columns do not change:
"exact" → ``linf_exact`` = linf / (1 − r), r ~ U(0, 0.2) (a sampled max lies below the
sup); "bracket" → ``linf_lower`` = linf · (1 + U(−0.02, 0.1)) and ``linf_upper`` =
linf_lower · (1 + U(0, 0.3)).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from .._atomic import write_atomic, write_json_atomic, write_text_atomic
from .._errors import InputError
from ..networks import ReLUNetwork, save_network

# Errors that look like the paper's Figure 2 in 1-D: L1/L2 keep falling, L∞ stalls.
DEFAULT_SLOPES = {"l1": -0.9, "l2": -0.7, "linf": -0.25}
DEFAULT_SCALES = {"l1": 0.2, "l2": 0.3, "linf": 1.0}


def write_synthetic_run(
    run_dir: str | Path,
    *,
    seed: int = 0,
    d: int = 1,
    n_teachers: int = 6,
    seeds: Sequence[int] = (0, 1, 2),
    n_samples: Sequence[int] = (10, 100, 1000),
    widths: Sequence[int] = (8, 32),
    epochs: Sequence[int] = (0, 50, 100),
    slopes: dict[str, float] | None = None,
    teacher_width: int = 8,
    teacher_depth: int = 3,
    a: float = 0.5,
    diverged_fraction: float = 0.0,
    status: str = "complete",
    sup: str = "none",
) -> Path:
    """Write a synthetic run to ``run_dir`` (created) and return its path."""
    if not 0 <= diverged_fraction < 1:
        raise InputError(f"`diverged_fraction` must be a number in [0, 1), got {diverged_fraction!r}")
    if sup not in ("none", "exact", "bracket"):
        raise InputError(f"`sup` must be 'none', 'exact' or 'bracket', got {sup!r} (e.g. sup='exact')")
    sup_rng = np.random.default_rng([seed, 1])
    slopes = dict(DEFAULT_SLOPES, **(slopes or {}))
    rng = np.random.default_rng(seed)
    run_dir = Path(run_dir)
    (run_dir / "teachers").mkdir(parents=True, exist_ok=True)
    g = np.exp(0.3 * rng.standard_normal(n_teachers))  # teacher difficulty
    rows = []
    for w in widths:
        f = (32 / w) ** 0.2  # wider students slightly better
        config_id = f"gd/width={w}"
        for u in range(n_teachers):
            for s in seeds:
                for m in n_samples:
                    for i, e in enumerate(epochs):
                        h = 1.0 + 1.5 / (1 + i)  # training lowers the error
                        diverged = rng.random() < diverged_fraction
                        row = {
                            "learner": "gd",
                            "config_id": config_id,
                            "trial_id": f"{config_id}/m={m}",
                            "n_samples": m,
                            "teacher": u,
                            "seed": s,
                            "student.width": w,
                            "student.depth": 3,
                            "batch_size": max(1, m // 10),
                            "epoch": e,
                            "train_loss": float(1e-2 * f * g[u] * h * m**-0.5),
                            "wall_time_s": 0.01 * (i + 1),
                            "diverged": diverged,
                        }
                        for metric, slope in slopes.items():
                            base = DEFAULT_SCALES.get(metric, 1.0) * f * g[u] * h * m**slope
                            test = base * np.exp(0.1 * rng.standard_normal())
                            val = test * np.exp(0.05 * rng.standard_normal())
                            row[metric] = np.nan if diverged else float(test)
                            row[f"val_{metric}"] = np.nan if diverged else float(val)
                        if sup == "exact":
                            row["linf_exact"] = row["linf"] / (1 - 0.2 * sup_rng.random())
                        elif sup == "bracket":
                            row["linf_lower"] = row["linf"] * (1 + sup_rng.uniform(-0.02, 0.1))
                            row["linf_upper"] = row["linf_lower"] * (1 + 0.3 * sup_rng.random())
                        rows.append(row)
    table = pd.DataFrame(rows)
    write_atomic(run_dir / "results.parquet", lambda p: table.to_parquet(p, index=False))
    write_atomic(run_dir / "results.csv", lambda p: table.to_csv(p, index=False))
    config = {
        "name": "synthetic",
        "seed": seed,
        "learner": "gd",
        "target": {"kind": "teacher", "d": d, "n": n_teachers, "depth": teacher_depth, "width": teacher_width, "a": a},
        "domain": "centered",
        "n_samples": list(n_samples),
        "seeds": list(seeds),
        "grid": {"student.width": list(widths)},
    }
    write_text_atomic(run_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False))
    info = {"status": status, "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:01:00+00:00", "synthetic": True}
    write_json_atomic(run_dir / "run.json", info)
    arch = [d] + [teacher_width] * (teacher_depth - 1) + [1]
    for u in range(n_teachers):
        gen = torch.Generator().manual_seed(u)
        layers = [
            (
                (torch.rand(arch[i + 1], arch[i], generator=gen, dtype=torch.float64) * 2 - 1) * a,
                (torch.rand(arch[i + 1], generator=gen, dtype=torch.float64) * 2 - 1) * a,
            )
            for i in range(len(arch) - 1)
        ]
        save_network(ReLUNetwork(layers), run_dir / "teachers" / f"teacher_{u}.json", kind="teacher", seed=u)
    return run_dir
