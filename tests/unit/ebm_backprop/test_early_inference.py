"""First arrival, BPTT, implicit differentiation and EP against independent references (float64)."""

import torch

from bookkit.ebm_backprop.early_inference import (
    backprop_errors,
    box_safe_beta,
    bptt_gradients,
    ep_weight_gradients,
    first_arrival,
    fixed_point_adjoint,
    fixed_point_weight_gradients,
    gdu_metrics,
    langevin_branch,
    langevin_burn_in,
    langevin_gaussian_covariance,
    log_log_slope,
    nudged_minus_free,
    nudged_trajectory,
    predicted_first_move_snr,
)
from bookkit.ebm_backprop.energy import (
    LayeredNetwork,
    cost,
    energy,
    energy_hessian,
    flatten_states,
    init_network,
    initial_states,
    relax,
    rho,
    rho_prime,
    stationarity_residual,
)
from bookkit.ebm_backprop.experiments import langevin_first_arrival

EPS = 0.2


def _relaxed(sizes=(5, 4, 4, 3), gain=1.0, seed=0, steps=1500):
    generator = torch.Generator().manual_seed(seed)
    net = init_network(sizes, "smooth", gain=gain, bias_range=(0.0, 0.5), generator=generator)
    x = torch.rand(2, sizes[0], generator=generator, dtype=torch.float64)
    target = torch.nn.functional.one_hot(torch.tensor([0, 2]), sizes[-1]).double()
    s_star = relax(net, x, initial_states(net, (2,), 0.5), steps, EPS)
    return net, x, target, s_star


def test_delta_recursion_equals_autograd_through_the_linearised_layer_map():
    net, _x, target, s_star = _relaxed(sizes=(5, 4, 6, 4, 3))
    kind = net.nonlinearity
    deltas = backprop_errors(net, s_star, target)
    for layer in range(net.num_layers):
        start = s_star[layer].clone().requires_grad_(True)
        # linearised map: s_{m+1} = s*_{m+1} + rho'(s*_{m+1}) * W_{m+1} (rho(s_m) - rho(s*_m)), through s*
        h = start
        for m in range(layer, net.num_layers - 1):
            h = s_star[m + 1] + rho_prime(s_star[m + 1], kind) * (
                (rho(h, kind) - rho(s_star[m], kind)) @ net.weights[m + 1].T
            )
        (reference,) = torch.autograd.grad(cost(h, target).sum(), start)
        torch.testing.assert_close(deltas[layer], reference, rtol=1e-12, atol=1e-14)


def test_layers_are_exactly_still_before_arrival_and_then_move_by_minus_beta_eps_k_plus_1_delta():
    net, x, target, s_star = _relaxed()
    report = first_arrival(net, x, s_star, target, beta=1e-6, eps=EPS)
    assert float(report["before_arrival"].max()) == 0.0
    assert float(report["relative_error"].max()) < 1e-4
    coarse = first_arrival(net, x, s_star, target, beta=1e-2, eps=EPS)
    assert float(coarse["relative_error"][:-1].min()) > 1e-4  # the O(beta) term is really there


def test_log_log_slope_recovers_a_power_law():
    betas = [1e-1, 1e-2, 1e-3]
    values = torch.tensor([[3 * b**1.5, 0.5 * b] for b in betas], dtype=torch.float64)
    torch.testing.assert_close(log_log_slope(betas, values), torch.tensor([1.5, 1.0], dtype=torch.float64))


def test_bptt_gradients_equal_powers_of_the_euler_jacobian_from_the_dense_hessian():
    net, x, target, s_star = _relaxed()
    gradients = bptt_gradients(net, x, s_star, target, EPS, 6)
    hessian = energy_hessian(net, x, s_star)
    jacobian = torch.eye(hessian.shape[-1], dtype=torch.float64) - EPS * hessian
    vector = flatten_states([torch.zeros_like(s) for s in s_star[:-1]] + [s_star[-1] - target])
    for t in range(6):
        expected = torch.einsum("bij,bj->bi", torch.linalg.matrix_power(jacobian, t), vector)
        torch.testing.assert_close(
            flatten_states([g[t] for g in gradients]), expected, rtol=1e-10, atol=1e-13
        )


def test_nudged_trajectory_matches_bptt_to_first_order_in_beta():
    net, x, target, s_star = _relaxed()
    bptt = bptt_gradients(net, x, s_star, target, EPS, 8)
    errors = []
    for beta in (1e-2, 1e-3):
        ep = [d / beta for d in nudged_minus_free(net, x, s_star, target, beta, EPS, 8)]
        errors.append(gdu_metrics(ep, bptt, EPS)["e_gdu"])
    assert errors[1] < 2e-3
    assert 7 < errors[0] / errors[1] < 13
    exact = gdu_metrics([-EPS * g for g in bptt], bptt, EPS)
    assert exact["e_gdu"] == 0.0 and exact["sign_agreement"] == 1.0 and exact["rmse"] == 0.0


def test_conjugate_gradient_adjoint_solves_the_dense_hessian_system():
    net, x, target, s_star = _relaxed(gain=2.0)
    adjoint = flatten_states(fixed_point_adjoint(net, x, s_star, target))
    hessian = energy_hessian(net, x, s_star)
    rhs = flatten_states([torch.zeros_like(s) for s in s_star[:-1]] + [s_star[-1] - target])
    torch.testing.assert_close(adjoint, torch.linalg.solve(hessian, rhs), rtol=1e-9, atol=1e-12)


def test_ep_gradient_equals_autograd_of_the_energy_difference_with_states_held_fixed():
    net, x, target, s_star = _relaxed()
    beta = 0.05
    nudged = relax(net, x, s_star, 50, EPS, beta=beta, target=target)
    weights = [w.clone().requires_grad_(True) for w in net.weights]
    probe = LayeredNetwork(weights, net.biases, net.nonlinearity)
    difference = (energy(probe, x, nudged) - energy(probe, x, s_star)) / beta
    for row in range(x.shape[0]):
        reference = torch.autograd.grad(difference[row], weights, retain_graph=True)
        for estimate, expected in zip(ep_weight_gradients(net, x, s_star, nudged, beta), reference):
            torch.testing.assert_close(estimate[row], expected, rtol=1e-12, atol=1e-14)


def _fixed_point_loss(weights, net, x, target, steps):
    probe = LayeredNetwork(list(weights), net.biases, net.nonlinearity)
    s_star = relax(probe, x, initial_states(probe, (x.shape[0],), 0.5), steps, 0.5)
    return cost(s_star[-1], target).sum()


def test_tiny_ep_update_and_implicit_gradient_match_finite_differences_of_the_fixed_point_loss():
    sizes, steps = (3, 3, 2), 400
    generator = torch.Generator().manual_seed(3)
    net = init_network(sizes, "smooth", gain=1.0, bias_range=(0.0, 0.5), generator=generator)
    x = torch.rand(1, sizes[0], generator=generator, dtype=torch.float64)
    target = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    s_star = relax(net, x, initial_states(net, (1,), 0.5), steps, 0.5)
    # central finite differences of C(s*(W)) for every weight, all perturbed networks in one vmap
    flat = torch.cat([w.flatten() for w in net.weights])
    h = 1e-5
    perturbations = torch.cat([torch.eye(len(flat)), -torch.eye(len(flat))]).double() * h

    def loss_of(flat_weights):
        weights, offset = [], 0
        for w in net.weights:
            weights.append(flat_weights[offset : offset + w.numel()].reshape(w.shape))
            offset += w.numel()
        return _fixed_point_loss(weights, net, x, target, steps)

    losses = torch.func.vmap(loss_of)(flat + perturbations)
    finite_differences = (losses[: len(flat)] - losses[len(flat) :]) / (2 * h)
    implicit = torch.cat(
        [
            g[0].flatten()
            for g in fixed_point_weight_gradients(net, x, s_star, fixed_point_adjoint(net, x, s_star, target))
        ]
    )
    torch.testing.assert_close(implicit, finite_differences, rtol=1e-6, atol=1e-9)
    beta = 1e-5
    nudged = relax(net, x, s_star, steps, 0.5, beta=beta, target=target)
    ep = torch.cat([g[0].flatten() for g in ep_weight_gradients(net, x, s_star, nudged, beta)])
    torch.testing.assert_close(ep, finite_differences, rtol=1e-3, atol=1e-6)


def test_langevin_branch_with_shared_noise_and_no_nudge_has_identical_copies():
    net, x, target, s_star = _relaxed()
    generator = torch.Generator().manual_seed(1)
    temperature = torch.tensor(0.01, dtype=torch.float64)
    shared = langevin_branch(net, x, s_star, target, 0.0, EPS, temperature, 3, generator, shared_noise=True)
    for a, b in zip(*shared):
        assert torch.equal(a, b)
    independent = langevin_branch(
        net, x, s_star, target, 0.0, EPS, temperature, 3, generator, shared_noise=False
    )
    assert not torch.equal(independent[0][0], independent[1][0])


def test_langevin_branch_at_zero_temperature_is_the_deterministic_nudged_difference():
    net, x, target, s_star = _relaxed()
    generator = torch.Generator().manual_seed(1)
    nudged, free = langevin_branch(
        net,
        x,
        s_star,
        target,
        0.01,
        EPS,
        torch.tensor(0.0, dtype=torch.float64),
        3,
        generator,
        shared_noise=False,
    )
    for n, f, d in zip(nudged, free, nudged_minus_free(net, x, s_star, target, 0.01, EPS, 3)):
        torch.testing.assert_close(n - f, d, rtol=0, atol=1e-15)


def test_langevin_chains_sample_the_euler_gaussian_around_the_fixed_point():
    net, x, _target, s_star = _relaxed(steps=3000)
    x, s_star = x[:1], [s[:1] for s in s_star]
    temperature = 1e-4
    generator = torch.Generator().manual_seed(1)
    chains = langevin_burn_in(
        net,
        x,
        [s.expand(20000, -1).clone() for s in s_star],
        400,
        EPS,
        torch.tensor(temperature, dtype=torch.float64),
        generator,
    )
    sampled = flatten_states(chains).T.cov()
    predicted = langevin_gaussian_covariance(net, x, s_star, temperature, eps=EPS)[0]
    assert ((sampled - predicted).norm() / predicted.norm()) < 0.05
    continuous = langevin_gaussian_covariance(net, x, s_star, temperature)[0]
    hessian = energy_hessian(net, x, s_star)[0]
    assert torch.allclose(continuous @ hessian, temperature * torch.eye(len(hessian), dtype=torch.float64))


def test_predicted_snr_scales_as_the_square_root_of_chains_over_temperature():
    delta_norm = torch.tensor(0.7, dtype=torch.float64)

    def snr(chains, temperature):
        return predicted_first_move_snr(
            delta_norm,
            beta=0.05,
            eps=EPS,
            arrival_step=2,
            temperature=temperature,
            num_units=100,
            num_chains=chains,
        )

    assert torch.allclose(snr(64, 1e-3) / snr(1, 1e-3), torch.tensor(8.0, dtype=torch.float64), rtol=1e-14)
    assert torch.allclose(snr(16, 1e-4) / snr(16, 1e-2), torch.tensor(10.0, dtype=torch.float64), rtol=1e-14)
    expected = 0.05 * EPS**3 * 0.7 * 4 / (2 * EPS * 1e-3 * 100) ** 0.5
    assert torch.allclose(snr(16, 1e-3), torch.tensor(expected, dtype=torch.float64), rtol=1e-14)


def test_team_snr_counts_one_copy_of_noise_so_independent_copies_measure_it_sqrt2_lower():
    net, x, target, s_star = _relaxed(sizes=(5, 8, 8, 30), steps=3000)
    x, target, s_star = x[:1], target[:1].roll(1, -1), [s[:1] for s in s_star]
    temperature, beta, num_chains = 1e-2, 0.05, 20000
    generator = torch.Generator().manual_seed(2)
    nudged, free = langevin_branch(
        net,
        x,
        [s.expand(num_chains, -1) for s in s_star],
        target,
        beta,
        EPS,
        torch.tensor(temperature, dtype=torch.float64),
        1,
        generator,
        shared_noise=False,
    )
    # Monte Carlo SNR of the mean of M chains: signal sqrt(M) / sqrt(sum of per-unit variances)
    difference = nudged[-1][0] - free[-1][0]
    delta_norm = backprop_errors(net, s_star, target)[-1].norm()
    measured = beta * EPS * delta_norm * num_chains**0.5 / difference.var(0).sum().sqrt()
    predicted = predicted_first_move_snr(
        delta_norm,
        beta=beta,
        eps=EPS,
        arrival_step=0,
        temperature=temperature,
        num_units=30,
        num_chains=num_chains,
    )
    assert abs(float(measured / predicted) * 2**0.5 - 1) < 0.03


def _one_input_first_arrival(num_chains, chain_counts):
    """One input of a 5-8-8-30 net, rolled target, through :func:`langevin_first_arrival` at T = 0.01."""
    net, x, target, s_star = _relaxed(sizes=(5, 8, 8, 30), steps=3000)
    x, target, s_star = x[:1], target[:1].roll(1, -1), [s[:1] for s in s_star]
    result = langevin_first_arrival(
        net,
        x,
        target,
        s_star,
        beta=0.05,
        eps=EPS,
        temperatures=[1e-2],
        num_chains=num_chains,
        burn_in_steps=200,
        chain_counts=chain_counts,
        generator=torch.Generator().manual_seed(3),
    )
    return net, target, s_star, result


def test_langevin_first_arrival_measures_the_independent_noise_snr_of_the_output_layer():
    chain_counts = [1, 4, 16, 64, 256]
    net, target, s_star, result = _one_input_first_arrival(256, chain_counts)
    predicted = predicted_first_move_snr(
        backprop_errors(net, s_star, target)[-1].norm(),
        beta=0.05,
        eps=EPS,
        arrival_step=0,
        temperature=1e-2,
        num_units=30,
        num_chains=torch.tensor(chain_counts),
    )
    ratio = result["independent_snr"][0, :, -1] / predicted
    assert result["independent_snr"].shape == (1, len(chain_counts), net.num_layers)
    assert abs(float(ratio.log().mean().exp()) * 2**0.5 - 1) < 0.15


def test_shared_noise_visible_move_is_exactly_the_chains_own_error_and_independent_noise_misses_it():
    _, _, _, result = _one_input_first_arrival(64, [1, 64])
    # the visible layer's shared-noise move is -eps beta (y_c - d): its mean is exactly -eps beta delta-bar_L
    torch.testing.assert_close(result["shared"][..., -1], torch.ones(1, 2, dtype=torch.float64))
    assert float(result["shared"][0, -1].min()) > 0.95
    # the null: the same statistic with independent noise stays far below the claim's threshold
    assert float(result["independent"][0, -1].min()) < 0.5


def _relaxed_box(sizes=(6, 5, 5, 4), gain=1.0, seed=0, num_inputs=8, steps=3000):
    generator = torch.Generator().manual_seed(seed)
    net = init_network(sizes, "box", gain=gain, generator=generator)
    x = torch.rand(num_inputs, sizes[0], generator=generator, dtype=torch.float64)
    target = torch.nn.functional.one_hot(torch.arange(num_inputs) % sizes[-1], sizes[-1]).double()
    s_star = relax(net, x, initial_states(net, (num_inputs,)), steps, EPS)
    assert float(stationarity_residual(net, x, s_star, EPS).max()) == 0.0  # an exact projected fixed point
    return net, x, target, s_star


def _sides(states):
    """0 at the lower face, 1 inside the box, 2 at the upper face."""
    return (states > 0).long() + (states >= 1).long()


def test_box_safe_beta_is_where_the_first_unit_changes_side_in_the_projected_dynamics():
    net, x, target, s_star = _relaxed_box()
    safe = box_safe_beta(net, x, s_star, target, EPS)
    assert bool(torch.isfinite(safe).all()) and bool((safe > 0).all())
    steps = [net.num_layers - 1 - layer for layer in range(net.num_layers)]
    for factor, expect_change in ((0.98, False), (1.02, True)):
        beta = (factor * safe).unsqueeze(-1)
        trajectory = nudged_trajectory(net, x, s_star, net.num_layers, EPS, beta=beta, target=target)
        changed = torch.stack(
            [
                (_sides(layer[k + 1]) != _sides(star)).any(-1)
                for layer, star, k in zip(trajectory, s_star, steps)
            ]
        ).any(0)
        assert bool((changed == expect_change).all())


def test_box_first_arrival_is_exact_below_the_safe_beta_and_breaks_above_it():
    net, x, target, s_star = _relaxed_box()
    safe = box_safe_beta(net, x, s_star, target, EPS).unsqueeze(-1)
    below = first_arrival(net, x, s_star, target, 0.5 * safe, EPS)
    reached = ~torch.isnan(below["relative_error"])
    assert float(below["relative_error"][reached].max()) < 1e-10  # no O(beta^2) term inside the box
    above = first_arrival(net, x, s_star, target, 3 * safe, EPS)
    # the unit that crossed moves although the linearisation holds it still: a first-order error per input
    worst_above = torch.nan_to_num(above["relative_error"], nan=0.0).amax(0)
    assert float(worst_above.min()) > 1e-3
