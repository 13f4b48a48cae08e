"""Optimizers of the from-scratch network: plain SGD and Adam (Kingma and Ba 2015).

Both update a dict of parameter arrays in place from a dict of gradients with the same keys, as
returned by ``Sequential.params()`` and ``Sequential.grads()``.
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_real, check_same_keys

__all__ = ["SGD", "Adam"]


class SGD:
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    Each step, with ``g = grad + weight_decay * param``: ``v = momentum * v + g`` (``v = g`` on the
    first step) and ``param -= lr * v`` -- the same update as ``torch.optim.SGD``.

    Examples
    --------
    Two steps with the same gradient: ``v`` is 1, then ``0.9 * 1 + 1 = 1.9``:

    >>> params = {"w": np.array([1.0, -2.0])}
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.step(params, {"w": np.array([1.0, 1.0])})
    >>> params["w"]  # updated in place: 1 - 0.1 - 0.19 and -2 - 0.1 - 0.19
    array([ 0.71, -2.29])
    >>> SGD(lr=0)
    Traceback (most recent call last):
        ...
    ValueError: lr must be a finite number in (0, inf), got 0
    """

    def __init__(
        self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        self.lr = check_real(lr, "lr", low=0.0, low_open=True)
        self.momentum = check_real(
            momentum, "momentum", low=0.0, high=1.0, high_open=True
        )
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place, using ``grads`` (same keys)."""
        check_same_keys(params, grads)
        for key, p in params.items():
            g = grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                v = self.velocity.get(key)
                if v is None:
                    v = self.velocity[key] = g.copy()
                else:
                    v *= self.momentum
                    v += g
                g = v
            p -= self.lr * g


class Adam:
    """Adam: steps scaled by running estimates of the gradient's first and second moments (Kingma & Ba 2015).

    After ``t`` steps, with ``g = grad + weight_decay * param`` (L2 decay added to the gradient,
    as in ``torch.optim.Adam``; AdamW would decouple it):
    ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g**2`` and
    ``param -= lr / (1 - beta1**t) * m / (sqrt(v / (1 - beta2**t)) + eps)``.

    References
    ----------
    Kingma and Ba, "Adam: a method for stochastic optimization", ICLR 2015.

    Examples
    --------
    Thanks to the bias correction, the first step moves each parameter by about ``lr`` against
    the sign of its gradient, whatever the gradient's size:

    >>> params = {"w": np.array([1.0, 1.0])}
    >>> Adam(lr=0.1).step(params, {"w": np.array([1e-3, -50.0])})
    >>> np.round(params["w"], 4)
    array([0.9, 1.1])
    """

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr = check_real(lr, "lr", low=0.0, low_open=True)
        self.beta1 = check_real(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self.beta2 = check_real(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place, using ``grads`` (same keys)."""
        check_same_keys(params, grads)
        self.t += 1
        step_size = self.lr / (1.0 - self.beta1**self.t)
        sqrt_correction2 = math.sqrt(1.0 - self.beta2**self.t)
        for key, p in params.items():
            g = grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if key not in self.m:
                self.m[key] = np.zeros_like(p)
                self.v[key] = np.zeros_like(p)
            m, v = self.m[key], self.v[key]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * np.square(g)
            denom = np.sqrt(v)
            denom /= sqrt_correction2
            denom += self.eps
            p -= step_size * m / denom
