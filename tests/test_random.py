"""random_network: the teachers' coefficient law, reproducible from the seed."""

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import random_network


def test_law_architecture_and_reproducibility():
    net = random_network((3, 40, 40, 1), 0.5, seed=7)
    assert net.architecture == (3, 40, 40, 1)
    coef = torch.cat([torch.cat([A.reshape(-1), b]) for A, b in net.layers]).numpy()
    assert np.abs(coef).max() <= 0.5 and net.coefficient_norm() <= 0.5
    # U(-a, a): mean 0 and variance a^2/3, within ~5 standard errors for 1841 draws
    assert abs(coef.mean()) < 5 * 0.5 / np.sqrt(3 * coef.size)
    assert abs(coef.var() - 0.25 / 3) < 5 * 0.25 * np.sqrt(4 / 45 / coef.size)
    again = random_network((3, 40, 40, 1), 0.5, seed=7)
    other = random_network((3, 40, 40, 1), 0.5, seed=8)
    assert all(torch.equal(A, A2) for (A, _), (A2, _) in zip(net.layers, again.layers))
    assert not torch.equal(net.layers[0][0], other.layers[0][0])


@pytest.mark.parametrize(
    "args, message",
    [
        (((3,), 0.5), "`architecture` must be at least two integers >= 1, got [3]"),
        (((3, 0, 1), 0.5), "`architecture` must be at least two integers >= 1, got [3, 0, 1]"),
        (((3, 4, 1), 0.0), "`a` must be a number > 0, got 0.0"),
    ],
)
def test_bad_input(args, message):
    with pytest.raises(InputError) as exc:
        random_network(*args, seed=0)
    assert str(exc.value) == message
