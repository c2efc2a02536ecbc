"""The coordinatewise LSTM optimizer: preprocessing formula, equivariance, grouping."""

import math

import numpy as np
import torch

from bookkit.learning_to_learn.learned_optimizer import (
    CoordinatewiseLSTMOptimizer,
    GroupedLSTMOptimizer,
    preprocess_gradients,
)


def _preprocess_reference(value: float, p: float) -> tuple[float, float]:
    if abs(value) >= math.exp(-p):
        return math.log(abs(value)) / p, float(np.sign(value))
    return -1.0, math.exp(p) * value


def test_preprocessing_matches_appendix_formula_on_both_branches():
    values = [-3.0, -1e-3, -5e-5, -1e-7, 0.0, 2e-9, 4.4e-5, 4.6e-5, 0.5, 20.0]
    grad = torch.tensor(values, dtype=torch.float64)
    for p in (5.0, 10.0):
        ours = preprocess_gradients(grad, p)
        reference = torch.tensor([_preprocess_reference(v, p) for v in values], dtype=torch.float64)
        torch.testing.assert_close(ours, reference, rtol=1e-12, atol=1e-12)


def test_preprocessing_branches_meet_at_the_threshold():
    p = 10.0
    at = torch.tensor([math.exp(-p), -math.exp(-p)], dtype=torch.float64)
    just_below = at * (1 - 1e-9)
    torch.testing.assert_close(
        preprocess_gradients(at, p), preprocess_gradients(just_below, p), atol=1e-8, rtol=0
    )


def test_update_is_equivariant_to_permuting_coordinates():
    torch.manual_seed(0)
    net = CoordinatewiseLSTMOptimizer(preprocess=True, output_scale=0.1).double()
    grads = [torch.randn(3, 17, dtype=torch.float64) for _ in range(3)]
    permutation = torch.randperm(17)
    state = net.init_state(grads[0])
    permuted_state = net.init_state(grads[0])
    for grad in grads:
        update, state = net(grad, state)
        permuted_update, permuted_state = net(grad[:, permutation], permuted_state)
        torch.testing.assert_close(permuted_update, update[:, permutation])


def test_each_coordinate_only_sees_its_own_history():
    torch.manual_seed(1)
    net = CoordinatewiseLSTMOptimizer().double()
    grad = torch.randn(2, 5, dtype=torch.float64)
    alone, _ = net(grad[:1, 2:3], net.init_state(grad[:1, 2:3]))
    together, _ = net(grad, net.init_state(grad))
    torch.testing.assert_close(together[0, 2], alone[0, 0])


def test_parameter_count_is_that_of_two_20_unit_lstm_cells_and_a_readout():
    # 4*20*(inputs + 20 + 2) per cell (PyTorch cells have two bias vectors), 21 for the read-out
    assert sum(p.numel() for p in CoordinatewiseLSTMOptimizer(preprocess=True).parameters()) == 5301
    assert sum(p.numel() for p in CoordinatewiseLSTMOptimizer(preprocess=False).parameters()) == 5221


def test_grouped_optimizer_gives_each_column_to_its_own_network():
    torch.manual_seed(2)
    nets = [CoordinatewiseLSTMOptimizer().double(), CoordinatewiseLSTMOptimizer(output_scale=0.5).double()]
    groups = torch.tensor([1, 0, 0, 1, 1, 0])
    grouped = GroupedLSTMOptimizer(nets, groups)
    grad = torch.randn(4, 6, dtype=torch.float64)
    update, _ = grouped(grad, grouped.init_state(grad))
    for k, net in enumerate(nets):
        cols = torch.nonzero(groups == k).squeeze(-1)
        expected, _ = net(grad[:, cols], net.init_state(grad[:, cols]))
        torch.testing.assert_close(update[:, cols], expected)


def test_batched_update_equals_the_per_parameter_loop_of_the_benchmark():
    from bookkit.learning_to_learn.benchmarks import per_parameter_loop_update

    torch.manual_seed(3)
    net = CoordinatewiseLSTMOptimizer(preprocess=True, output_scale=0.1).double()
    grad = torch.randn(2, 7, dtype=torch.float64)
    state = tuple(torch.randn(14, 20, dtype=torch.float64) for _ in range(4))
    batched, _ = net(grad, state)
    torch.testing.assert_close(per_parameter_loop_update(net, grad, state), batched)


def test_readout_init_scale_zeroes_the_bias_and_shrinks_the_default_weights():
    torch.manual_seed(3)
    default = CoordinatewiseLSTMOptimizer(preprocess=True, output_scale=0.1)
    torch.manual_seed(3)
    small = CoordinatewiseLSTMOptimizer(preprocess=True, output_scale=0.1, readout_init_scale=0.1)
    torch.testing.assert_close(small.readout.weight, 0.1 * default.readout.weight)
    assert float(small.readout.bias.abs().max()) == 0.0 and float(default.readout.bias.abs().max()) > 0.0
    torch.testing.assert_close(small.cell1.weight_ih, default.cell1.weight_ih)
    # the untrained rule's steps: c (s w.h) instead of c (w.h + b), for any gradient
    grad = torch.randn(2, 50)
    step_default = default(grad, default.init_state(grad))[0]
    step_small = small(grad, small.init_state(grad))[0]
    torch.testing.assert_close(step_small, 0.1 * (step_default - 0.1 * default.readout.bias))
