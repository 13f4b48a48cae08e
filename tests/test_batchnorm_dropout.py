"""Tests of companion.experiments.batchnorm_dropout: placements, the variance shift and its removal."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from companion.experiments import batchnorm_dropout as bd  # noqa: E402


def _x(n=512, d=20, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


@torch.no_grad()
def _running_stats_with_dropout_on(model, x):
    # what training does to BatchNorm's statistics, without changing any weight
    for layer in model.modules():
        if isinstance(layer, nn.BatchNorm1d):
            layer.reset_running_stats()
            layer.momentum = None
    model.train()
    for batch in torch.split(torch.as_tensor(x), 128):
        model(batch)


@pytest.mark.parametrize("placement, n_dropout", list(zip(bd.PLACEMENTS, (0, 3, 1))))
def test_bn_mlp_places_dropout(placement, n_dropout):
    torch.manual_seed(0)
    model = bd.bn_mlp(placement, depth=3, width=16, n_in=20, n_out=4)
    kinds = [type(m).__name__ for m in model]
    assert kinds.count("Dropout") == n_dropout and kinds.count("BatchNorm1d") == 3
    if placement == bd.PLACEMENTS[2]:
        assert kinds.index("Dropout") > max(
            i for i, k in enumerate(kinds) if k == "BatchNorm1d"
        )
    assert model(torch.zeros(2, 20)).shape == (2, 4)


def test_bn_mlp_refuses_bad_arguments():
    with pytest.raises(ValueError, match="placement"):
        bd.bn_mlp("sometimes")
    with pytest.raises(ValueError, match="rate"):
        bd.bn_mlp("none", rate=1.5)
    with pytest.raises(ValueError, match="depth"):
        bd.bn_mlp("none", depth=0)


def test_dropout_before_batchnorm_shifts_the_variance_and_recalibration_removes_it():
    torch.manual_seed(0)
    x = _x()
    model = bd.bn_mlp(bd.PLACEMENTS[1], depth=3, width=64, n_in=20, rate=0.5)
    _running_stats_with_dropout_on(model, x)
    shift = bd.variance_shift(model, x)
    # the first BatchNorm sees no dropped inputs
    assert abs(shift[0] - 1) < 0.05
    # the later ones learned an inflated variance
    assert np.all(shift[1:] > 1.15), shift
    bd.recalibrate_batchnorm(model, x, batch_size=100)
    np.testing.assert_allclose(bd.variance_shift(model, x), 1.0, atol=0.05)
    assert not model.training


def test_no_shift_without_dropout_and_training_mode_is_restored():
    torch.manual_seed(0)
    x = _x()
    model = bd.bn_mlp("none", depth=2, width=32, n_in=20)
    _running_stats_with_dropout_on(model, x)
    np.testing.assert_allclose(bd.variance_shift(model, x), 1.0, atol=0.05)
    assert model.training


def test_models_without_batchnorm_are_refused():
    with pytest.raises(ValueError, match="BatchNorm"):
        bd.variance_shift(nn.Linear(3, 2), np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="batch_size"):
        bd.recalibrate_batchnorm(
            bd.bn_mlp("none", n_in=3), np.zeros((4, 3), np.float32), batch_size=0
        )


def test_compare_placements_returns_every_measurement_per_placement_and_seed():
    rng = np.random.default_rng(0)
    y = np.arange(300) % 3
    x = rng.normal(size=(300, 20)).astype(np.float32)
    x[np.arange(300), y] += 4.0
    out = bd.compare_placements(
        x,
        y,
        x,
        y,
        seeds=(0, 1),
        epochs=5,
        batch_size=32,
        depth=3,
        width=32,
        n_in=20,
        n_out=3,
    )
    assert list(out) == list(bd.PLACEMENTS)
    for result in out.values():
        assert result["shift"].shape == (2, 3)
        assert all(
            result[k].shape == (2,)
            for k in ("test_loss", "test_acc", "recal_loss", "recal_acc")
        )
        # it learned
        assert np.all((result["test_acc"] > 0.5) & (result["recal_acc"] > 0.5))
    # same seed, same network: the placement without dropout is reproducible
    again = bd.compare_placements(
        x,
        y,
        x,
        y,
        seeds=(1,),
        epochs=5,
        batch_size=32,
        depth=3,
        width=32,
        n_in=20,
        n_out=3,
    )
    np.testing.assert_allclose(
        again[bd.PLACEMENTS[0]]["test_loss"],
        out[bd.PLACEMENTS[0]]["test_loss"][1:],
        rtol=1e-5,
    )
