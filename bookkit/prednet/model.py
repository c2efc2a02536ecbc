"""PredNet (Lotter, Kreiman & Cox 2016) and its CNN-LSTM encoder-decoder control, in PyTorch.

Layers :math:`l = 0..L`. Each layer holds a target :math:`A_l`, a prediction :math:`\\hat A_l`, an error
:math:`E_l` (rectified positive and negative mismatch) and a ConvLSTM representation :math:`R_l` with cell
:math:`C_l`. One time step runs a top-down pass that updates every :math:`R_l` (top first), then a bottom-up
pass that computes :math:`\\hat A_l`, :math:`E_l` and :math:`A_{l+1}` (Algorithm 1 of the paper; the order of
the official Keras code, coxlab/prednet). The output at step :math:`t` is therefore a prediction of frame
:math:`t` made from frames :math:`< t`.

Details fixed by the official code and kept here: Keras-2 ``hard_sigmoid`` gates (slope 0.2, not torch's
1/6), no peepholes, Glorot-uniform kernels with zero biases (no forget bias of 1), nearest x2 upsampling,
2x2 max-pooling, and :math:`\\hat A_0` clipped at ``pixel_max = 1``. The error is stored in the paper's order
:math:`[\\mathrm{ReLU}(A-\\hat A); \\mathrm{ReLU}(\\hat A-A)]` (Keras stores the reverse; it matters only when
loading Keras weights).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

KITTI_STACKS: tuple[int, ...] = (3, 48, 96, 192)
"""The official KITTI configuration (RGB, 128x160), 6,915,948 parameters."""
FACES_STACKS: tuple[int, ...] = (1, 32, 64, 128, 256)
"""The paper's rotating-faces configuration (gray, 64x64), 12,510,842 parameters in our count."""

L0_WEIGHTS = "L_0"
LALL_WEIGHTS = "L_all"


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 2 ``hard_sigmoid``: :math:`\\sigma_h(x) = \\min(1, \\max(0, 0.2x + 0.5))`.

    ``torch.nn.functional.hardsigmoid`` is :math:`\\mathrm{relu6}(x+3)/6` (slope 1/6) and is *not* the same.
    """
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def layer_weights(name: str, num_layers: int) -> tuple[float, ...]:
    """:math:`\\lambda_l` of the paper: ``L_0`` = (1, 0, ..., 0); ``L_all`` = (1, 0.1, ..., 0.1)."""
    if name == L0_WEIGHTS:
        return (1.0,) + (0.0,) * (num_layers - 1)
    if name == LALL_WEIGHTS:
        return (1.0,) + (0.1,) * (num_layers - 1)
    raise ValueError(f"unknown layer weighting {name!r}; valid choices are: {L0_WEIGHTS}, {LALL_WEIGHTS}")


def time_weights(num_steps: int, device: torch.device | None = None) -> torch.Tensor:
    """:math:`\\lambda_t` of the official code: 0 at :math:`t=0`, :math:`1/(T-1)` after."""
    weights = torch.full((num_steps,), 1.0 / (num_steps - 1), device=device)
    weights[0] = 0.0
    return weights


def prednet_parameter_count(stacks: Sequence[int], r_stacks: Sequence[int] | None = None) -> int:
    """Closed-form parameter count for A stacks :math:`s_0..s_L` and R stacks :math:`r_0..r_L` (by default
    equal to the A stacks), 3x3 kernels:

    .. math::
        P=\\sum_{l=0}^{L}\\Big[4\\big(9(r_l+2s_l+r_{l+1})r_l+r_l\\big)+9r_ls_l+s_l\\Big]
        +\\sum_{l<L}(18s_ls_{l+1}+s_{l+1}),\\quad r_{L+1}=s_{L+1}=0.
    """
    a = list(stacks) + [0]
    r = list(stacks if r_stacks is None else r_stacks) + [0]
    if len(r) != len(a):
        raise ValueError(f"R stacks {tuple(r[:-1])} and A stacks {tuple(a[:-1])} differ in length")
    total = 0
    for layer in range(len(a) - 1):
        s, s_up, rl, r_up = a[layer], a[layer + 1], r[layer], r[layer + 1]
        total += 4 * (9 * (rl + 2 * s + r_up) * rl + rl) + 9 * rl * s + s
        if s_up:
            total += 18 * s * s_up + s_up
    return total


def prednet_macs_per_frame(
    stacks: Sequence[int], height: int, width: int, r_stacks: Sequence[int] | None = None
) -> int:
    """Multiply-accumulates of one forward time step (all 3x3 convolutions, biases and pointwise ops ignored),
    A stacks :math:`s_l`, R stacks :math:`r_l` (by default equal to the A stacks):

    .. math::
        \\mathrm{MAC}=\\sum_l \\frac{HW}{4^l}\\,9\\big[4r_l(r_l+2s_l+r_{l+1})+r_ls_l+2s_ls_{l+1}[l<L]\\big].
    """
    a = list(stacks) + [0]
    r = list(stacks if r_stacks is None else r_stacks) + [0]
    if len(r) != len(a):
        raise ValueError(f"R stacks {tuple(r[:-1])} and A stacks {tuple(a[:-1])} differ in length")
    total = 0
    for layer in range(len(a) - 1):
        s, s_up, rl, r_up = a[layer], a[layer + 1], r[layer], r[layer + 1]
        pixels = (height >> layer) * (width >> layer)
        total += pixels * 9 * (4 * rl * (rl + 2 * s + r_up) + rl * s + 2 * s * s_up)
    return total


def glorot_uniform_blocks_(weight: torch.Tensor, num_blocks: int, generator: torch.Generator | None) -> None:
    """Glorot-uniform init of a fused conv kernel, block by block along the output channels.

    Each block is one Keras conv of ``out // num_blocks`` filters:
    :math:`U(-a, a)`, :math:`a=\\sqrt{6/(\\mathrm{fan_{in}}+\\mathrm{fan_{out}})}`,
    :math:`\\mathrm{fan_{in}} = c_{in}k^2`, :math:`\\mathrm{fan_{out}} = c_{out}k^2`.
    """
    out_channels, in_channels, kh, kw = weight.shape
    block = out_channels // num_blocks
    bound = (6.0 / ((in_channels + block) * kh * kw)) ** 0.5
    with torch.no_grad():
        draw = torch.rand(weight.shape, generator=generator, dtype=weight.dtype) * (2 * bound) - bound
        weight.copy_(draw.to(weight.device))


def make_conv(
    in_channels: int, out_channels: int, num_blocks: int = 1, generator: torch.Generator | None = None
) -> nn.Conv2d:
    """A 3x3 'same' conv with Glorot-uniform kernel (per block) and zero bias, as Keras builds it."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
    glorot_uniform_blocks_(conv.weight, num_blocks, generator)
    assert conv.bias is not None  # nn.Conv2d builds a bias unless told not to; the assert narrows the type
    nn.init.zeros_(conv.bias)
    return conv


class ConvLSTMCell(nn.Module):
    """ConvLSTM without peepholes, gates from one fused conv of
    :math:`z = [R^{t-1}; X; \\mathrm{Up}(R_{l+1}^t)]`:

    .. math::
        i,f,o=\\sigma_h(W_{i,f,o}*z+b),\\quad C^t=f\\odot C^{t-1}+i\\odot\\tanh(W_c*z+b_c),
        \\quad R^t=o\\odot\\tanh(C^t)
    """

    def __init__(self, in_channels: int, hidden: int, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.hidden = hidden
        self.gates = make_conv(in_channels, 4 * hidden, num_blocks=4, generator=generator)

    def forward(self, z: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        i, f, o, candidate = self.gates(z).chunk(4, dim=1)
        cell = hard_sigmoid(f) * cell + hard_sigmoid(i) * torch.tanh(candidate)
        return hard_sigmoid(o) * torch.tanh(cell), cell


@dataclasses.dataclass
class VideoOutput:
    """What a forward pass returns.

    ``predictions``: :math:`\\hat A_0^t` for every step, shape (B, T, C, H, W); ``layer_errors``: the mean of
    :math:`E_l^t` over its units, shape (B, T, L+1) (only PredNet has upper-layer errors; the control
    reports its pixel error in column 0); ``representations``: when asked, :math:`R_l^t` for every step as
    a list over t of tuples over l.
    """

    predictions: torch.Tensor
    layer_errors: torch.Tensor
    representations: list[tuple[torch.Tensor, ...]] | None = None
    errors: list[tuple[torch.Tensor, ...]] | None = None


class PredNet(nn.Module):
    """The PredNet of Lotter et al. (2016); ``stacks`` = channels of :math:`A_l`, ``r_stacks`` = channels of
    :math:`R_l` (the official code's ``R_stack_sizes``; by default equal to ``stacks``, as in the paper's
    models).

    .. math::
        A_l^t=\\begin{cases}x_t & l=0\\\\
        \\mathrm{MaxPool}(\\mathrm{ReLU}(\\mathrm{Conv}(E_{l-1}^t))) & l>0\\end{cases},
        \\quad \\hat A_l^t=\\mathrm{ReLU}(\\mathrm{Conv}(R_l^t)),\\quad
        E_l^t=[\\mathrm{ReLU}(A_l^t-\\hat A_l^t);\\mathrm{ReLU}(\\hat A_l^t-A_l^t)]
    """

    def __init__(
        self,
        stacks: Sequence[int],
        pixel_max: float = 1.0,
        seed: int | None = None,
        r_stacks: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        self.stacks = tuple(int(s) for s in stacks)
        self.r_stacks = self.stacks if r_stacks is None else tuple(int(s) for s in r_stacks)
        if len(self.r_stacks) != len(self.stacks):
            raise ValueError(f"R stacks {self.r_stacks} and A stacks {self.stacks} differ in length")
        self.num_layers = len(self.stacks)
        self.pixel_max = pixel_max
        r_up = list(self.r_stacks[1:]) + [0]
        # the Keras gate input order: [R, E, Up(R_{l+1})]
        self.cells = nn.ModuleList(
            ConvLSTMCell(r + 2 * s + r_next, r, generator)
            for r, s, r_next in zip(self.r_stacks, self.stacks, r_up)
        )
        self.predict = nn.ModuleList(
            make_conv(r, s, generator=generator) for r, s in zip(self.r_stacks, self.stacks)
        )
        self.target = nn.ModuleList(
            make_conv(2 * s, s_up, generator=generator) for s, s_up in zip(self.stacks[:-1], self.stacks[1:])
        )

    def check_frame_size(self, height: int, width: int) -> None:
        factor = 2 ** (self.num_layers - 1)
        if height % factor or width % factor:
            raise ValueError(f"frame size {height}x{width} must be divisible by 2^L = {factor}")

    def initial_state(
        self, batch: int, height: int, width: int, like: torch.Tensor
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
        """:math:`R`, :math:`C`, :math:`E` all zero, at :math:`H/2^l \\times W/2^l`."""
        r, c, e = [], [], []
        for layer, (s, s_r) in enumerate(zip(self.stacks, self.r_stacks)):
            shape = (batch, s_r, height >> layer, width >> layer)
            r.append(like.new_zeros(shape))
            c.append(like.new_zeros(shape))
            e.append(like.new_zeros((batch, 2 * s, height >> layer, width >> layer)))
        return r, c, e

    def forward(
        self, frames: torch.Tensor, extrap_start: int | None = None, keep_states: bool = False
    ) -> VideoOutput:
        """Run over ``frames`` (B, T, C, H, W) in [0, 1].

        From step ``extrap_start`` on, the previous step's prediction :math:`\\hat A_0^{t-1}` replaces the
        observed frame (the official code's extrapolation mode; gradients flow through it).
        """
        batch, steps, _, height, width = frames.shape
        self.check_frame_size(height, width)
        r, c, e = self.initial_state(batch, height, width, frames)
        predictions, errors, kept_r, kept_e = [], [], [], []
        previous = None
        for t in range(steps):
            a = frames[:, t] if extrap_start is None or t < extrap_start or previous is None else previous
            # top-down pass: R_L first, each R_l reads the fresh Up(R_{l+1}^t)
            for layer in reversed(range(self.num_layers)):
                parts = [r[layer], e[layer]]
                if layer < self.num_layers - 1:
                    parts.append(F.interpolate(r[layer + 1], scale_factor=2, mode="nearest"))
                r[layer], c[layer] = self.cells[layer](torch.cat(parts, dim=1), c[layer])
            # bottom-up pass: \hat A_l, E_l, then A_{l+1}
            step_errors = []
            for layer in range(self.num_layers):
                a_hat = F.relu(self.predict[layer](r[layer]))
                if layer == 0:
                    a_hat = torch.clamp(a_hat, max=self.pixel_max)
                    previous = a_hat
                    predictions.append(a_hat)
                e[layer] = torch.cat([F.relu(a - a_hat), F.relu(a_hat - a)], dim=1)
                step_errors.append(e[layer].mean(dim=(1, 2, 3)))
                if layer < self.num_layers - 1:
                    a = F.max_pool2d(F.relu(self.target[layer](e[layer])), 2)
            errors.append(torch.stack(step_errors, dim=1))
            if keep_states:
                kept_r.append(tuple(r))
                kept_e.append(tuple(e))
        return VideoOutput(
            torch.stack(predictions, 1),
            torch.stack(errors, 1),
            kept_r if keep_states else None,
            kept_e if keep_states else None,
        )


class CNNLSTMControl(nn.Module):
    """The encoder-decoder control: the same stack, forwarding activations :math:`A_l` instead of errors.

    Our reconstruction of the paper's control:
    :math:`A_{l+1}=\\mathrm{MaxPool}(\\mathrm{ReLU}(\\mathrm{Conv}(A_l)))`,
    :math:`R_l` reads :math:`[R_l^{t-1}; A_l^{t-1}; \\mathrm{Up}(R_{l+1}^t)]`, only :math:`\\hat A_0` exists,
    and the loss is :math:`0.5\\,\\mathrm{L1}` on pixels for :math:`t\\ge1` (the same as PredNet's
    :math:`L_0`).
    """

    def __init__(self, stacks: Sequence[int], pixel_max: float = 1.0, seed: int | None = None) -> None:
        super().__init__()
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        self.stacks = tuple(int(s) for s in stacks)
        self.num_layers = len(self.stacks)
        self.pixel_max = pixel_max
        up = list(self.stacks[1:]) + [0]
        self.cells = nn.ModuleList(
            ConvLSTMCell(2 * s + s_up, s, generator) for s, s_up in zip(self.stacks, up)
        )
        self.predict = make_conv(self.stacks[0], self.stacks[0], generator=generator)
        self.encode = nn.ModuleList(
            make_conv(s, s_up, generator=generator) for s, s_up in zip(self.stacks[:-1], self.stacks[1:])
        )

    def forward(
        self, frames: torch.Tensor, extrap_start: int | None = None, keep_states: bool = False
    ) -> VideoOutput:
        batch, steps, _, height, width = frames.shape
        r = [frames.new_zeros((batch, s, height >> k, width >> k)) for k, s in enumerate(self.stacks)]
        c = [torch.zeros_like(x) for x in r]
        a = [torch.zeros_like(x) for x in r]
        predictions: list[torch.Tensor] = []
        errors: list[torch.Tensor] = []
        kept: list[tuple[torch.Tensor, ...]] = []
        for t in range(steps):
            for layer in reversed(range(self.num_layers)):
                parts = [r[layer], a[layer]]
                if layer < self.num_layers - 1:
                    parts.append(F.interpolate(r[layer + 1], scale_factor=2, mode="nearest"))
                r[layer], c[layer] = self.cells[layer](torch.cat(parts, dim=1), c[layer])
            prediction = torch.clamp(F.relu(self.predict(r[0])), max=self.pixel_max)
            observed = (
                frames[:, t]
                if extrap_start is None or t < extrap_start or not predictions
                else predictions[-1]
            )
            predictions.append(prediction)
            errors.append(0.5 * (observed - prediction).abs().mean(dim=(1, 2, 3)))
            a[0] = observed
            for layer in range(self.num_layers - 1):
                a[layer + 1] = F.max_pool2d(F.relu(self.encode[layer](a[layer])), 2)
            if keep_states:
                kept.append(tuple(r))
        layer_errors = torch.stack(errors, 1).unsqueeze(-1)
        return VideoOutput(torch.stack(predictions, 1), layer_errors, kept if keep_states else None)


def prednet_loss(layer_errors: torch.Tensor, weights: Sequence[float]) -> torch.Tensor:
    """The paper's loss with the official code's time weights:

    .. math::
        \\mathcal L=\\frac1B\\sum_b\\sum_t\\lambda_t\\sum_l\\frac{\\lambda_l}{n_l}\\sum_{\\text{units}}E_l^t,
        \\quad \\lambda_t = (0, \\tfrac1{T-1}, \\dots, \\tfrac1{T-1}).

    ``layer_errors`` (B, T, L+1) already holds :math:`\\frac1{n_l}\\sum E_l^t`. Under :math:`L_0` this equals
    :math:`0.5\\,\\mathrm{mean}|x_t-\\hat x_t|` over :math:`t\\ge1`.
    """
    _, steps, layers = layer_errors.shape
    lam_l = torch.tensor(list(weights)[:layers], dtype=layer_errors.dtype, device=layer_errors.device)
    lam_t = time_weights(steps, layer_errors.device).to(layer_errors.dtype)
    return torch.einsum("btl,t,l->b", layer_errors, lam_t, lam_l).mean()


def build_model(
    kind: str, stacks: Sequence[int], seed: int | None = None, r_stacks: Sequence[int] | None = None
) -> nn.Module:
    """``"prednet"`` or ``"cnn_lstm"`` with the given stacks (``r_stacks``, the channels of :math:`R_l`,
    only for PredNet; the control's representation is its activation stack)."""
    if kind == "prednet":
        return PredNet(stacks, seed=seed, r_stacks=r_stacks)
    if kind == "cnn_lstm":
        if r_stacks is not None and tuple(r_stacks) != tuple(stacks):
            raise ValueError("the CNN-LSTM control has no separate R stacks")
        return CNNLSTMControl(stacks, seed=seed)
    raise ValueError(f"unknown model kind {kind!r}; valid choices are: prednet, cnn_lstm")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
