"""CRBM and RTRBM: the free-energy surrogate gives the CD-1 update; batched and stepwise histories agree."""

import torch

from bookkit.spiking_boltzmann.exact import all_binary_states
from bookkit.spiking_boltzmann.followups import (
    ConditionalRBM,
    RecurrentTemporalRBM,
    free_energy,
    predict_one_step,
    rollout,
    sequence_log_likelihood,
    slice_log_likelihood,
)


def random_frames(batch=3, steps=6, pixels=5, seed=0):
    return (torch.rand(batch, steps, pixels, generator=torch.Generator().manual_seed(seed)) < 0.4).double()


def test_free_energy_difference_gradient_is_the_cd1_update():
    g = torch.Generator().manual_seed(1)
    W = torch.randn(5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    visible_bias = torch.randn(4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    hidden_bias = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    v0, v1 = random_frames(4, 1, 5, 2)[:, 0], random_frames(4, 1, 5, 3)[:, 0]
    (
        free_energy(v0, W, visible_bias, hidden_bias) - free_energy(v1, W, visible_bias, hidden_bias)
    ).sum().backward()
    p0, p1 = torch.sigmoid(hidden_bias + v0 @ W), torch.sigmoid(hidden_bias + v1 @ W)
    with torch.no_grad():
        assert torch.allclose(-W.grad, v0.T @ p0 - v1.T @ p1, atol=1e-12)
        assert torch.allclose(-hidden_bias.grad, p0 - p1, atol=1e-12)
        assert torch.allclose(-visible_bias.grad, v0 - v1, atol=1e-12)


def test_crbm_batched_history_matches_stepping_through_time():
    model = ConditionalRBM(5, 3, 2, torch.Generator().manual_seed(0)).double()
    with torch.no_grad():
        for parameter in (model.A, model.B, model.b, model.c):
            parameter.normal_(generator=torch.Generator().manual_seed(4))
    frames = random_frames()
    visible_bias, hidden_bias = model.sequence_biases(frames)
    state = model.initial_state(3, 5, frames)
    for t in range(frames.shape[1]):
        step_visible, step_hidden = model.slice_biases(state)
        assert torch.allclose(step_visible, visible_bias[:, t]) and torch.allclose(
            step_hidden, hidden_bias[:, t]
        )
        state = model.advance(state, frames[:, t])


def test_rtrbm_recursion_matches_stepping_and_finite_difference_gradient():
    model = RecurrentTemporalRBM(5, 3, torch.Generator().manual_seed(0)).double()
    with torch.no_grad():
        model.U.normal_(generator=torch.Generator().manual_seed(5))
        model.W.mul_(100)
    frames = random_frames()
    _, hidden_bias = model.sequence_biases(frames)
    state = model.initial_state(3, 5, frames)
    for t in range(frames.shape[1]):
        assert torch.allclose(model.slice_biases(state)[1], hidden_bias[:, t])
        state = model.advance(state, frames[:, t])
    hidden_bias.sum().backward()
    index, epsilon = (1, 2), 1e-6
    with torch.no_grad():
        values = []
        for sign in (1, -1):
            model.U[index] += sign * epsilon
            values.append(float(model.sequence_biases(frames)[1].sum()))
            model.U[index] -= sign * epsilon
    finite_difference = (values[0] - values[1]) / (2 * epsilon)
    assert abs(finite_difference - float(model.U.grad[index])) < 1e-6
    assert abs(float(model.U.grad[index])) > 1e-3


def test_prediction_and_rollout_are_probabilities():
    frames = random_frames().float()
    for model in (
        ConditionalRBM(5, 3, 2, torch.Generator().manual_seed(0)),
        RecurrentTemporalRBM(5, 3, torch.Generator().manual_seed(0)),
    ):
        prediction = predict_one_step(
            model, frames, torch.Generator().manual_seed(1), gibbs_steps=3, average_last=2
        )
        generated = rollout(model, frames[:, :3], 4, torch.Generator().manual_seed(1), gibbs_steps=3)
        assert prediction.shape == frames.shape and generated.shape == (3, 4, 5)
        assert ((prediction >= 0) & (prediction <= 1)).all() and ((generated >= 0) & (generated <= 1)).all()


def test_slice_log_likelihood_is_the_enumerated_joint_summed_over_hidden_states():
    g = torch.Generator().manual_seed(3)
    W = 2 * torch.randn(4, 3, generator=g, dtype=torch.float64)
    visible_bias, hidden_bias = torch.randn(4, generator=g).double(), torch.randn(3, generator=g).double()
    v, h = all_binary_states(4).double(), all_binary_states(3).double()
    # naive: p(v) ∝ Σ_h exp(v·ĉ + h·b̂ + vᵀWh), normalised over all 16 visible states
    log_joint = v @ visible_bias[:, None] + (h @ hidden_bias)[None] + v @ W @ h.T
    naive = torch.logsumexp(log_joint, 1) - torch.logsumexp(log_joint.flatten(), 0)
    ours = slice_log_likelihood(v, W, visible_bias.expand(16, 4), hidden_bias.expand(16, 3), chunk=3)
    assert torch.allclose(ours, naive, atol=1e-12)
    assert abs(float(ours.exp().sum()) - 1) < 1e-12


def test_sequence_log_likelihood_scores_each_frame_given_its_true_past():
    frames = random_frames(batch=2, steps=4, pixels=4).float()
    for model in (
        ConditionalRBM(4, 3, 2, torch.Generator().manual_seed(0)),
        RecurrentTemporalRBM(4, 3, torch.Generator().manual_seed(0)),
    ):
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.normal_(generator=torch.Generator().manual_seed(1))
        scores = sequence_log_likelihood(model, frames)
        visible_bias, hidden_bias = model.sequence_biases(frames)
        assert scores.shape == (2, 4)
        # each frame's score is its slice's: changing a later frame leaves earlier scores alone
        later = frames.clone()
        later[:, 3] = 1 - later[:, 3]
        changed = sequence_log_likelihood(model, later)
        assert torch.equal(changed[:, :3], scores[:, :3]) and not torch.equal(changed[:, 3], scores[:, 3])
        assert torch.allclose(
            scores[:, 0], slice_log_likelihood(frames[:, 0], model.W, visible_bias[:, 0], hidden_bias[:, 0])
        )


def test_circle_angle_metrics_score_a_perfect_predictor_and_copy_last():
    from bookkit.spiking_boltzmann.data import CircleTask, circle_angles, intensity_to_spikes, render_circle
    from bookkit.spiking_boltzmann.presets import FOLLOWUPS
    from bookkit.spiking_boltzmann.sequence_comparisons import circle_angle_metrics

    config, task = FOLLOWUPS.ci, CircleTask()
    starts = torch.tensor([0.3, 2.0], dtype=torch.float64)
    frames = intensity_to_spikes(render_circle(circle_angles(starts, 30, task), task).float(), False, None)
    prime, rollout = config.prime_frames, config.rollout_frames
    truth = frames[:, prime : prime + rollout]
    copy = torch.cat([torch.zeros_like(frames[:, :1]), frames[:, :-1]], 1)
    results = {
        "perfect": {"one_step": frames, "rollout": truth},
        "copy last": {"one_step": copy, "rollout": frames[:, prime - 1 : prime].expand(-1, rollout, -1)},
        "test": {"frames": frames},
    }
    scores = circle_angle_metrics(results, config, task)
    assert scores["perfect"]["one_step_angle_error"] == 0.0
    assert scores["perfect"]["rollout_frac_good"] == 1.0
    assert 0.6 < scores["copy last"]["one_step_angle_error"] < 1.4
    assert scores["copy last"]["rollout_frac_good"] == 0.0
