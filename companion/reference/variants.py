"""Dropout's variants in plain NumPy, with the conventions of :mod:`~companion.reference.functional`.

* :func:`gaussian_dropout` multiplies by Gaussian noise of mean 1 (Srivastava et al. 2014, sec. 10);
* :func:`alpha_dropout` keeps SELU's mean and variance (Klambauer et al. 2017);
* :func:`drop_connect` drops weights instead of units (Wan et al. 2013);
* :func:`drop_path` drops whole residual branches, one draw per example as timm's
  ``DropPath`` does (Huang et al. 2016's stochastic depth draws one per minibatch);
* :func:`drop_block` drops contiguous square regions of feature maps (Ghiasi et al. 2018).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import (
    as_generator,
    check_bool,
    check_choice,
    check_float_array,
    check_rate,
)
from .functional import DATA_FORMATS, dropout, keep_mask

__all__ = [
    "gaussian_dropout",
    "alpha_dropout",
    "drop_connect",
    "drop_path",
    "drop_block",
    "SELU_ALPHA_PRIME",
]

#: The value SELU saturates to for large negative inputs, ``-lambda * alpha``
#: (Klambauer et al. 2017); alpha dropout sets dropped units to it.
SELU_ALPHA_PRIME = -1.7580993408473766


def gaussian_dropout(
    x: Any, rate: float, *, training: bool = True, rng: Any = None
) -> np.ndarray:
    """Multiplicative Gaussian noise with the variance of dropout at ``rate`` (Srivastava et al. 2014, sec. 10).

    Each element is multiplied by a draw from N(1, rate / (1 - rate)), the mean and variance of
    inverted dropout's Bernoulli(1 - rate) / (1 - rate) multiplier. ``rate=1`` gives zeros
    (infinite noise leaves no signal).

    Examples
    --------
    >>> y = gaussian_dropout(np.ones(100_000), 0.2, rng=0)
    >>> round(float(y.mean()), 2), round(float(y.var()), 2)  # N(1, 0.2 / 0.8)
    (1.0, 0.25)
    """
    x = check_float_array(x)
    rate = check_rate(rate)
    training = check_bool(training, "training")
    if not training or rate == 0.0:
        return x.copy()
    if rate == 1.0:
        return np.zeros_like(x)
    gen = as_generator(rng)
    std = np.sqrt(rate / (1.0 - rate))
    noise = gen.standard_normal(
        x.shape, dtype=np.float32 if x.dtype != np.float64 else np.float64
    )
    noise *= noise.dtype.type(std)
    noise += 1
    return (x * noise).astype(x.dtype, copy=False)


def alpha_dropout(
    x: Any, rate: float, *, training: bool = True, rng: Any = None
) -> np.ndarray:
    """Alpha dropout for self-normalizing (SELU) networks (Klambauer et al. 2017).

    Dropped units are set to SELU's negative saturation value ``alpha' = -1.7581`` and an affine
    map ``a * y + b`` restores zero mean and unit variance for standardized inputs, with
    ``a = ((1 - rate) * (1 + rate * alpha'**2)) ** -0.5`` and ``b = -a * alpha' * rate``.
    ``rate=1`` gives zeros.

    Examples
    --------
    Standardized inputs come out standardized, where plain dropout would raise the variance:

    >>> x = np.random.default_rng(1).standard_normal(100_000)
    >>> x = (x - x.mean()) / x.std()
    >>> y = alpha_dropout(x, 0.1, rng=0)
    >>> abs(float(y.mean())) < 0.01, round(float(y.std()), 2)
    (True, 1.0)
    >>> round(float(dropout(x, 0.1, rng=0).std()), 2)
    1.05
    """
    x = check_float_array(x)
    rate = check_rate(rate)
    training = check_bool(training, "training")
    if not training or rate == 0.0:
        return x.copy()
    if rate == 1.0:
        return np.zeros_like(x)
    keep = keep_mask(x.shape, rate, rng)
    a = ((1.0 - rate) * (1.0 + rate * SELU_ALPHA_PRIME**2)) ** -0.5
    b = -a * SELU_ALPHA_PRIME * rate
    y = np.where(keep, x, x.dtype.type(SELU_ALPHA_PRIME))
    return (y * x.dtype.type(a) + x.dtype.type(b)).astype(x.dtype, copy=False)


def drop_connect(
    weight: Any, rate: float, *, training: bool = True, rng: Any = None
) -> np.ndarray:
    """DropConnect: drop individual *weights* instead of units (Wan et al. 2013).

    Returns the weight matrix with each entry zeroed with probability ``rate`` and the kept ones
    divided by ``1 - rate``; use it in place of the weight in the layer's product
    (``x @ drop_connect(W, rate)``). Dropping unit ``j`` of a layer's input equals dropping row
    ``j`` of ``W``; DropConnect draws every entry independently. This draws one mask per call
    (per minibatch) and leaves the bias to the caller; Wan et al. draw a mask per example and
    mask the biases too.

    Examples
    --------
    >>> W = np.ones((3, 4))
    >>> drop_connect(W, 0.5, rng=0)  # every weight kept (and doubled) or dropped on its own
    array([[0., 2., 2., 2.],
           [2., 2., 0., 2.],
           [0., 2., 2., 2.]])
    >>> np.ones((1, 3)) @ drop_connect(W, 0.5, rng=0)  # in place of W in the layer's product
    array([[2., 6., 4., 6.]])
    """
    return dropout(weight, rate, training=training, rng=rng)


def drop_path(
    x: Any,
    rate: float,
    *,
    training: bool = True,
    rng: Any = None,
    scale_by_keep: bool = True,
) -> np.ndarray:
    """Stochastic depth / DropPath: drop a residual branch for whole samples (Huang et al. 2016).

    ``x`` is the output of a residual branch, batch first; each sample's entire branch output is
    zeroed with probability ``rate`` (one draw per sample), the kept ones divided by ``1 - rate``
    when ``scale_by_keep`` is True. The caller adds the result to the skip connection.

    Examples
    --------
    >>> branch = np.ones((4, 3))  # a batch of 4 residual-branch outputs
    >>> drop_path(branch, 0.5, rng=0)  # one draw per sample
    array([[0., 0., 0.],
           [2., 2., 2.],
           [2., 2., 2.],
           [2., 2., 2.]])
    >>> drop_path(branch, 0.5, rng=0, scale_by_keep=False)[:, 0]
    array([0., 1., 1., 1.])
    """
    x = check_float_array(x)
    if x.ndim < 1:
        raise ValueError(f"x must have a batch axis, got a scalar of shape {x.shape}")
    rate = check_rate(rate)
    scale_by_keep = check_bool(scale_by_keep, "scale_by_keep")
    if not check_bool(training, "training"):
        return x.copy()
    noise_shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    scaling = "inverted" if scale_by_keep else "standard"
    return dropout(x, rate, rng=rng, noise_shape=noise_shape, scaling=scaling)


def drop_block(
    x: Any,
    rate: float,
    *,
    block_size: int = 7,
    training: bool = True,
    rng: Any = None,
    data_format: str = "channels_last",
) -> np.ndarray:
    """DropBlock: drop contiguous square regions of each feature map (Ghiasi et al. 2018).

    ``x`` has shape (batch, height, width, channels) (``"channels_last"``) or
    (batch, channels, height, width). Block corners are drawn with probability
    ``gamma = rate / block_size**2 * H * W / ((H - block_size + 1) * (W - block_size + 1))`` among the
    positions where a whole block fits, so that about ``rate`` of the map is dropped; each corner
    zeroes a ``block_size`` x ``block_size`` square. Every sample and channel has its own mask.
    Kept values are rescaled by the realized fraction kept (the number of elements over the number
    kept), as in the paper and torchvision.

    Examples
    --------
    One 2 x 2 block dropped from a 5 x 5 map; the 21 kept values are scaled by 25 / 21:

    >>> x = np.ones((1, 1, 5, 5))  # (batch, channels, height, width)
    >>> y = drop_block(x, 0.2, block_size=2, rng=1, data_format="channels_first")
    >>> print(np.round(y[0, 0], 2))
    [[1.19 1.19 1.19 1.19 1.19]
     [0.   0.   1.19 1.19 1.19]
     [0.   0.   1.19 1.19 1.19]
     [1.19 1.19 1.19 1.19 1.19]
     [1.19 1.19 1.19 1.19 1.19]]
    """
    x = check_float_array(x)
    rate = check_rate(rate)
    training = check_bool(training, "training")
    if x.ndim != 4:
        raise ValueError(
            f"x must have 4 dimensions (batch, height, width, channels), got shape {x.shape}"
        )
    data_format = check_choice(data_format, "data_format", DATA_FORMATS)
    # (N, C, H, W) view
    xs = x if data_format == "channels_first" else np.moveaxis(x, -1, 1)
    n, c, h, w = xs.shape
    if isinstance(block_size, (bool, np.bool_)) or not isinstance(
        block_size, (int, np.integer)
    ):
        raise TypeError(
            f"block_size must be a positive int, got {type(block_size).__name__} {block_size!r}"
        )
    if not 1 <= block_size <= min(h, w):
        raise ValueError(
            f"block_size must be in [1, min(height, width)] = [1, {min(h, w)}], got {block_size!r}"
        )
    if not training or rate == 0.0:
        return x.copy()
    if rate == 1.0:
        return np.zeros_like(x)
    gen = as_generator(rng)
    valid_h, valid_w = h - block_size + 1, w - block_size + 1
    gamma = min(1.0, rate / block_size**2 * (h * w) / (valid_h * valid_w))
    corners = gen.random((n, c, valid_h, valid_w), dtype=np.float32) < np.float32(gamma)
    dropped = np.zeros((n, c, h, w), dtype=bool)
    for di in range(block_size):  # stamp each corner's block: block_size**2 shifted ORs
        for dj in range(block_size):
            dropped[:, :, di : di + valid_h, dj : dj + valid_w] |= corners
    keep = ~dropped
    n_kept = keep.sum()
    if n_kept == 0:
        return np.zeros_like(x)
    scale = keep.size / n_kept
    out = np.multiply(xs, xs.dtype.type(scale), out=np.zeros_like(xs), where=keep)
    return out if data_format == "channels_first" else np.moveaxis(out, 1, -1).copy()
