"""The premise of the window formula, checked on the chains: do they spread around $s^*$ as the linearised
chain does?

:mod:`~bookkit.ebm_backprop.window_averaging` predicts the window displacement's noise from the Euler chain
linearised at the fixed point, $s_{t+1}-s^*\\approx A(s_t-s^*)+\\sqrt{2\\varepsilon T}\\,\\xi_t$ with
$A=I-\\varepsilon H$. That chain is stationary with a Gaussian spread whose size per layer is known in closed
form, and the stationary chains measure it directly, before anything is nudged: where the two disagree, the
chains have left the region where the linearisation holds and the formula has nothing to say.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from bookkit.ebm_backprop.energy import LayeredNetwork, States, energy_hessian, unflatten_states


def stationary_mode_variance(eigenvalues: Tensor, eps: float, temperature: Tensor | float) -> Tensor:
    """Stationary variance $\\sigma_j^2$ of each eigenmode of the linearised chain, shape
    ``(*temperature.shape, N)``: the mode $u_{t+1}=a_ju_t+\\sqrt{2\\varepsilon T}\\,\\xi_t$ settles where
    $\\sigma_j^2=a_j^2\\sigma_j^2+2\\varepsilon T$, so

    $$\\sigma_j^2=\\frac{2\\varepsilon T}{1-a_j^2}\\approx\\frac T{\\lambda_j}$$
    with $a_j=1-\\varepsilon\\lambda_j$: the Euler chain's version of the Gaussian $\\mathcal N(s^*,TH^{-1})$.
    """
    temperature = torch.as_tensor(temperature, dtype=eigenvalues.dtype, device=eigenvalues.device)
    a = 1 - eps * eigenvalues
    # sigma_j^2 = 2 eps T / (1 - a_j^2)
    return 2 * eps * temperature.unsqueeze(-1) / (1 - a**2)


def predicted_stationary_spread(
    net: LayeredNetwork, x: Tensor, s_star: States, *, eps: float, temperatures: Sequence[float]
) -> Tensor:
    """$\\mathrm{tr}\\,\\Sigma_l=\\sum_{i\\in l}\\sum_jU_{ij}^2\\sigma_j^2$, the linearised chain's summed
    variance per layer around the fixed point ``s_star`` of one input (batch of 1), with $H=U\\Lambda U^\\top$
    the energy Hessian there; shape ``(len(temperatures), L)``."""
    hessian = energy_hessian(net, x, s_star)[0]
    eigenvalues, modes = torch.linalg.eigh(hessian)
    temperature = torch.as_tensor(temperatures, dtype=hessian.dtype, device=hessian.device)
    # sum_j U_ij^2 sigma_j^2 per unit i, then summed over each layer
    per_unit = stationary_mode_variance(eigenvalues, eps, temperature) @ modes.pow(2).T
    return torch.stack([v.sum(-1) for v in unflatten_states(per_unit, net)], dim=-1)


def measured_stationary_spread(chains: States) -> Tensor:
    """$\\mathrm{tr}\\,\\mathrm{Cov}\\,s_l$ over the chains, per temperature and layer, from chains of shape
    ``(num_T, M, n_l)`` per layer (as :func:`~bookkit.ebm_backprop.experiments.langevin_stationary_chains`
    returns them); shape ``(num_T, L)``."""
    return torch.stack([layer.var(-2).sum(-1) for layer in chains], dim=-1)
