"""A text corpus that every machine has offline, as characters: chapter 9's data.

Used by chapter 9.

The corpus is the documentation of NumPy itself: the docstrings of the public functions,
classes and modules of ``numpy`` and its ``linalg``, ``fft``, ``random``, ``ma`` and
``polynomial`` namespaces, in alphabetical order. NumPy is pinned in ``requirements.lock``, so
the corpus is the same on every machine that installs the book's environment, and nothing is
downloaded. It is English prose mixed with code examples and tables: about 1.5 million
characters in some 800 docstrings.

Whole docstrings are split between training and validation, so that validation text is text the
models have never seen, not a shifted window of training text.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..validation import check_positive_int

__all__ = ["numpy_docstrings", "CharCorpus", "split_docstrings"]

NAMESPACES = (
    "numpy",
    "numpy.linalg",
    "numpy.fft",
    "numpy.random",
    "numpy.ma",
    "numpy.polynomial",
)


def numpy_docstrings() -> list[str]:
    """The docstrings of NumPy's public API, each once, in a fixed order.

    Names are visited namespace by namespace (``NAMESPACES``) in alphabetical order; an
    object reachable under several names (``numpy.linalg.norm`` is also ``numpy.linalg.linalg``'s)
    contributes its docstring once. Docstrings are cleaned as ``inspect.getdoc`` cleans them.
    """
    import importlib

    seen, docs = set(), []
    for module_name in NAMESPACES:
        module = importlib.import_module(module_name)
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            obj = getattr(module, name, None)
            doc = inspect.getdoc(obj) if obj is not None else None
            if doc and id(obj) not in seen and doc not in seen:
                seen.update((id(obj), doc))
                docs.append(doc)
    return docs


@dataclass(frozen=True)
class CharCorpus:
    """Characters and their ids: ``vocab[i]`` is the character with id ``i``."""

    vocab: str

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> CharCorpus:
        """The corpus of every character that occurs in ``texts``, sorted."""
        return cls("".join(sorted(set("".join(texts)))))

    @property
    def size(self) -> int:
        """The number of distinct characters."""
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """Character ids of ``text`` (int64); a character outside the vocabulary is an error."""
        index = {c: i for i, c in enumerate(self.vocab)}
        try:
            return np.array([index[c] for c in text], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(
                f"text holds a character outside the vocabulary: {exc}"
            ) from None

    def decode(self, ids: Sequence[int]) -> str:
        """The text of character ids."""
        return "".join(self.vocab[int(i)] for i in ids)


def split_docstrings(
    docs: Sequence[str], n_val: int, *, seed: int = 0, separator: str = "\n\n"
) -> tuple[str, str]:
    """Shuffle whole docstrings with ``seed`` and join them: ``(train_text, val_text)``.

    The first ``n_val`` docstrings of the shuffled order are the validation text.
    """
    n_val = check_positive_int(n_val, "n_val")
    if n_val >= len(docs):
        raise ValueError(
            f"n_val must be below the number of docstrings ({len(docs)}), got {n_val}"
        )
    order = np.random.default_rng(seed).permutation(len(docs))
    val = separator.join(docs[i] for i in order[:n_val])
    train = separator.join(docs[i] for i in order[n_val:])
    return train, val
