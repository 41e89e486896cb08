"""Bootstrap over teachers and nested seeds: resampling by hand agrees, identity draws
give the estimate, percentile intervals cover at about the nominal rate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from uniformgap import InputError
from uniformgap.analysis._bootstrap import mean_interval, percentile_interval, resample_indices
from uniformgap.analysis._estimator import build_cubes
from uniformgap.analysis._bootstrap import bootstrap_cube, percentile
from uniformgap.analysis._estimator import Cube, estimate_cube


def random_table(rng, configs=("a", "b", "c"), T=5, S=3, epochs=(0, 1)) -> pd.DataFrame:
    rows = []
    for cfg in configs:
        for t in range(T):
            for s in range(S):
                for e in epochs:
                    test = float(rng.lognormal(-1, 0.5))
                    rows.append({"config_id": cfg, "teacher": t, "seed": s, "n_samples": 20, "epoch": e,
                                 "l1": test, "val_l1": test * float(rng.lognormal(0, 0.2)), "diverged": False})
    return pd.DataFrame(rows)


def brute_force(table, teacher_draw, seed_draw, selection, kind):
    """eq. (5) on the resampled table, rebuilt row by row (relabelled teachers/seeds)."""
    parts = []
    for j, t in enumerate(teacher_draw):
        for i, s in enumerate(seed_draw[j]):
            rows = table[(table.teacher == t) & (table.seed == s)].copy()
            rows["teacher"], rows["seed"] = j, i
            parts.append(rows)
    boot = pd.concat(parts)
    if selection == "validation":  # per run: smallest val, earliest epoch
        boot = boot.sort_values(["config_id", "teacher", "seed", "val_l1", "epoch"])
        boot = boot.groupby(["config_id", "teacher", "seed"]).head(1)
        boot["cand"] = boot["config_id"]
        crit_col = "val_l1"
    else:
        boot["cand"] = boot["config_id"] + "@" + boot["epoch"].astype(str)
        crit_col = "l1"
    reduce_t = "max" if kind == "worst" else "mean"
    crit = boot.groupby(["cand", "teacher"])[crit_col].mean().groupby("cand").agg(reduce_t)
    best = crit.idxmin()
    return boot[boot.cand == best].groupby("teacher")["l1"].mean().agg(reduce_t)


@pytest.mark.parametrize("selection", ["validation", "test"])
@pytest.mark.parametrize("kind", ["worst", "average"])
def test_replicates_equal_a_brute_force_resample(selection, kind):
    rng = np.random.default_rng(11)
    table = random_table(rng)
    (cube,) = build_cubes(table, "l1", selection).values()
    idx_t, idx_s = resample_indices(5, 3, 6, np.random.default_rng(5))
    boot = bootstrap_cube(cube, kind, idx_t, idx_s)
    for b in range(6):
        assert boot[b] == pytest.approx(brute_force(table, idx_t[b], idx_s[b], selection, kind), rel=1e-12)


def test_identity_draw_gives_the_point_estimate():
    table = random_table(np.random.default_rng(2))
    (cube,) = build_cubes(table, "l1", "validation").values()
    idx_t = np.arange(5)[None, :]
    idx_s = np.broadcast_to(np.arange(3), (1, 5, 3))
    for kind in ("worst", "average"):
        assert bootstrap_cube(cube, kind, idx_t, idx_s)[0] == estimate_cube(cube, kind).value


def test_resample_indices_are_seeded_and_in_range():
    a = resample_indices(7, 3, 50, np.random.default_rng(1))
    b = resample_indices(7, 3, 50, np.random.default_rng(1))
    c = resample_indices(7, 3, 50, np.random.default_rng(2))
    assert a[0].shape == (50, 7) and a[1].shape == (50, 7, 3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].min() == 0 and a[0].max() == 6 and a[1].max() == 2
    with pytest.raises(InputError) as exc:
        resample_indices(7, 3, 50, 42)
    assert str(exc.value) == (
        "`generator` must be a numpy.random.Generator, got int (e.g. generator=np.random.default_rng(0))"
    )


def _mean_cube(values: np.ndarray) -> Cube:
    T, S = values.shape
    return Cube("l2", 100, ("a",), (None,), tuple(range(T)), tuple(range(S)),
                values[None], values[None], np.zeros((1, T, S), dtype=np.int64))


def test_percentile_interval_coverage_is_near_nominal():
    """Teacher effects N(0, 0.3²) + seed noise N(0, 0.2²) around μ = 1: the teacher-mean
    estimate's 95% interval should contain μ in ~95% of 200 repetitions (85%–99%)."""
    rng = np.random.default_rng(1234)
    T, S, reps, hits = 30, 3, 200, 0
    for _ in range(reps):
        values = 1.0 + 0.3 * rng.standard_normal((T, 1)) + 0.2 * rng.standard_normal((T, S))
        idx_t, idx_s = resample_indices(T, S, 400, rng)
        lo, hi = percentile_interval(bootstrap_cube(_mean_cube(values), "average", idx_t, idx_s), 0.95)
        hits += lo <= 1.0 <= hi
    assert 0.85 <= hits / reps <= 0.99


def test_constant_data_has_a_zero_width_interval():
    cube = _mean_cube(np.full((4, 2), 0.25))
    idx_t, idx_s = resample_indices(4, 2, 100, np.random.default_rng(0))
    for kind in ("worst", "average"):
        assert percentile_interval(bootstrap_cube(cube, kind, idx_t, idx_s)) == (0.25, 0.25)


def test_percentile_matches_numpy_and_handles_infinity():
    v = np.random.default_rng(3).random(101)
    for q in (0.025, 0.5, 0.975):
        assert percentile(v, q) == pytest.approx(np.percentile(v, 100 * q), rel=1e-14)
    with_inf = np.array([1.0, 2.0, math.inf, math.inf, math.nan])
    assert percentile(with_inf, 1.0) == math.inf  # NumPy would give NaN here
    assert percentile(with_inf, 0.0) == 1.0
    assert math.isnan(percentile(np.array([math.nan]), 0.5))
    with pytest.raises(InputError) as exc:
        percentile_interval(v, 95)
    assert str(exc.value) == "`level` must be a number in (0, 1), got 95 (e.g. level=0.95)"


def _brute_mean_interval(a, n_boot, rng, level):
    means = [a[rng.integers(0, len(a), size=(1, len(a)))][0].mean() for _ in range(n_boot)]
    return tuple(np.percentile(means, [50 * (1 - level), 50 * (1 + level)]))


def test_mean_interval_equals_a_brute_force_resample_of_points():
    a = (np.random.default_rng(2).random(57) < 0.3).astype(float)
    got = mean_interval(a, 300, np.random.default_rng(9), 0.9)
    assert got == pytest.approx(_brute_mean_interval(a, 300, np.random.default_rng(9), 0.9), rel=1e-12)
    # S seeds on the same points: the bootstrap of the per-point seed mean
    seeds = np.random.default_rng(3).random((3, 57)) < 0.5
    assert mean_interval(seeds, 200, np.random.default_rng(1)) == mean_interval(seeds.mean(0), 200, np.random.default_rng(1))


def test_mean_interval_covers_a_bernoulli_rate_at_about_the_nominal_level():
    rng = np.random.default_rng(77)
    hits = sum(lo <= 0.3 <= hi for lo, hi in (mean_interval(rng.random(300) < 0.3, 400, rng) for _ in range(200)))
    assert 0.88 <= hits / 200 <= 0.99


def test_mean_interval_degenerate_and_bad_inputs():
    assert mean_interval(np.ones(20, bool), 50, np.random.default_rng(0)) == (1.0, 1.0)
    with pytest.raises(InputError) as exc:
        mean_interval(np.zeros((2, 3, 4)), 10, np.random.default_rng(0))
    assert str(exc.value) == "`values` must be a non-empty (n,) or (S, n) array, got shape (2, 3, 4)"
