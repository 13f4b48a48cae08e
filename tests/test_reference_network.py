"""Tests of companion.reference: the from-scratch NumPy MLP, its gradients, optimizers and fit loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from companion import reference as nn

# A correct backward pass gives relative errors around 1e-10 in the float64 checks; a wrong one
# gives 1e-2 or more. The thresholds leave orders of magnitude on both sides.
GRAD_TOL = 1e-7


def _blobs(n_per_class: int, seed: int, n_features: int = 10, n_classes: int = 3):
    """Well-separated Gaussian clusters (the same centres for every seed): an easy problem."""
    centers = (
        np.random.default_rng(12345).standard_normal((n_classes, n_features)) * 1.5
    )
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    x = centers[y] + rng.standard_normal((len(y), n_features))
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order]


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------


def test_dense_init_is_he_normal_float32():
    layer = nn.Dense(512, 256, rng=0)
    assert layer.W.shape == (512, 256) and layer.b.shape == (256,)
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32
    assert np.all(layer.b == 0)
    assert abs(layer.W.std() - math.sqrt(2 / 512)) < 0.02 * math.sqrt(2 / 512)
    assert abs(layer.W.mean()) < 0.01 * math.sqrt(2 / 512)
    assert set(layer.params()) == set(layer.grads()) == {"W", "b"}


def test_dense_forward_backward_match_formulas():
    rng = np.random.default_rng(1)
    layer = nn.Dense(5, 3, rng=2)
    layer.b[:] = rng.standard_normal(3)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    g = rng.standard_normal((4, 3)).astype(np.float32)
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out, x @ layer.W + layer.b, rtol=1e-6)
    gx = layer.backward(g)
    np.testing.assert_allclose(gx, g @ layer.W.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.dW, x.T @ g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.db, g.sum(axis=0), rtol=1e-5, atol=1e-6)
    assert layer.backward(g, input_grad=False) is None


def test_relu_forward_backward():
    relu = nn.ReLU()
    x = np.array([[-2.0, 0.0, 3.0]], dtype=np.float32)
    np.testing.assert_array_equal(relu.forward(x, training=True), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu.backward(np.ones_like(x)), [[0.0, 0.0, 1.0]])
    assert relu.params() == {} and relu.grads() == {}


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: nn.Dense(7, 5, rng=0),
        lambda: nn.ReLU(),
        lambda: nn.Dropout(
            0.4, fixed_mask=np.random.default_rng(3).random((6, 7)) > 0.4
        ),
        lambda: nn.Dropout(
            0.4,
            scaling="standard",
            fixed_mask=np.random.default_rng(3).random((6, 7)) > 0.4,
        ),
        # random mask, frozen by the check after its first forward pass
        lambda: nn.Dropout(0.5, rng=4),
        lambda: nn.Dropout(
            0.3,
            rng=4,
            scaling="standard",
            fixed_mask=np.random.default_rng(5).random(7) > 0.3,
        ),
    ],
    ids=[
        "dense",
        "relu",
        "dropout-inverted",
        "dropout-standard",
        "dropout-random",
        "dropout-broadcast-mask",
    ],
)
def test_layer_gradient_check(make_layer, training):
    x = np.random.default_rng(6).standard_normal((6, 7)).astype(np.float32)
    assert nn.layer_gradient_check(make_layer(), x, rng=0, training=training) < GRAD_TOL


def test_layer_gradient_check_detects_a_wrong_backward():
    class ForgetsTheScale(nn.Dropout):
        def backward(self, grad_out):
            return grad_out * self.mask  # missing the 1 / (1 - rate) factor

    mask = np.random.default_rng(0).random((6, 7)) > 0.5
    x = np.random.default_rng(1).standard_normal((6, 7))
    assert (
        nn.layer_gradient_check(ForgetsTheScale(0.5, fixed_mask=mask), x, rng=0) > 0.1
    )


def test_layer_gradient_check_leaves_the_layer_alone():
    layer = nn.Dropout(0.5, rng=0)
    dense = nn.Dense(7, 3, rng=0)
    w = dense.W.copy()
    x = np.random.default_rng(1).standard_normal((6, 7)).astype(np.float32)
    nn.layer_gradient_check(layer, x, rng=0)
    nn.layer_gradient_check(dense, x, rng=0)
    assert layer.fixed_mask is None and layer.mask is None
    assert dense.W.dtype == np.float32 and np.array_equal(dense.W, w)


# ---------------------------------------------------------------------------------------------
# Dropout layer
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scaling, train_scale, eval_scale",
    [("inverted", 1 / 0.75, 1.0), ("standard", 1.0, 0.75)],
)
def test_dropout_train_and_eval(scaling, train_scale, eval_scale):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 40)).astype(np.float32)
    mask = rng.random((50, 40)) >= 0.25
    layer = nn.Dropout(0.25, scaling=scaling, fixed_mask=mask)
    out = layer.forward(x, training=True)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out, np.where(mask, x * np.float32(train_scale), 0), rtol=1e-6
    )
    assert np.all(out[~mask] == 0)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    np.testing.assert_allclose(
        layer.backward(grad),
        np.where(mask, grad * np.float32(train_scale), 0),
        rtol=1e-6,
    )

    # the fixed mask is ignored at inference
    out_eval = layer.forward(x, training=False)
    np.testing.assert_allclose(out_eval, x * np.float32(eval_scale), rtol=1e-6)
    np.testing.assert_allclose(
        layer.backward(grad), grad * np.float32(eval_scale), rtol=1e-6
    )
    assert layer.mask is None


def test_dropout_backward_reuses_the_forward_mask():
    layer = nn.Dropout(0.5, rng=0)
    x = np.ones((200, 30), dtype=np.float32)
    out = layer.forward(x, training=True)
    kept = out != 0
    assert 0.4 < kept.mean() < 0.6  # 6,000 draws: the kept fraction is 0.5 +- 0.007
    np.testing.assert_array_equal(kept, layer.mask)
    grad_in = layer.backward(np.ones_like(x))
    # same mask, same 1 / (1 - rate) = 2 scale
    np.testing.assert_array_equal(grad_in, out)
    assert set(np.unique(grad_in)) == {0.0, 2.0}
    layer.forward(x, training=True)  # a new forward pass draws a new mask
    assert not np.array_equal(layer.mask, kept)


def test_dropout_same_seed_same_mask_and_edge_rates():
    x = np.arange(1, 61, dtype=np.float32).reshape(6, 10)
    a, b = nn.Dropout(0.5, rng=42), nn.Dropout(0.5, rng=42)
    np.testing.assert_array_equal(
        a.forward(x, training=True), b.forward(x, training=True)
    )

    zero = nn.Dropout(0.0, rng=0)
    np.testing.assert_array_equal(zero.forward(x, training=True), x)
    np.testing.assert_array_equal(zero.backward(x), x)

    x_bad = x.copy()
    x_bad[0, :3] = [np.inf, -np.inf, np.nan]
    one = nn.Dropout(1.0, rng=0)
    out = one.forward(x_bad, training=True)
    assert np.all(out == 0) and not np.isnan(out).any()
    assert np.all(one.backward(np.ones_like(x)) == 0)


def test_dropout_refuses_bad_masks():
    x = np.ones((4, 5), dtype=np.float32)
    with pytest.raises(TypeError, match="fixed_mask"):
        nn.Dropout(0.5, fixed_mask=np.ones((4, 5))).forward(x, training=True)
    with pytest.raises(ValueError, match="fixed_mask"):
        nn.Dropout(0.5, fixed_mask=np.ones((4, 6), dtype=bool)).forward(
            x, training=True
        )
    with pytest.raises(TypeError, match="training"):
        nn.Dropout(0.5).forward(x, training="yes")


# ---------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------


def _kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_mlp_structure():
    assert _kinds(nn.mlp((784, 256, 256, 10), rng=0)) == [
        "Dense",
        "ReLU",
        "Dense",
        "ReLU",
        "Dense",
    ]
    model = nn.mlp((784, 256, 256, 10), input_rate=0.2, hidden_rate=0.5, rng=0)
    assert _kinds(model) == [
        "Dropout",
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
    ]
    assert [layer.rate for layer in model.layers if isinstance(layer, nn.Dropout)] == [
        0.2,
        0.5,
        0.5,
    ]
    assert _kinds(nn.mlp((4, 3), hidden_rate=0.5, rng=0)) == ["Dense"]
    assert list(model.params()) == ["1.W", "1.b", "4.W", "4.b", "7.W", "7.b"]
    assert list(model.grads()) == list(model.params())
    assert model.params()["4.W"].shape == (256, 256)
    standard = nn.mlp((4, 3, 2), hidden_rate=0.5, scaling="standard", rng=0)
    assert standard.layers[2].scaling == "standard"


def test_mlp_forward_is_float32_and_predict_proba_is_inference_mode():
    model = nn.mlp((20, 16, 4), input_rate=0.2, hidden_rate=0.5, rng=0)
    x = np.random.default_rng(1).standard_normal((8, 20)).astype(np.float32)
    assert model.forward(x, training=True).dtype == np.float32
    p1, p2 = model.predict_proba(x), model.predict_proba(x)
    assert p1.dtype == np.float32 and p1.shape == (8, 4)
    np.testing.assert_array_equal(p1, p2)  # no dropout at inference: deterministic
    np.testing.assert_allclose(p1.sum(axis=1), 1, rtol=1e-5)


def _random_biases(model, seed):
    """Give the biases small random values, as after some training: zero biases put units whose
    inputs are all dropped exactly on ReLU's kink, where finite differences are meaningless."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, nn.Dense):
            layer.b[:] = rng.normal(0.0, 0.1, layer.b.shape)
    return model


def test_whole_mlp_gradient_check_with_dropout():
    rng = np.random.default_rng(0)
    model = _random_biases(
        nn.mlp((12, 10, 8, 4), input_rate=0.2, hidden_rate=0.5, rng=1), seed=9
    )
    x, y = rng.standard_normal((16, 12)), rng.integers(0, 4, 16)
    before = {k: v.copy() for k, v in model.params().items()}
    # masks drawn once, then frozen
    assert nn.gradient_check(model, x, y, rng=2) < GRAD_TOL
    assert nn.gradient_check(model, x, y, rng=2, training=False) < GRAD_TOL
    for key, value in model.params().items():  # the check works on a copy
        assert value.dtype == np.float32 and np.array_equal(value, before[key])


def test_whole_mlp_gradient_check_with_fixed_masks():
    rng = np.random.default_rng(3)
    model = _random_biases(
        nn.mlp(
            (12, 10, 8, 4), input_rate=0.2, hidden_rate=0.5, rng=4, scaling="standard"
        ),
        8,
    )
    widths = {0: 12, 3: 10, 6: 8}
    for index, width in widths.items():
        model.layers[index].fixed_mask = (
            rng.random((16, width)) >= model.layers[index].rate
        )
    x, y = rng.standard_normal((16, 12)), rng.integers(0, 4, 16)
    assert nn.gradient_check(model, x, y, rng=5, n_checks=30) < GRAD_TOL


def test_gradient_check_at_the_relu_kink():
    """An all-zero input row with zero biases puts every hidden unit exactly at ReLU's kink."""
    model = nn.Sequential([nn.Dense(3, 4, rng=0), nn.ReLU(), nn.Dense(4, 2, rng=1)])
    x, y = np.zeros((1, 3)), np.array([1])
    # derivative 0 vs difference quotient 1/2
    assert nn.gradient_check(model, x, y, rng=0) > 0.1
    _random_biases(model, seed=0)
    assert nn.gradient_check(model, x, y, rng=0) < GRAD_TOL


def test_whole_mlp_gradient_check_detects_a_wrong_backward():
    class NoReLUGradient(nn.ReLU):
        def backward(self, grad_out):
            return grad_out  # wrong: ignores where the unit was inactive

    model = nn.mlp((12, 10, 4), rng=1)
    model.layers[1] = NoReLUGradient()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 12)), rng.integers(0, 4, 16)
    assert nn.gradient_check(model, x, y, rng=2) > 0.01


def test_backward_without_input_gradient_gives_the_same_parameter_gradients():
    model = nn.mlp((12, 10, 4), input_rate=0.3, rng=1)
    for layer in model.layers:
        if isinstance(layer, nn.Dropout):
            layer.fixed_mask = np.random.default_rng(2).random((5, 12)) > 0.3
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 12)).astype(np.float32), rng.integers(0, 4, 5)
    _, grad = nn.softmax_cross_entropy(model.forward(x, training=True), y)
    assert model.backward(grad).shape == x.shape
    full = {k: v.copy() for k, v in model.grads().items()}
    assert model.backward(grad, input_grad=False) is None
    for key, value in model.grads().items():
        np.testing.assert_array_equal(value, full[key])
        assert value.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------------------------


def test_softmax_cross_entropy_matches_direct_formula():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((7, 5)) * 3
    y = rng.integers(0, 5, 7)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, grad = nn.softmax_cross_entropy(logits, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(7), y])), rel=1e-12)
    np.testing.assert_allclose(grad, (p - np.eye(5)[y]) / 7, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(nn.log_softmax(logits), np.log(p), rtol=1e-12)

    loss32, grad32 = nn.softmax_cross_entropy(logits.astype(np.float32), y)
    assert grad32.dtype == np.float32
    assert loss32 == pytest.approx(loss, rel=1e-5)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array(
        [[1000.0, 0.0, -1000.0], [-5000.0, 5000.0, 0.0]], dtype=np.float32
    )
    loss, grad = nn.softmax_cross_entropy(logits, np.array([0, 0]))
    # 0 for the first row, 10000 for the second
    assert loss == pytest.approx(10000 / 2, rel=1e-6)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-6)
    np.testing.assert_allclose(np.exp(nn.log_softmax(logits)).sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize(
    "y, exc, match",
    [
        (np.array([0, 3]), ValueError, "y"),
        (np.array([0, -1]), ValueError, "y"),
        (np.array([0.0, 1.0]), TypeError, "y"),
        (np.array([0, 1, 2]), ValueError, "y"),
    ],
)
def test_softmax_cross_entropy_refuses_bad_labels(y, exc, match):
    with pytest.raises(exc, match=match):
        nn.softmax_cross_entropy(np.zeros((2, 3), dtype=np.float32), y)


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------


def _minimize_quadratic(optimizer, steps):
    """Minimize 0.5 * sum(a * (p - target)**2), an ill-conditioned bowl; return the final distance."""
    target = np.array([1.0, -2.0, 3.0, 0.5], dtype=np.float32)
    a = np.array([1.0, 10.0, 0.1, 3.0], dtype=np.float32)
    params = {"p": np.zeros(4, dtype=np.float32)}
    start = float(np.linalg.norm(params["p"] - target))
    for _ in range(steps):
        optimizer.step(params, {"p": a * (params["p"] - target)})
    assert params["p"].dtype == np.float32
    return float(np.linalg.norm(params["p"] - target)) / start


@pytest.mark.parametrize(
    "optimizer, steps",
    [(nn.SGD(0.15), 500), (nn.SGD(0.05, momentum=0.9), 500), (nn.Adam(0.1), 500)],
    ids=["sgd", "sgd-momentum", "adam"],
)
def test_optimizers_minimize_a_quadratic(optimizer, steps):
    assert _minimize_quadratic(optimizer, steps) < 1e-2


def test_sgd_and_adam_single_steps_match_their_formulas():
    g = np.array([0.5, -2.0, 1e-3], dtype=np.float32)
    p = {"w": np.array([1.0, 1.0, 1.0], dtype=np.float32)}
    nn.SGD(0.1).step(p, {"w": g})
    np.testing.assert_allclose(p["w"], 1 - 0.1 * g, rtol=1e-6)

    p = {"w": np.ones(3, dtype=np.float32)}
    # bias-corrected first step: lr * g / |g| (up to eps)
    nn.Adam(0.01).step(p, {"w": g})
    np.testing.assert_allclose(p["w"], 1 - 0.01 * np.sign(g), rtol=1e-5)

    p = {"w": np.ones(3, dtype=np.float32)}
    sgd = nn.SGD(0.1, momentum=0.5)
    sgd.step(p, {"w": g})
    sgd.step(p, {"w": g})  # v = g, then 0.5 g + g
    np.testing.assert_allclose(p["w"], 1 - 0.1 * g - 0.1 * 1.5 * g, rtol=1e-6)


@pytest.mark.parametrize(
    "optimizer",
    [nn.SGD(0.1, weight_decay=0.5), nn.Adam(0.01, weight_decay=0.5)],
    ids=["sgd", "adam"],
)
def test_weight_decay_shrinks_weights_without_gradient(optimizer):
    w0 = np.array([2.0, -3.0, 0.5], dtype=np.float32)
    p = {"w": w0.copy()}
    for _ in range(20):
        optimizer.step(p, {"w": np.zeros(3, dtype=np.float32)})
    assert np.all(np.abs(p["w"]) < np.abs(w0))
    assert np.all(np.sign(p["w"]) == np.sign(w0))
    if isinstance(optimizer, nn.SGD):
        np.testing.assert_allclose(p["w"], w0 * 0.95**20, rtol=1e-5)


def test_optimizer_refuses_mismatched_keys():
    with pytest.raises(ValueError, match="keys"):
        nn.SGD(0.1).step(
            {"a": np.zeros(2, dtype=np.float32)}, {"b": np.zeros(2, dtype=np.float32)}
        )


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def test_fit_learns_a_separable_problem():
    x, y = _blobs(100, seed=0)
    x_val, y_val = _blobs(20, seed=100)
    model = nn.mlp((10, 32, 3), hidden_rate=0.2, rng=0)
    history = nn.fit(
        model,
        x,
        y,
        epochs=8,
        batch_size=32,
        optimizer=nn.Adam(1e-2),
        rng=0,
        x_val=x_val,
        y_val=y_val,
    )
    for name in ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds"):
        assert len(getattr(history, name)) == 8, name
    assert history.train_acc[-1] >= 0.95 and history.val_acc[-1] >= 0.95
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert all(t > 0 for t in history.epoch_seconds)
    assert all(isinstance(v, float) for v in history.train_loss + history.val_acc)
    assert all(v.dtype == np.float32 for v in model.params().values())
    assert (history.train_loss[-1], history.train_acc[-1]) == nn.evaluate(model, x, y)


def test_fit_without_validation_and_with_sgd_and_no_shuffle():
    x, y = _blobs(60, seed=1)
    model = nn.mlp((10, 16, 16, 3), input_rate=0.1, hidden_rate=0.3, rng=1)
    history = nn.fit(
        model,
        x,
        y,
        epochs=5,
        batch_size=50,
        optimizer=nn.SGD(0.05, momentum=0.9),
        shuffle=False,
        rng=1,
    )
    assert history.val_loss == [] and history.val_acc == []
    assert (
        len(history.train_loss)
        == len(history.train_acc)
        == len(history.epoch_seconds)
        == 5
    )
    assert history.train_acc[-1] >= 0.9


def test_fit_accepts_float64_data_and_is_deterministic():
    x, y = _blobs(40, seed=2)
    x = x.astype(np.float64)

    def run(fit_seed):
        model = nn.mlp((10, 16, 3), input_rate=0.2, hidden_rate=0.5, rng=7)
        history = nn.fit(
            model, x, y, epochs=3, batch_size=16, optimizer=nn.Adam(1e-2), rng=fit_seed
        )
        return history, model.params()

    (h1, p1), (h2, p2), (h3, _) = run(0), run(0), run(1)
    assert h1.train_loss == h2.train_loss and h1.train_acc == h2.train_acc
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])
        assert p1[key].dtype == np.float32
    assert h1.train_loss != h3.train_loss  # another shuffling order


def test_evaluate_chunks_do_not_change_the_result():
    x, y = _blobs(50, seed=3)
    model = nn.mlp((10, 8, 3), hidden_rate=0.5, rng=0)
    loss, acc = nn.evaluate(model, x, y)
    loss_chunked, acc_chunked = nn.evaluate(model, x, y, batch_size=7)
    assert loss_chunked == pytest.approx(loss, rel=1e-6) and acc_chunked == acc
    p = model.predict_proba(x)
    assert acc == np.mean(p.argmax(axis=1) == y)
    assert loss == pytest.approx(
        -np.mean(np.log(p[np.arange(len(y)), y].astype(np.float64))), rel=1e-4
    )


# ---------------------------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------------------------

_X, _Y = _blobs(5, seed=4)
_MODEL = nn.mlp((10, 4, 3), rng=0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: nn.Dropout(1.5), ValueError, "rate"),
        (lambda: nn.Dropout(float("nan")), ValueError, "rate"),
        (lambda: nn.Dropout("0.5"), TypeError, "rate"),
        (lambda: nn.Dropout(True), TypeError, "rate"),
        (lambda: nn.Dropout(0.5, scaling="upscale"), ValueError, "scaling"),
        (lambda: nn.Dropout(0.5, rng=1.5), TypeError, "rng"),
        (lambda: nn.Dense(0, 3), ValueError, "in_features"),
        (lambda: nn.Dense(3, 2.0), TypeError, "out_features"),
        (lambda: nn.mlp((784,)), ValueError, "sizes"),
        (lambda: nn.mlp(784), ValueError, "sizes"),
        (lambda: nn.mlp((784, 0, 10)), ValueError, r"sizes\[1\]"),
        (lambda: nn.mlp((784, 2.5, 10)), TypeError, r"sizes\[1\]"),
        (lambda: nn.mlp((784, 10), input_rate=-0.1), ValueError, "input_rate"),
        (lambda: nn.mlp((784, 10), hidden_rate=2), ValueError, "hidden_rate"),
        (lambda: nn.SGD(0), ValueError, "lr"),
        (lambda: nn.SGD(-0.1), ValueError, "lr"),
        (lambda: nn.SGD("0.1"), TypeError, "lr"),
        (lambda: nn.SGD(0.1, momentum=1.0), ValueError, "momentum"),
        (lambda: nn.SGD(0.1, weight_decay=-1e-4), ValueError, "weight_decay"),
        (lambda: nn.Adam(lr=float("inf")), ValueError, "lr"),
        (lambda: nn.Adam(beta1=1.0), ValueError, "beta1"),
        (lambda: nn.Adam(beta2=-0.5), ValueError, "beta2"),
        (lambda: nn.Adam(eps=0.0), ValueError, "eps"),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y, epochs=0, batch_size=4, optimizer=nn.SGD(0.1)
            ),
            ValueError,
            "epochs",
        ),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y, epochs=1.0, batch_size=4, optimizer=nn.SGD(0.1)
            ),
            TypeError,
            "epochs",
        ),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y, epochs=1, batch_size=0, optimizer=nn.SGD(0.1)
            ),
            ValueError,
            "batch_size",
        ),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y, epochs=1, batch_size=True, optimizer=nn.SGD(0.1)
            ),
            TypeError,
            "batch_size",
        ),
        (
            lambda: nn.fit(_MODEL, _X, _Y, epochs=1, batch_size=4, optimizer=None),
            TypeError,
            "optimizer",
        ),
        (
            lambda: nn.fit(
                _MODEL,
                _X.astype(int),
                _Y,
                epochs=1,
                batch_size=4,
                optimizer=nn.SGD(0.1),
            ),
            TypeError,
            "x",
        ),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y[:-1], epochs=1, batch_size=4, optimizer=nn.SGD(0.1)
            ),
            ValueError,
            "y",
        ),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y + 0.0, epochs=1, batch_size=4, optimizer=nn.SGD(0.1)
            ),
            TypeError,
            "y",
        ),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y, epochs=1, batch_size=4, optimizer=nn.SGD(0.1), x_val=_X
            ),
            ValueError,
            "y_val",
        ),
        (
            lambda: nn.fit(
                _MODEL, _X, _Y, epochs=1, batch_size=4, optimizer=nn.SGD(0.1), shuffle=1
            ),
            TypeError,
            "shuffle",
        ),
        (
            lambda: nn.fit(
                object(), _X, _Y, epochs=1, batch_size=4, optimizer=nn.SGD(0.1)
            ),
            TypeError,
            "model",
        ),
        (lambda: nn.evaluate(_MODEL, _X, _Y, batch_size=-1), ValueError, "batch_size"),
        (lambda: nn.gradient_check(_MODEL, _X, _Y, eps=0.0), ValueError, "eps"),
        (lambda: nn.gradient_check(_MODEL, _X, _Y, n_checks=0), ValueError, "n_checks"),
        (lambda: _MODEL.forward(_X[:, :5], training=False), ValueError, "x"),
        (lambda: nn.Sequential([nn.Dense(2, 2), "relu"]), TypeError, r"layers\[1\]"),
    ],
)
def test_bad_arguments_raise_naming_the_parameter(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
