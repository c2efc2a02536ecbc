"""Paired bootstrap intervals and rank correlation, for claims that rest on many test problems, not one
run."""

from __future__ import annotations

import torch


def paired_bootstrap_interval(
    differences: torch.Tensor, generator: torch.Generator, num_resamples: int = 10_000, level: float = 0.95
) -> tuple[float, float]:
    r"""Percentile bootstrap interval of the mean of paired differences $d_i$ (e.g.
    $\log f^{\text{LSTM}}_i-\log f^{\text{ADAM}}_i$ on the same test function $i$): resample the $n$ pairs
    with replacement."""
    values = differences.detach().double().cpu().flatten()
    index = torch.randint(len(values), (num_resamples, len(values)), generator=generator)
    means = values[index].mean(1)
    tail = (1 - level) / 2
    low, high = torch.quantile(means, torch.tensor([tail, 1 - tail], dtype=torch.float64))
    return float(low), float(high)


def spearman_correlation(x: torch.Tensor, y: torch.Tensor) -> float:
    r"""Spearman's $\rho$: Pearson correlation of the ranks (no ties expected in continuous measurements)."""
    rank_x = torch.argsort(torch.argsort(x.double().flatten())).double()
    rank_y = torch.argsort(torch.argsort(y.double().flatten())).double()
    rank_x, rank_y = rank_x - rank_x.mean(), rank_y - rank_y.mean()
    return float((rank_x * rank_y).sum() / torch.sqrt((rank_x**2).sum() * (rank_y**2).sum()))
