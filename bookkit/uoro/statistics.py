r"""Statistics of UORO's rank-one estimate $\tilde s_t\tilde\theta_t^\top$ of the influence $J_t$ at fixed
$\theta$.

``S`` independent noise streams run side by side (the batch dimension) along one trajectory; the exact
$J_t$ comes from RTRL on the same trajectory. Errors are relative Frobenius norms
$\lVert\hat J-J\rVert/\lVert J\rVert$; heavy tails make medians over disjoint groups the robust summary.
"""

from __future__ import annotations

import torch

from bookkit.uoro.estimators import RTRL, UORO
from bookkit.uoro.model import RecurrentModel


def influence_samples(
    model: RecurrentModel,
    w_state: torch.Tensor,
    w_out: torch.Tensor,
    state: torch.Tensor,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    num_samples: int,
    generator: torch.Generator,
    checkpoints: tuple[int, ...],
    **uoro_options: object,
) -> tuple[dict[int, torch.Tensor], dict[int, tuple[torch.Tensor, torch.Tensor]]]:
    r"""Exact $J_T$ (``(n, P)``, from RTRL) and ``num_samples`` UORO pairs $(\tilde s_T,\tilde\theta_T)$ at
    each step count $T$ in ``checkpoints``, all along the trajectory of one stream (batch 1 inputs) at fixed
    parameters (batch 1)."""
    exact_estimator = RTRL(model)
    exact_estimator.reset(state)
    sampler = UORO(model, generator, **uoro_options)  # type: ignore[arg-type]
    sampler.reset(state.expand(num_samples, -1))
    many = (w_state.expand(num_samples, -1), w_out.expand(num_samples, -1))
    exact, samples = {}, {}
    for t in range(1, max(checkpoints) + 1):
        x, y = inputs[t - 1], targets[t - 1]
        exact_estimator.step(w_state, w_out, x, y)
        sampler.step(*many, x.expand(num_samples, -1), y.expand(num_samples, *y.shape[1:]))
        if t in checkpoints:
            exact[t] = exact_estimator.influence[0].clone()
            samples[t] = (sampler.s_tilde.clone(), sampler.theta_tilde.clone())
    return exact, samples


def group_mean_errors(
    s_tilde: torch.Tensor, theta_tilde: torch.Tensor, exact: torch.Tensor, group_size: int
) -> torch.Tensor:
    r"""Relative error of the mean of ``group_size`` estimates, for each of the disjoint groups:
    $\big\lVert\frac1K\sum_{k\in g}\tilde s_k\tilde\theta_k^\top-J\big\rVert/\lVert J\rVert$."""
    groups = s_tilde.shape[0] // group_size
    s_groups = s_tilde[: groups * group_size].reshape(groups, group_size, -1)
    theta_groups = theta_tilde[: groups * group_size].reshape(groups, group_size, -1)
    means = torch.matmul(s_groups.transpose(1, 2), theta_groups) / group_size  # (G, n, P)
    return (means - exact).flatten(1).norm(dim=-1) / exact.norm()


def single_sample_rms_error(s_tilde: torch.Tensor, theta_tilde: torch.Tensor, exact: torch.Tensor) -> float:
    r"""$\sqrt{\mathbb E\lVert\tilde s\tilde\theta^\top-J\rVert^2}/\lVert J\rVert$ over the samples."""
    return float(group_mean_errors(s_tilde, theta_tilde, exact, 1).pow(2).mean().sqrt())


def coordinate_z_scores(
    s_tilde: torch.Tensor, theta_tilde: torch.Tensor, exact: torch.Tensor
) -> torch.Tensor:
    r"""Per entry $(i,p)$: $z=(\bar J_{ip}-J_{ip})/(\hat\sigma_{ip}/\sqrt S)$ with the sample mean
    $\bar J$ and standard deviation $\hat\sigma$ of $\tilde s_i\tilde\theta_p$ over the $S$ samples (entries
    whose estimate never varies are dropped)."""
    count = s_tilde.shape[0]
    mean = s_tilde.T @ theta_tilde / count
    second = (s_tilde**2).T @ (theta_tilde**2) / count
    std = (second - mean**2).clamp(min=0).mul(count / (count - 1)).sqrt()
    varies = std > 1e-12 * (exact.abs().max() + 1e-300)
    return ((mean - exact) / (std / count**0.5))[varies]
