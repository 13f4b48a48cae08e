"""The book's one table style: readable headers, fixed decimals, one header row.

Used by every chapter.

A chapter builds a :class:`pandas.DataFrame` of results and shows it through :func:`book_table`,
which turns column names such as ``test_acc`` into words ("test accuracy"), moves a named index
into the first columns (so that the header is a single row, without the empty row pandas adds for
an index name), writes numbers with a fixed number of decimals per column, and tags the table with
the ``book-table`` class that the book's style sheet lays out (no wrapping inside "mean ± sd",
cells that do not run together, a scroll bar rather than a squeezed table on a phone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["HEADERS", "header", "book_table", "mean_sd_table"]

#: Words for the metric names that the companion's histories and tables use.
HEADERS: dict[str, str] = {
    "acc": "accuracy",
    "loss": "log-loss",
    "train_acc": "train accuracy",
    "test_acc": "test accuracy",
    "val_acc": "validation accuracy",
    "train_loss": "train log-loss",
    "test_loss": "test log-loss",
    "val_loss": "validation log-loss",
    "gap": "gap (test − train log-loss)",
    "gap_loss": "gap (test − train log-loss)",
}


def header(name: Any) -> str:
    """A column name in words: ``"test_acc"`` -> ``"test accuracy"``, ``"n_units"`` -> ``"n units"``.

    Examples
    --------
    >>> header("test_acc"), header("step_ms")
    ('test accuracy', 'step ms')
    """
    text = str(name)
    # a non-breaking hyphen: a narrow header breaks between words, never inside "log-loss"
    return HEADERS.get(text, text.replace("_", " ")).replace("-", "\u2011")


def book_table(
    frame: Any,
    formats: Mapping[str, str] | str | None = None,
    *,
    caption: str | None = None,
) -> Any:
    """Show ``frame`` in the book's table style; returns a pandas ``Styler``.

    Parameters
    ----------
    frame
        The results, one row per arm or setting. Row labels (any index but a plain 0, 1, 2,
        ... range) become the first columns, headed by the index's name.
    formats
        A format string for every number (``"{:.3f}"``), or one per column (by the column's
        name before renaming); columns of text are left as they are. By default floats get three
        decimals.
    caption
        An optional caption above the table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = book_table(pd.DataFrame({"test_acc": [0.91234]}, index=pd.Index(["a"], name="arm")))
    >>> list(t.data.columns)
    ['arm', 'test accuracy']
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    plain_rows = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    # row labels become the first column(s); an unnamed one gets an empty header
    data = frame.copy() if plain_rows else frame.reset_index(names=_index_names(frame))
    numeric = [c for c in data.columns if pd.api.types.is_float_dtype(data[c])]
    if formats is None or isinstance(formats, str):
        per_column = {c: formats or "{:.3f}" for c in numeric}
    else:
        unknown = sorted(set(formats) - set(map(str, data.columns)))
        if unknown:
            raise ValueError(
                f"formats names columns that frame does not have: {unknown}; "
                f"its columns are {list(map(str, data.columns))}"
            )
        per_column = {c: formats[str(c)] for c in data.columns if str(c) in formats}
    text = [
        header(c) for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])
    ]
    data.columns = [header(c) for c in data.columns]
    formatters = {header(c): _with_minus(f) for c, f in per_column.items()}
    styler = (
        data.style.format(formatters, na_rep="–")
        .format(_yes_no, subset=[c for c in data.columns if data[c].dtype == bool])
        .hide(axis="index")
        .set_table_attributes('class="book-table"')
    )
    if text:  # words read from the left; numbers stay right-aligned on their digits
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
    if caption:
        styler = styler.set_caption(caption)
    return styler


def _with_minus(fmt: str) -> Any:
    """A formatter that writes a negative number with a minus sign (U+2212), not a hyphen."""
    return lambda v: fmt.format(v).replace("-", "\u2212", 1) if v < 0 else fmt.format(v)


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _index_names(frame: Any) -> list[str]:
    names = [n if n is not None else "" for n in frame.index.names]
    # reset_index needs distinct names: pad repeated empty ones with spaces
    return [n or " " * k for k, n in enumerate(names)]


def mean_sd_table(
    results: Any,
    by: str,
    metrics: Sequence[str],
    fmt: str = ".3f",
    *,
    labels: Mapping[Any, str] | None = None,
    percent: Sequence[str] = (),
    name: str | None = None,
) -> Any:
    """One row per group of ``results`` (one row per run), each metric as "mean ± sd".

    ``results`` has a column ``by`` (the arm: "none", "dropout", ...) and one column per
    metric; the sample standard deviation is over the runs of a group (ddof=1, as
    :func:`companion.experiments.stats.mean_sd_text` writes it). Metrics listed in ``percent``
    (accuracies) are shown times 100 with one decimal, under a header ending in "(%)".
    ``labels`` renames the groups, which keep their order of first appearance; ``name`` heads
    the column of group names (default: ``by``). Returns a styled table (:func:`book_table`).

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"arm": ["a", "a", "b", "b"], "test_acc": [0.9, 0.92, 0.8, 0.84]})
    >>> mean_sd_table(runs, "arm", ["test_acc"]).data.iloc[:, 1].tolist()
    ['0.910 ± 0.014', '0.820 ± 0.028']
    >>> mean_sd_table(runs, "arm", ["test_acc"], percent=["test_acc"]).data.columns[1]
    'test accuracy (%)'
    """
    import pandas as pd

    from .stats import mean_sd_text

    missing = [c for c in (by, *metrics) if c not in results.columns]
    if missing:
        raise ValueError(
            f"results has no column {missing[0]!r}; it has {list(results.columns)}"
        )
    groups = dict(tuple(results.groupby(by, sort=False)))
    columns = {}
    for m in metrics:
        if m in percent:
            cells = {k: mean_sd_text(g[m], ".1f", scale=100) for k, g in groups.items()}
            columns[f"{header(m)} (%)"] = cells
        else:
            columns[m] = {k: mean_sd_text(g[m], fmt) for k, g in groups.items()}
    table = pd.DataFrame(columns)
    if labels:
        table = table.rename(index=dict(labels))
    return book_table(table.rename_axis(name or by))
