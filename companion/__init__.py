"""Companion package of the executable book on dropout.

Importing ``companion`` loads NumPy only; the framework modules (``companion.torch_dropout``,
``companion.keras_dropout`` and the torch training helpers) import their framework on first use.
"""
from __future__ import annotations

from .seeding import seed_everything

__all__ = ["seed_everything", "__version__"]
__version__ = "0.1.0"
