"""Dropout in plain NumPy: the reference implementation of the book, its masks and kernels.

The variants (Gaussian and alpha dropout, DropConnect, DropPath, DropBlock) live in
:mod:`companion.reference.variants` and follow the same conventions.

Every function follows the same conventions:

* ``rate`` is the probability of *dropping* a unit (the frameworks' convention; the paper's
  ``p`` is the probability of *keeping* one, ``p = 1 - rate``);
* ``training=False`` is the identity (for ``dropout`` with ``scaling="standard"`` it multiplies by
  the keep probability instead);
* ``rate=0`` returns the input values unchanged and ``rate=1`` in training returns exact zeros:
  dropped values are *cleared* (all their bits set to zero), never multiplied by zero, so a
  dropped ``inf`` or ``NaN`` becomes 0;
* float16, float32 and float64 inputs keep their dtype; integer, boolean and complex inputs raise
  a ``TypeError``; a bad ``rate`` raises an error naming it;
* ``rng`` is a ``numpy.random.Generator``, an int seed or None, and the same seed gives the same mask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..validation import (
    as_generator,
    check_bool,
    check_choice,
    check_float_array,
    check_noise_shape,
    check_rate,
    check_scaling,
)

__all__ = [
    "keep_mask",
    "keep_mask_reference",
    "dropout_reference",
    "apply_mask",
    "dropout",
    "spatial_dropout",
    "MASK_BLOCK",
]

#: Where the channels of a feature map sit: last (batch, spatial..., channels), Keras' and
#: TensorFlow's default, or first (batch, channels, spatial...), PyTorch's.
DATA_FORMATS = ("channels_last", "channels_first")


#: Masks are drawn in blocks of this many elements, so that a block's random bytes, mask and output
#: stay in the CPU cache while :func:`dropout` works on them. The blocks fix the order of the random
#: draws, so a seed gives the same mask whatever the input array holds.
MASK_BLOCK = 2**19


def _fill_keep(keep: np.ndarray, rate: float, gen: np.random.Generator) -> np.ndarray:
    """Fill the 1-D array ``keep`` with independent draws, each True (or 1) with probability ``1 - rate``."""
    t, f = divmod(rate * 256.0, 1.0)
    n = keep.size
    # full-range 64-bit draws viewed as bytes: eight random bytes per draw, the cheapest bits NumPy offers
    words = gen.integers(0, 2**64 - 1, size=-(-n // 8), dtype=np.uint64, endpoint=True)
    byte = words.view(np.uint8)[:n]
    np.greater_equal(byte, np.uint8(t), out=keep)
    if f > 0.0:  # the bytes equal to t are dropped with probability f
        boundary = np.flatnonzero(byte == np.uint8(t))
        keep[boundary] = gen.random(boundary.size, dtype=np.float32) >= np.float32(f)
    return keep


def keep_mask(shape: Sequence[int], rate: float, rng: Any = None) -> np.ndarray:
    """Draw a boolean mask that is True (keep) with probability ``1 - rate``, independently per element.

    Random-number generation dominates dropout's cost, so this draws one random *byte* per element
    rather than a float. Write ``256 * rate = t + f`` with ``t`` an integer and ``0 <= f < 1``: an
    element is dropped when its byte is below ``t``, kept when above, and the elements whose byte
    equals ``t`` (one in 256) are dropped with probability ``f`` by a float32 draw of their own.
    The drop probability is then ``t / 256 + f / 256 = rate``, exact to float32 resolution.
    The mask is drawn in blocks of :data:`MASK_BLOCK` elements (in C order), as :func:`dropout`
    draws it. :func:`keep_mask_reference` is the plain one-float-per-element version.

    Examples
    --------
    >>> keep_mask((2, 3), 0.5, rng=0)
    array([[False,  True,  True],
           [ True,  True,  True]])
    >>> round(float(keep_mask((1000, 1000), 0.2, rng=0).mean()), 3)  # about 1 - rate is kept
    0.799

    :func:`dropout` draws this very mask from the same seed:

    >>> x = np.ones(8)
    >>> np.array_equal(dropout(x, 0.5, rng=1), apply_mask(x, keep_mask(x.shape, 0.5, rng=1), 0.5))
    True
    """
    rate = check_rate(rate)
    gen = as_generator(rng)
    shape = tuple(shape)
    if rate == 1.0:
        return np.zeros(shape, dtype=bool)
    keep = np.empty(math.prod(shape), dtype=bool)
    for start in range(0, keep.size, MASK_BLOCK):
        _fill_keep(keep[start : start + MASK_BLOCK], rate, gen)
    return keep.reshape(shape)


def keep_mask_reference(
    shape: Sequence[int], rate: float, rng: Any = None
) -> np.ndarray:
    """The textbook mask: one uniform float per element, kept when it is at least ``rate``.

    Examples
    --------
    The same seed gives another mask than :func:`keep_mask`, which draws bytes, not floats:

    >>> keep_mask_reference((2, 3), 0.5, rng=0)
    array([[ True, False, False],
           [False,  True,  True]])
    >>> np.array_equal(keep_mask_reference((2, 3), 0.5, rng=0), keep_mask((2, 3), 0.5, rng=0))
    False
    """
    rate = check_rate(rate)
    return as_generator(rng).random(tuple(shape)) >= rate


def _scale_kept(x: np.ndarray, bits: np.ndarray, scale: float, out: np.ndarray) -> None:
    """Write ``x * scale`` where ``bits`` is -1 and exact zeros where it is 0 into ``out``.

    A multiplication, then a bitwise AND of the result with ``bits``: signed integers as wide as
    ``out``'s items, all bits set (-1) where the mask keeps and none (0) where it drops. The AND
    zeroes a dropped inf or NaN too, which a multiplication by the mask would turn into NaN.
    A kept value whose scaled size exceeds the dtype's range becomes inf, silently, as in the
    frameworks (a warning would also fire for values that are then dropped).
    """
    # float16 is scaled in float32 (see apply_mask)
    compute = np.promote_types(out.dtype, np.float32)
    with np.errstate(over="ignore"):
        np.multiply(x, compute.type(scale), out=out, dtype=compute, casting="same_kind")
    as_int = out.view(bits.dtype)
    np.bitwise_and(as_int, bits, out=as_int)


def _int_like(dtype: np.dtype) -> np.dtype:
    """The signed-integer dtype as wide as ``dtype``, to view floats as bits."""
    return np.dtype(f"i{np.dtype(dtype).itemsize}")


def apply_mask(
    x: Any, keep: np.ndarray, rate: float, *, scaling: str = "inverted"
) -> np.ndarray:
    """Apply a given keep-mask to ``x`` with dropout's scaling: the step all frameworks share.

    Kept values are multiplied by ``1 / (1 - rate)`` (``scaling="inverted"``) or left as they are
    (``scaling="standard"``); dropped values become exactly 0, also where ``x`` holds inf or NaN.
    ``keep`` must broadcast to ``x``. This is the function to push one fixed mask through, to
    compare implementations. float16 is scaled in float32: ``1 / (1 - rate)`` may exceed float16's
    range while ``x / (1 - rate)`` does not.

    Examples
    --------
    >>> x = np.array([1.0, np.inf, np.nan, 4.0])
    >>> keep = np.array([True, False, False, True])
    >>> apply_mask(x, keep, 0.5)  # dropped inf and NaN become 0; kept values are doubled
    array([2., 0., 0., 8.])
    >>> apply_mask(x, keep, 0.5, scaling="standard")  # kept values unscaled
    array([1., 0., 0., 4.])
    """
    x = check_float_array(x)
    rate = check_rate(rate)
    scaling = check_scaling(scaling)
    keep = np.asarray(keep)
    if keep.dtype != np.bool_:
        raise TypeError(f"keep must be a boolean mask, got dtype {keep.dtype}")
    np.broadcast_shapes(keep.shape, x.shape)  # raises if keep does not broadcast to x
    if rate == 1.0:
        return np.zeros_like(x)
    bits = np.negative(keep, dtype=_int_like(x.dtype))  # True -> -1, all bits set
    out = np.empty_like(x)
    _scale_kept(x, bits, _scale(rate, scaling), out)
    return out


def _scale(rate: float, scaling: str) -> float:
    return 1.0 / (1.0 - rate) if scaling == "inverted" else 1.0


def _dropout_in_blocks(
    x: np.ndarray, rate: float, scale: float, gen: np.random.Generator
) -> np.ndarray:
    """Element-wise dropout block by block: draw a block's mask, then scale and mask its values.

    Equal to ``apply_mask(x, keep_mask(x.shape, rate, gen), rate)`` but each block's mask and output
    are used while they are in the cache, instead of passing over three full-size arrays in turn.
    """
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(x.shape, dtype=x.dtype)
    out_flat = out.reshape(-1)
    block_bits = np.empty(min(MASK_BLOCK, flat.size), dtype=_int_like(x.dtype))
    for start in range(0, flat.size, MASK_BLOCK):
        stop = min(start + MASK_BLOCK, flat.size)
        bits = _fill_keep(block_bits[: stop - start], rate, gen)  # 1 keeps, 0 drops
        np.negative(bits, out=bits)  # 1 -> -1, all bits set
        _scale_kept(flat[start:stop], bits, scale, out_flat[start:stop])
    return out


def dropout_reference(
    x: Any, rate: float, *, training: bool = True, rng: Any = None
) -> np.ndarray:
    """Inverted dropout in a few lines, for reading: the same conventions as :func:`dropout`.

    Kept values are divided by the keep probability ``1 - rate`` in training; inference is the
    identity. :func:`dropout` computes the same thing faster (and with more options), from
    another mask for the same seed (see :func:`keep_mask_reference`).

    Examples
    --------
    >>> x = np.ones(8, dtype=np.float32)
    >>> dropout_reference(x, 0.5, rng=0)  # kept values divided by 1 - rate = 0.5
    array([2., 0., 0., 0., 2., 2., 2., 2.], dtype=float32)
    >>> dropout_reference(x, 0.5, training=False)  # inference: the identity
    array([1., 1., 1., 1., 1., 1., 1., 1.], dtype=float32)
    """
    x = check_float_array(x)
    rate = check_rate(rate)
    if not check_bool(training, "training") or rate == 0.0:
        return x.copy()
    keep = keep_mask_reference(x.shape, rate, rng)
    return (
        np.where(keep, x / x.dtype.type(1.0 - rate), x.dtype.type(0))
        if rate < 1.0
        else np.zeros_like(x)
    )


def dropout(
    x: Any,
    rate: float,
    *,
    training: bool = True,
    rng: Any = None,
    noise_shape: Sequence[int | None] | None = None,
    scaling: str = "inverted",
) -> np.ndarray:
    """Element-wise dropout (Hinton et al. 2012; Srivastava et al. 2014).

    Parameters
    ----------
    x
        Input array of float16, float32 or float64.
    rate
        Drop probability in [0, 1].
    training
        If False, no unit is dropped.
    rng
        ``numpy.random.Generator``, int seed or None.
    noise_shape
        Shape of the mask, broadcast against ``x`` (as in Keras): each entry is ``x``'s size on
        that axis or 1 (one draw shared along the axis); None entries take ``x``'s size.
    scaling
        ``"inverted"`` (what every framework does): kept values are divided by the keep
        probability ``1 - rate`` in training and inference is the identity.
        ``"standard"`` (the original paper): no scaling in training, outputs multiplied by
        ``1 - rate`` at inference. Both have the same expected training output relative to inference.

    Returns
    -------
    numpy.ndarray
        Array of ``x``'s shape and dtype.

    Raises
    ------
    TypeError
        If ``x`` is not float16, float32 or float64, or an argument has the wrong type.
    ValueError
        If ``rate`` is outside [0, 1] or NaN, ``scaling`` is neither ``"inverted"`` nor
        ``"standard"``, or ``noise_shape`` does not broadcast to ``x``.

    References
    ----------
    Srivastava et al., "Dropout: a simple way to prevent neural networks from overfitting", JMLR 2014.

    Examples
    --------
    In training, each value is zeroed with probability ``rate`` and the kept ones are divided by
    ``1 - rate``; at inference dropout is the identity:

    >>> x = np.ones(8, dtype=np.float32)
    >>> dropout(x, 0.5, rng=0)
    array([0., 2., 2., 2., 2., 2., 0., 2.], dtype=float32)
    >>> dropout(x, 0.5, training=False)
    array([1., 1., 1., 1., 1., 1., 1., 1.], dtype=float32)

    The scaling keeps the mean of the training output equal to the input's:

    >>> round(float(dropout(np.ones(100_000), 0.3, rng=0).mean()), 2)
    1.0

    The paper's ``"standard"`` scaling leaves training unscaled (same seed, same mask) and scales
    at inference instead:

    >>> dropout(x, 0.5, rng=0, scaling="standard")
    array([0., 1., 1., 1., 1., 1., 0., 1.], dtype=float32)
    >>> dropout(x, 0.5, training=False, scaling="standard")
    array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], dtype=float32)

    A ``noise_shape`` entry of 1 shares one draw along that axis, here one per row:

    >>> dropout(np.ones((2, 3)), 0.5, rng=0, noise_shape=(None, 1))
    array([[0., 0., 0.],
           [2., 2., 2.]])

    ``rate`` is the probability of *dropping*, in [0, 1]:

    >>> dropout(x, 1.5)
    Traceback (most recent call last):
        ...
    ValueError: rate must be in [0, 1], got 1.5
    """
    x = check_float_array(x)
    rate = check_rate(rate)
    training = check_bool(training, "training")
    scaling = check_scaling(scaling)
    shape = _resolve_noise_shape(noise_shape, x.shape)
    if not training:
        return x.copy() if scaling == "inverted" else x * x.dtype.type(1.0 - rate)
    if rate == 0.0:
        return x.copy()
    if rate == 1.0:
        return np.zeros_like(x)
    if shape != x.shape:  # a broadcast mask (noise_shape) is small: draw it whole
        return apply_mask(x, keep_mask(shape, rate, rng), rate, scaling=scaling)
    return _dropout_in_blocks(x, rate, _scale(rate, scaling), as_generator(rng))


def spatial_dropout(
    x: Any,
    rate: float,
    *,
    training: bool = True,
    rng: Any = None,
    data_format: str = "channels_last",
) -> np.ndarray:
    """Drop whole feature maps (SpatialDropout, Tompson et al. 2015).

    ``x`` has 3 to 5 dimensions: (batch, spatial..., channels) for ``"channels_last"`` or
    (batch, channels, spatial...) for ``"channels_first"``. One draw per sample and channel decides
    whether the entire map is kept (and scaled by ``1 / (1 - rate)``) or zeroed.
    Neighbouring activations of a feature map are strongly correlated, so dropping single
    elements removes little information; dropping the whole map does.

    Examples
    --------
    >>> x = np.ones((2, 4, 4, 3), dtype=np.float32)  # (batch, height, width, channels)
    >>> y = spatial_dropout(x, 0.5, rng=0)
    >>> y[:, 0, 0, :]  # one draw per sample and channel
    array([[0., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    >>> bool((y == y[:, :1, :1, :]).all())  # each map is all zeros or all twos
    True
    """
    x = check_float_array(x)
    if not 3 <= x.ndim <= 5:
        raise ValueError(
            f"x must have 3 to 5 dimensions (batch, spatial..., channels), got shape {x.shape}"
        )
    data_format = check_choice(data_format, "data_format", DATA_FORMATS)
    channel_axis = x.ndim - 1 if data_format == "channels_last" else 1
    noise_shape = [1] * x.ndim
    noise_shape[0] = x.shape[0]
    noise_shape[channel_axis] = x.shape[channel_axis]
    return dropout(x, rate, training=training, rng=rng, noise_shape=noise_shape)


def _resolve_noise_shape(noise_shape: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    entries = check_noise_shape(noise_shape)
    if entries is None:
        return shape
    if len(entries) != len(shape):
        raise ValueError(
            f"noise_shape must have {len(shape)} entries to match x of shape {shape}, "
            f"got {noise_shape!r}"
        )
    resolved = tuple(size if e is None else e for e, size in zip(entries, shape))
    if any(e not in (1, size) for e, size in zip(resolved, shape)):
        raise ValueError(
            f"noise_shape {noise_shape!r} does not broadcast to x of shape {shape}"
        )
    return resolved
