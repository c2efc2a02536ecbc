"""Optimizees: closed-form gradients, batched networks against per-instance loops, the digits splits."""

import itertools

import torch
import torch.nn.functional as F

from bookkit.learning_to_learn.problems import (
    ConvNetProblem,
    Dataset,
    MLPProblem,
    digits_splits,
    sample_quadratics,
)


def test_quadratic_closed_form_gradient_matches_autograd():
    problem = sample_quadratics(4, torch.Generator().manual_seed(0), dim=6)
    problem.W, problem.y = problem.W.double(), problem.y.double()
    params = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    loss, grad = problem.loss_and_grad(params)
    (reference,) = torch.autograd.grad(problem.loss(params).sum(), params)
    torch.testing.assert_close(grad, reference)
    assert not grad.requires_grad and loss.requires_grad
    expected_loss = torch.stack([((problem.W[i] @ params[i] - problem.y[i]) ** 2).sum() for i in range(4)])
    torch.testing.assert_close(loss, expected_loss)


def test_digits_splits_are_disjoint_and_fixed_by_seed():
    splits = digits_splits(seed=0)
    assert [len(s.labels) for s in splits.values()] == [600, 598, 599]
    assert float(splits["test"].inputs.max()) == 1.0 and float(splits["test"].inputs.min()) == 0.0
    again = digits_splits(seed=0)
    assert torch.equal(again["test"].labels, splits["test"].labels)
    assert not torch.equal(digits_splits(seed=1)["test"].labels, splits["test"].labels)


def test_restrict_to_classes_relabels_in_the_given_order():
    data = Dataset(torch.arange(6.0).unsqueeze(-1), torch.tensor([3, 1, 4, 1, 5, 9]))
    subset = data.restrict_to_classes((4, 1))
    assert subset.labels.tolist() == [1, 0, 1]
    assert subset.inputs.squeeze(-1).tolist() == [1.0, 2.0, 3.0]


def _per_instance_mlp_loss(problem, params, inputs, labels, activation):
    losses = []
    for i in range(params.shape[0]):
        hidden, offset = inputs[i], 0
        sizes = problem.layer_sizes
        for layer, (a, b) in enumerate(itertools.pairwise(sizes)):
            weight = params[i, offset : offset + a * b].reshape(a, b)
            offset += a * b
            hidden = hidden @ weight + params[i, offset : offset + b]
            offset += b
            if layer < len(sizes) - 2:
                hidden = activation(hidden)
        losses.append(F.cross_entropy(hidden, labels[i]))
    return torch.stack(losses)


def test_batched_mlp_matches_a_loop_over_instances():
    data = digits_splits()["meta_train"]
    for hidden_sizes, activation, act in (((20,), "sigmoid", torch.sigmoid), ((7, 5), "relu", torch.relu)):
        problem = MLPProblem(
            data, num_instances=3, hidden_sizes=hidden_sizes, activation=activation, batch_size=16
        )
        params = torch.randn(3, problem.num_params, generator=torch.Generator().manual_seed(3))
        ours = problem.loss(params, torch.Generator().manual_seed(7))
        index = torch.randint(len(data.labels), (3, 16), generator=torch.Generator().manual_seed(7))
        reference = _per_instance_mlp_loss(problem, params, data.inputs[index], data.labels[index], act)
        torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)


def test_grouped_convolution_matches_a_loop_over_instances():
    data = digits_splits(image=True)["meta_train"]
    problem = ConvNetProblem(data, num_instances=3, num_classes=10, channels=4, hidden_size=6, batch_size=5)
    params = 0.3 * torch.randn(3, problem.num_params, generator=torch.Generator().manual_seed(4))
    inputs = data.inputs[:15].reshape(3, 5, 1, 8, 8)
    ours = problem.logits(params, inputs)
    for i in range(3):
        p = {k: v[i] for k, v in problem._split(params).items()}
        x = F.max_pool2d(torch.relu(F.conv2d(inputs[i], p["conv1.weight"], p["conv1.bias"], padding=1)), 2)
        x = F.max_pool2d(torch.relu(F.conv2d(x, p["conv2.weight"], p["conv2.bias"], padding=1)), 2)
        hidden = torch.relu(x.flatten(1) @ p["fc1.weight"] + p["fc1.bias"])
        torch.testing.assert_close(ours[i], hidden @ p["fc2.weight"] + p["fc2.bias"], rtol=1e-5, atol=1e-6)


def test_convnet_groups_put_conv_weights_apart_from_everything_else():
    problem = ConvNetProblem(digits_splits(image=True)["test"], 1, num_classes=10, channels=8)
    groups = problem.parameter_groups()
    assert groups.shape == (problem.num_params,)
    assert int((groups == 0).sum()) == 8 * 9 + 8 * 8 * 9


def test_real_mnist_splits_are_flat_disjoint_and_in_the_unit_interval():
    from bookkit.learning_to_learn.problems import mnist_splits

    splits = mnist_splits()
    assert [len(s.labels) for s in splits.values()] == [7001, 999, 2000]
    assert splits["meta_train"].inputs.shape == (7001, 784)
    assert float(splits["test"].inputs.min()) >= 0.0 and float(splits["test"].inputs.max()) <= 1.0
    assert MLPProblem(splits["test"], 2).num_params == 785 * 20 + 21 * 10  # the paper's 784-20-10 net
