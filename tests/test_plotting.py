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


def test_heatmap_puts_the_bright_end_at_the_good_end():
    from companion.experiments.plotting import heatmap

    fig, axes = plt.subplots(1, 2)
    values = [[0.1, 0.9]]
    acc = heatmap(axes[0], values, row_labels=[0], col_labels=[0, 1], better="higher")
    loss = heatmap(axes[1], values, row_labels=[0], col_labels=[0, 1], better="lower")
    bright = acc.cmap(1.0)
    # the higher accuracy and the lower loss get the same (bright) colour
    assert acc.cmap(acc.norm(0.9)) == bright and loss.cmap(loss.norm(0.1)) == bright
    with pytest.raises(
        ValueError, match="better must be 'higher' or 'lower', got 'up'"
    ):
        heatmap(axes[0], values, row_labels=[0], col_labels=[0, 1], better="up")
    plt.close(fig)


def test_network_diagram_leaves_out_the_connections_of_dropped_units():
    from companion.experiments.plotting import network_diagram

    fig, (full, thinned) = plt.subplots(1, 2)
    network_diagram(full, [3, 4, 2])
    assert len(full.lines) == 3 * 4 + 4 * 2
    keep = [[True, False, True], [True, True, False, False], [True, True]]
    network_diagram(thinned, [3, 4, 2], keep)
    assert len(thinned.lines) == 2 * 2 + 2 * 2
    with pytest.raises(ValueError, match=r"keep must hold one vector per layer"):
        network_diagram(thinned, [3, 4, 2], keep[:2])
    with pytest.raises(ValueError, match=r"sizes must hold two or more"):
        network_diagram(thinned, [3])
    plt.close(fig)


def test_book_style_draws_transparent_figures_in_the_palette():
    import matplotlib as mpl

    from companion.experiments.plotting import COLORS, INK, use_book_style

    with mpl.rc_context():
        use_book_style()
        fig, ax = plt.subplots()
        assert fig.get_facecolor()[3] == 0 and ax.get_facecolor()[3] == 0
        assert mpl.colors.to_hex(mpl.rcParams["text.color"]) == INK.lower()
        plt.close(fig)
    # one colour per arm, all different
    assert len(set(COLORS.values())) == len(COLORS)
