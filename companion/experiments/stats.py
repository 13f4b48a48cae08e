"""The book's one rule for "a clear difference" between two arms, and how it writes mean ± sd.

Used by every chapter.

Every chapter compares arms (no dropout, dropout, L2, ...) trained from several seeds. A difference
between two arms is called *clear* when the difference of their means exceeds the sum of their
sample standard deviations (ddof=1) over seeds; anything smaller is reported as "no different within
the seed-to-seed spread". The rule is stated once in the book's notation page and used everywhere
through :func:`contrast`. It is a deliberately conservative reading rule, not a significance test:
it asks that one-sd error bars around the two means do not overlap.

The seed-to-seed spread leaves out one source of error: every seed is scored on the same test
images. :func:`accuracy_se` gives the sampling error of one accuracy measured on ``n`` images,
which chapters set beside the differences they report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..validation import check_positive_int, check_real

__all__ = ["Contrast", "accuracy_se", "contrast", "mean_sd_text"]


@dataclass(frozen=True)
class Contrast:
    """Two groups of per-seed results compared: means, sample standard deviations, difference.

    ``clear`` is True when the difference of the means exceeds the sum of the two standard
    deviations, the book's rule for a difference worth stating.
    """

    mean_base: float
    sd_base: float
    mean_new: float
    sd_new: float

    @property
    def diff(self) -> float:
        """``mean_new - mean_base``."""
        return self.mean_new - self.mean_base

    @property
    def spread(self) -> float:
        """``sd_base + sd_new``."""
        return self.sd_base + self.sd_new

    @property
    def clear(self) -> bool:
        """Whether ``abs(diff)`` exceeds ``spread``."""
        return abs(self.diff) > self.spread

    def verdict(self, lower: str = "lower", higher: str = "higher") -> str:
        """A few words for the prose: e.g. ``"lower, by more than the spread"``."""
        if not self.clear:
            return "no different within the seed-to-seed spread"
        return f"{lower if self.diff < 0 else higher}, by more than the seed-to-seed spread"


def contrast(base: Any, new: Any) -> Contrast:
    """Compare per-seed values ``new`` with ``base`` (1-D, two or more values each; sd with ddof=1)."""
    base, new = (
        np.asarray(base, dtype=float).ravel(),
        np.asarray(new, dtype=float).ravel(),
    )
    if len(base) < 2 or len(new) < 2:
        raise ValueError(
            f"need at least two values per group, got {len(base)} and {len(new)}"
        )
    return Contrast(
        float(base.mean()),
        float(base.std(ddof=1)),
        float(new.mean()),
        float(new.std(ddof=1)),
    )


def mean_sd_text(values: Any, fmt: str = ".3f", *, scale: float = 1.0) -> str:
    """``"mean ± sd"`` of ``values * scale`` (sample sd, ddof=1), for tables: e.g. ``"0.215 ± 0.007"``.

    ``fmt`` is a format specification such as ``".3f"`` or ``"+.0%"``; a sign flag applies to the
    mean only (the standard deviation is never negative).
    """
    v = np.asarray(values, dtype=float).ravel() * scale
    if len(v) < 2:
        raise ValueError(f"need at least two values, got {len(v)}")
    return f"{v.mean():{fmt}} ± {v.std(ddof=1):{fmt.replace('+', '')}}"


def accuracy_se(accuracy: Any, n: int) -> float:
    """Binomial standard error ``sqrt(p (1 - p) / n)`` of an accuracy ``p`` measured on ``n`` images.

    For example 0.95 on 1,000 test images has a standard error of 0.0069 (0.69 points): a second
    test set of the same size would typically give an accuracy that far away.
    """
    values = np.asarray(accuracy, dtype=float)
    if values.size != 1:
        raise ValueError(f"accuracy must be one number, got shape {values.shape}")
    p = check_real(values.item(), "accuracy", low=0.0, high=1.0)
    return math.sqrt(p * (1.0 - p) / check_positive_int(n, "n"))
