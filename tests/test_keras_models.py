"""Tests of companion.keras.models: the MLP builder and one-hot labels."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from companion import seed_everything  # noqa: E402
from companion.keras import models as km  # noqa: E402


def _layer_types(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_build_mlp_default_is_the_tensorflow_chapter_model():
    model = km.build_mlp()
    assert _layer_types(model) == [
        "InputLayer",
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert [
        layer.units for layer in model.layers if type(layer).__name__ == "Dense"
    ] == [512, 256, 10]
    assert all(
        layer.rate == 0.25
        for layer in model.layers
        if type(layer).__name__ == "Dropout"
    )
    assert model.count_params() == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10
    assert model.loss == "categorical_crossentropy"


def test_build_mlp_without_dropout_and_other_shapes():
    model = km.build_mlp((32,), rate=0.0, input_dim=8, n_classes=3, compile=False)
    assert _layer_types(model) == ["InputLayer", "Dense", "Dense"]
    assert model.output_shape == (None, 3)
    assert not model.compiled


def test_build_mlp_input_rate_adds_one_dropout_layer_on_the_inputs():
    model = km.build_mlp((16, 8), rate=0.25, input_rate=0.2, input_dim=6, n_classes=3)
    assert _layer_types(model) == [
        "InputLayer",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
    ]
    first = model.layers[1]
    assert first.name == "input_dropout" and first.rate == 0.2
    # it acts on the pixels, before the first Dense layer
    assert first.input is model.input
    assert [layer.rate for layer in model.layers[3::2]] == [0.25, 0.25]
    # input dropout alone, without hidden dropout
    only = km.build_mlp(
        (16,), rate=0.0, input_rate=0.5, input_dim=6, n_classes=3, compile=False
    )
    assert _layer_types(only) == ["InputLayer", "Dropout", "Dense", "Dense"]
    # the default adds nothing: the same model as before the argument existed
    assert _layer_types(km.build_mlp((16,), 0.25, input_dim=6)) == [
        "InputLayer",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert _layer_types(km.build_mlp((16,), 0.25, input_rate=0.0, input_dim=6)) == [
        "InputLayer",
        "Dense",
        "Dropout",
        "Dense",
    ]


def test_input_dropout_zeroes_and_scales_inputs_only_in_training():
    seed_everything(1)
    model = km.build_mlp(
        (8,), rate=0.0, input_rate=0.5, input_dim=400, n_classes=2, compile=False
    )
    drop = model.get_layer("input_dropout")
    x = np.ones((5, 400), dtype="float32")
    out = keras.ops.convert_to_numpy(drop(x, training=True))
    assert set(np.unique(out)) == {0.0, 2.0}  # kept pixels scaled by 1 / (1 - 0.5)
    assert 0.35 < np.mean(out == 0) < 0.65
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(drop(x, training=False)), x
    )
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_same_seed_gives_the_same_weights_and_hidden_dropout_seeds_with_and_without_input_dropout():
    models = []
    for input_rate in (0.0, 0.2):
        keras.backend.clear_session()
        seed_everything(5)
        models.append(km.build_mlp((16, 8), 0.25, input_rate=input_rate, input_dim=4))
    for a, b in zip(*(m.weights for m in models)):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
        )
    # the hidden Dropout layers start their random streams from the same states
    states = [
        [
            keras.ops.convert_to_numpy(m.get_layer(f"dropout_{i}").seed_generator.state)
            for i in (1, 2)
        ]
        for m in models
    ]
    for a, b in zip(*states):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(rate=1.5), ValueError),
        (dict(rate=float("nan")), ValueError),
        (dict(rate="0.2"), TypeError),
        (dict(hidden_units=()), ValueError),
        (dict(hidden_units=(0,)), ValueError),
        (dict(input_dim=2.5), TypeError),
        (dict(input_rate=1.0), ValueError),
        (dict(input_rate=-0.1), ValueError),
        (dict(input_rate=float("nan")), ValueError),
        (dict(input_rate=None), TypeError),
        (dict(input_rate=True), TypeError),
    ],
)
def test_build_mlp_refuses_bad_arguments(kwargs, error):
    with pytest.raises(error):
        km.build_mlp(**kwargs)


def test_same_seed_gives_the_same_initial_weights_with_and_without_dropout():
    weights = []
    for rate in (0.25, 0.0):
        keras.backend.clear_session()
        seed_everything(7)
        weights.append(
            [
                keras.ops.convert_to_numpy(w)
                for w in km.build_mlp((16, 8), rate, input_dim=4).weights
            ]
        )
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


def test_predict_is_deterministic_and_dropout_acts_only_in_training():
    seed_everything(0)
    model = km.build_mlp((64,), rate=0.5, input_dim=5, n_classes=3)
    x = np.random.default_rng(0).random((20, 5)).astype("float32")
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    noisy = keras.ops.convert_to_numpy(model(x, training=True))
    assert not np.allclose(noisy, model.predict(x, verbose=0))


def test_one_hot_and_its_checks():
    np.testing.assert_array_equal(
        km.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]]
    )
    assert km.one_hot(np.array([1]), 3).dtype == np.float32
    for bad in (np.array([0.5]), np.array([[1]]), np.array([3]), np.array([-1])):
        with pytest.raises(ValueError):
            km.one_hot(bad, 3)
