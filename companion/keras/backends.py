"""The source article's Keras MNIST model, trained on any Keras 3 backend, here or in a child process.

Keras 3 fixes its backend (TensorFlow, PyTorch, JAX) once per process, when ``keras`` is first
imported (from the ``KERAS_BACKEND`` environment variable or ``~/.keras/keras.json``). To run the
same model on another backend, ``run_on_backend`` starts a fresh Python process with
``KERAS_BACKEND`` set, which trains with ``fit_and_evaluate`` and prints its results as one line
of JSON on standard output; the parent parses it and returns a dict. The model itself comes
from ``companion.keras.models.build_mlp``.

Keras is imported inside the functions, not when this module is imported, so that
``run_on_backend`` can be called from a process that never imports Keras.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..seeding import seed_everything
from ..validation import check_positive_int, check_rate

__all__ = ["BACKENDS", "fit_and_evaluate", "dropout_mask", "run_on_backend", "main"]

#: The Keras 3 backends that ``run_on_backend`` accepts.
BACKENDS = ("tensorflow", "torch", "jax")
# the folder that holds the companion package
_ROOT = Path(__file__).resolve().parents[2]


def fit_and_evaluate(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    rate: float,
    seed: int,
    hidden_units: Sequence[int] = (512,),
    epochs: int = 10,
    batch_size: int = 128,
    validation_split: float = 0.2,
    keep_model: bool = False,
) -> dict[str, Any]:
    """Train and test the source article's Keras MNIST model once, on the current Keras backend.

    The article's recipe: ``companion.keras.models.build_mlp(hidden_units, rate)`` (784-512-10,
    ReLU, ``Dropout(rate)``, softmax, Adam, categorical cross-entropy; no Dropout layer at
    ``rate=0``), trained by :func:`companion.keras.training.fit` with ``validation_split``
    (Keras holds out the *last* part of the training arrays, before shuffling), then
    ``evaluate`` on the test set.

    Parameters
    ----------
    x_train, y_train, x_test, y_test
        Images of shape (n, 784) and integer labels 0-9 (one-hot encoded here).
    rate
        Dropout rate (0 for the twin without dropout).
    seed
        Passed to ``companion.seed_everything`` after ``keras.backend.clear_session()`` and
        before the model is built: it fixes the initial weights (the same for both rates), the
        shuffling and the dropout masks, on one backend.
    hidden_units
        Widths of the hidden layers.
    epochs, batch_size, validation_split
        As in ``keras.Model.fit``.
    keep_model
        Also return the fitted model under the key ``"model"`` (the dict is then no longer
        JSON-serializable).

    Returns
    -------
    dict
        ``backend``, ``rate``, ``seed``; ``history``: the run's
        :class:`~companion.history.History` as a dict (:meth:`~companion.history.History.to_dict`;
        ``train_*`` is the fitted part of the training set, ``val_*`` the held-out split);
        ``initial_weights`` (the first 8 initial weights of the first layer, a fingerprint of
        the initialization); ``test_loss``, ``test_acc``; and ``model`` if ``keep_model``.
    """
    import keras

    from .models import build_mlp, one_hot
    from .training import fit

    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"validation_split must be in (0, 1), got {validation_split!r}"
        )
    x_train = np.asarray(x_train, dtype=np.float32)
    x_test = np.asarray(x_test, dtype=np.float32)
    y_train_1h, y_test_1h = one_hot(np.asarray(y_train)), one_hot(np.asarray(y_test))
    keras.backend.clear_session()
    seed_everything(seed)
    model = build_mlp(tuple(hidden_units), rate, input_dim=x_train.shape[1])
    first_weights = keras.ops.convert_to_numpy(model.trainable_weights[0])[0, :8]
    history = fit(
        model,
        x_train,
        y_train_1h,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
    )
    test_loss, test_acc = model.evaluate(x_test, y_test_1h, verbose=0)
    result: dict[str, Any] = {
        "backend": keras.backend.backend(),
        "rate": float(rate),
        "seed": int(seed),
        "history": history.to_dict(),
        "initial_weights": [float(w) for w in first_weights],
        "test_loss": float(test_loss),
        "test_acc": float(test_acc),
    }
    if keep_model:
        result["model"] = model
    return result


def dropout_mask(seed: int, *, n: int = 1000, rate: float = 0.5) -> list[int]:
    """The mask that a fresh ``keras.layers.Dropout(rate, seed=seed)`` draws on its first call.

    Calls the layer once with ``training=True`` on a row of ``n`` ones and returns 1 where the
    value was kept, 0 where it was dropped. On one backend the same seed gives the same mask;
    on different backends it does not (each backend has its own random-number generator).
    """
    import keras

    layer = keras.layers.Dropout(check_rate(rate), seed=int(seed))
    out = keras.ops.convert_to_numpy(
        layer(np.ones((1, check_positive_int(n, "n")), np.float32), training=True)
    )
    return [int(v) for v in (out[0] != 0)]


def run_on_backend(
    backend: str,
    *,
    rates: Sequence[float] = (0.2, 0.0),
    seeds: Sequence[int] = (0,),
    epochs: int = 10,
    batch_size: int = 128,
    validation_split: float = 0.2,
    mask_seed: int = 42,
    n_train: int | None = None,
    n_test: int | None = None,
    timeout: float = 600.0,
) -> dict[str, Any]:
    """Train the MNIST model on another Keras backend, in a child process, and return the results.

    The child is ``python -m companion.keras.backends CONFIG`` with ``KERAS_BACKEND=backend``
    and this process's environment otherwise (thread settings included). It loads MNIST with
    ``companion.data.load_mnist`` (the same lookup, so the same data), runs
    ``fit_and_evaluate`` for every rate and seed, and prints one line of JSON.

    On a backend other than TensorFlow the child keeps TensorFlow from being imported:
    ``keras.utils.set_random_seed`` imports it whenever it is installed, only to seed TensorFlow's
    own generator (several seconds, for a generator that run does not use).

    Parameters
    ----------
    backend
        ``"tensorflow"``, ``"torch"`` or ``"jax"``.
    rates, seeds
        Every combination is trained, rates in the outer loop.
    epochs, batch_size, validation_split
        Passed to ``fit_and_evaluate``.
    mask_seed
        Seed of the ``dropout_mask`` that the child also reports.
    n_train, n_test
        Use only the first ``n_train`` training and ``n_test`` test images (None: all); for tests.
    timeout
        Seconds before the child is killed (``subprocess.TimeoutExpired``).

    Returns
    -------
    dict
        ``backend``, ``keras_version``, ``framework_version``, ``import_seconds`` (importing
        Keras and its backend in the child), ``wall_seconds`` (the whole child process, seen from
        here), ``data`` (``MNIST.describe()``), ``tensorflow_imported`` (whether TensorFlow ended
        up loaded in the child), ``mask`` (from ``dropout_mask(mask_seed)``) and ``runs``: one
        ``fit_and_evaluate`` dict per (rate, seed).

    Raises
    ------
    ValueError
        For an unknown backend.
    RuntimeError
        If the child fails; the message holds the end of its standard error.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    config = {
        "backend": backend,
        "rates": [check_rate(r) for r in rates],
        "seeds": [int(s) for s in seeds],
        "epochs": check_positive_int(epochs, "epochs"),
        "batch_size": check_positive_int(batch_size, "batch_size"),
        "validation_split": float(validation_split),
        "mask_seed": int(mask_seed),
        "n_train": None if n_train is None else check_positive_int(n_train, "n_train"),
        "n_test": None if n_test is None else check_positive_int(n_test, "n_test"),
    }
    python_path = os.pathsep.join(
        p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": python_path,
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "companion.keras.backends", json.dumps(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"the {backend} child process failed (exit code {done.returncode}):\n"
            f"{done.stderr[-3000:]}"
        )
    result = json.loads(lines[-1])
    result["wall_seconds"] = wall
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the child process: ``python -m companion.keras.backends CONFIG_JSON``."""
    config = json.loads((sys.argv[1:] if argv is None else argv)[0])
    backend = config["backend"]
    if os.environ.get("KERAS_BACKEND") != backend:
        raise RuntimeError(
            f"KERAS_BACKEND is {os.environ.get('KERAS_BACKEND')!r}, expected {backend!r}"
        )
    if backend != "tensorflow" and "tensorflow" not in sys.modules:
        # see run_on_backend
        sys.modules["tensorflow"] = None  # type: ignore[assignment]
    start = time.perf_counter()
    import keras

    framework = __import__(
        {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}[backend]
    )
    import_seconds = time.perf_counter() - start
    if keras.backend.backend() != backend:
        raise RuntimeError(
            f"Keras runs on {keras.backend.backend()!r}, expected {backend!r}"
        )
    from ..data import load_mnist

    data = load_mnist(verbose=False)
    n_train, n_test = config["n_train"], config["n_test"]
    runs = [
        fit_and_evaluate(
            data.x_train[:n_train],
            data.y_train[:n_train],
            data.x_test[:n_test],
            data.y_test[:n_test],
            rate=rate,
            seed=seed,
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            validation_split=config["validation_split"],
        )
        for rate in config["rates"]
        for seed in config["seeds"]
    ]
    result = {
        "backend": backend,
        "keras_version": keras.__version__,
        "framework_version": framework.__version__,
        "import_seconds": import_seconds,
        "data": data.describe(),
        "tensorflow_imported": sys.modules.get("tensorflow") is not None,
        "mask": dropout_mask(config["mask_seed"]),
        "runs": runs,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
