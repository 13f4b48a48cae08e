"""The one set of argument checks: bounded ints, choices, seeds and noise shapes."""

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


def test_one_seed_check_for_generators_global_seeding_and_keras_layers():
    from companion import seed_everything
    from companion.validation import as_generator, check_seed

    assert check_seed(np.uint8(5)) == 5 and isinstance(check_seed(np.uint8(5)), int)
    for call in (
        lambda s: check_seed(s),
        lambda s: as_generator(s, "seed"),
        seed_everything,
    ):
        with pytest.raises(ValueError, match="seed must be"):
            call(-1)
        with pytest.raises(TypeError, match="seed must be"):
            call(1.5)
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 4294967295\]"):
        seed_everything(2**32)


@pytest.mark.parametrize(
    "bad, error",
    [
        ("ab", TypeError),
        (3, TypeError),
        ([1, 1.5], TypeError),
        ([True, 1], TypeError),
        ([1, 0], ValueError),
        ([None, -2], ValueError),
    ],
)
def test_one_noise_shape_check_for_the_reference_and_the_keras_layer(bad, error):
    from companion.reference import dropout
    from companion.validation import check_noise_shape

    with pytest.raises(error, match="noise_shape") as direct:
        check_noise_shape(bad)
    with pytest.raises(error, match="noise_shape") as reference:
        dropout(np.ones((2, 3), np.float32), 0.5, noise_shape=bad, rng=0)
    assert str(reference.value) == str(direct.value)
    keras_dropout = pytest.importorskip("companion.keras.dropout")
    with pytest.raises(error, match="noise_shape") as layer:
        keras_dropout.Dropout(0.5, noise_shape=bad)
    assert str(layer.value) == str(direct.value)
