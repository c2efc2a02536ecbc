"""Population codes and spike codes against closed forms, brute force and naive loops."""

import itertools
import math

import numpy as np
import torch

from bookkit.spiking_boltzmann.population_codes import (
    conjunctive_interval,
    covariance_2d,
    energy_additive_density,
    fit_disjunctive,
    fit_energy_additive,
    gaussian_basis,
    gaussian_basis_2d,
    gaussian_mixture_target,
    gaussian_target_2d,
    grid_2d,
    kl_divergence,
    quadratic_energy_density,
    quadratic_posterior_sd,
    standard_deviation,
)
from bookkit.spiking_boltzmann.spike_codes import (
    causal_timing_code,
    deterministic_rate_code,
    energy_landscape_over_time,
    kernel_sum,
    latency,
    make_kernel,
    spike_weight,
    timing_code,
)

GRID = torch.linspace(0, 1, 501, dtype=torch.float64)
DX = float(GRID[1] - GRID[0])
CENTRES = torch.linspace(0, 1, 12, dtype=torch.float64)


def test_energy_additive_fit_recovers_a_representable_density():
    basis = gaussian_basis(GRID, CENTRES, 0.15)
    true = torch.linspace(-3, 4, 12, dtype=torch.float64).sin() * 5
    target = energy_additive_density(true, basis, DX)
    _, fitted = fit_energy_additive(target, basis, DX)
    assert float(kl_divergence(target, fitted, DX)) < 1e-9


def test_energy_additive_fits_of_a_stack_are_those_of_each_problem_alone():
    # a sharp and a bimodal target against three tuning widths: six problems fitted in one call
    grid = torch.linspace(0, 1, 1001, dtype=torch.float64)
    dx = float(grid[1] - grid[0])
    centres = torch.linspace(0, 1, 20, dtype=torch.float64)
    targets = torch.stack(
        [
            gaussian_mixture_target(grid, [0.43], [0.01], [1.0]),
            gaussian_mixture_target(grid, [0.3, 0.7], [0.02, 0.02], [1.0, 0.7]),
        ]
    )
    basis = gaussian_basis(grid, centres, torch.tensor([0.1, 0.15, 0.3], dtype=torch.float64))[:, None]
    coefficients, fitted = fit_energy_additive(targets, basis, dx)
    assert coefficients.shape == (3, 2, 20)
    alone, _ = fit_energy_additive(targets[1], basis[1, 0], dx)
    assert torch.allclose(coefficients[1, 1], alone, rtol=1e-6, atol=1e-6)
    # the bimodal target is representable at sigma_b = 0.15; one L-BFGS over the stacked problems
    # stopped at KL 8e-4, each problem alone reaches 1e-5
    assert float(kl_divergence(targets[1], fitted[1, 1], dx)) < 1e-4


def test_disjunctive_fit_recovers_a_mixture_and_cannot_beat_one_tuning_curve():
    basis = gaussian_basis(GRID, CENTRES, 0.1)
    phi = basis / (basis.sum(-1, keepdim=True) * DX)
    mixture = 0.3 * phi[3] + 0.7 * phi[8]
    _weights, fitted = fit_disjunctive(mixture, basis, DX, iterations=3000)
    assert float(kl_divergence(mixture, fitted, DX)) < 1e-4
    sharp = gaussian_mixture_target(GRID, [0.5], [0.01], [1.0])
    _, fitted_sharp = fit_disjunctive(sharp, basis, DX, iterations=500)
    sds = standard_deviation(phi, GRID, DX)
    assert float(standard_deviation(fitted_sharp, GRID, DX)) >= float(sds.min()) - 1e-9


def test_em_never_decreases_the_expected_log_likelihood():
    basis = gaussian_basis(GRID, CENTRES, 0.15)
    target = gaussian_mixture_target(GRID, [0.3, 0.7], [0.02, 0.02], [1.0, 0.7])
    values = [
        float((target * torch.log(fit_disjunctive(target, basis, DX, n)[1])).sum()) for n in (1, 5, 25, 125)
    ]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))


def test_quadratic_energies_add_precisions():
    grid = torch.linspace(-2, 3, 20001, dtype=torch.float64)
    coefficients = torch.tensor([0.5, 2.0, 7.0, 1.5], dtype=torch.float64)
    centres = torch.tensor([0.2, 0.4, 0.5, 0.9], dtype=torch.float64)
    numeric = standard_deviation(
        quadratic_energy_density(coefficients, centres, 0.15, grid), grid, float(grid[1] - grid[0])
    )
    assert abs(float(numeric) - float(quadratic_posterior_sd(coefficients, 0.15))) < 1e-9


def test_conjunctive_interval_contains_the_object_and_is_the_brute_force_intersection():
    centres = torch.linspace(0, 1, 21, dtype=torch.float64)
    low, high, active = conjunctive_interval(0.43, centres, 0.2)
    inside = [
        x
        for x in np.linspace(0, 1, 10001)
        if all(abs(x - m) <= 0.2 for m in centres.tolist() if abs(0.43 - m) <= 0.2)
    ]
    assert low <= 0.43 <= high and active == 8
    assert abs(min(inside) - low) < 2e-4 and abs(max(inside) - high) < 2e-4


def test_kernel_sum_matches_a_loop_over_spikes():
    kernel = make_kernel("alpha", 3.0)
    counts = np.zeros(60, dtype=int)
    counts[[2, 7, 7, 30, 58]] += 1
    expected = np.zeros(60)
    for t_s in np.repeat(np.arange(60), counts):
        for t in range(t_s, min(60, t_s + kernel.size)):
            expected[t] += 0.3 * kernel[t - t_s]
    assert np.allclose(kernel_sum(counts, kernel, 0.3), expected)


def test_matching_pursuit_picks_the_best_single_spike_each_time():
    kernel = make_kernel("exp", 4.0)
    weight = spike_weight(kernel)
    target = 2 + np.sin(np.arange(80) / 6.0)
    counts = timing_code(target, kernel, weight, 3, max_per_bin=2)
    previous = timing_code(target, kernel, weight, 2, max_per_bin=2)
    base_error = np.sum((target - kernel_sum(previous, kernel, weight)) ** 2)
    best = math.inf
    for t0 in range(80):
        if previous[t0] >= 2:
            continue
        trial = previous.copy()
        trial[t0] += 1
        best = min(best, np.sum((target - kernel_sum(trial, kernel, weight)) ** 2))
    assert np.isclose(np.sum((target - kernel_sum(counts, kernel, weight)) ** 2), best)
    assert best < base_error and counts.max() <= 2 and counts.sum() == 3


def naive_causal_encoder(target, kernel, weight, max_per_bin):
    """At each bin, add spikes one at a time while the brute-force predicted squared error falls."""
    length = kernel.size
    held_share = np.array([kernel[tau:].sum() for tau in range(length)]) / kernel.sum()
    counts = np.zeros(target.size, dtype=int)
    for t in range(target.size):
        padded = np.concatenate([counts, np.zeros(length, dtype=int)])
        needed = target[t] * held_share - kernel_sum(padded, kernel, weight)[t : t + length]
        errors = [np.sum((needed - n * weight * kernel) ** 2) for n in range(max_per_bin + 1)]
        while counts[t] < max_per_bin and errors[counts[t] + 1] < errors[counts[t]]:
            counts[t] += 1
    return counts


def test_causal_encoder_is_the_greedy_predictive_rule_and_ignores_the_future():
    kernel = make_kernel("alpha", 4.0)
    weight = spike_weight(kernel)
    target = 2 + np.sin(np.arange(120) / 7.0) + (np.arange(120) >= 60)
    counts = causal_timing_code(target, kernel, weight, max_per_bin=5)
    assert np.array_equal(counts, naive_causal_encoder(target, kernel, weight, 5))
    changed = target.copy()
    changed[80:] = 0.0
    assert np.array_equal(causal_timing_code(changed, kernel, weight, 5)[:80], counts[:80])
    assert not np.array_equal(causal_timing_code(changed, kernel, weight, 5), counts)


def test_causal_encoder_with_an_exponential_kernel_is_a_leaky_integrate_and_fire_neuron():
    time_constant, weight = 3.0, 0.4
    kernel = make_kernel("exp", time_constant, support=400)
    target = 1.5 + np.cos(np.arange(150) / 5.0)
    decoded, expected = 0.0, []
    for value in target:  # membrane potential (c(t) − ĉ(t)) / w, spikes are its rounding (half down)
        spikes = min(max(int(np.ceil((value - decoded) / weight - 0.5)), 0), 3)
        expected.append(spikes)
        decoded = (decoded + spikes * weight) * math.exp(-1 / time_constant)
    assert np.array_equal(causal_timing_code(target, kernel, weight, max_per_bin=3), expected)


def test_deterministic_rate_code_follows_the_integrated_rate_within_half_a_spike():
    kernel = make_kernel("exp", 5.0)
    weight = spike_weight(kernel)
    target = 2 + np.sin(np.arange(300) / 9.0)
    counts = deterministic_rate_code(target, kernel, weight, max_per_bin=20)
    integrated, emitted, naive = 0.0, 0, []
    for value in target:
        integrated += value / (weight * kernel.sum())
        spikes = 0
        while emitted + spikes + 0.5 <= integrated:
            spikes += 1
        emitted += spikes
        naive.append(spikes)
    assert np.array_equal(counts, naive)
    assert np.all(np.abs(np.cumsum(counts) - np.cumsum(target / (weight * kernel.sum()))) <= 0.5)


def test_latency_counts_bins_until_the_estimate_stays_close():
    target = np.ones(40)
    estimate = np.zeros(40)
    estimate[25:] = 1.0
    assert latency(target, estimate, step_bin=20, tolerance=0.1, hold=5) == 5
    assert latency(target, np.zeros(40), step_bin=20, tolerance=0.1) == math.inf


def test_one_spike_draws_an_hourglass():
    grid = np.linspace(0, 1, 201)
    kernel = make_kernel("alpha", 5.0)
    density = energy_landscape_over_time([[10]], [0.5], 0.15, kernel, 20.0, grid, 60)
    sd = np.sqrt((density * (grid - 0.5) ** 2).sum(1) * (grid[1] - grid[0]))
    neck = int(np.argmin(sd))
    assert neck == 15  # the alpha kernel peaks tau_r = 5 bins after the spike
    assert sd[5] > sd[neck] * 3 and sd[59] > sd[neck] * 1.5


def test_2d_target_has_the_requested_covariance_and_energy_fit_recovers_it():
    coords, area = grid_2d(96)
    target = gaussian_target_2d(coords, area, (0.5, 0.5), (0.12, 0.05), math.pi / 6)
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    rotation = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    expected = rotation @ torch.diag(torch.tensor([0.12**2, 0.05**2], dtype=torch.float64)) @ rotation.T
    assert torch.allclose(covariance_2d(target, coords, area), expected, atol=2e-5)
    basis, centres = gaussian_basis_2d(coords, 6, 0.2)
    assert basis.shape == (36, 96 * 96)
    assert (coords[basis[7].argmax()] - centres[7]).abs().max() <= 1 / 96
    _, fitted = fit_energy_additive(target, basis, area)
    assert float(kl_divergence(target, fitted, area)) < 0.01
