"""The hat network drawn from its evaluation (arXiv:2205.13531, Figure 4): a 1-D curve, a
2-D heat map, or for d > 2 the 2-D slice through the centre y."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .._atomic import write_atomic
from ..theory import HatNetwork


def plot_hat(net: HatNetwork, path: str | os.PathLike, *, resolution: int = 301) -> Path:
    """Plot the network (evaluated, not the formula): 1-D curve, 2-D heat map (the paper's
    Figure 4), for d > 2 the 2-D slice through y in (x_1, x_2). Written atomically."""
    import matplotlib.pyplot as plt

    d, (lo, hi), y = net.input_dim, net.domain, net.y
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    title = f"hat network ({net.style}): $\\lambda$ = {net.lam:.4g}, M = {net.M:g}"
    with torch.no_grad():
        if d == 1:
            x = torch.linspace(lo, hi, 10 * resolution, dtype=torch.float64)[:, None]  # (n, 1)
            ax.plot(x[:, 0].numpy(), net(x)[:, 0].numpy(), lw=1.5)
            ax.axvline(y[0], color="grey", lw=0.5, ls=":")
            ax.set_xlabel("$x$")
            ax.set_ylabel("$R(\\Phi)(x)$")
            ax.set_title(f"{title}, y = {y[0]:g}")
        else:
            t = torch.linspace(lo, hi, resolution, dtype=torch.float64)
            g1, g2 = torch.meshgrid(t, t, indexing="xy")  # (r, r): rows vary x_2
            x = torch.tensor(y, dtype=torch.float64).repeat(resolution * resolution, 1)  # (r², d)
            x[:, 0], x[:, 1] = g1.reshape(-1), g2.reshape(-1)
            z = net(x)[:, 0].reshape(resolution, resolution)
            im = ax.imshow(z.numpy(), origin="lower", extent=(lo, hi, lo, hi), cmap="viridis")
            fig.colorbar(im, ax=ax, label="$R(\\Phi)(x)$")
            r = 1.0 / net.M
            if d > 2:
                # on the slice x_3.. = y_3.., |x - y|_1 = |x_1 - y_1| + |x_2 - y_2|
                rest = "x_3" if d == 3 else f"(x_3, \\dots, x_{{{d}}})"
                title += f"\n2-D slice through y: ${rest} = {rest.replace('x', 'y')}$"
            diamond = [(y[0] + r, y[1]), (y[0], y[1] + r), (y[0] - r, y[1]), (y[0], y[1] - r), (y[0] + r, y[1])]
            ax.plot(*zip(*diamond), color="white", lw=0.6, ls="--")
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")
            ax.set_title(title, fontsize=10)
    try:
        return write_atomic(path, lambda tmp: fig.savefig(tmp, bbox_inches="tight", dpi=150))
    finally:
        plt.close(fig)
