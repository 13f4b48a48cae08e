"""Numerical gradient checks of the from-scratch network and of single layers.

The checks compare the analytic backward pass with central finite differences on float64 copies,
so that the differences are accurate; dropout masks are frozen between the two evaluations.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..validation import (
    as_generator,
    check_bool,
    check_float_array,
    check_positive_int,
    check_real,
)
from .layers import Dropout, Layer, Sequential
from .losses import softmax_cross_entropy

__all__ = ["gradient_check", "layer_gradient_check"]


def gradient_check(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    eps: float = 1e-5,
    n_checks: int = 10,
    rng: Any = None,
    training: bool = True,
) -> float:
    """Compare backpropagation with finite differences of the softmax cross-entropy loss.

    The check runs on a float64 copy of the model (the model itself is left untouched), so that
    the central differences ``(L(w + eps) - L(w - eps)) / (2 eps)`` are accurate to about 1e-9.
    Dropout layers keep the masks of the first forward pass for every later pass (see
    ``Dropout.fixed_mask``), so the loss is a deterministic function of the parameters.

    Parameters
    ----------
    model
        A ``Sequential`` whose output are logits.
    x, y
        A small batch of inputs and integer labels.
    eps
        Finite-difference step. Small, so that a step rarely crosses a ReLU kink (where the
        derivative jumps and the difference quotient is meaningless).
    n_checks
        Number of randomly chosen entries checked in each parameter array and in the input.
    rng
        Generator, seed or None for choosing the entries.
    training
        Check the training-mode network (dropout on, the default) or the inference-mode one.

    Notes
    -----
    ReLU has no derivative at 0; backpropagation uses 0 there, while the central difference
    across the kink gives 1/2. Freshly built networks hit the kink exactly: their biases are 0,
    so a sample whose hidden vector is all zeros (all its units dropped or inactive) gives
    pre-activations of exactly 0 in the next layer. Check such a network after some training
    steps, or after giving the biases small random values, to avoid spurious large errors.

    Returns
    -------
    float
        The largest relative error ``||a - n|| / (||a|| + ||n||)`` over the parameter arrays and
        the input, where ``a`` are the sampled backpropagated gradients and ``n`` their numerical
        estimates. About 1e-8 or less means agreement; a wrong gradient gives 1e-2 or more.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    training = check_bool(training, "training")
    model64 = _float64_copy(model)
    x64 = check_float_array(x, "x").astype(np.float64)

    def loss() -> float:
        return softmax_cross_entropy(model64.forward(x64, training), y)[0]

    _, grad = softmax_cross_entropy(model64.forward(x64, training), y)
    _freeze_masks(model64)
    analytic = {"input": model64.backward(grad), **model64.grads()}
    arrays = {**model64.params(), "input": x64}
    return _max_relative_error(loss, arrays, analytic, eps, n_checks, as_generator(rng))


def layer_gradient_check(
    layer: Layer,
    x: np.ndarray,
    *,
    eps: float = 1e-5,
    n_checks: int = 10,
    rng: Any = None,
    training: bool = True,
) -> float:
    """Check one layer's backward pass (input and parameter gradients) with finite differences.

    The scalar tested is ``L = sum(layer.forward(x) * R)`` for a fixed random array ``R``, whose
    gradient with respect to the output is ``R``: so ``layer.backward(R)`` must equal the
    numerical derivative of ``L``. Like ``gradient_check`` it runs on a float64 copy and freezes
    dropout masks after the first forward pass; it returns the largest relative error.
    """
    if not all(
        callable(getattr(layer, m, None))
        for m in ("forward", "backward", "params", "grads")
    ):
        raise TypeError(
            f"layer must have forward, backward, params and grads methods, got {layer!r}"
        )
    training = check_bool(training, "training")
    gen = as_generator(rng)
    layer64 = _float64_copy(layer)
    x64 = check_float_array(x, "x").astype(np.float64)
    out = layer64.forward(x64, training)
    _freeze_masks(layer64)
    weights = gen.standard_normal(out.shape)

    def loss() -> float:
        return float(np.sum(layer64.forward(x64, training) * weights))

    analytic = {"input": layer64.backward(weights), **layer64.grads()}
    arrays = {**layer64.params(), "input": x64}
    return _max_relative_error(loss, arrays, analytic, eps, n_checks, gen)


def _max_relative_error(
    loss: Callable[[], float],
    arrays: dict[str, np.ndarray],
    analytic: dict[str, np.ndarray],
    eps: float,
    n_checks: int,
    gen: np.random.Generator,
) -> float:
    """Largest relative error over ``arrays``, each checked on ``n_checks`` random entries.

    Entries are perturbed in place and restored. Per array, the sampled analytic gradients
    ``a`` and central differences ``n`` are compared as ``||a - n|| / (||a|| + ||n||)``: unlike an
    entry-wise ratio, this is not inflated by tiny gradients whose differences are dominated by
    rounding. 0 when both are exactly zero (for example a dropped unit's weights).
    """
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    n_checks = check_positive_int(n_checks, "n_checks")
    worst = 0.0
    for key, arr in arrays.items():
        picks = gen.choice(arr.size, size=min(n_checks, arr.size), replace=False)
        exact, numeric = np.empty(len(picks)), np.empty(len(picks))
        for j, idx in enumerate(zip(*np.unravel_index(picks, arr.shape))):
            saved = arr[idx]
            arr[idx] = saved + eps
            up = loss()
            arr[idx] = saved - eps
            down = loss()
            arr[idx] = saved
            numeric[j] = (up - down) / (2 * eps)
            exact[j] = analytic[key][idx]
        scale = np.linalg.norm(exact) + np.linalg.norm(numeric)
        if scale > 0:
            worst = max(worst, float(np.linalg.norm(exact - numeric) / scale))
    return worst


def _float64_copy(obj: Any) -> Any:
    """Deep copy of a layer or Sequential with every parameter array (and gradient) in float64."""
    obj = copy.deepcopy(obj)
    for layer in getattr(obj, "layers", [obj]):
        for name, value in layer.params().items():
            setattr(layer, name, value.astype(np.float64))
    return obj


def _freeze_masks(obj: Any) -> None:
    """Make every Dropout layer reuse the mask of its last forward pass."""
    for layer in getattr(obj, "layers", [obj]):
        if (
            isinstance(layer, Dropout)
            and layer.fixed_mask is None
            and layer.mask is not None
        ):
            layer.fixed_mask = layer.mask
