"""Dropout next to batch normalization: the variance shift (Li et al. 2019) and how to measure it.

Used by chapter 2 (the BatchNorm network of its MC-dropout section) and chapter 7 (the placement
study).

In training, inverted dropout keeps the mean of a unit but raises its variance; at inference the
unit's variance is lower again. A BatchNorm layer placed *after* dropout learns its running variance
from the training-time inputs, so at inference it divides by a variance that is too large: a
"variance shift" between training and inference. Li et al. recommend dropout only after the last
BatchNorm layer. This module builds the networks to compare, measures the shift of every BatchNorm
layer, and re-estimates BatchNorm's statistics with dropout switched off, which removes the shift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..seeding import seed_everything
from ..torch.training import evaluate, fit, module_mode
from ..validation import check_positive_int, check_rate

__all__ = [
    "PLACEMENTS",
    "bn_mlp",
    "variance_shift",
    "recalibrate_batchnorm",
    "compare_placements",
]

#: Where :func:`bn_mlp` puts dropout: nowhere, after every hidden ReLU (so that it feeds the next
#: layer's BatchNorm), or only after the last hidden ReLU (after the last BatchNorm, Li et al. 2019).
PLACEMENTS = ("none", "before every BatchNorm", "after the last BatchNorm")


def bn_mlp(
    placement: str,
    *,
    depth: int = 4,
    width: int = 128,
    rate: float = 0.5,
    n_in: int = 784,
    n_out: int = 10,
) -> nn.Sequential:
    """An MLP of ``depth`` hidden blocks Linear-BatchNorm-ReLU with dropout placed as ``placement`` says.

    ``placement`` is one of :data:`PLACEMENTS`. With ``"before every BatchNorm"`` every hidden
    block ends with ``nn.Dropout(rate)``, so each BatchNorm after the first sees dropped inputs;
    with ``"after the last BatchNorm"`` only the last block does (the order Li et al. 2019 recommend).
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    depth, width = (
        check_positive_int(depth, "depth"),
        check_positive_int(width, "width"),
    )
    rate = check_rate(rate)
    layers: list[nn.Module] = []
    for block in range(depth):
        layers += [
            nn.Linear(n_in if block == 0 else width, width),
            nn.BatchNorm1d(width),
            nn.ReLU(),
        ]
        if placement == PLACEMENTS[1] or (
            placement == PLACEMENTS[2] and block == depth - 1
        ):
            layers.append(nn.Dropout(rate))
    return nn.Sequential(*layers, nn.Linear(width, n_out))


def _batchnorms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    layers = [
        m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    if not layers:
        raise ValueError("model has no BatchNorm layer")
    return layers


@torch.no_grad()
def variance_shift(model: nn.Module, x: Any) -> np.ndarray:
    """For each BatchNorm layer, the mean over channels of running variance / inference-time variance.

    The inference-time variance is the variance over ``x`` of the layer's input with the whole
    model in eval mode (dropout off). A value near 1 means BatchNorm normalizes at inference with
    the variance it will actually see; above 1, it divides by too large a variance. The model's
    training mode is restored afterwards. Works for ``BatchNorm1d`` on (batch, features) inputs.
    """
    layers = _batchnorms(model)
    seen: dict[nn.Module, torch.Tensor] = {}
    hooks = [
        layer.register_forward_hook(lambda m, inputs, _: seen.__setitem__(m, inputs[0]))
        for layer in layers
    ]
    try:
        with module_mode(model, False):
            model(torch.as_tensor(np.asarray(x), dtype=torch.float32))
    finally:
        for hook in hooks:
            hook.remove()
    return np.array(
        [float((layer.running_var / seen[layer].var(dim=0)).mean()) for layer in layers]
    )


@torch.no_grad()
def recalibrate_batchnorm(
    model: nn.Module, x: Any, *, batch_size: int = 256
) -> nn.Module:
    """Re-estimate every BatchNorm layer's running statistics on ``x`` with dropout switched off.

    The statistics are reset and then averaged over all minibatches of ``x`` (cumulative average)
    while every other module is in eval mode, so they describe the inputs BatchNorm sees at
    inference. This removes the variance shift. Returns the model, in eval mode.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    layers = _batchnorms(model)
    model.eval()
    saved_momentum = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative moving average over the batches below
        layer.train()
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    # equal sizes: no batch of one
    for batch in torch.tensor_split(xt, -(-len(xt) // batch_size)):
        model(batch)
    for layer, momentum in zip(layers, saved_momentum):
        layer.momentum = momentum
    return model.eval()


def compare_placements(
    x_train: Any,
    y_train: Any,
    x_test: Any,
    y_test: Any,
    *,
    seeds: Sequence[int],
    epochs: int,
    batch_size: int,
    **net_kwargs: Any,
) -> dict[str, dict[str, np.ndarray]]:
    """Train :func:`bn_mlp` in every placement of :data:`PLACEMENTS` over ``seeds``, and measure each.

    Each network is trained with :func:`companion.torch.training.fit` (Adam), then measured three
    ways: :func:`variance_shift` on the training data, test log-loss and accuracy, and the same test
    scores after :func:`recalibrate_batchnorm` on the training data. ``net_kwargs`` go to
    :func:`bn_mlp` (``depth``, ``width``, ``rate``).

    Returns
    -------
    dict
        For each placement, arrays over seeds: ``"shift"`` of shape (seeds, BatchNorm layers) and
        ``"test_loss"``, ``"test_acc"``, ``"recal_loss"``, ``"recal_acc"`` of shape (seeds,).
    """
    out = {}
    for placement in PLACEMENTS:
        rows = []
        for seed in seeds:
            seed_everything(seed)
            net = bn_mlp(placement, **net_kwargs)
            fit(
                net,
                x_train,
                y_train,
                x_test,
                y_test,
                epochs=epochs,
                batch_size=batch_size,
                seed=seed,
            )
            row = {"shift": variance_shift(net, x_train)}
            row["test_loss"], row["test_acc"] = evaluate(net, x_test, y_test)
            recalibrate_batchnorm(net, x_train)
            row["recal_loss"], row["recal_acc"] = evaluate(net, x_test, y_test)
            rows.append(row)
        out[placement] = {key: np.array([row[key] for row in rows]) for key in rows[0]}
    return out
