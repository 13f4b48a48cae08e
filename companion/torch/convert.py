"""Conversion of the from-scratch NumPy network into its PyTorch twin."""

from __future__ import annotations

from typing import Any

from ..reference.layers import Dense, Dropout, ReLU, Sequential

__all__ = ["to_torch"]


def to_torch(model: Sequential) -> Any:
    """The same network as a ``torch.nn.Sequential``, starting from the same weights.

    ``Dense`` becomes ``nn.Linear`` (which stores its weight matrix transposed), ``ReLU`` becomes
    ``nn.ReLU`` and ``Dropout`` becomes ``nn.Dropout`` at the same rate; the random draws (masks)
    are of course PyTorch's own. Only inverted dropout has a PyTorch twin: a ``Dropout`` with
    ``scaling="standard"`` raises a ValueError. PyTorch is imported here, not with this module.
    """
    import torch
    from torch import nn

    layers = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense):
            linear = nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.W.T))
                linear.bias.copy_(torch.from_numpy(layer.b))
            layers.append(linear)
        elif isinstance(layer, ReLU):
            layers.append(nn.ReLU())
        elif isinstance(layer, Dropout):
            if layer.scaling != "inverted":
                raise ValueError(
                    f"layers[{i}] uses scaling={layer.scaling!r}; nn.Dropout only does inverted dropout"
                )
            layers.append(nn.Dropout(layer.rate))
        else:
            raise TypeError(f"layers[{i}] has no PyTorch twin: {layer!r}")
    return nn.Sequential(*layers)
