"""A tiny convolutional network for MNIST, and measures of how much dropout removes from feature maps.

Used by chapter 2 (spatial dropout).

Element-wise dropout on a convolutional feature map removes single activations whose
neighbours are still there; because neighbouring activations are strongly correlated, the
next layer can recover much of what was dropped (Tompson et al. 2015). These helpers make that
measurable:

* :func:`small_cnn` builds a two-block CNN with no dropout, element-wise dropout
  (``nn.Dropout``) or spatial dropout (``nn.Dropout2d``) after each block;
* :func:`feature_maps` returns the output of one block, the tensor its dropout layer acts on;
* :func:`neighbour_correlation` measures the lag-1 spatial correlation of feature maps;
* :func:`neighbour_estimate` and :func:`reconstruction_error` estimate every dropped activation
  from its kept neighbours in the same map and report the relative error.

References
----------
Tompson, Goroshin, Jain, LeCun and Bregler, "Efficient object localization using convolutional
networks", CVPR 2015.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..torch.training import module_mode
from ..validation import check_bool, check_int_in, check_rate

__all__ = [
    "DROPOUT_KINDS",
    "small_cnn",
    "feature_maps",
    "neighbour_correlation",
    "neighbour_estimate",
    "reconstruction_error",
]

#: The dropout layers :func:`small_cnn` can place after each convolutional block.
DROPOUT_KINDS = ("none", "element", "spatial")


def small_cnn(
    channels: Sequence[int] = (16, 32),
    *,
    dropout: str = "none",
    rate: float = 0.25,
    batchnorm: bool = False,
    image_size: int = 28,
    n_classes: int = 10,
) -> nn.Sequential:
    """Build a small CNN for flattened square grey-scale images (MNIST: 784 values per image).

    Each block is a 3 x 3 convolution with padding 1, optionally BatchNorm, ReLU, a 2 x 2 max-pool,
    and then the chosen dropout layer; a linear layer maps the last block to the logits. The first
    module unflattens (batch, 784) inputs to (batch, 1, 28, 28), so the network takes the same
    arrays as an MLP.

    Parameters
    ----------
    channels
        Number of feature maps of each block, e.g. (16, 32) for two blocks.
    dropout
        ``"none"``, ``"element"`` (``nn.Dropout``: every activation dropped independently) or
        ``"spatial"`` (``nn.Dropout2d``: whole feature maps dropped, Tompson et al. 2015).
    rate
        Drop probability of the dropout layers (ignored for ``"none"``).
    batchnorm
        Insert ``nn.BatchNorm2d`` between each convolution and its ReLU.
    image_size
        Height and width of the images; must be divisible by ``2 ** len(channels)``.
    n_classes
        Number of outputs (logits).

    Returns
    -------
    torch.nn.Sequential
        The network; block ``k`` ends with the module whose index is in ``model.block_ends[k]``.
    """
    channels = [int(c) for c in channels]
    if not channels or any(c < 1 for c in channels):
        raise ValueError(
            f"channels must be a non-empty sequence of positive ints, got {channels!r}"
        )
    if dropout not in DROPOUT_KINDS:
        raise ValueError(f"dropout must be one of {DROPOUT_KINDS}, got {dropout!r}")
    rate = check_rate(rate)
    batchnorm = check_bool(batchnorm, "batchnorm")
    if image_size % 2 ** len(channels):
        raise ValueError(
            f"image_size {image_size} is not divisible by 2**{len(channels)}"
        )
    layers: list[nn.Module] = [nn.Unflatten(1, (1, image_size, image_size))]
    block_ends = []
    previous = 1
    for width in channels:
        layers.append(nn.Conv2d(previous, width, kernel_size=3, padding=1))
        if batchnorm:
            layers.append(nn.BatchNorm2d(width))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        block_ends.append(len(layers) - 1)
        if dropout == "element":
            layers.append(nn.Dropout(rate))
        elif dropout == "spatial":
            layers.append(nn.Dropout2d(rate))
        previous = width
    side = image_size // 2 ** len(channels)
    layers += [nn.Flatten(), nn.Linear(previous * side * side, n_classes)]
    model = nn.Sequential(*layers)
    model.block_ends = tuple(block_ends)
    return model


@torch.no_grad()
def feature_maps(model: nn.Sequential, x: Any, block: int = 0) -> np.ndarray:
    """Return the output of block ``block`` of a :func:`small_cnn`, in inference mode.

    That is the tensor after the block's ReLU and max-pool: the input of its dropout layer.
    The result is a float32 array of shape (batch, channels, height, width). The model's mode is
    restored afterwards.
    """
    ends = getattr(model, "block_ends", None)
    if ends is None:
        raise TypeError(
            "model must be built by small_cnn (it records where each block ends)"
        )
    block = check_int_in(block, "block", 0, len(ends) - 1)
    dev = next(model.parameters()).device
    h = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=dev)
    with module_mode(model, False):
        for module in list(model)[: ends[block] + 1]:
            h = module(h)
    return h.cpu().numpy()


def _check_maps(maps: Any) -> np.ndarray:
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 4:
        raise ValueError(
            f"maps must have shape (batch, channels, height, width), got shape {maps.shape}"
        )
    return maps


def neighbour_correlation(
    maps: Any, *, per_channel: bool = False
) -> float | np.ndarray:
    """Lag-1 spatial correlation of feature maps: how alike horizontally and vertically adjacent activations are.

    For each channel, the Pearson correlation is computed over all pairs of activations that are
    next to each other in a row or in a column, pooled over the batch. Channels that are constant
    (dead ReLUs) have no defined correlation and are left out.

    Parameters
    ----------
    maps
        Array of shape (batch, channels, height, width).
    per_channel
        Return the array of per-channel correlations (NaN for constant channels) instead of
        their mean.

    Returns
    -------
    float or numpy.ndarray
        The mean correlation over the channels that vary, or the per-channel values.
    """
    maps = _check_maps(maps)
    values = np.full(maps.shape[1], np.nan)
    for c in range(maps.shape[1]):
        m = maps[:, c]
        a = np.concatenate([m[:, :, :-1].ravel(), m[:, :-1, :].ravel()])
        b = np.concatenate([m[:, :, 1:].ravel(), m[:, 1:, :].ravel()])
        if a.std() > 0 and b.std() > 0:
            values[c] = np.corrcoef(a, b)[0, 1]
    if per_channel:
        return values
    if np.all(np.isnan(values)):
        raise ValueError("every channel is constant: the correlation is undefined")
    return float(np.nanmean(values))


def neighbour_estimate(maps: Any, keep: Any) -> np.ndarray:
    """Estimate every activation from the mean of its kept 4-neighbours in the same feature map.

    Parameters
    ----------
    maps
        Activations of shape (batch, channels, height, width), before dropout.
    keep
        Boolean keep-mask that broadcasts to ``maps`` (True: kept). A position with no kept
        neighbour (for instance in a map that spatial dropout removed) is estimated as 0.

    Returns
    -------
    numpy.ndarray
        The estimates, float64, of the shape of ``maps``.
    """
    maps = _check_maps(maps)
    keep = np.asarray(keep)
    if keep.dtype != np.bool_:
        raise TypeError(f"keep must be a boolean mask, got dtype {keep.dtype}")
    kept = np.broadcast_to(keep, maps.shape).astype(np.float64)
    values = maps * kept
    total = np.zeros_like(maps)
    count = np.zeros_like(maps)
    for axis in (2, 3):
        for shift in (1, -1):
            src = [slice(None)] * 4
            dst = [slice(None)] * 4
            src[axis] = slice(None, -1) if shift == 1 else slice(1, None)
            dst[axis] = slice(1, None) if shift == 1 else slice(None, -1)
            total[tuple(dst)] += values[tuple(src)]
            count[tuple(dst)] += kept[tuple(src)]
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def reconstruction_error(maps: Any, keep: Any) -> float:
    """Relative squared error of :func:`neighbour_estimate` over the dropped activations.

    ``sum((estimate - true)**2) / sum(true**2)`` over the positions where ``keep`` is False:
    0 means the dropped activations can be read off their neighbours exactly, 1 is what
    estimating every dropped activation as 0 gives.
    """
    maps = _check_maps(maps)
    estimate = neighbour_estimate(maps, keep)
    dropped = ~np.broadcast_to(np.asarray(keep), maps.shape)
    energy = np.sum(maps[dropped] ** 2)
    if energy == 0:
        raise ValueError(
            "the dropped activations are all zero: the relative error is undefined"
        )
    return float(np.sum((estimate[dropped] - maps[dropped]) ** 2) / energy)
