"""The book's figure style and the plots that several chapters share.

Used by every chapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["use_book_style", "mean_band", "heatmap"]


def use_book_style() -> None:
    """Sharp vector figures sized to the text column, with the book's colours and fonts.

    Call it once at the top of a notebook, after importing matplotlib.
    """
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 110,
            "savefig.dpi": 200,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "font.size": 10,
            "svg.fonttype": "none",
        }
    )
    try:  # inside Jupyter: render inline figures as SVG
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("svg")
    except ImportError:  # pragma: no cover - outside Jupyter nothing to configure
        pass


def mean_band(
    ax: Any,
    x: Sequence[float],
    runs: Any,
    *,
    label: str | None = None,
    color: str | None = None,
    linestyle: str = "-",
) -> Any:
    """Plot the mean over runs with a band of one sample standard deviation (ddof=1).

    ``runs`` has shape (n_runs, len(x)); with one run the band has zero width.
    Returns the line.
    """
    runs = np.atleast_2d(np.asarray(runs, dtype=float))
    if runs.shape[1] != len(x):
        raise ValueError(f"runs must have shape (n_runs, {len(x)}), got {runs.shape}")
    mean = np.nanmean(runs, axis=0)
    # sample standard deviation over runs (ddof=1), as everywhere in the book
    std = np.nanstd(runs, axis=0, ddof=1) if len(runs) > 1 else np.zeros_like(mean)
    (line,) = ax.plot(x, mean, label=label, color=color, linestyle=linestyle)
    ax.fill_between(
        x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0
    )
    return line


def heatmap(
    ax: Any,
    values: Any,
    *,
    row_labels: Sequence[Any],
    col_labels: Sequence[Any],
    fmt: str = "{:.3f}",
    cmap: str = "viridis",
    colorbar_label: str | None = None,
) -> Any:
    """Draw a matrix as a heat map with every cell's value written in it."""
    values = np.asarray(values, dtype=float)
    if values.shape != (len(row_labels), len(col_labels)):
        raise ValueError(
            f"values must have shape ({len(row_labels)}, {len(col_labels)}), got {values.shape}"
        )
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(col_labels)), [str(c) for c in col_labels])
    ax.set_yticks(range(len(row_labels)), [str(r) for r in row_labels])
    ax.grid(False)
    for (i, j), v in np.ndenumerate(values):
        r, g, b, _ = image.cmap(image.norm(v))
        # white text on dark cells, any colour map
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
        ax.text(
            j,
            i,
            fmt.format(v),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if dark else "black",
        )
    bar = ax.figure.colorbar(image, ax=ax)
    if colorbar_label:
        bar.set_label(colorbar_label)
    return image
