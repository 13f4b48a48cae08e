"""The shared PyTorch training helpers: fit, train_epoch and the batched train_many."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from companion.torch.batched import (  # noqa: E402
    BatchedMLP,
    MLPConfig,
    member_metrics,
    train_many,
)
from companion.torch.training import fit, train_epoch  # noqa: E402


def blobs(n=300, d=8, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (
        rng.standard_normal((n, d)).astype(np.float32)
        + 2.0 * np.eye(3, d, dtype=np.float32)[y]
    )
    return x, y


def test_a_member_trains_the_same_alone_and_in_a_batch():
    x, y = blobs()
    kwargs = dict(sizes=(8, 16, 3), epochs=3, batch_size=32, lr=1e-2)
    alone = train_many([MLPConfig(seed=4, l2=1e-3)], x, y, x, y, **kwargs)
    batch = train_many(
        [MLPConfig(seed=1), MLPConfig(seed=4, l2=1e-3), MLPConfig(seed=2, l2=1e-2)],
        x,
        y,
        x,
        y,
        **kwargs,
    )
    np.testing.assert_allclose(batch.test_loss[1], alone.test_loss[0], rtol=1e-4)
    np.testing.assert_allclose(
        batch.model.weights[0][1].detach(),
        alone.model.weights[0][0].detach(),
        atol=1e-5,
    )


def test_train_many_uses_the_given_optimizer_and_members_stay_independent_with_sgd():
    x, y = blobs()
    kwargs = dict(sizes=(8, 16, 3), epochs=2, batch_size=32)
    frozen = train_many(
        [MLPConfig(seed=3)],
        x,
        y,
        x,
        y,
        optimizer=lambda p: torch.optim.SGD(p, lr=0.0),
        **kwargs,
    )
    np.testing.assert_array_equal(
        frozen.model.weights[0].detach(),
        BatchedMLP((8, 16, 3), [MLPConfig(seed=3)]).weights[0].detach(),
    )
    sgd = lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)  # noqa: E731
    alone = train_many([MLPConfig(seed=4)], x, y, x, y, optimizer=sgd, **kwargs)
    batch = train_many(
        [MLPConfig(seed=1), MLPConfig(seed=4)], x, y, x, y, optimizer=sgd, **kwargs
    )
    np.testing.assert_allclose(
        batch.model.weights[0][1].detach(),
        alone.model.weights[0][0].detach(),
        atol=1e-5,
    )


def test_train_many_learns_and_records_every_epoch():
    x, y = blobs()
    res = train_many(
        [MLPConfig(seed=s, hidden_rate=r) for s in (0, 1) for r in (0.0, 0.5)],
        x,
        y,
        x,
        y,
        sizes=(8, 16, 3),
        epochs=4,
        batch_size=32,
        lr=1e-2,
        eval_every=2,
    )
    assert res.train_loss.shape == (4, 4) and np.isnan(res.train_loss[:, 0]).all()
    assert np.all(res.test_acc[:, -1] > 0.8)
    assert list(res.select(hidden_rate=0.5)) == [1, 3]
    np.testing.assert_allclose(res.gap_loss, res.test_loss - res.train_loss)
    loss, acc = member_metrics(res.model, x, y)
    np.testing.assert_allclose(loss, res.test_loss[:, -1], rtol=1e-5)


def test_fit_and_train_epoch():
    x, y = blobs()
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(16, 3),
    )
    history = fit(model, x, y, x, y, epochs=3, batch_size=32, lr=1e-2)
    assert (
        len(history.val_acc) == len(history.epoch_seconds) == 3
        and history.val_acc[-1] > 0.8
    )
    # torch reports no running average
    assert history.train_acc and not history.running_loss
    assert not model.training
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    before = [p.detach().clone() for p in model.parameters()]
    seconds = train_epoch(
        model, opt, torch.from_numpy(x), torch.from_numpy(y), batch_size=64
    )
    assert seconds > 0 and model.training
    # lr 0 leaves the weights
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_fit_without_recording_trains_the_same_model():
    x, y = blobs()
    models = []
    for record in (True, False):
        torch.manual_seed(0)
        models.append(
            torch.nn.Sequential(
                torch.nn.Linear(8, 16),
                torch.nn.ReLU(),
                torch.nn.Dropout(0.5),
                torch.nn.Linear(16, 3),
            )
        )
        history = fit(
            models[-1], x, y, x, y, epochs=2, batch_size=16, seed=3, record=record
        )
        assert len(history.epoch_seconds) == 2 and len(history.val_loss) == (
            2 if record else 0
        )
    assert all(torch.equal(a, b) for a, b in zip(*(m.parameters() for m in models)))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(optimizer="adagrad"), ValueError),
        (dict(record=1), TypeError),
        (dict(x_val=None), ValueError),
    ],
)
def test_fit_refuses_bad_arguments(kwargs, error):
    x, y = blobs()
    model = torch.nn.Linear(8, 3)
    args = dict(x_val=x, y_val=y, epochs=1, batch_size=8) | kwargs
    with pytest.raises(error, match=list(kwargs)[0]):
        fit(model, x, y, **args)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(hidden_rate=1.5), ValueError),
        (dict(input_rate="0.1"), TypeError),
        (dict(l2=-1.0), ValueError),
    ],
)
def test_bad_configs_are_refused(kwargs, error):
    with pytest.raises(error, match=list(kwargs)[0]):
        MLPConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs, error", [(dict(epochs=0), ValueError), (dict(batch_size=2.5), TypeError)]
)
def test_bad_training_arguments_are_refused(kwargs, error):
    x, y = blobs(30)
    with pytest.raises(error, match=list(kwargs)[0]):
        train_many(
            [MLPConfig()],
            x,
            y,
            x,
            y,
            sizes=(8, 3),
            **{"epochs": 1, "batch_size": 8, **kwargs},
        )


def test_batched_mlp_refuses_wrong_inputs():
    model = BatchedMLP((8, 4, 3), [MLPConfig()])
    with pytest.raises(ValueError, match="shape"):
        model.as_input(np.zeros((5, 7)))
    with pytest.raises(ValueError, match="sizes"):
        BatchedMLP((8,), [MLPConfig()])


def test_module_mode_switches_for_a_block_and_restores_even_after_an_error():
    from companion.torch.training import module_mode

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    with module_mode(model, False) as inside:
        assert inside is model and not model.training and not model[1].training
    assert model.training and model[1].training
    model.eval()
    with pytest.raises(RuntimeError, match="boom"):
        with module_mode(model, True):
            assert model[1].training
            raise RuntimeError("boom")
    assert not model.training and not model[1].training
