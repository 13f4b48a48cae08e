"""The PyTorch versions: from-scratch dropout modules, MC dropout, training helpers, conversion.

They follow the conventions of :mod:`companion.reference` (``rate`` is the drop probability, a
dropped value is exactly zero) and import PyTorch when imported. Modules:
:mod:`~companion.torch.dropout` (``apply_mask``, a ``Dropout`` module, ``DropConnectLinear``,
MC dropout), :mod:`~companion.torch.training` (the one torch trainer), :mod:`~companion.torch.batched`
(many MLPs trained at once, for sweeps) and
:mod:`~companion.torch.convert` (the reference network as an ``nn.Sequential``).
"""
