"""Files of a `robust train` run: models, witnesses, the table (csv/json) and the curves (PNG).

    DIR/<training>/seed<k>.json            the MLP classifier in the network JSON format (C outputs),
                                           metadata: kind "classifier", dataset, class_names, eps, norm, ...
    DIR/<training>/seed<k>.json            a CNN too, as the sparse ReLU network it computes (format version 2:
                                           each convolution a sparse layer, networks._conv); kind "classifier",
                                           arch "cnn", torch_model: the .pt file beside it
    DIR/<training>/seed<k>.pt              a CNN (state dict), always; the only file of a CNN with max pooling
                                           (not linear, so not a layer of the network format) or with a
                                           convolution of more than MAX_JSON_NNZ non-zeros
    DIR/<training>/seed<k>_witnesses.npz   verified test witnesses: index, x_adv (float64)
    DIR/table.csv, DIR/table.json          one row per (training, seed); json adds the summary and config
    DIR/curves.csv, DIR/curves.png         robust-overfitting curves (cheap attack, labelled so)

Every file is written atomically (uniformgap._atomic). Library code never selects a matplotlib
backend; the CLI does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import write_atomic, write_text_atomic
from .._errors import InputError
from ..networks import ReLUNetwork, SparseReLUNetwork, cnn_to_sparse, save_network
from ._compare import TrainedEval


# The largest convolution written to the network JSON: ~20 bytes of text per non-zero, so ~100 MB;
# a wider CNN (e.g. 256 channels on 28x28 images: 2.6e7 non-zeros) keeps only its .pt.
MAX_JSON_NNZ = 5 * 10**6


def network_form(model) -> ReLUNetwork | SparseReLUNetwork | None:
    """``model`` in the network format: an MLP as it is, a CNN as its sparse ReLU network
    (:func:`uniformgap.networks.cnn_to_sparse`); None when a layer is not affine or ReLU (max pooling)
    or a convolution has more than :data:`MAX_JSON_NNZ` non-zeros."""
    if isinstance(model, ReLUNetwork):
        return model
    try:
        return cnn_to_sparse(model, max_nnz=MAX_JSON_NNZ)
    except InputError:
        return None


def model_path(out_dir: Path, ev: TrainedEval) -> Path:
    """The file to re-attack: the network JSON when the model has that form, else the torch .pt."""
    suffix = ".json" if network_form(ev.result.model) is not None else ".pt"
    return Path(out_dir) / ev.training / f"seed{ev.seed}{suffix}"


def save_trained(out_dir: Path, ev: TrainedEval, **metadata: Any) -> Path:
    """Save the selected model (an MLP: network JSON; a CNN: .pt and, when it has that form, network
    JSON) and its verified test witnesses; returns the path of the file to re-attack (JSON when written)."""
    r = ev.result
    net = network_form(r.model)
    path = Path(out_dir) / ev.training / f"seed{ev.seed}.json"
    meta = {"kind": "classifier", "training": ev.training, "seed": r.seed, "eps": r.config.attack.eps,
            "norm": r.config.attack.norm, "selected_epoch": r.selected_epoch, "selected_on": "validation",
            "epochs_done": r.epochs_done, "interrupted": r.interrupted, **metadata}
    if not isinstance(r.model, ReLUNetwork):
        import torch

        pt = path.with_suffix(".pt")
        write_atomic(pt, lambda tmp: torch.save({"state_dict": r.model.state_dict(), **meta}, tmp))
        meta = {**meta, "arch": "cnn", "torch_model": pt.name}
        if net is None:
            path = pt
    if net is not None:
        save_network(net, path, **meta)
    test = ev.splits.get("test")
    if test is not None:
        idx = np.flatnonzero(test.fooled & test.clean_correct)
        write_atomic(path.with_name(f"seed{r.seed}_witnesses.npz"),
                     lambda tmp: np.savez_compressed(tmp, index=idx, x_adv=test.witnesses[idx],
                                                     eps=test.eps, norm=test.norm))
    return path


def curves_rows(evals: list[TrainedEval]) -> list[dict[str, Any]]:
    return [{"training": e.training, "seed": e.seed, **row} for e in evals for row in e.result.curves]


def write_tables(out_dir: Path, evals: list[TrainedEval], summary: list[dict], extra: dict[str, Any]) -> None:
    import pandas as pd

    out_dir = Path(out_dir)
    rows = [e.record() for e in evals]
    write_atomic(out_dir / "table.csv", lambda tmp: pd.DataFrame(rows).to_csv(tmp, index=False))
    write_atomic(out_dir / "curves.csv", lambda tmp: pd.DataFrame(curves_rows(evals)).to_csv(tmp, index=False))
    details = [{"training": e.training, "seed": e.seed, "splits": {k: v.to_dict() for k, v in e.splits.items()}}
               for e in evals]
    write_text_atomic(out_dir / "table.json",
                      json.dumps({"rows": rows, "summary": summary, "details": details, **extra}, indent=2,
                                 default=_jsonable))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if isinstance(obj, (np.ndarray, tuple, set)):
        return list(obj)
    return str(obj)


def plot_curves(evals: list[TrainedEval], path: Path) -> Path:
    """One panel per training: clean (dashed) and robust (solid) accuracy on train/val/test vs epoch,
    seed 0 of each (or the first seed), with the validation-selected epoch marked."""
    import matplotlib.pyplot as plt

    trainings = list(dict.fromkeys(e.training for e in evals))
    fig, axes = plt.subplots(1, len(trainings), figsize=(5.5 * len(trainings), 4), squeeze=False)
    colors = {"train": "C0", "val": "C2", "test": "C3"}
    for ax, training in zip(axes[0], trainings):
        ev = next(e for e in evals if e.training == training)
        rows = ev.result.curves
        for split, color in colors.items():
            pts = [r for r in rows if r["split"] == split]
            if not pts:
                continue
            ep = [r["epoch"] for r in pts]
            ax.plot(ep, [r["robust"] for r in pts], "-", color=color, label=f"robust {split}")
            ax.plot(ep, [r["clean"] for r in pts], "--", color=color, label=f"clean {split}")
        ax.axvline(ev.result.selected_epoch, color="k", lw=0.8, ls=":", label="selected (validation)")
        ax.set_title(f"{training} training (seed {ev.seed})")
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=7, loc="best")
    a = evals[0].result.config.attack
    fig.suptitle(
        f"robust-overfitting curves, l{'∞' if a.norm == 'inf' else '2'} eps = {a.eps:g}: CHEAP attack "
        f"(PGD-{evals[0].result.config.curve_steps}, 1 restart, <= {evals[0].result.config.curve_points} points per split); "
        "final numbers use the full attack", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)
    return path
