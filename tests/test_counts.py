"""Size formulas of docs/robust.md §3–§4 against built networks and an independent tree simulation."""

import itertools
import math

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap.robust import build_c1, c1_counts, c2_counts
from uniformgap.robust._counts import grid_intervals
from uniformgap.robust._c2 import Grid, build_grid_network
from uniformgap.robust._counts import carries, per_hat, tree_cost


def simulated_tree_cost(d):
    """Σ over the pairwise max tree of |a| + 2|b| per pair and |a| per carry; leaves have 1 neuron."""
    sizes, cost = [1] * d, 0
    while len(sizes) > 1:
        nxt = []
        for i in range(0, len(sizes) - 1, 2):
            cost += sizes[i] + 2 * sizes[i + 1]
            nxt.append(2)
        if len(sizes) % 2:
            cost += sizes[-1]
            nxt.append(sizes[-1])
        sizes = nxt
    return cost


def simulated_carries(m):
    """Carried elements over the levels of an m-leaf pairwise tree."""
    k = 0
    while m > 1:
        k += m % 2
        m = -(-m // 2)
    return k


@pytest.mark.parametrize("d", range(1, 40))
def test_tree_cost_and_carries_match_a_simulation(d):
    assert tree_cost(d) == simulated_tree_cost(d)
    assert carries(d) == simulated_carries(d)


def test_per_hat_values_of_the_spec():
    # docs/robust.md §4: 7 for d = 1; 19, 33, 45, 61 for d = 2..5; 13d - 7 for d a power of 2
    assert [per_hat(d) for d in range(1, 6)] == [7, 19, 33, 45, 61]
    assert all(per_hat(2**k) == 13 * 2**k - 7 for k in range(1, 8))


@pytest.mark.parametrize("n_a, n_b, d", [(1, 1, 1), (1, 3, 2), (3, 2, 3), (4, 4, 4), (5, 7, 6), (8, 3, 9), (13, 13, 5), (2, 11, 17)])
def test_c1_counts_equal_the_built_network(n_a, n_b, d):
    rng = np.random.default_rng(n_a * 100 + d)
    a, b = rng.random((n_a, d)), rng.random((n_b, d))
    a[0, 0] = 0.0  # a zero coordinate has no bias
    net = build_c1(a, b)
    counts = c1_counts(n_a, n_b, d, nonzero_coords=int(np.count_nonzero(a) + np.count_nonzero(b)))
    assert net.architecture == counts.widths and net.depth == counts.depth
    assert net.nnz_weights == counts.nnz_weights and net.nnz_biases == counts.nnz_biases
    assert net.dense_weights == counts.dense_weights and net.n_params == counts.dense_total


def test_c1_powers_of_two_give_8nd_minus_8():
    for n, d in itertools.product((1, 2, 4, 16), (1, 2, 8, 64)):
        if 2 * n * d > 2:
            assert c1_counts(n, n, d).nnz_weights == 8 * (2 * n) * d - 8


@pytest.mark.parametrize("d, n", [(1, 5), (2, 3), (3, 2), (4, 2), (5, 1)])
def test_c2_counts_equal_the_built_network_with_all_hats(d, n):
    table = np.ones((n + 1,) * d)  # F = 1: no hat is dropped
    nodes = np.stack(np.unravel_index(np.arange(table.size), table.shape), axis=1)
    net = build_grid_network(Grid(0.0, 1.0, n, nodes, table.reshape(-1), table))
    counts = c2_counts(d, n)
    assert net.architecture == counts.widths and net.depth == counts.depth == math.ceil(math.log2(d)) + 4
    assert net.nnz_weights == counts.nnz_weights == 2 * d + (n + 1) ** d * per_hat(d)
    assert net.nnz_biases == counts.nnz_biases == d + (n + 1) ** d + 2 * d * n * (n + 1) ** (d - 1)


def test_grid_intervals_make_the_margin_strict():
    for eps, c in [(0.25, 0.5), (0.1, 0.5), (0.2, 0.0), (0.05, 0.9)]:
        n = grid_intervals(eps, c, d=3)
        assert 1 / n < (1 - c) * eps <= 1 / (n - 1)  # h < (1-c)eps, n minimal
        n2 = grid_intervals(eps, c, d=4, p=2)
        assert math.sqrt(4) / n2 < (1 - c) * eps


def test_huge_counts_stay_exact_and_have_a_log10():
    counts = c2_counts(40, 20)
    assert counts.nnz_weights == 80 + 21**40 * per_hat(40)
    assert counts.log10_nnz_weights == pytest.approx(math.log10(per_hat(40)) + 40 * math.log10(21), rel=1e-12)


def test_bad_arguments():
    with pytest.raises(InputError, match=r"^`d` must be an integer >= 1, got 0$"):
        c1_counts(1, 1, 0)
