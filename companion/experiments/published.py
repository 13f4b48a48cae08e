"""Published results that chapters set beside their own measurements; none is measured here.

Used by chapters 4 and 6.

Each constant names its source. MNIST has 60,000 training and 10,000 test images
(``MNIST_TRAIN``, ``MNIST_TEST``); the offline set of this book is a few thousand of them.
"""

from __future__ import annotations

__all__ = ["MNIST_TEST", "MNIST_TRAIN", "SRIVASTAVA_TABLE9"]

MNIST_TRAIN, MNIST_TEST = 60_000, 10_000

#: Srivastava et al. (2014), table 9: test error (%) on the MNIST test set of one network
#: (784-1024-1024-2048-10, ReLU) trained with different regularizers; the like-for-like
#: comparison of dropout with L2 in that paper.
SRIVASTAVA_TABLE9 = {"L2": 1.62, "dropout + L2": 1.25, "dropout + max-norm": 1.05}
