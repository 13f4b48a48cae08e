"""Helpers of the rates-and-batch-sizes chapter (companion.experiments.rate_batch)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from companion.experiments.rate_batch import (  # noqa: E402
    dropout_mlp,
    metric_by,
    noise_scale,
    realized_drop_fraction,
    steps_per_epoch,
    time_one_epoch,
)
from companion.torch.batched import MLPConfig, SweepResult  # noqa: E402


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 1.0])
def test_realized_fraction_matches_the_binomial(rate):
    width = 256
    frac = realized_drop_fraction(rate, width, 4000, seed=1)
    assert frac.shape == (4000,)
    assert abs(frac.mean() - rate) < 0.005
    expected_sd = math.sqrt(rate * (1 - rate) / width)
    assert frac.std() == pytest.approx(expected_sd, rel=0.1, abs=1e-12)


def test_realized_fraction_is_seeded_and_leaves_the_global_generator_alone():
    torch.manual_seed(3)
    before = torch.rand(2)
    torch.manual_seed(3)
    a = realized_drop_fraction(0.3, 64, 50, seed=7)
    after = torch.rand(2)
    assert torch.equal(before, after)
    np.testing.assert_array_equal(a, realized_drop_fraction(0.3, 64, 50, seed=7))


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "0.5", None])
def test_realized_fraction_refuses_bad_rates(bad):
    with pytest.raises((TypeError, ValueError), match="rate"):
        realized_drop_fraction(bad, 8, 8)


def _fake_result():
    configs = tuple(
        MLPConfig(seed=s, hidden_rate=r) for r in (0.0, 0.5) for s in (0, 1, 2)
    )
    loss = np.arange(6 * 3, dtype=float).reshape(6, 3)
    loss[:, 1] = np.nan  # epoch 2 not evaluated
    zeros = np.zeros_like(loss)
    return SweepResult(
        configs,
        train_loss=zeros,
        train_acc=zeros,
        test_loss=loss,
        test_acc=zeros,
        epoch_seconds=np.ones(3),
        model=None,
    )


def test_metric_by_groups_rows_by_value_and_reads_the_epoch():
    res = _fake_result()
    table = metric_by(res, "test_loss", key="hidden_rate", values=(0.5, 0.0))
    np.testing.assert_array_equal(table, [[11, 14, 17], [2, 5, 8]])
    first = metric_by(res, "test_loss", key="hidden_rate", values=(0.0,), epoch=1)
    np.testing.assert_array_equal(first, [[0, 3, 6]])
    gap = metric_by(res, "gap_loss", key="hidden_rate", values=(0.0,))
    np.testing.assert_array_equal(gap, [[2, 5, 8]])


def test_metric_by_refuses_bad_requests():
    res = _fake_result()
    with pytest.raises(ValueError, match="epoch"):
        # not evaluated
        metric_by(res, "test_loss", key="hidden_rate", values=(0.0,), epoch=2)
    with pytest.raises(ValueError, match="epoch"):
        metric_by(res, "test_loss", key="hidden_rate", values=(0.0,), epoch=4)
    with pytest.raises(ValueError, match="hidden_rate"):
        metric_by(res, "test_loss", key="hidden_rate", values=(0.3,))


@pytest.mark.parametrize(
    "n, b, steps",
    [(2000, 32, 63), (2000, 256, 8), (2000, 2000, 1), (2000, 4096, 1), (10, 3, 4)],
)
def test_steps_per_epoch(n, b, steps):
    assert steps_per_epoch(n, b) == steps


@pytest.mark.parametrize(
    "n, b, error",
    [
        (0, 1, ValueError),
        (10, 0, ValueError),
        (10, 2.0, TypeError),
        (True, 1, TypeError),
    ],
)
def test_steps_per_epoch_refuses_non_positive_ints(n, b, error):
    with pytest.raises(error, match="n_examples|batch_size"):
        steps_per_epoch(n, b)


def test_dropout_mlp_layout():
    model = dropout_mlp((6, 5, 4, 3), 0.25)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert model[2].p == 0.25
    assert model(torch.zeros(2, 6)).shape == (2, 3)


def test_time_one_epoch_is_a_positive_duration():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 6), dtype=np.float32), rng.integers(0, 3, 64)
    seconds = time_one_epoch((6, 5, 3), 0.5, 16, x, y, repeats=2)
    assert 0 < seconds < 10


def test_noise_scale_by_hand_and_invariant_to_scaling_lr_with_batch():
    assert noise_scale(0.05, 2000, 32) == pytest.approx(3.125)
    assert noise_scale(0.4, 2000, 256) == pytest.approx(noise_scale(0.05, 2000, 32))
    assert noise_scale(0.01, 2000, 32, momentum=0.9) == pytest.approx(6.25)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=0.0), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(batch_size=0), "batch_size"),
        (dict(momentum=1.0), "momentum"),
    ],
)
def test_noise_scale_refuses_bad_arguments(kwargs, match):
    args = dict(lr=0.1, n_examples=100, batch_size=10) | kwargs
    momentum = args.pop("momentum", 0.0)
    with pytest.raises(ValueError, match=match):
        noise_scale(**args, momentum=momentum)
