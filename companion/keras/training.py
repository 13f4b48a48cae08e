"""The one Keras trainer: ``fit`` with inference-mode train metrics, and runs over seeds.

Used by chapters 6 and 8 (through :mod:`companion.keras.backends`).

Written with ``keras`` only (no backend-specific code), so it runs on the TensorFlow and the
PyTorch backend alike. Keras reports the training ``loss`` and ``accuracy`` of an epoch as a
running average over its minibatches, measured *with dropout active* while the weights still
move. To compare train and held-out metrics like with like, :func:`fit` also measures the
training set in inference mode after each epoch (:class:`InferenceMetrics`), and returns all of
it in the companion's one :class:`~companion.history.History`: ``running_*`` is what Keras
reports, ``train_*`` and ``val_*`` are measured with dropout off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from ..history import History, stack
from ..progress import progress
from ..reference.losses import log_loss
from ..seeding import seed_everything
from ..validation import check_bool, check_positive_int

__all__ = ["InferenceMetrics", "EpochTimer", "fit", "SeedRuns", "train_over_seeds"]


def _labels(y: Any) -> np.ndarray:
    """Integer labels from integer labels or one-hot rows."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y.astype(np.int64)


class InferenceMetrics(keras.callbacks.Callback):
    """After each epoch, measure loss and accuracy on ``(x, y)`` in inference mode (dropout off).

    The results accumulate in the lists ``loss`` and ``accuracy`` (one entry per epoch); the
    loss is :func:`companion.reference.losses.log_loss`, clipped as Keras clips its cross-entropy.
    """

    def __init__(self, x: Any, y: Any, *, batch_size: int = 1024) -> None:
        super().__init__()
        self.x, self.y = np.asarray(x), _labels(y)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.loss: list[float] = []
        self.accuracy: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        step = self.batch_size
        chunks = [
            keras.ops.convert_to_numpy(self.model(self.x[i : i + step], training=False))
            for i in range(0, len(self.x), step)
        ]
        p = np.concatenate(chunks)
        self.loss.append(log_loss(p, self.y))
        self.accuracy.append(float((p.argmax(axis=1) == self.y).mean()))


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch: its training steps and its validation pass.

    Placed before :class:`InferenceMetrics` in the callback list, it stops before that
    callback's measurement.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def fit(
    model: keras.Model,
    x: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
) -> History:
    """``model.fit`` with ``verbose=0``, recording the companion's
    :class:`~companion.history.History`.

    ``model`` is compiled with an ``"accuracy"`` metric. Held-out data come either from
    ``validation_data`` or from ``validation_split``, which Keras takes from the *end* of the
    arrays, before shuffling; the training set measured in inference mode is the part that
    the model is fitted on.

    Returns
    -------
    History
        ``running_*`` (Keras' ``loss`` and ``accuracy``), ``train_*``, ``val_*`` (with held-out
        data) and ``epoch_seconds`` (training steps and validation pass of each epoch).
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(
            f"validation_split must be in [0, 1), got {validation_split!r}"
        )
    if validation_data is not None and validation_split:
        raise ValueError("pass validation_data or validation_split, not both")
    n_fit = len(x) - int(len(x) * validation_split)  # Keras' own split point
    timer, clean = EpochTimer(), InferenceMetrics(x[:n_fit], y[:n_fit])
    logged = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        validation_split=validation_split,
        callbacks=[timer, clean],
        verbose=0,
    ).history
    return History(
        train_loss=clean.loss,
        train_acc=clean.accuracy,
        val_loss=logged.get("val_loss", []),
        val_acc=logged.get("val_accuracy", []),
        running_loss=logged["loss"],
        running_acc=logged["accuracy"],
        epoch_seconds=timer.seconds,
    )


@dataclass
class SeedRuns:
    """What :func:`train_over_seeds` measured: one ``History`` and test metrics per seed.

    Attributes
    ----------
    seeds
        The seeds, in the order of the rows below.
    histories
        One :class:`~companion.history.History` per seed.
    test_loss, test_acc
        ``evaluate`` on the test set after the last epoch, shape (n_seeds,).
    seconds
        Wall time of each seed's ``fit`` call (the inference-mode train metrics included).
    models
        The trained models, one per seed, when ``keep_models=True`` was passed; else empty.
    """

    seeds: tuple[int, ...]
    histories: tuple[History, ...]
    test_loss: np.ndarray
    test_acc: np.ndarray
    seconds: np.ndarray
    models: tuple[keras.Model, ...] = ()

    def curve(self, key: str) -> np.ndarray:
        """One :class:`~companion.history.History` field over seeds, shape (n_seeds, epochs)."""
        return stack(self.histories, key)

    @property
    def epochs(self) -> np.ndarray:
        """Epoch numbers 1, 2, ..., for plotting."""
        return np.arange(1, self.histories[0].epochs + 1)

    @property
    def final_gap_loss(self) -> np.ndarray:
        """Held-out minus inference-mode training log-loss after the last epoch, per seed."""
        return self.curve("val_loss")[:, -1] - self.curve("train_loss")[:, -1]

    @property
    def final_gap_acc(self) -> np.ndarray:
        """Inference-mode training minus held-out accuracy after the last epoch, per seed."""
        return self.curve("train_acc")[:, -1] - self.curve("val_acc")[:, -1]


def train_over_seeds(
    build: Callable[[], keras.Model],
    x_train: Any,
    y_train: Any,
    *,
    validation_data: tuple[Any, Any],
    test_data: tuple[Any, Any],
    seeds: Sequence[int],
    epochs: int = 10,
    batch_size: int = 128,
    keep_models: bool = False,
) -> SeedRuns:
    """Train one fresh compiled model per seed with :func:`fit` and collect the results.

    For each seed: ``keras.backend.clear_session()``, then ``companion.seed_everything(seed)``
    (which fixes the initial weights, the dropout masks and the shuffling order), then
    ``build()``, :func:`fit` with ``validation_data``, and ``evaluate`` on ``test_data``. Labels
    are passed to Keras as given: one-hot for a model compiled with categorical cross-entropy,
    as :func:`companion.keras.models.build_mlp` does.

    Parameters
    ----------
    build
        A function of no arguments that returns a compiled model with an ``"accuracy"`` metric.
    x_train, y_train
        The training set.
    validation_data, test_data
        ``(x, y)`` pairs.
    seeds
        Non-negative int seeds, one run each.
    epochs, batch_size
        As in ``fit``.
    keep_models
        Keep the trained models in :attr:`SeedRuns.models` (for further evaluation).

    Returns
    -------
    SeedRuns
    """
    keep_models = check_bool(keep_models, "keep_models")
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    histories, models = [], []
    test_loss, test_acc, seconds = (np.zeros(len(seeds)) for _ in range(3))
    for row, seed in enumerate(progress(seeds, "seeds")):
        keras.backend.clear_session()
        seed_everything(seed)
        model = build()
        start = time.perf_counter()
        histories.append(
            fit(
                model,
                x_train,
                y_train,
                epochs=epochs,
                batch_size=batch_size,
                validation_data=validation_data,
            )
        )
        seconds[row] = time.perf_counter() - start
        results = model.evaluate(*test_data, verbose=0, return_dict=True)
        test_loss[row], test_acc[row] = results["loss"], results["accuracy"]
        if keep_models:
            models.append(model)
    return SeedRuns(
        seeds, tuple(histories), test_loss, test_acc, seconds, tuple(models)
    )
