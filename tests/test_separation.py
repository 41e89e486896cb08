"""Separation statistics (docs/robust.md §6.1) against brute force on small data."""

import math

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap.robust import Dataset, separation


def _dataset(rng, n=60, nt=25, d=7, C=3, quantized=True):
    make = (lambda *s: rng.integers(0, 6, s) / 5) if quantized else (lambda *s: rng.random(s))
    return Dataset(
        name="toy", x_train=make(n, d), y_train=rng.integers(0, C, n), x_test=make(nt, d),
        y_test=rng.integers(0, C, nt), class_names=tuple("abc"[:C]), image_shape=None, description="toy",
    )


def _oracle(xq, yq, xr, yr, p):
    D = np.abs(xq[:, None] - xr[None]).max(-1) if np.isinf(p) else np.sqrt(((xq[:, None] - xr[None]) ** 2).sum(-1))
    D = np.where(yq[:, None] != yr[None], D, np.inf)
    return D, D.min(1), D.argmin(1)


@pytest.mark.parametrize("norm,p", [("inf", np.inf), ("2", 2.0)])
def test_train_train_and_test_train_equal_brute_force(norm, p):
    ds = _dataset(np.random.default_rng(0), quantized=norm == "inf")
    rep = separation(ds, norm=norm)
    D, r, j = _oracle(ds.x_train, ds.y_train, ds.x_train, ds.y_train, p)
    Dt, s, jt = _oracle(ds.x_test, ds.y_test, ds.x_train, ds.y_train, p)
    np.testing.assert_allclose(rep.train_train, r, rtol=1e-13, atol=0)
    np.testing.assert_allclose(rep.test_train, s, rtol=1e-13, atol=0)
    # the index attains the minimum and has another label
    np.testing.assert_allclose(D[np.arange(len(r)), rep.train_train_index], r, rtol=1e-13)
    np.testing.assert_allclose(Dt[np.arange(len(s)), rep.test_train_index], s, rtol=1e-13)
    assert rep.train_train_min == pytest.approx(r.min(), rel=1e-13) and rep.test_train_min == pytest.approx(s.min(), rel=1e-13)
    for a in range(3):
        for b in range(3):
            if a == b:
                assert math.isnan(rep.pair_min_train[a, b]) and math.isnan(rep.pair_min_test[a, b])
                continue
            expect = D[np.ix_(ds.y_train == a, ds.y_train == b)].min()
            expect_t = Dt[np.ix_(ds.y_test == a, ds.y_train == b)].min()
            assert rep.pair_min_train[a, b] == pytest.approx(expect, rel=1e-13)
            assert rep.pair_min_test[a, b] == pytest.approx(expect_t, rel=1e-13)


def test_linf_is_bit_exact():
    ds = _dataset(np.random.default_rng(5), quantized=False)
    rep = separation(ds)
    _, r, _ = _oracle(ds.x_train, ds.y_train, ds.x_train, ds.y_train, np.inf)
    np.testing.assert_array_equal(rep.train_train, r)


def test_duplicates_across_labels_have_zero_separation_and_are_dropped_first():
    rng = np.random.default_rng(1)
    ds = _dataset(rng, quantized=False)
    x = ds.x_train.copy()
    y = ds.y_train.copy()
    x[10] = x[3]
    y[3], y[10] = 0, 1  # the same image with two labels
    ds = Dataset("dup", x, y, ds.x_test, ds.y_test, ds.class_names, None, "dup")
    rep = separation(ds, drop=2, delta=0.1)
    assert rep.train_train[3] == 0 and rep.train_train[10] == 0
    assert rep.train_train_index[3] == 10 and rep.train_train_index[10] == 3
    assert sorted(rep.dropped.tolist()) == [3, 10]
    assert rep.train_train_min == 0
    assert rep.train_train_min_filtered == np.sort(rep.train_train)[2] > 0
    out = rep.to_dict(closest=3)
    assert out["c_train_train"] == math.inf
    assert out["c_train_train_filtered"] == pytest.approx(0.2 / rep.train_train_min_filtered)
    first = out["closest_train_pairs"][0]
    assert {first["index"], first["neighbour"]} == {3, 10} and first["distance"] == 0
    assert {frozenset((p["index"], p["neighbour"])) for p in out["closest_train_pairs"]}.__len__() == 3


def test_filtering_drops_the_k_smallest_values():
    ds = _dataset(np.random.default_rng(2), quantized=False)
    rep = separation(ds, drop=4)
    order = np.argsort(rep.train_train, kind="stable")
    np.testing.assert_array_equal(rep.dropped, order[:4])
    assert rep.train_train_min_filtered == rep.train_train[order[4]]
    kept = np.delete(rep.train_train, rep.dropped)
    assert rep.train_train_min_filtered == kept.min()


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(norm="3"), "`norm` must be 'inf' or '2', got '3' (e.g. --norm inf)"),
        (dict(drop=-1), "`drop` must be an integer in [0, n_train) = [0, 60), got -1 (e.g. --drop 4)"),
        (dict(drop=60), "`drop` must be an integer in [0, n_train) = [0, 60), got 60 (e.g. --drop 4)"),
        (dict(delta=-0.5), "`delta` must be a finite number >= 0, got -0.5 (e.g. --delta 0.1)"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError) as exc:
        separation(_dataset(np.random.default_rng(0)), **kwargs)
    assert str(exc.value) == message


def test_one_class_training_set_is_an_input_error():
    ds = _dataset(np.random.default_rng(0))
    one = Dataset("one", ds.x_train, np.zeros_like(ds.y_train), ds.x_test, ds.y_test, ds.class_names, None, "")
    with pytest.raises(InputError) as exc:
        separation(one)
    assert str(exc.value) == "`data` must have at least 2 classes in the training set, got only class 'a' in 'one'"
