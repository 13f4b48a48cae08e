"""Helpers for the chapter on dropout rates and minibatch sizes (PyTorch).

Used by chapter 3.

* :func:`realized_drop_fraction` measures how many units ``nn.Dropout`` really drops per example;
* :func:`metric_by` arranges a :class:`~companion.torch.batched.SweepResult` metric as a
  (values, seeds) table, ready for means and spreads;
* :func:`steps_per_epoch` counts the optimizer updates in one epoch;
* :func:`noise_scale` is the scale of the gradient noise of SGD (Smith and Le 2018), the quantity
  that ties batch size, learning rate and training-set size together;
* :func:`time_one_epoch` times one epoch of training of a single ``nn.Sequential`` MLP, the
  honest per-model cost that a batched sweep cannot show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..validation import check_int_in, check_positive_int, check_rate

__all__ = [
    "realized_drop_fraction",
    "metric_by",
    "steps_per_epoch",
    "noise_scale",
    "dropout_mlp",
    "time_one_epoch",
]


def realized_drop_fraction(
    rate: float, width: int, n_draws: int, *, seed: int = 0
) -> np.ndarray:
    """Fraction of units that ``torch.nn.functional.dropout`` zeroes, once per example.

    Feeds ``n_draws`` examples of ``width`` ones through dropout in training mode and counts the
    zeros of each example.

    Parameters
    ----------
    rate
        The drop probability, in [0, 1].
    width
        Number of units in the layer.
    n_draws
        Number of examples (independent masks).
    seed
        Seed of the torch generator used for the masks (the global generator is left untouched).

    Returns
    -------
    numpy.ndarray
        Shape (n_draws,): the dropped fraction of each example. Its mean is close to ``rate`` and
        its standard deviation close to ``sqrt(rate * (1 - rate) / width)``.
    """
    import torch
    import torch.nn.functional as F

    rate = check_rate(rate)
    width, n_draws = (
        check_positive_int(width, "width"),
        check_positive_int(n_draws, "n_draws"),
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        out = F.dropout(torch.ones(n_draws, width), p=rate, training=True)
    return (out == 0).float().mean(dim=1).numpy().astype(np.float64)


def metric_by(
    result: Any,
    metric: str,
    *,
    key: str,
    values: Sequence[Any],
    epoch: int | None = None,
) -> np.ndarray:
    """One metric of a batched sweep as a table with a row per config value and a column per member.

    Parameters
    ----------
    result
        A :class:`~companion.torch.batched.SweepResult`.
    metric
        ``"train_loss"``, ``"train_acc"``, ``"test_loss"``, ``"test_acc"``, ``"gap_loss"`` or
        ``"gap_acc"``.
    key
        The :class:`~companion.torch.batched.MLPConfig` field to group by, e.g. ``"hidden_rate"``.
    values
        The values of ``key``, one row each, in this order.
    epoch
        The epoch (1-based) to read; None for the last one. It must be an epoch with metrics
        (see ``eval_every`` of :func:`~companion.torch.batched.train_many`).

    Returns
    -------
    numpy.ndarray
        Shape (len(values), members per value), members in config order (seeds, typically).
    """
    table = np.asarray(getattr(result, metric), dtype=float)
    n_epochs = table.shape[1]
    if epoch is None:
        epoch = n_epochs
    epoch = check_int_in(epoch, "epoch", 1, n_epochs)
    rows = [result.select(**{key: v}) for v in values]
    counts = {len(r) for r in rows}
    if 0 in counts:
        missing = [v for v, r in zip(values, rows) if len(r) == 0]
        raise ValueError(f"no member has {key} in {missing}")
    if len(counts) != 1:
        raise ValueError(
            f"the values of {key} have different numbers of members: {sorted(counts)}"
        )
    out = np.stack([table[r, epoch - 1] for r in rows])
    if np.isnan(out).any():
        raise ValueError(
            f"epoch {epoch} has no recorded {metric} (was it an evaluation epoch?)"
        )
    return out


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    """Optimizer updates in one pass over ``n_examples`` when the last, smaller batch is kept."""
    n_examples, batch_size = (
        check_positive_int(n_examples, "n_examples"),
        check_positive_int(batch_size, "batch_size"),
    )
    return math.ceil(n_examples / batch_size)


def noise_scale(
    lr: float, n_examples: int, batch_size: int, *, momentum: float = 0.0
) -> float:
    """The noise scale ``g = lr * N / (B * (1 - momentum))`` of minibatch SGD (Smith and Le 2018).

    Smith and Le show that SGD's gradient noise acts on training through this one number when
    ``B`` is much smaller than ``N``: runs with the same ``g`` behave alike, and the batch size that
    generalizes best grows in proportion to the learning rate and to the training-set size.
    """
    n_examples, batch_size = (
        check_positive_int(n_examples, "n_examples"),
        check_positive_int(batch_size, "batch_size"),
    )
    if (
        isinstance(lr, bool)
        or not isinstance(lr, (int, float))
        or not math.isfinite(lr)
        or lr <= 0
    ):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    momentum = check_rate(momentum, "momentum")
    if momentum == 1.0:
        raise ValueError("momentum must be below 1, got 1.0")
    return lr * n_examples / (batch_size * (1.0 - momentum))


def dropout_mlp(sizes: Sequence[int], rate: float) -> Any:
    """A ReLU MLP as ``nn.Sequential`` with ``nn.Dropout(rate)`` after every hidden ReLU."""
    from torch import nn

    rate = check_rate(rate)
    if len(sizes) < 2:
        raise ValueError(
            f"sizes must list at least an input and an output size, got {sizes!r}"
        )
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(int(n_in), int(n_out)))
        if i < len(sizes) - 2:
            layers += [nn.ReLU(), nn.Dropout(rate)]
    return nn.Sequential(*layers)


def time_one_epoch(
    sizes: Sequence[int],
    rate: float,
    batch_size: int,
    x: Any,
    y: Any,
    *,
    repeats: int = 2,
    seed: int = 0,
) -> float:
    """Wall time in seconds of one training epoch of a single MLP (Adam, cross-entropy).

    Builds :func:`dropout_mlp` and trains it for ``repeats`` epochs; returns the fastest epoch,
    the least disturbed by other work on the machine. Evaluation is not timed.
    """
    import torch

    from ..torch.training import adam, train_epoch

    batch_size, repeats = (
        check_positive_int(batch_size, "batch_size"),
        check_positive_int(repeats, "repeats"),
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = dropout_mlp(sizes, rate)
        xt = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        yt = torch.as_tensor(np.asarray(y), dtype=torch.long)
        opt = adam(model.parameters())
        best = min(
            train_epoch(model, opt, xt, yt, batch_size=batch_size)
            for _ in range(repeats)
        )
    return best
