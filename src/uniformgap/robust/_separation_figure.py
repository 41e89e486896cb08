"""Figure of a separation report (docs/robust.md §6.1): the distance histograms with δ marked and
the closest other-label pairs side by side, so that duplicates and mislabelled pairs are visible."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._atomic import write_atomic
from ._datasets import Dataset
from ._separation import SeparationReport


def plot_separation(report: SeparationReport, data: Dataset, path: str | os.PathLike, *, closest: int = 8) -> Path:
    """Top: histograms of r_i (train–train) and s_i (test–train) with the raw and filtered minima
    and δ, 2δ marked (2δ ≤ separation ⇔ c ≤ 1). Bottom: the ``closest`` train–train pairs, each
    point above its nearest other-label training point (images; curves for 1-D or tabular data),
    with indices, class names and distance. Written atomically; returns ``path``."""
    from matplotlib.figure import Figure

    pairs = report.closest_pairs(closest, which="train")
    k = max(1, len(pairs))
    fig = Figure(figsize=(max(8.0, 1.25 * k), 7.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.15])
    _histogram(top.subplots(), report)
    _pairs(bottom, report, data, pairs)
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110))


def _histogram(ax, report: SeparationReport) -> None:
    both = np.concatenate([report.train_train, report.test_train])
    bins = np.linspace(float(both.min()), float(both.max()) + 1e-12, 60)
    ax.hist(report.train_train, bins=bins, histtype="step", lw=1.5, label=f"train–train r_i (n = {report.n_train})")
    if report.n_test:
        ax.hist(report.test_train, bins=bins, histtype="step", lw=1.5, label=f"test–train s_i (n = {report.n_test})")
    marks = [(report.train_train_min, "k", "-", f"train–train min {report.train_train_min:.4g}")]
    if report.drop:
        marks.append((report.train_train_min_filtered, "k", "--", f"filtered (drop {report.drop}) {report.train_train_min_filtered:.4g}"))
    if report.delta is not None:
        marks += [(report.delta, "tab:red", ":", f"δ = {report.delta:g}"), (2 * report.delta, "tab:red", "-.", f"2δ = {2 * report.delta:g}")]
    for x, color, ls, label in marks:
        ax.axvline(x, color=color, ls=ls, lw=1, label=label)
    ax.set_yscale("log")
    ax.set_xlabel(f"distance to the nearest training point of another label (ℓ{'∞' if report.norm == 'inf' else '2'})")
    ax.set_ylabel("points")
    ax.set_title(f"{report.dataset}: separation (exact nearest neighbours)")
    ax.legend(fontsize=8)


def _pairs(sub, report: SeparationReport, data: Dataset, pairs: list[dict]) -> None:
    names = data.class_names
    shape = data.image_shape
    image = shape is not None and len(shape) >= 2
    if not pairs:
        return
    axes = sub.subplots(2 if image else 1, len(pairs), squeeze=False)
    for c, pair in enumerate(pairs):
        i, j = pair["index"], pair["neighbour"]
        head = f"d = {pair['distance']:.3g}"
        if image:
            for r, (idx, label) in enumerate(((i, pair["label"]), (j, pair["neighbour_label"]))):
                ax = axes[r, c]
                img = data.x_train[idx].reshape(shape)
                ax.imshow(img, cmap=None if len(shape) == 3 else "gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"{head}\n#{idx} '{names[label]}'" if r == 0 else f"#{idx} '{names[label]}'", fontsize=8)
        else:
            ax = axes[0, c]
            ax.plot(data.x_train[i], lw=1, label=f"#{i} '{names[pair['label']]}'")
            ax.plot(data.x_train[j], lw=1, ls="--", label=f"#{j} '{names[pair['neighbour_label']]}'")
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(head, fontsize=8)
            ax.legend(fontsize=6)
            ax.set_xticks([])
            if c:
                ax.set_yticks([])
    sub.suptitle("closest train–train pairs (top: a point, bottom: its nearest training point of another label)" if image
                 else "closest train–train pairs (solid: a point, dashed: its nearest other-label training point)", fontsize=9)
