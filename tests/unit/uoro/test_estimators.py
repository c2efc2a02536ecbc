"""RTRL, SnAp-1, UORO and TBPTT against independent references: autograd through an unrolled loop,
torch.func Jacobians, and a statistical test of UORO's unbiasedness with a variance-derived tolerance."""

import copy

import pytest
import torch
from torch.func import jacrev
from torch.nn import functional

from bookkit.uoro.estimators import RTRL, UORO, ChunkedUORO, SnAp1, TruncatedBPTT, accumulate_gradient
from bookkit.uoro.kf_rtrl import KFRTRL
from bookkit.uoro.model import GRU, LSTM, TanhRNN


def random_problem(model, steps, batch=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    w_state, w_out = model.init_params(batch, generator, dtype=torch.float64)
    w_state = w_state + 0.3 * torch.randn(w_state.shape, generator=generator, dtype=torch.float64)
    symbols = torch.randint(0, model.input_size, (steps, batch), generator=generator)
    inputs = functional.one_hot(symbols, model.input_size).double()
    targets = torch.randint(0, model.output_size, (steps, batch), generator=generator)
    state = 0.5 * torch.randn(batch, model.state_size, generator=generator, dtype=torch.float64)
    return w_state, w_out, state, inputs, targets


def unrolled_loss_gradient(model, w_state, w_out, state, inputs, targets, window=None):
    """Reference: autograd of the summed loss of a plain Python unroll, the state detached every `window`
    steps."""
    w_state = w_state.clone().requires_grad_()
    w_out = w_out.clone().requires_grad_()
    total = 0.0
    for t, (x, y) in enumerate(zip(inputs, targets)):
        if window is not None and t % window == 0:
            state = state.detach()
        state = model.transition(w_state, state, x)
        total = total + model.loss(w_out, state, y).sum()
    return torch.autograd.grad(total, (w_state, w_out))


def relative_difference(a, b):
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize(
    "model", [TanhRNN(5, 16, 5), GRU(5, 16, 5), LSTM(5, 16, 5)], ids=["tanh", "gru", "lstm"]
)
def test_rtrl_accumulated_gradient_equals_bptt_in_float64(model):
    problem = random_problem(model, steps=100)
    reference = unrolled_loss_gradient(model, *problem)
    rtrl = accumulate_gradient(RTRL(model), *problem)
    assert relative_difference(rtrl[0], reference[0]) < 1e-10
    assert relative_difference(rtrl[1], reference[1]) < 1e-10


@pytest.mark.parametrize("window", [1, 7, 30])
def test_truncated_bptt_equals_autograd_with_detached_window_starts(window):
    model = GRU(4, 6, 4)
    problem = random_problem(model, steps=30)
    reference = unrolled_loss_gradient(model, *problem, window=window)
    tbptt = accumulate_gradient(TruncatedBPTT(model, window), *problem)
    assert relative_difference(tbptt[0], reference[0]) < 1e-12
    assert relative_difference(tbptt[1], reference[1]) < 1e-12


def test_short_truncation_differs_from_full_gradient():
    model = TanhRNN(4, 8, 4)
    problem = random_problem(model, steps=40)
    full = unrolled_loss_gradient(model, *problem)
    truncated = accumulate_gradient(TruncatedBPTT(model, 2), *problem)
    assert relative_difference(truncated[0], full[0]) > 1e-3


def test_rtrl_step_jacobians_match_jacrev():
    model = GRU(3, 5, 3)
    w_state, _, state, inputs, _ = random_problem(model, steps=1, batch=1)
    rtrl = RTRL(model)
    rtrl.reset(state)
    _, jac_state, jac_params = rtrl.step_jacobians(w_state, inputs[0])
    reference_state = jacrev(lambda s: model.transition(w_state, s, inputs[0]))(state)[0, :, 0, :]
    reference_params = jacrev(lambda w: model.transition(w, state, inputs[0]))(w_state)[0, :, 0, :]
    torch.testing.assert_close(jac_state[0], reference_state, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(jac_params[0], reference_params, rtol=1e-12, atol=1e-12)


def test_snap1_keeps_the_one_step_pattern_and_matches_rtrl_on_the_first_step():
    model = TanhRNN(3, 4, 3)
    w_state, w_out, state, inputs, targets = random_problem(model, steps=3, batch=1)
    n, m = 4, 3
    expected = torch.zeros(n, model.num_state_params, dtype=torch.bool)
    for i in range(n):  # row i of W, of U and bias i move unit i only
        expected[i, i * n : (i + 1) * n] = True
        expected[i, n * n + i * m : n * n + (i + 1) * m] = True
        expected[i, n * n + n * m + i] = True
    snap, rtrl = SnAp1(model), RTRL(model)
    assert torch.equal(snap.pattern, expected)
    snap.reset(state)
    rtrl.reset(state)
    first_snap = snap.step(w_state, w_out, inputs[0], targets[0])
    first_rtrl = rtrl.step(w_state, w_out, inputs[0], targets[0])
    torch.testing.assert_close(first_snap.grad_state, first_rtrl.grad_state)
    snap.step(w_state, w_out, inputs[1], targets[1])
    rtrl.step(w_state, w_out, inputs[1], targets[1])
    assert not snap.influence[0][~expected].any()
    assert (rtrl.influence[0][~expected] != 0).any()


def test_uoro_estimate_is_unbiased():
    """Mean of s~ theta~^T over many noise streams at fixed theta vs RTRL's J, per coordinate, with the
    standard error estimated from the same samples: all |z| below 5 (Bonferroni over ~150 coordinates at
    a Gaussian tail gives p < 1e-4; the number of samples keeps the CLT reasonable)."""
    model = TanhRNN(2, 4, 2)
    steps, samples = 8, 40000
    w_state, w_out, state, inputs, targets = random_problem(model, steps=steps, batch=1, seed=3)
    rtrl = RTRL(model)
    rtrl.reset(state)
    for x, y in zip(inputs, targets):
        rtrl.step(w_state, w_out, x, y)
    uoro = UORO(model, torch.Generator().manual_seed(0))
    uoro.reset(state.expand(samples, -1))
    for x, y in zip(inputs, targets):
        uoro.step(
            w_state.expand(samples, -1), w_out.expand(samples, -1), x.expand(samples, -1), y.expand(samples)
        )
    estimates = uoro.s_tilde.unsqueeze(-1) * uoro.theta_tilde.unsqueeze(1)  # (samples, n, P)
    mean, error = estimates.mean(0), estimates.std(0) / samples**0.5
    exact = rtrl.influence[0]
    informative = error > 1e-12
    z = (mean - exact)[informative] / error[informative]
    assert z.abs().max() < 5
    assert torch.allclose(mean[~informative], exact[~informative], atol=1e-10)
    # a wrong estimator would be caught: dropping the noise term's sign symmetry biases it
    assert ((2 * mean - exact)[informative] / error[informative]).abs().max() > 5


@pytest.mark.parametrize("model", [GRU(2, 3, 2), LSTM(2, 3, 2)], ids=["gru", "lstm"])
def test_uoro_gradient_is_unbiased_and_rho_free_version_too(model):
    steps, samples = 6, 20000
    w_state, w_out, state, inputs, targets = random_problem(model, steps=steps, batch=1, seed=5)
    exact, _ = accumulate_gradient(RTRL(model), w_state, w_out, state, inputs, targets)

    def expand(tensor):
        return tensor.expand(samples, *tensor.shape[1:])

    for normalise in (True, False):
        uoro = UORO(model, torch.Generator().manual_seed(1), normalise=normalise)
        estimate, _ = accumulate_gradient(
            uoro,
            expand(w_state),
            expand(w_out),
            expand(state),
            inputs.expand(steps, samples, -1),
            targets.expand(steps, samples),
        )
        z = (estimate.mean(0) - exact[0]) / (estimate.std(0) / samples**0.5)
        assert z.abs().max() < 5, normalise


def test_uoro_first_step_has_rho0_of_one_and_exact_gradient():
    """From s~_0 = 0, theta~_0 = 0 the first gradient is the exact one-step gradient."""
    model = TanhRNN(3, 5, 3)
    w_state, w_out, state, inputs, targets = random_problem(model, steps=1, batch=1)
    uoro, rtrl = UORO(model, torch.Generator().manual_seed(0)), RTRL(model)
    uoro.reset(state)
    rtrl.reset(state)
    result = uoro.step(w_state, w_out, inputs[0], targets[0])
    torch.testing.assert_close(result.grad_state, rtrl.step(w_state, w_out, inputs[0], targets[0]).grad_state)


def test_end_of_window_tbptt_uses_only_the_last_loss():
    model = TanhRNN(3, 4, 3)
    w_state, w_out, state, inputs, targets = random_problem(model, steps=5, batch=1)
    estimator = TruncatedBPTT(model, 5, loss_at="end")
    grad_state, _ = accumulate_gradient(estimator, w_state, w_out, state, inputs, targets)
    w = w_state.clone().requires_grad_()
    s = state
    for x in inputs:
        s = model.transition(w, s, x)
    (reference,) = torch.autograd.grad(model.loss(w_out, s, targets[-1]).sum(), w)
    torch.testing.assert_close(grad_state, reference)


def test_uoro_tangent_modes_agree():
    model = GRU(3, 6, 3)
    w_state, w_out, state, inputs, targets = random_problem(model, steps=12, batch=2)
    results = []
    for mode in ("jvp", "double_vjp"):
        uoro = UORO(model, torch.Generator().manual_seed(4), tangent_mode=mode)
        results.append(accumulate_gradient(uoro, w_state, w_out, state, inputs, targets)[0])
    torch.testing.assert_close(results[0], results[1], rtol=1e-10, atol=1e-12)


def test_epsilon_changes_nothing_measurable():
    """The official code's 1e-5 and our 1e-7 give the same UORO pair (same noise) to about six digits, on a
    tanh RNN (closed form) and a GRU (autograd); a large epsilon (1e-1) does change it, so the test can
    fail."""
    for model in (TanhRNN(4, 6, 4), GRU(4, 6, 4)):
        w_state, w_out, state, inputs, targets = random_problem(model, steps=30, batch=3)
        pairs = {}
        for epsilon in (1e-7, 1e-5, 1e-1):
            estimator = UORO(model, torch.Generator().manual_seed(5), epsilon=epsilon)
            estimator.reset(state)
            for x, y in zip(inputs, targets):
                estimator.step(w_state, w_out, x, y)
            pairs[epsilon] = torch.cat((estimator.s_tilde, estimator.theta_tilde), dim=-1)
        assert relative_difference(pairs[1e-5], pairs[1e-7]) < 1e-5
        assert relative_difference(pairs[1e-1], pairs[1e-7]) > 1e-3


def test_lstm_reads_out_h_only_and_its_closed_form_loss_gradients_match_autograd():
    model = LSTM(3, 4, 3)
    w_state, w_out, state, inputs, targets = random_problem(model, steps=1, batch=2)
    state = model.transition(w_state, state, inputs[0]).detach().requires_grad_()
    w_out = w_out.clone().requires_grad_()
    loss = model.loss(w_out, state, targets[0])
    grad_state, grad_out = torch.autograd.grad(loss.sum(), (state, w_out))
    closed = model.loss_and_gradients(w_out.detach(), state.detach(), targets[0])
    torch.testing.assert_close(closed[0], loss.detach())
    torch.testing.assert_close(closed[1], grad_state)
    torch.testing.assert_close(closed[2], grad_out)
    assert model.state_size == 8 and (grad_state[:, 4:] == 0).all() and (grad_state[:, :4] != 0).any()


def test_uoro_over_chunks_of_one_step_is_uoro():
    model = GRU(3, 5, 3)
    problem = random_problem(model, steps=12, batch=2, seed=4)
    per_step = accumulate_gradient(UORO(model, torch.Generator().manual_seed(6), closed_form=False), *problem)
    chunked = accumulate_gradient(ChunkedUORO(model, torch.Generator().manual_seed(6), chunk=1), *problem)
    torch.testing.assert_close(chunked, per_step, rtol=1e-12, atol=1e-12)


def test_uoro_over_a_chunk_as_long_as_the_sequence_is_bptt():
    model = LSTM(3, 4, 3)
    problem = random_problem(model, steps=15, seed=2)
    reference = unrolled_loss_gradient(model, *problem)
    chunked = accumulate_gradient(ChunkedUORO(model, torch.Generator().manual_seed(0), chunk=15), *problem)
    assert relative_difference(chunked[0], reference[0]) < 1e-10
    assert relative_difference(chunked[1], reference[1]) < 1e-10


def test_uoro_over_chunks_is_unbiased_where_truncation_is_not():
    """Chunks of 3 steps over 8 (the last, partial chunk flushed at the end): the mean of the accumulated
    estimate matches RTRL's total gradient (|z| < 5); TBPTT-3's gradient does not."""
    model = GRU(2, 3, 2)
    steps, samples = 8, 20000
    w_state, w_out, state, inputs, targets = random_problem(model, steps=steps, batch=1, seed=5)
    exact, _ = accumulate_gradient(RTRL(model), w_state, w_out, state, inputs, targets)
    expanded = (
        w_state.expand(samples, -1),
        w_out.expand(samples, -1),
        state.expand(samples, -1),
        inputs.expand(steps, samples, -1),
        targets.expand(steps, samples),
    )
    estimate, _ = accumulate_gradient(
        ChunkedUORO(model, torch.Generator().manual_seed(1), chunk=3), *expanded
    )
    standard_error = estimate.std(0) / samples**0.5
    assert ((estimate.mean(0) - exact[0]) / standard_error).abs().max() < 5
    truncated, _ = accumulate_gradient(TruncatedBPTT(model, 3), w_state, w_out, state, inputs, targets)
    assert ((truncated[0] - exact[0]) / standard_error).abs().max() > 5


def _estimators_with_checkpoints(model):
    """Every estimator of the chapter that :func:`~bookkit.uoro.train.train_online` checkpoints, with its
    window (a checkpoint falls at a window's end)."""
    return {
        "RTRL": RTRL(model),
        "SnAp-1": SnAp1(model),
        "UORO": UORO(model, torch.Generator().manual_seed(1)),
        "UORO-3": ChunkedUORO(model, torch.Generator().manual_seed(2), chunk=3),
        "TBPTT-3": TruncatedBPTT(model, 3),
        "TBPTT-3, last loss": TruncatedBPTT(model, 3, loss_at="end"),
        "KF-RTRL": KFRTRL(model, torch.Generator().manual_seed(3)),
    }


@pytest.mark.parametrize("name", list(_estimators_with_checkpoints(TanhRNN(5, 6, 5))))
def test_an_estimator_restored_from_its_state_dict_continues_bit_identically(name):
    """Six steps, a save at step 6 into a fresh estimator whose noise has moved on, six more steps: the
    restored estimator's losses and gradients equal the uninterrupted one's. Mid-window saves are refused."""
    model = TanhRNN(5, 6, 5)
    w_state, w_out, state, inputs, targets = random_problem(model, steps=12)
    running = _estimators_with_checkpoints(model)[name]
    running.reset(state)
    for x, y in zip(inputs[:6], targets[:6]):
        running.step(w_state, w_out, x, y)
    saved = copy.deepcopy(running.state_dict())
    restored = _estimators_with_checkpoints(model)[name]
    restored.reset(torch.zeros_like(state))
    if hasattr(restored, "generator"):
        torch.rand(7, generator=restored.generator)
    restored.load_state_dict(saved)
    for x, y in zip(inputs[6:], targets[6:]):
        expected, got = running.step(w_state, w_out, x, y), restored.step(w_state, w_out, x, y)
        assert torch.equal(expected.loss, got.loss)
        assert (expected.grad_state is None) == (got.grad_state is None)
        if expected.grad_state is not None:
            assert torch.equal(expected.grad_state, got.grad_state)
            assert torch.equal(expected.grad_out, got.grad_out)
    if running.window > 1:
        running.step(w_state, w_out, inputs[0], targets[0])
        with pytest.raises(RuntimeError, match="steps into a"):
            running.state_dict()
