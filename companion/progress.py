"""Progress bars for long loops when a reader runs a chapter, and none in the built book.

Used by the trainers of every layer (the reference, torch and Keras fit loops).

:func:`progress` wraps an iterable in a ``tqdm`` text bar on standard error, which Jupyter
redraws in place. The book's own builds (``make book``, ``make test``) set ``TQDM_DISABLE=1``,
which tqdm reads (tqdm 4.66 and later), so that no bar lands in an executed notebook; a reader
can set it too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["progress"]


def progress(
    iterable: Iterable[Any], desc: str, *, total: int | None = None
) -> Iterator[Any]:
    """Iterate over ``iterable`` with a progress bar labelled ``desc``.

    The bar disappears when the loop ends (``leave=False``), so a finished chapter shows only
    its results.
    """
    from tqdm.std import tqdm

    return iter(
        tqdm(
            iterable,
            desc=desc,
            total=total,
            leave=False,
            file=sys.stderr,
            dynamic_ncols=True,
        )
    )
