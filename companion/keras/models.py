"""The Keras 3 models of the Keras chapters: the article's MLP, and one-hot labels.

Used by chapters 6 and 8 (through :mod:`companion.keras.backends`).

Written with ``keras`` only (no backend-specific code), so it runs on the TensorFlow and the
PyTorch backend alike. :func:`build_mlp` builds (and by default compiles) a functional ReLU MLP
for flattened images, with a ``keras.layers.Dropout`` after every hidden layer, or none at
``rate=0``, and optionally one on the input pixels (``input_rate``). Train it with
:func:`companion.keras.training.fit` or :func:`companion.keras.training.train_over_seeds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from ..validation import check_positive_int, check_rate

__all__ = ["build_mlp", "one_hot"]


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
        raise ValueError(
            "input_rate must be below 1: at 1 every input would be dropped"
        )
    units = tuple(hidden_units)
    if not units:
        raise ValueError("hidden_units must list at least one hidden layer")
    for n in (*units, input_dim, n_classes):
        check_positive_int(n, "layer widths")
    # Every Dense layer is created before any Dropout layer: each layer draws its seed from
    # Python's `random` when it is created, so after the same seed_everything(seed) the model
    # with dropout starts from exactly the same weights as the one without. The input Dropout
    # layer comes last, so the hidden Dropout layers also draw the same seeds with or without it.
    dense = [
        keras.layers.Dense(n, activation=activation, name=f"dense_{i}")
        for i, n in enumerate(units, 1)
    ]
    head = keras.layers.Dense(n_classes, activation="softmax", name="probabilities")
    drops = (
        [
            keras.layers.Dropout(rate, name=f"dropout_{i}")
            for i in range(1, len(units) + 1)
        ]
        if rate > 0
        else []
    )
    drop_input = (
        keras.layers.Dropout(input_rate, name="input_dropout")
        if input_rate > 0
        else None
    )
    inputs = keras.Input(shape=(input_dim,), name="pixels")
    h = drop_input(inputs) if drop_input is not None else inputs
    for i, layer in enumerate(dense):
        h = layer(h)
        if drops:
            h = drops[i](h)
    outputs = head(h)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
    return model


def one_hot(y: Any, n_classes: int = 10) -> np.ndarray:
    """Integer labels of shape (n,) as float32 one-hot rows of shape (n, n_classes)."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"y must be a 1-D array of integer labels, got dtype {y.dtype} and shape {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes}), got the range [{y.min()}, {y.max()}]"
        )
    return np.eye(n_classes, dtype=np.float32)[y]
