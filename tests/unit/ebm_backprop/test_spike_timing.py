"""The continuous-time onset of the first arrival and the spike-timing window of the rate rule."""

import math

import torch

from bookkit.ebm_backprop import experiments
from bookkit.ebm_backprop.data import one_hot
from bookkit.ebm_backprop.early_inference import backprop_errors, cosine, log_log_slope
from bookkit.ebm_backprop.spike_timing import (
    SpikeTimingSettings,
    binned_window,
    causal_contrast,
    continuous_onset,
    first_order_onset,
    predicted_onset,
    runge_kutta_trajectory,
    spike_timing_window,
)


def _fixed_point(sizes=(6, 5, 4, 3), seed=0):
    generator = torch.Generator().manual_seed(seed)
    net = experiments.glorot_network(sizes, "smooth", 1.0, generator)
    x = torch.rand(3, sizes[0], generator=generator, dtype=torch.float64)
    target = one_hot(torch.tensor([0, 1, 2]), torch.float64)[:, : sizes[-1]]
    return net, x, target, experiments.free_fixed_point(net, x, 3000, 0.2, newton_steps=2)


def test_runge_kutta_is_fourth_order_on_the_linear_part():
    """Halving dt cuts the error of s(t) at t = 0.5 by about 2^4 (reference: dt / 8)."""
    net, x, _, s_star = _fixed_point()
    start = [s + 0.05 for s in s_star]
    reference = runge_kutta_trajectory(net, x, start, 80, 0.5 / 80)
    errors = []
    for steps in (5, 10):
        end = runge_kutta_trajectory(net, x, start, steps, 0.5 / steps)
        errors.append(max(float((e[-1] - r[-1]).abs().max()) for e, r in zip(end, reference)))
    assert 12 < errors[0] / errors[1] < 20


def test_each_layer_departs_as_t_to_the_power_k_plus_one_along_its_backprop_error():
    net, x, target, s_star = _fixed_point()
    dt, beta = 1e-3, 1e-4
    onset = continuous_onset(net, x, s_star, target, beta, 20, dt)
    times = torch.arange(21, dtype=torch.float64) * dt
    predicted = predicted_onset(backprop_errors(net, s_star, target), beta, times)
    for layer in range(net.num_layers):
        order = net.num_layers - layer
        norms = onset[layer].flatten(1).norm(dim=1)
        assert abs(float(log_log_slope(times[2:].tolist(), norms[2:])) - order) < 0.05
        assert float(cosine(onset[layer][2].flatten(), predicted[layer][2].flatten())) > 0.9999
        ratio = float(norms[2] / predicted[layer][2].norm())
        assert abs(ratio - 1) < 0.01
    # the law's factorial: the visible layer moves as beta * |delta_L| * t, the next as t^2 / 2
    assert math.isclose(float(predicted[-2][4].norm() / predicted[-2][2].norm()), 4.0, rel_tol=1e-12)


def test_first_order_onset_is_the_central_difference_in_beta():
    """Reference: (s^{+h}(t) - s^{-h}(t)) / 2h in float64 at t = 20 dt, h = 1e-2, where every layer of a
    net with three hidden layers has moved well above rounding (its O(h^2) error is below 1e-4)."""
    net, x, target, s_star = _fixed_point(sizes=(6, 5, 5, 5, 3))
    dt, h = 1e-3, 1e-2
    tangent = first_order_onset(net, x, s_star, target, 1.0, 20, dt)
    up = runge_kutta_trajectory(net, x, s_star, 20, dt, beta=h, target=target)
    down = runge_kutta_trajectory(net, x, s_star, 20, dt, beta=-h, target=target)
    for layer in range(net.num_layers):
        reference = (up[layer][20] - down[layer][20]) / (2 * h)
        assert float((tangent[layer][20] - reference).norm() / reference.norm()) < 1e-4
    assert all(float(t[0].abs().max()) == 0.0 for t in tangent)  # nothing moves at the nudge itself


def test_first_order_onset_resolves_the_deepest_layer_where_the_difference_of_trajectories_cannot():
    """At t = 2 dt the first hidden layer of a three-hidden-layer net moves by ~1e-16 in all for
    beta = 1e-3: below float64 rounding of the states, so the difference of two trajectories is 0 there,
    while the tangent follows the law -beta delta t^4 / 4! (RK4 is exact to that order in one step)."""
    net, x, target, s_star = _fixed_point(sizes=(6, 5, 5, 5, 3))
    dt, beta = 1e-3, 1e-3
    times = torch.arange(3, dtype=torch.float64) * dt
    predicted = predicted_onset(backprop_errors(net, s_star, target), beta, times)
    tangent = first_order_onset(net, x, s_star, target, beta, 2, dt)
    difference = continuous_onset(net, x, s_star, target, beta, 2, dt)
    assert float(cosine(tangent[0][2].flatten(), predicted[0][2].flatten())) > 0.9999
    assert abs(float(tangent[0][2].norm() / predicted[0][2].norm()) - 1) < 0.01
    assert float(cosine(difference[0][2].flatten(), predicted[0][2].flatten())) < 0.999  # rounding (0.96)


def test_rate_rule_has_the_stdp_sign_structure_and_its_null_does_not():
    settings = SpikeTimingSettings()
    z = {}
    for coupled in (True, False):
        differences, changes, trials = spike_timing_window(
            8000, settings, torch.Generator().manual_seed(3), coupled=coupled
        )
        contrast, error = causal_contrast(differences, changes, trials, 20.0)
        z[coupled] = contrast / error
        means, _, counts = binned_window(differences, changes, torch.tensor([-20.0, -4.0, 4.0, 20.0]))
        assert int(counts.sum()) > 1000
        if coupled:
            assert float(means[0]) < 0 < float(means[-1])
    assert z[True] > 4
    assert abs(z[False]) < 3.5
