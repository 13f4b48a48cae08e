"""The one record of a training run, shared by the NumPy, PyTorch and Keras trainers.

Every trainer of the companion (:func:`companion.reference.training.fit`,
:func:`companion.torch.training.fit`, :func:`companion.keras.training.fit`) returns a
:class:`History` with the same field names, so that a chapter can compare frameworks without
translating between ``val_loss`` and ``test_loss`` or ``acc`` and ``accuracy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

__all__ = ["History", "stack"]


@dataclass
class History:
    """Per-epoch metrics of one training run; losses are mean cross-entropies in nats.

    Attributes
    ----------
    train_loss, train_acc
        The whole training set after each epoch, measured in inference mode (dropout off), so
        that they compare like with like with the held-out metrics.
    val_loss, val_acc
        The held-out data passed to the trainer, after each epoch, in inference mode (the
        chapters pass their test split); empty without held-out data.
    running_loss, running_acc
        What the framework itself reports for an epoch: the running average over its
        minibatches, taken with dropout on while the weights still move (Keras' ``loss`` and
        ``accuracy``); empty for the trainers that do not report them.
    epoch_seconds
        Wall time of each epoch's training pass, without the inference-mode measurements.

    Examples
    --------
    >>> h = History(train_loss=[0.9, 0.5], val_loss=[1.0, 0.7])
    >>> h.epochs
    2
    >>> History.from_dict(h.to_dict()) == h
    True
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    running_loss: list[float] = field(default_factory=list)
    running_acc: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """The number of epochs recorded."""
        return len(self.epoch_seconds) or len(self.train_loss)

    def to_dict(self) -> dict[str, list[float]]:
        """The fields as plain lists of floats (JSON-serializable)."""
        return {key: [float(v) for v in values] for key, values in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Sequence[float]]) -> History:
        """The inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"values has unknown History fields {unknown}; known: {sorted(known)}"
            )
        return cls(**{key: [float(v) for v in seq] for key, seq in values.items()})


def stack(histories: Sequence[History], key: str) -> np.ndarray:
    """One field of several runs as an array of shape (runs, epochs), e.g. over seeds.

    Examples
    --------
    >>> runs = [History(val_loss=[1.0, 0.5]), History(val_loss=[0.8, 0.6])]
    >>> stack(runs, "val_loss").mean(axis=0)
    array([0.9 , 0.55])
    """
    known = [f.name for f in fields(History)]
    if key not in known:
        raise ValueError(f"key must be one of {known}, got {key!r}")
    if not histories:
        raise ValueError("histories must hold at least one History")
    rows: list[Any] = [getattr(h, key) for h in histories]
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"the runs recorded different numbers of epochs for {key!r}")
    return np.array(rows, dtype=np.float64)
