"""The layered energy and its dynamics against autograd and against the energy itself (float64)."""

import pytest
import torch

from bookkit.ebm_backprop.early_inference import hessian_vector_product
from bookkit.ebm_backprop.energy import (
    energy,
    energy_gradient,
    energy_hessian,
    euler_step,
    flatten_states,
    init_network,
    initial_states,
    relax,
    relax_with_history,
    stationarity_residual,
    unflatten_states,
)


def _network(kind: str, sizes=(5, 4, 3, 2), gain=1.0, seed=0):
    generator = torch.Generator().manual_seed(seed)
    bias_range = (0.0, 0.5) if kind == "smooth" else (0.0, 0.0)
    net = init_network(sizes, kind, gain=gain, bias_range=bias_range, generator=generator)
    x = torch.rand(3, sizes[0], generator=generator, dtype=torch.float64)
    return net, x, generator


@pytest.mark.parametrize("kind", ["smooth", "naive_hard", "box"])
def test_closed_form_energy_gradient_equals_autograd(kind):
    net, x, generator = _network(kind, gain=2.0)
    # hard-sigmoid conventions: keep every unit strictly inside (0, 1), away from the kinks
    low, high = (-1.0, 2.0) if kind == "smooth" else (0.05, 0.95)
    states = [
        low + (high - low) * torch.rand(3, n, generator=generator, dtype=torch.float64) for n in net.sizes[1:]
    ]
    states = [s.requires_grad_(True) for s in states]
    reference = torch.autograd.grad(energy(net, x, states).sum(), states)
    closed_form = energy_gradient(net, x, states)
    for a, b in zip(closed_form, reference):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_naive_hard_sigmoid_gradient_drops_the_coupling_outside_the_box():
    net, x, _ = _network("naive_hard")
    states = [torch.full((3, n), 1.5, dtype=torch.float64) for n in net.sizes[1:]]
    for s, g in zip(states, energy_gradient(net, x, states)):
        torch.testing.assert_close(g, s)


def test_smooth_relaxation_never_raises_the_energy_and_converges():
    net, x, _ = _network("smooth", sizes=(6, 8, 8, 3), gain=1.5)
    final, energies, residuals = relax_with_history(net, x, initial_states(net, (3,), 0.5), 600, 0.2)
    assert float(energies.diff(dim=0).max()) <= 1e-12
    assert float(residuals[-1].max()) < 1e-10
    torch.testing.assert_close(residuals[-1], stationarity_residual(net, x, final, 0.2))


def test_box_relaxation_stays_in_the_box_and_reaches_a_projected_fixed_point():
    net, x, _ = _network("box", sizes=(6, 8, 8, 3), gain=1.0, seed=2)
    states = relax(net, x, initial_states(net, (3,)), 500, 0.5)
    assert all(bool(((s >= 0) & (s <= 1)).all()) for s in states)
    assert float(stationarity_residual(net, x, states, 0.5).max()) < 1e-12


def test_nudge_pulls_only_the_output_layer_in_one_step():
    net, x, _ = _network("smooth")
    states = initial_states(net, (3,), 0.5)
    target = torch.zeros(3, 2, dtype=torch.float64)
    free = euler_step(net, x, states, 0.2)
    nudged = euler_step(net, x, states, 0.2, beta=0.3, target=target)
    for a, b in zip(free[:-1], nudged[:-1]):
        assert torch.equal(a, b)
    torch.testing.assert_close(nudged[-1] - free[-1], -0.2 * 0.3 * (states[-1] - target))


def test_langevin_noise_is_scaled_by_the_square_root_of_two_eps_t():
    net, x, generator = _network("smooth")
    states = initial_states(net, (3,), 0.5)
    noise = [torch.randn(s.shape, generator=generator, dtype=torch.float64) for s in states]
    noisy = euler_step(net, x, states, 0.2, noise=noise, temperature=0.01)
    deterministic = euler_step(net, x, states, 0.2)
    for a, b, xi in zip(noisy, deterministic, noise):
        torch.testing.assert_close(a - b, (2 * 0.2 * 0.01) ** 0.5 * xi)


def test_flatten_and_unflatten_are_inverse():
    net, _, generator = _network("smooth")
    states = [torch.rand(2, n, generator=generator, dtype=torch.float64) for n in net.sizes[1:]]
    for a, b in zip(states, unflatten_states(flatten_states(states), net)):
        assert torch.equal(a, b)


def test_unknown_nonlinearity_is_rejected():
    with pytest.raises(ValueError, match="valid: smooth, box, naive_hard"):
        init_network((2, 2), "tanh")


def test_energy_hessian_equals_double_autograd_of_the_energy_and_the_jvp_of_its_gradient():
    generator = torch.Generator().manual_seed(5)
    net = init_network((5, 4, 6, 3), "smooth", gain=1.0, bias_range=(0.0, 0.5), generator=generator)
    x = torch.rand(2, 5, generator=generator, dtype=torch.float64)
    states = [torch.rand(3, 2, n, generator=generator, dtype=torch.float64) for n in net.sizes[1:]]
    direction = [torch.randn(3, 2, n, generator=generator, dtype=torch.float64) for n in net.sizes[1:]]
    hessian = energy_hessian(net, x, states)
    assert hessian.shape == (3, 2, 13, 13)

    def energy_of_flat(flat, x_row):
        return energy(net, x_row, unflatten_states(flat, net))

    flat = flatten_states(states)
    reference = torch.stack(
        [
            torch.stack([torch.func.hessian(energy_of_flat)(flat[i, j], x[j]) for j in range(2)])
            for i in range(3)
        ]
    )
    assert torch.allclose(hessian, reference, rtol=1e-12, atol=1e-13)
    product = flatten_states(hessian_vector_product(net, x, states, direction))
    assert torch.allclose(
        (hessian @ flatten_states(direction).unsqueeze(-1)).squeeze(-1), product, atol=1e-12
    )
