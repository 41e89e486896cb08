"""NetworkClass: validation messages and the constants of docs/theory.md §1, §3, §5 by hand."""

import math

import pytest

from uniformgap import InputError
from uniformgap.theory import NetworkClass


def test_paper_class_constants_by_hand():
    # d = 2, L = 4, width 3d = 6, c = 0.5, q = ∞: γ = c^L (3d)^{L-2} = 0.0625 · 36 = 2.25
    k = NetworkClass.create(2, 4, c=0.5)
    assert k.widths == (6, 6, 6) and k.architecture == (2, 6, 6, 6, 1) and k.is_paper_class
    assert k.n_params == 3 * 6 + 7 * 6 + 7 * 6 + 7  # (N_{l-1}+1) N_l summed
    assert 10 ** k.log10_gamma == pytest.approx(2.25, rel=1e-12)
    assert 10 ** k.log10_lam(3.0) == pytest.approx(0.75, rel=1e-12)
    # Lip_∞ = c^L d (3d)^{L-1} = 3 d^2 γ (docs/theory.md §5)
    assert 10 ** k.log10_lip_inf == pytest.approx(3 * 4 * 2.25, rel=1e-12)
    assert 10 ** k.log10_K_up == pytest.approx(3 * 4 * 2.25, rel=1e-12)


def test_width_3d_parameter_count_formula():
    for d, L in [(1, 3), (5, 15), (15, 5)]:
        k = NetworkClass.create(d, L)
        assert k.n_params == 3 * d * (d + 1) + (L - 2) * 3 * d * (3 * d + 1) + 3 * d + 1


def test_finite_q_constants_by_hand():
    # q = 2: γ_2 = c^L (2d)^{-1}, no width gain; M_* = c/(2d)
    k = NetworkClass.create(3, 5, width=[10, 20, 30, 40], c=2.0, q=2.0)
    assert 10 ** k.log10_gamma == pytest.approx(2.0**5 / 6, rel=1e-12)
    assert k.M_star == pytest.approx(2.0 / 6)
    # q = 4: (1 - 2/q)_+ = 1/2 on N_2..N_{L-1}
    k4 = NetworkClass.create(3, 5, width=[10, 20, 30, 40], c=2.0, q=4.0)
    expected = 2.0**5 * 6 ** (-0.5) * (20 * 30 * 40) ** 0.5
    assert 10 ** k4.log10_gamma == pytest.approx(expected, rel=1e-12)


def test_huge_classes_stay_finite():
    k = NetworkClass.create(1000, 100, c=3.0)
    for v in (k.log10_gamma, k.log10_lam(1e6), k.log10_K_up, k.log10_lip2):
        assert math.isfinite(v)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(d=0, L=3), "`d` must be an integer >= 1, got 0"),
        (dict(d=1, L=2), "`L` must be an integer >= 3 (affine layers), got 2"),
        (dict(d=1, L=4, width=[3, 3]), "`width` must list L-1 = 3 hidden widths for L = 4, got 2 (3,3)"),
        (dict(d=1, L=3, width=[3, 0]), "`width` entries must be integers >= 1, got [3, 0]"),
        (dict(d=1, L=3, c=0.0), "`c` must be a number > 0, got 0.0"),
        (dict(d=1, L=3, q=0.5), "`q` must be a number >= 1 or 'inf', got 0.5"),
    ],
)
def test_validation_messages(kwargs, message):
    with pytest.raises(InputError) as exc:
        NetworkClass.create(**kwargs)
    assert str(exc.value) == message


def test_lam_rejects_small_M():
    with pytest.raises(InputError) as exc:
        NetworkClass.create(1, 3).log10_lam(0.5)
    assert str(exc.value) == "`M` must be a number >= 1, got 0.5"
