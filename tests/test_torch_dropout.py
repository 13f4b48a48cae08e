"""Tests of companion.torch.dropout: conventions, agreement with nn.Dropout, MC-dropout helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from bad_values import BAD_RATE_IDS, BAD_RATES  # noqa: E402
from torch import nn  # noqa: E402

from companion.torch import dropout as td  # noqa: E402

FLOAT_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


# --- conventions -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, error", BAD_RATES, ids=BAD_RATE_IDS)
def test_bad_p_is_refused_naming_p_and_value(bad, error):
    with pytest.raises(error) as info:
        td.Dropout(bad)
    message = str(info.value)
    assert message.startswith("p ")
    assert repr(bad) in message
    with pytest.raises(error, match=r"^p "):
        td.apply_mask(torch.ones(3), torch.ones(3, dtype=torch.bool), bad)


def test_good_p_values_are_stored_as_float():
    assert td.Dropout(np.float32(0.25)).p == 0.25
    assert td.Dropout(np.array([0.5])).p == 0.5
    assert td.Dropout(1).p == 1.0
    assert "p=0.3" in repr(td.Dropout(0.3))


@pytest.mark.parametrize(
    "dtype", [torch.int64, torch.int32, torch.uint8, torch.bool, torch.complex64]
)
@pytest.mark.parametrize("training", [True, False])
def test_integer_bool_complex_input_is_refused(dtype, training):
    layer = td.Dropout(0.5).train(training)
    with pytest.raises(
        TypeError, match=r"^x must hold floating-point values.*" + str(dtype)
    ):
        layer(torch.ones(4, dtype=dtype))
    with pytest.raises(TypeError, match=r"^x "):
        td.apply_mask(torch.ones(4, dtype=dtype), torch.ones(4, dtype=torch.bool), 0.5)


def test_non_tensor_input_is_refused():
    with pytest.raises(TypeError, match=r"^x must be a torch.Tensor"):
        td.Dropout(0.5)(np.ones(3))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_float_dtypes_are_kept(dtype, training):
    x = torch.randn(10, 7).to(dtype)
    y = td.Dropout(0.5).train(training)(x)
    assert y.dtype == dtype and y.shape == x.shape


def test_p_zero_and_eval_mode_are_the_identity():
    x = torch.randn(50, 20)
    assert torch.equal(td.Dropout(0.0)(x), x)  # training mode, p = 0
    assert torch.equal(td.Dropout(0.7).eval()(x), x)
    assert torch.equal(td.Dropout(1.0).eval()(x), x)


def test_p_zero_draws_no_random_numbers():
    # like nn.Dropout, p = 0 leaves torch's random stream where it was
    torch.manual_seed(0)
    td.Dropout(0.0)(torch.ones(100))
    after = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(torch.rand(3), after)


def test_p_one_gives_exact_zeros_even_for_inf_and_nan():
    x = torch.tensor([1.0, -2.0, math.inf, -math.inf, math.nan])
    y = td.Dropout(1.0)(x)
    assert torch.equal(y, torch.zeros(5))
    # nn.Dropout multiplies by zero instead: a dropped inf or NaN becomes NaN (torch 2.13)
    assert torch.isnan(nn.Dropout(1.0)(x)).any()


def test_dropped_inf_and_nan_become_zero():
    x = torch.tensor([math.inf, math.nan, 3.0, math.inf])
    keep = torch.tensor([False, False, True, True])
    y = td.apply_mask(x, keep, 0.5)
    assert torch.equal(y, torch.tensor([0.0, 0.0, 6.0, math.inf]))


def test_outputs_are_zero_or_scaled_input():
    p = 0.2
    x = torch.randn(1000, dtype=torch.float64)
    y = td.Dropout(p)(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / (1 - p))
    assert 0 < kept.sum() < 1000


def test_same_seed_gives_same_mask():
    layer = td.Dropout(0.5)
    x = torch.randn(64, 32)
    torch.manual_seed(123)
    a = layer(x)
    torch.manual_seed(123)
    b = layer(x)
    c = layer(x)  # the stream moved on: a new mask
    assert torch.equal(a, b)
    assert not torch.equal(b, c)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mean_is_preserved_and_drop_fraction_is_p(p):
    torch.manual_seed(0)
    x = torch.ones(200_000, dtype=torch.float64)
    y = td.Dropout(p)(x)
    # standard error of the mean is sqrt(p / (1 - p) / n) <= 0.0045: the bounds are >= 10 of them
    assert abs(y.mean().item() - 1.0) < 0.05
    assert abs((y == 0).double().mean().item() - p) < 0.01


def test_empty_input_works():
    y = td.Dropout(0.5)(torch.empty(0, 3))
    assert y.shape == (0, 3)


# --- agreement with nn.Dropout ---------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("transposed", [False, True])
def test_equals_nn_dropout_under_the_same_seed_with_the_same_gradient(
    p, dtype, transposed
):
    x0 = torch.randn(33, 64, dtype=dtype)
    if transposed:  # a non-contiguous input
        x0 = x0.t()
    upstream = torch.randn(x0.shape, dtype=dtype)
    outputs, grads = [], []
    for layer in (nn.Dropout(p), td.Dropout(p)):
        x = x0.clone().requires_grad_(True)
        torch.manual_seed(2024)
        y = layer(x)
        (y * upstream).sum().backward()
        outputs.append(y.detach())
        grads.append(x.grad)
    assert torch.equal(outputs[0] == 0, outputs[1] == 0)  # the same mask, bit for bit
    assert torch.allclose(outputs[0], outputs[1], rtol=1e-6, atol=0)
    assert torch.allclose(grads[0], grads[1], rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_same_mask_as_nn_dropout_in_half_precision(dtype):
    x = torch.randn(40, 40).to(dtype)
    torch.manual_seed(7)
    a = nn.Dropout(0.3)(x)
    torch.manual_seed(7)
    b = td.Dropout(0.3)(x)
    assert torch.equal(a == 0, b == 0)
    assert torch.allclose(a.float(), b.float(), rtol=1e-2, atol=0)


def test_gradient_is_mask_over_keep_probability():
    p = 0.4
    x = torch.randn(500, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(3)
    y = td.Dropout(p)(x)
    y.sum().backward()
    expected = (y.detach() != 0).double() / (1 - p)
    assert torch.allclose(x.grad, expected)


def test_apply_mask_broadcasts_and_checks_the_mask():
    x = torch.ones(3, 4)
    keep = torch.tensor([True, False, True, False])
    y = td.apply_mask(x, keep, 0.5)
    assert torch.equal(y, torch.tensor([[2.0, 0.0, 2.0, 0.0]] * 3))
    with pytest.raises(TypeError, match=r"^keep must be a boolean"):
        td.apply_mask(x, keep.float(), 0.5)
    with pytest.raises(RuntimeError):
        td.apply_mask(x, torch.ones(5, dtype=torch.bool), 0.5)


def test_apply_mask_agrees_with_numpy_reference():
    from companion.reference import functional as numpy_dropout

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 30))
    keep = rng.random((20, 30)) >= 0.3
    for dtype in (np.float32, np.float64):
        for p in (0.0, 0.3, 1.0):
            expected = numpy_dropout.apply_mask(x.astype(dtype), keep, p)
            got = td.apply_mask(
                torch.from_numpy(x.astype(dtype)), torch.from_numpy(keep), p
            ).numpy()
            assert got.dtype == dtype
            np.testing.assert_allclose(got, expected, rtol=1e-6)


# --- MC dropout helpers ---------------------------------------------------------------------------


def _bn_model() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(6, 16),
        nn.BatchNorm1d(16),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(16, 16),
        td.Dropout(0.3),
        nn.Linear(16, 4),
    )
    bn = model[1]
    with torch.no_grad():  # running statistics far from any batch's statistics
        bn.running_mean.uniform_(-3, 3)
        bn.running_var.uniform_(0.5, 4)
        bn.num_batches_tracked.fill_(17)
    return model


def test_dropout_modules_finds_every_kind():
    model = nn.Sequential(
        nn.Dropout(0.1),
        nn.Dropout1d(0.1),
        nn.Dropout2d(0.1),
        nn.Dropout3d(0.1),
        nn.AlphaDropout(0.1),
        nn.FeatureAlphaDropout(0.1),
        nn.Sequential(nn.Linear(2, 2), td.Dropout(0.1)),
        nn.BatchNorm1d(2),
    )
    found = td.dropout_modules(model)
    assert len(found) == 7
    assert not any(
        isinstance(m, (nn.BatchNorm1d, nn.Linear, nn.Sequential)) for m in found
    )
    with pytest.raises(TypeError, match=r"^model "):
        td.dropout_modules("not a model")


def test_enable_mc_dropout_switches_on_dropout_only():
    model = _bn_model().train()
    assert td.enable_mc_dropout(model) is model
    assert model[3].training and model[5].training
    assert not model.training and not model[1].training and not model[0].training


def test_mc_dropout_restores_every_previous_mode_even_after_an_error():
    model = _bn_model().train()
    model[1].eval()  # a frozen BatchNorm inside a model in training mode
    model[5].eval()
    before = [m.training for m in model.modules()]
    with pytest.raises(ZeroDivisionError):
        with td.mc_dropout(model):
            assert not model[1].training and model[3].training and model[5].training
            1 / 0
    assert [m.training for m in model.modules()] == before


@pytest.mark.parametrize("initial_mode", ["train", "eval"])
def test_mc_predict_keeps_batchnorm_in_inference_mode(initial_mode):
    model = _bn_model().train(initial_mode == "train")
    bn = model[1]
    before_modes = [m.training for m in model.modules()]
    stats = {name: t.clone() for name, t in bn.state_dict().items()}
    seen = []
    handle = bn.register_forward_hook(
        lambda mod, inp, out: seen.append((mod.training, inp[0], out))
    )
    x = torch.randn(5, 6)
    mean, std = td.mc_predict(model, x, n_samples=30)
    handle.remove()

    assert mean.shape == std.shape == (5, 4)
    assert torch.allclose(mean.sum(dim=-1), torch.ones(5), atol=1e-5)
    assert (std > 1e-3).any()  # the passes differ: dropout was on
    # BatchNorm normalized with its running statistics in every pass ...
    assert len(seen) == 30 and not any(training for training, _, _ in seen)
    _, inp, out = seen[0]
    expected = (inp - stats["running_mean"]) / torch.sqrt(
        stats["running_var"] + bn.eps
    ) * bn.weight + bn.bias
    assert torch.allclose(out, expected, atol=1e-5)
    # ... and left them alone
    for name, tensor in bn.state_dict().items():
        assert torch.equal(tensor, stats[name]), name
    assert [m.training for m in model.modules()] == before_modes


def test_mc_predict_works_on_a_batch_of_one_and_returns_raw_outputs_on_request():
    model = _bn_model().train()
    mean, std = td.mc_predict(model, torch.randn(1, 6), n_samples=20, softmax=False)
    assert mean.shape == (1, 4) and (std > 0).any()
    assert not mean.requires_grad


def test_mc_predict_refuses_bad_arguments():
    model = _bn_model()
    x = torch.randn(2, 6)
    for bad, error in [
        (0, ValueError),
        (-3, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("10", TypeError),
    ]:
        with pytest.raises(error, match=r"^n_samples "):
            td.mc_predict(model, x, n_samples=bad)
    with pytest.raises(ValueError, match="no dropout module"):
        td.mc_predict(nn.Linear(6, 3), x, n_samples=5)
    with pytest.raises(TypeError, match=r"^softmax "):
        td.mc_predict(model, x, n_samples=5, softmax="yes")


# --- DropConnectLinear ----------------------------------------------------------------------------
# Feeding the identity matrix as a batch reads the thinned weight matrix off the output: with no
# bias, row i of layer(eye) is column i of the weights the layer used for that (one) minibatch.


def _thinned_weight(layer: nn.Linear) -> torch.Tensor:
    eye = torch.eye(layer.in_features, dtype=layer.weight.dtype)
    return layer(eye).t()


@pytest.mark.parametrize("bad, error", BAD_RATES, ids=BAD_RATE_IDS)
def test_dropconnect_bad_p_is_refused_naming_p_and_value(bad, error):
    with pytest.raises(error) as info:
        td.DropConnectLinear(4, 3, p=bad)
    message = str(info.value)
    assert message.startswith("p ")
    assert repr(bad) in message


def test_dropconnect_is_a_linear_layer_with_linear_state_and_repr():
    layer = td.DropConnectLinear(5, 3, p=np.float32(0.25))
    assert isinstance(layer, nn.Linear) and layer.p == 0.25
    assert "in_features=5, out_features=3, bias=True, p=0.25" in repr(layer)
    plain = nn.Linear(5, 3)
    plain.load_state_dict(layer.state_dict())  # the same parameters, names and shapes
    assert td.DropConnectLinear(5, 3, bias=False, p=0.5).bias is None
    with pytest.raises(TypeError):
        # p is keyword only: no confusion with bias
        td.DropConnectLinear(5, 3, False, 0.5)


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_dropconnect_eval_mode_equals_nn_linear(p):
    torch.manual_seed(0)
    layer = td.DropConnectLinear(20, 7, p=p).eval()
    plain = nn.Linear(20, 7)
    plain.load_state_dict(layer.state_dict())
    x = torch.randn(11, 20)
    assert torch.equal(layer(x), plain(x))
    assert torch.equal(layer(x), layer(x))  # deterministic


def test_dropconnect_p_zero_in_training_equals_nn_linear_and_draws_nothing():
    torch.manual_seed(0)
    layer = td.DropConnectLinear(20, 7, p=0.0)
    x = torch.randn(11, 20)
    torch.manual_seed(1)
    y = layer(x)
    after = torch.rand(3)
    torch.manual_seed(1)
    assert torch.equal(torch.rand(3), after)
    assert torch.equal(y, nn.functional.linear(x, layer.weight, layer.bias))


def test_dropconnect_p_one_leaves_the_bias_only():
    layer = td.DropConnectLinear(6, 4, p=1.0)
    y = layer(torch.randn(5, 6))
    assert torch.equal(y, layer.bias.detach().expand(5, 4))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropconnect_share_of_zeroed_weights_is_p_and_kept_ones_are_scaled(p):
    torch.manual_seed(0)
    layer = td.DropConnectLinear(400, 300, bias=False, p=p).double()
    thinned = _thinned_weight(layer).detach()
    kept = thinned != 0
    # 120,000 independent draws: the standard error of the share is at most 0.0015, bound >= 6 of them
    assert abs((~kept).double().mean().item() - p) < 0.01
    assert torch.allclose(thinned[kept], layer.weight.detach()[kept] / (1 - p))


def test_dropconnect_draws_one_mask_per_call_shared_by_the_batch():
    torch.manual_seed(0)
    layer = td.DropConnectLinear(50, 20, p=0.5)
    y = layer(torch.randn(1, 50).expand(8, 50))
    # every example of the batch saw the same weights
    assert torch.equal(y, y[:1].expand(8, 20))
    # a fresh mask per call
    assert not torch.equal(_thinned_weight(layer), _thinned_weight(layer))
    torch.manual_seed(5)
    a = _thinned_weight(layer)
    torch.manual_seed(5)
    assert torch.equal(a, _thinned_weight(layer))  # reproducible under a seed


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_dropconnect_training_output_is_unbiased(p):
    torch.manual_seed(0)
    layer = td.DropConnectLinear(16, 5, p=p).double()
    x = torch.randn(4, 16, dtype=torch.float64)
    with torch.no_grad():
        expected = layer.eval()(x)
        layer.train()
        passes = torch.stack([layer(x) for _ in range(4000)])
    mean = passes.mean(dim=0)
    stderr = passes.std(dim=0) / math.sqrt(len(passes))
    assert (stderr > 0).all()
    # 20 outputs, each within 5 standard errors (P(any beyond) ~ 1e-5 for an unbiased layer) ...
    assert ((mean - expected).abs() < 5 * stderr).all()
    # ... and the test has power: the unscaled (standard-form) mean, (1 - p) W x + b, is far outside
    unscaled = (1 - p) * (expected - layer.bias.detach()) + layer.bias.detach()
    assert ((mean - unscaled).abs() > 5 * stderr).any()


def test_dropconnect_gradient_flows_through_kept_weights_only():
    torch.manual_seed(0)
    p = 0.4
    layer = td.DropConnectLinear(30, 12, p=p).double()
    eye = torch.eye(30, dtype=torch.float64)
    upstream = torch.rand(30, 12, dtype=torch.float64) + 0.5  # no zero entry
    y = layer(eye)
    (y * upstream).sum().backward()
    kept = (y - layer.bias).detach().t() != 0  # the thinned weights, (out, in)
    assert 0 < kept.sum() < kept.numel()
    assert torch.equal(
        layer.weight.grad[~kept], torch.zeros((~kept).sum().item(), dtype=torch.float64)
    )
    assert torch.allclose(layer.weight.grad[kept], upstream.t()[kept] / (1 - p))
    # the bias is never dropped
    assert torch.allclose(layer.bias.grad, upstream.sum(dim=0))


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool])
def test_dropconnect_refuses_non_float_input(dtype):
    with pytest.raises(TypeError, match=r"^x must hold floating-point values"):
        td.DropConnectLinear(4, 3, p=0.5)(torch.ones(2, 4, dtype=dtype))


def test_saved_for_backward_reports_the_mask_each_implementation_keeps():
    x = torch.randn(16, 32, requires_grad=True)
    # the boolean condition
    assert td.saved_for_backward(td.Dropout(0.5), x) == [("bool", 16 * 32)]
    # CPU: float noise
    assert td.saved_for_backward(nn.Dropout(0.5), x) == [("float32", 4 * 16 * 32)]
    assert td.saved_for_backward(nn.Identity(), x) == []
