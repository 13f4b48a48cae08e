"""Conventions, statistics and properties of the NumPy reference dropout variants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bad_values import BAD_RATE_IDS, BAD_RATES
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from companion import reference as nd

# Each variant as a function of (x, rate, **kw) on an input shape it accepts.
VARIANTS = {
    "dropout": (nd.dropout, (4, 6, 6, 3)),
    "dropout_reference": (nd.dropout_reference, (4, 6, 6, 3)),
    "spatial_dropout": (nd.spatial_dropout, (4, 6, 6, 3)),
    "gaussian_dropout": (nd.gaussian_dropout, (4, 6, 6, 3)),
    "alpha_dropout": (nd.alpha_dropout, (4, 6, 6, 3)),
    "drop_connect": (nd.drop_connect, (12, 8)),
    "drop_path": (nd.drop_path, (4, 6, 6, 3)),
    "drop_block": (
        lambda x, rate, **kw: nd.drop_block(x, rate, block_size=3, **kw),
        (4, 6, 6, 3),
    ),
}


@pytest.fixture(params=sorted(VARIANTS))
def variant(request):
    fn, shape = VARIANTS[request.param]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) + 2.0
    return request.param, fn, x


@pytest.mark.parametrize("rate, error", BAD_RATES, ids=BAD_RATE_IDS)
def test_bad_rate_is_refused_naming_rate_and_value(variant, rate, error):
    _, fn, x = variant
    with pytest.raises(error, match=r"rate") as info:
        fn(x, rate, rng=0)
    assert repr(rate)[:10] in str(info.value) or str(np.asarray(rate).shape) in str(
        info.value
    )


@pytest.mark.parametrize(
    "dtype", [np.int32, np.int64, np.uint8, np.bool_, np.complex64]
)
def test_non_float_input_is_a_type_error(variant, dtype):
    _, fn, x = variant
    with pytest.raises(TypeError, match=str(np.dtype(dtype))):
        fn(x.astype(dtype), 0.5, rng=0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
def test_float_dtypes_are_kept(variant, dtype, training):
    _, fn, x = variant
    out = fn(x.astype(dtype), 0.3, rng=0, training=training)
    assert out.dtype == dtype and out.shape == x.shape


def test_rate_zero_returns_the_input_values(variant):
    _, fn, x = variant
    np.testing.assert_array_equal(fn(x, 0.0, rng=0), x)


def test_rate_one_gives_exact_zeros_even_for_inf_and_nan(variant):
    _, fn, x = variant
    x = x.copy()
    x.flat[0], x.flat[1], x.flat[2] = np.inf, -np.inf, np.nan
    out = fn(x, 1.0, rng=0)
    assert np.all(out == 0.0) and not np.isnan(out).any()


def test_inference_is_identity(variant):
    _, fn, x = variant
    np.testing.assert_array_equal(fn(x, 0.7, training=False), x)


def test_same_seed_same_mask_and_different_seed_different_mask(variant):
    _, fn, x = variant
    a, b, c = fn(x, 0.5, rng=3), fn(x, 0.5, rng=3), fn(x, 0.5, rng=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    gen_a, gen_b = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(fn(x, 0.5, rng=gen_a), fn(x, 0.5, rng=gen_b))


def test_input_is_not_modified(variant):
    _, fn, x = variant
    before = x.copy()
    fn(x, 0.5, rng=0)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    "bad, error",
    [("seven", TypeError), (1.5, TypeError), (True, TypeError), (-1, ValueError)],
)
def test_bad_rng_is_refused(variant, bad, error):
    _, fn, x = variant
    with pytest.raises(error, match="rng"):
        fn(x, 0.5, rng=bad)


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_bad_training_flag_is_refused(variant, bad):
    _, fn, x = variant
    with pytest.raises(TypeError, match="training"):
        fn(x, 0.5, rng=0, training=bad)


# --- statistics (fixed seeds; bounds of 6+ standard errors, so they cannot flake) ---------------


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_realized_fraction_and_mean(rate):
    x = np.ones(400_000, dtype=np.float32)
    out = nd.dropout(x, rate, rng=1)
    se = math.sqrt(rate * (1 - rate) / x.size)
    assert abs(np.mean(out == 0) - rate) < 6 * se
    assert abs(out.mean() - 1.0) < 6 * se / (1 - rate)
    np.testing.assert_allclose(np.unique(out), [0.0, 1.0 / (1.0 - rate)], rtol=1e-6)


def test_standard_scaling_matches_inverted_in_expectation():
    x = np.full(200_000, 3.0)
    train_std, test_std = (
        nd.dropout(x, 0.4, rng=2, scaling="standard"),
        nd.dropout(x, 0.4, training=False, scaling="standard"),
    )
    train_inv = nd.dropout(x, 0.4, rng=2)
    np.testing.assert_allclose(test_std, 3.0 * 0.6)
    # E[train] = test output
    np.testing.assert_allclose(train_std.mean(), test_std.mean(), rtol=0.01)
    np.testing.assert_allclose(train_inv, train_std / 0.6)  # same mask, different scale


def test_noise_shape_shares_the_mask_along_axes():
    x = np.ones((64, 5, 7), dtype=np.float32)
    out = nd.dropout(x, 0.5, rng=0, noise_shape=(None, 1, 7))
    assert np.all(out == out[:, :1, :])
    assert 0.3 < np.mean(out == 0) < 0.7


@pytest.mark.parametrize(
    "noise_shape, error",
    [
        ((64, 5), ValueError),
        ((64, 2, 7), ValueError),
        ((64, 1.0, 7), TypeError),
        (5, TypeError),
    ],
)
def test_bad_noise_shape_is_refused(noise_shape, error):
    with pytest.raises(error, match="noise_shape"):
        nd.dropout(np.ones((64, 5, 7)), 0.5, noise_shape=noise_shape)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout_drops_whole_channels(data_format):
    x = np.ones((50, 4, 4, 40), dtype=np.float32)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    out = nd.spatial_dropout(x, 0.5, rng=0, data_format=data_format)
    maps = out if data_format == "channels_first" else np.moveaxis(out, -1, 1)
    per_map = maps.reshape(50, 40, -1)
    # each map all-kept or all-dropped
    assert np.all(per_map.min(axis=2) == per_map.max(axis=2))
    assert 0.4 < np.mean(per_map[:, :, 0] == 0) < 0.6


def test_spatial_dropout_refuses_wrong_rank_and_format():
    with pytest.raises(ValueError, match="3 to 5"):
        nd.spatial_dropout(np.ones((4, 3)), 0.5)
    with pytest.raises(ValueError, match="data_format"):
        nd.spatial_dropout(np.ones((4, 3, 3)), 0.5, data_format="nchw")


def test_drop_path_drops_whole_samples():
    x = np.ones((2000, 3, 5), dtype=np.float32)
    out = nd.drop_path(x, 0.25, rng=0)
    per_sample = out.reshape(2000, -1)
    assert np.all(per_sample.min(axis=1) == per_sample.max(axis=1))
    assert abs(np.mean(per_sample[:, 0] == 0) - 0.25) < 0.06
    unscaled = nd.drop_path(x, 0.25, rng=0, scale_by_keep=False)
    assert set(np.unique(unscaled)) <= {0.0, 1.0}


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_alpha_dropout_keeps_mean_and_variance_of_standardized_input(rate):
    x = np.random.default_rng(0).standard_normal(1_000_000)
    out = nd.alpha_dropout(x, rate, rng=1)
    assert abs(out.mean()) < 0.01 and abs(out.var() - 1.0) < 0.02
    a = ((1 - rate) * (1 + rate * nd.SELU_ALPHA_PRIME**2)) ** -0.5
    dropped_value = a * nd.SELU_ALPHA_PRIME - a * nd.SELU_ALPHA_PRIME * rate
    assert np.mean(np.isclose(out, dropped_value, rtol=0, atol=1e-12)) == pytest.approx(
        rate, abs=0.005
    )


def test_gaussian_dropout_has_dropouts_mean_and_variance():
    rate = 0.3
    out = nd.gaussian_dropout(np.ones(1_000_000), rate, rng=0)
    assert abs(out.mean() - 1) < 0.005 and abs(out.var() - rate / (1 - rate)) < 0.01


def test_drop_connect_drops_individual_weights():
    w = np.ones((300, 200), dtype=np.float32)
    out = nd.drop_connect(w, 0.5, rng=0)
    rows_all_zero = np.all(out == 0, axis=1).sum()
    # entries, not whole units
    assert rows_all_zero == 0 and abs(np.mean(out == 0) - 0.5) < 0.01


def test_drop_block_drops_square_blocks_and_about_rate():
    x = np.ones((64, 24, 24, 8), dtype=np.float32)
    out = nd.drop_block(x, 0.2, block_size=5, rng=0)
    dropped = np.moveaxis(out == 0, -1, 1)  # (N, C, H, W)
    assert 0.12 < dropped.mean() < 0.26
    # one rescale factor
    np.testing.assert_allclose(out[out != 0], out[out != 0].flat[0])
    # rescaled by the realized keep fraction
    assert np.isclose(out.mean(), 1.0, rtol=1e-5)
    # every dropped pixel lies in some 5x5 window that is dropped entirely
    windows = np.lib.stride_tricks.sliding_window_view(dropped, (5, 5), axis=(2, 3))
    full = windows.all(axis=(-2, -1))  # (N, C, 20, 20): corners of all-dropped squares
    covered = np.zeros_like(dropped)
    for di in range(5):
        for dj in range(5):
            covered[:, :, di : di + 20, dj : dj + 20] |= full
    np.testing.assert_array_equal(covered, dropped)


def test_drop_block_rejects_bad_block_size():
    x = np.ones((2, 8, 8, 3))
    with pytest.raises(ValueError, match="block_size"):
        nd.drop_block(x, 0.1, block_size=9)
    with pytest.raises(TypeError, match="block_size"):
        nd.drop_block(x, 0.1, block_size=2.0)
    with pytest.raises(ValueError, match="4 dimensions"):
        nd.drop_block(np.ones((2, 8, 8)), 0.1)


def test_apply_mask_refuses_non_boolean_masks():
    with pytest.raises(TypeError, match="keep"):
        nd.apply_mask(np.ones(3), np.array([1, 0, 1]), 0.5)


# --- properties over shapes, dtypes and rates -------------------------------------------------

float_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6),
    elements=st.floats(-1e3, 1e3, width=16),
)


@settings(max_examples=150, deadline=None)
@given(
    x=float_arrays,
    rate=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
    scaling=st.sampled_from(["inverted", "standard"]),
)
def test_every_output_value_is_zero_or_the_scaled_input(x, rate, seed, scaling):
    out = nd.dropout(x, rate, rng=seed, scaling=scaling)
    assert out.shape == x.shape and out.dtype == x.dtype
    scale = 1.0 if scaling == "standard" or rate == 1.0 else 1.0 / (1.0 - rate)
    kept = out != 0
    # float16 is scaled in float32, as documented
    compute = np.promote_types(x.dtype, np.float32)
    # a kept value beyond float16's range is inf on both sides
    with np.errstate(over="ignore"):
        expected = (x[kept].astype(compute) * compute.type(scale)).astype(x.dtype)
    np.testing.assert_allclose(out[kept], expected, rtol=1e-3)
    if rate == 1.0:
        assert not kept.any()


@settings(max_examples=100, deadline=None)
@given(x=float_arrays, rate=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_mask_is_a_function_of_seed_and_shape_only(x, rate, seed):
    a = nd.dropout(np.abs(x) + 1, rate, rng=seed) != 0
    b = nd.dropout(np.abs(x) + 5, rate, rng=seed) != 0
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        a, nd.keep_mask(x.shape, rate, rng=seed) | (rate == 0)
    )


@settings(max_examples=100, deadline=None)
@given(
    rate=st.floats(0.0, 1.0),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
    shape=hnp.array_shapes(min_dims=3, max_dims=5, min_side=1, max_side=4),
)
def test_spatial_dropout_property(rate, data_format, shape):
    x = np.ones(shape, dtype=np.float32)
    out = nd.spatial_dropout(x, rate, rng=0, data_format=data_format)
    channel_axis = -1 if data_format == "channels_last" else 1
    maps = np.moveaxis(out, channel_axis, 1).reshape(
        shape[0], np.moveaxis(x, channel_axis, 1).shape[1], -1
    )
    assert np.all(maps.min(axis=2) == maps.max(axis=2))


def test_float16_scale_beyond_float16_range_is_applied_in_float32():
    x = np.full(400_000, 1e-3, dtype=np.float16)
    # scale 10,000 is representable, 1e-3 * 10,000 = 10
    out = nd.dropout(x, 0.9999, rng=0)
    kept = out[out != 0]
    assert out.dtype == np.float16 and len(kept) > 0 and np.all(np.isfinite(kept))
    np.testing.assert_allclose(kept, 10.0, rtol=1e-2)
    # scale 1e5 > float16 max
    out = nd.dropout(np.full(400_000, 1e-3, dtype=np.float16), 1 - 1e-5, rng=0)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("rate", [1 / 512, 0.1, 0.2, 0.5, 0.7, 0.999])
def test_fast_and_reference_masks_drop_the_same_fraction(rate):
    n = 2_000_000
    se = math.sqrt(rate * (1 - rate) / n)
    fast = 1 - nd.keep_mask((n,), rate, rng=5).mean()
    ref = 1 - nd.keep_mask_reference((n,), rate, rng=6).mean()
    assert abs(fast - rate) < 6 * se and abs(ref - rate) < 6 * se


def test_fast_and_reference_dropout_agree_in_distribution():
    x = np.random.default_rng(0).standard_normal(500_000).astype(np.float32)
    fast, ref = nd.dropout(x, 0.3, rng=1), nd.dropout_reference(x, 0.3, rng=2)
    for out in (fast, ref):
        kept = out != 0
        np.testing.assert_allclose(out[kept], x[kept] / np.float32(0.7), rtol=1e-6)
    assert abs(fast.mean() - ref.mean()) < 0.01 and abs(fast.std() - ref.std()) < 0.01


def test_keep_mask_rounds_no_probability_away():
    # a rate below 1/256 is carried entirely by the boundary draw
    keep = nd.keep_mask((4_000_000,), 0.001, rng=0)
    assert 0.0008 < 1 - keep.mean() < 0.0012


# --- the blocked fast path -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dropout_across_blocks_uses_keep_mask_in_c_order(dtype):
    # more than two blocks and a tail that is not a multiple of 8 bytes
    n = 2 * nd.MASK_BLOCK + 13
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(n, 1)).astype(dtype)
    out = nd.dropout(x, 0.3, rng=4)
    keep = nd.keep_mask(x.shape, 0.3, rng=4)
    np.testing.assert_array_equal(out != 0, keep)
    compute = np.promote_types(dtype, np.float32)  # float16 is scaled in float32
    np.testing.assert_array_equal(
        out[keep], (x[keep].astype(compute) * compute.type(1 / 0.7)).astype(dtype)
    )
    # a non-contiguous view of the same values gets the same mask, laid out in its own C order
    transposed = np.ascontiguousarray(x.T).T
    np.testing.assert_array_equal(nd.dropout(transposed, 0.3, rng=4), out)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dropped_inf_and_nan_become_zero_and_kept_ones_stay(dtype):
    x = np.tile(np.array([np.inf, -np.inf, np.nan, -2.0], dtype=dtype), 5_000)
    out = nd.dropout(x, 0.5, rng=0)
    keep = nd.keep_mask(x.shape, 0.5, rng=0)
    # +0.0, bits cleared
    assert np.all(out[~keep] == 0) and not np.signbit(out[~keep]).any()
    np.testing.assert_array_equal(out[keep], x[keep] * dtype(2))


def test_apply_mask_refuses_a_mask_that_does_not_broadcast():
    with pytest.raises(ValueError):
        nd.apply_mask(np.ones((3, 4)), np.ones(5, dtype=bool), 0.5)


def test_long_double_is_refused_with_its_dtype_named():
    with pytest.raises(TypeError, match="float128|longdouble"):
        nd.dropout(np.ones(3, dtype=np.longdouble), 0.5, rng=0)


def test_scaling_past_the_dtype_range_gives_inf_for_kept_values_and_no_warning(recwarn):
    # 6e4 / 0.5 exceeds float16's maximum of 65504
    x = np.full(1000, 6e4, dtype=np.float16)
    out = nd.dropout(x, 0.5, rng=0)
    keep = nd.keep_mask(x.shape, 0.5, rng=0)
    assert np.all(np.isposinf(out[keep])) and np.all(out[~keep] == 0)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
