"""Weight scaling versus Monte Carlo averaging (companion.experiments.ensembles)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from companion.experiments.ensembles import (  # noqa: E402
    average_proba,
    log_loss_and_error,
    mc_curve,
    select_members,
    thinned_proba,
    weight_scaled_proba,
)
from companion.reference import log_loss  # noqa: E402
from companion.torch.batched import BatchedMLP, MLPConfig  # noqa: E402


def _model(configs, sizes=(6, 8, 3)):
    return BatchedMLP(list(sizes), configs)


def _data(n=20, d=6, c=3, seed=0):
    g = np.random.default_rng(seed)
    return g.normal(size=(n, d)).astype(np.float32), g.integers(0, c, size=n)


def test_select_members_copies_the_chosen_members():
    model = _model([MLPConfig(seed=s, hidden_rate=0.5) for s in range(4)])
    x, _ = _data()
    sub = select_members(model, [3, 1])
    assert [c.seed for c in sub.configs] == [3, 1]
    full = weight_scaled_proba(model, x)
    torch.testing.assert_close(weight_scaled_proba(sub, x), full[[3, 1]])
    with torch.no_grad():
        sub.weights[0].zero_()
    assert model.weights[0].abs().sum() > 0  # a copy, not a view


@pytest.mark.parametrize("members", [[], [4], [-1]])
def test_select_members_refuses_bad_indices(members):
    with pytest.raises(ValueError, match="members"):
        select_members(_model([MLPConfig(seed=0), MLPConfig(seed=1)]), members)


def test_weight_scaled_proba_is_a_distribution_and_restores_the_mode():
    model = _model([MLPConfig(seed=0, hidden_rate=0.5), MLPConfig(seed=1)])
    x, _ = _data()
    model.train()
    p = weight_scaled_proba(model, x)
    assert p.shape == (2, 20, 3) and model.training
    torch.testing.assert_close(p.sum(-1), torch.ones(2, 20))
    torch.testing.assert_close(weight_scaled_proba(model, x), p)  # deterministic


def test_thinned_proba_varies_with_dropout_and_not_without():
    model = _model(
        [MLPConfig(seed=0, hidden_rate=0.5, input_rate=0.2), MLPConfig(seed=1)]
    ).eval()
    x, _ = _data()
    torch.manual_seed(0)
    s = thinned_proba(model, x, 4)
    assert s.shape == (4, 2, 20, 3) and not model.training
    assert not torch.allclose(s[0, 0], s[1, 0])
    for i in range(4):  # rate 0: every thinned network is the full network
        torch.testing.assert_close(s[i, 1], weight_scaled_proba(model, x)[1])


def test_average_proba_arithmetic_and_geometric():
    p = torch.tensor([[0.2, 0.8], [0.6, 0.4]])
    torch.testing.assert_close(average_proba(p), torch.tensor([0.4, 0.6]))
    g = np.sqrt([0.2 * 0.6, 0.8 * 0.4])
    torch.testing.assert_close(
        average_proba(p, "geometric"), torch.tensor(g / g.sum(), dtype=torch.float32)
    )
    same = torch.tensor([[0.1, 0.9]] * 3)
    torch.testing.assert_close(average_proba(same, "geometric"), same[0])
    with pytest.raises(ValueError, match="how"):
        average_proba(p, "harmonic")


def test_log_loss_and_error_match_numpy():
    g = np.random.default_rng(1)
    p = g.dirichlet(np.ones(4), size=(2, 10)).astype(np.float32)
    y = g.integers(0, 4, size=10)
    loss, error = log_loss_and_error(torch.from_numpy(p), y)
    assert loss.shape == error.shape == (2,)
    np.testing.assert_allclose(loss, -np.log(p[:, np.arange(10), y]).mean(1), rtol=1e-5)
    np.testing.assert_allclose(error, (p.argmax(-1) != y).mean(1))
    # the one log-loss clip: a confident mistake costs what companion.reference.log_loss says
    p[0, 0] = np.eye(4)[(y[0] + 1) % 4]
    loss, _ = log_loss_and_error(torch.from_numpy(p), y)
    np.testing.assert_allclose(loss, [log_loss(member, y) for member in p], rtol=1e-12)
    with pytest.raises(ValueError, match="proba"):
        log_loss_and_error(torch.from_numpy(p), y[:5])


def test_mc_curve_shapes_and_members_without_dropout():
    model = _model([MLPConfig(seed=0, hidden_rate=0.5), MLPConfig(seed=1)])
    x, y = _data()
    torch.manual_seed(0)
    c = mc_curve(model, x, y, [1, 3, 5], n_repeats=2)
    for how in ("arithmetic", "geometric"):
        assert c.log_loss[how].shape == c.error[how].shape == (2, 3, 2)
        # without dropout every average is the full network
        np.testing.assert_allclose(
            c.log_loss[how][:, :, 1], c.weight_scaled_log_loss[1], rtol=1e-5
        )
    assert c.log_loss["arithmetic"][0, 0, 0] == pytest.approx(
        c.log_loss["geometric"][0, 0, 0], rel=1e-5
    )


def test_geometric_mc_average_of_one_softmax_layer_tends_to_weight_scaling():
    # With input dropout only and no hidden layer, the logits are linear in the mask, so the
    # normalized geometric mean over masks is exactly softmax(mean logits) = the full network.
    model = _model([MLPConfig(seed=0, input_rate=0.5)], sizes=(6, 3))
    x, y = _data(n=50)
    torch.manual_seed(0)
    c = mc_curve(model, x, y, [1, 4000], n_repeats=1)
    first, last = (
        abs(c.log_loss["geometric"][0, j, 0] - c.weight_scaled_log_loss[0])
        for j in (0, 1)
    )
    assert last < 0.02 * max(first, 1e-3) + 5e-3


@pytest.mark.parametrize("ks", [[], [3, 2], [0, 1], [2, 2]])
def test_mc_curve_refuses_bad_ks(ks):
    x, y = _data()
    with pytest.raises(ValueError, match="ks"):
        mc_curve(_model([MLPConfig(seed=0, hidden_rate=0.5)]), x, y, ks)


def test_refuses_other_models():
    x, _ = _data()
    with pytest.raises(TypeError, match="BatchedMLP"):
        weight_scaled_proba(torch.nn.Linear(6, 3), x)
