"""Tests of companion.experiments.regularization: member metrics, activations, size sweeps, small helpers."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from companion.experiments import regularization as reg  # noqa: E402
from companion.torch import batched as tt  # noqa: E402
from companion.torch.batched import BatchedMLP, MLPConfig, train_many  # noqa: E402

SIZES = (12, 8, 6, 3)


def _toy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, SIZES[0])).astype(np.float32)
    y = np.arange(n) % SIZES[-1]
    x[np.arange(n), y] += 3.0  # learnable
    return x, y


def test_member_metrics_match_train_many_test_metrics():
    x, y = _toy()
    configs = [
        MLPConfig(seed=0),
        MLPConfig(seed=1, hidden_rate=0.5),
        MLPConfig(seed=2, l2=1e-3),
    ]
    res = train_many(configs, x, y, x, y, sizes=SIZES, epochs=3, batch_size=16)
    loss, acc = tt.member_metrics(res.model, x, y, chunk=7)
    np.testing.assert_allclose(loss, res.test_loss[:, -1], rtol=1e-5)
    np.testing.assert_allclose(acc, res.test_acc[:, -1])
    assert not res.model.training


def test_member_metrics_restores_training_mode():
    model = BatchedMLP(SIZES, [MLPConfig(seed=0, hidden_rate=0.5)])
    model.train()
    x, y = _toy(10)
    tt.member_metrics(model, x, y)
    assert model.training


def test_hidden_activations_shape_sign_and_dropout_off():
    model = BatchedMLP(SIZES, [MLPConfig(seed=0, hidden_rate=0.9), MLPConfig(seed=1)])
    model.train()
    x, _ = _toy(20)
    h0 = reg.hidden_activations(model, x, layer=0)
    h1 = reg.hidden_activations(model, x, layer=1, members=[1])
    assert h0.shape == (2, 20, 8) and h1.shape == (1, 20, 6)
    assert (h0 >= 0).all()
    # deterministic
    np.testing.assert_array_equal(h0, reg.hidden_activations(model, x, layer=0))
    assert model.training


@pytest.mark.parametrize(
    "layer, exc",
    [(-1, ValueError), (2, ValueError), (0.5, TypeError), (True, TypeError)],
)
def test_hidden_activations_refuses_bad_layer(layer, exc):
    model = BatchedMLP(SIZES, [MLPConfig()])
    with pytest.raises(exc, match="layer"):
        reg.hidden_activations(model, np.zeros((2, SIZES[0])), layer=layer)


def test_activation_stats_by_hand():
    # 2 members, 2 inputs, 2 units
    h = np.array([[[0.0, 2.0], [0.0, 4.0]], [[1.0, 1.0], [3.0, 0.0]]])
    st = reg.activation_stats(h)
    np.testing.assert_allclose(st["mean"], [1.5, 1.25])
    np.testing.assert_allclose(st["near_zero"], [0.5, 0.25])
    np.testing.assert_allclose(st["dead"], [0.5, 0.0])
    np.testing.assert_allclose(st["unit_means"], [[0.0, 3.0], [2.0, 0.5]])
    with pytest.raises(ValueError, match="threshold"):
        reg.activation_stats(h, threshold=-1)
    with pytest.raises(ValueError, match="h must"):
        reg.activation_stats(np.ones(3))


def test_relative_change():
    np.testing.assert_allclose(
        reg.relative_change([0.75, 2.0], [1.0, 1.0]), [-0.25, 1.0]
    )
    with pytest.raises(ValueError, match="base"):
        reg.relative_change(1.0, 0.0)


def test_epochs_to_reach_counts_from_one_and_gives_nan_when_never_reached():
    curves = np.array(
        [[3.0, 2.0, 1.0, 0.5], [3.0, 2.5, 2.4, 2.3], [0.1, 0.2, 0.0, 0.0]]
    )
    np.testing.assert_array_equal(
        reg.epochs_to_reach(curves, [1.0, 2.0, 0.1]), [3.0, np.nan, 1.0]
    )
    np.testing.assert_array_equal(reg.epochs_to_reach(curves, 2.0), [2.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="curves"):
        reg.epochs_to_reach(np.ones(3), 1.0)


def test_thinned_metrics_without_removal_equal_member_metrics_and_removal_changes_them():
    x, y = _toy()
    res = train_many(
        [MLPConfig(seed=0), MLPConfig(seed=1, hidden_rate=0.5)],
        x,
        y,
        x,
        y,
        sizes=SIZES,
        epochs=3,
        batch_size=16,
    )
    loss, acc = reg.thinned_metrics(res.model, x, y, 0.0, n_draws=2)
    full_loss, full_acc = tt.member_metrics(res.model, x, y)
    np.testing.assert_allclose(loss, np.stack([full_loss] * 2, axis=1), rtol=1e-5)
    np.testing.assert_allclose(acc, np.stack([full_acc] * 2, axis=1))
    thinned, _ = reg.thinned_metrics(res.model, x, y, 0.5, n_draws=3, seed=1)
    assert thinned.shape == (2, 3) and not np.allclose(thinned, loss[:, :1])
    np.testing.assert_array_equal(
        thinned, reg.thinned_metrics(res.model, x, y, 0.5, n_draws=3, seed=1)[0]
    )


@pytest.mark.parametrize(
    "fraction, error", [(1.0, ValueError), (-0.1, ValueError), ("half", TypeError)]
)
def test_thinned_metrics_refuses_bad_fraction(fraction, error):
    model = BatchedMLP(SIZES, [MLPConfig()])
    with pytest.raises(error, match="fraction"):
        reg.thinned_metrics(model, np.zeros((2, SIZES[0])), [0, 1], fraction)


def test_mean_abs_correlation_by_hand_and_skips_constant_units():
    t = np.linspace(0, 1, 50)
    # perfectly correlated pair
    h = np.stack(
        [
            np.stack([t, 2 * t + 1, np.zeros(50)], axis=1),
            # nearly uncorrelated
            np.stack([t, np.cos(40 * t) + 1, np.zeros(50)], axis=1),
        ]
    )
    got = reg.mean_abs_correlation(h)
    assert got[0] == pytest.approx(1.0) and got[1] < 0.2
    with pytest.raises(ValueError, match="shape"):
        reg.mean_abs_correlation(np.ones((3, 4)))
    with pytest.raises(ValueError, match="non-constant"):
        reg.mean_abs_correlation(np.ones((1, 5, 3)))


def test_first_layer_images_are_columns_of_the_first_weight_matrix():
    model = BatchedMLP((16, 5, 2), [MLPConfig(seed=0), MLPConfig(seed=1)])
    im = reg.first_layer_images(model, 1, [0, 3], shape=(4, 4))
    assert im.shape == (2, 4, 4)
    np.testing.assert_array_equal(
        im[1].ravel(), model.weights[0][1][:, 3].detach().numpy()
    )
    with pytest.raises(ValueError, match="shape"):
        reg.first_layer_images(model, 0, [0], shape=(28, 28))


def test_split_indices_disjoint_and_stratified():
    y = np.repeat(np.arange(10), 50)
    a, b = reg.split_indices(y, 100, 200, rng=3)
    assert len(a) == 100 and len(b) == 200
    assert not set(a) & set(b)
    assert np.bincount(y[a], minlength=10).tolist() == [10] * 10
    assert np.bincount(y[b], minlength=10).tolist() == [20] * 10
    a2, b2 = reg.split_indices(y, 100, 200, rng=3)
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)


def test_size_sweep_epochs_rule_and_shapes():
    x, y = _toy(90)
    configs = [MLPConfig(seed=0), MLPConfig(seed=1, hidden_rate=0.5)]
    sw = reg.size_sweep(
        configs,
        x,
        y,
        x,
        y,
        train_sizes=(15, 90),
        sizes=SIZES,
        epochs=2,
        min_updates=6,
        batch_size=10,
    )
    assert sw.sizes == (15, 90)
    assert sw.epochs == (3, 2)  # 15 images: 2 updates per epoch, 3 epochs for 6 updates
    assert sw.test_loss.shape == sw.gap_acc.shape == (2, 2)
    np.testing.assert_allclose(sw.gap_loss, sw.test_loss - sw.train_loss)
    assert sw.select(hidden_rate=0.5).tolist() == [1]
    assert len(sw.results) == 2 and sw.results[1].model is not sw.results[0].model
    with pytest.raises(ValueError, match="min_updates"):
        reg.size_sweep(
            configs,
            x,
            y,
            x,
            y,
            train_sizes=(15,),
            sizes=SIZES,
            epochs=1,
            min_updates=0,
            batch_size=10,
        )


def test_noisy_labels_replace_the_given_fraction_and_name_bad_input():
    import numpy as np
    import pytest

    from companion.experiments.regularization import noisy_labels

    labels = np.arange(10_000) % 10
    noisy, replaced = noisy_labels(labels, 0.3, rng=1)
    assert abs(replaced.mean() - 0.3) < 0.02
    assert np.array_equal(noisy[~replaced], labels[~replaced])
    # a replaced label is uniform over the classes: right by chance one time in ten
    assert abs(np.mean(noisy[replaced] == labels[replaced]) - 0.1) < 0.03
    assert np.array_equal(noisy_labels(labels, 0.3, rng=1)[0], noisy)  # seeded
    with pytest.raises(ValueError, match="fraction"):
        noisy_labels(labels, 1.5)
    with pytest.raises(ValueError, match="labels must be a 1-D array of ints"):
        noisy_labels(labels.astype(float), 0.1)
