"""Many independent MLPs trained at once in PyTorch: the sweeps behind the chapters' results.

:func:`train_many` trains ``K`` MLPs of the same shape in one batched network
(:class:`BatchedMLP`, one batched matrix product per layer), each member with its own seed,
dropout rates and L2 penalty (:class:`MLPConfig`). Sweeps over seeds, rates and penalties then
cost little more than one model, which is what lets the book report every result over several
seeds on a 2-core CPU. Train metrics are measured after each epoch in inference mode on the
whole training set (:class:`SweepResult`), as :func:`companion.torch.training.fit` measures them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress
from ..validation import check_positive_int, check_rate
from .training import _as_tensors, adam, device, module_mode

__all__ = [
    "MLPConfig",
    "BatchedMLP",
    "GapMetrics",
    "SweepResult",
    "member_metrics",
    "select_members",
    "train_many",
]


@dataclass(frozen=True)
class MLPConfig:
    """One member of a batched sweep.

    Attributes
    ----------
    seed
        Fixes the member's initial weights and its data order.
    hidden_rate, input_rate
        Drop probabilities of the hidden units and of the input pixels.
    l2
        Coefficient ``lam`` of the penalty ``lam * sum(W**2)`` over the member's weight matrices.
    """

    seed: int = 0
    hidden_rate: float = 0.0
    input_rate: float = 0.0
    l2: float = 0.0

    def __post_init__(self) -> None:
        check_rate(self.hidden_rate, "hidden_rate")
        check_rate(self.input_rate, "input_rate")
        if not (isinstance(self.l2, (int, float)) and self.l2 >= 0):
            raise ValueError(f"l2 must be a non-negative number, got {self.l2!r}")


class BatchedMLP(nn.Module):
    """``K`` independent ReLU MLPs of the same shape evaluated with batched matrix products.

    Member ``k`` maps ``x[k]`` of shape (batch, sizes[0]) to logits of shape (batch, sizes[-1]),
    with inverted dropout at its own ``input_rate`` on the input and ``hidden_rate`` after every
    hidden ReLU (Srivastava et al. 2014). Weights are He-initialized from each member's own seed.
    """

    def __init__(self, sizes: Sequence[int], configs: Sequence[MLPConfig]) -> None:
        super().__init__()
        if len(sizes) < 2:
            raise ValueError(
                f"sizes must list at least an input and an output size, got {sizes!r}"
            )
        if not configs:
            raise ValueError("configs must hold at least one MLPConfig")
        self.sizes, self.configs = tuple(int(s) for s in sizes), tuple(configs)
        weights = [[] for _ in self.sizes[1:]]
        for cfg in self.configs:
            gen = torch.Generator().manual_seed(cfg.seed)
            for layer, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
                weights[layer].append(
                    torch.randn(n_in, n_out, generator=gen) * (2.0 / n_in) ** 0.5
                )
        self.weights = nn.ParameterList(nn.Parameter(torch.stack(w)) for w in weights)
        self.biases = nn.ParameterList(
            nn.Parameter(torch.zeros(len(configs), 1, n)) for n in self.sizes[1:]
        )
        self.register_buffer(
            "hidden_keep",
            torch.tensor([1 - c.hidden_rate for c in configs]).view(-1, 1, 1),
        )
        self.register_buffer(
            "input_keep",
            torch.tensor([1 - c.input_rate for c in configs]).view(-1, 1, 1),
        )
        self.register_buffer("l2", torch.tensor([float(c.l2) for c in configs]))

    @staticmethod
    def _dropout(h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        mask = torch.rand_like(h) < keep
        return torch.where(
            mask,
            h / keep.clamp_min(1e-12),
            torch.zeros((), dtype=h.dtype, device=h.device),
        )

    def forward(
        self,
        x: torch.Tensor,
        *,
        return_hidden: bool = False,
        unit_scale: Sequence[torch.Tensor] | None = None,
    ):
        """Logits of shape (K, batch, classes); with ``return_hidden`` also the list of hidden ReLU outputs.

        ``unit_scale``, one tensor per hidden layer broadcastable to (K, batch, width), multiplies
        that layer's ReLU output: a fixed mask that removes chosen units, for example.
        """
        if self.training and bool((self.input_keep < 1).any()):
            x = self._dropout(x, self.input_keep)
        hidden = []
        n_layers = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < n_layers - 1:
                x = torch.relu(x)
                if unit_scale is not None:
                    x = x * unit_scale[i]
                hidden.append(x)
                if self.training and bool((self.hidden_keep < 1).any()):
                    x = self._dropout(x, self.hidden_keep)
        return (x, hidden) if return_hidden else x

    def as_input(self, x: Any) -> torch.Tensor:
        """``x`` (shape (n, sizes[0]), shared by all members) as a float32 tensor on the model's device."""
        x = torch.as_tensor(
            np.asarray(x) if not isinstance(x, torch.Tensor) else x,
            dtype=torch.float32,
            device=self.weights[0].device,
        )
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(
                f"x must have shape (n, {self.sizes[0]}), got {tuple(x.shape)}"
            )
        return x

    def penalty(self) -> torch.Tensor:
        """Sum over members of ``l2_k * sum of squared weights of member k``."""
        return sum((w**2).sum(dim=(1, 2)) for w in self.weights).mul(self.l2).sum()


class GapMetrics:
    """The generalization gaps of a result that holds ``train_loss``, ``test_loss``, ``train_acc`` and ``test_acc`` arrays."""

    @property
    def gap_loss(self) -> np.ndarray:
        """The generalization gap in log-loss (test minus train cross-entropy), elementwise."""
        return self.test_loss - self.train_loss

    @property
    def gap_acc(self) -> np.ndarray:
        """The generalization gap in accuracy (train minus test accuracy), elementwise."""
        return self.train_acc - self.test_acc


@dataclass
class SweepResult(GapMetrics):
    """Per-member, per-epoch metrics of :func:`train_many`: arrays of shape (K, epochs).

    ``epoch_seconds`` (shape (epochs,)) is the wall time of the whole batched training pass.
    """

    configs: tuple[MLPConfig, ...]
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    epoch_seconds: np.ndarray
    model: BatchedMLP

    def select(self, **criteria: Any) -> np.ndarray:
        """Indices of the members whose config matches all ``criteria`` (e.g. ``hidden_rate=0.5``)."""
        return select_members(self.configs, **criteria)


def select_members(configs: Sequence[Any], **criteria: Any) -> np.ndarray:
    """Indices of the dataclass ``configs`` whose fields equal all ``criteria``.

    A criterion that names no field of the configs is an error, not an empty selection.
    """
    if configs:
        names = {f.name for f in fields(configs[0])}
        unknown = sorted(set(criteria) - names)
        if unknown:
            raise ValueError(
                f"unknown {type(configs[0]).__name__} fields {unknown}; "
                f"fields are {sorted(names)}"
            )
    return np.array(
        [
            k
            for k, c in enumerate(configs)
            if all(getattr(c, name) == value for name, value in criteria.items())
        ],
        dtype=int,
    )


@torch.no_grad()
def member_metrics(
    model: BatchedMLP,
    x: Any,
    y: Any,
    *,
    chunk: int = 2048,
    unit_scale: Sequence[torch.Tensor] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy (nats) and accuracy of every member of ``model`` on shared data, in inference mode.

    ``unit_scale`` is passed to :meth:`BatchedMLP.forward` (per-layer multipliers of the hidden
    units, of shape (K, 1, width)). Returns two arrays of shape (K,); the model's training mode is
    restored after.
    """
    x = model.as_input(x)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long, device=x.device)
    k = len(model.configs)
    loss, correct = (
        torch.zeros(k, dtype=torch.float64),
        torch.zeros(k, dtype=torch.float64),
    )
    with module_mode(model, False):
        for i in range(0, len(y), chunk):
            xb, yb = x[i : i + chunk], y[i : i + chunk]
            logits = model(xb.expand(k, *xb.shape), unit_scale=unit_scale)
            loss += (
                F.cross_entropy(
                    logits.transpose(1, 2), yb.expand(k, len(yb)), reduction="none"
                )
                .sum(1)
                .cpu()
                .double()
            )
            correct += (logits.argmax(2) == yb).sum(1).cpu().double()
    return (loss / len(y)).numpy(), (correct / len(y)).numpy()


def train_many(
    configs: Sequence[MLPConfig],
    x_train: Any,
    y_train: Any,
    x_test: Any,
    y_test: Any,
    *,
    sizes: Sequence[int],
    epochs: int,
    batch_size: int,
    lr: float = 1e-3,
    eval_every: int = 1,
    optimizer: Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer] | None = None,
) -> SweepResult:
    """Train one MLP per config simultaneously with Adam (Kingma and Ba 2015); return their metrics.

    Every member sees the same number of steps, each its own shuffled order of the training set.
    Adam's update is element-wise, so the members do not interact: member ``k`` trains exactly as
    it would alone (up to the random numbers drawn for its dropout masks, which come from the
    global torch generator: call ``companion.seed_everything`` first for a reproducible run).
    Metrics are recorded every ``eval_every`` epochs and after the last; other entries are NaN.
    ``optimizer``, when given, builds the optimizer from the parameters instead of ``Adam(lr)``, for
    example ``lambda params: torch.optim.SGD(params, lr=0.05)``; it must update every element on its
    own (SGD, Adam and their usual options do), so that the members stay independent.
    """
    epochs, batch_size = (
        check_positive_int(epochs, "epochs"),
        check_positive_int(batch_size, "batch_size"),
    )
    eval_every = check_positive_int(eval_every, "eval_every")
    dev = device()
    x, y = _as_tensors(x_train, y_train, dev)
    xt, yt = _as_tensors(x_test, y_test, dev)
    if x.ndim != 2 or x.shape[1] != sizes[0]:
        raise ValueError(
            f"x_train must have shape (n, {sizes[0]}) to match sizes, got {tuple(x.shape)}"
        )
    model = BatchedMLP(sizes, configs).to(dev)
    opt = (
        adam(model.parameters(), lr)
        if optimizer is None
        else optimizer(model.parameters())
    )
    gens = [torch.Generator().manual_seed(10_000 + c.seed) for c in model.configs]
    k, n = len(model.configs), len(y)
    out = {
        name: np.full((k, epochs), np.nan)
        for name in ("train_loss", "train_acc", "test_loss", "test_acc")
    }
    seconds = np.zeros(epochs)
    use_penalty = bool((model.l2 > 0).any())
    for epoch in progress(range(epochs), f"training {k} networks"):
        start = time.perf_counter()
        order = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(dev)
        for i in range(0, n, batch_size):
            idx = order[:, i : i + batch_size]
            logits = model(x[idx])
            # sum over members of each member's mean loss: members' gradients stay independent
            loss = (
                F.cross_entropy(logits.transpose(1, 2), y[idx], reduction="none")
                .mean(1)
                .sum()
            )
            if use_penalty:
                loss = loss + model.penalty()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        seconds[epoch] = time.perf_counter() - start
        if (epoch + 1) % eval_every == 0 or epoch == epochs - 1:
            out["train_loss"][:, epoch], out["train_acc"][:, epoch] = member_metrics(
                model, x, y
            )
            out["test_loss"][:, epoch], out["test_acc"][:, epoch] = member_metrics(
                model, xt, yt
            )
    model.eval()
    return SweepResult(model.configs, **out, epoch_seconds=seconds, model=model)
