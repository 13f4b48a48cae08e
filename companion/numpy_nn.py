"""A multilayer perceptron written from scratch in NumPy, with dropout, trained by backpropagation.

Every layer has the same small interface:

* ``forward(x, training)`` computes the output and caches what the backward pass needs;
* ``backward(grad_out)`` takes the gradient of the loss with respect to the layer's output and
  returns the gradient with respect to its input, storing the gradients of its parameters;
* ``params()`` and ``grads()`` return dicts of arrays with the same keys (empty for layers
  without parameters). A key is the name of the attribute that holds the array.

Arrays are float32 throughout (the precision deep-learning frameworks train in); the gradient
checks run on float64 copies so that finite differences are accurate. Inputs are batch first:
``x`` has shape (batch, features) and labels ``y`` are integer class indices.
"""
from __future__ import annotations

import copy
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ._checks import as_generator, check_bool, check_float_array, check_positive_int, check_rate, check_scaling
from .numpy_dropout import apply_mask, keep_mask

__all__ = [
    "Layer",
    "Dense",
    "ReLU",
    "Dropout",
    "Sequential",
    "mlp",
    "to_torch",
    "log_softmax",
    "softmax_cross_entropy",
    "SGD",
    "Adam",
    "History",
    "fit",
    "evaluate",
    "gradient_check",
    "layer_gradient_check",
]


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------


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
    """

    def __init__(self, in_features: int, out_features: int, *, rng: Any = None) -> None:
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        gen = as_generator(rng)
        std = np.float32(math.sqrt(2.0 / self.in_features))
        self.W = gen.standard_normal((self.in_features, self.out_features), dtype=np.float32) * std
        self.b = np.zeros(self.out_features, dtype=np.float32)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"x must have shape (batch, {self.in_features}), got shape {x.shape}")
        self._x = x
        out = x @ self.W
        out += self.b
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
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
    """Rectified linear unit, ``max(x, 0)``; its gradient is 1 where the output is positive, else 0."""

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
            return x if self.scaling == "inverted" else x * x.dtype.type(1.0 - self.rate)
        if self.fixed_mask is not None:
            self.mask = _check_mask(self.fixed_mask, x.shape)
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
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not all(callable(getattr(layer, m, None)) for m in ("forward", "backward", "params", "grads")):
                raise TypeError(f"layers[{i}] must have forward, backward, params and grads methods, got {layer!r}")
        self.layers = layers

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``grad_out`` through every layer; return the gradient w.r.t. the input.

        With ``input_grad=False`` (what ``fit`` uses) the input gradient is not needed: the
        layers in front of the first layer with parameters are skipped, that layer is asked only
        for its parameter gradients, and None is returned.
        """
        first = 0 if input_grad else next((i for i, l in enumerate(self.layers) if l.params()), 0)
        grad = grad_out
        for i in range(len(self.layers) - 1, first - 1, -1):
            layer = self.layers[i]
            if i == first and not input_grad and isinstance(layer, Dense):
                layer.backward(grad, input_grad=False)
            else:
                grad = layer.backward(grad)
        return grad if input_grad else None

    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params().items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads().items()}

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
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must be a sequence of at least two positive ints, got {sizes!r}")
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


# --------------------------------------------------------------------------------------------
# Loss
# --------------------------------------------------------------------------------------------



def to_torch(model: Sequential) -> Any:
    """The same network as a ``torch.nn.Sequential``, starting from the same weights.

    ``Dense`` becomes ``nn.Linear`` (which stores its weight matrix transposed), ``ReLU`` becomes
    ``nn.ReLU`` and ``Dropout`` becomes ``nn.Dropout`` at the same rate; the random draws (masks)
    are of course PyTorch's own. Only inverted dropout has a PyTorch twin: a ``Dropout`` with
    ``scaling="standard"`` raises a ValueError. PyTorch is imported here, not with this module.
    """
    import torch
    from torch import nn

    layers = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense):
            linear = nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.W.T))
                linear.bias.copy_(torch.from_numpy(layer.b))
            layers.append(linear)
        elif isinstance(layer, ReLU):
            layers.append(nn.ReLU())
        elif isinstance(layer, Dropout):
            if layer.scaling != "inverted":
                raise ValueError(f"layers[{i}] uses scaling={layer.scaling!r}; nn.Dropout only does inverted dropout")
            layers.append(nn.Dropout(layer.rate))
        else:
            raise TypeError(f"layers[{i}] has no PyTorch twin: {layer!r}")
    return nn.Sequential(*layers)

def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``log(softmax(logits))``, computed stably by subtracting each row's maximum first."""
    logits = check_float_array(logits, "logits")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
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
    """
    logits = check_float_array(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(f"logits must have shape (batch, classes) with batch > 0, got shape {logits.shape}")
    n, k = logits.shape
    y = _check_labels(y, n, k)
    rows = np.arange(n)
    logp = log_softmax(logits)
    loss = -float(logp[rows, y].sum(dtype=np.float64)) / n
    grad = np.exp(logp)
    grad[rows, y] -= 1
    grad /= grad.dtype.type(n)
    return loss, grad


# --------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------


class SGD:
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    Each step, with ``g = grad + weight_decay * param``: ``v = momentum * v + g`` (``v = g`` on the
    first step) and ``param -= lr * v`` -- the same update as ``torch.optim.SGD``.
    """

    def __init__(self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.lr = _check_real(lr, "lr", low=0.0, low_open=True)
        self.momentum = _check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.weight_decay = _check_real(weight_decay, "weight_decay", low=0.0)
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place, using ``grads`` (same keys)."""
        _check_same_keys(params, grads)
        for key, p in params.items():
            g = grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                v = self.velocity.get(key)
                if v is None:
                    v = self.velocity[key] = g.copy()
                else:
                    v *= self.momentum
                    v += g
                g = v
            p -= self.lr * g


class Adam:
    """Adam: steps scaled by running estimates of the gradient's first and second moments (Kingma & Ba 2015).

    After ``t`` steps, with ``g = grad + weight_decay * param`` (L2 decay added to the gradient,
    as in ``torch.optim.Adam``; AdamW would decouple it):
    ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g**2`` and
    ``param -= lr / (1 - beta1**t) * m / (sqrt(v / (1 - beta2**t)) + eps)``.

    References
    ----------
    Kingma and Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr = _check_real(lr, "lr", low=0.0, low_open=True)
        self.beta1 = _check_real(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self.beta2 = _check_real(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self.eps = _check_real(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = _check_real(weight_decay, "weight_decay", low=0.0)
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place, using ``grads`` (same keys)."""
        _check_same_keys(params, grads)
        self.t += 1
        step_size = self.lr / (1.0 - self.beta1**self.t)
        sqrt_correction2 = math.sqrt(1.0 - self.beta2**self.t)
        for key, p in params.items():
            g = grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if key not in self.m:
                self.m[key] = np.zeros_like(p)
                self.v[key] = np.zeros_like(p)
            m, v = self.m[key], self.v[key]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * np.square(g)
            denom = np.sqrt(v)
            denom /= sqrt_correction2
            denom += self.eps
            p -= step_size * m / denom


# --------------------------------------------------------------------------------------------
# Training loop
# --------------------------------------------------------------------------------------------


@dataclass
class History:
    """Per-epoch record of a ``fit`` run (the validation lists stay empty without validation data).

    ``epoch_seconds`` is the wall time of each epoch's training pass, without the evaluations.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)


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
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    x, y = _check_data(x, y, "x", "y")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step(params, grads) method, got {optimizer!r}")
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together")
    if x_val is not None:
        x_val, y_val = _check_data(x_val, y_val, "x_val", "y_val")
    shuffle = check_bool(shuffle, "shuffle")
    gen = as_generator(rng)
    history = History()
    n = len(x)
    for _ in range(epochs):
        start = time.perf_counter()
        order = gen.permutation(n) if shuffle else None
        for lo in range(0, n, batch_size):
            if order is None:
                xb, yb = x[lo:lo + batch_size], y[lo:lo + batch_size]
            else:
                idx = order[lo:lo + batch_size]
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


def evaluate(model: Sequential, x: np.ndarray, y: np.ndarray, *, batch_size: int = 4096) -> tuple[float, float]:
    """Mean softmax cross-entropy and accuracy of ``model`` on ``(x, y)`` in inference mode.

    The data go through in chunks of ``batch_size`` rows to bound memory; the result does not
    depend on it beyond rounding.
    """
    x, y = _check_data(x, y, "x", "y")
    batch_size = check_positive_int(batch_size, "batch_size")
    total_loss, correct = 0.0, 0
    for lo in range(0, len(x), batch_size):
        logits = model.forward(x[lo:lo + batch_size], training=False)
        yb = y[lo:lo + batch_size]
        loss, _ = softmax_cross_entropy(logits, yb)
        total_loss += loss * len(yb)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
    return total_loss / len(x), correct / len(x)


# --------------------------------------------------------------------------------------------
# Gradient checks
# --------------------------------------------------------------------------------------------


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
    if not all(callable(getattr(layer, m, None)) for m in ("forward", "backward", "params", "grads")):
        raise TypeError(f"layer must have forward, backward, params and grads methods, got {layer!r}")
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
    eps = _check_real(eps, "eps", low=0.0, low_open=True)
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
        if isinstance(layer, Dropout) and layer.fixed_mask is None and layer.mask is not None:
            layer.fixed_mask = layer.mask


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------



def _check_real(
    value: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a finite real number in the given interval."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    below = v <= low if low_open else v < low
    above = v >= high if high_open else v > high
    if not math.isfinite(v) or below or above:
        interval = ("(" if low_open or low == -math.inf else "[") + f"{low:g}, {high:g}"
        interval += ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return v


def _check_labels(y: Any, n: int, n_classes: int, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got shape {y.shape}")
    if n and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} must hold labels in [0, {n_classes}), got values from {y.min()} to {y.max()}")
    return y


def _check_data(x: Any, y: Any, x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs as a 2-D float32 array (copied only if needed) and labels as a 1-D int array."""
    x = check_float_array(x, x_name)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{x_name} must have shape (n, features) with n > 0, got shape {x.shape}")
    y = np.asarray(y)
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{y_name} must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (len(x),):
        raise ValueError(f"{y_name} must have shape ({len(x)},) to match {x_name}, got shape {y.shape}")
    return x.astype(np.float32, copy=False), y


def _check_mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"fixed_mask must be a boolean array, got dtype {mask.dtype}")
    try:
        fits = np.broadcast_shapes(mask.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"fixed_mask of shape {mask.shape} does not broadcast to the input's shape {shape}")
    return mask


def _check_same_keys(params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
    if params.keys() != grads.keys():
        raise ValueError(f"params and grads must have the same keys, got {sorted(params)} and {sorted(grads)}")
