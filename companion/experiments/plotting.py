"""The book's figure style, its one palette, and the plots that several chapters share.

Used by every chapter.

One colour means one thing in every figure: :data:`COLORS` maps the arms the book compares (no
dropout red, dropout blue, L2 green, dropout + L2 purple, input dropout orange); other groups
(two batch sizes, two implementations) take other colours in order (orange, teal, brown, pink),
so that red and blue always mean "without" and "with dropout". Figures have transparent backgrounds and
mid-grey text and axes, so that they read on the light and the dark theme alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["COLORS", "INK", "use_book_style", "mean_band", "heatmap", "network_diagram"]

#: The colour of each arm the book compares, the same in every chapter.
COLORS: dict[str, str] = {
    "no dropout": "#D62728",  # red: the baseline (no dropout, no regularization)
    "dropout": "#1F77B4",  # blue
    "L2": "#2CA02C",  # green
    "dropout + L2": "#9467BD",  # purple
    "input dropout": "#E69F00",  # orange
}
#: The grey of text, axes and reference lines, which reads on white and on the dark theme.
INK = "#808080"
# Groups that are not arms (batch sizes, implementations, ...), in this order: orange, teal,
# brown, pink; none of them is an arm's colour.
_OTHERS = ("#E69F00", "#17BECF", "#8C564B", "#E377C2", INK)


def use_book_style() -> None:
    """Sharp vector figures sized to the text column, in the book's palette and fonts.

    Call it once at the top of a notebook, after importing matplotlib.
    """
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 110,
            "savefig.dpi": 200,
            # transparent, with grey ink: the page's own background shows through
            "figure.facecolor": "none",
            "axes.facecolor": "none",
            "savefig.facecolor": "none",
            "savefig.transparent": True,
            "text.color": INK,
            "axes.labelcolor": INK,
            "axes.edgecolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
            "legend.labelcolor": INK,
            "axes.titlecolor": INK,
            "axes.prop_cycle": mpl.cycler(color=list(_OTHERS)),
            "axes.grid": True,
            "grid.color": INK,
            "grid.alpha": 0.25,
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
    better: Literal["higher", "lower"],
    fmt: str = "{:.3f}",
    colorbar_label: str | None = None,
) -> Any:
    """Draw a matrix as a heat map with every cell's value written in it.

    The colour map's bright end is the good end, whichever way a metric improves: ``better`` is
    ``"higher"`` for accuracy, ``"lower"`` for a loss or a time, so that bright means good in
    every heat map of the book.
    """
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")
    values = np.asarray(values, dtype=float)
    if values.shape != (len(row_labels), len(col_labels)):
        raise ValueError(
            f"values must have shape ({len(row_labels)}, {len(col_labels)}), got {values.shape}"
        )
    cmap = "viridis" if better == "higher" else "viridis_r"
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
            fontsize=9,
            color="white" if dark else "black",
        )
    bar = ax.figure.colorbar(image, ax=ax)
    bar.outline.set_visible(False)
    if colorbar_label:
        bar.set_label(colorbar_label)
    return image


def network_diagram(
    ax: Any, sizes: Sequence[int], keep: Sequence[Any] | None = None, *, title: str = ""
) -> None:
    """Draw a fully connected network as units and connections, with dropped units crossed out.

    ``sizes`` gives the units per layer, input first. ``keep`` holds one boolean vector per
    layer (True: kept); a dropped unit is drawn hollow and crossed, and every connection into
    or out of it is left out, as in figure 1 of Srivastava et al. (2014). Without ``keep``
    every unit is kept: the standard network.
    """
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"sizes must hold two or more positive layer sizes, got {sizes}"
        )
    if keep is None:
        keep = [np.ones(n, dtype=bool) for n in sizes]
    keep = [np.asarray(k, dtype=bool).ravel() for k in keep]
    if [len(k) for k in keep] != sizes:
        raise ValueError(
            f"keep must hold one vector per layer of lengths {sizes}, "
            f"got lengths {[len(k) for k in keep]}"
        )
    tallest = max(sizes)
    # units of each layer centred vertically, layers one unit apart
    ys = [np.arange(n) - (n - 1) / 2 + (tallest - 1) / 2 for n in sizes]
    for layer in range(len(sizes) - 1):
        for i, y0 in enumerate(ys[layer]):
            for j, y1 in enumerate(ys[layer + 1]):
                if keep[layer][i] and keep[layer + 1][j]:
                    ax.plot([layer, layer + 1], [y0, y1], color=INK, lw=0.8, alpha=0.7)
    for layer, (y, k) in enumerate(zip(ys, keep)):
        x = np.full(len(y), layer)
        ax.scatter(x[k], y[k], s=170, color=COLORS["dropout"], zorder=3)
        ax.scatter(
            x[~k],
            y[~k],
            s=170,
            facecolor="none",
            edgecolor=COLORS["no dropout"],
            zorder=3,
        )
        ax.scatter(x[~k], y[~k], s=70, marker="x", color=COLORS["no dropout"], zorder=4)
    ax.set(xlim=(-0.4, len(sizes) - 0.6), ylim=(-0.7, tallest - 0.3), title=title)
    ax.set_axis_off()
