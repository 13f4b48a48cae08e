"""Tests of companion.keras.training: the one Keras trainer and its runs over seeds."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from companion import seed_everything  # noqa: E402
from companion.history import History  # noqa: E402
from companion.keras import models as km  # noqa: E402
from companion.keras import training as kt  # noqa: E402
from companion.reference import log_loss  # noqa: E402


def test_the_reference_log_loss_matches_keras_and_accepts_both_label_forms():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(4), size=50).astype("float32")
    y = rng.integers(0, 4, 50)
    expected = float(
        keras.ops.convert_to_numpy(
            keras.losses.categorical_crossentropy(km.one_hot(y, 4), p)
        ).mean()
    )
    assert log_loss(p, y) == pytest.approx(expected, rel=1e-5)
    assert log_loss(p, km.one_hot(y, 4)) == pytest.approx(log_loss(p, y))
    # confident mistakes are clipped, not infinite
    assert np.isfinite(log_loss(np.eye(4)[(y + 1) % 4], y))


def _toy_problem(n=240, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, y


def test_train_over_seeds_shapes_metrics_and_reproducibility():
    x, y = _toy_problem()
    yh = km.one_hot(y, 3)
    kwargs = dict(
        validation_data=(x[:60], yh[:60]),
        test_data=(x[60:120], yh[60:120]),
        epochs=3,
        batch_size=32,
    )

    def build():
        return km.build_mlp((16,), 0.2, input_dim=6, n_classes=3)

    runs = kt.train_over_seeds(
        build, x[120:], yh[120:], seeds=[0, 1], keep_models=True, **kwargs
    )
    assert runs.seeds == (0, 1)
    assert all(isinstance(h, History) for h in runs.histories)
    for key in (
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "running_loss",
        "running_acc",
        "epoch_seconds",
    ):
        assert runs.curve(key).shape == (2, 3), key
    assert runs.test_loss.shape == runs.test_acc.shape == runs.seconds.shape == (2,)
    assert np.all((runs.test_acc >= 0) & (runs.test_acc <= 1)) and np.all(
        runs.seconds > 0
    )
    np.testing.assert_array_equal(runs.epochs, [1, 2, 3])
    np.testing.assert_allclose(
        runs.final_gap_loss,
        runs.curve("val_loss")[:, -1] - runs.curve("train_loss")[:, -1],
    )
    np.testing.assert_allclose(
        runs.final_gap_acc,
        runs.curve("train_acc")[:, -1] - runs.curve("val_acc")[:, -1],
    )
    # the same seed reproduces the same run, whatever ran before it
    again = kt.train_over_seeds(build, x[120:], yh[120:], seeds=[1], **kwargs)
    np.testing.assert_allclose(
        again.curve("val_loss")[0], runs.curve("val_loss")[1], rtol=1e-5
    )
    np.testing.assert_allclose(again.test_loss[0], runs.test_loss[1], rtol=1e-5)
    assert again.models == ()
    # kept models still work after later runs (and their clear_session calls)
    assert len(runs.models) == 2
    for model, loss in zip(runs.models, runs.test_loss):
        assert model.evaluate(x[60:120], yh[60:120], verbose=0)[0] == pytest.approx(
            loss, rel=1e-5
        )


def test_inference_metrics_agree_with_evaluate():
    x, y = _toy_problem(n=100)
    seed_everything(3)
    model = km.build_mlp((16,), 0.5, input_dim=6, n_classes=3)
    callback = kt.InferenceMetrics(x, km.one_hot(y, 3), batch_size=30)
    model.fit(
        x, km.one_hot(y, 3), epochs=2, batch_size=25, verbose=0, callbacks=[callback]
    )
    loss, acc = model.evaluate(x, km.one_hot(y, 3), verbose=0)
    assert len(callback.loss) == len(callback.accuracy) == 2
    assert callback.loss[-1] == pytest.approx(loss, rel=1e-4)
    assert callback.accuracy[-1] == pytest.approx(acc)


def test_train_over_seeds_refuses_bad_arguments():
    x, y = _toy_problem(n=20)
    yh = km.one_hot(y, 3)
    common = dict(validation_data=(x, yh), test_data=(x, yh))
    with pytest.raises(ValueError):
        kt.train_over_seeds(lambda: None, x, yh, seeds=[], **common)
    with pytest.raises(ValueError, match="epochs"):
        kt.train_over_seeds(
            lambda: km.build_mlp((4,), input_dim=6, n_classes=3),
            x,
            yh,
            seeds=[0],
            epochs=0,
            **common,
        )
    with pytest.raises(TypeError):
        kt.train_over_seeds(lambda: None, x, yh, seeds=[0], keep_models=1, **common)


def test_fit_measures_the_fitted_part_and_takes_the_held_out_split_from_the_end():
    x, y = _toy_problem(n=100)
    yh = km.one_hot(y, 3)
    seed_everything(0)
    model = km.build_mlp((8,), 0.5, input_dim=6, n_classes=3)
    history = kt.fit(model, x, yh, epochs=2, batch_size=20, validation_split=0.25)
    assert (
        len(history.running_loss)
        == len(history.val_acc)
        == len(history.epoch_seconds)
        == 2
    )
    # the first 75: what it was fitted on
    loss, acc = model.evaluate(x[:75], yh[:75], verbose=0)
    assert history.train_loss[-1] == pytest.approx(
        loss, rel=1e-4
    ) and history.train_acc[-1] == pytest.approx(acc)
    loss, _ = model.evaluate(x[75:], yh[75:], verbose=0)
    assert history.val_loss[-1] == pytest.approx(loss, rel=1e-4)
    plain = kt.fit(model, x, yh, epochs=1, batch_size=20)
    assert plain.val_loss == [] and len(plain.train_loss) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(validation_split=1.0),
        dict(validation_split=-0.1),
        dict(validation_split=0.2, validation_data="both"),
        dict(batch_size=0),
    ],
)
def test_fit_refuses_bad_arguments(kwargs):
    x, y = _toy_problem(n=20)
    model = km.build_mlp((4,), input_dim=6, n_classes=3)
    with pytest.raises(
        ValueError, match=next(k for k in kwargs if k != "validation_data")
    ):
        kt.fit(model, x, km.one_hot(y, 3), **(dict(epochs=1, batch_size=4) | kwargs))
