"""Figures are written (PNG and PDF, non-empty, readable) and show the right things:
the largest error of a known spike is found where the spike is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uniformgap.analysis import analyze, make_figures
from uniformgap.analysis._figures import figure_worst_case_line
from uniformgap.analysis._synthetic import write_synthetic_run
from uniformgap.analysis._figures import figure_training_curves


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    run = write_synthetic_run(tmp_path_factory.mktemp("fig") / "run", n_samples=(10, 1000), n_teachers=4,
                              diverged_fraction=0.05)
    return analyze(run, n_bootstrap=50, metrics=("l2", "linf"))


def _check_image(f):
    import matplotlib.image

    png = f.png.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    img = matplotlib.image.imread(f.png)
    assert img.shape[0] > 200 and img.shape[1] > 200
    assert img[..., :3].std() > 0.01  # not blank
    assert f.pdf.read_bytes()[:5] == b"%PDF-" and f.pdf.stat().st_size > 2000


def test_run_figures_are_written(analysis, tmp_path):
    figs = make_figures(analysis, tmp_path / "figs")
    names = [f.name for f in figs.files]
    assert names == ["fig2_error_vs_m", "heat_m10", "heat_m1000", "training_curves"]
    for f in figs.files:
        _check_image(f)
    # The synthetic run has no stored students: Figure 3 is skipped with a note, not an error.
    assert len(figs.notes) == 1 and figs.notes[0].startswith("Figure 3 (worst teacher vs best student) skipped:")


def test_training_curves_need_several_checkpoints(analysis, tmp_path):
    one_epoch = analysis.run.table[analysis.run.table["epoch"] == 100]
    single = type(analysis.run)(analysis.run.run_dir, one_epoch.reset_index(drop=True))
    assert figure_training_curves(analyze(single, n_bootstrap=0), tmp_path) is None


def spike(centre, M=20.0, height=2.0):
    """height · (1 − M‖x − centre‖_1)_+ as a torch callable (n, d) → (n,)."""
    c = torch.tensor(centre, dtype=torch.float64)

    def f(x):
        return height * torch.clamp(1 - M * (x - c).abs().sum(dim=1), min=0.0)

    return f


def zero(x):
    return torch.zeros(len(x), dtype=torch.float64)


def test_worst_case_line_1d_finds_the_spike(tmp_path):
    rng = np.random.default_rng(0)
    x_train = rng.uniform(-0.5, 0.5, (40, 1))
    x_train = x_train[np.abs(x_train[:, 0] - 0.123) > 0.06]  # no sample hits the spike
    f = figure_worst_case_line(spike([0.123]), zero, x_train, None, (-0.5, 0.5), tmp_path, name="line1d")
    _check_image(f)
    assert abs(f.data["x_max"] - 0.123) <= 0.5 / 4000 and f.data["err_max"] == pytest.approx(2.0, abs=0.02)
    assert f.data["n_near"] == len(x_train) and f.data["centre"] is None


def test_worst_case_line_2d_goes_through_the_largest_error(tmp_path):
    rng = np.random.default_rng(1)
    x_train = rng.uniform(-0.5, 0.5, (400, 2))
    f = figure_worst_case_line(spike([0.2, -0.1], M=4.0), zero, x_train, np.zeros(400), (-0.5, 0.5), tmp_path,
                               name="line2d", seed=3)
    _check_image(f)
    cx, cy = f.data["centre"]
    assert abs(cy + 0.1) < 0.03 and abs(cx - 0.2) < 0.03  # the sampled argmax is near the peak
    assert abs(f.data["x_max"] - 0.2) < 1e-3  # along the line, the peak in x_1 is at 0.2
    delta = 1.0 / (2 * 400 ** 0.5)
    assert f.data["n_near"] == int((np.abs(x_train[:, 1] - cy) <= delta).sum())


def test_student_network_of_float32_is_evaluated(tmp_path):
    from uniformgap.networks import ReLUNetwork

    net = ReLUNetwork([(torch.ones(3, 1, dtype=torch.float32), torch.zeros(3, dtype=torch.float32)),
                       (torch.ones(1, 3, dtype=torch.float32), torch.zeros(1, dtype=torch.float32))])
    x = np.linspace(-0.5, 0.5, 11)[:, None]
    f = figure_worst_case_line(zero, net, x, None, (-0.5, 0.5), tmp_path, name="f32")
    assert f.data["x_max"] == 0.5 and f.data["err_max"] == pytest.approx(1.5, abs=1e-6)  # 3·ρ(x) peaks at x = 1/2


def test_worst_case_line_3d_follows_the_diagonal(tmp_path):
    # a spike at t·(1, 1, 1) with t = 0.1: the diagonal passes through its peak
    rng = np.random.default_rng(2)
    x_train = rng.uniform(-0.5, 0.5, (300, 3))
    f = figure_worst_case_line(spike([0.1, 0.1, 0.1], M=4.0), zero, x_train, np.zeros(300), (-0.5, 0.5), tmp_path,
                               name="diag3d", line="diagonal")
    _check_image(f)
    assert f.data["line"] == "diagonal" and f.data["centre"] is None
    assert abs(f.data["x_max"] - 0.1) < 1e-3 and f.data["err_max"] == pytest.approx(2.0, abs=0.01)
    # samples within δ (ℓ∞) of their projection t = mean(x) onto the diagonal, brute force
    delta = 1.0 / (2 * 300 ** (1 / 3))
    t = np.clip(x_train.mean(axis=1), -0.5, 0.5)
    assert f.data["n_near"] == int((np.abs(x_train - t[:, None]).max(axis=1) <= delta).sum())


def test_worst_case_line_through_a_given_point_marks_it(tmp_path):
    # 1-D: a marked argmax off the grid (and off the samples) is on the line and is the largest error
    x_train = np.linspace(-0.5, 0.5, 9)[:, None]
    peak = 0.0123456789
    f = figure_worst_case_line(spike([peak], M=1e5), zero, x_train, None, (-0.5, 0.5), tmp_path, name="mark",
                               centre=np.array([peak]), note="a note")
    assert f.data["x_max"] == peak and f.data["err_max"] == pytest.approx(2.0, rel=1e-9)
    assert "a note" in f.caption
