"""The journal version's link to spike timing (Bengio, Mesnard, Fischer, Zhang, Wu 2017), in two parts.

1. The first arrival in continuous time: integrating $\\dot s=-\\partial F/\\partial s$ finely instead of with
   explicit Euler steps, a layer $k$ steps below the output does not stay exactly still; its first $k$
   time derivatives vanish at the nudge and it departs as $t^{k+1}$:

   $$s^\\beta_l(t)-s^0_l(t)=-\\beta\\,\\delta_l\\,\\frac{t^{k+1}}{(k+1)!}+O(t^{k+2})+O(\\beta^2).$$

   (Linearised, $\\Delta s(t)=-\\beta\\sum_n(-H)^n g\\,t^{n+1}/(n+1)!$ with $g$ the cost gradient on the
   visible layer; on a layered network the first $n$ whose term reaches layer $l$ is $k$, and that term is
   $\\delta_l$.)
2. The spike-timing window the rate rule implies: with $\\Delta W\\propto\\rho_{pre}\\,\\dot\\rho_{post}$, a
   presynaptic spike landing while the postsynaptic rate rises potentiates, one landing while it falls
   depresses. When postsynaptic spikes are drawn from that rate, a rising rate makes postsynaptic spikes more
   likely *after* the presynaptic one, so binning the weight changes by the spike-time difference
   $t_{post}-t_{pre}$ of each pair gives potentiation for pre-before-post and depression for post-before-pre:
   the sign structure of STDP. This simulation is our reconstruction of the journal version's argument.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import Tensor
from torch.autograd import forward_ad

from bookkit.ebm_backprop.energy import LayeredNetwork, States, energy_gradient


def flow_derivative(
    net: LayeredNetwork, x: Tensor, states: States, beta: float | Tensor, target: Tensor | None
) -> States:
    """$\\dot s=-\\partial F/\\partial s$, $F=E+\\beta C$ (smooth $\\rho$: no projection)."""
    gradients = energy_gradient(net, x, states)
    if target is not None:
        gradients[-1] = gradients[-1] + beta * (states[-1] - target)
    return [-g for g in gradients]


def runge_kutta_trajectory(
    net: LayeredNetwork,
    x: Tensor,
    start: States,
    num_steps: int,
    dt: float,
    *,
    beta: float | Tensor = 0.0,
    target: Tensor | None = None,
) -> States:
    """Classical fourth-order Runge-Kutta on $\\dot s=-\\partial F/\\partial s$; returns $s(0), s(dt), \\dots$
    stacked per layer on dim 0. Each step mixes four evaluations, so the nudge is not held back one layer
    per step as with explicit Euler, and the onset is smooth."""
    history, states = [start], start
    for _ in range(num_steps):
        k1 = flow_derivative(net, x, states, beta, target)
        k2 = flow_derivative(net, x, [s + 0.5 * dt * d for s, d in zip(states, k1)], beta, target)
        k3 = flow_derivative(net, x, [s + 0.5 * dt * d for s, d in zip(states, k2)], beta, target)
        k4 = flow_derivative(net, x, [s + dt * d for s, d in zip(states, k3)], beta, target)
        states = [s + dt / 6 * (a + 2 * b + 2 * c + d) for s, a, b, c, d in zip(states, k1, k2, k3, k4)]
        history.append(states)
    return [torch.stack(layer) for layer in zip(*history)]


def continuous_onset(
    net: LayeredNetwork, x: Tensor, s_star: States, target: Tensor, beta: float, num_steps: int, dt: float
) -> States:
    """$s^\\beta_l(t)-s^0_l(t)$ at $t=0, dt, \\dots$: nudged minus free Runge-Kutta trajectories from $s^*$,
    so that leftover drift of an imperfect fixed point cancels."""
    nudged = runge_kutta_trajectory(net, x, s_star, num_steps, dt, beta=beta, target=target)
    free = runge_kutta_trajectory(net, x, s_star, num_steps, dt)
    return [n - f for n, f in zip(nudged, free)]


def first_order_onset(
    net: LayeredNetwork, x: Tensor, s_star: States, target: Tensor, beta: float, num_steps: int, dt: float
) -> States:
    """The first-order part of :func:`continuous_onset`, $\\beta\\,\\partial s^\\beta_l(t)/\\partial\\beta$ at
    $\\beta=0$, by forward-mode differentiation through the same Runge-Kutta steps.

    The difference of two trajectories cannot resolve a change below the states' rounding: a layer $k$ steps
    below the output moves by about $\\beta\\lVert\\delta_l\\rVert t^{k+1}/(k+1)!$, which for $k=3$,
    $\\beta=10^{-3}$ and $t=2\\cdot10^{-3}$ falls below the float64 spacing of states of order one
    (about $10^{-16}$). The tangent carries that change as a number of its own, so its relative
    precision does not depend on its size."""
    with forward_ad.dual_level():
        dual_beta = forward_ad.make_dual(
            torch.zeros((), dtype=target.dtype, device=target.device),
            torch.ones((), dtype=target.dtype, device=target.device),
        )
        trajectory = runge_kutta_trajectory(net, x, s_star, num_steps, dt, beta=dual_beta, target=target)
        # s^beta(t) - s^0(t) = beta * ds/dbeta + O(beta^2)
        return [beta * forward_ad.unpack_dual(layer).tangent for layer in trajectory]


def predicted_onset(deltas: States, beta: float, times: Tensor) -> States:
    """$-\\beta\\,\\delta_l\\,t^{k+1}/(k+1)!$ per layer at ``times`` (layers ordered input side first,
    $k=L-l$)."""
    num_layers = len(deltas)
    predictions = []
    for layer, delta in enumerate(deltas):
        order = num_layers - layer  # k + 1
        scale = times.to(delta.dtype) ** order / math.factorial(order)
        predictions.append(-beta * scale.view(-1, *([1] * delta.dim())) * delta)
    return predictions


@dataclasses.dataclass(frozen=True)
class SpikeTimingSettings:
    """Times in ms, rates in spikes per ms."""

    duration: float = 100.0
    dt: float = 0.5
    base_rate: float = 0.02
    rate_swing: float = 0.8
    pre_rate: float = 0.02
    window: float = 40.0


def postsynaptic_rate_ramps(
    num_trials: int, settings: SpikeTimingSettings, generator: torch.Generator, *, coupled: bool = True
) -> tuple[Tensor, Tensor]:
    """Per trial, a postsynaptic rate that ramps linearly up or down with a random slope,
    $\\rho_{post}(t)=r_0\\,(1+a\\,(2t/T-1))$ with $a\\sim U(-s,s)$, and its time derivative.

    Returns ``(rate, slope)`` of shape ``(num_trials, num_bins)``. With ``coupled=False`` the derivative
    belongs to an independent draw of $a$ (the null: the weight change no longer knows the spikes' rate)."""
    times = torch.arange(0.0, settings.duration, settings.dt, dtype=torch.float64)
    amplitude = (
        torch.rand(num_trials, 1, generator=generator, dtype=torch.float64) * 2 - 1
    ) * settings.rate_swing
    rate = settings.base_rate * (1 + amplitude * (2 * times / settings.duration - 1))
    if not coupled:
        amplitude = (
            torch.rand(num_trials, 1, generator=generator, dtype=torch.float64) * 2 - 1
        ) * settings.rate_swing
    slope = (settings.base_rate * amplitude * 2 / settings.duration).expand_as(rate)
    return rate, slope


def spike_timing_window(
    num_trials: int, settings: SpikeTimingSettings, generator: torch.Generator, *, coupled: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    """Pairs of presynaptic and postsynaptic spikes and the weight change the rate rule gives each.

    Per trial: postsynaptic spikes are Bernoulli draws from the ramping rate of
    :func:`postsynaptic_rate_ramps`, presynaptic spikes from a constant rate. Each presynaptic spike at $t_j$
    changes the weight by $\\dot\\rho_{post}(t_j)$ (the rule with the presynaptic rate a brief pulse); that
    change is attributed to every pair $(t_j, t_i)$ with a postsynaptic spike $t_i$ within ``window`` ms.
    Returns ``(time_differences, weight_changes, trials)`` over all pairs, $t_{post}-t_{pre}$ in ms, and
    the trial each pair came from."""
    rate, slope = postsynaptic_rate_ramps(num_trials, settings, generator, coupled=coupled)
    post = torch.rand(rate.shape, generator=generator, dtype=torch.float64) < rate * settings.dt
    pre = torch.rand(rate.shape, generator=generator, dtype=torch.float64) < settings.pre_rate * settings.dt
    differences, changes, trials = [], [], []
    for trial in range(num_trials):
        pre_bins = pre[trial].nonzero().flatten()
        post_bins = post[trial].nonzero().flatten()
        if len(pre_bins) == 0 or len(post_bins) == 0:
            continue
        lag = (post_bins.unsqueeze(0) - pre_bins.unsqueeze(1)).to(torch.float64) * settings.dt
        close = lag.abs() <= settings.window
        differences.append(lag[close])
        changes.append(slope[trial, pre_bins].unsqueeze(1).expand_as(lag)[close])
        trials.append(torch.full((int(close.sum()),), trial))
    return torch.cat(differences), torch.cat(changes), torch.cat(trials)


def binned_window(differences: Tensor, changes: Tensor, edges: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Mean weight change per bin of spike-time difference, its standard error and the pair count."""
    index = torch.bucketize(differences, edges, right=True) - 1
    means, errors, counts = [], [], []
    for b in range(len(edges) - 1):
        values = changes[index == b]
        counts.append(len(values))
        means.append(values.mean() if len(values) else torch.tensor(float("nan"), dtype=torch.float64))
        errors.append(
            values.std() / len(values) ** 0.5
            if len(values) > 1
            else torch.tensor(float("nan"), dtype=torch.float64)
        )
    return torch.stack(means), torch.stack(errors), torch.tensor(counts)


def causal_contrast(
    differences: Tensor, changes: Tensor, trials: Tensor, window: float, num_blocks: int = 20
) -> tuple[float, float]:
    """Mean weight change of pre-before-post pairs ($0<t_{post}-t_{pre}\\le w$) minus that of post-before-pre
    pairs ($-w\\le t_{post}-t_{pre}<0$): the STDP sign structure in one number. Its standard error comes from
    ``num_blocks`` disjoint blocks of trials (pairs within a trial share a rate and are not independent):
    the standard deviation of the blocks' contrasts over $\\sqrt{\\text{blocks}}$."""

    def contrast(mask: Tensor) -> float:
        after = changes[mask & (differences > 0) & (differences <= window)]
        before = changes[mask & (differences < 0) & (differences >= -window)]
        return float(after.mean() - before.mean())

    blocks = torch.tensor(
        [contrast((trials % num_blocks) == block) for block in range(num_blocks)], dtype=torch.float64
    )
    return contrast(torch.ones_like(trials, dtype=torch.bool)), float(blocks.std() / num_blocks**0.5)
