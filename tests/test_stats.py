"""The clear-difference rule and the mean ± sd text."""

import numpy as np
import pytest

from companion.experiments import stats


def test_contrast_clear_and_verdict():
    c = stats.contrast([1.0, 1.2, 1.1], [0.5, 0.6, 0.55])
    assert np.isclose(c.mean_base, 1.1) and np.isclose(c.sd_base, 0.1)
    assert np.isclose(c.diff, -0.55) and np.isclose(c.spread, 0.15)
    assert c.clear and c.verdict().startswith("lower")
    fuzzy = stats.contrast([1.0, 2.0], [1.2, 1.9])
    assert not fuzzy.clear and "within" in fuzzy.verdict()
    with pytest.raises(ValueError, match="two values"):
        stats.contrast([1.0], [1.0, 2.0])


def test_mean_sd_text():
    assert stats.mean_sd_text([1.0, 2.0, 3.0]) == "2.000 ± 1.000"
    assert stats.mean_sd_text([0.01, 0.03], ".1f", scale=100) == "2.0 ± 1.4"
    assert stats.mean_sd_text([-0.1, -0.3], "+.0%") == "-20% ± 14%"
    with pytest.raises(ValueError, match="two values"):
        stats.mean_sd_text([1.0])


def test_accuracy_se_is_the_binomial_standard_error():
    assert stats.accuracy_se(0.95, 1000) == pytest.approx(np.sqrt(0.95 * 0.05 / 1000))
    assert stats.accuracy_se(np.float32(1.0), 10) == 0.0


@pytest.mark.parametrize(
    ("accuracy", "n", "name"),
    [(1.5, 100, "accuracy"), ([0.5, 0.6], 100, "accuracy"), (0.9, 0, "n")],
)
def test_accuracy_se_names_bad_input(accuracy, n, name):
    with pytest.raises(ValueError, match=name):
        stats.accuracy_se(accuracy, n)
