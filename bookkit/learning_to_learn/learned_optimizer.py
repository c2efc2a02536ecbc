r"""The learned update rule: a two-layer LSTM applied to every coordinate separately (Sec. 2.1 and App. A).

The optimizee parameters $\theta\in\mathbb R^{n\times P}$ ($n$ independent instances of a $P$-parameter
problem) are flattened to $N=nP$ coordinates, and the same LSTM with weights $\phi$ runs on all of them as
one batch, each coordinate keeping its own hidden state:

$$\big(g_t^{(i)},h_{t+1}^{(i)}\big)=m\big(\tilde\nabla_t^{(i)},h_t^{(i)};\phi\big),\qquad
\theta_{t+1}=\theta_t+g_t .$$

Because coordinates are a batch dimension, the rule is equivariant to permutations of the coordinates and
serves problems of any size with the same 5,301 weights (2 inputs, 20 units).
"""

from __future__ import annotations

import math

import torch
from torch import nn

LSTMState = tuple[torch.Tensor, ...]
"""``(h_1, c_1, h_2, c_2)``: hidden and cell state of both LSTM layers, each of shape ``(N, hidden_size)``."""


def preprocess_gradients(grad: torch.Tensor, p: float = 10.0) -> torch.Tensor:
    r"""Map each gradient coordinate to two numbers of order one (Appendix A of the paper).

    $$\tilde\nabla=\begin{cases}\big(\log|\nabla|/p,\ \operatorname{sgn}\nabla\big)&|\nabla|\ge e^{-p}\\
    (-1,\ e^{p}\nabla)&\text{otherwise}\end{cases}$$

    The first number carries the magnitude on a log scale, the second the sign (or, for tiny gradients, a
    linear copy of the value); both branches agree at $|\nabla|=e^{-p}$. Returns shape ``grad.shape + (2,)``.
    """
    magnitude = grad.abs()
    large = magnitude >= math.exp(-p)
    log_part = torch.where(
        large, torch.log(magnitude.clamp_min(math.exp(-p))) / p, torch.full_like(grad, -1.0)
    )
    sign_part = torch.where(large, torch.sign(grad), grad * math.exp(p))
    return torch.stack((log_part, sign_part), dim=-1)


class CoordinatewiseLSTMOptimizer(nn.Module):
    r"""$m=c\cdot\big(\mathrm{Linear}_{H\to1}\circ\mathrm{LSTM}_H\circ\mathrm{LSTM}_H\big)$, shared by all
    coordinates.

    ``preprocess=True`` feeds $\tilde\nabla$ (two inputs per coordinate) instead of the raw gradient;
    ``output_scale`` is the constant $c$ (1 for quadratics, 0.1 for the MLPs in the paper).

    ``readout_init_scale`` $s$ sets where meta-training starts: the read-out's bias starts at 0 and its
    weights at $s$ times PyTorch's default draw, so the untrained rule takes steps $s$ times smaller and
    without the constant drift that a random bias adds to every coordinate ($s=1$ keeps the default
    initialisation, bias included). On the sigmoid MLP that drift moves every weight of a hidden unit the
    same way, saturates the units within 100 steps and leaves the meta-gradient almost no signal: the loss
    sits at chance ($\ln 10$) for a seed-dependent number of meta-epochs.
    """

    def __init__(
        self,
        hidden_size: int = 20,
        preprocess: bool = False,
        output_scale: float = 1.0,
        p: float = 10.0,
        readout_init_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.preprocess = preprocess
        self.output_scale = output_scale
        self.p = p
        self.cell1 = nn.LSTMCell(2 if preprocess else 1, hidden_size)
        self.cell2 = nn.LSTMCell(hidden_size, hidden_size)
        self.readout = nn.Linear(hidden_size, 1)
        if readout_init_scale != 1.0:
            with torch.no_grad():
                self.readout.weight.mul_(readout_init_scale)
                self.readout.bias.zero_()

    def init_state(self, params: torch.Tensor) -> LSTMState:
        """Zero states for every coordinate of ``params``."""
        zeros = params.new_zeros(params.numel(), self.hidden_size)
        return (zeros, zeros, zeros, zeros)

    def forward(self, grad: torch.Tensor, state: LSTMState) -> tuple[torch.Tensor, LSTMState]:
        """One step for all coordinates at once: returns the update $g_t$ (shape of ``grad``) and the new
        state."""
        flat = grad.reshape(-1)
        inputs = preprocess_gradients(flat, self.p) if self.preprocess else flat.unsqueeze(-1)
        h1, c1 = self.cell1(inputs, (state[0], state[1]))
        h2, c2 = self.cell2(h1, (state[2], state[3]))
        update = self.output_scale * self.readout(h2).squeeze(-1)
        return update.reshape(grad.shape), (h1, c1, h2, c2)


class GroupedLSTMOptimizer(nn.Module):
    """Several coordinatewise LSTMs, each owning a group of parameter columns (the paper's CIFAR setup).

    ``groups[j]`` names the network that updates column ``j`` of the ``(n, P)`` parameter matrix; each network
    is called once per step on all of its coordinates.
    """

    def __init__(self, optimizers: list[CoordinatewiseLSTMOptimizer], groups: torch.Tensor) -> None:
        super().__init__()
        self.optimizers = nn.ModuleList(optimizers)
        self.networks = tuple(optimizers)  # the same modules, registered above, typed as what they are
        groups = groups.long()
        self.register_buffer("groups", groups)
        self.columns = [torch.nonzero(groups == k).squeeze(-1) for k in range(len(optimizers))]

    def init_state(self, params: torch.Tensor) -> list[LSTMState]:
        return [net.init_state(params[:, cols]) for net, cols in zip(self.networks, self.columns)]

    def forward(self, grad: torch.Tensor, state: list[LSTMState]) -> tuple[torch.Tensor, list[LSTMState]]:
        update = torch.zeros_like(grad)
        new_state = []
        for net, columns, group_state in zip(self.networks, self.columns, state, strict=True):
            cols = columns.to(grad.device)
            group_update, next_group_state = net(grad[:, cols], group_state)
            update = update.index_copy(1, cols, group_update)
            new_state.append(next_group_state)
        return update, new_state


LearnedOptimizer = CoordinatewiseLSTMOptimizer | GroupedLSTMOptimizer
"""The meta-trainable optimizers: modules whose ``init_state(params)`` and ``forward(grad, state)`` make them
update rules."""
