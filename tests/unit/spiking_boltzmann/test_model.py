"""The temporal Boltzmann machine against exact enumeration, autograd and naive loops."""

import itertools
import math

import torch

from bookkit.spiking_boltzmann.exact import (
    all_binary_states,
    causal_log_joint,
    cosine,
    enumerated_conditionals,
    exact_gradient,
    exact_log_likelihood,
    expected_cd_update,
    first_slice_marginal,
    gibbs_transition_matrix,
    hidden_posterior_spread,
    slice_log_joint,
    space_time_states,
    symmetric_log_joint,
)
from bookkit.spiking_boltzmann.model import (
    TemporalBoltzmannMachine,
    cd_update,
    exponential_kernel,
    push_history,
)


def random_machine(nv=4, nh=3, depth=2, scale=1.0, seed=0, models=1):
    g = torch.Generator().manual_seed(seed)
    kernel = exponential_kernel(1.5, depth + 1, torch.float64).expand(models, -1).clone()
    model = TemporalBoltzmannMachine.initialise(
        kernel, nv, nh, weight_scale=scale, generator=g, dtype=torch.float64
    )
    model.A = torch.randn(models, nv, nv, generator=g, dtype=torch.float64) * scale
    model.U = torch.randn(models, nh, nh, generator=g, dtype=torch.float64) * scale
    model.b = torch.randn(models, nh, generator=g, dtype=torch.float64) * scale
    model.c = torch.randn(models, nv, generator=g, dtype=torch.float64) * scale
    v_tilde = torch.rand(nv, generator=g, dtype=torch.float64) * 2
    h_tilde = torch.rand(nh, generator=g, dtype=torch.float64) * 2
    return model, v_tilde, h_tilde


def naive_energy(model, v, h, v_tilde, h_tilde):
    """The slice energy written term by term with Python loops."""
    W, A, U, b, c, r0 = (
        model.W[0].tolist(),
        model.A[0].tolist(),
        model.U[0].tolist(),
        model.b[0].tolist(),
        model.c[0].tolist(),
        float(model.r[0, 0]),
    )
    nv, nh = len(v), len(h)
    energy = 0.0
    for i in range(nv):
        for j in range(nh):
            energy -= (
                r0 * v[i] * W[i][j] * h[j]
                + v[i] * W[i][j] * float(h_tilde[j])
                + h[j] * W[i][j] * float(v_tilde[i])
            )
    for i in range(nv):
        energy -= v[i] * (c[i] + sum(A[k][i] * float(v_tilde[k]) for k in range(nv)))
    for j in range(nh):
        energy -= h[j] * (b[j] + sum(U[k][j] * float(h_tilde[k]) for k in range(nh)))
    return energy


def test_slice_joint_matches_naive_energy_enumeration():
    model, vt, ht = random_machine()
    log_joint = slice_log_joint(model, vt, ht)
    weights = torch.tensor(
        [
            [math.exp(-naive_energy(model, v, h, vt, ht)) for h in itertools.product([0, 1], repeat=3)]
            for v in itertools.product([0, 1], repeat=4)
        ],
        dtype=torch.float64,
    )
    assert torch.allclose(log_joint.exp(), weights / weights.sum(), atol=1e-14)


def test_model_conditionals_match_brute_force_marginals():
    model, vt, ht = random_machine()
    hidden_given_visible, visible_given_hidden = enumerated_conditionals(model, vt, ht)
    V, H = all_binary_states(4), all_binary_states(3)
    p_h = torch.sigmoid(model.hidden_input(V[None], vt.expand(1, 16, 4), ht.expand(1, 16, 3)))[0]
    p_v = torch.sigmoid(model.visible_input(H[None], vt.expand(1, 8, 4), ht.expand(1, 8, 3)))[0]
    assert (p_h - hidden_given_visible).abs().max() < 1e-12
    assert (p_v - visible_given_hidden).abs().max() < 1e-12


def test_exact_gradient_matches_autograd_of_enumerated_likelihood():
    model, vt, ht = random_machine()
    data = torch.rand(16, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    data = data / data.sum()
    for name in ("W", "A", "U", "b", "c"):
        getattr(model, name).requires_grad_(True)
    exact_log_likelihood(model, data, vt, ht).backward()
    autograd = torch.cat([getattr(model, n).grad[0].flatten() for n in ("W", "A", "U", "b", "c")])
    with torch.no_grad():
        closed_form = exact_gradient(model, data, vt, ht)
    assert torch.allclose(closed_form, autograd, atol=1e-12)


def test_transition_matrix_is_stochastic_and_keeps_the_model_marginal():
    model, vt, ht = random_machine()
    transition = gibbs_transition_matrix(model, vt, ht)
    marginal = slice_log_joint(model, vt, ht).exp().sum(1)
    assert torch.allclose(transition.sum(1), torch.ones(16, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(marginal @ transition, marginal, atol=1e-12)


def test_sampled_cd1_update_averages_to_its_exact_expectation():
    model, vt, ht = random_machine(scale=0.7)
    v0_index = 9
    data = torch.zeros(16, dtype=torch.float64)
    data[v0_index] = 1.0
    expected = expected_cd_update(model, data, vt, ht, k=1)
    batch = 200_000
    v0 = all_binary_states(4)[v0_index].expand(1, batch, 4)
    update, _, _ = cd_update(
        model, v0, vt.expand(1, batch, 4), ht.expand(1, batch, 3), torch.Generator().manual_seed(5)
    )
    sampled = torch.cat([update[n][0].flatten() for n in ("W", "A", "U", "b", "c")])
    assert (sampled - expected).abs().max() < 0.02
    assert expected.abs().max() > 0.1  # the comparison is not between two near-zero vectors


def test_expected_cd_k_approaches_exact_gradient():
    model, vt, ht = random_machine()
    data = torch.softmax(torch.randn(16, generator=torch.Generator().manual_seed(1), dtype=torch.float64), 0)
    gradient = exact_gradient(model, data, vt, ht)
    assert cosine(expected_cd_update(model, data, vt, ht, 200), gradient) > 0.9999
    assert cosine(expected_cd_update(model, data, vt, ht, 1), gradient) < cosine(
        expected_cd_update(model, data, vt, ht, 20), gradient
    )


def test_filtered_sequence_and_history_match_naive_sums():
    model, _, _ = random_machine(depth=3, models=2)
    x = torch.rand(2, 3, 7, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    filtered = model.filtered_sequence(x)
    past = torch.zeros(2, 3, 3, 4, dtype=torch.float64)
    for t in range(7):
        naive = sum(model.r[:, tau, None, None] * x[:, :, t - tau] for tau in range(1, 4) if t - tau >= 0)
        assert torch.allclose(
            filtered[:, :, t], torch.as_tensor(naive) + torch.zeros(2, 3, 4, dtype=torch.float64)
        )
        assert torch.allclose(model.filtered_history(past), filtered[:, :, t])
        past = push_history(past, x[:, :, t])


def test_causal_machine_leaves_the_present_alone_and_symmetric_one_does_not():
    model, _, _ = random_machine(nv=2, nh=2, depth=2, scale=1.0)
    V, H = space_time_states(2, 2, 3)
    causal = causal_log_joint(model, V, H)
    assert abs(float(causal.exp().sum()) - 1) < 1e-12
    alone = slice_log_joint(
        model, torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    ).exp()
    assert (first_slice_marginal(causal, V, H) - alone).abs().max() < 1e-12
    kernel = torch.exp(-torch.arange(3, dtype=torch.float64) / 1.5)
    symmetric = symmetric_log_joint(model.W[0], model.b[0], model.c[0], kernel, V, H)
    assert hidden_posterior_spread(symmetric, V, H) > 1e-3
    without_lags = symmetric_log_joint(
        model.W[0], model.b[0], model.c[0], kernel * torch.tensor([1.0, 0, 0]), V, H
    )
    assert hidden_posterior_spread(without_lags, V, H) < 1e-12


def test_slice_log_likelihood_is_the_enumerated_joint_summed_over_hidden_states():
    from bookkit.spiking_boltzmann.likelihood import slice_log_likelihood

    model, v_tilde, h_tilde = random_machine(nv=4, nh=3, scale=1.5, seed=3)
    visible = all_binary_states(4)
    expected = torch.logsumexp(slice_log_joint(model, v_tilde, h_tilde), 1)
    batch = visible.shape[0]
    ours = slice_log_likelihood(
        model, visible[None], v_tilde.expand(1, batch, 4), h_tilde.expand(1, batch, 3), chunk=3
    )
    assert torch.allclose(ours[0], expected, atol=1e-12)
    assert math.isclose(float(ours[0].exp().sum()), 1.0, abs_tol=1e-12)
