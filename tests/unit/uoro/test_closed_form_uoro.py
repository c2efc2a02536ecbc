"""The tanh RNN's closed-form JVP, VJPs and read-out gradients, and the UORO step built on them, against
torch.func / autograd in float64: the same products, and the same UORO pair from the same generator state."""

import pytest
import torch
from torch.func import jvp, vjp
from torch.nn import functional

from bookkit.uoro.estimators import UORO
from bookkit.uoro.model import TanhRNN, block_views, unflatten

TOLERANCE = 1e-10


def relative_difference(a, b):
    return float((a - b).norm() / b.norm())


def random_step(model, batch=3, seed=0):
    """Parameters away from their initial scale, a state, a one-hot input, a target and a state tangent."""
    generator = torch.Generator().manual_seed(seed)
    w_state, w_out = model.init_params(batch, generator, dtype=torch.float64)
    w_state = w_state + 0.3 * torch.randn(w_state.shape, generator=generator, dtype=torch.float64)
    w_out = w_out + 0.3 * torch.randn(w_out.shape, generator=generator, dtype=torch.float64)
    state = 0.5 * torch.randn(batch, model.state_size, generator=generator, dtype=torch.float64)
    symbols = torch.randint(0, model.input_size, (batch,), generator=generator)
    x = functional.one_hot(symbols, model.input_size).double()
    y = torch.randint(0, model.output_size, (batch,), generator=generator)
    direction = torch.randn(batch, model.state_size, generator=generator, dtype=torch.float64)
    return w_state, w_out, state, x, y, direction


def test_transition_jvp_matches_torch_func_jvp():
    model = TanhRNN(5, 12, 5)
    w_state, _, state, x, _, direction = random_step(model)
    next_state, slope, tangent = model.transition_jvp(w_state, state, x, direction)
    reference_state, reference_tangent = jvp(
        lambda s: model.transition(w_state, s, x), (state,), (direction,)
    )
    assert next_state.shape == slope.shape == tangent.shape == (3, 12)
    assert relative_difference(next_state, reference_state) < TOLERANCE
    assert relative_difference(tangent, reference_tangent) < TOLERANCE
    assert relative_difference(slope, 1 - reference_state**2) < TOLERANCE


def test_parameter_vjp_and_its_norm_match_torch_func_vjp():
    model = TanhRNN(5, 12, 5)
    w_state, _, state, x, _, cotangent = random_step(model)
    next_state, pullback = vjp(lambda w: model.transition(w, state, x), w_state)
    (reference,) = pullback(cotangent)
    delta = (1 - next_state**2) * cotangent
    offset = torch.randn(w_state.shape, dtype=torch.float64)
    added = model.add_param_vjp_(offset.clone(), state, x, delta)
    assert added.shape == w_state.shape
    assert relative_difference(added - offset, reference) < TOLERANCE
    norms = model.param_vjp_norm(state, x, delta)
    assert norms.shape == (3, 1)
    assert relative_difference(norms, reference.norm(dim=-1, keepdim=True)) < TOLERANCE


def test_readout_loss_and_gradients_match_autograd():
    model = TanhRNN(5, 12, 7)
    _, w_out, state, _, y, _ = random_step(model)
    loss, grad_state, grad_out = model.loss_and_gradients(w_out, state, y)
    state_leaf, out_leaf = state.clone().requires_grad_(), w_out.clone().requires_grad_()
    reference_loss = model.loss(out_leaf, state_leaf, y)
    reference_state, reference_out = torch.autograd.grad(reference_loss.sum(), (state_leaf, out_leaf))
    assert loss.shape == (3,) and grad_state.shape == state.shape and grad_out.shape == w_out.shape
    assert relative_difference(loss, reference_loss.detach()) < TOLERANCE
    assert relative_difference(grad_state, reference_state) < TOLERANCE
    assert relative_difference(grad_out, reference_out) < TOLERANCE


def reference_uoro_step(
    model, pair, w_state, w_out, state, x, y, generator, epsilon=1e-7, noise="rademacher", normalise=True
):
    """Algorithm 1 of Tallec & Ollivier written out with torch.func, the noise drawn as UORO.draw_noise
    does."""
    s_tilde, theta_tilde = pair
    next_state, tangent = jvp(lambda s: model.transition(w_state, s, x), (state,), (s_tilde,))
    loss, loss_pullback = vjp(lambda s, w: model.loss(w, s, y), next_state, w_out)
    grad_next_state, grad_out = loss_pullback(torch.ones_like(loss))
    _, transition_pullback = vjp(lambda s, w: model.transition(w, s, x), state, w_state)
    grad_prev_state, grad_direct = transition_pullback(grad_next_state)
    grad_state = (grad_prev_state * s_tilde).sum(-1, keepdim=True) * theta_tilde + grad_direct
    if noise == "rademacher":
        nu = (2 * torch.randint(0, 2, state.shape, generator=generator) - 1).double()
    else:
        nu = torch.randn(state.shape, generator=generator, dtype=torch.float64)
    _, noise_pullback = transition_pullback(nu)
    if normalise:
        rho_0 = (
            (theta_tilde.norm(dim=-1, keepdim=True) + epsilon)
            / (tangent.norm(dim=-1, keepdim=True) + epsilon)
        ).sqrt()
        rho_1 = (
            (noise_pullback.norm(dim=-1, keepdim=True) + epsilon) / (nu.norm(dim=-1, keepdim=True) + epsilon)
        ).sqrt()
    else:
        rho_0 = rho_1 = torch.ones_like(loss).unsqueeze(-1)
    pair = (rho_0 * tangent + rho_1 * nu, theta_tilde / rho_0 + noise_pullback / rho_1)
    return next_state, pair, (loss, grad_state, grad_out)


@pytest.mark.parametrize("shared", [False, True], ids=["own-params", "shared-params"])
@pytest.mark.parametrize(
    "options", [{}, {"noise": "gaussian"}, {"normalise": False}], ids=["rademacher", "gaussian", "no-rho"]
)
def test_closed_form_uoro_follows_the_torch_func_reference_step_for_step(options, shared):
    """Ten steps of the closed-form step against Algorithm 1 written out with torch.func, from the same noise;
    with ``shared``, one parameter vector seen by every stream through a stride-0 ``expand`` (how training
    shares a learner across streams)."""
    model = TanhRNN(5, 12, 5)
    w_state, w_out, state, _, _, _ = random_step(model, seed=1)
    if shared:
        w_state, w_out = w_state[:1].expand(3, -1), w_out[:1].expand(3, -1)
    generator = torch.Generator().manual_seed(2)
    symbols = torch.randint(0, 5, (10, 3), generator=generator)
    inputs, targets = (
        functional.one_hot(symbols, 5).double(),
        torch.randint(0, 5, (10, 3), generator=generator),
    )
    uoro = UORO(model, torch.Generator().manual_seed(9), **options)
    assert uoro.closed_form
    uoro.reset(state)
    reference_generator = torch.Generator().manual_seed(9)
    pair = (torch.zeros_like(state), torch.zeros_like(w_state))
    for x, y in zip(inputs, targets):
        result = uoro.step(w_state, w_out, x, y)
        state, pair, expected = reference_uoro_step(
            model, pair, w_state, w_out, state, x, y, reference_generator, **options
        )
        for ours, reference in zip((result.loss, result.grad_state, result.grad_out), expected):
            assert ours.shape == reference.shape
            assert relative_difference(ours, reference) < TOLERANCE
        assert relative_difference(uoro.state, state) < TOLERANCE
        assert relative_difference(uoro.s_tilde, pair[0]) < TOLERANCE
        assert relative_difference(uoro.theta_tilde, pair[1]) < TOLERANCE


def test_closed_form_and_autograd_uoro_paths_agree_over_a_sequence():
    model = TanhRNN(4, 10, 4)
    w_state, w_out, state, _, _, _ = random_step(model, batch=2, seed=3)
    generator = torch.Generator().manual_seed(4)
    inputs = functional.one_hot(torch.randint(0, 4, (40, 2), generator=generator), 4).double()
    targets = torch.randint(0, 4, (40, 2), generator=generator)
    estimators = [
        UORO(model, torch.Generator().manual_seed(5), closed_form=closed) for closed in (True, False)
    ]
    assert [e.closed_form for e in estimators] == [True, False]
    for estimator in estimators:
        estimator.reset(state)
    for x, y in zip(inputs, targets):
        fast, generic = (estimator.step(w_state, w_out, x, y) for estimator in estimators)
        assert relative_difference(fast.grad_state, generic.grad_state) < TOLERANCE
        assert relative_difference(fast.grad_out, generic.grad_out) < TOLERANCE
    assert relative_difference(estimators[0].theta_tilde, estimators[1].theta_tilde) < TOLERANCE
    assert relative_difference(estimators[0].s_tilde, estimators[1].s_tilde) < TOLERANCE


@pytest.mark.parametrize(
    "make",
    [
        lambda flat: flat,
        lambda flat: flat[:1].expand(3, -1),
        lambda flat: torch.cat((flat, flat), dim=-1)[:, 3 : 3 + flat.shape[-1]],
        lambda flat: flat.unsqueeze(0).expand(2, -1, -1),
    ],
    ids=["contiguous", "expanded", "offset-slice", "leading-dims"],
)
def test_block_views_are_unflatten_views_of_the_same_storage(make):
    model = TanhRNN(5, 12, 5)
    w_state, _ = model.init_params(3, torch.Generator().manual_seed(0), dtype=torch.float64)
    flat = make(w_state)
    views = block_views(flat, model.state_shapes)
    lead = flat.shape[:-1]
    references = unflatten(flat.reshape(-1, flat.shape[-1]), model.state_shapes)
    for view, reference, shape in zip(views, references, model.state_shapes):
        assert view.shape == (*lead, *shape)
        assert torch.equal(view.reshape(-1, *shape), reference)
        assert view.untyped_storage().data_ptr() == flat.untyped_storage().data_ptr()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rademacher_noise_is_the_integer_draw_of_the_same_generator(dtype):
    """The noise is drawn directly in the state's dtype; the signs are those of integer draws."""
    uoro = UORO(TanhRNN(3, 40, 3), torch.Generator().manual_seed(7))
    reference = torch.Generator().manual_seed(7)
    like = torch.zeros(4, 40, dtype=dtype)
    for _ in range(3):
        expected = (2 * torch.randint(0, 2, like.shape, generator=reference) - 1).to(dtype)
        assert torch.equal(uoro.draw_noise(like), expected)


def test_closed_form_uoro_reloaded_mid_run_repeats_its_steps():
    """Loading an earlier state_dict into the running estimator (whose theta~ tensor, and the block views it
    keeps of it, have moved on) repeats the same steps exactly."""
    model = TanhRNN(4, 10, 4)
    w_state, w_out, state, _, _, _ = random_step(model, batch=2, seed=5)
    generator = torch.Generator().manual_seed(6)
    inputs = functional.one_hot(torch.randint(0, 4, (8, 2), generator=generator), 4).double()
    targets = torch.randint(0, 4, (8, 2), generator=generator)
    uoro = UORO(model, torch.Generator().manual_seed(8))
    uoro.reset(state)
    for x, y in zip(inputs[:4], targets[:4]):
        uoro.step(w_state, w_out, x, y)
    saved = {k: v.clone() for k, v in uoro.state_dict().items()}
    first = [uoro.step(w_state, w_out, x, y).grad_state for x, y in zip(inputs[4:], targets[4:])]
    uoro.load_state_dict(saved)
    again = [uoro.step(w_state, w_out, x, y).grad_state for x, y in zip(inputs[4:], targets[4:])]
    assert all(torch.equal(a, b) for a, b in zip(first, again))
