"""The sign of the pixel layer's initial weights, chosen on the data so that its ReLU starts open on the
bright pixels.

The pixel prediction is :math:`\\hat A_0^t = \\min(1, \\mathrm{ReLU}(z^t))` with
:math:`z^t = \\mathrm{Conv}(R_0^t)`. Where :math:`z^t \\le 0` the ReLU passes no gradient, and on a black
background the L1 error only pushes :math:`z` down. A network that starts with :math:`z < 0` on most of the
bright pixels therefore closes its ReLU everywhere within a few steps and predicts black frames.

:func:`orient_pixel_layer_` draws nothing new: the Glorot-uniform weights and the zero bias are symmetric
about 0, so the network with the pixel kernel and bias negated is an equally likely draw of the same
initialisation. Of the two, it keeps the one whose :math:`z^t` is positive on the larger share of the bright
pixels (a data-dependent initialisation, decided before the first training step).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bookkit.prednet.model import PredNet


@dataclass(frozen=True)
class PixelOrientation:
    """Share of bright pixels with :math:`z > 0` under the drawn sign and under the negated one."""

    drawn: float
    negated: float

    @property
    def flipped(self) -> bool:
        return self.negated > self.drawn

    @property
    def kept(self) -> float:
        return max(self.drawn, self.negated)


@torch.no_grad()
def open_fraction(net: PredNet, frames: torch.Tensor) -> float:
    """Share of the bright pixels (:math:`x_t > 0`, :math:`t \\ge 1`) of ``frames`` (B, T, C, H, W) at which
    the pixel pre-activation :math:`z^t = \\mathrm{Conv}(R_0^t)` is positive.

    Step 0 is left out: there :math:`R_0^0` comes from the all-zero state, so :math:`z^0` is the bias
    everywhere."""
    pre_activations: list[torch.Tensor] = []
    hook = _pixel_conv(net).register_forward_hook(lambda _m, _i, out: pre_activations.append(out))
    try:
        net(frames)
    finally:
        hook.remove()
    z = torch.stack(pre_activations, dim=1)[:, 1:]
    bright = frames[:, 1:] > 0
    if not bright.any():
        raise ValueError("the frames have no bright pixel after step 0 to orient the pixel layer on")
    return (z[bright] > 0).double().mean().item()


def _pixel_conv(net: PredNet) -> nn.Conv2d:
    conv = net.predict[0]
    assert isinstance(conv, nn.Conv2d)  # narrows the type for the checker
    return conv


@torch.no_grad()
def _negate_pixel_layer(net: PredNet) -> None:
    conv = _pixel_conv(net)
    assert conv.bias is not None  # make_conv builds every PredNet conv with a bias
    conv.weight.neg_()
    conv.bias.neg_()


@torch.no_grad()
def orient_pixel_layer_(net: PredNet, frames: torch.Tensor) -> PixelOrientation:
    """Keep the sign of the pixel kernel and bias, :math:`\\pm(W_0, b_0)`, that opens the ReLU of
    :math:`\\hat A_0` on more of the bright pixels of ``frames`` (:func:`open_fraction`); ties keep the drawn
    sign. Changes ``net`` in place."""
    drawn = open_fraction(net, frames)
    _negate_pixel_layer(net)
    orientation = PixelOrientation(drawn=drawn, negated=open_fraction(net, frames))
    if not orientation.flipped:
        _negate_pixel_layer(net)
    return orientation
