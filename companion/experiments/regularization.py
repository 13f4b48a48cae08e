"""Helpers for the chapter on dropout, regularization and overfitting (PyTorch).

Used by chapters 1 and 4.

Four kinds of tool, all built on :func:`companion.torch.batched.train_many`:

* :func:`size_sweep` trains the same set of batched MLPs on stratified training sets of several
  sizes (the data-set-size experiment of Srivastava et al. 2014, section 7.4, at small scale);
* :func:`hidden_activations` probes every member of a trained
  :class:`~companion.torch.batched.BatchedMLP` on data of your choice
  (:func:`companion.torch.batched.member_metrics` gives their loss and accuracy there);
* :func:`activation_stats`, :func:`relative_change` and :func:`first_layer_images` turn the
  trained networks into the numbers and pictures of the chapter (features and sparsity,
  section 7.1 and 7.2 of the paper);
* :func:`thinned_metrics` and :func:`mean_abs_correlation` measure co-adaptation: how much the
  units need particular partners (Hinton et al. 2012), and how redundant their activations are;
* :func:`noisy_labels` replaces a fraction of the training labels at random, the setting in
  which Arpit et al. (2017) showed that dropout holds back the memorization of noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..data import stratified_subset
from ..torch.batched import (
    BatchedMLP,
    GapMetrics,
    MLPConfig,
    SweepResult,
    member_metrics,
    train_many,
)
from ..torch.training import module_mode
from ..validation import check_int_in, check_positive_int, check_rate

__all__ = [
    "hidden_activations",
    "activation_stats",
    "relative_change",
    "epochs_to_reach",
    "thinned_metrics",
    "mean_abs_correlation",
    "first_layer_images",
    "SizeSweep",
    "size_sweep",
    "split_indices",
    "noisy_labels",
]


@torch.no_grad()
def hidden_activations(
    model: BatchedMLP, x: Any, *, layer: int = 0, members: Sequence[int] | None = None
) -> np.ndarray:
    """The ReLU outputs of one hidden layer, in inference mode (dropout off).

    Parameters
    ----------
    model
        A trained :class:`~companion.torch.batched.BatchedMLP`.
    x
        Inputs of shape (n, sizes[0]).
    layer
        Which hidden layer, 0 for the first.
    members
        Indices of the members to return (all when None).

    Returns
    -------
    numpy.ndarray
        Shape (len(members), n, units of that layer).
    """
    n_hidden = len(model.sizes) - 2
    layer = check_int_in(layer, "layer", 0, n_hidden - 1)
    x = model.as_input(x)
    k = len(model.configs)
    with module_mode(model, False):
        _, hidden = model(x.expand(k, *x.shape), return_hidden=True)
    h = hidden[layer].cpu().numpy()
    return h if members is None else h[np.asarray(members, dtype=int)]


def activation_stats(h: Any, *, threshold: float = 1e-3) -> dict[str, np.ndarray]:
    """Summaries of hidden activations of shape (..., n, units), computed over the last two axes.

    Parameters
    ----------
    h
        Non-negative activations (ReLU outputs), e.g. from :func:`hidden_activations`.
    threshold
        Activations at or below it count as (near) zero.

    Returns
    -------
    dict
        ``"mean"``: the mean activation; ``"near_zero"``: the fraction of activations at or below
        ``threshold``; ``"dead"``: the fraction of units that are at or below it for every input;
        ``"unit_means"``: each unit's mean activation over the inputs, shape (..., units).
        The first three have the shape of ``h`` without its last two axes.
    """
    h = np.asarray(h, dtype=float)
    if h.ndim < 2:
        raise ValueError(
            f"h must have at least two axes (inputs, units), got shape {h.shape}"
        )
    if not (
        isinstance(threshold, (int, float))
        and math.isfinite(threshold)
        and threshold >= 0
    ):
        raise ValueError(
            f"threshold must be a finite non-negative number, got {threshold!r}"
        )
    small = h <= threshold
    return {
        "mean": h.mean(axis=(-2, -1)),
        "near_zero": small.mean(axis=(-2, -1)),
        "dead": small.all(axis=-2).mean(axis=-1),
        "unit_means": h.mean(axis=-2),
    }


def relative_change(new: Any, base: Any) -> np.ndarray:
    """``(new - base) / base``: -0.25 means 25% lower than ``base``."""
    new, base = np.asarray(new, dtype=float), np.asarray(base, dtype=float)
    if np.any(base == 0):
        raise ValueError("base must be non-zero everywhere")
    return (new - base) / base


def noisy_labels(
    labels: Any, fraction: float, rng: Any = None, *, n_classes: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Replace each label, with probability ``fraction``, by a class drawn uniformly at random.

    Returns ``(noisy, replaced)``: the new labels and the mask of the replaced ones. A replaced
    label is drawn from all ``n_classes``, so one in ``n_classes`` of them is right by chance, as
    in the random-label experiments of Arpit et al. (2017, "A closer look at memorization in deep
    networks"). ``rng`` is a ``numpy.random.Generator``, an int seed or None.

    Examples
    --------
    >>> noisy, replaced = noisy_labels(np.zeros(1000, dtype=int), 0.4, rng=0)
    >>> bool(abs(replaced.mean() - 0.4) < 0.05), bool(np.all(noisy[~replaced] == 0))
    (True, True)
    """
    fraction = check_rate(fraction, "fraction")
    n_classes = check_positive_int(n_classes, "n_classes")
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be a 1-D array of ints, got {labels.dtype} {labels.shape}"
        )
    gen = np.random.default_rng(rng)
    replaced = gen.random(len(labels)) < fraction
    noisy = labels.copy()
    noisy[replaced] = gen.integers(0, n_classes, int(replaced.sum()))
    return noisy, replaced


def epochs_to_reach(curves: Any, levels: Any) -> np.ndarray:
    """The first epoch (counted from 1) at which each curve is at or below its level; NaN if never.

    ``curves`` has shape (K, epochs), one per-epoch metric such as a test loss per row; ``levels`` is
    a scalar or one level per row. This is how the book counts how long a network takes to converge.
    """
    curves = np.asarray(curves, dtype=float)
    if curves.ndim != 2 or curves.shape[1] == 0:
        raise ValueError(
            f"curves must have shape (K, epochs) with at least one epoch, got {curves.shape}"
        )
    levels = np.broadcast_to(np.asarray(levels, dtype=float), curves.shape[:1])
    reached = curves <= levels[:, None]
    return np.where(reached.any(axis=1), reached.argmax(axis=1) + 1.0, np.nan)


@torch.no_grad()
def thinned_metrics(
    model: BatchedMLP,
    x: Any,
    y: Any,
    fraction: float,
    *,
    n_draws: int = 5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Test log-loss and accuracy of every member after removing a random share of its hidden units.

    Each draw removes ``round(fraction * width)`` units of every hidden layer, chosen at random and
    the same for all examples, and multiplies the remaining ones by ``width / kept`` (so that the next
    layer receives the same expected input, as with inverted dropout). A network whose units
    *co-adapt*, each relying on particular partners being present (Hinton et al. 2012), degrades
    sharply; one whose units are useful in many contexts degrades gracefully.

    Returns two arrays of shape (K, n_draws): mean cross-entropy (nats) and accuracy.
    """
    fraction = check_rate(fraction, "fraction")
    if fraction == 1.0:
        raise ValueError(
            "fraction must be below 1: removing every hidden unit leaves no network"
        )
    n_draws = check_positive_int(n_draws, "n_draws")
    gen = torch.Generator().manual_seed(seed)
    k = len(model.configs)
    loss, acc = np.zeros((k, n_draws)), np.zeros((k, n_draws))
    for d in range(n_draws):
        scales = []
        for width in model.sizes[1:-1]:
            removed = int(round(fraction * width))
            keep = torch.ones(k, 1, width, device=model.weights[0].device)
            for member in range(k):
                keep[member, 0, torch.randperm(width, generator=gen)[:removed]] = 0.0
            scales.append(keep * (width / (width - removed)))
        loss[:, d], acc[:, d] = member_metrics(model, x, y, unit_scale=scales)
    return loss, acc


def mean_abs_correlation(h: Any) -> np.ndarray:
    """Mean absolute Pearson correlation between the activations of pairs of units, per member.

    ``h`` has shape (members, examples, units), as from :func:`hidden_activations`. Units that are
    constant over the examples (never active, for ReLU) have no correlation and are left out.
    Lower values mean less redundant, more independent features.
    """
    h = np.asarray(h, dtype=float)
    if h.ndim != 3:
        raise ValueError(f"h must have shape (members, examples, units), got {h.shape}")
    out = np.empty(h.shape[0])
    for m, acts in enumerate(h):
        acts = acts[:, acts.std(axis=0) > 0]
        if acts.shape[1] < 2:
            raise ValueError(f"member {m} has fewer than two non-constant units")
        corr = np.corrcoef(acts, rowvar=False)
        out[m] = np.abs(corr[np.triu_indices_from(corr, k=1)]).mean()
    return out


def first_layer_images(
    model: BatchedMLP,
    member: int,
    units: Sequence[int],
    *,
    shape: tuple[int, int] = (28, 28),
) -> np.ndarray:
    """The incoming weights of some first-layer units of one member, as images.

    ``model.weights[0][member]`` has shape (inputs, units); column ``u`` holds the weights from
    every pixel to unit ``u``. Returns an array of shape ``(len(units), *shape)``.
    """
    w = model.weights[0][member].detach().cpu().numpy()
    if int(np.prod(shape)) != w.shape[0]:
        raise ValueError(
            f"shape {shape} does not hold the {w.shape[0]} inputs of the first layer"
        )
    return w[:, np.asarray(units, dtype=int)].T.reshape(len(units), *shape)


def split_indices(
    y: Any, n_first: int, n_second: int, *, rng: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint, stratified sets of indices into ``y`` of sizes ``n_first`` and ``n_second``.

    Useful for carving a training set and a validation set out of the same training images.
    """
    y = np.asarray(y)
    idx, y_idx = stratified_subset(np.arange(len(y)), y, n_first + n_second, rng=rng)
    first, _ = stratified_subset(np.arange(len(idx)), y_idx, n_first, rng=rng)
    rest = np.setdiff1d(np.arange(len(idx)), first)
    return idx[first], idx[rest][:n_second]


@dataclass
class SizeSweep(GapMetrics):
    """Final-epoch metrics of :func:`size_sweep`: arrays of shape (len(sizes), K).

    ``results[i]`` is the full :class:`~companion.torch.batched.SweepResult` at ``sizes[i]``
    (with its trained model); ``epochs[i]`` the number of epochs trained at that size.
    """

    sizes: tuple[int, ...]
    configs: tuple[MLPConfig, ...]
    epochs: tuple[int, ...]
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    results: list[SweepResult]

    def select(self, **criteria: Any) -> np.ndarray:
        """Indices of the members whose config matches all ``criteria`` (e.g. ``hidden_rate=0.5``)."""
        return self.results[0].select(**criteria)


def size_sweep(
    configs: Sequence[MLPConfig],
    x_train: Any,
    y_train: Any,
    x_test: Any,
    y_test: Any,
    *,
    train_sizes: Sequence[int],
    sizes: Sequence[int],
    epochs: int,
    min_updates: int,
    batch_size: int,
    lr: float = 1e-3,
    subset_seed: int = 0,
) -> SizeSweep:
    """Train the members ``configs`` on stratified training subsets of each size in ``train_sizes``.

    At every size all members train together in one :func:`~companion.torch.batched.train_many`
    run on the same subset, for ``epochs`` epochs or more: small sets get more epochs so that
    every size sees at least ``min_updates`` parameter updates (a set of 100 images gives one
    update per epoch at batch size 100). ``sizes`` are the layer widths of the network.
    """
    if min_updates < 1:
        raise ValueError(f"min_updates must be a positive int, got {min_updates!r}")
    results, all_epochs = [], []
    for n in train_sizes:
        x, y = stratified_subset(
            np.asarray(x_train), np.asarray(y_train), int(n), rng=subset_seed
        )
        per_epoch = math.ceil(int(n) / batch_size)
        n_epochs = max(int(epochs), math.ceil(min_updates / per_epoch))
        results.append(
            train_many(
                configs,
                x,
                y,
                x_test,
                y_test,
                sizes=sizes,
                epochs=n_epochs,
                batch_size=batch_size,
                lr=lr,
                eval_every=n_epochs,
            )
        )
        all_epochs.append(n_epochs)
    final = {
        name: np.stack([getattr(r, name)[:, -1] for r in results])
        for name in ("train_loss", "train_acc", "test_loss", "test_acc")
    }
    return SizeSweep(
        tuple(int(n) for n in train_sizes),
        tuple(configs),
        tuple(all_epochs),
        **final,
        results=results,
    )
