"""Size table (docs/robust.md §3-§4, §7): built rows equal the formulas, formula rows beyond the limit, rates."""

import json
import math

import numpy as np
import pytest

from uniformgap import InputError
from uniformgap.cli import main
from uniformgap.robust import c1_counts, c2_counts, size_table
from uniformgap.robust._counts import per_hat
from uniformgap.robust._sizes import rate_curves


def test_rows_are_built_up_to_the_limit_and_exact_beyond():
    t = size_table([2, 3, 4], [4, 8], eps=0.25, c=0.5, max_build_nnz=40000)
    c1 = [r for r in t.rows if r.construction == "C1"]
    c2 = [r for r in t.rows if r.construction == "C2"]
    assert len(c1) == 6 and len(c2) == 3
    for r in c1:
        assert r.status == "built+verified" and r.nnz_weights == r.nnz_weights_formula == c1_counts(r.N // 2, r.N - r.N // 2, r.d).nnz_weights
    big = c2[-1]  # d = 4: 10^4 hats * 45 > 40000
    assert big.status == "formula" and big.nnz_weights == 8 + 10**4 * per_hat(4)
    assert big.log10_hats == pytest.approx(4.0)
    built = [r for r in c2 if r.status == "built+verified"]
    assert built and all(r.nnz_weights <= r.nnz_weights_formula == c2_counts(r.d, 9).nnz_weights for r in built)


def test_rate_shapes_have_the_papers_slopes():
    d = np.array([2.0, 3.0])
    r = rate_curves(d, eps=0.1, c=0.5, N=100)
    assert r["Thm 3.3"][1] - r["Thm 3.3"][0] == pytest.approx(-math.log10(0.05))
    assert r["Thm 4.3"][1] - r["Thm 4.3"][0] == pytest.approx(-math.log10(0.2) / 6)


def test_bad_arguments():
    with pytest.raises(InputError, match=r"^`dims` must be integers >= 2, got \[1, 2\] \(e.g. --dims 2:8\)$"):
        size_table([1, 2], [4])
    with pytest.raises(InputError, match=r"^`eps` must be a number in \(0, 0.5\] \(the Theorem 4.3 instance\), got 0.7"):
        size_table([2], [4], eps=0.7)


def test_cli_json_plot_and_errors(tmp_path, capsys):
    plot = tmp_path / "sizes.png"
    code = main(["robust", "sizes", "--dims", "2:3", "--n-points", "4", "--max-build-nnz", "2000", "--plot", str(plot), "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    r = json.loads(out)
    assert r["plot"] == str(plot) and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {row["status"] for row in r["rows"]} <= {"built+verified", "formula", "formula (the instance drew one class only)"}
    assert all(v.split()[0 if "=" not in v.split()[1] else 2].startswith(("O(", "O~(", "Omega(")) for v in r["rates"].values())  # rates
    for argv, msg in [
        (["--c", "1"], "`--c` must be a number in (0, 1), got 1"),
        (["--plot", str(tmp_path / "x.gif")], "`--plot` must end in .png, .pdf or .svg"),
        (["--dims", "1:3"], "argument --dims: must be integers >= 2"),
    ]:
        try:
            code = main(["robust", "sizes", *argv])
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        assert code == 2 and msg in err and err.count("\n") == 1
