"""Recipes the chapter's notebooks call: the population-code and spike-code studies, and stacks of model
variants trained and evaluated on the ball task.

Every recipe is deterministic for a seed on the CPU: the weights come from ``seed``, the training data from
``100 + seed`` and the Gibbs sampling from a device generator seeded with ``seed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch

from bookkit.spiking_boltzmann import exact, population_codes, spike_codes
from bookkit.spiking_boltzmann.data import (
    BouncingBallsTask,
    CircleTask,
    bouncing_balls,
    intensity_to_spikes,
    random_circle_intensities,
)
from bookkit.spiking_boltzmann.followups import (
    ConditionalRBM,
    RecurrentTemporalRBM,
    predict_one_step,
    rollout,
    train_sequence_model,
)
from bookkit.spiking_boltzmann.likelihood import sequence_log_likelihood
from bookkit.spiking_boltzmann.model import TemporalBoltzmannMachine
from bookkit.spiking_boltzmann.presets import CircleConfig, CodesConfig, ExactConfig, FollowupConfig
from bookkit.spiking_boltzmann.train import (
    CircleEvaluation,
    Variant,
    build_stack,
    circle_minibatches,
    evaluate_circle,
    generate,
    non_temporal_variant,
    predict_next_frames,
    temporal_variant,
    train_cd,
)


def circle_task(config: CircleConfig) -> CircleTask:
    return CircleTask(grid=config.grid, radius=config.radius, period=config.period, blob_sd=config.blob_sd)


def sampling_generator(seed: int, device: torch.device | str) -> torch.Generator:
    """A generator on ``device`` for Bernoulli sampling (CPU and CUDA streams differ; each is deterministic)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def temporal_and_static_variants(config: CircleConfig) -> tuple[list[Variant], list[int]]:
    """``num_seeds`` temporal models and as many non-temporal controls; control ``k`` sees seed ``k``'s data."""
    temporal = temporal_variant(
        "temporal", config.kernel_time_constant, config.history_length, config.history_length
    )
    static = non_temporal_variant(config.history_length)
    variants = [temporal] * config.num_seeds + [static] * config.num_seeds
    return variants, list(range(config.num_seeds)) * 2


def train_variants(
    config: CircleConfig,
    variants: list[Variant],
    data_streams: list[int],
    seed: int,
    device: torch.device | str,
    num_minibatches: int | None = None,
    desc: str = "CD training",
) -> dict[str, torch.Tensor]:
    """Train one model per variant side by side; returns the model's state and the reconstruction errors."""
    task = circle_task(config)
    model = build_stack(
        variants, task.num_pixels, config.num_hidden, torch.Generator().manual_seed(seed), device
    )
    minibatch = circle_minibatches(
        task,
        variants,
        data_streams,
        config.batch_size,
        config.num_frames,
        torch.Generator().manual_seed(100 + seed),
        device,
    )
    errors = train_cd(
        model,
        minibatch,
        num_minibatches or config.num_minibatches,
        lr=config.lr,
        momentum=config.momentum,
        generator=sampling_generator(seed, device),
        desc=desc,
    )
    return {**model.state_dict(), "reconstruction_error": errors}


def evaluate_state(
    config: CircleConfig,
    state: dict[str, torch.Tensor],
    seed: int,
    device: torch.device | str,
    direction: float = 1.0,
) -> CircleEvaluation:
    """One-step test and generation (see :func:`~bookkit.spiking_boltzmann.train.evaluate_circle`)."""
    model = TemporalBoltzmannMachine.from_state_dict({k: v.to(device) for k, v in state.items()})
    return evaluate_circle(
        model,
        circle_task(config),
        sampling_generator(10_000 + seed, device),
        prime_thetas=config.prime_thetas,
        generated_frames=config.generated_frames,
        gibbs_steps=config.gibbs_steps,
        average_last=config.average_last,
        direction=direction,
    )


def held_out_log_likelihood(
    config: CircleConfig, seed: int, device: torch.device | str
) -> dict[str, torch.Tensor]:
    """Train a temporal model and its history-less control with ``likelihood_hidden`` hidden units (small
    enough to enumerate), then score ``likelihood_sequences`` fresh test sequences exactly.

    Returns the trained state and ``log_likelihood``, $\\log p(v(t)\\mid\\text{past})$ in nats $(2, B, T)$:
    row 0 temporal, row 1 control (frames $t<D$ included; the caller drops them).
    """
    small = dataclasses.replace(config, num_hidden=config.likelihood_hidden)
    variants = [
        temporal_variant(
            "temporal", config.kernel_time_constant, config.history_length, config.history_length
        ),
        non_temporal_variant(config.history_length),
    ]
    state = train_variants(small, variants, [0, 0], seed, device, desc="small models for the likelihood")
    model = TemporalBoltzmannMachine.from_state_dict(
        {k: v.to(device) for k, v in state.items() if k != "reconstruction_error"}
    )
    test = intensity_to_spikes(
        random_circle_intensities(
            1,
            config.likelihood_sequences,
            config.num_frames,
            circle_task(config),
            torch.Generator().manual_seed(30_000 + seed),
        ),
        False,
        None,
    ).to(device)
    scores = sequence_log_likelihood(
        model, test.expand(2, -1, -1, -1), sampling_generator(40_000 + seed, device)
    )
    return {**state, "log_likelihood": scores.cpu()}


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
    config: CodesConfig, seed: int, kinds: tuple[str, ...] = ("exp", "alpha")
) -> list[dict]:
    """RMSE of timing and rate codes at equal spike count, per kernel, time constant and target (t ≥ 100 ms)."""
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
    config: CodesConfig, seed: int, kind: str = "exp", time_constant: float = 10.0
) -> list[dict]:
    """RMSE of the four codes when the spike budget is scaled by each factor (the spike weight shrinks to match)."""
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
    config: CodesConfig, seed: int, kinds: tuple[str, ...] = ("exp", "alpha"), step_bin: int | None = None
) -> list[dict]:
    """Latency after a step from 1 to 3 of the four codes, per kernel, time constant and tolerance level.

    The tolerance is $\\max(\\text{level}, w)$ for each of ``latency_tolerances``: one spike quantum $w$ must fit
    inside it. The Poisson rate code's latency is the median over ``step_repeats`` draws; the other three
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


def exactness_study(config: ExactConfig, generator: torch.Generator) -> dict[str, np.ndarray]:
    """For ``num_draws`` random tiny machines: the slice factorisation error, the future's influence on the
    present for the causal and the symmetric machine, and cos(E[CD-k], exact gradient) and
    $\\lVert\\mathbb E[\\text{CD-}k]-\\nabla\\rVert/\\lVert\\nabla\\rVert$ for each k."""
    nv, nh = config.num_visible, config.num_hidden
    results: dict[str, list] = {
        "factorisation_error": [],
        "causal_marginal_influence": [],
        "symmetric_marginal_influence": [],
        "symmetric_posterior_spread": [],
        "causal_smoothing_spread": [],
        "cosines": [],
        "relative_errors": [],
    }
    for _ in range(config.num_draws):
        model, v_tilde, h_tilde = exact.random_machine(
            nv,
            nh,
            config.history_length,
            config.kernel_time_constant,
            config.weight_scale,
            generator,
            config.bias_scale,
        )
        hidden_given_visible, visible_given_hidden = exact.enumerated_conditionals(model, v_tilde, h_tilde)
        visible_states, hidden_states = exact.all_binary_states(nv), exact.all_binary_states(nh)
        formula_h = torch.sigmoid(
            model.hidden_input(
                visible_states[None], v_tilde.expand(1, 2**nv, nv), h_tilde.expand(1, 2**nv, nh)
            )
        )[0]
        formula_v = torch.sigmoid(
            model.visible_input(
                hidden_states[None], v_tilde.expand(1, 2**nh, nv), h_tilde.expand(1, 2**nh, nh)
            )
        )[0]
        results["factorisation_error"].append(
            max(
                float((formula_h - hidden_given_visible).abs().max()),
                float((formula_v - visible_given_hidden).abs().max()),
            )
        )
        data = torch.softmax(2 * torch.randn(2**nv, generator=generator, dtype=torch.float64), 0)
        gradient = exact.exact_gradient(model, data, v_tilde, h_tilde)
        updates = [exact.expected_cd_update(model, data, v_tilde, h_tilde, k) for k in config.cd_steps]
        results["cosines"].append([exact.cosine(update, gradient) for update in updates])
        results["relative_errors"].append(
            [float((update - gradient).norm() / gradient.norm()) for update in updates]
        )
        small, _, _ = exact.random_machine(
            config.space_time_visible,
            config.space_time_hidden,
            config.space_time_steps - 1,
            config.kernel_time_constant,
            config.weight_scale,
            generator,
            config.bias_scale,
        )
        V, H = exact.space_time_states(
            config.space_time_visible, config.space_time_hidden, config.space_time_steps
        )
        zeros_v, zeros_h = V.new_zeros(V.shape[2]), H.new_zeros(H.shape[2])
        alone = exact.slice_log_joint(small, zeros_v, zeros_h).exp()
        causal = exact.causal_log_joint(small, V, H)
        symmetric = exact.symmetric_log_joint(small.W[0], small.b[0], small.c[0], small.r[0], V, H)
        results["causal_marginal_influence"].append(
            float((exact.first_slice_marginal(causal, V, H) - alone).abs().max())
        )
        results["symmetric_marginal_influence"].append(
            float((exact.first_slice_marginal(symmetric, V, H) - alone).abs().max())
        )
        results["symmetric_posterior_spread"].append(exact.hidden_posterior_spread(symmetric, V, H))
        results["causal_smoothing_spread"].append(exact.hidden_posterior_spread(causal, V, H))
    return {name: np.array(values) for name, values in results.items()}


def ablation_variants(config: CircleConfig) -> tuple[list[Variant], list[int]]:
    """The ablation stack: the full model, without $U$ and/or $A$, other kernel time constants and other
    kernel lengths ``ablation_depths`` (all padded to the longest); all see the same balls. (The non-temporal
    control is in :func:`temporal_and_static_variants`.)"""
    tau, depth = config.kernel_time_constant, config.history_length
    longest = max(depth, *config.ablation_depths)
    variants = [
        temporal_variant("full model", tau, depth, longest),
        temporal_variant("no U, no A", tau, depth, longest, use_A=False, use_U=False),
        temporal_variant("no U", tau, depth, longest, use_U=False),
        temporal_variant("no A", tau, depth, longest, use_A=False),
        temporal_variant("τ_r = 0.5", 0.5, depth, longest),
        temporal_variant("τ_r = 5", 5.0, depth, longest),
        *[temporal_variant(f"D = {d}", tau, d, longest) for d in config.ablation_depths if d != depth],
    ]
    return variants, [0] * len(variants)


def stress_variants(config: CircleConfig) -> tuple[list[Variant], list[int]]:
    """Stochastic visible spikes $v\\sim\\mathrm{Bernoulli}(0.9I)$, and training on both directions."""
    tau, depth = config.kernel_time_constant, config.history_length
    return (
        [
            temporal_variant("stochastic spikes", tau, depth, depth, stochastic_spikes=True),
            temporal_variant("both directions", tau, depth, depth, bidirectional=True),
        ],
        [0, 1],
    )


def sequence_source(
    name: str, config: FollowupConfig, task: CircleTask | None = None
) -> Callable[[int, torch.Generator], torch.Tensor]:
    """``source(batch, generator)`` → binary frames $(B, T, n_v)$ of the ``circle`` or ``bouncing balls`` task."""
    if name == "circle":
        task = task or CircleTask()

        def circle(batch: int, generator: torch.Generator) -> torch.Tensor:
            intensity = random_circle_intensities(1, batch, config.num_frames, task, generator)[0]
            return intensity_to_spikes(intensity, False, None)

        return circle
    balls = BouncingBallsTask(resolution=config.balls_resolution, num_balls=config.num_balls)
    return lambda batch, generator: bouncing_balls(batch, config.num_frames, balls, generator)


def compare_temporal_models(
    config: FollowupConfig,
    source: Callable[[int, torch.Generator], torch.Tensor],
    seed: int,
    device: torch.device | str,
    desc: str,
) -> dict[str, dict[str, torch.Tensor]]:
    """Train the kernel-tied machine, a CRBM and an RTRBM on ``source``; score them and copy-last on test data.

    Returns, per model, the one-step predictions and the rollouts of the test sequences (primed with
    ``prime_frames`` true frames), plus ``test`` (the true frames).
    """
    test = source(config.num_test_sequences, torch.Generator().manual_seed(50_000 + seed)).to(device)
    num_visible = test.shape[2]
    data_generator = torch.Generator().manual_seed(100 + seed)

    def minibatch(_: int) -> torch.Tensor:
        return source(config.batch_size, data_generator).to(device)

    results: dict[str, dict[str, torch.Tensor]] = {}
    tied = build_stack(
        [
            temporal_variant(
                "kernel-tied", config.kernel_time_constant, config.history_length, config.history_length
            )
        ],
        num_visible,
        config.num_hidden,
        torch.Generator().manual_seed(seed),
        device,
    )
    train_cd(
        tied,
        lambda i: minibatch(i)[None],
        config.num_minibatches,
        lr=config.lr,
        momentum=config.momentum,
        generator=sampling_generator(seed, device),
        desc=f"{desc}: kernel-tied",
    )
    sampler = sampling_generator(20_000 + seed, device)
    prime = test[:, : config.prime_frames]
    results["kernel-tied (this paper)"] = {
        "one_step": predict_next_frames(tied, test[None], sampler, config.gibbs_steps, config.average_last)[
            0
        ],
        "rollout": generate(tied, prime[None], config.rollout_frames, sampler, config.gibbs_steps)[0],
    }
    for name, make in (
        (
            "CRBM",
            lambda: ConditionalRBM(
                num_visible, config.num_hidden, config.history_length, torch.Generator().manual_seed(seed)
            ),
        ),
        (
            "RTRBM",
            lambda: RecurrentTemporalRBM(num_visible, config.num_hidden, torch.Generator().manual_seed(seed)),
        ),
    ):
        model = make().to(device)
        train_sequence_model(
            model,
            minibatch,
            config.num_minibatches,
            lr=config.sequence_lr,
            momentum=config.momentum,
            generator=sampling_generator(seed, device),
            desc=f"{desc}: {name}",
        )
        results[name] = {
            "one_step": predict_one_step(model, test, sampler, config.gibbs_steps, config.average_last),
            "rollout": rollout(model, prime, config.rollout_frames, sampler, config.gibbs_steps),
        }
    copy = torch.cat([torch.zeros_like(test[:, :1]), test[:, :-1]], 1)
    results["copy last"] = {"one_step": copy, "rollout": prime[:, -1:].expand(-1, config.rollout_frames, -1)}
    results["test"] = {"frames": test}
    return {name: {k: v.cpu() for k, v in values.items()} for name, values in results.items()}


def sequence_errors(
    results: dict[str, dict[str, torch.Tensor]], config: FollowupConfig
) -> dict[str, dict[str, float]]:
    """Per model: one-step MSE per pixel over frames $t\\ge D$, and rollout MSE per pixel over the rollout."""
    test = results["test"]["frames"]
    truth = test[:, config.prime_frames : config.prime_frames + config.rollout_frames]
    scores = {}
    for name, values in results.items():
        if name == "test":
            continue
        one_step = ((values["one_step"] - test)[:, config.history_length :] ** 2).mean()
        rolled = ((values["rollout"][:, : truth.shape[1]] - truth) ** 2).mean()
        scores[name] = {"one_step_mse": float(one_step), "rollout_mse": float(rolled)}
    return scores
