"""Tests of companion.keras.backends: one training run in this process, the child-process runner.

The in-process tests run on whatever Keras backend is configured (TensorFlow by default). One
test starts a child process on the PyTorch backend (a few seconds: it imports Keras and torch).
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from companion.data import load_mnist  # noqa: E402
from companion.keras import backends as kb  # noqa: E402

KEYS = {
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "running_loss",
    "running_acc",
    "epoch_seconds",
}


def _tiny_data(n_train: int = 60, n_test: int = 20):
    gen = np.random.default_rng(0)
    x = gen.random((n_train + n_test, 784), dtype=np.float32)
    y = gen.integers(0, 10, n_train + n_test)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def test_fit_and_evaluate_returns_json_ready_curves_and_metrics():
    result = kb.fit_and_evaluate(
        *_tiny_data(), rate=0.2, seed=0, hidden_units=(16,), epochs=2, batch_size=16
    )
    json.dumps(result)  # nothing that JSON cannot hold
    assert result["backend"] == keras.backend.backend()
    assert (result["rate"], result["seed"]) == (0.2, 0)
    assert set(result["history"]) == KEYS
    assert all(len(curve) == 2 for curve in result["history"].values())
    assert min(result["history"]["epoch_seconds"]) > 0
    assert 0.0 <= result["test_acc"] <= 1.0 and result["test_loss"] > 0


def test_fit_and_evaluate_is_reproducible_and_keeps_the_model_on_request():
    data = _tiny_data()
    first = kb.fit_and_evaluate(
        *data,
        rate=0.5,
        seed=3,
        hidden_units=(16,),
        epochs=1,
        batch_size=16,
        keep_model=True,
    )
    second = kb.fit_and_evaluate(
        *data, rate=0.5, seed=3, hidden_units=(16,), epochs=1, batch_size=16
    )
    first["history"].pop("epoch_seconds"), second["history"].pop("epoch_seconds")
    assert first["history"] == second["history"]
    assert (
        first["initial_weights"] == second["initial_weights"]
        and len(first["initial_weights"]) == 8
    )
    dropouts = [
        layer
        for layer in first["model"].layers
        if isinstance(layer, keras.layers.Dropout)
    ]
    assert [layer.rate for layer in dropouts] == [0.5]


def test_fit_and_evaluate_without_dropout_has_no_dropout_layer_and_the_same_initial_weights():
    twin = kb.fit_and_evaluate(
        *_tiny_data(), rate=0.0, seed=0, hidden_units=(8,), epochs=1, keep_model=True
    )
    assert not any(
        isinstance(layer, keras.layers.Dropout) for layer in twin["model"].layers
    )
    with_dropout = kb.fit_and_evaluate(
        *_tiny_data(), rate=0.3, seed=0, hidden_units=(8,), epochs=1
    )
    assert twin["initial_weights"] == with_dropout["initial_weights"]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(epochs=0),
        dict(batch_size=-1),
        dict(validation_split=0.0),
        dict(validation_split=1.0),
    ],
)
def test_fit_and_evaluate_refuses_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        kb.fit_and_evaluate(*_tiny_data(), rate=0.2, seed=0, **kwargs)


def test_dropout_mask_is_fixed_by_the_seed():
    mask = kb.dropout_mask(7, n=64, rate=0.5)
    assert mask == kb.dropout_mask(7, n=64, rate=0.5)
    assert len(mask) == 64 and set(mask) <= {0, 1} and 0 < sum(mask) < 64
    assert kb.dropout_mask(7, n=8, rate=0.0) == [1] * 8


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(backend="theano"), ValueError),
        (dict(backend="torch", epochs=0), ValueError),
        (dict(backend="torch", rates=(1.5,)), ValueError),
    ],
)
def test_run_on_backend_refuses_bad_arguments_before_starting_a_child(kwargs, error):
    with pytest.raises(error):
        kb.run_on_backend(**kwargs)


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch is not installed"
)
def test_run_on_backend_trains_in_a_pytorch_child_process():
    result = kb.run_on_backend(
        "torch", rates=(0.2, 0.0), seeds=(1,), epochs=1, n_train=100, n_test=20
    )
    assert result["backend"] == "torch"
    assert result["tensorflow_imported"] is False
    assert result["data"] == load_mnist(verbose=False).describe()
    assert [(run["rate"], run["seed"], run["backend"]) for run in result["runs"]] == [
        (0.2, 1, "torch"),
        (0.0, 1, "torch"),
    ]
    assert all(len(run["history"]["val_loss"]) == 1 for run in result["runs"])
    assert (
        result["import_seconds"] > 0
        and result["wall_seconds"] >= result["import_seconds"]
    )
    # the same Keras seed, another backend: another mask
    if keras.backend.backend() == "tensorflow":
        assert result["mask"] != kb.dropout_mask(42)
        assert len(result["mask"]) == len(kb.dropout_mask(42))


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is not None, reason="jax is installed"
)
def test_run_on_backend_reports_a_failing_child():
    with pytest.raises(RuntimeError, match="jax child process failed"):
        kb.run_on_backend("jax", epochs=1, n_train=10, n_test=10)
