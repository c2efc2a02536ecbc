"""EP learning step, the pre x d(post) form, the back-prop baseline, data and experiment helpers."""

import copy

import torch

from bookkit.ebm_backprop import experiments
from bookkit.ebm_backprop.data import load_digits_split, one_hot, probe_inputs
from bookkit.ebm_backprop.early_inference import ep_weight_gradients, polish_fixed_point
from bookkit.ebm_backprop.energy import init_network, initial_states, relax, rho, stationarity_residual
from bookkit.ebm_backprop.learning import (
    equilibrium_propagation_step,
    feedforward_output,
    paired_accuracy_difference,
    pre_post_rate_form,
    train_backprop,
    train_equilibrium_propagation,
)


def _box_batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    net = init_network((6, 5, 3), "box", gain=1.5, generator=generator)
    x = torch.rand(4, 6, generator=generator, dtype=torch.float64)
    target = one_hot(torch.tensor([0, 1, 2, 1]), torch.float64)[:, :3]
    free = relax(net, x, initial_states(net, (4,)), 200, 0.5)
    return net, x, target, free


def test_ep_step_applies_minus_alpha_times_the_batch_mean_ep_gradient():
    net, x, target, free = _box_batch()
    before = copy.deepcopy(net)
    beta, rates = 0.3, (0.1, 0.05)
    equilibrium_propagation_step(net, x, free, target, beta, 0.5, 4, rates)
    nudged = relax(before, x, free, 4, 0.5, beta=beta, target=target)
    for w_new, w_old, gradient, alpha in zip(
        net.weights, before.weights, ep_weight_gradients(before, x, free, nudged, beta), rates
    ):
        torch.testing.assert_close(w_new - w_old, -alpha * gradient.mean(0), rtol=1e-12, atol=1e-14)


def test_pre_post_form_differs_from_ep_change_by_the_product_of_rate_changes():
    generator = torch.Generator().manual_seed(1)
    net = experiments.glorot_network((6, 5, 3), "smooth", 1.0, generator)
    x = torch.rand(4, 6, generator=generator, dtype=torch.float64)
    target = one_hot(torch.tensor([0, 1, 2, 1]), torch.float64)[:, :3]
    free = relax(net, x, initial_states(net, (4,), 0.5), 300, 0.2)
    endpoint, accumulated = pre_post_rate_form(net, x, free, target, 0.2, 0.2, 4)
    trajectory = [
        torch.stack(layer)
        for layer in zip(*[relax(net, x, free, t, 0.2, beta=0.2, target=target) for t in range(5)])
    ]
    rates = [rho(x, "smooth").expand(5, *x.shape)] + [rho(s, "smooth") for s in trajectory]
    for layer, (e, a) in enumerate(zip(endpoint, accumulated), start=1):
        second_order = torch.einsum("tbi,tbj->ij", rates[layer].diff(dim=0), rates[layer - 1].diff(dim=0))
        torch.testing.assert_close(e - a, second_order, rtol=1e-10, atol=1e-15)
        assert float(e.abs().max()) > 1e-4
        assert float(second_order.abs().max()) < 1e-2 * float(e.abs().max())


def test_backprop_baseline_learns_digits_above_chance_in_one_epoch():
    data = load_digits_split(300, 100, dtype=torch.float32)
    generator = torch.Generator().manual_seed(0)
    net = experiments.glorot_network((64, 30, 10), "box", 1.0, generator, dtype=torch.float32)
    start = float((feedforward_output(net, data.x_test).argmax(-1) == data.labels_test).float().mean())
    curves = train_backprop(
        net, data, epochs=6, batch_size=20, learning_rates=(0.1, 0.05), generator=generator
    )
    assert curves.test_accuracy[-1] > max(0.6, start + 0.3)
    assert not net.weights[0].requires_grad


def test_digits_split_is_disjoint_and_scaled():
    data = load_digits_split()
    assert data.x_train.shape == (1297, 64) and data.x_test.shape == (500, 64)
    assert float(data.x_train.min()) >= 0.0 and float(data.x_train.max()) <= 1.0
    train_rows = {tuple(row.tolist()) + (int(label),) for row, label in zip(data.x_train, data.labels_train)}
    assert len(train_rows) > 1200
    x, d = probe_inputs(3, torch.Generator().manual_seed(0))
    assert x.shape == (4, 64) and torch.equal(d.sum(-1), torch.ones(4, dtype=torch.float64))


def test_newton_polish_brings_a_rough_state_to_a_fixed_point():
    generator = torch.Generator().manual_seed(0)
    net = experiments.glorot_network((6, 8, 8, 3), "smooth", 1.0, generator)
    x = torch.rand(2, 6, generator=generator, dtype=torch.float64)
    rough = relax(net, x, initial_states(net, (2,), 0.5), 150, 0.2)
    assert float(stationarity_residual(net, x, rough, 0.2).max()) > 1e-6
    polished = polish_fixed_point(net, x, rough, iterations=4)
    assert float(stationarity_residual(net, x, polished, 0.2).max()) < 1e-13


def test_nudged_phase_cosines_follow_the_nudged_relaxation():
    generator = torch.Generator().manual_seed(0)
    net = experiments.glorot_network((6, 8, 3), "smooth", 1.0, generator)
    x = torch.rand(2, 6, generator=generator, dtype=torch.float64)
    target = one_hot(torch.tensor([0, 1]), torch.float64)[:, :3]
    s_star = experiments.free_fixed_point(net, x, 500, 0.2, newton_steps=2)
    nudged = relax(net, x, s_star, 30, 0.2, beta=1e-3, target=target)
    reference = ep_weight_gradients(net, x, s_star, nudged, 1e-3)
    cosines = experiments.nudged_phase_cosines(net, x, target, s_star, 1e-3, 0.2, [2, 7, 30], reference)
    assert cosines.shape == (3, 2, 2)
    torch.testing.assert_close(cosines[-1], torch.ones(2, 2, dtype=torch.float64))
    assert float(cosines[0].min()) < 0.999


def test_langevin_first_arrival_at_tiny_temperature_recovers_the_deterministic_signal():
    generator = torch.Generator().manual_seed(0)
    net = experiments.glorot_network((6, 8, 8, 3), "smooth", 1.0, generator)
    x = torch.rand(1, 6, generator=generator, dtype=torch.float64)
    target = one_hot(torch.tensor([2]), torch.float64)[:, :3]
    s_star = experiments.free_fixed_point(net, x, 500, 0.2, newton_steps=2)
    result = experiments.langevin_first_arrival(
        net,
        x,
        target,
        s_star,
        beta=0.05,
        eps=0.2,
        temperatures=(1e-12, 1.0),
        num_chains=8,
        burn_in_steps=20,
        chain_counts=(1, 8),
        generator=generator,
    )
    assert result["shared"].shape == (2, 2, 3) and result["raw"].shape == (2, 3)
    assert float(result["shared"][0].min()) > 0.9999
    assert float(result["independent"][1, -1, 0]) < 0.9


def test_paired_accuracy_difference_counts_the_discordant_items():
    generator = torch.Generator().manual_seed(0)
    correct_a = torch.rand(400, generator=generator) < 0.9
    correct_b = torch.rand(400, generator=generator) < 0.8
    paired = paired_accuracy_difference(correct_a, correct_b)
    n = 400
    only_a = sum(1 for a, b in zip(correct_a.tolist(), correct_b.tolist()) if a and not b)
    only_b = sum(1 for a, b in zip(correct_a.tolist(), correct_b.tolist()) if b and not a)
    assert abs(paired.difference - (only_a - only_b) / n) < 1e-15
    # sample variance of d_i in {-1, 0, 1}: (only_a + only_b - (only_a - only_b)^2 / n) / (n - 1)
    variance = (only_a + only_b - (only_a - only_b) ** 2 / n) / (n - 1)
    assert abs(paired.standard_error - (variance / n) ** 0.5) < 1e-15
    low, high = paired.interval
    assert low < paired.difference < high


def test_paired_interval_of_a_classifier_against_itself_cannot_exclude_zero():
    correct = torch.rand(500, generator=torch.Generator().manual_seed(1)) < 0.9
    low, high = paired_accuracy_difference(correct, correct).interval
    assert low == 0.0 == high  # the claim "low > 0" fails for the null


def test_output_layer_only_ep_leaves_the_hidden_weights_unchanged():
    data = load_digits_split(60, 20, dtype=torch.float32)
    generator = torch.Generator().manual_seed(0)
    net = experiments.glorot_network((64, 12, 10), "box", 1.0, generator, dtype=torch.float32)
    before = copy.deepcopy(net)
    train_equilibrium_propagation(
        net,
        data,
        epochs=1,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        nudged_steps=4,
        beta=0.5,
        learning_rates=(0.0, 0.05),
        eval_steps=20,
        generator=generator,
    )
    assert torch.equal(net.weights[0], before.weights[0]) and torch.equal(net.biases[0], before.biases[0])
    assert not torch.equal(net.weights[1], before.weights[1])


def test_an_output_on_the_lower_face_beyond_the_nudges_reach_gets_no_ep_update():
    generator = torch.Generator().manual_seed(0)
    net = init_network((6, 5, 3), "box", gain=1.0, generator=generator)
    net.biases[-1][0] = -3.0  # output 0: drive below -beta on every input
    x = torch.rand(4, 6, generator=generator, dtype=torch.float64)
    target = one_hot(torch.tensor([0, 0, 0, 0]), torch.float64)[:, :3]
    free = relax(net, x, initial_states(net, (4,)), 200, 0.5)
    assert float(free[-1][:, 0].abs().max()) == 0.0
    before = copy.deepcopy(net)
    for beta in (0.5, -0.5):
        equilibrium_propagation_step(net, x, free, target, beta, 0.5, 4, (0.1, 0.05))
    assert torch.equal(net.weights[1][0], before.weights[1][0]) and net.biases[1][0] == before.biases[1][0]


def test_digits_classifier_keeps_each_output_alive_on_its_own_class():
    """Seed 8 at the ci settings: from Glorot output weights, after one epoch the output units of six classes
    are off (on the lower face) for most digits of their own class, classes 1, 3 and 7 for all of them;
    from zero output weights every class's unit is on for nearly all its digits."""
    data = load_digits_split(1297, 500, dtype=torch.float32)
    generator = torch.Generator().manual_seed(8)
    net = experiments.digits_classifier_network((64, 100, 10), generator)
    train_equilibrium_propagation(
        net,
        data,
        epochs=1,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        nudged_steps=4,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=20,
        generator=generator,
    )
    labels = data.labels_train
    settled = relax(net, data.x_train, initial_states(net, (len(labels),)), 100, 0.5)
    own_output_on = (settled[-1] > 0)[torch.arange(len(labels)), labels].to(torch.float64)
    on_fraction = torch.stack([own_output_on[labels == digit].mean() for digit in range(10)])
    assert float(on_fraction.min()) > 0.5, f"fraction of each class with its output on: {on_fraction}"
