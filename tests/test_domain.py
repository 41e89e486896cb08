"""The one domain rule (`_domain`): the cube check, the box check and the CLI type all apply it."""

from __future__ import annotations

import argparse
import math

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap._domain import check_box, check_domain, domain_pair
from uniformgap.cli._parser import domain as domain_arg


@pytest.mark.parametrize("domain, bound, expected", [
    ((0, 1), math.inf, (0.0, 1.0)),
    (("-0.5", "0.5"), math.inf, (-0.5, 0.5)),
    ((1, 0), math.inf, None),
    ((0, 0), math.inf, None),
    ((0, math.inf), math.inf, None),
    ((math.nan, 1), math.inf, None),
    ((0, 1, 2), math.inf, None),
    ("ab", math.inf, None),
    (None, math.inf, None),
    ((0, 2), 1.0, None),
    ((-1, 1), 1.0, (-1.0, 1.0)),
])
def test_domain_pair_is_the_rule(domain, bound, expected):
    assert domain_pair(domain, bound) == expected


def test_check_domain_names_the_argument_and_the_bound():
    assert check_domain([0, 1]) == (0.0, 1.0)
    with pytest.raises(InputError) as e:
        check_domain((1, 0))
    assert str(e.value) == ("`domain` must be a pair (lo, hi) of finite numbers with lo < hi, got (1, 0) "
                            "(e.g. (-0.5, 0.5))")
    with pytest.raises(InputError) as e:
        check_domain((0, 2), name="--domain", bound=1.0, example="(0.0, 1.0)")
    assert str(e.value) == "`--domain` must be a pair (lo, hi) with -1 <= lo < hi <= 1, got (0, 2) (e.g. (0.0, 1.0))"


def test_the_box_applies_the_rule_per_coordinate():
    lo, hi = check_box(((0, -1), (1, 0.5)), 2)
    assert np.array_equal(lo, [0.0, -1.0]) and np.array_equal(hi, [1.0, 0.5])
    with pytest.raises(InputError, match="in every coordinate"):
        check_box(((0, 1), (1, 1)), 2)


def test_the_cli_type_is_the_rule_with_corners_within_1e6():
    assert domain_arg("0,1") == (0.0, 1.0)
    for bad in ("1,0", "0,1e308", "0,nan", "0", "a,b"):
        with pytest.raises(argparse.ArgumentTypeError):
            domain_arg(bad)
