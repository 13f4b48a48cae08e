"""The layers of the from-scratch network: dense, ReLU and dropout, with forward and backward passes.

Every layer has the same small interface:

* ``forward(x, training)`` computes the output and caches what the backward pass needs;
* ``backward(grad_out)`` takes the gradient of the loss with respect to the layer's output and
  returns the gradient with respect to its input, storing the gradients of its parameters;
* ``params()`` and ``grads()`` return dicts of arrays with the same keys (empty for layers
  without parameters). A key is the name of the attribute that holds the array.

Arrays are float32 throughout (the precision deep-learning frameworks train in); inputs are batch
first: ``x`` has shape (batch, features). The dropout layer draws its masks with
:func:`companion.reference.functional.keep_mask`, so it drops exactly what the functional
``dropout`` drops for the same generator. Used by chapter 5 and by the benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..validation import (
    as_generator,
    check_bool,
    check_float_array,
    check_mask,
    check_positive_int,
    check_rate,
    check_scaling,
)
from .functional import apply_mask, keep_mask
from .losses import log_softmax

__all__ = ["Layer", "Dense", "ReLU", "Dropout", "Sequential", "mlp"]


class Layer:
    """Base class of the layers: no parameters, so ``params()`` and ``grads()`` are empty."""

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        """Output for a batch ``x``; ``training`` switches the training-only behaviour (dropout)."""
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Gradient w.r.t. the input of the last ``forward``, given the gradient w.r.t. its output."""
        raise NotImplementedError

    def params(self) -> dict[str, np.ndarray]:
        """Trainable arrays by attribute name (updated in place by the optimizers)."""
        return {}

    def grads(self) -> dict[str, np.ndarray]:
        """Gradients from the last ``backward``, with the keys of ``params()``."""
        return {}


class Dense(Layer):
    """Fully connected layer ``y = x @ W + b``.

    Parameters
    ----------
    in_features, out_features
        Sizes of the input and the output.
    rng
        ``numpy.random.Generator``, int seed or None, for the initial weights.

    Notes
    -----
    ``W`` (shape ``(in_features, out_features)``) starts He-normal, ``N(0, 2 / in_features)``,
    which keeps the variance of the activations constant from layer to layer in a ReLU network
    (He et al. 2015); ``b`` starts at zero.

    References
    ----------
    He, Zhang, Ren and Sun, "Delving deep into rectifiers: surpassing human-level performance on
    ImageNet classification", ICCV 2015.

    Examples
    --------
    >>> layer = Dense(3, 2, rng=0)
    >>> layer.forward(np.ones((4, 3), dtype=np.float32), training=True).shape  # (batch, out_features)
    (4, 2)
    >>> sorted(layer.params()), layer.b  # the bias starts at zero
    (['W', 'b'], array([0., 0.], dtype=float32))
    >>> round(float(Dense(1000, 500, rng=0).W.std()), 4)  # He-normal: sqrt(2 / 1000)
    0.0447
    """

    def __init__(self, in_features: int, out_features: int, *, rng: Any = None) -> None:
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        gen = as_generator(rng)
        std = np.float32(math.sqrt(2.0 / self.in_features))
        self.W = (
            gen.standard_normal((self.in_features, self.out_features), dtype=np.float32)
            * std
        )
        self.b = np.zeros(self.out_features, dtype=np.float32)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"x must have shape (batch, {self.in_features}), got shape {x.shape}"
            )
        self._x = x
        out = x @ self.W
        out += self.b
        return out

    def backward(
        self, grad_out: np.ndarray, *, input_grad: bool = True
    ) -> np.ndarray | None:
        """Store ``dW`` and ``db``; return the input gradient, or None when ``input_grad`` is False.

        Skipping the input gradient saves a third of the work of the first layer, whose input is
        the data.
        """
        if self._x is None:
            raise RuntimeError("backward called before forward")
        self.dW = self._x.T @ grad_out
        self.db = grad_out.sum(axis=0)
        return grad_out @ self.W.T if input_grad else None

    def params(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b}

    def grads(self) -> dict[str, np.ndarray]:
        return {"W": self.dW, "b": self.db}

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"


class ReLU(Layer):
    """Rectified linear unit, ``max(x, 0)``; its gradient is 1 where the output is positive, else 0.

    Examples
    --------
    >>> relu = ReLU()
    >>> relu.forward(np.array([-1.0, 0.0, 2.0], dtype=np.float32), training=True)
    array([0., 0., 2.], dtype=float32)
    >>> relu.backward(np.ones(3, dtype=np.float32))  # the gradient at 0 is taken as 0
    array([0., 0., 1.], dtype=float32)
    """

    def __init__(self) -> None:
        self._active: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        out = np.maximum(x, x.dtype.type(0))
        self._active = out > 0
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._active is None:
            raise RuntimeError("backward called before forward")
        return grad_out * self._active

    def __repr__(self) -> str:
        return "ReLU()"


class Dropout(Layer):
    """Dropout layer: each unit is zeroed with probability ``rate`` in training (Srivastava et al. 2014).

    Parameters
    ----------
    rate
        Probability of dropping a unit, in [0, 1].
    rng
        ``numpy.random.Generator``, int seed or None; the layer draws its masks from it.
    scaling
        ``"inverted"``: kept units are multiplied by ``1 / (1 - rate)`` in training and the layer
        is the identity at inference. ``"standard"`` (the paper's form): no scaling in training,
        outputs multiplied by the keep probability ``1 - rate`` at inference.
    fixed_mask
        Optional boolean keep-mask (True = keep) used in training instead of drawing a new one,
        for gradient checks and for pushing the same mask through several implementations. It
        must broadcast to the input's shape. It is also a plain attribute: set
        ``layer.fixed_mask = None`` to go back to random masks.

    Notes
    -----
    The forward pass stores the mask it used in ``self.mask`` (None at inference or when nothing is
    dropped). The output is linear in the input for a given mask, so the backward pass applies
    the same mask and scale to the gradient.

    References
    ----------
    Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov, "Dropout: a simple way to prevent
    neural networks from overfitting", JMLR 15, 2014.

    Examples
    --------
    The layer drops what ``dropout(x, 0.5, rng=0)`` drops, and the backward pass applies the same
    mask and scale to the gradient:

    >>> layer = Dropout(0.5, rng=0)
    >>> x = np.ones((1, 8), dtype=np.float32)
    >>> layer.forward(x, training=True)
    array([[0., 2., 2., 2., 2., 2., 0., 2.]], dtype=float32)
    >>> layer.backward(np.full_like(x, 3.0))
    array([[0., 6., 6., 6., 6., 6., 0., 6.]], dtype=float32)
    >>> layer.forward(x, training=False)  # inference: the identity
    array([[1., 1., 1., 1., 1., 1., 1., 1.]], dtype=float32)

    A fixed mask (True keeps) broadcasts to the input, here one column kept for every row:

    >>> Dropout(0.5, fixed_mask=np.array([True, False])).forward(np.ones((2, 2), dtype=np.float32), True)
    array([[2., 0.],
           [2., 0.]], dtype=float32)
    """

    def __init__(
        self,
        rate: float,
        *,
        rng: Any = None,
        scaling: str = "inverted",
        fixed_mask: np.ndarray | None = None,
    ) -> None:
        self.rate = check_rate(rate)
        self.rng = as_generator(rng)
        self.scaling = check_scaling(scaling)
        self.fixed_mask = fixed_mask
        self.mask: np.ndarray | None = None
        self._training = False

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._training = check_bool(training, "training")
        self.mask = None
        if not self._training:
            return (
                x if self.scaling == "inverted" else x * x.dtype.type(1.0 - self.rate)
            )
        if self.fixed_mask is not None:
            self.mask = check_mask(self.fixed_mask, x.shape)
        elif self.rate > 0.0:
            self.mask = keep_mask(x.shape, self.rate, self.rng)
        if self.mask is None:  # rate 0 and no fixed mask: nothing to drop
            return x
        return apply_mask(x, self.mask, self.rate, scaling=self.scaling)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.mask is not None:
            return apply_mask(grad_out, self.mask, self.rate, scaling=self.scaling)
        if not self._training and self.scaling == "standard":
            return grad_out * grad_out.dtype.type(1.0 - self.rate)
        return grad_out

    def __repr__(self) -> str:
        return f"Dropout({self.rate}, scaling={self.scaling!r})"


class Sequential:
    """A stack of layers applied one after the other.

    ``params()`` and ``grads()`` merge the layers' dicts with keys ``"<index>.<name>"``, for
    example ``"0.W"`` for the weights of the first layer.

    Examples
    --------
    >>> model = Sequential([Dense(4, 3, rng=0), ReLU(), Dense(3, 2, rng=1)])
    >>> sorted(model.params())
    ['0.W', '0.b', '2.W', '2.b']
    >>> proba = model.predict_proba(np.ones((5, 4), dtype=np.float32))
    >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))  # one probability row per example
    ((5, 2), True)
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not all(
                callable(getattr(layer, m, None))
                for m in ("forward", "backward", "params", "grads")
            ):
                raise TypeError(
                    f"layers[{i}] must have forward, backward, params and grads methods, got {layer!r}"
                )
        self.layers = layers

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(
        self, grad_out: np.ndarray, *, input_grad: bool = True
    ) -> np.ndarray | None:
        """Backpropagate ``grad_out`` through every layer; return the gradient w.r.t. the input.

        With ``input_grad=False`` (what ``fit`` uses) the input gradient is not needed: the
        layers in front of the first layer with parameters are skipped, that layer is asked only
        for its parameter gradients, and None is returned.
        """
        first = (
            0
            if input_grad
            else next((i for i, layer in enumerate(self.layers) if layer.params()), 0)
        )
        grad = grad_out
        for i in range(len(self.layers) - 1, first - 1, -1):
            layer = self.layers[i]
            if i == first and not input_grad and isinstance(layer, Dense):
                layer.backward(grad, input_grad=False)
            else:
                grad = layer.backward(grad)
        return grad if input_grad else None

    def params(self) -> dict[str, np.ndarray]:
        return {
            f"{i}.{k}": v
            for i, layer in enumerate(self.layers)
            for k, v in layer.params().items()
        }

    def grads(self) -> dict[str, np.ndarray]:
        return {
            f"{i}.{k}": v
            for i, layer in enumerate(self.layers)
            for k, v in layer.grads().items()
        }

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities in inference mode (dropout off): softmax of the logits."""
        x = check_float_array(x, "x").astype(np.float32, copy=False)
        return np.exp(log_softmax(self.forward(x, training=False)))

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(repr(layer) for layer in self.layers) + "])"


def mlp(
    sizes: Sequence[int],
    *,
    input_rate: float = 0.0,
    hidden_rate: float = 0.0,
    rng: Any = None,
    scaling: str = "inverted",
) -> Sequential:
    """Build a ReLU multilayer perceptron with optional input and hidden dropout.

    ``sizes=(784, 256, 256, 10)`` gives
    ``[Dropout(input_rate)], Dense(784, 256), ReLU, [Dropout(hidden_rate)], Dense(256, 256), ReLU,
    [Dropout(hidden_rate)], Dense(256, 10)``: the last layer returns logits. Dropout layers are
    added only where their rate is positive; Srivastava et al. (2014) recommend about 0.2 for the
    inputs and 0.5 for hidden units.

    Parameters
    ----------
    sizes
        Layer widths, input first and number of classes last (at least two entries).
    input_rate, hidden_rate
        Drop probabilities of the input units and of every hidden layer.
    rng
        ``numpy.random.Generator``, int seed or None; one generator serves the initial weights and
        every dropout mask, so the same seed gives the same network and the same masks.
    scaling
        ``"inverted"`` or ``"standard"``, passed to every Dropout layer.

    Examples
    --------
    >>> mlp((784, 256, 256, 10), input_rate=0.2, hidden_rate=0.5, rng=0)
    Sequential([Dropout(0.2, scaling='inverted'), Dense(784, 256), ReLU(),
                Dropout(0.5, scaling='inverted'), Dense(256, 256), ReLU(),
                Dropout(0.5, scaling='inverted'), Dense(256, 10)])
    >>> mlp((784, 10), rng=0)  # no hidden layer, no dropout: logistic regression
    Sequential([Dense(784, 10)])
    """
    if (
        isinstance(sizes, (str, bytes))
        or not hasattr(sizes, "__len__")
        or len(sizes) < 2
    ):
        raise ValueError(
            f"sizes must be a sequence of at least two positive ints, got {sizes!r}"
        )
    sizes = [check_positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    input_rate = check_rate(input_rate, "input_rate")
    hidden_rate = check_rate(hidden_rate, "hidden_rate")
    gen = as_generator(rng)
    layers: list[Layer] = []
    if input_rate > 0:
        layers.append(Dropout(input_rate, rng=gen, scaling=scaling))
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [Dense(n_in, n_out, rng=gen), ReLU()]
        if hidden_rate > 0:
            layers.append(Dropout(hidden_rate, rng=gen, scaling=scaling))
    layers.append(Dense(sizes[-2], sizes[-1], rng=gen))
    return Sequential(layers)
