"""Losses: the from-scratch network's softmax cross-entropy (with its gradient) and the log-loss."""

from __future__ import annotations

import numpy as np

from ..validation import check_float_array, check_labels

__all__ = ["log_softmax", "softmax_cross_entropy", "log_loss", "PROBABILITY_FLOOR"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``log(softmax(logits))``, computed stably by subtracting each row's maximum first.

    Examples
    --------
    >>> np.exp(log_softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])))  # exp(1000) alone overflows
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    logits = check_float_array(logits, "logits")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax probabilities against integer labels, and its gradient.

    Parameters
    ----------
    logits
        Array of shape (batch, classes).
    y
        Integer class labels of shape (batch,), each in ``[0, classes)``.

    Returns
    -------
    loss : float
        ``-mean(log softmax(logits)[i, y[i]])``.
    grad : numpy.ndarray
        Gradient of the loss with respect to ``logits``: ``(softmax(logits) - onehot(y)) / batch``,
        in the dtype of ``logits``.

    Examples
    --------
    Uniform logits over four classes cost ``log 4`` nats, whatever the labels:

    >>> loss, grad = softmax_cross_entropy(np.zeros((2, 4), dtype=np.float32), np.array([0, 3]))
    >>> round(loss, 4)
    1.3863
    >>> grad  # (softmax - onehot) / batch = (0.25 - [1, 0, 0, 0]) / 2, ...
    array([[-0.375,  0.125,  0.125,  0.125],
           [ 0.125,  0.125,  0.125, -0.375]], dtype=float32)
    """
    logits = check_float_array(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(
            f"logits must have shape (batch, classes) with batch > 0, got shape {logits.shape}"
        )
    n, k = logits.shape
    y = check_labels(y, n, k)
    rows = np.arange(n)
    logp = log_softmax(logits)
    loss = -float(logp[rows, y].sum(dtype=np.float64)) / n
    grad = np.exp(logp)
    grad[rows, y] -= 1
    grad /= grad.dtype.type(n)
    return loss, grad


#: The one probability floor of the book's log-losses. Predicted probabilities are clipped to
#: ``[PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]`` before the log, as Keras' cross-entropy clips
#: them (its ``epsilon``, 1e-7), so that a loss computed here and one Keras reports agree.
PROBABILITY_FLOOR = 1e-7


def log_loss(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy in nats of predicted class ``probabilities`` for labels ``y``.

    Parameters
    ----------
    probabilities
        Array of shape (n, classes) whose rows are probability vectors.
    y
        Integer labels of shape (n,), or one-hot rows of shape (n, classes).

    Returns
    -------
    float
        ``-mean(log(clip(p[i, y[i]])))`` with the clip of :data:`PROBABILITY_FLOOR`.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> round(log_loss(p, np.array([0, 1])), 4)  # -(log 0.9 + log 0.8) / 2
    0.1643
    >>> round(log_loss(np.array([[1.0, 0.0]]), np.array([1])), 2)  # clipped, not infinite
    16.12
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(
            f"probabilities must have shape (n, classes), got shape {p.shape}"
        )
    y = np.asarray(y)
    labels = y.argmax(axis=1) if y.ndim == 2 else y
    labels = check_labels(labels, len(p), p.shape[1])
    picked = p[np.arange(len(labels)), labels]
    return float(
        -np.log(np.clip(picked, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)).mean()
    )
