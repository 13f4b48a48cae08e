"""Dropout as an ensemble: weight scaling versus Monte Carlo averaging of thinned networks.

Used by chapter 1 (the ensemble view).

A network with ``n`` droppable units defines ``2**n`` thinned networks that share its weights;
dropout trains a random one at every step. At test time the book's (inverted) dropout nets use
all units with no mask, which Srivastava et al. (2014) call the *weight scaling* rule: it
approximates the normalized geometric mean of the thinned networks' predictions. Their section 7.5
checks the approximation by *Monte Carlo model averaging*: sample ``k`` thinned networks, average
their predicted probabilities, and watch the test error as ``k`` grows.

The helpers work on :class:`companion.torch.batched.BatchedMLP`, so the ``K`` members of a sweep
(for example several seeds) are evaluated at once:

* :func:`select_members` copies some members out of a trained sweep;
* :func:`weight_scaled_proba` and :func:`thinned_proba` give the class probabilities of the full
  network and of sampled thinned networks;
* :func:`average_proba` combines samples (arithmetic or normalized geometric mean);
* :func:`log_loss_and_error` scores probabilities;
* :func:`mc_curve` runs the section 7.5 experiment: scores of the average of ``k`` thinned
  networks for several ``k`` and several independent draws.

References
----------
Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov, "Dropout: a simple way to prevent
neural networks from overfitting", JMLR 15, 2014, sections 4 and 7.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..reference.losses import PROBABILITY_FLOOR
from ..torch.batched import BatchedMLP
from ..torch.training import module_mode
from ..validation import check_positive_int

#: Keeps ``log p`` finite in the geometric mean when a float32 softmax underflows to 0; far
#: below any probability that matters (the log-loss itself clips at ``PROBABILITY_FLOOR``).
_LOG_FLOOR = 1e-30

__all__ = [
    "select_members",
    "weight_scaled_proba",
    "thinned_proba",
    "average_proba",
    "log_loss_and_error",
    "MCCurve",
    "mc_curve",
]

_HOW = ("arithmetic", "geometric")


def _check_model(model: Any) -> BatchedMLP:
    if not isinstance(model, BatchedMLP):
        raise TypeError(
            f"model must be a companion.torch.batched.BatchedMLP, got {type(model).__name__}"
        )
    return model


def _inputs(model: BatchedMLP, x: Any) -> torch.Tensor:
    """``x`` as a float32 tensor of shape (K, batch, features) on the model's device."""
    x = model.as_input(x)
    return x.expand(len(model.configs), *x.shape)


def select_members(model: BatchedMLP, members: Sequence[int]) -> BatchedMLP:
    """A new :class:`~companion.torch.batched.BatchedMLP` holding copies of the chosen members of ``model``.

    Parameters
    ----------
    model
        A (trained) batched MLP.
    members
        Indices of the members to keep, in the order wanted (e.g. ``SweepResult.select(...)``).

    Returns
    -------
    companion.torch.batched.BatchedMLP
        The chosen members with their configs, weights and biases, in eval mode, on the same
        device as ``model``; changing it leaves ``model`` untouched.
    """
    model = _check_model(model)
    members = [int(m) for m in np.asarray(members, dtype=int).reshape(-1)]
    if not members:
        raise ValueError("members must name at least one member")
    k = len(model.configs)
    if any(not 0 <= m < k for m in members):
        raise ValueError(f"members must be indices in [0, {k}), got {members}")
    dev = model.weights[0].device
    sub = BatchedMLP(model.sizes, [model.configs[m] for m in members]).to(dev)
    index = torch.tensor(members, device=dev)
    with torch.no_grad():
        for mine, theirs in zip(
            list(sub.weights) + list(sub.biases),
            list(model.weights) + list(model.biases),
        ):
            mine.copy_(theirs.index_select(0, index))
    return sub.eval()


@torch.no_grad()
def weight_scaled_proba(model: BatchedMLP, x: Any) -> torch.Tensor:
    """Class probabilities of every member with all units on (inference mode): shape (K, n, classes).

    For inverted dropout this *is* the weight scaling rule: the training-time division by the keep
    probability already did the scaling. The model's mode is restored afterwards.
    """
    model = _check_model(model)
    xs = _inputs(model, x)
    with module_mode(model, False):
        return torch.softmax(model(xs), dim=-1)


@torch.no_grad()
def thinned_proba(model: BatchedMLP, x: Any, n_samples: int) -> torch.Tensor:
    """Class probabilities of ``n_samples`` sampled thinned networks per member.

    Each sample draws fresh dropout masks (at each member's own rates, independently for every
    example) from torch's global generator: seed it first (``companion.seed_everything``) for
    reproducible numbers. The model's mode is restored afterwards.

    Returns
    -------
    torch.Tensor
        Shape (n_samples, K, n, classes).
    """
    model = _check_model(model)
    n_samples = check_positive_int(n_samples, "n_samples")
    xs = _inputs(model, x)
    # BatchedMLP has no BatchNorm: this only switches the masks on
    with module_mode(model, True):
        return torch.stack([torch.softmax(model(xs), dim=-1) for _ in range(n_samples)])


def average_proba(samples: torch.Tensor, how: str = "arithmetic") -> torch.Tensor:
    """Combine sampled predictions over the first axis.

    Parameters
    ----------
    samples
        Probabilities of shape (n_samples, ...) whose last axis holds the classes.
    how
        ``"arithmetic"``: the mean of the probabilities (Srivastava et al. 2014, sec. 7.5).
        ``"geometric"``: the normalized geometric mean, ``softmax(mean(log p))``, the average that
        weight scaling approximates (sec. 4 and 9; exact for a single softmax layer).
    """
    if how not in _HOW:
        raise ValueError(f"how must be one of {_HOW}, got {how!r}")
    if how == "arithmetic":
        return samples.mean(dim=0)
    return torch.softmax(torch.log(samples.clamp_min(_LOG_FLOOR)).mean(dim=0), dim=-1)


def log_loss_and_error(proba: torch.Tensor, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean log-loss (nats) and error rate of probabilities of shape (..., n, classes) against labels ``y``.

    The probabilities are clipped as :func:`companion.reference.losses.log_loss` clips them (to
    ``[PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]``). Returns two arrays of shape
    ``proba.shape[:-2]`` (one value per member, for example).
    """
    y = torch.as_tensor(
        np.asarray(y) if not isinstance(y, torch.Tensor) else y,
        dtype=torch.long,
        device=proba.device,
    )
    if proba.ndim < 2 or proba.shape[-2] != len(y):
        raise ValueError(
            f"proba must have shape (..., {len(y)}, classes), got {tuple(proba.shape)}"
        )
    index = y.view(*([1] * (proba.ndim - 2)), -1, 1).expand(*proba.shape[:-1], 1)
    picked = proba.gather(-1, index).squeeze(-1)
    loss = -torch.log(
        picked.double().clamp(PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    ).mean(dim=-1)
    error = (proba.argmax(dim=-1) != y).float().mean(dim=-1)
    return loss.cpu().numpy().astype(float), error.cpu().numpy().astype(float)


@dataclass
class MCCurve:
    """Scores of Monte Carlo averages of ``k`` thinned networks, and of the weight-scaled network.

    Attributes
    ----------
    ks
        The numbers of sampled networks, increasing.
    log_loss, error
        Dictionaries with the keys ``"arithmetic"`` and ``"geometric"`` (the two averages of
        :func:`average_proba`, computed from the *same* samples), each an array of shape
        (n_repeats, len(ks), K): repeat ``r`` uses its own independent masks, and its value at
        ``ks[j]`` averages the first ``ks[j]`` samples of that repeat.
    weight_scaled_log_loss, weight_scaled_error
        The weight-scaled network's scores, shape (K,).
    """

    ks: np.ndarray
    log_loss: dict[str, np.ndarray]
    error: dict[str, np.ndarray]
    weight_scaled_log_loss: np.ndarray
    weight_scaled_error: np.ndarray


@torch.no_grad()
def mc_curve(
    model: BatchedMLP,
    x: Any,
    y: Any,
    ks: Sequence[int],
    *,
    n_repeats: int = 3,
) -> MCCurve:
    """Srivastava et al. (2014) section 7.5 in small: Monte Carlo averaging versus weight scaling.

    For each of ``n_repeats`` independent repeats, ``max(ks)`` thinned networks are sampled per
    member and the running arithmetic and geometric averages of their predictions are scored at
    every ``k`` in ``ks`` (so one repeat's curve is nested: its 10-sample average contains its
    5-sample one). Samples are drawn one at a time and only running sums are kept, so memory does
    not grow with ``k``. Masks come from torch's global generator: seed it first.

    Parameters
    ----------
    model
        A trained :class:`~companion.torch.batched.BatchedMLP` with dropout (members without dropout give flat curves).
    x, y
        Test inputs of shape (n, features) and integer labels of shape (n,).
    ks
        Positive, strictly increasing numbers of sampled networks.
    n_repeats
        Independent repeats, for the spread that comes from the masks alone.

    Returns
    -------
    MCCurve
    """
    model = _check_model(model)
    ks = np.asarray([check_positive_int(k, "ks") for k in ks], dtype=int)
    if len(ks) == 0 or np.any(np.diff(ks) <= 0):
        raise ValueError(
            f"ks must be a non-empty, strictly increasing sequence, got {ks.tolist()}"
        )
    n_repeats = check_positive_int(n_repeats, "n_repeats")
    shape = (n_repeats, len(ks), len(model.configs))
    loss = {how: np.empty(shape) for how in _HOW}
    error = {how: np.empty(shape) for how in _HOW}
    for r in range(n_repeats):
        sum_p, sum_log_p, j = 0.0, 0.0, 0
        for s in range(1, ks[-1] + 1):
            p = thinned_proba(model, x, 1)[0]
            sum_p = sum_p + p
            sum_log_p = sum_log_p + torch.log(p.clamp_min(_LOG_FLOOR))
            if s == ks[j]:
                averages = {
                    "arithmetic": sum_p / s,
                    "geometric": torch.softmax(sum_log_p / s, dim=-1),
                }
                for how, proba in averages.items():
                    loss[how][r, j], error[how][r, j] = log_loss_and_error(proba, y)
                j += 1
    ws_loss, ws_error = log_loss_and_error(weight_scaled_proba(model, x), y)
    return MCCurve(ks, loss, error, ws_loss, ws_error)
