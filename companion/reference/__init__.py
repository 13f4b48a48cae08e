"""The NumPy reference: dropout and its variants, and a from-scratch network that trains with it.

This subpackage imports NumPy only, never a deep-learning framework (a test checks it). Its
modules, each one idea:

* :mod:`~companion.reference.functional`: dropout as functions (``dropout``, ``spatial_dropout``),
  its masks, the readable reference kernel and the fast one;
* :mod:`~companion.reference.variants`: ``gaussian_dropout``, ``alpha_dropout``,
  ``drop_connect``, ``drop_path`` and ``drop_block``, with the same conventions;
* :mod:`~companion.reference.layers`: dense, ReLU and dropout layers with backward passes;
* :mod:`~companion.reference.losses`: softmax cross-entropy and the log-loss of predicted probabilities;
* :mod:`~companion.reference.optim`: SGD and Adam;
* :mod:`~companion.reference.training`: the minibatch training loop (it records a :class:`companion.history.History`);
* :mod:`~companion.reference.gradcheck`: numerical gradient checks.

Every public name is also available from ``companion.reference`` itself, as ``torch.nn`` offers
its layers: ``from companion import reference as ref; ref.mlp(...)``. The framework versions in
:mod:`companion.torch` and :mod:`companion.keras` follow the conventions set here.
"""

from __future__ import annotations

from ..history import History
from . import functional, variants
from .functional import *  # noqa: F401,F403
from .gradcheck import gradient_check, layer_gradient_check
from .layers import Dense, Dropout, Layer, ReLU, Sequential, mlp
from .losses import PROBABILITY_FLOOR, log_loss, log_softmax, softmax_cross_entropy
from .optim import SGD, Adam
from .training import evaluate, fit
from .variants import *  # noqa: F401,F403

__all__ = (
    functional.__all__
    + variants.__all__
    + [
        "Layer",
        "Dense",
        "ReLU",
        "Dropout",
        "Sequential",
        "mlp",
        "log_softmax",
        "softmax_cross_entropy",
        "log_loss",
        "PROBABILITY_FLOOR",
        "SGD",
        "Adam",
        "History",
        "fit",
        "evaluate",
        "gradient_check",
        "layer_gradient_check",
    ]
)
