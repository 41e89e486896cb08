"""Random ReLU networks with i.i.d. uniform coefficients.

arXiv:2205.13531, Section 3: the teachers have every weight and bias i.i.d. U(−a, a)
(a = 1/2). With a = c such a network lies in H^∞_{arch, c} (docs/theory.md §1), so the same
draw gives a random member of the class for the theory's demos.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._errors import InputError
from ._relu import ReLUNetwork


def random_network(architecture: Sequence[int], a: float, *, seed: int) -> ReLUNetwork:
    """Weights and biases i.i.d. U(−a, a), float64.

    Drawn from ``torch.Generator().manual_seed(seed)`` layer by layer, weight (N_ℓ, N_{ℓ−1})
    then bias (N_ℓ,), so a (architecture, a, seed) triple always gives the same network.
    """
    if len(architecture) < 2 or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in architecture):
        raise InputError(f"`architecture` must be at least two integers >= 1, got {list(architecture)!r}")
    if not a > 0:
        raise InputError(f"`a` must be a number > 0, got {a!r}")
    g = torch.Generator().manual_seed(seed)
    layers = []
    for n_in, n_out in zip(architecture[:-1], architecture[1:]):
        A = (2 * torch.rand((n_out, n_in), generator=g, dtype=torch.float64) - 1) * a
        b = (2 * torch.rand((n_out,), generator=g, dtype=torch.float64) - 1) * a
        layers.append((A, b))
    return ReLUNetwork(layers)
