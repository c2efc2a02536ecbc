r"""Influence balancing in closed form: the derivatives truncated BPTT sees, and fast vectorised runs.

The system (see :class:`bookkit.uoro.model.InfluenceBalancing`) is linear with one scalar parameter, so
RTRL's influence is a vector, UORO's $\tilde\theta$ a scalar, and a TBPTT-$K$ window is one affine map
$s\mapsto A^Ks+c_K\theta$ with $c_K=\sum_{m<K}A^m\sigma$. The functions here exploit that to run
30,000 online steps for several seeds in seconds; the unit tests check them against the generic estimators
of :mod:`bookkit.uoro.estimators` step for step.
"""

from __future__ import annotations

import dataclasses

import torch

from bookkit.uoro.estimators import LossAt
from bookkit.uoro.model import InfluenceBalancing
from bookkit.uoro.paper import EARLIER_EPSILON


def window_offsets(
    model: InfluenceBalancing,
    max_truncation: int,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    r"""``(max_truncation + 1, n)``: row $K$ is $c_K=\sum_{m=0}^{K-1}A^m\sigma$ (row 0 is zero)."""
    matrix, sigma = model.matrix(dtype, device), model.signs(dtype, device)
    offsets = torch.zeros(max_truncation + 1, model.state_size, dtype=dtype, device=device)
    power_sigma = sigma
    for k in range(1, max_truncation + 1):
        offsets[k] = offsets[k - 1] + power_sigma
        power_sigma = matrix @ power_sigma
    return offsets


def truncated_derivatives(model: InfluenceBalancing, max_truncation: int) -> torch.Tensor:
    r"""$D_K=\partial s^1_{t+K}/\partial\theta$ with $s_t$ held fixed, $D_K=\sum_{m=0}^{K-1}(A^m\sigma)_1$,
    for $K=1..$``max_truncation`` (entry ``K-1``): the derivative TBPTT-$K$ sees for an end-of-window loss."""
    return window_offsets(model, max_truncation)[1:, 0]


def window_summed_derivatives(model: InfluenceBalancing, max_truncation: int) -> torch.Tensor:
    r"""$\bar D_K=\frac1K\sum_{k=1}^K D_k$: the effective derivative when every step of a $K$-window carries
    a loss backpropagated to the window start (the other TBPTT variant)."""
    derivatives = truncated_derivatives(model, max_truncation)
    return derivatives.cumsum(0) / torch.arange(1, max_truncation + 1, dtype=derivatives.dtype)


def long_run_derivative(model: InfluenceBalancing) -> float:
    r"""$D_\infty=\big[(I-A)^{-1}\sigma\big]_1$, the derivative of the stationary $s^1$ with respect to
    $\theta$."""
    identity = torch.eye(model.state_size, dtype=torch.float64)
    stationary = torch.linalg.solve(identity - model.matrix(), model.signs())
    return float(stationary[0])


def optimal_theta(model: InfluenceBalancing) -> float:
    r"""$\theta^\star$ with stationary $s^{1\star}=\theta^\star D_\infty=1$, i.e. zero long-run loss."""
    return 1.0 / long_run_derivative(model)


@dataclasses.dataclass
class InfluenceRun:
    r"""Parameter path ``theta`` ``(steps + 1, B)``, online loss ``(steps, B)`` and the step each run was
    frozen for diverging (``-1`` if it never did)."""

    theta: torch.Tensor
    loss: torch.Tensor
    diverged_at: torch.Tensor

    @property
    def final_theta(self) -> torch.Tensor:
        return self.theta[-1]

    @property
    def final_loss(self) -> torch.Tensor:
        r"""The last online loss, ``inf`` for a run that diverged."""
        return torch.where(self.diverged_at >= 0, torch.inf, self.loss[-1])


def _shift(state: torch.Tensor) -> torch.Tensor:
    r"""$As$ for the batch ``(B, n)``: $(As)_i=(s_i+s_{i+1})/2$."""
    return 0.5 * (state + torch.cat([state[:, 1:], torch.zeros_like(state[:, :1])], dim=-1))


def _freeze(
    theta: torch.Tensor, new_theta: torch.Tensor, diverged_at: torch.Tensor, step: int, bound: float
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Keep ``new_theta`` where it is finite and within ``bound``; freeze the others and note the step."""
    bad = ~torch.isfinite(new_theta) | (new_theta.abs() > bound)
    diverged_at = torch.where(bad & (diverged_at < 0), torch.full_like(diverged_at, step), diverged_at)
    return torch.where(diverged_at >= 0, theta, new_theta), diverged_at


def run_tbptt(
    model: InfluenceBalancing,
    truncations: list[int],
    lr: float,
    num_updates: int,
    theta_0: float = 0.5,
    bound: float = 1e6,
) -> InfluenceRun:
    r"""TBPTT-$K$ for each $K$ in ``truncations`` (the columns), end-of-window loss, plain SGD:
    each update unrolls $K$ steps from the current state, $s\leftarrow A^Ks+c_K\theta$, and takes
    $\theta\leftarrow\theta-\eta\,(s^1-1)\,D_K$. A run whose $|\theta|$ exceeds ``bound`` is frozen."""
    count = len(truncations)
    offsets = window_offsets(model, max(truncations))[truncations]  # (M, n): c_K
    powers = torch.stack([torch.linalg.matrix_power(model.matrix(), k) for k in truncations])  # (M, n, n)
    state = model.initial_state(count)
    theta = torch.full((count,), theta_0, dtype=torch.float64)
    diverged_at = torch.full((count,), -1, dtype=torch.long)
    thetas, losses = [theta], []
    for update in range(num_updates):
        # s_{t+K} = A^K s_t + c_K theta; the loss sits on the window's last step
        new_state = torch.matmul(powers, state.unsqueeze(-1)).squeeze(-1) + offsets * theta.unsqueeze(-1)
        error = new_state[:, 0] - 1.0
        losses.append(torch.where(diverged_at >= 0, torch.inf, 0.5 * error**2))
        theta_next, diverged_at = _freeze(
            theta, theta - lr * error * offsets[:, 0], diverged_at, update, bound
        )
        state = torch.where((diverged_at >= 0).unsqueeze(-1), state, new_state)
        theta = theta_next
        thetas.append(theta)
    return InfluenceRun(torch.stack(thetas), torch.stack(losses), diverged_at)


def run_rtrl(
    model: InfluenceBalancing, lrs: list[float], num_steps: int, theta_0: float = 0.5, bound: float = 1e6
) -> InfluenceRun:
    r"""Exact RTRL with per-step SGD, one column per learning rate: $J_{t+1}=AJ_t+\sigma$,
    $\theta\leftarrow\theta-\eta\,(s^1_{t+1}-1)\,J^1_{t+1}$."""
    count = len(lrs)
    rates = torch.tensor(lrs, dtype=torch.float64)
    sigma = model.signs()
    state, influence = model.initial_state(count), torch.zeros(count, model.state_size, dtype=torch.float64)
    theta = torch.full((count,), theta_0, dtype=torch.float64)
    diverged_at = torch.full((count,), -1, dtype=torch.long)
    thetas, losses = [theta], []
    for step in range(num_steps):
        state = _shift(state) + theta.unsqueeze(-1) * sigma
        influence = _shift(influence) + sigma
        error = state[:, 0] - 1.0
        losses.append(torch.where(diverged_at >= 0, torch.inf, 0.5 * error**2))
        theta, diverged_at = _freeze(theta, theta - rates * error * influence[:, 0], diverged_at, step, bound)
        thetas.append(theta)
    return InfluenceRun(torch.stack(thetas), torch.stack(losses), diverged_at)


def run_uoro(
    model: InfluenceBalancing,
    lr: float,
    num_steps: int,
    generator: torch.Generator,
    num_seeds: int,
    theta_0: float = 0.5,
    epsilon: float = EARLIER_EPSILON,
    bound: float = 1e6,
) -> InfluenceRun:
    r"""UORO with per-step SGD on ``num_seeds`` independent noise streams (the columns). With
    $\partial F/\partial\theta=\sigma$ and $\partial\ell_{t+1}/\partial s_t=(s^1_{t+1}-1)\,e_1^\top A$:

    $$\hat g_t=(s^1_{t+1}-1)\big((A\tilde s_t)_1\tilde\theta_t+\sigma_1\big),\quad a_t=A\tilde s_t,\quad
    b_t=\nu^\top\sigma,$$

    then the $\rho$ update of :class:`bookkit.uoro.estimators.UORO` (same noise draws, same order)."""
    sigma = model.signs()
    state = model.initial_state(num_seeds)
    s_tilde = torch.zeros_like(state)
    theta_tilde = torch.zeros(num_seeds, dtype=torch.float64)
    theta = torch.full((num_seeds,), theta_0, dtype=torch.float64)
    diverged_at = torch.full((num_seeds,), -1, dtype=torch.long)
    thetas, losses = [theta], []
    for step in range(num_steps):
        state = _shift(state) + theta.unsqueeze(-1) * sigma
        tangent = _shift(s_tilde)
        error = state[:, 0] - 1.0
        losses.append(torch.where(diverged_at >= 0, torch.inf, 0.5 * error**2))
        gradient = error * (tangent[:, 0] * theta_tilde + sigma[0])
        noise = (2 * torch.randint(0, 2, state.shape, generator=generator) - 1).to(state)
        noise_pullback = noise @ sigma
        rho_0 = torch.sqrt((theta_tilde.abs() + epsilon) / (tangent.norm(dim=-1) + epsilon))
        rho_1 = torch.sqrt((noise_pullback.abs() + epsilon) / (noise.norm(dim=-1) + epsilon))
        s_tilde = rho_0.unsqueeze(-1) * tangent + rho_1.unsqueeze(-1) * noise
        theta_tilde = theta_tilde / rho_0 + noise_pullback / rho_1
        theta, diverged_at = _freeze(theta, theta - lr * gradient, diverged_at, step, bound)
        thetas.append(theta)
    return InfluenceRun(torch.stack(thetas), torch.stack(losses), diverged_at)


def tbptt_update_map(model: InfluenceBalancing, truncation: int, lr: float, loss_at: LossAt) -> torch.Tensor:
    r"""One TBPTT-$K$ update as an affine map of $(s,\theta,1)\in\mathbb R^{n+2}$ (the system is linear, so a
    window and its SGD step are one matrix). With $r_k$ the first row of $A^k$ and $D_k=(c_k)_1$, the state
    at step $k$ of the window has $s^1_{t+k}=r_k s_t+D_k\theta$, and

    $$s_{t+K}=A^Ks_t+c_K\theta,\qquad
    \theta'=\theta-\eta\sum_{k\in\mathcal K}D_k\,(r_ks_t+D_k\theta-1),$$

    with $\mathcal K=\{K\}$ for ``loss_at="end"`` (the window's last loss) and $\{1..K\}$ for ``"all"`` (the
    window's summed loss, the gradient :class:`~bookkit.uoro.estimators.TruncatedBPTT` returns)."""
    n = model.state_size
    matrix, offsets = model.matrix(), window_offsets(model, truncation)
    first_rows = torch.zeros(truncation + 1, n, dtype=torch.float64)
    power = torch.eye(n, dtype=torch.float64)
    for k in range(1, truncation + 1):
        power = matrix @ power
        first_rows[k] = power[0]
    ks = list(range(1, truncation + 1)) if loss_at == "all" else [truncation]
    derivatives = offsets[ks, 0]
    update = torch.zeros(n + 2, n + 2, dtype=torch.float64)
    update[:n, :n], update[:n, n] = power, offsets[truncation]
    update[n, :n] = -lr * (derivatives.unsqueeze(-1) * first_rows[ks]).sum(0)
    update[n, n] = 1.0 - lr * float((derivatives**2).sum())
    update[n, n + 1] = lr * float(derivatives.sum())
    update[n + 1, n + 1] = 1.0
    return update


def tbptt_final_theta(
    model: InfluenceBalancing,
    truncations: list[int],
    lr: float,
    budget: int,
    loss_at: LossAt,
    theta_0: float = 0.5,
) -> torch.Tensor:
    r"""$\theta$ after ``budget`` online steps of TBPTT-$K$ for each $K$ (``budget // K`` updates), by powers
    of :func:`tbptt_update_map`: the same online-step budget as RTRL and UORO, whatever the window. A run
    that diverged gives a huge or non-finite value."""
    start = torch.cat([model.initial_state(1)[0], torch.tensor([theta_0, 1.0], dtype=torch.float64)])
    finals = [
        torch.linalg.matrix_power(tbptt_update_map(model, k, lr, loss_at), budget // k)[model.state_size]
        @ start
        for k in truncations
    ]
    return torch.stack(finals)
