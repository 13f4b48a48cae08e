"""The shared plot helpers: mean_band draws the mean and one sample standard deviation."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.experiments.plotting import mean_band  # noqa: E402


def _band(ax):
    (path,) = ax.collections[0].get_paths()
    return path.vertices[:, 1]


def test_mean_band_uses_the_sample_standard_deviation():
    fig, ax = plt.subplots()
    runs = np.array([[1.0, 2.0], [3.0, 6.0]])
    line = mean_band(ax, [0, 1], runs)
    np.testing.assert_allclose(line.get_ydata(), [2.0, 4.0])
    sd = runs.std(axis=0, ddof=1)
    band = _band(ax)
    assert np.isclose(band.max(), 4.0 + sd[1]) and np.isclose(band.min(), 2.0 - sd[0])
    plt.close(fig)


def test_mean_band_of_one_run_has_zero_width_and_bad_shapes_are_refused():
    fig, ax = plt.subplots()
    mean_band(ax, [0, 1, 2], [1.0, 2.0, 3.0])
    band = _band(ax)
    assert band.min() == 1.0 and band.max() == 3.0
    with pytest.raises(ValueError, match="runs must have shape"):
        mean_band(ax, [0, 1], [[1.0, 2.0, 3.0]])
    plt.close(fig)
