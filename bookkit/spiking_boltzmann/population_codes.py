"""Population codes on a 1-D instantiation parameter: disjunctive (mixture) vs energy-additive readings (§1).

Neuron $i$ is tuned to $\\mu_i$ with a Gaussian tuning curve of width $\\sigma_b$.
- Disjunctive: $q_D(x)=\\sum_ia_i\\varphi_i(x)/\\sum_ia_i$ with normalised $\\varphi_i$; by the law of total
  variance it is never sharper than one tuning curve.
- Energy-additive (a product of experts): $q_E(x)\\propto\\exp\\big(-\\sum_ia_iE_i(x)\\big)$, here with the
  log-linear choice $E_i=-f_i$, $f_i(x)=\\exp(-(x-\\mu_i)^2/2\\sigma_b^2)$, and real coefficients $a_i$.
- Conjunctive (binary) code: an object activates every neuron whose receptive field contains it, and lies
  in the intersection of the active fields.
All densities live on a grid (1-D, or a flattened 2-D grid); integrals are Riemann sums. Fits are batched
over a leading axis.
"""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor


def gaussian_basis(grid: Tensor, centres: Tensor, width: Tensor | float) -> Tensor:
    """Tuning curves $f_i(x)=\\exp(-(x-\\mu_i)^2/2\\sigma_b^2)$: $(\\dots, N, X)$ for widths of shape
    $(\\dots)$."""
    width = torch.as_tensor(width, dtype=grid.dtype)[..., None, None]
    return torch.exp(-((grid - centres[:, None]) ** 2) / (2 * width**2))


def normalise(density: Tensor, dx: float) -> Tensor:
    """Scale the last axis so that $\\sum_x q(x)\\,\\Delta x=1$."""
    return density / (density.sum(-1, keepdim=True) * dx)


def gaussian_mixture_target(
    grid: Tensor, means: list[float], sds: list[float], weights: list[float]
) -> Tensor:
    """A normalised mixture of Gaussians $\\propto\\sum_kw_k\\mathcal N(\\mu_k,s_k^2)$ on ``grid``."""
    dx = float(grid[1] - grid[0])
    density = sum(w * torch.exp(-((grid - m) ** 2) / (2 * s**2)) / s for m, s, w in zip(means, sds, weights))
    return normalise(torch.as_tensor(density), dx)


def kl_divergence(p: Tensor, q: Tensor, dx: float) -> Tensor:
    """$\\mathrm{KL}(p\\,\\|\\,q)=\\int p\\log(p/q)\\,dx$ by Riemann sum (terms with $p=0$ contribute 0)."""
    ratio = torch.where(
        p > 0, torch.log(p.clamp_min(1e-300)) - torch.log(q.clamp_min(1e-300)), torch.zeros_like(p)
    )
    return (p * ratio).sum(-1) * dx


def standard_deviation(q: Tensor, grid: Tensor, dx: float) -> Tensor:
    """$\\sqrt{\\int q(x)(x-\\bar x)^2dx}$ of a normalised density on ``grid``."""
    mean = (q * grid).sum(-1, keepdim=True) * dx
    return torch.sqrt((q * (grid - mean) ** 2).sum(-1) * dx)


def fit_disjunctive(
    target: Tensor, basis: Tensor, dx: float, iterations: int = 3000
) -> tuple[Tensor, Tensor]:
    """EM on the mixing weights of the normalised basis: maximises $\\int p\\log q_D$.

    With responsibilities $\\rho_i(x)=\\pi_i\\varphi_i(x)/q_D(x)$ the update is
    $\\pi_i\\leftarrow\\int p(x)\\rho_i(x)dx$.
    ``target`` $(\\dots, X)$ and ``basis`` $(\\dots, N, X)$ broadcast; returns (weights $\\pi$, $q_D$).
    """
    phi = normalise(basis, dx)
    shape = torch.broadcast_shapes(target.shape[:-1], basis.shape[:-2]) + (basis.shape[-2],)
    weights = torch.full(shape, 1.0 / basis.shape[-2], dtype=target.dtype)
    for _ in range(iterations):
        mixture = (weights[..., None] * phi).sum(-2)
        weights = weights * (phi * (target / mixture.clamp_min(1e-300))[..., None, :]).sum(-1) * dx
    return weights, (weights[..., None] * phi).sum(-2)


def energy_additive_density(coefficients: Tensor, basis: Tensor, dx: float) -> Tensor:
    """$q_E(x)=\\exp\\big(\\sum_ia_if_i(x)\\big)/Z(a)$, normalised on the grid."""
    log_q = (coefficients[..., None] * basis).sum(-2)
    return torch.softmax(log_q, -1) / dx


def fit_energy_additive(
    target: Tensor, basis: Tensor, dx: float, max_iterations: int = 500
) -> tuple[Tensor, Tensor]:
    """Real coefficients $a$ minimising the convex $-\\int p\\log q_E$ by L-BFGS, one problem at a time.

    ``target`` $(\\dots, X)$ and ``basis`` $(\\dots, N, X)$ broadcast to the problems' leading shape. Each
    problem gets its own L-BFGS run: stacked into one run, the summed objective stops when its total
    gradient is small, which leaves the hardest problem (a bimodal target) far from its optimum.
    Returns ($a$, $q_E$).
    """
    shape = torch.broadcast_shapes(target.shape[:-1], basis.shape[:-2])
    targets = target.expand(*shape, target.shape[-1]).reshape(-1, target.shape[-1])
    bases = basis.expand(*shape, *basis.shape[-2:]).reshape(-1, *basis.shape[-2:])
    solutions = []
    for problem_target, problem_basis in zip(targets, bases):
        coefficients = torch.zeros(problem_basis.shape[0], dtype=target.dtype, requires_grad=True)
        optimiser = torch.optim.LBFGS(
            [coefficients],
            lr=1.0,
            max_iter=max_iterations,
            tolerance_grad=1e-12,
            tolerance_change=1e-15,
            history_size=50,
            line_search_fn="strong_wolfe",
        )

        def loss(
            coefficients: Tensor = coefficients,
            optimiser: torch.optim.LBFGS = optimiser,
            problem_target: Tensor = problem_target,
            problem_basis: Tensor = problem_basis,
        ) -> Tensor:
            optimiser.zero_grad()
            # -∫ p log q_E with log q_E = Σ_i a_i f_i(x) - log Z(a)
            log_q = (coefficients[:, None] * problem_basis).sum(0)
            value = -(problem_target * torch.log_softmax(log_q, -1)).sum()
            value.backward()
            return value

        optimiser.step(loss)
        solutions.append(coefficients.detach())
    coefficients = torch.stack(solutions).reshape(*shape, basis.shape[-2])
    return coefficients, energy_additive_density(coefficients, basis, dx)


def quadratic_posterior_sd(coefficients: Tensor, width: float) -> Tensor:
    """Closed form for quadratic energies $E_i=(x-\\mu_i)^2/2\\sigma_b^2$: precisions add, so
    $$\\sigma_{post}=\\sigma_b\\Big/\\sqrt{\\textstyle\\sum_ia_i}.$$"""
    return width / torch.sqrt(coefficients.sum(-1))


def quadratic_energy_density(coefficients: Tensor, centres: Tensor, width: float, grid: Tensor) -> Tensor:
    """$q(x)\\propto\\exp\\big(-\\sum_ia_i(x-\\mu_i)^2/2\\sigma_b^2\\big)$ evaluated numerically on
    ``grid``."""
    energy = (coefficients[..., None] * (grid - centres[:, None]) ** 2).sum(-2) / (2 * width**2)
    return normalise(torch.exp(-(energy - energy.amin(-1, keepdim=True))), float(grid[1] - grid[0]))


def conjunctive_interval(x: float, centres: Tensor, half_width: float) -> tuple[float, float, int]:
    """Binary neurons with fields $[\\mu_i-w,\\mu_i+w]$: the intersection of the fields active for an object
    at ``x``.

    Returns (low, high, number of active neurons); the interval is much narrower than one field when many
    overlapping fields are active.
    """
    active = (centres - x).abs() <= half_width
    low = float((centres[active] - half_width).max())
    high = float((centres[active] + half_width).min())
    return low, high, int(active.sum())


def grid_2d(points_per_axis: int) -> tuple[Tensor, float]:
    """Cell centres of a square grid on $[0,1]^2$, flattened to $(X, 2)$, and the cell area."""
    axis = (torch.arange(points_per_axis, dtype=torch.float64) + 0.5) / points_per_axis
    x, y = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x.flatten(), y.flatten()], 1), 1.0 / points_per_axis**2


def gaussian_basis_2d(coords: Tensor, centres_per_axis: int, width: float) -> tuple[Tensor, Tensor]:
    """Isotropic tuning curves
    $f_i(\\mathbf x)=\\exp(-\\lVert\\mathbf x-\\boldsymbol\\mu_i\\rVert^2/2\\sigma_b^2)$ on a
    ``centres_per_axis``$^2$ lattice of preferred points; returns (basis $(N, X)$, centres $(N, 2)$)."""
    axis = torch.linspace(0, 1, centres_per_axis, dtype=coords.dtype)
    mx, my = torch.meshgrid(axis, axis, indexing="ij")
    centres = torch.stack([mx.flatten(), my.flatten()], 1)
    distance2 = ((coords[None] - centres[:, None]) ** 2).sum(-1)
    return torch.exp(-distance2 / (2 * width**2)), centres


def gaussian_target_2d(
    coords: Tensor, cell_area: float, mean: tuple[float, float], sds: tuple[float, float], angle: float = 0.0
) -> Tensor:
    """A normalised 2-D Gaussian with standard deviations ``sds`` along axes rotated by ``angle`` (radians):
    $\\Sigma=R\\,\\mathrm{diag}(s_1^2,s_2^2)\\,R^\\top$."""
    rotation = torch.tensor(
        [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], dtype=coords.dtype
    )
    covariance = rotation @ torch.diag(torch.tensor(sds, dtype=coords.dtype) ** 2) @ rotation.T
    offset = coords - torch.tensor(mean, dtype=coords.dtype)
    mahalanobis = (offset @ torch.linalg.inv(covariance) * offset).sum(-1)
    return normalise(torch.exp(-mahalanobis / 2), cell_area)


def covariance_2d(q: Tensor, coords: Tensor, cell_area: float) -> Tensor:
    """$\\int q(\\mathbf x)(\\mathbf x-\\bar{\\mathbf x})(\\mathbf x-\\bar{\\mathbf x})^\\top d\\mathbf x$
    of densities $(\\dots, X)$."""
    mean = (q[..., None] * coords).sum(-2) * cell_area
    offset = coords - mean[..., None, :]
    return torch.einsum("...x,...xi,...xj->...ij", q, offset, offset) * cell_area
