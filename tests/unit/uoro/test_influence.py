"""Influence balancing: closed forms against autograd, fast runs against the generic estimators."""

import pytest
import torch

from bookkit.uoro import influence
from bookkit.uoro.estimators import RTRL, UORO, TruncatedBPTT
from bookkit.uoro.model import InfluenceBalancing
from bookkit.uoro.train import SGD, train_online


def test_truncated_derivative_is_autograd_through_k_steps():
    model = InfluenceBalancing()
    derivatives = influence.truncated_derivatives(model, 45)
    start = torch.randn(1, 23, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for k in (1, 10, 20, 40, 41, 45):
        theta = torch.tensor([[0.3]], dtype=torch.float64, requires_grad=True)
        state = start
        for _ in range(k):
            state = model.transition(theta, state, None)
        (grad,) = torch.autograd.grad(state[0, 0], theta)
        assert abs(float(grad) - float(derivatives[k - 1])) < 1e-12


def test_sign_flip_and_optimum_of_the_reconstruction():
    model = InfluenceBalancing()
    derivatives = influence.truncated_derivatives(model, 200)
    assert derivatives[39] > 0 > derivatives[40]
    assert abs(influence.long_run_derivative(model) + 6) < 1e-12
    assert abs(derivatives[-1] + 6) < 1e-9
    assert abs(influence.optimal_theta(model) + 1 / 6) < 1e-12
    summed = influence.window_summed_derivatives(model, 200)
    assert int((summed < 0).nonzero()[0]) + 1 == 110
    assert (
        abs(float(influence.truncated_derivatives(InfluenceBalancing(11, 5), 40).lt(0).nonzero()[0]) + 1 - 22)
        < 1
    )


def _generic_run(estimator, lr, steps, batch):
    model = estimator.model
    w_state = torch.full((batch, 1), 0.5, dtype=torch.float64)
    w_out = torch.zeros(batch, 0, dtype=torch.float64)
    return train_online(
        model,
        estimator,
        w_state,
        w_out,
        torch.zeros(steps, batch, 1, dtype=torch.float64),
        torch.zeros(steps, batch, dtype=torch.float64),
        SGD(lr),
        record_params=True,
    )


def test_fast_uoro_and_rtrl_follow_the_generic_estimators_step_for_step():
    model = InfluenceBalancing()
    fast = influence.run_uoro(model, 1e-3, 150, torch.Generator().manual_seed(7), num_seeds=3)
    generic = _generic_run(UORO(model, torch.Generator().manual_seed(7)), 1e-3, 150, 3)
    torch.testing.assert_close(fast.theta[1:], generic.trajectory[:, :, 0], rtol=1e-10, atol=1e-12)
    fast = influence.run_rtrl(model, [1e-3], 150)
    generic = _generic_run(RTRL(model), 1e-3, 150, 1)
    torch.testing.assert_close(fast.theta[1:], generic.trajectory[:, :, 0], rtol=1e-10, atol=1e-12)


def test_fast_tbptt_follows_the_generic_end_of_window_estimator():
    model = InfluenceBalancing()
    k, updates = 7, 20
    fast = influence.run_tbptt(model, [k], 1e-3, updates)
    generic = _generic_run(TruncatedBPTT(model, k, loss_at="end"), 1e-3, k * updates, 1)
    torch.testing.assert_close(
        fast.theta[1:, 0], generic.trajectory[k - 1 :: k, 0, 0], rtol=1e-10, atol=1e-12
    )


def test_divergent_runs_are_frozen_and_reported():
    model = InfluenceBalancing()
    run = influence.run_tbptt(model, [10, 100], 1e-4, 3000)
    assert run.diverged_at[0] > 0 and run.diverged_at[1] == -1
    assert torch.isinf(run.final_loss[0]) and abs(float(run.final_theta[1]) + 1 / 6) < 1e-3


@pytest.mark.parametrize("loss_at", ["end", "all"])
def test_tbptt_update_map_powers_follow_the_generic_estimator(loss_at):
    model = InfluenceBalancing()
    k, updates = 7, 20
    generic = _generic_run(TruncatedBPTT(model, k, loss_at=loss_at), 1e-3, k * updates, 1)
    for done in (1, 5, updates):
        final = influence.tbptt_final_theta(model, [k], 1e-3, k * done, loss_at)
        torch.testing.assert_close(final, generic.trajectory[k * done - 1, 0], rtol=1e-10, atol=1e-12)


def test_window_summed_tbptt_goes_the_wrong_way_below_its_later_flip():
    model = InfluenceBalancing()
    summed, end = (
        influence.tbptt_final_theta(model, [100], 1e-4, 30000, loss_at)[0] for loss_at in ("all", "end")
    )
    assert (
        float(influence.window_summed_derivatives(model, 100)[-1])
        > 0
        > float(influence.truncated_derivatives(model, 100)[-1])
    )
    assert float(summed) > 0.5 and -1 / 6 < float(end) < 0.5
