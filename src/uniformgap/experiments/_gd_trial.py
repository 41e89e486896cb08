"""The "gd" trial: ONE batched ensemble of K = |teachers| · |seeds| students
(``learners.EnsembleTrainer``), member k = (teacher t, seed s) in the order of ``TrialSpec.members``,
trained from checkpoint to checkpoint; at each, the rows (first), the students (safetensors) and the
trainer state are written atomically, so a restarted trial resumes bit-identically on CPU.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from .._atomic import write_atomic
from ._config import ExperimentConfig
from ._data import training_data
from ._evaluate import MC_NAMES, evaluate, network_metrics, summary
from ._results import read_trial_rows, row_base, save_trial_rows
from ._seeds import stable_seed
from ._spec import TrialSpec, absolute_batch_size
from ._targets import Target

Report = Callable[[dict[str, Any]], None]


def _load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The trainer checkpoint at ``path``, or None when there is none. A checkpoint that cannot
    be read (a crash mid-write on a filesystem without atomic rename, a truncated copy) is named
    on stderr and set aside as ``<path>.corrupt-<time>``; the trial then starts from epoch 0."""
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
        if not (isinstance(state, dict) and "trainer" in state and "wall_time_s" in state):
            raise ValueError("not a trainer checkpoint")
        return state
    except Exception as exc:  # noqa: BLE001 - any unreadable file is set aside, never trusted
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        path.replace(aside)
        print(f"uniformgap: checkpoint {str(path)!r} is unreadable ({type(exc).__name__}); set aside as "
              f"{aside.name!r}, this trial restarts from epoch 0", file=sys.stderr)
        return None


def run_gd_trial(spec: TrialSpec, config: ExperimentConfig, targets: list[Target], run_dir: Path, tdir: Path, report: Report | None) -> None:
    from safetensors.torch import save_file

    from ..learners import EnsembleTrainer, GradientConfig
    from ..networks import StackedReLU

    by_index = {t.index: t for t in targets}
    members = spec.members
    d = targets[0].d
    data = [training_data(config, by_index[t], s, spec.m) for t, s in members]
    x = torch.stack([xy[0] for xy in data])  # (K, m, d)
    y = torch.stack([xy[1] for xy in data])  # (K, m)
    st = config.student
    bs = absolute_batch_size(st.batch_size, spec.m)
    gc = GradientConfig(
        depth=st.depth, width=st.width, lr=st.lr, lr_final=st.lr_final, epochs=st.epochs,
        batch_size=bs, standardize=st.standardize, dtype=st.dtype,
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    seeds = [stable_seed(config.seed, "train", t, s) for t, s in members]
    trainer = EnsembleTrainer(gc, x, y, seeds, domain=config.bounds, device=device)

    # the K targets: each distinct teacher evaluated once, then indexed per member
    order = list(spec.teachers)
    pick = torch.tensor([order.index(t) for t, _ in members])
    if all(t.network is not None for t in targets):
        stack = StackedReLU.from_networks([by_index[t].network for t in order]).to(device=device)
        target_fn = lambda xx: stack(xx.to(device, torch.float64))[pick.to(device)]  # noqa: E731  (K, n)
    else:
        target_fn = by_index[order[0]]  # sine: one target, (n,) broadcasts

    rows: list[dict[str, Any]] = []
    wall0 = 0.0
    state_path = tdir / "state.pt"
    state = _load_checkpoint(state_path)
    if state is not None:
        trainer.load_state_dict(state["trainer"])
        wall0 = float(state["wall_time_s"])
        old = read_trial_rows(tdir)
        if old is not None:
            rows = [r for r in old.to_dict("records") if r["epoch"] <= trainer.epoch]
    done_epochs = {r["epoch"] for r in rows}
    start = time.perf_counter()
    for epoch in spec.checkpoints:
        if epoch in done_epochs:
            continue
        trainer.train(epoch - trainer.epoch)
        metrics = evaluate(trainer.predict, target_fn, config, d, spec.m, epoch, device)
        loss = trainer.train_loss().to("cpu", torch.float64)
        diverged = trainer.diverged.cpu().tolist()
        students = trainer.networks() if config.evaluation.network_metrics else [None] * len(members)
        extra = network_metrics(config, students, [by_index[t] for t, _ in members], diverged)
        wall = wall0 + time.perf_counter() - start
        for k, (t, s) in enumerate(members):
            row = row_base(spec, config, t, s, bs)
            row.update(epoch=epoch, train_loss=float(loss[k]))
            row.update({name: float(metrics[name][k]) for name in MC_NAMES if name in metrics})
            row.update(extra[k])
            row.update({"val_" + name: float(metrics["val_" + name][k]) for name in MC_NAMES})
            if diverged[k]:
                row.update({c: math.nan for c in row if c.startswith(("l1", "l2", "linf", "val_", "train_loss"))})
            row.update(wall_time_s=wall, diverged=bool(diverged[k]))
            rows.append(row)
        keep = config.evaluation.save_students
        if keep == "all" or (keep == "final" and epoch == spec.checkpoints[-1]):
            tensors = {k: v.cpu() for k, v in trainer.tensors().items()}
            path = run_dir / "students" / spec.trial_id / f"epoch_{epoch}.safetensors"
            write_atomic(path, lambda tmp: save_file(tensors, tmp))
        save_trial_rows(tdir, rows)
        state = {"trainer": trainer.state_dict(), "wall_time_s": wall}
        write_atomic(state_path, lambda tmp: torch.save(state, tmp))
        if report is not None:
            report(summary(rows, epoch, spec))
