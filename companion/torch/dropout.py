"""Dropout from scratch in PyTorch, DropConnect, and Monte Carlo dropout helpers.

``Dropout`` is inverted dropout (Srivastava et al. 2014) written with nothing but a Bernoulli
draw and a selection. Its mask is drawn exactly as ``torch.nn.Dropout`` draws its own, so under the
same ``torch.manual_seed`` both layers drop the same units and give the same output (up to the
last bit: ``nn.Dropout`` divides by the keep probability, this module multiplies by its inverse).

One deliberate difference: ``nn.Dropout`` *multiplies* dropped values by zero, so a dropped ``inf``
or ``NaN`` becomes ``NaN``; here dropped values are *selected away* and become exactly 0, as in
TensorFlow, Keras and ``companion.reference.functional``.

``DropConnectLinear`` is a linear layer that drops individual *weights* instead of units
(Wan et al. 2013), with the same inverted scaling.

The Monte Carlo helpers keep dropout switched on at inference and average several stochastic
passes (Gal and Ghahramani 2016). They switch on the dropout modules *only*: ``model.train()``
would also put BatchNorm into training mode, where it normalizes with the statistics of the
current batch and overwrites its running statistics, even under ``torch.no_grad``.

References
----------
Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov, "Dropout: a simple way to prevent
neural networks from overfitting", JMLR 15, 2014.
Wan, Zeiler, Zhang, LeCun and Fergus, "Regularization of neural networks using DropConnect",
ICML 2013.
Gal and Ghahramani, "Dropout as a Bayesian approximation: representing model uncertainty in
deep learning", ICML 2016.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.dropout import _DropoutNd

from ..validation import check_bool, check_positive_int, check_rate

__all__ = [
    "apply_mask",
    "Dropout",
    "DropConnectLinear",
    "dropout_modules",
    "saved_for_backward",
    "enable_mc_dropout",
    "mc_dropout",
    "mc_predict",
]


def _check_float_tensor(x: Tensor, name: str = "x") -> Tensor:
    """Refuse anything but a real floating-point tensor, with a TypeError naming ``name``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():  # False for integer, bool and complex dtypes
        raise TypeError(
            f"{name} must hold floating-point values (float16, bfloat16, float32 or float64), "
            f"got dtype {x.dtype}"
        )
    return x


def _check_module(model: nn.Module) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def apply_mask(x: Tensor, keep: Tensor, p: float) -> Tensor:
    """Apply a given keep-mask with inverted dropout's scaling.

    Kept values are multiplied by ``1 / (1 - p)``; dropped values are *selected* to exactly 0
    (``torch.where``), so a dropped ``inf`` or ``NaN`` becomes 0, and ``p = 1`` gives zeros.
    The same semantics as ``companion.reference.functional.apply_mask``: push one fixed mask through both
    to compare the implementations.

    Parameters
    ----------
    x
        Floating-point tensor.
    keep
        Boolean tensor, True where a value is kept; it must broadcast to ``x``'s shape.
    p
        Drop probability in [0, 1].

    Returns
    -------
    torch.Tensor
        A new tensor of ``x``'s shape and dtype. Gradients flow to the kept values only,
        scaled by ``1 / (1 - p)``.

    Raises
    ------
    TypeError
        If ``x`` is not floating point or ``keep`` is not boolean; if ``p`` is not a real number.
    ValueError
        If ``p`` is outside [0, 1] or NaN.

    Examples
    --------
    >>> x = torch.tensor([1.0, float("inf"), float("nan"), 4.0])
    >>> keep = torch.tensor([True, False, False, True])
    >>> apply_mask(x, keep, 0.5)  # dropped inf and NaN become exactly 0
    tensor([2., 0., 0., 8.])
    >>> x * keep / 0.5  # multiplying by the mask instead turns them into NaN
    tensor([2., nan, nan, 8.])
    """
    x = _check_float_tensor(x, "x")
    p = check_rate(p, name="p")
    if not isinstance(keep, Tensor) or keep.dtype != torch.bool:
        raise TypeError(
            f"keep must be a boolean torch.Tensor, got {getattr(keep, 'dtype', type(keep).__name__)}"
        )
    keep = torch.broadcast_to(keep, x.shape)
    if p == 1.0:
        return torch.zeros_like(x)
    return torch.where(keep, x * (1.0 / (1.0 - p)), 0.0)


class Dropout(nn.Module):
    """Inverted dropout from scratch (Srivastava et al. 2014), a drop-in for ``torch.nn.Dropout``.

    In training mode each element is zeroed with probability ``p`` and the kept ones are divided
    by the keep probability ``1 - p``, so the expected output equals the input; in eval mode
    (after ``.eval()``) the module is the identity.

    Parameters
    ----------
    p
        Probability of *dropping* an element, in [0, 1] (PyTorch's convention; the paper's ``p``
        is the probability of keeping one).

    Notes
    -----
    The mask is ``torch.empty_like(x).bernoulli_(1 - p)``: the draw ``torch.nn.Dropout`` makes on
    the CPU, so under the same ``torch.manual_seed`` both modules drop the same elements.
    Dropped values are selected away, never multiplied by zero: a dropped ``inf`` or ``NaN``
    becomes 0 (``nn.Dropout`` gives ``NaN``). In eval mode and for ``p = 0`` the input tensor
    itself is returned, as ``nn.Dropout`` does: writing into the output writes into the input.

    Examples
    --------
    >>> layer = Dropout(p=0.5)
    >>> _ = torch.manual_seed(0)
    >>> layer(torch.ones(8))  # training mode: kept values divided by 1 - p
    tensor([0., 0., 2., 0., 0., 0., 2., 2.])
    >>> layer.eval()(torch.ones(4))  # eval mode: the identity
    tensor([1., 1., 1., 1.])

    Under the same seed it drops what ``torch.nn.Dropout`` drops:

    >>> x = torch.randn(1000)
    >>> _ = torch.manual_seed(1); ours = Dropout(0.3)(x)
    >>> _ = torch.manual_seed(1); theirs = nn.Dropout(0.3)(x)
    >>> torch.equal(ours == 0, theirs == 0), torch.allclose(ours, theirs)
    (True, True)
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_rate(p, name="p")

    def forward(self, x: Tensor) -> Tensor:
        _check_float_tensor(x, "x")
        if not self.training or self.p == 0.0:
            return x
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p).bool()
        return apply_mask(x, keep, self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class DropConnectLinear(nn.Linear):
    """A linear layer with DropConnect on its weights (Wan et al. 2013), inverted scaling.

    Dropout removes *units*: dropping input unit ``j`` of a layer zeroes the whole column ``j`` of
    its weight matrix. DropConnect removes *connections*: in training mode every entry of the
    weight matrix is zeroed independently with probability ``p`` and the kept entries are divided
    by the keep probability ``1 - p``, so the expected weight matrix, and with it the expected
    output, equals that of the plain layer. A fresh mask is drawn at every forward call, that
    is once per minibatch, shared by all the examples of the batch. In eval mode (after
    ``.eval()``) the layer is the plain linear map ``x @ weight.T + bias``. The bias is not
    dropped.

    Parameters
    ----------
    in_features, out_features, bias, device, dtype
        As for ``torch.nn.Linear``; the parameters, their initialization and the ``state_dict``
        are those of ``nn.Linear``, so weights move freely between the two.
    p
        Probability of *dropping* a weight, in [0, 1] (keyword only; PyTorch's convention, the
        drop rate: Wan et al. write ``p`` for the keep probability).

    Notes
    -----
    Three simplifications of Wan et al. (2013). They draw a separate mask for every example of a
    minibatch; this layer draws one per minibatch (``x @ W_masked.T`` is then a single matrix
    product). They mask the biases too; this layer keeps them. And at inference they approximate
    each unit's pre-activation, a sum of many independently thinned terms, by a Gaussian with
    matching mean and variance, and average the activation over samples of it. This layer uses
    the mean weights instead, as dropout's weight scaling rule does (Srivastava et al. 2014): the
    plain layer, a single deterministic pass.

    The mask is ``torch.rand_like(weight) >= p``, and the layer multiplies the weights by
    ``mask / (1 - p)``: the gradient of a dropped weight is exactly 0 and that of a kept weight is
    scaled by ``1 / (1 - p)``. On the CPU this is several times faster than drawing the mask with
    ``bernoulli_`` and applying it with :func:`apply_mask` (``torch.where``), which matters
    because the mask has as many entries as the weight matrix. Multiplying rather than selecting
    turns a dropped ``inf`` or ``NaN`` weight into ``NaN``; such a weight breaks the layer in eval
    mode anyway. For ``p = 0`` no random number is drawn, and ``p = 1`` leaves the bias only.

    Examples
    --------
    >>> layer = DropConnectLinear(784, 256, p=0.5)
    >>> layer.load_state_dict(nn.Linear(784, 256).state_dict())  # nn.Linear's parameters
    <All keys matched successfully>
    >>> y = layer(torch.ones(32, 784))  # training mode: one thinned weight matrix for the batch
    >>> bool((y == y[0]).all())  # equal inputs, equal outputs: the mask is shared
    True
    >>> x = torch.randn(32, 784)
    >>> torch.equal(layer.eval()(x), F.linear(x, layer.weight, layer.bias))  # eval: the plain map
    True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        p: float = 0.5,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        p = check_rate(p, name="p")  # refuse a bad rate before allocating the weights
        super().__init__(
            in_features, out_features, bias=bias, device=device, dtype=dtype
        )
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        _check_float_tensor(x, "x")
        if not self.training or self.p == 0.0:
            return F.linear(x, self.weight, self.bias)
        if self.p == 1.0:
            return F.linear(x, torch.zeros_like(self.weight), self.bias)
        keep = torch.rand_like(self.weight) >= self.p  # True with probability 1 - p
        return F.linear(x, self.weight * keep * (1.0 / (1.0 - self.p)), self.bias)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, p={self.p}"


def saved_for_backward(module: nn.Module, x: Tensor) -> list[tuple[str, int]]:
    """What autograd keeps from ``module(x)`` for the backward pass: (dtype, bytes) per saved tensor.

    Uses ``torch.autograd.graph.saved_tensors_hooks``; ``x`` should require a gradient, or there is
    nothing to save for.

    Examples
    --------
    The companion's ``Dropout`` keeps a boolean mask, a byte per element; on the CPU
    ``nn.Dropout`` keeps a float32 one, four bytes per element:

    >>> x = torch.ones(1000, requires_grad=True)
    >>> saved_for_backward(Dropout(0.5), x), saved_for_backward(nn.Dropout(0.5), x)
    ([('bool', 1000)], [('float32', 4000)])
    """
    saved: list[tuple[str, int]] = []

    def pack(t: Tensor) -> Tensor:
        saved.append((str(t.dtype).replace("torch.", ""), t.numel() * t.element_size()))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(x)
    return saved


def dropout_modules(model: nn.Module) -> list[nn.Module]:
    """Return every dropout module of ``model`` (``model`` itself included), in ``modules()`` order.

    That is every subclass of ``torch.nn.modules.dropout._DropoutNd`` (``Dropout``,
    ``Dropout1d/2d/3d``, ``AlphaDropout``, ``FeatureAlphaDropout``) and the companion ``Dropout``.
    ``isinstance(m, nn.Dropout)`` alone would miss ``Dropout2d`` and the alpha variants, which do
    not subclass ``nn.Dropout``.

    Examples
    --------
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.Dropout2d(0.2), nn.AlphaDropout(0.1), Dropout(0.5))
    >>> [type(m).__name__ for m in dropout_modules(model)]
    ['Dropout2d', 'AlphaDropout', 'Dropout']
    >>> isinstance(model[1], nn.Dropout)
    False
    """
    _check_module(model)
    return [m for m in model.modules() if isinstance(m, (_DropoutNd, Dropout))]


def enable_mc_dropout(model: nn.Module) -> nn.Module:
    """Put ``model`` in eval mode except its dropout modules, which go to training mode.

    The recipe for Monte Carlo dropout (Gal and Ghahramani 2016): dropout stays active, while
    BatchNorm keeps normalizing with its running statistics and leaves them unchanged.
    ``model.train()`` instead would switch BatchNorm to batch statistics too. Modifies ``model`` in
    place and returns it; see ``mc_dropout`` for a version that restores the previous modes.

    Examples
    --------
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5))
    >>> [m.training for m in enable_mc_dropout(model)]  # only the dropout module trains
    [False, False, True]
    """
    modules = dropout_modules(model)  # validates model
    model.eval()
    for module in modules:
        module.train()
    return model


@contextlib.contextmanager
def mc_dropout(model: nn.Module) -> Iterator[nn.Module]:
    """Context manager: ``enable_mc_dropout(model)`` inside, every module's previous mode restored on exit.

    Each module's own ``training`` flag is saved and written back, so mixed states (for
    example a frozen BatchNorm in eval mode inside a model in training mode) survive.

    Examples
    --------
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5))
    >>> with mc_dropout(model):
    ...     y = model(torch.ones(1, 4))  # dropout on, BatchNorm in inference mode: a batch of 1 works
    ...     [m.training for m in model]
    [False, False, True]
    >>> [m.training for m in model]  # the training mode of every module is back
    [True, True, True]
    """
    _check_module(model)
    previous = [(module, module.training) for module in model.modules()]
    enable_mc_dropout(model)
    try:
        yield model
    finally:
        for module, flag in previous:
            module.training = flag


def mc_predict(
    model: nn.Module, x: Tensor, n_samples: int = 100, *, softmax: bool = True
) -> tuple[Tensor, Tensor]:
    """Monte Carlo dropout prediction (Gal and Ghahramani 2016; Srivastava et al. 2014, sec. 7.5).

    Runs ``n_samples`` stochastic forward passes of ``model`` on ``x`` with only the dropout
    modules in training mode (``mc_dropout``), under ``torch.no_grad``, and returns the mean and the
    standard deviation over the passes. The modules' previous modes are restored afterwards.

    Parameters
    ----------
    model
        A network containing dropout modules; it should return logits of shape (batch, classes).
    x
        Input batch; a batch of one works, since BatchNorm stays in inference mode.
    n_samples
        Number of stochastic passes, a positive int.
    softmax
        If True (default) average the softmax probabilities over the last axis; if False average
        the raw outputs (for regression).

    Returns
    -------
    mean, std : torch.Tensor
        Mean and standard deviation (over the passes, population form: divided by
        ``n_samples``) of the probabilities, each of the shape of ``model(x)``.

    Raises
    ------
    ValueError
        If ``model`` holds no dropout module (the passes would all be equal).

    Examples
    --------
    >>> model = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 3))
    >>> mean, std = mc_predict(model, torch.ones(2, 4), n_samples=50)
    >>> mean.shape, torch.allclose(mean.sum(dim=-1), torch.ones(2)), bool((std > 0).all())
    (torch.Size([2, 3]), True, True)
    >>> mc_predict(nn.Linear(4, 3), torch.ones(2, 4))
    Traceback (most recent call last):
        ...
    ValueError: model holds no dropout module, so Monte Carlo dropout would return 100 equal passes
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    softmax = check_bool(softmax, "softmax")
    if not dropout_modules(model):
        raise ValueError(
            f"model holds no dropout module, so Monte Carlo dropout would return {n_samples} equal passes"
        )
    with torch.no_grad(), mc_dropout(model):
        outputs = [model(x) for _ in range(int(n_samples))]
    samples = torch.stack(
        [torch.softmax(out, dim=-1) if softmax else out for out in outputs]
    )
    return samples.mean(dim=0), samples.std(dim=0, correction=0)
