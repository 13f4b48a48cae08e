"""The Keras 3 versions: a from-scratch ``Dropout`` layer, MC dropout, models, trainer, backends.

They follow the conventions of :mod:`companion.reference` and import Keras when imported.
Modules: :mod:`~companion.keras.dropout` (the layers), :mod:`~companion.keras.models` (the
article's MLPs), :mod:`~companion.keras.training` (the one Keras trainer, which records a
:class:`companion.history.History`, and runs over seeds) and :mod:`~companion.keras.backends`
(the same model on the TensorFlow and the PyTorch backend, each in its own process).
"""
