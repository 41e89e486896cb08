"""Hand-built and random networks shared by the sup-error tests (exact 1-D, brackets, audit)."""

import torch

from uniformgap.networks import ReLUNetwork


def random_net(arch, seed, scale=0.3):
    """Gaussian weights N(0, 1/fan_in) and biases N(0, scale²): generic kinks inside the cube."""
    gen = torch.Generator().manual_seed(seed)
    return ReLUNetwork(
        [
            (torch.randn(o, i, generator=gen, dtype=torch.float64) / i**0.5, scale * torch.randn(o, generator=gen, dtype=torch.float64))
            for i, o in zip(arch[:-1], arch[1:])
        ]
    )


def hat_net(y, w, h):
    """h · (1 − |x − y|/w)_+ = h [ρ(z + 1) − 2ρ(z) + ρ(z − 1)], z = (x − y)/w (docs/theory.md §2)."""
    return ReLUNetwork.from_arrays([([[1 / w]] * 3, [-y / w + 1, -y / w, -y / w - 1]), ([[h, -2 * h, h]], [0.0])])
