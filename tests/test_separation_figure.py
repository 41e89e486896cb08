"""The separation figure: written for image, 1-D and tabular data, δ marked, atomically."""

import numpy as np
import pytest

from uniformgap.robust import Dataset, separation
from uniformgap.robust._separation_figure import plot_separation


@pytest.mark.parametrize("shape", [(2, 2, 3), None])  # images (here RGB) and curves
def test_figure_is_written_for_every_kind_of_data(tmp_path, shape):
    rng = np.random.default_rng(0)
    ds = Dataset("toy", rng.random((30, 12)), np.arange(30) % 3, rng.random((6, 12)), np.arange(6) % 3, ("a", "b", "c"), shape, "")
    rep = separation(ds, drop=1, delta=0.05)
    path = plot_separation(rep, ds, tmp_path / "f.png", closest=4)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp*"))  # no temp file left behind
