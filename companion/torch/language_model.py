"""Small causal Transformer language models, many trained at once: chapter 9's experiments.

:class:`BatchedGPT` holds ``K`` independent character-level Transformer decoders of the same
shape (pre-LayerNorm blocks of causal self-attention and a GELU MLP, as in GPT-2, Radford et al.
2019), every weight with a leading member axis, so that seeds and dropout settings train
together in one batched computation, as :mod:`companion.torch.batched` does for MLPs. Each member
has its own seed and its own dropout rates at the three places a Transformer puts dropout
(Vaswani et al. 2017, section 5.4; GPT-2's code adds the attention weights):

* ``embedding_rate``: on the sum of token and position embeddings;
* ``attention_rate``: on the attention weights, after the softmax;
* ``residual_rate``: on the output of every attention and MLP sublayer, before it is added to
  the residual stream.

:func:`train_language_models` trains them with Adam on random windows of a token sequence and
records the validation loss (nats per character) against the number of training tokens seen.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress
from ..validation import check_positive_int, check_rate
from .batched import select_members
from .training import adam

__all__ = ["LMConfig", "BatchedGPT", "LMResult", "train_language_models"]


@dataclass(frozen=True)
class LMConfig:
    """One member of a batch of language models: its seed and its three dropout rates."""

    seed: int = 0
    embedding_rate: float = 0.0
    attention_rate: float = 0.0
    residual_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("embedding_rate", "attention_rate", "residual_rate"):
            check_rate(getattr(self, name), name)
            if getattr(self, name) >= 1:
                raise ValueError(f"{name} must be below 1, got {getattr(self, name)!r}")

    @property
    def rates(self) -> tuple[float, float, float]:
        """``(embedding_rate, attention_rate, residual_rate)``."""
        return self.embedding_rate, self.attention_rate, self.residual_rate


class BatchedGPT(nn.Module):
    """``K`` causal Transformer language models of one shape, evaluated as one.

    ``forward(idx)`` maps token ids of shape (K, batch, time) to logits of shape
    (K, batch, time, vocab_size); member ``k`` sees only ``idx[k]``. Weights are drawn from
    N(0, 0.02^2), with the sublayer output projections scaled by ``1 / sqrt(2 * depth)`` as in
    GPT-2; member ``k``'s weights come from its own seed, so two members with the same seed
    start from the same weights whatever their dropout rates.
    """

    def __init__(
        self,
        vocab_size: int,
        configs: Sequence[LMConfig],
        *,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        context: int = 32,
    ) -> None:
        super().__init__()
        vocab_size = check_positive_int(vocab_size, "vocab_size")
        width = check_positive_int(width, "width")
        depth = check_positive_int(depth, "depth")
        heads = check_positive_int(heads, "heads")
        context = check_positive_int(context, "context")
        if width % heads:
            raise ValueError(
                f"width must be a multiple of heads, got {width} and {heads}"
            )
        if not configs:
            raise ValueError("configs must hold at least one LMConfig")
        self.configs = tuple(configs)
        self.width, self.depth, self.heads, self.context = width, depth, heads, context
        k = len(self.configs)
        shapes = {
            "token": (vocab_size, width),
            "position": (context, width),
            "qkv": (depth, width, 3 * width),
            "proj": (depth, width, width),
            "fc": (depth, width, 4 * width),
            "fc_out": (depth, 4 * width, width),
            "head": (width, vocab_size),
        }
        scaled = {
            "proj",
            "fc_out",
        }  # residual projections, GPT-2's scaled initialization
        draws = {name: [] for name in shapes}
        for config in self.configs:
            gen = torch.Generator().manual_seed(int(config.seed))
            for name, shape in shapes.items():
                std = 0.02 / math.sqrt(2 * depth) if name in scaled else 0.02
                draws[name].append(torch.randn(shape, generator=gen) * std)
        for name, tensors in draws.items():
            setattr(self, name, nn.Parameter(torch.stack(tensors)))
        for name, shape in (("qkv_b", 3 * width), ("fc_b", 4 * width)):
            setattr(self, name, nn.Parameter(torch.zeros(k, depth, 1, 1, shape)))
        # LayerNorm gains and biases: two per block, one at the end
        self.ln_gain = nn.Parameter(torch.ones(k, 2 * depth + 1, 1, 1, width))
        self.ln_bias = nn.Parameter(torch.zeros(k, 2 * depth + 1, 1, 1, width))
        rates = torch.tensor([c.rates for c in self.configs], dtype=torch.float32)
        self.register_buffer("rates", rates.view(k, 3, 1, 1, 1, 1), persistent=False)
        self.register_buffer(
            "causal",
            torch.full((context, context), float("-inf")).triu(1),
            persistent=False,
        )

    def _dropout(self, x: torch.Tensor, where: int) -> torch.Tensor:
        """Inverted dropout at each member's rate for place ``where`` (0, 1 or 2)."""
        rate = self.rates[:, where].view(-1, *([1] * (x.dim() - 1)))
        if not self.training or not bool((rate > 0).any()):
            return x
        keep = torch.rand_like(x) >= rate
        return x * keep / (1 - rate)

    def _norm(self, x: torch.Tensor, i: int) -> torch.Tensor:
        x = F.layer_norm(x, (self.width,))
        return x * self.ln_gain[:, i] + self.ln_bias[:, i]

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        k, b, t = idx.shape
        if k != len(self.configs) or t > self.context:
            raise ValueError(
                f"idx must have shape ({len(self.configs)}, batch, time <= {self.context}), "
                f"got {tuple(idx.shape)}"
            )
        members = torch.arange(k, device=idx.device).view(k, 1, 1)
        x = self.token[members, idx] + self.position[:, None, :t]
        x = self._dropout(x, 0)
        h, d = self.heads, self.width // self.heads
        for layer in range(self.depth):
            y = self._norm(x, 2 * layer)
            qkv = (
                torch.einsum("kbtw,kwv->kbtv", y, self.qkv[:, layer])
                + self.qkv_b[:, layer]
            )
            q, key, v = qkv.view(k, b, t, 3, h, d).unbind(3)
            scores = torch.einsum("kbthd,kbshd->kbhts", q, key) / math.sqrt(d)
            weights = self._dropout((scores + self.causal[:t, :t]).softmax(-1), 1)
            y = torch.einsum("kbhts,kbshd->kbthd", weights, v).reshape(
                k, b, t, self.width
            )
            x = x + self._dropout(
                torch.einsum("kbtw,kwv->kbtv", y, self.proj[:, layer]), 2
            )
            y = self._norm(x, 2 * layer + 1)
            y = F.gelu(
                torch.einsum("kbtw,kwf->kbtf", y, self.fc[:, layer])
                + self.fc_b[:, layer]
            )
            x = x + self._dropout(
                torch.einsum("kbtf,kfw->kbtw", y, self.fc_out[:, layer]), 2
            )
        return torch.einsum("kbtw,kwv->kbtv", self._norm(x, 2 * self.depth), self.head)


@dataclass
class LMResult:
    """What :func:`train_language_models` measured.

    Attributes
    ----------
    configs
        The members, in the order of the rows below.
    tokens
        Training tokens seen by each member at each evaluation, shape (n_evals,).
    val_loss
        Validation cross-entropy in nats per character, shape (K, n_evals).
    train_loss
        The mean training loss of the steps since the previous evaluation, with dropout on as
        in training, shape (K, n_evals).
    step_seconds
        Wall time of each training step, shape (steps,).
    """

    configs: tuple[LMConfig, ...]
    tokens: np.ndarray
    val_loss: np.ndarray
    train_loss: np.ndarray
    step_seconds: np.ndarray

    def select(self, **criteria: Any) -> np.ndarray:
        """Indices of the members whose config fields equal ``criteria`` (e.g. ``seed=0``)."""
        return select_members(self.configs, **criteria)


def _windows(ids: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    return ids[starts.unsqueeze(-1) + torch.arange(length)]


def train_language_models(
    configs: Sequence[LMConfig],
    train_ids: Any,
    val_ids: Any,
    *,
    vocab_size: int,
    steps: int,
    batch_size: int = 16,
    context: int = 32,
    width: int = 64,
    depth: int = 2,
    heads: int = 4,
    lr: float = 3e-3,
    eval_every: int = 50,
    eval_windows: int = 256,
    data_seed: int = 0,
) -> LMResult:
    """Train one :class:`BatchedGPT` of ``configs`` on ``train_ids``; evaluate on ``val_ids``.

    Every step, each member draws ``batch_size`` random windows of ``context + 1`` tokens from
    ``train_ids`` with its own generator (seeded by ``data_seed`` and its seed), and Adam
    (:func:`~companion.torch.training.adam`, no weight decay) takes one step on the sum of the
    members' mean losses, so that members' gradients stay independent. Every ``eval_every`` steps, all members are scored in eval mode
    (dropout off) on the same ``eval_windows`` fixed windows of ``val_ids``.
    """
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    eval_every = check_positive_int(eval_every, "eval_every")
    eval_windows = check_positive_int(eval_windows, "eval_windows")
    train = torch.as_tensor(np.asarray(train_ids), dtype=torch.long)
    val = torch.as_tensor(np.asarray(val_ids), dtype=torch.long)
    for name, ids in (("train_ids", train), ("val_ids", val)):
        if ids.dim() != 1 or len(ids) <= context + 1:
            raise ValueError(
                f"{name} must be a 1-D sequence longer than context + 1 = {context + 1} "
                f"tokens, got shape {tuple(ids.shape)}"
            )
        if int(ids.min()) < 0 or int(ids.max()) >= vocab_size:
            raise ValueError(
                f"{name} must hold token ids in [0, {vocab_size}), got "
                f"[{int(ids.min())}, {int(ids.max())}]"
            )
    model = BatchedGPT(
        vocab_size, configs, width=width, depth=depth, heads=heads, context=context
    )
    k = len(model.configs)
    opt = adam(model.parameters(), lr)
    gens = [
        torch.Generator().manual_seed(int(data_seed) * 100_003 + c.seed)
        for c in model.configs
    ]
    fixed = torch.Generator().manual_seed(int(data_seed) + 7)
    val_starts = torch.randint(len(val) - context - 1, (eval_windows,), generator=fixed)
    val_x = _windows(val, val_starts, context).expand(k, -1, -1)
    val_y = _windows(val, val_starts + 1, context)
    n_evals = steps // eval_every
    val_loss, train_loss = np.zeros((k, n_evals)), np.zeros((k, n_evals))
    seconds, running = np.zeros(steps), torch.zeros(k)
    for step in progress(range(steps), f"training {k} language models"):
        start = time.perf_counter()
        starts = torch.stack(
            [
                torch.randint(len(train) - context - 1, (batch_size,), generator=g)
                for g in gens
            ]
        )
        x, y = _windows(train, starts, context), _windows(train, starts + 1, context)
        model.train()
        logits = model(x)
        per_member = F.cross_entropy(
            logits.flatten(1, 2).transpose(1, 2), y.flatten(1), reduction="none"
        ).mean(1)
        opt.zero_grad(set_to_none=True)
        per_member.sum().backward()
        opt.step()
        running += per_member.detach()
        seconds[step] = time.perf_counter() - start
        if (step + 1) % eval_every == 0:
            e = (step + 1) // eval_every - 1
            model.eval()
            with torch.no_grad():
                v_logits = model(val_x)
                v = F.cross_entropy(
                    v_logits.flatten(1, 2).transpose(1, 2),
                    val_y.flatten().expand(k, -1),
                    reduction="none",
                ).mean(1)
            val_loss[:, e], train_loss[:, e] = v.numpy(), (running / eval_every).numpy()
            running.zero_()
    tokens = np.arange(1, n_evals + 1) * eval_every * batch_size * context
    return LMResult(model.configs, tokens, val_loss, train_loss, seconds)
