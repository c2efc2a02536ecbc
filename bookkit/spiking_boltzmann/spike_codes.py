"""Coefficients carried by spikes through a temporal kernel (§2), and a rate code to compare with.

A spike of a neuron at $t_s$ adds a fixed causal kernel $r$ ($r(\\tau)=0$ for $\\tau<0$) to the coefficient
it drives, so a pooled population with spike counts $n(t)$ per bin carries
$$\\hat c(t)=w\\sum_{t_s}n(t_s)\\,r(t-t_s).$$
- Rate code: $n(t)\\sim\\mathrm{Poisson}\\big(c(t)/(w\\sum_\\tau r(\\tau))\\big)$, capped at the population
size.
- Deterministic rate code: the same mean counts without the Poisson noise, spikes placed where the integrated
  rate crosses the next integer (a regular-spiking rate code; its error is the kernel's lag, not noise).
- Timing code: greedy matching pursuit places each spike where it most reduces $\\lVert c-\\hat c\\rVert^2$,
  until it has spent the rate code's expected number of spikes. It sees the target within the kernel's
  support, so it is
  non-causal: an upper bound on what timing codes can do, not a neural mechanism.
- Causal timing code: at each bin the encoder sees only the target so far, assumes it stays at its present
value,
  and fires the spikes at that bin that most reduce the predicted squared error (for the exponential kernel, a
  leaky integrate-and-fire neuron).
The experiment and its thresholds are ours (the paper's §2 is qualitative).
Time is in bins of 1 ms.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch

from bookkit.spiking_boltzmann.model import alpha_kernel, exponential_kernel

Tensor = torch.Tensor

KernelKind = Literal["exp", "alpha"]
"""The two postsynaptic kernel shapes of the chapter."""


def make_kernel(kind: KernelKind, time_constant: float, support: int | None = None) -> np.ndarray:
    """``exp`` $e^{-\\tau/\\tau_r}$ or ``alpha`` $(\\tau/\\tau_r)e^{1-\\tau/\\tau_r}$ on $8\\tau_r+1$ bins
    (default)."""
    length = support or int(8 * time_constant) + 1
    builders = {"exp": exponential_kernel, "alpha": alpha_kernel}
    if kind not in builders:
        raise ValueError(f"unknown kernel {kind!r}; valid kernels are: {', '.join(builders)}")
    return builders[kind](time_constant, length, torch.float64).numpy()


def smooth_target(num_bins: int, generator: np.random.Generator, dt: float = 1e-3) -> np.ndarray:
    """$c(t)=2+\\sum_{f\\in\\{2,3,5,7\\}\\,\\mathrm{Hz}}A_f\\sin(2\\pi ft+\\phi_f)$, $A_f\\sim U(0.2,0.6)$,
    $\\phi_f\\sim U(0,2\\pi)$."""
    t = np.arange(num_bins) * dt
    frequencies = np.array([2.0, 3.0, 5.0, 7.0])
    amplitudes = generator.uniform(0.2, 0.6, 4)
    phases = generator.uniform(0, 2 * math.pi, 4)
    return 2 + (amplitudes[:, None] * np.sin(2 * math.pi * frequencies[:, None] * t + phases[:, None])).sum(0)


def step_target(num_bins: int, step_bin: int, low: float = 1.0, high: float = 3.0) -> np.ndarray:
    """$c(t)=$ ``low`` before ``step_bin`` and ``high`` from it on."""
    return np.where(np.arange(num_bins) < step_bin, low, high)


def spike_weight(kernel: np.ndarray, level: float = 2.0) -> float:
    """$w=\\text{level}/\\sum_\\tau r(\\tau)$: one pooled spike per bin holds $c$ at ``level``."""
    return level / float(kernel.sum())


def kernel_sum(counts: np.ndarray, kernel: np.ndarray, weight: float) -> np.ndarray:
    """$\\hat c(t)=w\\sum_{s\\le t}n(s)\\,r(t-s)$ (causal convolution over the last axis)."""
    return weight * np.apply_along_axis(lambda n: np.convolve(n, kernel)[: n.shape[0]], -1, counts)


def expected_spike_count(target: np.ndarray, kernel: np.ndarray, weight: float) -> int:
    """$\\sum_t c(t)/(w\\sum r)$, rounded: the rate code's mean spike count, the budget both codes share.

    Matching the timing code to one Poisson draw instead would let the draw's $\\pm\\sqrt N$ fluctuation,
    not the code, set the timing code's error (too few spikes cannot reach the mean level).
    """
    return round(float(np.clip(target, 0, None).sum() / (weight * kernel.sum())))


def rate_code(
    target: np.ndarray, kernel: np.ndarray, weight: float, max_per_bin: int, generator: np.random.Generator
) -> np.ndarray:
    """Pooled counts $n(t)\\sim\\mathrm{Poisson}(c(t)/(w\\sum r))$, capped at ``max_per_bin``."""
    rate = np.clip(target, 0, None) / (weight * kernel.sum())
    return np.minimum(generator.poisson(rate), max_per_bin)


def deterministic_rate_code(
    target: np.ndarray, kernel: np.ndarray, weight: float, max_per_bin: int
) -> np.ndarray:
    """Counts $n(t)=\\lfloor\\Lambda(t)+\\tfrac12\\rfloor-\\lfloor\\Lambda(t-1)+\\tfrac12\\rfloor$, capped at
    ``max_per_bin``.

    $\\Lambda(t)=\\sum_{s\\le t}\\lambda(s)$ integrates the rate code's mean $\\lambda=c/(w\\sum r)$, so the
    counts
    follow the rate exactly (no Poisson noise) and use only the past: a regular-spiking rate code.
    """
    rate = np.clip(target, 0, None) / (weight * kernel.sum())
    crossings = np.floor(np.cumsum(rate) + 0.5).astype(np.int64)
    return np.minimum(np.diff(crossings, prepend=0), max_per_bin)


def causal_timing_code(target: np.ndarray, kernel: np.ndarray, weight: float, max_per_bin: int) -> np.ndarray:
    """A greedy encoder that sees only the past and present of $c$ and fires $n(t)$ spikes at bin $t$ to
    minimise the predicted error $\\sum_\\tau\\big(e_t(\\tau)-n\\,w\\,r(\\tau)\\big)^2$ over the kernel's
    support.

    The prediction holds the target at $c(t)$ and assumes that from the next bin on the encoder fires at the
    rate $c(t)/(w\\sum r)$ that keeps it there; those future spikes supply
    $c(t)\\big(1-R(\\tau)/\\sum r\\big)$ at $t+\\tau$, with $R(\\tau)=\\sum_{u\\ge\\tau}r(u)$ the kernel's
    tail,
    so what the spikes at $t$ must supply is
    $$e_t(\\tau)=c(t)\\,R(\\tau)/{\\textstyle\\sum r}-\\hat c_{<t}(t+\\tau),$$
    $\\hat c_{<t}$ being the kernel sum of the spikes already fired. With
    $x=\\langle e_t,r\\rangle/(w\\lVert r\\rVert^2)$ the $(k{+}1)$-th spike lowers the error iff
    $x>k+\\tfrac12$, so
    $n(t)$ is $x$ rounded to the nearest integer (half down), clipped to $[0,$ ``max_per_bin``$]$. For
    $r(\\tau)=e^{-\\tau/\\tau_r}$ (long support)
    $e_t(\\tau)=\\big(c(t)-\\hat c_{<t}(t)\\big)e^{-\\tau/\\tau_r}$ and
    $x=(c(t)-\\hat c_{<t}(t))/w$: a leaky integrate-and-fire neuron whose membrane potential is the present
    error.
    """
    num_bins, length = target.shape[0], kernel.shape[0]
    future = np.zeros(num_bins + length)
    held_share = np.cumsum(kernel[::-1])[::-1] / kernel.sum()
    squared_norm = float(kernel @ kernel)
    counts = np.zeros(num_bins, dtype=np.int64)
    for t in range(num_bins):
        # x = <c(t) R(τ)/Σr − ĉ_{<t}(t+τ), r> / (w ||r||²)
        x = float((target[t] * held_share - future[t : t + length]) @ kernel) / (weight * squared_norm)
        n = min(max(int(np.ceil(x - 0.5)), 0), max_per_bin)
        if n:
            counts[t] = n
            future[t : t + length] += n * weight * kernel
    return counts


def timing_code(
    target: np.ndarray, kernel: np.ndarray, weight: float, num_spikes: int, max_per_bin: int
) -> np.ndarray:
    """Greedy matching pursuit: add the spike that most reduces $\\lVert c-\\hat c\\rVert^2$, ``num_spikes``
    times.

    A spike at $t_0$ changes the squared error by
    $-\\big(2w\\langle e,r_{t_0}\\rangle-w^2\\lVert r_{t_0}\\rVert^2\\big)$,
    with $e$ the residual and $r_{t_0}$ the kernel shifted to $t_0$ (cut at the end of the signal). After each
    spike only the correlations within one kernel length of $t_0$ change, so only those are recomputed.
    Stops early if no spike reduces the error; each bin holds at most ``max_per_bin`` spikes.
    """
    num_bins, length = target.shape[0], kernel.shape[0]
    residual = np.concatenate([target.astype(np.float64), np.zeros(length - 1)])
    squared_norm = np.cumsum(kernel**2)[np.minimum(length, num_bins - np.arange(num_bins)) - 1]
    correlation = np.correlate(residual, kernel, "valid")
    counts = np.zeros(num_bins, dtype=np.int64)
    for _ in range(num_spikes):
        gain = 2 * weight * correlation - weight**2 * squared_norm
        gain[counts >= max_per_bin] = -np.inf
        t0 = int(np.argmax(gain))
        if gain[t0] <= 0:
            break
        counts[t0] += 1
        residual[t0 : t0 + length] -= weight * kernel
        residual[num_bins:] = 0.0
        low, high = max(0, t0 - length + 1), min(num_bins, t0 + length)
        correlation[low:high] = np.correlate(residual[low : high + length - 1], kernel, "valid")
    return counts


def rmse(target: np.ndarray, estimate: np.ndarray, start: int = 0) -> float:
    """$\\sqrt{\\langle(c-\\hat c)^2\\rangle_{t\\ge\\text{start}}}$."""
    return float(np.sqrt(np.mean((target[start:] - estimate[start:]) ** 2)))


def latency(
    target: np.ndarray, estimate: np.ndarray, step_bin: int, tolerance: float, hold: int = 10
) -> float:
    """Bins after ``step_bin`` until $|c-\\hat c|<$ ``tolerance`` holds for ``hold`` bins; ``inf`` if
    never."""
    close = np.abs(target - estimate)[step_bin:] < tolerance
    runs = np.convolve(close.astype(int), np.ones(hold, dtype=int), "valid")
    reached = np.flatnonzero(runs == hold)
    return float(reached[0]) if reached.size else math.inf


def energy_landscape_over_time(
    spike_bins: list[list[int]],
    centres: list[float],
    width: float,
    kernel: np.ndarray,
    weight: float,
    grid: np.ndarray,
    num_bins: int,
    prior_precision: float = 1.0,
) -> np.ndarray:
    """$p(x,t)\\propto\\exp\\big(-\\sum_ia_i(t)(x-\\mu_i)^2/2\\sigma^2-\\lambda_0x'^2/2\\big)$ with $a_i(t)$
    from the spikes.

    Each neuron $i$ contributes a quadratic energy scaled by its kernel-filtered spike train
    $a_i(t)=w\\sum_sr(t-t_s)$; a weak prior (precision $\\lambda_0$ about the grid's middle, $x'=x-\\bar x$)
    keeps the density defined when no neuron is active. One spike makes the density narrow to a neck where
    its kernel peaks and widen again as the kernel decays: the paper's hourglass. Returns $(T, X)$.
    """
    counts = np.zeros((len(centres), num_bins))
    for neuron, bins in enumerate(spike_bins):
        np.add.at(counts[neuron], bins, 1)
    coefficients = kernel_sum(counts, kernel, weight)
    middle = 0.5 * (grid[0] + grid[-1])
    energy = (coefficients.T[:, :, None] * (grid - np.array(centres)[:, None]) ** 2).sum(1) / (2 * width**2)
    energy = energy + prior_precision * (grid - middle) ** 2 / 2
    density = np.exp(-(energy - energy.min(1, keepdims=True)))
    return density / (density.sum(1, keepdims=True) * (grid[1] - grid[0]))
