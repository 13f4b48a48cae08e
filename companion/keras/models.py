"""Keras 3 models and a seed-repeated training loop that the Keras chapters share.

Written with ``keras`` only (no backend-specific code), so it runs on the TensorFlow and the
PyTorch backend alike. Two pieces:

* :func:`build_mlp` builds (and by default compiles) a functional ReLU MLP for flattened images,
  with a ``keras.layers.Dropout`` after every hidden layer, or none at ``rate=0``, and optionally
  one on the input pixels (``input_rate``);
* :func:`train_over_seeds` trains a fresh model per seed with ``fit`` and gathers its per-epoch
  history and its final test metrics into a :class:`SeedRuns` of arrays (seeds x epochs).

Keras reports the training ``loss`` and ``accuracy`` of an epoch as a running average over its
minibatches, measured *with dropout active* and while the weights still move. To compare train
and validation metrics like with like, :func:`train_over_seeds` also measures the training set in
inference mode after each epoch (``train_loss``, ``train_accuracy``), as the validation metrics are.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import keras
import numpy as np

from ..validation import check_bool, check_positive_int, check_rate
from ..seeding import seed_everything

__all__ = ["build_mlp", "one_hot", "log_loss", "InferenceMetrics", "SeedRuns", "train_over_seeds"]

#: Keras clips predicted probabilities to [EPSILON, 1 - EPSILON] in its cross-entropy.
EPSILON = 1e-7



def build_mlp(
    hidden_units: Sequence[int] = (512, 256),
    rate: float = 0.25,
    *,
    input_rate: float = 0.0,
    input_dim: int = 784,
    n_classes: int = 10,
    activation: str = "relu",
    compile: bool = True,
    learning_rate: float = 1e-3,
    name: str | None = None,
) -> keras.Model:
    """A functional MLP: Dense + activation (+ Dropout) per hidden layer, then a softmax layer.

    With the defaults this is the TensorFlow chapter's model: 784-512-256-10, ReLU,
    ``Dropout(0.25)`` after each hidden layer, softmax output, compiled with Adam and
    categorical cross-entropy (so the labels must be one-hot, see :func:`one_hot`).

    With ``input_rate > 0`` a ``Dropout(input_rate)`` layer also acts on the inputs, before the
    first Dense layer: during training each pixel is set to 0 with that probability (and the kept
    ones scaled by ``1 / (1 - input_rate)``). Srivastava et al. (2014), "Dropout: a simple way to
    prevent neural networks from overfitting", JMLR 15, recommend a keep probability of about 0.8
    on real-valued inputs (``input_rate=0.2``, their appendix A.4) and relate input dropout to
    the masking noise of denoising autoencoders (their section 3).

    Parameters
    ----------
    hidden_units
        Widths of the hidden layers, in order (at least one).
    rate
        Drop probability of the ``Dropout`` layer after each hidden layer; at ``rate=0`` none is
        added.
    input_rate
        Drop probability of a ``Dropout`` layer on the inputs, in [0, 1); at the default 0 none is
        added.
    input_dim, n_classes
        Width of the input vectors and number of classes.
    activation
        Activation of the hidden layers.
    compile
        Compile with ``keras.optimizers.Adam(learning_rate)``, categorical cross-entropy and
        accuracy. Pass False to compile yourself.
    learning_rate
        Adam's step size (Keras' default is 0.001).
    name
        The model's name.

    Returns
    -------
    keras.Model
    """
    rate = check_rate(rate, "rate")
    input_rate = check_rate(input_rate, "input_rate")
    if input_rate == 1.0:
        raise ValueError("input_rate must be below 1: at 1 every input would be dropped")
    units = tuple(hidden_units)
    if not units:
        raise ValueError("hidden_units must list at least one hidden layer")
    for n in (*units, input_dim, n_classes):
        check_positive_int(n, "layer widths")
    # Every Dense layer is created before any Dropout layer: each layer draws its seed from
    # Python's `random` when it is created, so after the same seed_everything(seed) the model
    # with dropout starts from exactly the same weights as the one without. The input Dropout
    # layer comes last, so the hidden Dropout layers also draw the same seeds with or without it.
    dense = [keras.layers.Dense(n, activation=activation, name=f"dense_{i}") for i, n in enumerate(units, 1)]
    head = keras.layers.Dense(n_classes, activation="softmax", name="probabilities")
    drops = [keras.layers.Dropout(rate, name=f"dropout_{i}") for i in range(1, len(units) + 1)] if rate > 0 else []
    drop_input = keras.layers.Dropout(input_rate, name="input_dropout") if input_rate > 0 else None
    inputs = keras.Input(shape=(input_dim,), name="pixels")
    h = drop_input(inputs) if drop_input is not None else inputs
    for i, layer in enumerate(dense):
        h = layer(h)
        if drops:
            h = drops[i](h)
    outputs = head(h)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def one_hot(y: Any, n_classes: int = 10) -> np.ndarray:
    """Integer labels of shape (n,) as float32 one-hot rows of shape (n, n_classes)."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D array of integer labels, got dtype {y.dtype} and shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got the range [{y.min()}, {y.max()}]")
    return np.eye(n_classes, dtype=np.float32)[y]


def _labels(y: Any) -> np.ndarray:
    """Integer labels from integer labels or one-hot rows."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y.astype(np.int64)


def log_loss(probabilities: Any, y: Any) -> float:
    """Mean cross-entropy in nats of predicted ``probabilities`` (n, classes) for labels ``y``.

    ``y`` holds integer labels or one-hot rows. Probabilities are clipped as Keras clips them.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    labels = _labels(y)
    picked = np.clip(p[np.arange(len(labels)), labels], EPSILON, 1.0 - EPSILON)
    return float(-np.log(picked).mean())


class InferenceMetrics(keras.callbacks.Callback):
    """After each epoch, measure loss and accuracy on ``(x, y)`` in inference mode (dropout off).

    The results accumulate in the lists ``loss`` and ``accuracy`` (one entry per epoch).
    """

    def __init__(self, x: Any, y: Any, *, batch_size: int = 1024) -> None:
        super().__init__()
        self.x, self.y = np.asarray(x), _labels(y)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.loss: list[float] = []
        self.accuracy: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        chunks = [keras.ops.convert_to_numpy(self.model(self.x[i:i + self.batch_size], training=False))
                  for i in range(0, len(self.x), self.batch_size)]
        p = np.concatenate(chunks)
        self.loss.append(log_loss(p, self.y))
        self.accuracy.append(float((p.argmax(axis=1) == self.y).mean()))


@dataclass
class SeedRuns:
    """What :func:`train_over_seeds` measured: per-epoch curves and final test metrics per seed.

    Attributes
    ----------
    seeds
        The seeds, in the order of the rows below.
    history
        Arrays of shape (n_seeds, epochs): ``"loss"`` and ``"accuracy"`` as Keras reports them
        (running averages over the epoch's minibatches, dropout active), ``"train_loss"`` and
        ``"train_accuracy"`` (the training set after the epoch, in inference mode) and
        ``"val_loss"``, ``"val_accuracy"`` (the validation set, in inference mode).
    test_loss, test_accuracy
        ``evaluate`` on the test set after the last epoch, shape (n_seeds,).
    seconds
        Wall time of each seed's ``fit`` call (the inference-mode train metrics included).
    models
        The trained models, one per seed, when ``keep_models=True`` was passed; else empty.
    """

    seeds: tuple[int, ...]
    history: dict[str, np.ndarray]
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    seconds: np.ndarray
    models: tuple[keras.Model, ...] = ()

    @property
    def epochs(self) -> np.ndarray:
        """Epoch numbers 1, 2, ..., for plotting."""
        return np.arange(1, self.history["val_loss"].shape[1] + 1)

    @property
    def final_gap_loss(self) -> np.ndarray:
        """Validation minus inference-mode training log-loss after the last epoch, per seed."""
        return self.history["val_loss"][:, -1] - self.history["train_loss"][:, -1]

    @property
    def final_gap_accuracy(self) -> np.ndarray:
        """Inference-mode training minus validation accuracy after the last epoch, per seed."""
        return self.history["train_accuracy"][:, -1] - self.history["val_accuracy"][:, -1]


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
    """Train one fresh compiled model per seed with ``fit`` and collect the results.

    For each seed: ``keras.backend.clear_session()``, then ``companion.seed_everything(seed)``
    (which fixes the initial weights, the dropout masks and the shuffling order), then
    ``build()``, ``fit`` with ``validation_data`` and ``verbose=0``, and ``evaluate`` on
    ``test_data``. Labels are passed to Keras as given: one-hot for a model compiled with
    categorical cross-entropy, as :func:`build_mlp` does.

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
    epochs, batch_size = check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size")
    keep_models = check_bool(keep_models, "keep_models")
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    keys = ("loss", "accuracy", "train_loss", "train_accuracy", "val_loss", "val_accuracy")
    history = {key: np.zeros((len(seeds), epochs)) for key in keys}
    test_loss, test_accuracy, seconds = (np.zeros(len(seeds)) for _ in range(3))
    models = []
    for row, seed in enumerate(seeds):
        keras.backend.clear_session()
        seed_everything(seed)
        model = build()
        clean = InferenceMetrics(x_train, y_train)
        start = time.perf_counter()
        fitted = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                           validation_data=validation_data, callbacks=[clean], verbose=0)
        seconds[row] = time.perf_counter() - start
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            history[key][row] = fitted.history[key]
        history["train_loss"][row], history["train_accuracy"][row] = clean.loss, clean.accuracy
        results = model.evaluate(*test_data, verbose=0, return_dict=True)
        test_loss[row], test_accuracy[row] = results["loss"], results["accuracy"]
        if keep_models:
            models.append(model)
    return SeedRuns(seeds, history, test_loss, test_accuracy, seconds, tuple(models))
