"""Dropout from scratch as a Keras 3 layer, and Monte Carlo dropout helpers.

Written with ``keras.ops`` and ``keras.random`` only, so it runs unchanged on the TensorFlow and
the PyTorch backend. ``Dropout`` is inverted dropout (Srivastava et al. 2014): in training each
element is zeroed with probability ``rate`` and the kept ones are divided by ``1 - rate``; at
inference it is the identity. Dropped values are *selected* away (``keras.ops.where``), so a
dropped ``inf`` or ``NaN`` becomes exactly 0, as in ``keras.layers.Dropout``.

Monte Carlo dropout (Gal and Ghahramani 2016) keeps dropout on at inference and averages several
stochastic passes. In Keras, ``model(x, training=True)`` is the wrong switch: it also makes
BatchNormalization normalize with batch statistics and move its moving statistics. And a
``Dropout(...)(h, training=True)`` baked into a functional model is overridden by an outer
``training=False`` (``predict`` then is deterministic). ``MCDropout`` forces ``training=True``
inside its own ``call``, which nothing outside can override; ``to_mc_dropout`` swaps it in for
every dropout layer of a model and leaves everything else untouched.

References
----------
Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov, "Dropout: a simple way to prevent
neural networks from overfitting", JMLR 15, 2014.
Gal and Ghahramani, "Dropout as a Bayesian approximation: representing model uncertainty in
deep learning", ICML 2016.
Tompson, Goroshin, Jain, LeCun and Bregler, "Efficient object localization using convolutional
networks", CVPR 2015 (SpatialDropout).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from ..validation import check_noise_shape, check_positive_int, check_rate, check_seed

__all__ = ["apply_mask", "Dropout", "MCDropout", "to_mc_dropout", "mc_predict"]

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _check_float_tensor(x: Any, name: str) -> Any:
    """Convert ``x`` to a backend tensor, refusing integer, boolean and complex data with a TypeError."""
    dtype = keras.backend.standardize_dtype(
        getattr(x, "dtype", None) or np.asarray(x).dtype
    )
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"{name} must hold floating-point values ({', '.join(_FLOAT_DTYPES)}), got dtype {dtype}"
        )
    return ops.convert_to_tensor(x)


def apply_mask(x: Any, keep: Any, rate: float) -> Any:
    """Apply a given keep-mask with inverted dropout's scaling, in ``keras.ops``.

    Kept values are multiplied by ``1 / (1 - rate)``; dropped values are selected to exactly 0,
    so a dropped ``inf`` or ``NaN`` becomes 0 and ``rate = 1`` gives zeros. The same semantics as
    ``companion.reference.functional.apply_mask`` and ``companion.torch.dropout.apply_mask``.

    Parameters
    ----------
    x
        Floating-point tensor or array.
    keep
        Boolean tensor or array, True where a value is kept; it must broadcast to ``x``'s shape.
    rate
        Drop probability in [0, 1].

    Returns
    -------
    tensor
        A backend tensor of ``x``'s shape and dtype.

    Examples
    --------
    >>> x = np.array([1.0, np.inf, np.nan, 4.0], dtype="float32")
    >>> keep = np.array([True, False, False, True])
    >>> ops.convert_to_numpy(apply_mask(x, keep, 0.5))  # dropped inf and NaN become exactly 0
    array([2., 0., 0., 8.], dtype=float32)
    """
    x = _check_float_tensor(x, "x")
    rate = check_rate(rate, name="rate")
    keep_dtype = keras.backend.standardize_dtype(
        getattr(keep, "dtype", None) or np.asarray(keep).dtype
    )
    if keep_dtype != "bool":
        raise TypeError(f"keep must be a boolean mask, got dtype {keep_dtype}")
    if rate == 1.0:
        return ops.zeros_like(x)
    keep = ops.broadcast_to(ops.convert_to_tensor(keep), ops.shape(x))
    return ops.where(keep, x * (1.0 / (1.0 - rate)), ops.zeros_like(x))


@keras.saving.register_keras_serializable(package="companion")
class Dropout(keras.layers.Layer):
    """Inverted dropout from scratch (Srivastava et al. 2014), a drop-in for ``keras.layers.Dropout``.

    When called with ``training=True`` (as ``fit`` does) each element is zeroed with probability
    ``rate`` and the kept ones are divided by the keep probability ``1 - rate``; otherwise (as
    in ``predict`` or a plain ``model(x)``) the layer returns its input.

    Parameters
    ----------
    rate
        Probability of dropping an element, a real number in [0, 1].
    noise_shape
        Shape of the mask, broadcast against the input, one entry per input axis: an entry of
        1 shares one draw along that axis, None takes the input's size. For example
        ``(None, 1, None)`` on (batch, steps, features) inputs draws one mask per sample and
        feature, shared by all time steps.
    seed
        Int seed of the layer's ``keras.random.SeedGenerator``, or None. The same seed gives the
        same sequence of masks on one backend (not across backends). On the TensorFlow backend
        the masks are those of ``keras.layers.Dropout`` with the same seed (float32 and float64
        inputs).
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Notes
    -----
    An element is kept where a uniform draw in [0, 1) is at least ``rate``, and dropped values
    are selected away: a dropped ``inf`` or ``NaN`` becomes 0, and ``rate = 1`` gives zeros.
    Under the default dtype policy, Keras casts floating-point inputs to the layer's compute
    dtype (float32) before ``call``: float16 and float64 inputs come back float32. Pass
    ``dtype="float64"`` (or set a policy) to keep them. Integer, boolean and complex inputs are
    refused with a TypeError.

    Examples
    --------
    >>> layer = Dropout(0.5, seed=0)
    >>> x = np.ones((10, 10), dtype="float32")
    >>> np.array_equal(ops.convert_to_numpy(layer(x)), x)  # no training=True (predict, model(x)): identity
    True
    >>> np.unique(ops.convert_to_numpy(layer(x, training=True)))  # dropped 0, kept 1 / (1 - rate)
    array([0., 2.], dtype=float32)

    A ``noise_shape`` entry of 1 shares one draw along that axis, here one per row:

    >>> layer = Dropout(0.5, noise_shape=(None, 1), seed=1)
    >>> y = ops.convert_to_numpy(layer(np.ones((6, 3)), training=True))
    >>> bool((y == y[:, :1]).all())
    True
    >>> y.dtype  # the float64 input was cast to the default policy's float32
    dtype('float32')
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(rate, name="rate")
        self.noise_shape = check_noise_shape(noise_shape)
        self.seed = None if seed is None else check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.supports_masking = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        inputs = _check_float_tensor(inputs, "inputs")
        if not training or self.rate == 0.0:
            return inputs
        # Uniforms in float64 for float64 inputs, float32 otherwise: on the TensorFlow backend this
        # is the draw keras.layers.Dropout makes, so the same seed gives the same mask.
        draw_dtype = (
            "float64"
            if keras.backend.standardize_dtype(inputs.dtype) == "float64"
            else "float32"
        )
        uniform = keras.random.uniform(
            self._mask_shape(inputs), dtype=draw_dtype, seed=self.seed_generator
        )
        return apply_mask(inputs, ops.greater_equal(uniform, self.rate), self.rate)

    def _mask_shape(self, inputs: Any) -> tuple:
        shape = ops.shape(inputs)
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"noise_shape {self.noise_shape} must have one entry per axis of the input, "
                f"which has {len(shape)} axes"
            )
        return tuple(
            size if entry is None else entry
            for entry, size in zip(self.noise_shape, shape)
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "rate": self.rate,
                "noise_shape": None
                if self.noise_shape is None
                else list(self.noise_shape),
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class MCDropout(Dropout):
    """Dropout that is always on: Monte Carlo dropout (Gal and Ghahramani 2016).

    ``call`` ignores the ``training`` argument and always drops, so ``predict``, ``model(x)``
    and an outer ``training=False`` all give stochastic outputs, while every other layer
    (BatchNormalization in particular) still follows ``training``. Average several passes with
    ``mc_predict``. Same parameters as ``Dropout``.

    Examples
    --------
    >>> layer = MCDropout(0.5, seed=0)
    >>> np.unique(ops.convert_to_numpy(layer(np.ones((10, 10), "float32"), training=False)))  # drops anyway
    array([0., 2.], dtype=float32)
    """

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        return super().call(inputs, training=True)


def _spatial_noise_shape(layer: keras.layers.Layer) -> tuple[int | None, ...]:
    """The noise shape (None for batch and channels, 1 for the spatial axes) of a SpatialDropoutND layer."""
    n_spatial = {
        keras.layers.SpatialDropout1D: 1,
        keras.layers.SpatialDropout2D: 2,
        keras.layers.SpatialDropout3D: 3,
    }
    spatial = (1,) * next(n for cls, n in n_spatial.items() if isinstance(layer, cls))
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return (None, None) + spatial
    return (None,) + spatial + (None,)


def _mc_clone(layer: keras.layers.Layer) -> keras.layers.Layer:
    """clone_function for ``to_mc_dropout``: MCDropout for a dropout layer, a fresh copy otherwise."""
    spatial = (
        keras.layers.SpatialDropout1D,
        keras.layers.SpatialDropout2D,
        keras.layers.SpatialDropout3D,
    )
    if isinstance(layer, Dropout):  # the companion's Dropout and MCDropout
        return MCDropout.from_config(layer.get_config())
    if isinstance(layer, keras.layers.Dropout):
        noise_shape = (
            _spatial_noise_shape(layer)
            if isinstance(layer, spatial)
            else layer.noise_shape
        )
        return MCDropout(
            layer.rate,
            noise_shape=noise_shape,
            seed=layer.seed,
            name=layer.name,
            dtype=layer.dtype_policy,
        )
    if isinstance(layer, (keras.layers.GaussianDropout, keras.layers.AlphaDropout)):
        raise ValueError(
            f"to_mc_dropout cannot convert layer {layer.name!r} of type {type(layer).__name__}: "
            "only Dropout and SpatialDropout1D/2D/3D layers have an MCDropout equivalent"
        )
    if _has_inner_dropout(layer):
        raise ValueError(
            f"to_mc_dropout cannot convert the dropout inside layer {layer.name!r} of type "
            f"{type(layer).__name__}: it is rebuilt from its config, with its dropout off at inference"
        )
    return layer.__class__.from_config(layer.get_config())


def _has_inner_dropout(layer: keras.layers.Layer) -> bool:
    """True if a layer that is not itself a dropout layer drops units inside: a dropout sublayer,
    or a positive ``dropout`` / ``recurrent_dropout`` rate (LSTM, GRU, MultiHeadAttention, ...)."""
    dropout_types = (
        keras.layers.Dropout,
        keras.layers.GaussianDropout,
        keras.layers.AlphaDropout,
        Dropout,
    )
    for sub in _all_layers(layer):
        if sub is not layer and isinstance(sub, dropout_types):
            return True
        for attr in ("dropout", "recurrent_dropout"):
            rate = getattr(sub, attr, 0)
            if isinstance(rate, numbers.Real) and rate > 0:
                return True
    return False


def _copy_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy the weights of every layer of ``source`` into the layer of the same name in ``target``."""
    for new in target.layers:
        # input layers (whose names clone_model changes), dropout, activations, ...
        if not new.weights:
            continue
        old = source.get_layer(new.name)
        if isinstance(new, keras.Model):
            _copy_weights(old, new)
        elif old.weights:
            new.set_weights(old.get_weights())


def to_mc_dropout(model: keras.Model) -> keras.Model:
    """Return a copy of ``model`` in which every dropout layer is an always-on ``MCDropout``.

    Converted: ``keras.layers.Dropout``, ``SpatialDropout1D/2D/3D`` (as an MCDropout with a
    noise shape that drops whole channels) and the companion's ``Dropout``; each keeps its rate,
    seed and name. Every other layer is copied with its weights, and so keeps following the
    ``training`` argument: calling the copy with ``training=False`` (or ``predict``) gives
    stochastic outputs while BatchNormalization uses its moving statistics and leaves them alone.
    The original model is not modified, and the copy is not compiled.

    Parameters
    ----------
    model
        A Sequential or functional ``keras.Model``; nested Sequential and functional models are
        converted too. Subclassed models cannot be cloned (``keras.models.clone_model`` raises).

    Raises
    ------
    ValueError
        If the model holds a kind of dropout that has no MCDropout equivalent
        (``GaussianDropout``, ``AlphaDropout``, the ``dropout`` and ``recurrent_dropout`` of
        recurrent layers, attention dropout, dropout layers inside custom layers): leaving it
        off would understate the uncertainty.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.5)])
    >>> mc = to_mc_dropout(model)
    >>> [type(layer).__name__ for layer in mc.layers]
    ['Dense', 'MCDropout']
    >>> np.array_equal(mc.layers[0].get_weights()[0], model.layers[0].get_weights()[0])  # weights copied
    True
    >>> noisy = keras.Sequential([keras.Input((4,)), keras.layers.GaussianDropout(0.1, name="noise")])
    >>> to_mc_dropout(noisy)
    Traceback (most recent call last):
        ...
    ValueError: to_mc_dropout cannot convert layer 'noise' of type GaussianDropout: only Dropout and
    SpatialDropout1D/2D/3D layers have an MCDropout equivalent
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    clone = keras.models.clone_model(model, clone_function=_mc_clone, recursive=True)
    _copy_weights(model, clone)
    return clone


def _all_layers(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    # Keras' own traversal, which also finds layers held inside custom layers.
    return layer._flatten_layers(include_self=True, recursive=True)


def mc_predict(
    model: keras.Model, x: Any, n_samples: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo dropout prediction (Gal and Ghahramani 2016; Srivastava et al. 2014, sec. 7.5).

    Calls ``model(x, training=False)`` ``n_samples`` times (MCDropout layers drop anyway; every
    other layer is in inference mode) and returns the mean and standard deviation of the
    outputs over the passes.

    Parameters
    ----------
    model
        A model that contains ``MCDropout`` layers: convert a trained model with
        ``to_mc_dropout`` first. Its outputs are averaged as they are (for a classifier, end it
        with a softmax to average probabilities).
    x
        Input batch (array or tensor).
    n_samples
        Number of stochastic passes, a positive int.

    Returns
    -------
    mean, std : numpy.ndarray
        Mean and standard deviation (population form, divided by ``n_samples``) over the passes,
        each of the shape of ``model(x)``.

    Raises
    ------
    ValueError
        If ``model`` holds no MCDropout layer: every pass would be the same.

    Examples
    --------
    >>> layers = [keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.5)]
    >>> model = keras.Sequential(layers, name="mlp")
    >>> mean, std = mc_predict(to_mc_dropout(model), np.ones((2, 4), "float32"), n_samples=20)
    >>> mean.shape, bool((std > 0).all())
    ((2, 3), True)
    >>> mc_predict(model, np.ones((2, 4), "float32"))  # the model before conversion
    Traceback (most recent call last):
        ...
    ValueError: model 'mlp' holds no MCDropout layer, so every pass would be the same: convert it with
    to_mc_dropout(model) first
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not any(isinstance(layer, MCDropout) for layer in _all_layers(model)):
        raise ValueError(
            f"model {model.name!r} holds no MCDropout layer, so every pass would be the same: "
            "convert it with to_mc_dropout(model) first"
        )
    samples = np.stack(
        [ops.convert_to_numpy(model(x, training=False)) for _ in range(int(n_samples))]
    )
    return samples.mean(axis=0), samples.std(axis=0)
