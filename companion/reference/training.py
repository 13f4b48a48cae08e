"""The training loop of the from-scratch network: minibatch ``fit``, recording a ``History``."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..history import History
from ..progress import progress
from ..validation import as_generator, check_bool, check_data, check_positive_int
from .layers import Sequential
from .losses import softmax_cross_entropy
from .optim import SGD, Adam

__all__ = ["fit", "evaluate"]


def fit(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    optimizer: SGD | Adam,
    rng: Any = None,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    shuffle: bool = True,
) -> History:
    """Train ``model`` with minibatches on the softmax cross-entropy loss.

    Each epoch visits the (shuffled) training set once in minibatches of ``batch_size`` (the last
    one may be smaller), with dropout active; then the loss and accuracy on the whole training
    set, and on the validation set if given, are measured in inference mode.

    Parameters
    ----------
    model
        A ``Sequential`` whose last layer outputs logits.
    x, y
        Floating-point inputs of shape (n, features), converted to float32 once, and integer
        labels of shape (n,).
    epochs, batch_size
        Positive ints.
    optimizer
        An object with ``step(params, grads)``, such as ``SGD`` or ``Adam``.
    rng
        ``numpy.random.Generator``, int seed or None, for the shuffling order.
    x_val, y_val
        Optional validation data (both or neither).
    shuffle
        Reshuffle the training set every epoch.

    Returns
    -------
    History
        ``train_*`` and (with validation data) ``val_*`` after every epoch, and
        ``epoch_seconds``; see :class:`companion.history.History`.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    x, y = check_data(x, y, "x", "y")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            f"optimizer must have a step(params, grads) method, got {optimizer!r}"
        )
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together")
    if x_val is not None:
        x_val, y_val = check_data(x_val, y_val, "x_val", "y_val")
    shuffle = check_bool(shuffle, "shuffle")
    gen = as_generator(rng)
    history = History()
    n = len(x)
    for _ in progress(range(epochs), "epochs"):
        start = time.perf_counter()
        order = gen.permutation(n) if shuffle else None
        for lo in range(0, n, batch_size):
            if order is None:
                xb, yb = x[lo : lo + batch_size], y[lo : lo + batch_size]
            else:
                idx = order[lo : lo + batch_size]
                xb, yb = x[idx], y[idx]
            _, grad = softmax_cross_entropy(model.forward(xb, training=True), yb)
            model.backward(grad, input_grad=False)
            optimizer.step(model.params(), model.grads())
        history.epoch_seconds.append(time.perf_counter() - start)
        loss, acc = evaluate(model, x, y)
        history.train_loss.append(loss)
        history.train_acc.append(acc)
        if x_val is not None:
            loss, acc = evaluate(model, x_val, y_val)
            history.val_loss.append(loss)
            history.val_acc.append(acc)
    return history


def evaluate(
    model: Sequential, x: np.ndarray, y: np.ndarray, *, batch_size: int = 4096
) -> tuple[float, float]:
    """Mean softmax cross-entropy and accuracy of ``model`` on ``(x, y)`` in inference mode.

    The data go through in chunks of ``batch_size`` rows to bound memory; the result does not
    depend on it beyond rounding.
    """
    x, y = check_data(x, y, "x", "y")
    batch_size = check_positive_int(batch_size, "batch_size")
    total_loss, correct = 0.0, 0
    for lo in range(0, len(x), batch_size):
        logits = model.forward(x[lo : lo + batch_size], training=False)
        yb = y[lo : lo + batch_size]
        loss, _ = softmax_cross_entropy(logits, yb)
        total_loss += loss * len(yb)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
    return total_loss / len(x), correct / len(x)
