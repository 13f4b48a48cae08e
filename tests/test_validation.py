"""The one set of argument checks: bounded ints and choices."""

import numpy as np
import pytest

from companion.validation import check_choice, check_int_in


def test_check_int_in_accepts_numpy_ints_and_names_the_parameter():
    assert check_int_in(np.int64(3), "k", 1, 3) == 3 and isinstance(
        check_int_in(np.int64(3), "k", 1, 3), int
    )
    with pytest.raises(ValueError, match=r"k must be an int in \[1, 3\], got 4"):
        check_int_in(4, "k", 1, 3)
    for bad in (True, 2.0, "2", None):
        with pytest.raises(TypeError, match="k must be an int"):
            check_int_in(bad, "k", 1, 3)


def test_check_choice_lists_the_choices():
    assert check_choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"mode must be one of 'a', 'b', got 'c'"):
        check_choice("c", "mode", ("a", "b"))
    with pytest.raises(ValueError, match="mode"):
        check_choice(["a"], "mode", ("a", "b"))
