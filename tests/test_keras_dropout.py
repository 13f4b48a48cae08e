"""Tests of companion.keras.dropout: conventions, serialization, MC-dropout helpers, cross-framework agreement.

The tests run on whatever Keras backend is configured (TensorFlow by default); one test runs a
short script on the PyTorch backend in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from bad_values import BAD_RATE_IDS, BAD_RATES  # noqa: E402
from keras import ops  # noqa: E402

from companion.keras import dropout as kd  # noqa: E402
from companion.reference import functional as numpy_dropout  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _np(x) -> np.ndarray:
    return ops.convert_to_numpy(x)


# --- conventions -------------------------------------------------------------------------------


@pytest.mark.parametrize("layer_class", [kd.Dropout, kd.MCDropout])
@pytest.mark.parametrize("bad, error", BAD_RATES, ids=BAD_RATE_IDS)
def test_bad_rate_is_refused_naming_rate_and_value(layer_class, bad, error):
    with pytest.raises(error) as info:
        layer_class(bad)
    message = str(info.value)
    assert message.startswith("rate ")
    assert repr(bad) in message


@pytest.mark.parametrize("bad, error", BAD_RATES, ids=BAD_RATE_IDS)
def test_apply_mask_refuses_bad_rate(bad, error):
    with pytest.raises(error, match=r"^rate "):
        kd.apply_mask(np.ones(3, np.float32), np.ones(3, bool), bad)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"noise_shape": "abc"}, TypeError, r"^noise_shape "),
        ({"noise_shape": 3}, TypeError, r"^noise_shape "),
        ({"noise_shape": (None, 1.5)}, TypeError, r"^noise_shape "),
        ({"noise_shape": (None, 0)}, ValueError, r"^noise_shape "),
        ({"seed": 1.5}, TypeError, r"^seed "),
        ({"seed": True}, TypeError, r"^seed "),
        ({"seed": -1}, ValueError, r"^seed "),
    ],
)
def test_bad_noise_shape_and_seed_are_refused(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        kd.Dropout(0.5, **kwargs)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "complex64"])
@pytest.mark.parametrize("training", [True, False])
def test_integer_bool_complex_input_is_refused(dtype, training):
    with pytest.raises(
        TypeError, match=r"inputs must hold floating-point values.*got dtype " + dtype
    ):
        kd.Dropout(0.5)(np.ones((2, 3), dtype=dtype), training=training)
    with pytest.raises(TypeError, match=r"^x "):
        kd.apply_mask(np.ones(3, dtype=dtype), np.ones(3, bool), 0.5)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("training", [True, False])
def test_dtype_follows_the_layer_dtype_policy(dtype, training):
    x = np.random.default_rng(0).normal(size=(8, 5)).astype(dtype)
    # the default policy casts floating inputs to the layer's compute dtype, float32 ...
    assert (
        keras.backend.standardize_dtype(kd.Dropout(0.5)(x, training=training).dtype)
        == "float32"
    )
    # ... and a layer built with a dtype keeps it
    y = kd.Dropout(0.5, dtype=dtype)(x, training=training)
    assert keras.backend.standardize_dtype(y.dtype) == dtype
    # apply_mask has no policy: it keeps the input's dtype
    assert (
        keras.backend.standardize_dtype(
            kd.apply_mask(x, np.ones(x.shape, bool), 0.5).dtype
        )
        == dtype
    )


def test_rate_zero_and_inference_are_the_identity():
    x = np.random.default_rng(1).normal(size=(16, 9)).astype("float32")
    np.testing.assert_array_equal(_np(kd.Dropout(0.0)(x, training=True)), x)
    for training in (False, None):
        np.testing.assert_array_equal(_np(kd.Dropout(0.7)(x, training=training)), x)
        np.testing.assert_array_equal(_np(kd.Dropout(1.0)(x, training=training)), x)
    np.testing.assert_array_equal(_np(kd.Dropout(0.7)(x)), x)


def test_rate_one_gives_exact_zeros_even_for_inf_and_nan():
    x = np.array([[1.0, -2.0, np.inf, -np.inf, np.nan]], dtype="float32")
    for layer in (kd.Dropout(1.0), kd.MCDropout(1.0)):
        np.testing.assert_array_equal(_np(layer(x, training=True)), np.zeros_like(x))
    np.testing.assert_array_equal(
        _np(kd.apply_mask(x, np.ones(x.shape, bool), 1.0)), np.zeros_like(x)
    )


def test_dropped_inf_and_nan_become_zero():
    x = np.array([np.inf, np.nan, 3.0, np.inf], dtype="float32")
    keep = np.array([False, False, True, True])
    np.testing.assert_array_equal(
        _np(kd.apply_mask(x, keep, 0.5)), [0.0, 0.0, 6.0, np.inf]
    )


def test_outputs_are_zero_or_scaled_input():
    rate = 0.2
    x = np.random.default_rng(2).normal(size=1000).astype("float32")
    y = _np(kd.Dropout(rate, seed=0)(x, training=True))
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / (1 - rate), rtol=1e-6)
    assert 0 < kept.sum() < 1000


def test_same_seed_gives_same_mask_and_calls_differ():
    x = np.ones((64, 32), "float32")
    a, b, c = (
        kd.Dropout(0.5, seed=11),
        kd.Dropout(0.5, seed=11),
        kd.Dropout(0.5, seed=12),
    )
    first_a, first_b, first_c = (_np(layer(x, training=True)) for layer in (a, b, c))
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, first_c)
    second_a = _np(a(x, training=True))  # the layer's SeedGenerator moved on
    assert not np.array_equal(first_a, second_a)
    np.testing.assert_array_equal(second_a, _np(b(x, training=True)))


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_mean_is_preserved_and_drop_fraction_is_rate(rate):
    y = _np(kd.Dropout(rate, seed=0, dtype="float64")(np.ones(200_000), training=True))
    # standard error of the mean is sqrt(rate / (1 - rate) / n) <= 0.0045: the bounds are >= 10 of them
    assert abs(y.mean() - 1.0) < 0.05
    assert abs((y == 0).mean() - rate) < 0.01


def test_noise_shape_shares_the_mask_along_axes_of_size_one():
    x = np.ones((50, 3, 8), "float32")
    y = _np(kd.Dropout(0.5, noise_shape=(None, 1, None), seed=3)(x, training=True))
    assert (y == y[:, :1, :]).all()  # every time step has the same mask
    assert (y == 0).any() and (y == 2).any()
    with pytest.raises(ValueError, match="noise_shape"):
        kd.Dropout(0.5, noise_shape=(None, 1))(x, training=True)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="masks differ across backends"
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("noise_shape", [None, (None, 1)])
def test_equals_keras_dropout_under_the_same_seed_on_tensorflow(dtype, noise_shape):
    x = np.random.default_rng(4).normal(size=(64, 33))
    ours = kd.Dropout(0.3, noise_shape=noise_shape, seed=5, dtype=dtype)
    theirs = keras.layers.Dropout(0.3, noise_shape=noise_shape, seed=5, dtype=dtype)
    for _ in range(2):
        a, b = _np(ours(x, training=True)), _np(theirs(x, training=True))
        np.testing.assert_array_equal(a == 0, b == 0)
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_mc_dropout_drops_even_when_training_is_false():
    layer = kd.MCDropout(0.5, seed=1)
    x = np.ones((20, 20), "float32")
    a, b = _np(layer(x, training=False)), _np(layer(x))
    assert (a == 0).any() and (b == 0).any() and not np.array_equal(a, b)


def test_compute_output_shape():
    assert kd.Dropout(0.5).compute_output_shape((None, 7, 3)) == (None, 7, 3)
    inputs = keras.Input((7, 3))
    assert kd.Dropout(0.5)(inputs).shape == (None, 7, 3)


# --- serialization ---------------------------------------------------------------------------


@pytest.mark.parametrize("layer_class", [kd.Dropout, kd.MCDropout])
def test_get_config_from_config_round_trip(layer_class):
    layer = layer_class(0.3, noise_shape=(None, 1), seed=9, name="drop")
    config = layer.get_config()
    assert {
        "rate": 0.3,
        "noise_shape": [None, 1],
        "seed": 9,
        "name": "drop",
    }.items() <= config.items()
    clone = layer_class.from_config(config)
    assert type(clone) is layer_class and clone.get_config() == config
    x = np.ones((6, 4), "float32")  # the same seed: the same first mask
    np.testing.assert_array_equal(
        _np(layer(x, training=True)), _np(clone(x, training=True))
    )
    # the generic Keras serializer finds the registered class
    revived = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(revived) is layer_class and revived.rate == 0.3


def test_classes_are_registered_under_the_companion_package():
    assert keras.saving.get_registered_name(kd.Dropout) == "companion>Dropout"
    assert keras.saving.get_registered_name(kd.MCDropout) == "companion>MCDropout"


def test_saved_model_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((10,))
    h = keras.layers.Dense(16, activation="relu")(inputs)
    h = kd.Dropout(0.4, seed=1, name="drop")(h)
    h = kd.MCDropout(0.2, noise_shape=(None, 1), seed=2, name="mc")(h)
    outputs = keras.layers.Dense(3)(h)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.get_layer("drop")) is kd.Dropout
    assert type(loaded.get_layer("mc")) is kd.MCDropout
    assert loaded.get_layer("mc").get_config() == model.get_layer("mc").get_config()
    # inference with the MC layer switched off by a plain Dropout copy: equal outputs
    x = np.random.default_rng(0).normal(size=(5, 10)).astype("float32")
    probe = keras.Model(inputs, model.get_layer("drop").output)
    loaded_probe = keras.Model(loaded.input, loaded.get_layer("drop").output)
    np.testing.assert_array_equal(_np(probe(x)), _np(loaded_probe(x)))
    for w_model, w_loaded in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(w_model, w_loaded)


def test_saved_model_round_trip_without_mc_layer_gives_identical_predictions(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(8),
            kd.Dropout(0.5),
            keras.layers.Dense(2),
        ]
    )
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).normal(size=(5, 10)).astype("float32")
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    )
    assert type(loaded.layers[1]) is kd.Dropout


# --- MC dropout helpers ---------------------------------------------------------------------------


def _bn_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    h = keras.layers.Dense(16, name="dense")(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Dropout(0.5, name="drop")(h)
    h = keras.layers.Dense(16, activation="relu", name="dense2")(h)
    h = kd.Dropout(0.3, name="cdrop")(h)
    outputs = keras.layers.Dense(4, activation="softmax", name="out")(h)
    model = keras.Model(inputs, outputs)
    bn = model.get_layer("bn")
    rng = np.random.default_rng(1)  # moving statistics far from any batch's statistics
    gamma, beta = rng.uniform(0.5, 2, 16), rng.normal(size=16)
    bn.set_weights([gamma, beta, rng.uniform(-3, 3, 16), rng.uniform(0.5, 4, 16)])
    return model


def test_to_mc_dropout_replaces_dropout_layers_only():
    model = _bn_model()
    mc = kd.to_mc_dropout(model)
    assert mc is not model
    assert (
        type(mc.get_layer("drop")) is kd.MCDropout and mc.get_layer("drop").rate == 0.5
    )
    assert (
        type(mc.get_layer("cdrop")) is kd.MCDropout
        and mc.get_layer("cdrop").rate == 0.3
    )
    assert type(mc.get_layer("bn")) is keras.layers.BatchNormalization
    # the original is untouched, the weights are copies
    assert type(model.get_layer("drop")) is keras.layers.Dropout
    assert type(model.get_layer("cdrop")) is kd.Dropout
    for name in ("dense", "bn", "dense2", "out"):
        old, new = model.get_layer(name), mc.get_layer(name)
        for w_old, w_new in zip(old.weights, new.weights):
            assert w_old is not w_new
            np.testing.assert_array_equal(w_old.numpy(), w_new.numpy())


def test_to_mc_dropout_keeps_spatial_dropout_channel_wise_and_converts_nested_models():
    inner = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(8), keras.layers.Dropout(0.2)],
        name="inner",
    )
    model = keras.Sequential(
        [
            keras.Input((6, 6, 3)),
            keras.layers.SpatialDropout2D(0.5, name="sd_last"),
            keras.layers.SpatialDropout2D(
                0.5, data_format="channels_first", name="sd_first"
            ),
            keras.layers.Reshape((6, 18), name="r"),
            keras.layers.SpatialDropout1D(0.5, name="sd1"),
            keras.layers.Flatten(),
            keras.layers.Dense(8),
            inner,
        ]
    )
    mc = kd.to_mc_dropout(model)
    assert mc.get_layer("sd_last").noise_shape == (None, 1, 1, None)
    assert mc.get_layer("sd_first").noise_shape == (None, None, 1, 1)
    assert mc.get_layer("sd1").noise_shape == (None, 1, None)
    volume = keras.Sequential(
        [keras.Input((4, 4, 4, 2)), keras.layers.SpatialDropout3D(0.5, name="sd3")]
    )
    assert kd.to_mc_dropout(volume).get_layer("sd3").noise_shape == (
        None,
        1,
        1,
        1,
        None,
    )
    assert type(mc.get_layer("inner").layers[-1]) is kd.MCDropout
    np.testing.assert_array_equal(
        mc.get_layer("inner").get_weights()[0], inner.get_weights()[0]
    )
    # whole feature maps are dropped: each (sample, channel) map is all zeros or all scaled
    probe = keras.Model(mc.inputs[0], mc.get_layer("sd_last").output)
    y = _np(probe(np.ones((20, 6, 6, 3), "float32")))
    per_map = y.reshape(20, 36, 3)
    assert (per_map == per_map[:, :1, :]).all() and (y == 0).any() and (y == 2).any()


@keras.saving.register_keras_serializable(package="companion_tests")
class _BlockWithDropout(keras.layers.Layer):
    """A custom layer that holds a Dropout sublayer, which clone_model cannot see into."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(4)
        self.drop = keras.layers.Dropout(0.5)

    def call(self, inputs, training=None):
        return self.drop(self.dense(inputs), training=training)


@pytest.mark.parametrize(
    "make_layer, shape",
    [
        (lambda: keras.layers.GaussianDropout(0.3), (4,)),
        (lambda: keras.layers.AlphaDropout(0.3), (4,)),
        (lambda: keras.layers.LSTM(3, dropout=0.2), (5, 4)),
        (lambda: keras.layers.GRU(3, recurrent_dropout=0.2), (5, 4)),
        (lambda: _BlockWithDropout(), (4,)),
    ],
    ids=["GaussianDropout", "AlphaDropout", "LSTM", "GRU", "custom"],
)
def test_to_mc_dropout_refuses_dropout_it_cannot_convert(make_layer, shape):
    layer = make_layer()
    model = keras.Sequential([keras.Input(shape), layer])
    with pytest.raises(ValueError, match=type(layer).__name__):
        kd.to_mc_dropout(model)


def test_to_mc_dropout_accepts_layers_with_dropout_switched_off():
    model = keras.Sequential(
        [
            keras.Input((5, 4)),
            keras.layers.LSTM(3, dropout=0.0),
            keras.layers.Dropout(0.1),
        ]
    )
    assert type(kd.to_mc_dropout(model).layers[-1]) is kd.MCDropout


def test_mc_predict_keeps_batchnorm_in_inference_mode():
    model = _bn_model()
    mc = kd.to_mc_dropout(model)
    bn = mc.get_layer("bn")
    stats_before = [w.copy() for w in bn.get_weights()]
    x = np.random.default_rng(2).normal(size=(5, 6)).astype("float32")
    mean, std = kd.mc_predict(mc, x, n_samples=30)
    assert isinstance(mean, np.ndarray) and isinstance(std, np.ndarray)
    assert mean.shape == std.shape == (5, 4)
    np.testing.assert_allclose(mean.sum(axis=-1), 1.0, atol=1e-5)
    assert (std > 1e-3).any()  # the passes differ: dropout was on
    # moving statistics unchanged
    for before, after in zip(stats_before, bn.get_weights()):
        np.testing.assert_array_equal(before, after)
    # BatchNorm used its moving statistics: the dropout layer after it outputs 0 or BN(x) / (1 - rate)
    gamma, beta, moving_mean, moving_var = stats_before
    kernel, bias = mc.get_layer("dense").get_weights()
    bn_inference = (
        gamma * (x @ kernel + bias - moving_mean) / np.sqrt(moving_var + bn.epsilon)
        + beta
    )
    probe = keras.Model(mc.input, mc.get_layer("drop").output)
    y = _np(probe(x, training=False))
    kept = y != 0
    assert kept.any() and (~kept).any()
    np.testing.assert_allclose(y[kept], bn_inference[kept] / 0.5, rtol=1e-4, atol=1e-5)
    # and predict() is stochastic too
    assert not np.array_equal(mc.predict(x, verbose=0), mc.predict(x, verbose=0))


def test_mc_predict_refuses_bad_arguments():
    model = _bn_model()
    x = np.zeros((2, 6), "float32")
    with pytest.raises(ValueError, match="to_mc_dropout"):
        # keras Dropout only: every pass would be equal
        kd.mc_predict(model, x, n_samples=5)
    mc = kd.to_mc_dropout(model)
    for bad, error in [
        (0, ValueError),
        (-3, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("10", TypeError),
    ]:
        with pytest.raises(error, match=r"^n_samples "):
            kd.mc_predict(mc, x, n_samples=bad)
    with pytest.raises(TypeError, match=r"^model "):
        kd.to_mc_dropout("not a model")


# --- the same mask through NumPy, PyTorch and Keras -------------------------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_mask_gives_the_same_values_in_numpy_torch_and_keras(rate, dtype):
    torch = pytest.importorskip("torch")
    from companion.torch import dropout as torch_dropout

    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 24)).astype(dtype)
    keep = rng.random((32, 24)) >= 0.4
    # dropped inf and NaN must become 0 everywhere
    x[~keep & (rng.random((32, 24)) < 0.1)] = np.inf
    x[~keep & (rng.random((32, 24)) < 0.1)] = np.nan
    reference = numpy_dropout.apply_mask(x, keep, rate)
    from_torch = torch_dropout.apply_mask(
        torch.from_numpy(x), torch.from_numpy(keep), rate
    ).numpy()
    from_keras = _np(kd.apply_mask(x, keep, rate))
    assert np.isfinite(reference).all()
    for got in (from_torch, from_keras):
        assert got.dtype == reference.dtype
        np.testing.assert_allclose(got, reference, rtol=1e-6, atol=0)


# --- the PyTorch backend ---------------------------------------------------------------------------

TORCH_BACKEND_SCRIPT = textwrap.dedent(
    """
    import numpy as np, keras
    from companion.keras import dropout as kd
    assert keras.backend.backend() == "torch", keras.backend.backend()
    x = np.ones((64, 32), "float32")
    y = keras.ops.convert_to_numpy(kd.Dropout(0.5, seed=1)(x, training=True))
    assert set(np.unique(y)) == {0.0, 2.0}
    assert np.array_equal(keras.ops.convert_to_numpy(kd.Dropout(0.5)(x)), x)
    assert (keras.ops.convert_to_numpy(kd.Dropout(1.0)(np.full(3, np.nan, "float32"), training=True)) == 0).all()
    inputs = keras.Input((6,))
    h = keras.layers.BatchNormalization(name="bn")(keras.layers.Dense(8)(inputs))
    h = keras.layers.Dropout(0.5, name="drop")(h)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(kd.Dropout(0.2)(h)))
    mc = kd.to_mc_dropout(model)
    assert type(mc.get_layer("drop")) is kd.MCDropout
    bn_before = [w.copy() for w in mc.get_layer("bn").get_weights()]
    mean, std = kd.mc_predict(mc, np.random.default_rng(0).normal(size=(4, 6)), n_samples=10)
    assert mean.shape == (4, 3) and (std > 0).any()
    assert all(np.array_equal(a, b) for a, b in zip(bn_before, mc.get_layer("bn").get_weights()))
    import sys
    mc.save(sys.argv[1])
    loaded = keras.models.load_model(sys.argv[1])
    assert type(loaded.get_layer("drop")) is kd.MCDropout
    print("ok")
    """
)


def test_keras_layer_runs_on_the_pytorch_backend(tmp_path):
    pytest.importorskip("torch")
    env = {
        **os.environ,
        "KERAS_BACKEND": "torch",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", TORCH_BACKEND_SCRIPT, str(tmp_path / "m.keras")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
