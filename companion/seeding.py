"""One seeding helper for Python, NumPy, PyTorch and Keras."""

from __future__ import annotations

import os
import random
import sys

import numpy as np

from .validation import check_seed

__all__ = ["seed_everything"]


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and every framework already imported.

    PyTorch is seeded with ``torch.manual_seed`` and Keras with ``keras.utils.set_random_seed``
    (which also seeds TensorFlow's global generator on that backend), but only if the framework
    has been imported: this helper never imports one, so a notebook keeps one framework per
    kernel. Import your framework first, then call it. Keras layers draw their seeds when they are
    built, so call it before building a model.

    Parameters
    ----------
    seed
        An integer in [0, 2**32), the range NumPy's global seed accepts.

    Returns
    -------
    numpy.random.Generator
        A fresh generator seeded with ``seed``, for code that takes an ``rng``.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (booleans and floats included).
    ValueError
        If ``seed`` is outside [0, 2**32).

    Notes
    -----
    It also sets the ``PYTHONHASHSEED`` environment variable, which only child processes read:
    the hash seed of the running interpreter cannot change.

    Examples
    --------
    >>> import random
    >>> rng = seed_everything(42)
    >>> draws = (random.random(), np.random.rand(), rng.random())
    >>> rng = seed_everything(42)
    >>> (random.random(), np.random.rand(), rng.random()) == draws  # the same draws again
    True
    >>> seed_everything(2**32)
    Traceback (most recent call last):
        ...
    ValueError: seed must be an int in [0, 4294967295], got 4294967296
    """
    seed = check_seed(seed, high=2**32)  # the range NumPy's global seed accepts
    os.environ["PYTHONHASHSEED"] = str(seed)  # for child processes
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    return np.random.default_rng(seed)
