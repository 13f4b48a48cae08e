"""Companion package of the executable book on dropout.

The package is layered, and its folders show it:

* :mod:`companion.reference`: the NumPy reference (dropout and its variants, a from-scratch
  network, its optimizers, training loop and gradient checks); it imports no framework;
* :mod:`companion.torch` and :mod:`companion.keras`: the framework versions, which follow the
  reference's conventions and import their framework when imported;
* :mod:`companion.experiments`: what the chapters share (sweeps, ensembles, statistics, plots),
  built on the layers below;
* at the top, :mod:`companion.data` (MNIST with its offline fallback), :mod:`companion.history`
  (the one record of a training run),
  :mod:`companion.seeding`, :mod:`companion.validation` (the one set of argument checks) and
  :mod:`companion.progress` (progress bars for a reader's long loops).

Importing ``companion`` loads NumPy only.
"""

from __future__ import annotations

from .seeding import seed_everything

__all__ = ["seed_everything", "__version__"]
__version__ = "0.1.0"
