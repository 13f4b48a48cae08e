"""Tests of companion.experiments.cnn: the small CNN, its feature maps and the neighbour measures."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from companion.experiments import cnn  # noqa: E402
from companion.reference import functional as nd  # noqa: E402

# --- small_cnn ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, layer", [("none", None), ("element", nn.Dropout), ("spatial", nn.Dropout2d)]
)
def test_small_cnn_places_the_chosen_dropout_after_each_block(kind, layer):
    model = cnn.small_cnn((4, 6), dropout=kind, rate=0.3)
    drops = [m for m in model if isinstance(m, (nn.Dropout, nn.Dropout2d))]
    if layer is None:
        assert drops == []
    else:
        assert len(drops) == 2 and all(type(m) is layer and m.p == 0.3 for m in drops)
        assert all(isinstance(model[end + 1], layer) for end in model.block_ends)
    assert model(torch.rand(5, 784)).shape == (5, 10)


def test_small_cnn_batchnorm_and_refusals():
    model = cnn.small_cnn((4,), batchnorm=True)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model) == 1
    with pytest.raises(ValueError, match="dropout"):
        cnn.small_cnn(dropout="channel")
    with pytest.raises(ValueError, match="^rate "):
        cnn.small_cnn(dropout="element", rate=1.5)
    with pytest.raises(ValueError, match="channels"):
        cnn.small_cnn(())
    with pytest.raises(ValueError, match="divisible"):
        cnn.small_cnn((2, 2, 2), image_size=28)


def test_feature_maps_are_the_block_outputs_and_restore_the_mode():
    torch.manual_seed(0)
    model = cnn.small_cnn((3, 5), dropout="spatial").train()
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    first, second = cnn.feature_maps(model, x, 0), cnn.feature_maps(model, x, 1)
    assert first.shape == (4, 3, 14, 14) and second.shape == (4, 5, 7, 7)
    assert first.dtype == np.float32 and (first >= 0).all()
    assert model.training  # restored
    with torch.no_grad():
        expected = model.eval()[:4](torch.as_tensor(x)).numpy()
    np.testing.assert_array_equal(first, expected)
    with pytest.raises(ValueError, match="block"):
        cnn.feature_maps(model, x, 2)
    with pytest.raises(TypeError, match="small_cnn"):
        cnn.feature_maps(nn.Sequential(nn.Linear(784, 2)), x)


# --- neighbour measures ---------------------------------------------------------------------------


def test_neighbour_correlation_of_smooth_and_white_maps():
    rng = np.random.default_rng(1)
    white = rng.standard_normal((20, 2, 16, 16))
    assert abs(cnn.neighbour_correlation(white)) < 0.05
    # a random walk in both directions
    smooth = np.cumsum(np.cumsum(white, axis=2), axis=3)
    assert cnn.neighbour_correlation(smooth) > 0.9
    constant = np.concatenate([white[:, :1], np.ones((20, 1, 16, 16))], axis=1)
    per_channel = cnn.neighbour_correlation(constant, per_channel=True)
    assert np.isnan(per_channel[1]) and not np.isnan(per_channel[0])
    with pytest.raises(ValueError, match="constant"):
        cnn.neighbour_correlation(np.ones((2, 1, 4, 4)))
    with pytest.raises(ValueError, match="shape"):
        cnn.neighbour_correlation(np.ones((4, 4)))


def test_neighbour_estimate_averages_kept_neighbours_only():
    maps = np.arange(9, dtype=float).reshape(1, 1, 3, 3)
    keep = np.ones((1, 1, 3, 3), dtype=bool)
    keep[0, 0, 1, 1] = False  # the centre (value 4) is dropped
    keep[0, 0, 0, 1] = False  # and its upper neighbour (value 1)
    estimate = cnn.neighbour_estimate(maps, keep)
    assert estimate[0, 0, 1, 1] == pytest.approx((3 + 5 + 7) / 3)
    assert estimate[0, 0, 0, 0] == pytest.approx(3.0)  # neighbours 1 (dropped) and 3
    with pytest.raises(TypeError, match="boolean"):
        cnn.neighbour_estimate(maps, keep.astype(int))


def test_reconstruction_error_element_wise_small_spatial_one():
    rng = np.random.default_rng(2)
    smooth = np.cumsum(np.cumsum(rng.standard_normal((8, 4, 20, 20)), axis=2), axis=3)
    ones = np.ones_like(smooth)
    element = nd.dropout(ones, 0.25, rng=3) > 0
    spatial = nd.spatial_dropout(ones, 0.25, rng=4, data_format="channels_first") > 0
    assert cnn.reconstruction_error(smooth, element) < 0.1
    assert cnn.reconstruction_error(smooth, spatial) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="undefined"):
        cnn.reconstruction_error(
            np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3), dtype=bool)
        )
