"""Argument checks shared by every dropout implementation in the companion.

Every public dropout function and layer refuses bad input with an error that names the
parameter and the offending value, so that nothing goes silently wrong.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "check_rate",
    "check_float_array",
    "as_generator",
    "check_bool",
    "check_positive_int",
    "check_scaling",
    "check_int_in",
    "check_choice",
    "check_real",
    "check_labels",
    "check_data",
    "check_mask",
    "check_same_keys",
]


def check_rate(rate: Any, name: str = "rate") -> float:
    """Return ``rate`` as a Python float after checking that it is a real number in [0, 1].

    Parameters
    ----------
    rate
        The drop probability. A Python or NumPy real number, or an array holding exactly one.
    name
        The parameter name used in error messages.

    Raises
    ------
    TypeError
        If ``rate`` is not a real number (strings, None, booleans, complex numbers, ...).
    ValueError
        If ``rate`` is an array with more than one value, NaN, infinite or outside [0, 1].

    Examples
    --------
    >>> check_rate(0.5), check_rate(np.float32(0.25)), check_rate(np.array([0.1]))
    (0.5, 0.25, 0.1)
    >>> check_rate(1.5, "input_rate")  # the message names the parameter and the value
    Traceback (most recent call last):
        ...
    ValueError: input_rate must be in [0, 1], got 1.5
    >>> check_rate(True, "p")  # a boolean is not a rate
    Traceback (most recent call last):
        ...
    TypeError: p must be a real number in [0, 1], got bool True
    """
    value = rate
    if isinstance(value, np.ndarray) or (
        hasattr(value, "__array__") and not isinstance(value, numbers.Number)
    ):
        arr = np.asarray(value)
        if arr.size != 1:
            raise ValueError(
                f"{name} must be a single number, got an array of shape {arr.shape}: {rate!r}"
            )
        value = arr.reshape(()).item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number in [0, 1], got {type(rate).__name__} {rate!r}"
        )
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be in [0, 1], got {rate!r}")
    return value


def check_float_array(x: Any, name: str = "x") -> np.ndarray:
    """Return ``x`` as a floating-point NumPy array, refusing integer, boolean and complex data.

    float16, float32 and float64 inputs keep their dtype; other floats (``longdouble``) are refused too.

    Raises
    ------
    TypeError
        If the data are not real floating point.

    Examples
    --------
    >>> check_float_array(np.ones(2, dtype=np.float16)).dtype  # no silent cast to float64
    dtype('float16')
    >>> check_float_array(np.array([1, 2]))  # integers are refused, not converted
    Traceback (most recent call last):
        ...
    TypeError: x must hold floating-point values (float16, float32 or float64), got dtype int64
    """
    arr = np.asarray(x)
    if arr.dtype not in (np.float16, np.float32, np.float64):
        raise TypeError(
            f"{name} must hold floating-point values (float16, float32 or float64), got dtype {arr.dtype}"
        )
    return arr


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` if it is a Python or NumPy boolean, else raise a TypeError naming ``name``.

    Examples
    --------
    >>> check_bool(np.True_, "training")
    True
    >>> check_bool(1, "training")  # 1 is not True here
    Traceback (most recent call last):
        ...
    TypeError: training must be True or False, got int 1
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be True or False, got {type(value).__name__} {value!r}"
        )
    return bool(value)


def as_generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """Turn ``rng`` (a ``numpy.random.Generator``, an int seed or None) into a Generator.

    Raises
    ------
    TypeError
        If ``rng`` is of any other type (booleans and floats included).
    ValueError
        If ``rng`` is a negative integer.

    Examples
    --------
    >>> gen = np.random.default_rng(0)
    >>> as_generator(gen) is gen  # a Generator is used as it is, its state shared
    True
    >>> as_generator(0).integers(10, size=3)  # an int seeds a fresh one
    array([8, 6, 5])
    >>> as_generator(0.5)
    Traceback (most recent call last):
        ...
    TypeError: rng must be a numpy.random.Generator, an int seed or None, got float 0.5
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, an int seed or None, "
            f"got {type(rng).__name__} {rng!r}"
        )
    return np.random.default_rng(check_seed(rng, name))


def check_seed(seed: Any, name: str = "seed", *, high: int | None = None) -> int:
    """Return ``seed`` as an int if it is a non-negative integer (below ``high`` if given).

    The one seed check of the companion: NumPy generators (:func:`as_generator`), the global
    seeding (:func:`companion.seed_everything`, below ``2**32``) and the Keras layers' ``seed``.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (booleans and floats included).
    ValueError
        If ``seed`` is negative, or not below ``high``.

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
        ...
    ValueError: seed must be a non-negative int, got -1
    >>> check_seed(2**32, high=2**32)
    Traceback (most recent call last):
        ...
    ValueError: seed must be an int in [0, 4294967295], got 4294967296
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be a non-negative int, got {type(seed).__name__} {seed!r}"
        )
    if high is not None:
        return check_int_in(seed, name, 0, high - 1)
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed!r}")
    return int(seed)


def check_noise_shape(noise_shape: Any) -> tuple[int | None, ...] | None:
    """Return ``noise_shape`` as a tuple of positive ints and Nones, or None.

    The part of the ``noise_shape`` rules that needs no input: a sequence (not a string) whose
    entries are positive ints or None. Whether it broadcasts to an input is checked when the
    input is known (by :func:`companion.reference.dropout`, by Keras at call time).

    Examples
    --------
    >>> check_noise_shape([None, 1, 8])
    (None, 1, 8)
    >>> check_noise_shape((2, 0))
    Traceback (most recent call last):
        ...
    ValueError: noise_shape entries must be positive ints or None, got noise_shape=(2, 0)
    """
    if noise_shape is None:
        return None
    message = (
        f"noise_shape must be a sequence of positive ints or None, got {noise_shape!r}"
    )
    if isinstance(noise_shape, str):
        raise TypeError(message)
    try:
        entries = tuple(noise_shape)
    except TypeError:
        raise TypeError(message) from None
    for entry in entries:
        if entry is None:
            continue
        if isinstance(entry, (bool, np.bool_)) or not isinstance(
            entry, numbers.Integral
        ):
            raise TypeError(
                f"noise_shape entries must be ints or None, got noise_shape={noise_shape!r}"
            )
        if entry < 1:
            raise ValueError(
                "noise_shape entries must be positive ints or None, "
                f"got noise_shape={noise_shape!r}"
            )
    return tuple(None if entry is None else int(entry) for entry in entries)


def check_positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int if it is a positive integer.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (booleans and floats included).
    ValueError
        If ``value`` is below 1.

    Examples
    --------
    >>> check_positive_int(np.int64(3), "n_samples")  # a Python int comes back
    3
    >>> check_positive_int(2.0, "n_samples")  # even an integral float is refused
    Traceback (most recent call last):
        ...
    TypeError: n_samples must be a positive int, got float 2.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive int, got {type(value).__name__} {value!r}"
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def check_int_in(value: Any, name: str, low: int, high: int) -> int:
    """Return ``value`` as an int if it is an integer in ``[low, high]``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (booleans and floats included).
    ValueError
        If ``value`` lies outside ``[low, high]``.

    Examples
    --------
    >>> check_int_in(10, "epochs", 1, 10)  # both bounds included
    10
    >>> check_int_in(11, "epochs", 1, 10)
    Traceback (most recent call last):
        ...
    ValueError: epochs must be an int in [1, 10], got 11
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an int in [{low}, {high}], got {type(value).__name__} {value!r}"
        )
    if not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return int(value)


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError naming it and them.

    Examples
    --------
    >>> check_choice("NHWC", "data_format", ("channels_last", "channels_first"))
    Traceback (most recent call last):
        ...
    ValueError: data_format must be one of 'channels_last', 'channels_first', got 'NHWC'
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
    return value


def check_scaling(scaling: Any) -> str:
    """Return ``scaling`` if it is ``"inverted"`` or ``"standard"``, else raise a ValueError naming it.

    Examples
    --------
    >>> check_scaling("paper")
    Traceback (most recent call last):
        ...
    ValueError: scaling must be 'inverted' or 'standard', got 'paper'
    """
    if scaling not in ("inverted", "standard"):
        raise ValueError(f"scaling must be 'inverted' or 'standard', got {scaling!r}")
    return scaling


def check_real(
    value: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a finite real number in the given interval.

    ``low_open`` and ``high_open`` exclude the bounds; the message writes the interval out.

    Examples
    --------
    >>> check_real(0.9, "momentum", low=0.0, high=1.0, high_open=True)
    0.9
    >>> check_real(0, "lr", low=0.0, low_open=True)
    Traceback (most recent call last):
        ...
    ValueError: lr must be a finite number in (0, inf), got 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__} {value!r}"
        )
    v = float(value)
    below = v <= low if low_open else v < low
    above = v >= high if high_open else v > high
    if not math.isfinite(v) or below or above:
        interval = ("(" if low_open or low == -math.inf else "[") + f"{low:g}, {high:g}"
        interval += ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return v


def check_labels(y: Any, n: int, n_classes: int, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got shape {y.shape}")
    if n and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name} must hold labels in [0, {n_classes}), got values from {y.min()} to {y.max()}"
        )
    return y


def check_data(
    x: Any, y: Any, x_name: str, y_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs as a 2-D float32 array (copied only if needed) and labels as a 1-D int array."""
    x = check_float_array(x, x_name)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(
            f"{x_name} must have shape (n, features) with n > 0, got shape {x.shape}"
        )
    y = np.asarray(y)
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{y_name} must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (len(x),):
        raise ValueError(
            f"{y_name} must have shape ({len(x)},) to match {x_name}, got shape {y.shape}"
        )
    return x.astype(np.float32, copy=False), y


def check_mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"fixed_mask must be a boolean array, got dtype {mask.dtype}")
    try:
        fits = np.broadcast_shapes(mask.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"fixed_mask of shape {mask.shape} does not broadcast to the input's shape {shape}"
        )
    return mask


def check_same_keys(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
) -> None:
    if params.keys() != grads.keys():
        raise ValueError(
            f"params and grads must have the same keys, got {sorted(params)} and {sorted(grads)}"
        )
