"""One noisy network, one chain: the nudge read from time-averaged states, and its signal-to-noise ratio.

A single Langevin network has no paired free copy to subtract. What it can observe is its own state,
averaged over a window of $w$ steps after the nudge starts, against the same average over the $w$ steps
before (its stationary mean): the *window displacement*

$$D_l(w)=\\frac1w\\sum_{t=1}^{w}s_l(t)-\\frac1w\\sum_{t=-w+1}^{0}s_l(t),$$

with the nudge switched on at $t=0$ (so $s(1)$ is the first nudged state). Its prediction linearises the
chain around the fixed point $s^*$ (team derivation): with $H=\\nabla^2_sE(s^*)=U\\Lambda U^\\top$ and the
Euler Jacobian $A=I-\\varepsilon H$, every eigenmode $j$ is an autoregressive (discrete Ornstein-Uhlenbeck)
process $u_{t+1}=a_ju_t+\\sqrt{2\\varepsilon T}\\,\\xi_t$ with $a_j=1-\\varepsilon\\lambda_j$, driven after
the onset by the constant force $-\\beta\\varepsilon\\,\\nabla_sC$. The mean and the noise of $D(w)$ then
follow mode by mode (:func:`window_mean_response`, :func:`window_difference_variance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import torch
from torch import Tensor

from bookkit.ebm_backprop.early_inference import backprop_errors, cosine, first_arrival_steps
from bookkit.ebm_backprop.energy import LayeredNetwork, States, energy_hessian, euler_step, unflatten_states


def window_mean_response(eigenvalues: Tensor, eps: float, windows: Sequence[int]) -> Tensor:
    """Per-mode gain $c_j(w)$ of the mean window displacement, shape ``(len(windows), N)``:
    $\\mathbb E[D(w)]=-\\beta\\,U\\,\\mathrm{diag}(c(w))\\,U^\\top\\nabla_sC$.

    After the onset the mean of mode $j$ obeys $m_{t+1}=a_jm_t-\\beta\\varepsilon g_j$ from $m_0=0$, so
    $m_t=-\\beta\\varepsilon g_j\\sum_{\\tau<t}a_j^\\tau=-\\beta g_j(1-a_j^t)/\\lambda_j$ (using
    $\\varepsilon/(1-a_j)=1/\\lambda_j$); the stationary pre-window has mean zero. Averaging over
    $t=1..w$ with $\\sum_{t=1}^w a^t=a(1-a^w)/(1-a)$:

    $$c_j(w)=\\frac1{\\lambda_j}\\Big(1-\\frac{a_j(1-a_j^w)}{w(1-a_j)}\\Big),
    \\qquad a_j=1-\\varepsilon\\lambda_j .$$
    It rises from $\\varepsilon$ at $w=1$ (the first move) to $1/\\lambda_j$ (the shift of the fixed point,
    $\\beta H^{-1}\\nabla_sC$) for $w\\gg1/(\\varepsilon\\lambda_j)$.
    """
    w = torch.as_tensor(windows, dtype=eigenvalues.dtype, device=eigenvalues.device).unsqueeze(-1)
    a = 1 - eps * eigenvalues
    # c_j(w) = (1 / lambda_j) (1 - a_j (1 - a_j^w) / (w (1 - a_j)))
    return (1 - a * (1 - a**w) / (w * (1 - a))) / eigenvalues


def window_difference_variance(
    eigenvalues: Tensor, eps: float, temperature: Tensor | float, windows: Sequence[int]
) -> Tensor:
    """Per-mode variance of the window displacement $D(w)$ of a stationary chain, shape
    ``(*temperature.shape, len(windows), N)`` (``temperature`` a number or a 1-d tensor).

    Mode $j$ has stationary variance $\\sigma_j^2=2\\varepsilon T/(1-a_j^2)$ and autocovariance
    $\\sigma_j^2a_j^{\\lvert\\tau\\rvert}$ (linear noise is unchanged by the constant nudge). The mean of $w$
    consecutive states has variance $\\frac{\\sigma^2}{w^2}\\sum_{s,t}a^{\\lvert s-t\\rvert}
    =\\frac{\\sigma^2}{w^2}\\big[w+2\\sum_{\\tau=1}^{w-1}(w-\\tau)a^\\tau\\big]$, with
    $\\sum_{\\tau=1}^{w-1}(w-\\tau)a^\\tau=a\\,[w(1-a)-(1-a^w)]/(1-a)^2$. The two adjacent windows covary by
    $\\frac{\\sigma^2}{w^2}\\sum_{t=1}^{w}\\sum_{s=0}^{w-1}a^{t+s}=\\frac{\\sigma^2}{w^2}\\,a(1-a^w)^2/(1-a)^2$,
    so

    $$\\mathrm{Var}\\,D_j(w)=\\frac{2\\sigma_j^2}{w^2}\\Big[w+\\frac{2a_j\\,(w(1-a_j)-(1-a_j^w))
    -a_j(1-a_j^w)^2}{(1-a_j)^2}\\Big].$$
    At $w=1$ it is the variance of one step, $4\\varepsilon T/(1+a_j)\\approx2\\varepsilon T$ (the noise of
    the chapter's first-move formula); for $w\\gg1/(\\varepsilon\\lambda_j)$ it falls as
    $4T/(\\varepsilon\\lambda_j^2w)$, not as the $4\\varepsilon T/w$ of white noise: slow modes average out
    slowly.
    """
    temperature = torch.as_tensor(temperature, dtype=eigenvalues.dtype, device=eigenvalues.device)
    w = torch.as_tensor(windows, dtype=eigenvalues.dtype, device=eigenvalues.device).unsqueeze(-1)
    a = 1 - eps * eigenvalues
    # sigma_j^2 = 2 eps T / (1 - a_j^2), broadcast to (*T, 1, N)
    stationary = 2 * eps * temperature.reshape(*temperature.shape, 1, 1) / (1 - a**2)
    decayed = 1 - a**w
    bracket = w + (2 * a * (w * (1 - a) - decayed) - a * decayed**2) / (1 - a) ** 2
    return 2 * stationary * bracket / w**2


def predicted_window_cosine(ceiling: Tensor, snr: Tensor, num_replicas: int | Tensor = 1) -> Tensor:
    """Expected cosine between a noisy estimate $\\hat m=m+\\eta$ and a reference $r$, averaged over $R$
    independent replicas, for noise $\\eta$ spread over many units and uncorrelated with $r$:

    $$\\mathbb E\\cos(\\hat m,r)\\approx\\frac{m\\cdot\\hat r}{\\sqrt{\\lVert m\\rVert^2+\\mathrm{tr}\\,V/R}}
    =\\cos(m,r)\\,\\frac{\\mathrm{SNR}\\sqrt R}{\\sqrt{1+R\\,\\mathrm{SNR}^2}},\\qquad
    \\mathrm{SNR}=\\frac{\\lVert m\\rVert}{\\sqrt{\\mathrm{tr}\\,V}},$$
    where ``ceiling`` $=\\cos(m,r)$ is the noise-free alignment and ``snr`` that of one replica.
    """
    scaled = snr * torch.as_tensor(num_replicas, dtype=snr.dtype, device=snr.device).sqrt()
    return ceiling * scaled / (1 + scaled**2).sqrt()


class WindowPrediction(TypedDict):
    """What :func:`predict_window_estimator` returns (shapes in its docstring)."""

    signal: States
    noise_variance: Tensor
    white_noise_variance: Tensor
    snr: Tensor
    ceiling: Tensor


def predict_window_estimator(
    net: LayeredNetwork,
    x: Tensor,
    s_star: States,
    target: Tensor,
    *,
    beta: float,
    eps: float,
    temperatures: Sequence[float],
    windows: Sequence[int],
) -> WindowPrediction:
    """The linear-Gaussian prediction of the window displacement around the fixed point ``s_star`` of one
    input (batch of 1), per layer $l$ (layer 1 first) and window $w$:

    - ``signal``: $m_l(w)=\\mathbb E[D_l(w)]=-\\beta\\,[U\\mathrm{diag}(c(w))U^\\top\\nabla_sC]_l$, one
      ``(len(windows), n_l)`` tensor per layer; exact for the linearised chain, to first order in $\\beta$;
    - ``noise_variance``: $\\mathrm{tr}\\,V_l(w)=\\sum_{i\\in l}\\sum_jU_{ij}^2\\,\\mathrm{Var}D_j(w)$, shape
      ``(len(temperatures), len(windows), L)``;
    - ``white_noise_variance``: the same if the noise were white, $4\\varepsilon Tn_l/w$ (the chapter's
      per-step noise $2\\varepsilon T$ per unit, for two windows, averaged over $w$ independent steps): the
      null that ignores the chain's memory;
    - ``snr`` $=\\lVert m_l(w)\\rVert/\\sqrt{\\mathrm{tr}\\,V_l(w)}$ for one chain, the extension of the
      chapter's $\\beta\\varepsilon^{k+1}\\lVert\\delta_l\\rVert/\\sqrt{2\\varepsilon Tn_l}$ (to which it
      reduces for the output layer at $w=1$, up to $O(\\varepsilon\\lambda)$);
    - ``ceiling`` $=\\cos(m_l(w),-\\delta_l)$, the noise-free alignment with the back-propagated error,
      ``(len(windows), L)``: 1 at $w=k+1$, where $m_l$ is the first move
      $-\\beta\\varepsilon^{k+1}\\delta_l/w$, and falling for longer windows as the displacement turns
      towards the shift of the fixed point. For $w\\le k$ the nudge has not reached layer $l$: its signal is
      exactly zero (set so, the eigenbasis only gives it to rounding), and so are its SNR and ceiling.
    """
    hessian = energy_hessian(net, x, s_star)[0]
    eigenvalues, modes = torch.linalg.eigh(hessian)
    cost_gradient = torch.cat([torch.zeros_like(s[0]) for s in s_star[:-1]] + [s_star[-1][0] - target[0]])
    # m(w) = -beta U diag(c(w)) U^T grad C, one row per window
    signal_flat = (
        -beta * (window_mean_response(eigenvalues, eps, windows) * (cost_gradient @ modes)) @ modes.T
    )
    signal = [
        torch.where(torch.as_tensor(windows, device=m.device).unsqueeze(-1) > k, m, torch.zeros_like(m))
        for m, k in zip(unflatten_states(signal_flat, net), first_arrival_steps(net))
    ]
    temperature = torch.as_tensor(temperatures, dtype=hessian.dtype, device=hessian.device)
    # tr V_l(w) = sum_{i in l} sum_j U_ij^2 Var D_j(w)
    unit_variance = window_difference_variance(eigenvalues, eps, temperature, windows) @ modes.pow(2).T
    noise_variance = torch.stack([v.sum(-1) for v in unflatten_states(unit_variance, net)], dim=-1)
    sizes = torch.as_tensor(net.sizes[1:], dtype=hessian.dtype, device=hessian.device)
    w = torch.as_tensor(windows, dtype=hessian.dtype, device=hessian.device)
    white = 4 * eps * temperature.reshape(-1, 1, 1) * sizes / w.reshape(-1, 1)
    signal_norm = torch.stack([m.norm(dim=-1) for m in signal], dim=-1)
    deltas = backprop_errors(net, s_star, target)
    ceiling = torch.stack([cosine(m, -delta[0]) for m, delta in zip(signal, deltas)], dim=-1).nan_to_num(0.0)
    return {
        "signal": signal,
        "noise_variance": noise_variance,
        "white_noise_variance": white,
        "snr": signal_norm / noise_variance.sqrt(),
        "ceiling": ceiling,
    }


def window_means(
    net: LayeredNetwork,
    x: Tensor,
    states: States,
    windows: Sequence[int],
    eps: float,
    temperature: Tensor,
    generator: torch.Generator,
    *,
    beta: float = 0.0,
    target: Tensor | None = None,
    trailing: bool = False,
) -> tuple[States, States]:
    """Run Langevin chains ``max(windows)`` steps from ``states`` (nudged with ``beta`` towards ``target``
    if given) and average each layer over every window: over the *first* $w$ new states
    $s(1..w)$, or with ``trailing`` over the *last* $w$ states, the final state included (the window just
    before an onset). Only running sums are kept. Returns the means, one ``(len(windows), *batch, n_l)``
    tensor per layer, and the final states.
    """
    length = max(windows)
    # with trailing, mean over the last w = (S_length - S_{length-w}) / w, from partial sums S_t
    marks = (
        {length - w: i for i, w in enumerate(windows)} if trailing else {w: i for i, w in enumerate(windows)}
    )
    total = [torch.zeros_like(s) for s in states]
    partial: list[States | None] = [None] * len(windows)
    for step in range(length + 1):
        if step in marks:
            partial[marks[step]] = [t.clone() for t in total]
        if step == length:
            break
        noise = [torch.randn(s.shape, generator=generator, dtype=s.dtype, device=s.device) for s in states]
        states = euler_step(
            net, x, states, eps, beta=beta, target=target, noise=noise, temperature=temperature
        )
        total = [t + s for t, s in zip(total, states)]
    sums = [p if p is not None else total for p in partial]
    if trailing:
        sums = [[t - p for t, p in zip(total, s)] for s in sums]
    means = [
        torch.stack([window_sums[layer] / w for window_sums, w in zip(sums, windows)])
        for layer in range(len(states))
    ]
    return means, states


def window_displacements(
    net: LayeredNetwork,
    x: Tensor,
    chains: States,
    target: Tensor,
    *,
    betas: Sequence[float],
    eps: float,
    temperature: Tensor,
    windows: Sequence[int],
    generator: torch.Generator,
) -> list[States]:
    """The window displacement $D_l(w)$ of every chain, one independent chain per network: ``max(windows)``
    free steps from ``chains`` (already stationary) give the pre-onset means; from the same final states
    the nudge starts, once for each value in ``betas`` (each with fresh noise; $\\beta=0$ is the null with no
    nudge). Returns, per beta, one ``(len(windows), *batch, n_l)`` tensor per layer.
    """
    before, onset = window_means(net, x, chains, windows, eps, temperature, generator, trailing=True)
    displacements = []
    for beta in betas:
        after, _ = window_means(net, x, onset, windows, eps, temperature, generator, beta=beta, target=target)
        displacements.append([a - b for a, b in zip(after, before)])
    return displacements
