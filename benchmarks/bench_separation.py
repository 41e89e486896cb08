"""Benchmark: exact separation statistics (docs/robust.md §6.1) against scikit-learn.

The simple alternative a user would write: for each class c, scikit-learn's brute-force
chebyshev (ℓ∞) ``NearestNeighbors`` fitted on the training points of the other labels. Both run
side by side in this one process; the script prints each time, the speed ratio and whether the
answers agree (distances bit for bit; each index attains the distance).

Part 1: mnist-5k, train–train and test–train (the command's default work).
Part 2: a user's full MNIST shape, test–train n_test × n_train × d (default 10,000 × 60,000 × 784),
on random data: ``--data mnist-like`` (the 5,000 bundled digits with random shifts of up to 2
pixels, contrast 0.8–1.2 and pixel noise, quantized to /255; labels of the source digit) or
``--data uniform`` (i.i.d. uniform pixels /255: no structure, the hardest case for pruning).
scikit-learn runs on the first ``--sklearn-queries`` test points only and its full time is
extrapolated linearly (labelled so). Peak memory (max RSS) is printed after each part.

    python benchmarks/bench_separation.py --quick      # part 2 at 12,000 × 2,000
    python benchmarks/bench_separation.py              # part 2 at 60,000 × 10,000
    python benchmarks/bench_separation.py --data uniform --n-train 20000 --n-test 2000

This is a script, not a test: it prints numbers, it asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="part 2 at 12,000 train × 2,000 test")
    p.add_argument("--n-train", type=int, help="part 2 training points (default 60000; 12000 with --quick)")
    p.add_argument("--n-test", type=int, help="part 2 test points (default 10000; 2000 with --quick)")
    p.add_argument("--data", choices=("mnist-like", "uniform"), default="mnist-like")
    p.add_argument("--sklearn-queries", type=int, default=200, help="part 2: test points given to scikit-learn")
    p.add_argument("--skip-part1", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ours(xq, yq, xr, yr):
    from uniformgap.robust._separation import _to_other

    return _to_other(xq, yq, xr, yr, np.inf, None)


def sklearn_other(xq, yq, xr, yr):
    from sklearn.neighbors import NearestNeighbors

    dist = np.full(len(xq), np.inf)
    index = np.full(len(xq), -1)
    for c in np.unique(yq):
        rows, others = np.flatnonzero(yq == c), np.flatnonzero(yr != c)
        nn = NearestNeighbors(n_neighbors=1, algorithm="brute", metric="chebyshev").fit(xr[others])
        d, j = nn.kneighbors(xq[rows])
        dist[rows], index[rows] = d[:, 0], others[j[:, 0]]
    return dist, index


def agree(a, b, xq, xr) -> str:
    same = np.array_equal(a[0], b[0])
    attained = all(np.abs(xq[i] - xr[j]).max() == a[0][i] for i, j in enumerate(b[1]))
    return f"distances identical: {same}; scikit-learn's indices attain our distances: {attained}"


def timed(f, *args):
    t = time.perf_counter()
    out = f(*args)
    return out, time.perf_counter() - t


def part1():
    from uniformgap.robust import load_dataset

    ds = load_dataset("mnist-5k")
    x, y, xt, yt = ds.x_train, ds.y_train, ds.x_test, ds.y_test
    ours(x[::80], y[::80], x[::40], y[::40])  # compile (or load the cached kernel)
    print("part 1: mnist-5k (4,000 train, 1,000 test, d = 784), exact l-inf")
    for name, xq, yq in (("train-train", x, y), ("test-train", xt, yt)):
        a, ta = timed(ours, xq, yq, x, y)
        b, tb = timed(sklearn_other, xq, yq, x, y)
        print(f"  {name}: ours {ta:.2f} s, scikit-learn brute chebyshev {tb:.2f} s, ratio {tb / ta:.1f}x; min {a[0].min():.4f}")
        print(f"    {agree(a, b, xq, x)}")
    print(f"  peak memory {peak_mib():.0f} MiB")


def mnist_like(n, rng, x, y):
    src = rng.integers(0, len(x), n)
    img = x[src].reshape(n, 28, 28)
    out = np.zeros_like(img)
    sh = rng.integers(-2, 3, (n, 2))
    for k in range(n):
        out[k] = np.roll(img[k], tuple(sh[k]), axis=(0, 1))
    out = out * rng.uniform(0.8, 1.2, (n, 1, 1)) + rng.normal(0, 0.02, out.shape) * (out > 0)
    return np.round(np.clip(out, 0, 1).reshape(n, 784) * 255) / 255, y[src]


def part2(args):
    rng = np.random.default_rng(args.seed)
    n_train = args.n_train or (12000 if args.quick else 60000)
    n_test = args.n_test or (2000 if args.quick else 10000)
    if args.data == "uniform":
        x, xt = rng.integers(0, 256, (n_train, 784)) / 255, rng.integers(0, 256, (n_test, 784)) / 255
        y, yt = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    else:
        from uniformgap.robust import load_dataset

        ds = load_dataset("mnist-5k")
        pool_x, pool_y = np.vstack([ds.x_train, ds.x_test]), np.concatenate([ds.y_train, ds.y_test])
        x, y = mnist_like(n_train, rng, pool_x, pool_y)
        xt, yt = mnist_like(n_test, rng, pool_x, pool_y)
    print(f"part 2: test-train {n_test} x {n_train} x 784, {args.data} random data, exact l-inf")
    before = peak_mib()
    a, ta = timed(ours, xt, yt, x, y)
    print(f"  ours {ta:.1f} s (min {a[0].min():.4f}, median {np.median(a[0]):.4f}); peak memory {peak_mib():.0f} MiB "
          f"(data {(x.nbytes + xt.nbytes) / 2**20:.0f} MiB, before the search {before:.0f} MiB)")
    k = min(args.sklearn_queries, n_test)
    b, tb = timed(sklearn_other, xt[:k], yt[:k], x, y)
    full = tb * n_test / k
    print(f"  scikit-learn brute chebyshev on {k} test points {tb:.1f} s -> {full:.0f} s for all {n_test} "
          f"(EXTRAPOLATED linearly); ratio {full / ta:.1f}x")
    print(f"    on those {k}: {agree((a[0][:k], a[1][:k]), b, xt[:k], x)}")


if __name__ == "__main__":
    args = parse_args()
    if not args.skip_part1:
        part1()
    part2(args)
