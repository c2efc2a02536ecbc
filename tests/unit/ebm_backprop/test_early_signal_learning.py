"""The early-signal rule, truncated BPTT, and their comparison driver."""

import copy

import torch

from bookkit.ebm_backprop import experiments
from bookkit.ebm_backprop.data import load_digits_split, one_hot
from bookkit.ebm_backprop.early_inference import backprop_errors, matrix_cosine
from bookkit.ebm_backprop.early_signal_learning import (
    backprop_through_time_step,
    early_signal_step,
    rule_name,
    train_rule_comparison,
)
from bookkit.ebm_backprop.energy import rho, rho_prime
from bookkit.ebm_backprop.learning import equilibrium_propagation_step
from bookkit.ebm_backprop.presets import EARLY_SIGNAL

EPS = 0.2


def _smooth_fixed_point(seed=0, sizes=(6, 5, 4, 3)):
    generator = torch.Generator().manual_seed(seed)
    net = experiments.glorot_network(sizes, "smooth", 1.0, generator)
    x = torch.rand(4, sizes[0], generator=generator, dtype=torch.float64)
    target = one_hot(torch.tensor([0, 1, 2, 1]), torch.float64)[:, : sizes[-1]]
    s_star = experiments.free_fixed_point(net, x, 3000, EPS, newton_steps=2)
    return net, x, target, s_star


def _change(step, net, x, s_star, target, beta, window, rates):
    after = copy.deepcopy(net)
    step(after, x, s_star, target, beta, EPS, window, rates)
    return [a - b for a, b in zip(after.weights, net.weights)]


def test_a_window_shorter_than_the_distance_to_the_output_leaves_a_layer_untouched():
    net, x, target, s_star = _smooth_fixed_point()
    rates = (1.0, 1.0, 1.0)
    for window in (1, 2):
        changes = _change(early_signal_step, net, x, s_star, target, 1e-3, window, rates)
        reached = {net.num_layers - 1 - k for k in range(window)}
        for layer, change in enumerate(changes):
            if layer in reached:
                assert float(change.abs().max()) > 1e-6
            else:
                assert float(change.abs().max()) < 1e-9


def test_early_signal_at_first_arrival_is_feedforward_backprop_shrunk_by_eps_to_the_k():
    """With K = k + 1, W_l's change is -alpha eps^(k+1) (rho'(s_l) * delta_l) rho(s_{l-1})^T (batch mean)."""
    net, x, target, s_star = _smooth_fixed_point()
    deltas = backprop_errors(net, s_star, target)
    layers = [x] + list(s_star)
    for layer in range(net.num_layers):
        k = net.num_layers - 1 - layer
        change = _change(early_signal_step, net, x, s_star, target, 1e-6, k + 1, (1.0,) * net.num_layers)[
            layer
        ]
        expected = (
            -(EPS ** (k + 1))
            * torch.einsum(
                "bi,bj->ij", rho_prime(s_star[layer], "smooth") * deltas[layer], rho(layers[layer], "smooth")
            )
            / len(x)
        )
        torch.testing.assert_close(change, expected, rtol=1e-4, atol=1e-6 * float(expected.abs().max()))


def test_long_window_ep_and_bptt_agree_for_a_small_nudge():
    """Ernoult et al. 2019: K nudged steps of EP from a fixed point follow truncated BPTT through K steps."""
    net, x, target, s_star = _smooth_fixed_point(seed=1)
    rates = (1.0, 1.0, 1.0)
    ep = _change(equilibrium_propagation_step, net, x, s_star, target, 1e-5, 15, rates)
    bptt = _change(backprop_through_time_step, net, x, s_star, target, 1e-5, 15, rates)
    for a, b in zip(ep, bptt):
        assert float(matrix_cosine(a, b)) > 0.999
    # and a broken gradient (sign flipped) would not pass
    assert float(matrix_cosine(ep[0], -bptt[0])) < -0.999


def test_rule_comparison_trains_every_rule_from_the_same_start():
    cfg = EARLY_SIGNAL.resolve("smoke", {"epochs": 1, "num_train": 60, "num_test": 40})
    data = load_digits_split(cfg.num_train, cfg.num_test, dtype=torch.float32)
    state = train_rule_comparison(cfg, data, torch.Generator().manual_seed(0))
    names = [rule_name("early", w) for w in cfg.windows] + [
        rule_name("ep", cfg.long_steps),
        rule_name("bptt", cfg.long_steps),
    ]
    assert list(state) == names
    for name in names:
        assert len(state[name]["curves"]["test_accuracy"]) == 1
    # K = 1 reaches only the output layer: the hidden weights keep their initial values
    again = train_rule_comparison(
        cfg.__class__(**{**cfg.__dict__, "windows": (1,)}), data, torch.Generator().manual_seed(0)
    )
    initial = experiments.digits_classifier_network(cfg.sizes, torch.Generator().manual_seed(0))
    hidden_change = again[rule_name("early", 1)]["network"]["weights"][0] - initial.weights[0]
    assert float(hidden_change.abs().max()) < 0.05 * float(
        (state[rule_name("early", 2)]["network"]["weights"][0] - initial.weights[0]).abs().max()
    )
