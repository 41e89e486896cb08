"""Analysis of robust runs (analysis/_robust_runs.py, _robust_figure.py, cli/_analyze_robust.py): W*(d) and
the gap table computed by hand on a synthetic table; the CLI's text, --json, figures and errors."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml

from _cli import run_cli
from uniformgap.analysis._robust_runs import ALPHA, analyze_robust, capacity_table, gap_table, manifold_table


def _row(d, width, size, seed, rob, cert, training="whole-support", unseen=0.0, train_rob=0.0, c1=None):
    return {"learner": "robust", "config_id": f"robust/d={d}/width={width}/training={training}",
            "trial_id": f"t{d}-{width}-{training}-{seed}", "n_samples": 2 ** (d - 1) if training == "whole-support" else 8,
            "teacher": 0, "seed": seed, "d": d, "M": 2 ** (d - 1), "width": width, "size": size, "training": training,
            "test_robust_error": rob, "test_certified_error": cert, "train_robust_error": train_rob,
            "unseen_fraction": unseen, "linear_clean_error": 0.0, "linear_robust_error": 1.0,
            "c1_size": c1, "c1_size_train": c1, "attacks": "pgd-ce,pgd-margin"}


def _table():
    rows = [
        # d = 3: size 10 reaches 0.2 at best; 20 reaches 0.05 (seed 0) -> W* attack 20; certified only 40
        _row(3, 2, 10, 0, 0.5, 0.6, c1=102), _row(3, 2, 10, 1, 0.2, 0.6, c1=102),
        _row(3, 4, 20, 0, 0.05, 0.5, c1=102), _row(3, 4, 20, 1, 0.3, 0.5, c1=102),
        _row(3, 8, 40, 0, 0.0, 0.2, c1=102), _row(3, 8, 40, 1, 0.0, 0.05, c1=102),
        # d = 4: never below 0.1
        _row(4, 2, 12, 0, 0.4, 0.9, c1=300), _row(4, 8, 44, 0, 0.2, 0.5, c1=300),
        # E2 rows at d = 4, width 8
        _row(4, 8, 44, 0, 0.5, 0.9, "sample", unseen=0.5, train_rob=0.0, c1=150),
        _row(4, 8, 44, 1, 0.3, 0.9, "sample", unseen=0.25, train_rob=0.1, c1=130),
    ]
    return pd.DataFrame(rows)


def test_wstar_by_hand():
    cap = {r.d: r for r in capacity_table(_table(), alpha=0.1)}
    assert (cap[3].wstar_attack, cap[3].wstar_certified, cap[3].sizes, cap[3].seeds) == (20, 40, [10, 20, 40], 2)
    assert (cap[4].wstar_attack, cap[4].wstar_certified, cap[4].best_error_attack) == (None, None, 0.2)
    assert cap[3].c1_size == 102 and cap[3].linear_robust_error == 1.0
    # a looser alpha: the best seed of size 10 (0.2) now counts
    assert capacity_table(_table(), alpha=0.25)[0].wstar_attack == 10


def test_gap_by_hand():
    (g,) = gap_table(_table())
    assert (g.d, g.width, g.size, g.n_draws, g.seeds) == (4, 8, 44, 8, 2)
    assert g.train_robust_error == pytest.approx(0.05) and g.test_robust_error == pytest.approx(0.4)
    assert g.floor == pytest.approx(0.2)  # the whole-support row of (d = 4, width 8)
    assert g.unseen_fraction == pytest.approx(0.375) and g.information_limit == pytest.approx(0.1875)
    assert g.c1_size_train == pytest.approx(140.0)


def _mrow(kind, k, d, width, seed, rob, cert, c1):
    return {**_row(k, width, d * width + width * width + width, seed, rob, cert, c1=c1), "d": d, "k": k,
            "manifold": kind, "rotate": False, "c1_on": "chart R^k" if kind == "linear" else "span R^2k"}


def test_manifold_wstar_by_hand():
    t = pd.DataFrame([
        # linear, k = 2, d = 8: width 2 (size 8*2+4+2 = 22) reaches 0.05 with seed 1 -> W* 22, width* 2
        _mrow("linear", 2, 8, 2, 0, 0.5, 0.5, 102), _mrow("linear", 2, 8, 2, 1, 0.05, 0.05, 102),
        # linear, k = 3, d = 8: width 2 never, width 4 (size 32+16+4 = 52) reaches 0.0; certified only 0.2
        _mrow("linear", 3, 8, 2, 0, 0.5, 0.6, 300), _mrow("linear", 3, 8, 4, 0, 0.0, 0.2, 300),
        # torus, k = 2, d = 16: nothing reaches 0.1; no certificate
        _mrow("torus", 2, 16, 4, 0, 0.25, math.nan, 198),
        _row(3, 2, 10, 0, 0.5, 0.6, c1=102),  # an E1 row in the same table: not an E3 row
    ])
    rows = {(r.manifold, r.k, r.d): r for r in manifold_table(t, alpha=0.1)}
    assert set(rows) == {("linear", 2, 8), ("linear", 3, 8), ("torus", 2, 16)}
    r = rows[("linear", 2, 8)]
    assert (r.wstar_attack, r.wstar_certified, r.width_star, r.sizes, r.seeds, r.c1_size) == (22, 22, 2, [22], 2, 102)
    r = rows[("linear", 3, 8)]
    assert (r.wstar_attack, r.wstar_certified, r.width_star, r.sizes) == (52, None, 4, [22, 52])
    r = rows[("torus", 2, 16)]
    assert (r.wstar_attack, r.wstar_certified, r.width_star, r.best_error_attack) == (None, None, None, 0.25)
    assert math.isnan(r.best_error_certified) and r.c1_on == "span R^2k"
    assert manifold_table(t, alpha=0.3)[-1].wstar_attack == 16 * 4 + 16 + 4  # a looser alpha counts the torus row
    assert capacity_table(t[t["manifold"].isna()], alpha=0.1)[0].d == 3


def _write_run(tmp_path, status="complete"):
    run = tmp_path / "run"
    run.mkdir()
    _table().to_parquet(run / "results.parquet", index=False)
    (run / "config.yaml").write_text(yaml.safe_dump({"experiment": "robust", "robust": {"eps": 0.25, "c": 0.5}}))
    (run / "run.json").write_text(json.dumps({"status": status}))
    return run


def test_analyze_robust_notes_are_honest(tmp_path):
    a = analyze_robust(_write_run(tmp_path, status="partial"), alpha=0.1)
    assert a.partial and a.notes[0].startswith("PARTIAL run")
    assert any("did not reach robust error <= 0.1 at d = 4" in n and "NOT an expressivity limit" in n for n in a.notes)
    assert any(n.startswith("E2: each unseen column costs about 1/2") for n in a.notes)


def test_cli_analyze_robust(tmp_path, capsys):
    run = _write_run(tmp_path)
    code, out, _ = run_cli(["analyze", str(run), "--json", "--figures", str(tmp_path / "fig")], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["experiment"] == "robust" and data["alpha"] == ALPHA
    assert [r["wstar_attack"] for r in data["capacity"]] == [20, None]
    assert sorted(p.rsplit("/", 1)[-1] for p in data["figures"]) == [
        "e1_capacity.pdf", "e1_capacity.png", "e2_gap.pdf", "e2_gap.png"]
    code, out, _ = run_cli(["analyze", str(run), "--alpha", "0.25"], capsys)
    assert code == 0 and "E1 capacity" in out and "E2 gap" in out and "> 44 (not reached)" in out
    code, _, err = run_cli(["analyze", str(run), "--alpha", "1.5"], capsys)
    assert code == 2
    assert err.strip().endswith("`--alpha` must be a number in [0, 1), got 1.5 (e.g. --alpha 0.1)")


def test_figure_rates_pass_through_their_anchor(tmp_path):
    from uniformgap.analysis._robust_figure import figure_capacity

    import matplotlib

    matplotlib.use("Agg")
    a = analyze_robust(_write_run(tmp_path))
    f = figure_capacity(a, tmp_path / "fig")
    rates = f.data["rates"]
    # Thm 2.2's rate through C1's first size, Thm 4.3's through the first W*; 4.3's slope: (d-1)/6 log10(K)
    c1_rate = next(v for k, v in rates.items() if k.startswith("Thm 2.2"))
    lb_rate = next(v for k, v in rates.items() if k.startswith("Thm 4.3"))
    assert c1_rate[0] == pytest.approx(102) and lb_rate[0] == pytest.approx(20)
    assert math.log10(lb_rate[1] / lb_rate[0]) == pytest.approx(math.log10(2) / 6)


def test_cli_alpha_default_is_the_analysis_default():
    from uniformgap.cli._analyze import ALPHA as CLI_ALPHA

    assert CLI_ALPHA == ALPHA
