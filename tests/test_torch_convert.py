"""The reference network's PyTorch twin (companion.torch.convert.to_torch)."""

from __future__ import annotations

import numpy as np
import pytest

from companion import reference as nn

torch = pytest.importorskip("torch")

from companion.torch.convert import to_torch  # noqa: E402


def test_to_torch_builds_the_same_network_with_the_same_weights():
    model = nn.mlp((6, 5, 4, 3), input_rate=0.2, hidden_rate=0.5, rng=0)
    twin = to_torch(model).eval()
    assert [type(m).__name__ for m in twin] == [
        "Dropout",
        "Linear",
        "ReLU",
        "Dropout",
        "Linear",
        "ReLU",
        "Dropout",
        "Linear",
    ]
    assert [m.p for m in twin if isinstance(m, torch.nn.Dropout)] == [0.2, 0.5, 0.5]
    x = np.random.default_rng(1).random((7, 6), dtype=np.float32)
    np.testing.assert_allclose(
        twin(torch.from_numpy(x)).detach().numpy(),
        model.forward(x, training=False),
        rtol=1e-5,
        atol=1e-6,
    )


def test_to_torch_refuses_what_has_no_twin():
    with pytest.raises(ValueError, match="scaling"):
        to_torch(nn.mlp((4, 3, 2), hidden_rate=0.5, scaling="standard", rng=0))
    with pytest.raises(TypeError, match="layers\\[1\\]"):
        to_torch(
            nn.Sequential(
                [
                    nn.Dense(4, 3, rng=0),
                    object.__new__(
                        type(
                            "Odd",
                            (),
                            {
                                "forward": lambda *a: None,
                                "backward": lambda *a: None,
                                "params": dict,
                                "grads": dict,
                            },
                        )
                    ),
                ]
            )
        )
