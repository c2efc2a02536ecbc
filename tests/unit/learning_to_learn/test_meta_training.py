"""Meta-gradients without second-order terms, truncation, and a tiny meta-training run that learns."""

import torch

from bookkit.learning_to_learn.learned_optimizer import CoordinatewiseLSTMOptimizer
from bookkit.learning_to_learn.meta_training import meta_gradient_norms, meta_train, rollout, unrolled_windows
from bookkit.learning_to_learn.problems import sample_quadratics
from bookkit.learning_to_learn.statistics import paired_bootstrap_interval, spearman_correlation


def _quadratic_and_net(seed=0):
    torch.manual_seed(seed)
    problem = sample_quadratics(3, torch.Generator().manual_seed(seed), dim=4)
    problem.W, problem.y = problem.W.double(), problem.y.double()
    net = CoordinatewiseLSTMOptimizer(preprocess=True, output_scale=0.3).double()
    params = 0.5 * torch.randn(3, 4, dtype=torch.float64)
    return problem, net, params


def _reference_meta_loss(problem, net, params, steps, second_order):
    """Unroll by hand; the optimizee gradient is either a constant (paper) or differentiated (second
    order)."""
    state, total = net.init_state(params), 0.0
    params = params.clone().requires_grad_()
    for _ in range(steps):
        (grad,) = torch.autograd.grad(problem.loss(params).sum(), params, create_graph=second_order)
        update, state = net(grad if second_order else grad.detach(), state)
        params = params + update
        total = total + problem.loss(params).mean()
    return total


def test_meta_gradient_treats_optimizee_gradients_as_constants():
    problem, net, params = _quadratic_and_net()
    (window,) = list(unrolled_windows(net, problem, params, num_steps=3, unroll=3))
    ours = torch.autograd.grad(window, list(net.parameters()))
    first_order = torch.autograd.grad(
        _reference_meta_loss(problem, net, params, 3, False), list(net.parameters())
    )
    second_order = torch.autograd.grad(
        _reference_meta_loss(problem, net, params, 3, True), list(net.parameters())
    )
    for a, b in zip(ours, first_order):
        torch.testing.assert_close(a, b)
    assert max(float((a - b).abs().max()) for a, b in zip(ours, second_order)) > 1e-6


def test_windows_are_truncated_at_their_boundaries():
    problem, net, params = _quadratic_and_net(1)
    windows = list(unrolled_windows(net, problem, params, num_steps=4, unroll=2))
    assert len(windows) == 2
    # the second window alone equals an unroll started from the carried (detached) parameters and state
    state, carried = net.init_state(params), params
    with torch.no_grad():
        for _ in range(2):
            update, state = net(problem.loss_and_grad(carried)[1], state)
            carried = carried + update
    total, grad, fresh_state = 0.0, problem.loss_and_grad(carried)[1], state
    for _ in range(2):
        update, fresh_state = net(grad, fresh_state)
        carried = carried + update
        loss, grad = problem.loss_and_grad(carried)
        total = total + loss.mean()
    torch.testing.assert_close(windows[1], total)
    ours = torch.autograd.grad(windows[1], list(net.parameters()))
    reference = torch.autograd.grad(total, list(net.parameters()))
    for a, b in zip(ours, reference):
        torch.testing.assert_close(a, b)


def test_tiny_meta_training_lowers_the_loss_of_held_out_functions():
    torch.manual_seed(0)
    net = CoordinatewiseLSTMOptimizer()
    held_out = sample_quadratics(32, torch.Generator().manual_seed(99))
    start = held_out.initial_params(torch.Generator().manual_seed(98))

    def mean_log_loss(optimizer):
        return float(rollout(optimizer, held_out, start, 20).losses[1:].log().mean())

    before = mean_log_loss(net)
    result = meta_train(
        net,
        lambda g: sample_quadratics(32, g),
        num_epochs=30,
        num_steps=20,
        unroll=10,
        meta_lr=1e-2,
        generator=torch.Generator().manual_seed(0),
    )
    assert mean_log_loss(net) < before - 1.0
    assert result.meta_losses[-1] < result.meta_losses[0]


def test_early_stopping_keeps_the_best_validated_weights():
    net = CoordinatewiseLSTMOptimizer()
    scores = iter([5.0, 3.0, 1.0, 4.0])
    snapshots = []

    def validate(optimizer):
        snapshots.append({k: v.clone() for k, v in optimizer.state_dict().items()})
        return next(scores)

    result = meta_train(
        net,
        lambda g: sample_quadratics(4, g),
        num_epochs=3,
        num_steps=4,
        unroll=2,
        meta_lr=1e-2,
        generator=torch.Generator().manual_seed(0),
        validate=validate,
        validate_every=1,
    )
    assert result.best_epoch == 2 and result.validation_epochs == [0, 1, 2, 3]
    for name, value in net.state_dict().items():
        torch.testing.assert_close(value, snapshots[2][name])


def test_meta_gradient_norms_has_one_entry_per_window():
    _, net, params = _quadratic_and_net(2)
    norms = meta_gradient_norms(
        net.float(),
        sample_quadratics(3, torch.Generator().manual_seed(2), dim=4),
        params.float(),
        num_steps=10,
        unroll=5,
    )
    assert norms.shape == (2,) and bool((norms > 0).all())


def test_paired_bootstrap_interval_matches_the_normal_approximation():
    values = torch.randn(2000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    low, high = paired_bootstrap_interval(values, torch.Generator().manual_seed(1), num_resamples=4000)
    half_width = 1.96 * float(values.std()) / 2000**0.5
    assert abs((high - low) / 2 - half_width) < 0.1 * half_width
    assert abs((high + low) / 2 - float(values.mean())) < 0.1 * half_width


def test_spearman_correlation_of_monotone_and_reversed_sequences():
    x = torch.tensor([0.1, 0.5, 0.2, 3.0, 1.0])
    assert spearman_correlation(x, x.exp()) == 1.0
    assert spearman_correlation(x, -x) == -1.0
    # hand-computed: ranks (0,2,1,4,3) vs (0,1,2,3,4): rho = 1 - 6*4/(5*24) = 0.8
    assert abs(spearman_correlation(x, torch.arange(5.0)) - 0.8) < 1e-12
