"""The population-code and spike-code studies of the chapter's first notebook (§1 and §2 of the paper).

Population codes: disjunctive (mixture) and energy-additive fits of sharp and bimodal targets, in 1-D and
2-D. Spike codes: timing and rate codes at equal spike count, as the spike budget changes, and their latency
after a step change. Every study is deterministic for a seed.
"""

from __future__ import annotations

import numpy as np
import torch

from bookkit.spiking_boltzmann import population_codes, spike_codes
from bookkit.spiking_boltzmann.presets import CodesConfig
from bookkit.spiking_boltzmann.spike_codes import KernelKind

POPULATION_TARGETS: dict[str, tuple[list[float], list[float], list[float]]] = {
    "sharp (sd 0.03)": ([0.43], [0.03], [1.0]),
    "very sharp (sd 0.01)": ([0.43], [0.01], [1.0]),
    "bimodal": ([0.3, 0.7], [0.02, 0.02], [1.0, 0.7]),
}
"""The three targets of the population-code study: (means, sds, unnormalised weights)."""


def population_code_fits(config: CodesConfig) -> dict[str, torch.Tensor]:
    """Disjunctive (EM) and energy-additive (L-BFGS) fits of every target at every tuning width, at once.

    Returns the grid, the targets $(K, X)$, the densities $q_D$, $q_E$ $(S, K, X)$ for the $S$ widths of
    ``width_sweep``, their KL divergences, sds and coefficients.
    """
    grid = torch.linspace(0, 1, config.grid_points, dtype=torch.float64)
    dx = float(grid[1] - grid[0])
    centres = torch.linspace(0, 1, config.num_neurons, dtype=torch.float64)
    targets = torch.stack(
        [population_codes.gaussian_mixture_target(grid, *spec) for spec in POPULATION_TARGETS.values()]
    )
    widths = torch.tensor(config.width_sweep, dtype=torch.float64)
    basis = population_codes.gaussian_basis(grid, centres, widths)[:, None]
    mixture_weights, q_disjunctive = population_codes.fit_disjunctive(
        targets, basis, dx, config.em_iterations
    )
    coefficients, q_energy = population_codes.fit_energy_additive(targets, basis, dx)
    return {
        "grid": grid,
        "centres": centres,
        "widths": widths,
        "targets": targets,
        "basis": basis[:, 0],
        "mixture_weights": mixture_weights,
        "coefficients": coefficients,
        "q_disjunctive": q_disjunctive,
        "q_energy": q_energy,
        "kl_disjunctive": population_codes.kl_divergence(targets, q_disjunctive, dx),
        "kl_energy": population_codes.kl_divergence(targets, q_energy, dx),
        "sd_target": population_codes.standard_deviation(targets, grid, dx),
        "sd_disjunctive": population_codes.standard_deviation(q_disjunctive, grid, dx),
        "sd_energy": population_codes.standard_deviation(q_energy, grid, dx),
    }


def population_code_fits_2d(config: CodesConfig) -> dict[str, torch.Tensor]:
    """Both readings on $[0,1]^2$: an isotropic target (sd ``target_sd_2d``) and an elongated one (sds
    $4s$ and $s$, rotated by 30°), with ``centres_2d``$^2$ neurons of width ``tuning_width``."""
    coords, area = population_codes.grid_2d(config.grid_2d)
    basis, centres = population_codes.gaussian_basis_2d(coords, config.centres_2d, config.tuning_width)
    sd = config.target_sd_2d
    targets = torch.stack(
        [
            population_codes.gaussian_target_2d(coords, area, (0.43, 0.57), (sd, sd)),
            population_codes.gaussian_target_2d(coords, area, (0.5, 0.45), (4 * sd, sd), np.pi / 6),
        ]
    )
    _, q_disjunctive = population_codes.fit_disjunctive(targets, basis, area, config.em_iterations)
    _, q_energy = population_codes.fit_energy_additive(targets, basis, area)
    return {
        "coords": coords,
        "centres": centres,
        "targets": targets,
        "q_disjunctive": q_disjunctive,
        "q_energy": q_energy,
        "kl_disjunctive": population_codes.kl_divergence(targets, q_disjunctive, area),
        "kl_energy": population_codes.kl_divergence(targets, q_energy, area),
        "covariance_target": population_codes.covariance_2d(targets, coords, area),
        "covariance_energy": population_codes.covariance_2d(q_energy, coords, area),
        "covariance_disjunctive": population_codes.covariance_2d(q_disjunctive, coords, area),
    }


def timing_versus_rate(
    config: CodesConfig, seed: int, kinds: tuple[KernelKind, ...] = ("exp", "alpha")
) -> list[dict]:
    """RMSE of timing and rate codes at equal spike count, per kernel, time constant and target (t ≥ 100
    ms)."""
    rows = []
    for target_index in range(config.num_targets):
        target = spike_codes.smooth_target(config.num_bins, np.random.default_rng([seed, target_index]))
        for kind in kinds:
            for time_constant in config.time_constants:
                kernel = spike_codes.make_kernel(kind, time_constant)
                weight = spike_codes.spike_weight(kernel)
                rng = np.random.default_rng([seed, target_index, int(time_constant), len(kind)])
                rate = spike_codes.rate_code(target, kernel, weight, config.population_size, rng)
                budget = spike_codes.expected_spike_count(target, kernel, weight)
                timing = spike_codes.timing_code(target, kernel, weight, budget, config.population_size)
                regular = spike_codes.deterministic_rate_code(target, kernel, weight, config.population_size)
                causal = spike_codes.causal_timing_code(target, kernel, weight, config.population_size)
                errors = {
                    f"rmse_{name}": spike_codes.rmse(
                        target, spike_codes.kernel_sum(counts, kernel, weight), 100
                    )
                    for name, counts in (
                        ("rate", rate),
                        ("deterministic_rate", regular),
                        ("timing", timing),
                        ("causal", causal),
                    )
                }
                rows.append(
                    {
                        "kernel": kind,
                        "time_constant": time_constant,
                        "target": target_index,
                        "budget": budget,
                        "rate_spikes": int(rate.sum()),
                        "timing_spikes": int(timing.sum()),
                        "causal_spikes": int(causal.sum()),
                        **errors,
                    }
                )
    return rows


def spike_budget_sweep(
    config: CodesConfig, seed: int, kind: KernelKind = "exp", time_constant: float = 10.0
) -> list[dict]:
    """RMSE of the four codes when the spike budget is scaled by each factor (the spike weight shrinks to
    match)."""
    target = spike_codes.smooth_target(config.num_bins, np.random.default_rng([seed, 0]))
    kernel = spike_codes.make_kernel(kind, time_constant)
    rows = []
    for factor in config.budget_factors:
        weight = spike_codes.spike_weight(kernel) / factor
        rate = spike_codes.rate_code(
            target, kernel, weight, config.population_size, np.random.default_rng([seed, int(100 * factor)])
        )
        budget = spike_codes.expected_spike_count(target, kernel, weight)
        codes = {
            "rate": rate,
            "deterministic_rate": spike_codes.deterministic_rate_code(
                target, kernel, weight, config.population_size
            ),
            "causal": spike_codes.causal_timing_code(target, kernel, weight, config.population_size),
            "timing": spike_codes.timing_code(target, kernel, weight, budget, config.population_size),
        }
        rows.append(
            {
                "factor": factor,
                "spikes": budget,
                **{
                    f"rmse_{name}": spike_codes.rmse(
                        target, spike_codes.kernel_sum(counts, kernel, weight), 100
                    )
                    for name, counts in codes.items()
                },
            }
        )
    return rows


def step_latencies(
    config: CodesConfig,
    seed: int,
    kinds: tuple[KernelKind, ...] = ("exp", "alpha"),
    step_bin: int | None = None,
) -> list[dict]:
    """Latency after a step from 1 to 3 of the four codes, per kernel, time constant and tolerance level.

    The tolerance is $\\max(\\text{level}, w)$ for each of ``latency_tolerances``: one spike quantum $w$ must
    fit inside it. The Poisson rate code's latency is the median over ``step_repeats`` draws; the other three
    codes are deterministic. A code that never settles within the window is censored at the window's length.
    """
    step_bin = step_bin or config.num_bins // 2
    target = spike_codes.step_target(config.num_bins, step_bin)
    window = config.num_bins - step_bin
    rows = []
    for kind in kinds:
        for time_constant in config.time_constants:
            kernel = spike_codes.make_kernel(kind, time_constant)
            weight = spike_codes.spike_weight(kernel)
            estimates = {
                "timing": spike_codes.timing_code(
                    target,
                    kernel,
                    weight,
                    spike_codes.expected_spike_count(target, kernel, weight),
                    config.population_size,
                ),
                "causal": spike_codes.causal_timing_code(target, kernel, weight, config.population_size),
                "deterministic_rate": spike_codes.deterministic_rate_code(
                    target, kernel, weight, config.population_size
                ),
            }
            estimates = {
                name: spike_codes.kernel_sum(counts, kernel, weight) for name, counts in estimates.items()
            }
            poisson = [
                spike_codes.kernel_sum(
                    spike_codes.rate_code(
                        target,
                        kernel,
                        weight,
                        config.population_size,
                        np.random.default_rng([seed, repeat, int(time_constant)]),
                    ),
                    kernel,
                    weight,
                )
                for repeat in range(config.step_repeats)
            ]
            for level in config.latency_tolerances:
                tolerance = max(level, weight)
                settled = {
                    name: min(spike_codes.latency(target, estimate, step_bin, tolerance), window)
                    for name, estimate in estimates.items()
                }
                poisson_settled = [
                    min(spike_codes.latency(target, estimate, step_bin, tolerance), window)
                    for estimate in poisson
                ]
                rows.append(
                    {
                        "kernel": kind,
                        "time_constant": time_constant,
                        "level": level,
                        "tolerance": tolerance,
                        "latency_rate": float(np.median(poisson_settled)),
                        **{f"latency_{name}": value for name, value in settled.items()},
                        "window": window,
                    }
                )
    return rows
