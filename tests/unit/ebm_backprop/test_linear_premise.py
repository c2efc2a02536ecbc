"""The linearised chain's stationary spread, against the discrete Lyapunov equation solved directly and
against simulated chains (float64)."""

import itertools

import torch

from bookkit.ebm_backprop.energy import energy_hessian, init_network, initial_states, relax
from bookkit.ebm_backprop.experiments import langevin_stationary_chains
from bookkit.ebm_backprop.linear_premise import measured_stationary_spread, predicted_stationary_spread

EPS = 0.2


def _relaxed(sizes=(5, 4, 4, 3), seed=0):
    generator = torch.Generator().manual_seed(seed)
    net = init_network(sizes, "smooth", gain=1.0, bias_range=(0.0, 0.5), generator=generator)
    x = torch.rand(1, sizes[0], generator=generator, dtype=torch.float64)
    return net, x, relax(net, x, initial_states(net, (1,), 0.5), 3000, EPS)


def test_predicted_spread_solves_the_discrete_lyapunov_equation():
    net, x, s_star = _relaxed()
    temperatures = (1e-3, 0.02)
    predicted = predicted_stationary_spread(net, x, s_star, eps=EPS, temperatures=temperatures)
    assert predicted.shape == (2, 3)
    hessian = energy_hessian(net, x, s_star)[0]
    size = hessian.shape[0]
    eye = torch.eye(size, dtype=torch.float64)
    jacobian = eye - EPS * hessian
    bounds = [0, *torch.tensor(net.sizes[1:]).cumsum(0).tolist()]
    for t, temperature in enumerate(temperatures):
        # Sigma = A Sigma A^T + 2 eps T I, solved as vec(Sigma) = (I - A kron A)^-1 vec(2 eps T I)
        flat = torch.linalg.solve(
            torch.eye(size * size, dtype=torch.float64) - torch.kron(jacobian, jacobian),
            (2 * EPS * temperature * eye).flatten(),
        )
        exact = flat.reshape(size, size).diagonal()
        expected = torch.stack([exact[lo:hi].sum() for lo, hi in itertools.pairwise(bounds)])
        torch.testing.assert_close(predicted[t], expected, rtol=1e-9, atol=0)


def test_simulated_chains_spread_as_predicted_at_low_temperature_and_not_at_high():
    net, x, s_star = _relaxed()
    temperatures = (1e-4, 1e-3, 3.0)
    chains = langevin_stationary_chains(
        net,
        x,
        s_star,
        eps=EPS,
        temperatures=temperatures,
        num_chains=4000,
        burn_in_steps=300,
        generator=torch.Generator().manual_seed(1),
    )
    ratio = measured_stationary_spread(chains) / predicted_stationary_spread(
        net, x, s_star, eps=EPS, temperatures=temperatures
    )
    assert ((ratio[:2] > 0.93) & (ratio[:2] < 1.07)).all(), ratio
    # hot chains leave the linear region: the premise check must be able to fail
    assert (ratio[2] - 1).abs().max() > 0.5, ratio
