"""The layered energy-based network of Bengio & Fischer (2015) and its relaxation dynamics.

Layer 0 is the clamped input $x$, layers $1..L-1$ are hidden and layer $L$ is the visible (output) layer
$y$; $W_l \\in \\mathbb R^{n_l\\times n_{l-1}}$ couples layer $l-1$ to layer $l$ symmetrically. States are
kept as a list ``[s_1, ..., s_L]`` of tensors of shape ``(*batch, n_l)``: any leading batch dimensions
(inputs, chains, temperatures) broadcast against ``x`` of shape ``(*batch', n_0)``.

Three conventions for the nonlinearity $\\rho$ (``nonlinearity=``):

- ``"smooth"``: $\\rho(s)=\\sigma(4s-2)$, energy with $\\tfrac12\\lVert s\\rVert^2$;
- ``"box"``: hard sigmoid $\\rho(s)=\\min(1,\\max(0,s))$, energy with $\\tfrac12\\lVert\\rho(s)\\rVert^2$
  and states projected back into $[0,1]$ after every step (the convention of the Equilibrium Propagation
  code);
- ``"naive_hard"``: hard sigmoid with $\\tfrac12\\lVert s\\rVert^2$ and unbounded states, the pitfall whose
  units at the kinks never settle.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import operator
from collections.abc import Sequence

import torch
from torch import Tensor

NONLINEARITIES = ("smooth", "box", "naive_hard")

States = list[Tensor]


@dataclasses.dataclass
class LayeredNetwork:
    """Weights ``[W_1, ..., W_L]`` and biases ``[b_1, ..., b_L]`` of a layered energy network."""

    weights: list[Tensor]
    biases: list[Tensor]
    nonlinearity: str

    def __post_init__(self) -> None:
        if self.nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"unknown nonlinearity {self.nonlinearity!r}; valid: {', '.join(NONLINEARITIES)}"
            )

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    @property
    def num_layers(self) -> int:
        """$L$: the number of free layers (hidden plus output)."""
        return len(self.weights)


def init_network(
    sizes: Sequence[int],
    nonlinearity: str,
    *,
    gain: float = 1.0,
    bias_range: tuple[float, float] = (0.0, 0.0),
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> LayeredNetwork:
    """Glorot-uniform weights scaled by ``gain`` and uniform biases.

    $$W_l \\sim U(-1, 1)\\cdot g\\sqrt{6/(n_{l-1}+n_l)},\\qquad b_l\\sim U(b_{lo}, b_{hi}).$$
    Drawn on the CPU from ``generator`` and then moved, so a seed gives the same network on every device.
    """
    weights, biases = [], []
    for n_in, n_out in itertools.pairwise(sizes):
        bound = gain * math.sqrt(6.0 / (n_in + n_out))
        weights.append((torch.rand(n_out, n_in, generator=generator, dtype=torch.float64) * 2 - 1) * bound)
        low, high = bias_range
        biases.append(low + (high - low) * torch.rand(n_out, generator=generator, dtype=torch.float64))
    return LayeredNetwork(
        [w.to(device=device, dtype=dtype) for w in weights],
        [b.to(device=device, dtype=dtype) for b in biases],
        nonlinearity,
    )


def rho(s: Tensor, nonlinearity: str) -> Tensor:
    """$\\rho(s)=\\sigma(4s-2)$ (smooth) or the hard sigmoid $\\min(1,\\max(0,s))$."""
    if nonlinearity == "smooth":
        return torch.sigmoid(4 * s - 2)
    return s.clamp(0.0, 1.0)


def rho_prime(s: Tensor, nonlinearity: str) -> Tensor:
    """$\\rho'(s)=4\\rho(1-\\rho)$ (smooth), or the indicator of $0<s<1$ (hard sigmoid)."""
    if nonlinearity == "smooth":
        r = torch.sigmoid(4 * s - 2)
        return 4 * r * (1 - r)
    return ((s > 0) & (s < 1)).to(s.dtype)


def initial_states(net: LayeredNetwork, batch_shape: Sequence[int], value: float = 0.0) -> States:
    """Every free unit set to ``value``, with leading dimensions ``batch_shape``."""
    w = net.weights[0]
    return [torch.full((*batch_shape, n), value, dtype=w.dtype, device=w.device) for n in net.sizes[1:]]


def energy(net: LayeredNetwork, x: Tensor, states: States) -> Tensor:
    """The layered energy, one value per batch element:

    $$E(s)=\\tfrac12\\sum_{l=1}^{L}\\lVert s_l\\rVert^2-\\sum_{l=1}^{L}\\rho(s_l)^\\top W_l\\,\\rho(s_{l-1})
    -\\sum_{l=1}^{L}b_l^\\top\\rho(s_l),\\qquad s_0=x,$$
    with $\\tfrac12\\lVert\\rho(s_l)\\rVert^2$ in place of $\\tfrac12\\lVert s_l\\rVert^2$ for the box
    convention.
    """
    kind = net.nonlinearity
    rhos = [rho(x, kind)] + [rho(s, kind) for s in states]
    quadratic = functools.reduce(
        operator.add, [0.5 * (r if kind == "box" else s).pow(2).sum(-1) for s, r in zip(states, rhos[1:])]
    )
    coupling = functools.reduce(
        operator.add, [(rhos[layer + 1] * (rhos[layer] @ w.T)).sum(-1) for layer, w in enumerate(net.weights)]
    )
    bias = functools.reduce(operator.add, [(r * b).sum(-1) for r, b in zip(rhos[1:], net.biases)])
    return quadratic - coupling - bias


def cost(output: Tensor, target: Tensor) -> Tensor:
    """$C=\\tfrac12\\lVert y-d\\rVert^2$ on the visible state $y=s_L$, one value per batch element."""
    return 0.5 * (output - target).pow(2).sum(-1)


def layer_drives(net: LayeredNetwork, x: Tensor, states: States) -> States:
    """The input each layer receives from its neighbours:

    $$h_l=W_l\\rho(s_{l-1})+W_{l+1}^\\top\\rho(s_{l+1})+b_l,\\qquad W_{L+1}\\equiv 0.$$
    """
    kind = net.nonlinearity
    rhos = [rho(x, kind)] + [rho(s, kind) for s in states]
    drives = []
    for layer, (w, b) in enumerate(zip(net.weights, net.biases)):
        h = rhos[layer] @ w.T + b
        if layer + 1 < net.num_layers:
            h = h + rhos[layer + 2] @ net.weights[layer + 1]
        drives.append(h)
    return drives


def energy_gradient(net: LayeredNetwork, x: Tensor, states: States) -> States:
    """The closed-form $\\partial E/\\partial s_l$ (section 2.1 of the brief):

    $$\\frac{\\partial E}{\\partial s_l}=s_l-\\rho'(s_l)\\odot h_l .$$
    For the box convention this is the gradient inside the box, $s_l-h_l$, the direction the projected
    dynamics follow (at the box faces the projection takes over).
    """
    drives = layer_drives(net, x, states)
    if net.nonlinearity == "box":
        return [s - h for s, h in zip(states, drives)]
    return [s - rho_prime(s, net.nonlinearity) * h for s, h in zip(states, drives)]


def euler_step(
    net: LayeredNetwork,
    x: Tensor,
    states: States,
    eps: float,
    *,
    beta: float | Tensor = 0.0,
    target: Tensor | None = None,
    noise: States | None = None,
    temperature: float | Tensor = 0.0,
) -> States:
    """One step of leaky integration on $F=E+\\beta C$, all layers updated from the same $s_t$:

    $$s_{t+1}=s_t-\\varepsilon\\,\\frac{\\partial F}{\\partial s}(s_t)+\\sqrt{2\\varepsilon T}\\,\\xi_t,$$
    where only the visible layer feels the nudge $-\\beta(y-d)$ and ``noise`` holds $\\xi_t$ (Langevin
    dynamics; ``None`` is the deterministic flow). The box convention projects onto $[0,1]$ afterwards.
    """
    gradients = energy_gradient(net, x, states)
    if target is not None:
        gradients[-1] = gradients[-1] + beta * (states[-1] - target)
    new_states = [s - eps * g for s, g in zip(states, gradients)]
    if noise is not None:
        scale = torch.sqrt(
            2 * eps * torch.as_tensor(temperature, dtype=states[0].dtype, device=states[0].device)
        )
        new_states = [s + scale * xi for s, xi in zip(new_states, noise)]
    if net.nonlinearity == "box":
        new_states = [s.clamp(0.0, 1.0) for s in new_states]
    return new_states


def relax(
    net: LayeredNetwork,
    x: Tensor,
    states: States,
    num_steps: int,
    eps: float,
    *,
    beta: float | Tensor = 0.0,
    target: Tensor | None = None,
) -> States:
    """``num_steps`` deterministic Euler steps (free phase, or nudged when ``target`` is given)."""
    for _ in range(num_steps):
        states = euler_step(net, x, states, eps, beta=beta, target=target)
    return states


def stationarity_residual(net: LayeredNetwork, x: Tensor, states: States, eps: float) -> Tensor:
    """$\\max_i\\lvert s_i-\\Pi(s-\\varepsilon\\nabla E)_i\\rvert/\\varepsilon$ per batch element.

    For smooth and naive conventions $\\Pi$ is the identity and this is
    $\\max\\lvert\\partial E/\\partial s\\rvert$;
    for the box it is the projected-gradient residual, zero exactly at a fixed point of the projected flow.
    """
    stepped = euler_step(net, x, states, eps)
    return torch.stack([((s - t).abs() / eps).amax(-1) for s, t in zip(states, stepped)]).amax(0)


def relax_with_history(
    net: LayeredNetwork, x: Tensor, states: States, num_steps: int, eps: float
) -> tuple[States, Tensor, Tensor]:
    """Relax and record $E(s_t)$ and the stationarity residual at every step ``t = 0..num_steps``.

    Returns ``(final_states, energies, residuals)`` with the histories of shape ``(num_steps + 1, *batch)``.
    """
    energies, residuals = [], []
    for step in range(num_steps + 1):
        energies.append(energy(net, x, states))
        stepped = euler_step(net, x, states, eps)
        residuals.append(
            torch.stack([((s - t).abs() / eps).amax(-1) for s, t in zip(states, stepped)]).amax(0)
        )
        if step < num_steps:
            states = stepped
    return states, torch.stack(energies), torch.stack(residuals)


def energy_hessian(net: LayeredNetwork, x: Tensor, states: States) -> Tensor:
    """$H=\\nabla^2_sE(s)=\\partial(\\partial E/\\partial s)/\\partial s$ in the flattened state (layers
    concatenated),
    one matrix per batch element, shape ``(*batch, N, N)`` with $N=\\sum_l n_l$: the forward-mode Jacobian of
    the closed-form :func:`energy_gradient` (``torch.func.jacfwd``), vmapped over the batch. At a fixed point
    $s^*$ of the smooth network it is the precision of the Gaussian that Langevin chains sample at low
    temperature, $\\mathcal N(s^*, TH^{-1})$."""
    flat = flatten_states(states)
    batch_shape, size = flat.shape[:-1], flat.shape[-1]
    inputs = x.expand(*batch_shape, x.shape[-1]).reshape(-1, x.shape[-1])

    def gradient(flat_row: Tensor, x_row: Tensor) -> Tensor:
        return flatten_states(energy_gradient(net, x_row, unflatten_states(flat_row, net)))

    hessians = torch.func.vmap(torch.func.jacfwd(gradient))(flat.reshape(-1, size), inputs)
    return hessians.reshape(*batch_shape, size, size)


def flatten_states(states: States) -> Tensor:
    """Concatenate the layers along the last dimension."""
    return torch.cat(states, dim=-1)


def unflatten_states(flat: Tensor, net: LayeredNetwork) -> States:
    """Split a concatenated state back into layers (inverse of :func:`flatten_states`)."""
    return list(torch.split(flat, list(net.sizes[1:]), dim=-1))
