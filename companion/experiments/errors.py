"""A refused call, shown as its one-line message (chapters 6, 7 and 8).

The chapters that show what a library refuses (a rate of 1 in ``tf.nn.dropout``, a rate of 1.5 in
Keras, ``backward()`` through an in-place dropout, BatchNorm on a batch of one) print the
exception's type and message instead of letting the cell fail: a traceback would show the
library's internals and the file paths of the machine that built the book, and a cell that must
raise could stop raising without anyone noticing.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["error_message"]


def error_message(call: Callable[[], object]) -> str:
    """Call ``call`` and return the exception it raises as one line, ``"Type: message"``.

    Parameters
    ----------
    call : callable
        A function of no arguments (a ``lambda`` around the refused call).

    Returns
    -------
    str
        The exception's class name and its message, with runs of whitespace (newlines
        included) collapsed to one space.

    Raises
    ------
    AssertionError
        If ``call`` returns instead of raising: what the chapter says is refused no longer is.

    Examples
    --------
    >>> error_message(lambda: int("one"))
    "ValueError: invalid literal for int() with base 10: 'one'"
    >>> error_message(lambda: 1)
    Traceback (most recent call last):
    ...
    AssertionError: the call returned 1 instead of raising an exception
    """
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - any refusal is what is being shown
        return f"{type(error).__name__}: {' '.join(str(error).split())}"
    raise AssertionError(
        f"the call returned {result!r} instead of raising an exception"
    )
