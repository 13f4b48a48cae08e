"""The seeding helper."""

import random

import numpy as np
import pytest

from companion import seed_everything


def test_seeds_python_and_numpy_and_returns_a_generator():
    g = seed_everything(5)
    a = (random.random(), np.random.rand(), g.random())
    g = seed_everything(5)
    assert a == (random.random(), np.random.rand(), g.random())


def test_seeds_torch_when_imported():
    torch = pytest.importorskip("torch")
    seed_everything(11)
    a = torch.rand(3)
    seed_everything(11)
    assert torch.equal(a, torch.rand(3))


@pytest.mark.parametrize(
    "bad, error",
    [
        (-1, ValueError),
        (2**40, ValueError),
        (1.0, TypeError),
        ("3", TypeError),
        (True, TypeError),
    ],
)
def test_bad_seed(bad, error):
    with pytest.raises(error, match="seed"):
        seed_everything(bad)
