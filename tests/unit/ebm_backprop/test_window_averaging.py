"""The window-averaged (one chain per network) estimator and its prediction, against brute-force sums,
simulated autoregressive processes and the deterministic nudged flow (float64)."""

import itertools

import torch

from bookkit.ebm_backprop.early_inference import backprop_errors, first_arrival_steps
from bookkit.ebm_backprop.energy import energy_hessian, init_network, initial_states, relax
from bookkit.ebm_backprop.experiments import langevin_stationary_chains, langevin_window_alignment
from bookkit.ebm_backprop.window_averaging import (
    predict_window_estimator,
    predicted_window_cosine,
    window_difference_variance,
    window_displacements,
    window_mean_response,
)

EPS = 0.2
WINDOWS = (1, 2, 3, 5, 8, 13)


def _relaxed(sizes=(5, 4, 4, 3), seed=0):
    generator = torch.Generator().manual_seed(seed)
    net = init_network(sizes, "smooth", gain=1.0, bias_range=(0.0, 0.5), generator=generator)
    x = torch.rand(1, sizes[0], generator=generator, dtype=torch.float64)
    target = torch.nn.functional.one_hot(torch.tensor([1]), sizes[-1]).double()
    s_star = relax(net, x, initial_states(net, (1,), 0.5), 3000, EPS)
    return net, x, target, s_star


def test_window_variance_equals_the_brute_force_autocovariance_sum():
    eigenvalues = torch.tensor([0.05, 0.7, 2.0, 4.5], dtype=torch.float64)
    temperature = 0.3
    predicted = window_difference_variance(eigenvalues, EPS, temperature, WINDOWS)
    a = 1 - EPS * eigenvalues
    stationary = 2 * EPS * temperature / (1 - a**2)
    for row, w in enumerate(WINDOWS):
        # D = (1/w) sum_{t=1..w} u_t - (1/w) sum_{t=-w+1..0} u_t: coefficients on the times -w+1..w
        times = torch.arange(-w + 1, w + 1)
        weights = torch.where(times > 0, 1.0, -1.0).double() / w
        lags = (times[:, None] - times[None, :]).abs().double()
        exact = stationary * (weights[:, None] * weights[None, :] * a[:, None, None] ** lags).sum((-1, -2))
        torch.testing.assert_close(predicted[row], exact, rtol=1e-11, atol=0)  # (1 - a)^2 cancels
    assert predicted.shape == (len(WINDOWS), 4)
    assert window_difference_variance(eigenvalues, EPS, torch.tensor([0.1, 0.2]), WINDOWS).shape == (2, 6, 4)


def test_window_variance_matches_a_long_simulated_autoregressive_process():
    eigenvalues = torch.tensor([0.1, 1.5], dtype=torch.float64)
    temperature, num_chains, windows = 0.01, 20000, (1, 4, 16, 64)
    a = 1 - EPS * eigenvalues
    generator = torch.Generator().manual_seed(0)
    u = (
        torch.randn(num_chains, 2, generator=generator, dtype=torch.float64)
        * (2 * EPS * temperature / (1 - a**2)).sqrt()
    )
    history = []
    for _ in range(2 * max(windows)):
        u = a * u + (2 * EPS * temperature) ** 0.5 * torch.randn(u.shape, generator=generator, dtype=u.dtype)
        history.append(u)
    states = torch.stack(history)  # onset between index max(windows) - 1 and max(windows)
    onset = max(windows)
    measured = torch.stack(
        [(states[onset : onset + w].mean(0) - states[onset - w : onset].mean(0)).var(0) for w in windows]
    )
    predicted = window_difference_variance(eigenvalues, EPS, temperature, windows)
    # a variance from 20000 samples has a relative standard error of 1 %
    torch.testing.assert_close(measured, predicted, rtol=0.05, atol=0)
    # the white-noise null, 4 eps T / w, is off by far for the slow mode and long windows
    white = 4 * EPS * temperature / torch.tensor(windows, dtype=torch.float64)
    assert measured[-1, 0] / white[-1] > 10


def test_window_mean_response_equals_the_linear_recursion():
    eigenvalues = torch.tensor([0.05, 0.7, 4.5], dtype=torch.float64)
    response = window_mean_response(eigenvalues, EPS, WINDOWS)
    mean, path = torch.zeros(3, dtype=torch.float64), []
    for _ in range(max(WINDOWS)):
        mean = (1 - EPS * eigenvalues) * mean - EPS  # m_{t+1} = a m_t - eps g, with beta g = 1
        path.append(mean)
    path_t = torch.stack(path)
    expected = torch.stack([-path_t[:w].mean(0) for w in WINDOWS])
    torch.testing.assert_close(response, expected, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(response[0], torch.full_like(eigenvalues, EPS))  # w = 1: the first move


def test_predicted_signal_is_the_deterministic_window_displacement_and_the_first_move():
    net, x, target, s_star = _relaxed()
    beta = 1e-6
    prediction = predict_window_estimator(
        net, x, s_star, target, beta=beta, eps=EPS, temperatures=(0.01,), windows=WINDOWS
    )
    chains = [s.unsqueeze(0) for s in s_star]  # (num_T = 1, M = 1, n)
    zero = torch.zeros(1, 1, 1, dtype=torch.float64)
    nudged, null = window_displacements(
        net,
        x,
        chains,
        target,
        betas=(beta, 0.0),
        eps=EPS,
        temperature=zero,
        windows=WINDOWS,
        generator=torch.Generator().manual_seed(0),
    )
    for measured, free, predicted in zip(nudged, null, prediction["signal"]):
        # at T = 0 the window displacement is the nudged flow's; linear response to O(beta^2)
        difference = (measured - free)[:, 0, 0]
        torch.testing.assert_close(difference, predicted, rtol=1e-4, atol=1e-14)
    deltas = backprop_errors(net, s_star, target)
    for layer, k in enumerate(first_arrival_steps(net)):
        w = k + 1
        if w in WINDOWS:
            row = WINDOWS.index(w)
            first_move = -beta * EPS ** (k + 1) * deltas[layer][0] / w
            torch.testing.assert_close(prediction["signal"][layer][row], first_move, rtol=1e-9, atol=0)
            torch.testing.assert_close(prediction["ceiling"][row, layer].item(), 1.0)
        for row, w in enumerate(WINDOWS):
            if w <= k:
                assert (prediction["signal"][layer][row] == 0).all()
                assert prediction["ceiling"][row, layer] == 0


def test_predicted_noise_is_the_layer_trace_of_the_exact_euler_covariance():
    net, x, target, s_star = _relaxed()
    temperature, w = 0.02, 1
    prediction = predict_window_estimator(
        net, x, s_star, target, beta=0.05, eps=EPS, temperatures=(temperature,), windows=(w,)
    )
    hessian = energy_hessian(net, x, s_star)[0]
    jacobian = torch.eye(hessian.shape[0], dtype=torch.float64) - EPS * hessian
    covariance = temperature * torch.linalg.inv(hessian - 0.5 * EPS * hessian @ hessian)
    # D(1) = s_1 - s_0 = (A - I) s_0 + noise: Cov = (A - I) Sigma (A - I) + 2 eps T I
    step = jacobian - torch.eye(hessian.shape[0], dtype=torch.float64)
    exact = (
        step @ covariance @ step.T + 2 * EPS * temperature * torch.eye(hessian.shape[0], dtype=torch.float64)
    ).diagonal()
    bounds = [0, *torch.tensor(net.sizes[1:]).cumsum(0).tolist()]
    expected = torch.stack([exact[lo:hi].sum() for lo, hi in itertools.pairwise(bounds)])
    torch.testing.assert_close(prediction["noise_variance"][0, 0], expected, rtol=1e-9, atol=0)


def test_predicted_cosine_limits():
    ceiling = torch.tensor([0.8, 0.8, 0.8], dtype=torch.float64)
    snr = torch.tensor([1e-6, 1.0, 1e6], dtype=torch.float64)
    cos = predicted_window_cosine(ceiling, snr)
    torch.testing.assert_close(cos, torch.tensor([0.8e-6, 0.8 / 2**0.5, 0.8], dtype=torch.float64))
    torch.testing.assert_close(predicted_window_cosine(ceiling, snr / 2, 4), cos)


def test_window_alignment_measures_the_predicted_noise_and_its_null_has_no_signal():
    net, x, target, s_star = _relaxed()
    generator = torch.Generator().manual_seed(1)
    temperatures, windows = (1e-4, 1e-3), (1, 4, 16)
    chains = langevin_stationary_chains(
        net,
        x,
        s_star,
        eps=EPS,
        temperatures=temperatures,
        num_chains=2000,
        burn_in_steps=200,
        generator=generator,
    )
    result = langevin_window_alignment(
        net,
        x,
        target,
        s_star,
        chains,
        beta=0.05,
        eps=EPS,
        temperatures=temperatures,
        windows=windows,
        generator=generator,
    )
    for value in result.values():
        assert value.shape == (2, 3, 3)
    # 2000 networks: the measured variance within 15 % of the linear-Gaussian prediction at low T
    ratio = result["variance"] / result["predicted_variance"]
    assert ((ratio > 0.85) & (ratio < 1.15)).all(), ratio
    # the output layer at T = 1e-4: the mean over networks is aligned, the unnudged null is not
    assert result["population_cos"][0, 0, -1] > 0.95
    assert result["null_single_cos"].abs().max() < 0.05
    measured, predicted = result["single_cos"], result["predicted_single_cos"]
    assert (measured - predicted).abs().max() < 0.1
