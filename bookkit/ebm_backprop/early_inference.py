"""What the nudge does to a relaxed network: first arrival, the whole nudged trajectory, Langevin chains,
and the gradient at the fixed point it does (and does not) equal.

Notation follows the brief (section 2.3, a team derivation): $s^*$ is a free fixed point, the nudged
Euler dynamics start there, $\\Delta s_l(t)=s^\\beta_{l,t+1}-s^\\beta_{l,t}$ minus the same difference of
a free continuation, and $k=L-l$ is the number of layers between layer $l$ and the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import torch
from torch import Tensor

from bookkit.ebm_backprop.energy import (
    LayeredNetwork,
    States,
    energy_gradient,
    energy_hessian,
    euler_step,
    flatten_states,
    rho,
    rho_prime,
    unflatten_states,
)


def cosine(a: Tensor, b: Tensor) -> Tensor:
    """Cosine similarity over the last dimension (batch dimensions kept)."""
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))


def backprop_errors(net: LayeredNetwork, states: States, target: Tensor) -> States:
    """The back-propagated errors of the feed-forward map linearised at $s^*$:

    $$\\delta_L=y^*-d,\\qquad
    \\delta_l=\\rho'(s^*_l)\\odot W_{l+1}^\\top\\big(\\rho'(s^*_{l+1})\\odot\\delta_{l+1}\\big).$$
    With a hard sigmoid $\\rho'$ is the indicator of $0<s<1$, and $\\delta_L=\\rho'(y^*)\\odot(y^*-d)$.
    """
    kind = net.nonlinearity
    # box convention: visible units held at a face by the projection do not feel a small nudge
    deltas = [
        states[-1] - target if kind == "smooth" else rho_prime(states[-1], kind) * (states[-1] - target)
    ]
    for layer in range(net.num_layers - 2, -1, -1):
        upstream = rho_prime(states[layer + 1], kind) * deltas[0]
        deltas.insert(0, rho_prime(states[layer], kind) * (upstream @ net.weights[layer + 1]))
    return deltas


def box_safe_beta(net: LayeredNetwork, x: Tensor, s_star: States, target: Tensor, eps: float) -> Tensor:
    """The largest nudge under which no unit of the box-projected network changes side (interior or a face)
    before it has made its first move, one value per batch element (``inf`` where the nudge can push no
    unit across): below it the first-arrival law holds exactly, with no $O(\\beta^2)$ term.

    Layer $l$ is untouched until step $k=L-l$, and its pre-projection value at that step is
    $z_l=z^*_l-\\beta\\varepsilon^{k+1}g_l$, with $z^*=s^*-\\varepsilon\\,\\partial E/\\partial s(s^*)$ and
    $g_L=y^*-d$, $g_l=W_{l+1}^\\top(\\rho'(s^*_{l+1})\\odot\\delta_{l+1})$
    (so $\\delta_l=\\rho'(s^*_l)\\odot g_l$). A unit changes side when $z_l$ crosses 0 or 1 away from where
    $s^*_l$ sits; the safe $\\beta$ is the smallest such crossing,
    $\\min_i d_i/(\\varepsilon^{k+1}\\lvert g_{l,i}\\rvert)$ over the units $i$ pushed towards a crossing at
    distance $d_i$ (exactly 0 for a unit on a face with no margin). Needs an exact fixed point.
    """
    kind = net.nonlinearity
    deltas = backprop_errors(net, s_star, target)
    pre_projection = [s - eps * g for s, g in zip(s_star, energy_gradient(net, x, s_star))]
    safe = torch.full(s_star[0].shape[:-1], torch.inf, dtype=s_star[0].dtype, device=s_star[0].device)
    for layer, k in enumerate(first_arrival_steps(net)):
        if layer == net.num_layers - 1:
            g = s_star[layer] - target
        else:
            g = (rho_prime(s_star[layer + 1], kind) * deltas[layer + 1]) @ net.weights[layer + 1]
        move = -(eps ** (k + 1)) * g  # z_l = z*_l + beta * move
        at_low, at_high = s_star[layer] <= 0, s_star[layer] >= 1
        # distance from z*_l to the crossing the move heads for (interior units: either face; face units:
        # back across their own face); inf where the move leads away from any crossing
        z = pre_projection[layer]
        distance = torch.where(move > 0, torch.where(at_low, -z, 1 - z), torch.where(at_high, z - 1, z))
        heading = (move != 0) & ~((move > 0) & at_high) & ~((move < 0) & at_low)
        crossing = torch.where(heading, distance.clamp_min(0) / move.abs(), torch.full_like(move, torch.inf))
        safe = torch.minimum(safe, crossing.amin(-1))
    return safe


def nudged_trajectory(
    net: LayeredNetwork,
    x: Tensor,
    start: States,
    num_steps: int,
    eps: float,
    *,
    beta: float | Tensor = 0.0,
    target: Tensor | None = None,
) -> States:
    """The states $s_0=\\text{start}, s_1, \\dots, s_K$ of the (nudged) flow, stacked per layer on dim 0."""
    history = [start]
    states = start
    for _ in range(num_steps):
        states = euler_step(net, x, states, eps, beta=beta, target=target)
        history.append(states)
    return [torch.stack(layer) for layer in zip(*history)]


def nudged_minus_free(
    net: LayeredNetwork,
    x: Tensor,
    s_star: States,
    target: Tensor,
    beta: float | Tensor,
    eps: float,
    num_steps: int,
) -> States:
    """$\\Delta^\\beta_l(t)-\\Delta^0_l(t)$ for $t<K$: step differences of the nudged flow minus those of a
    free continuation from the same state, so that leftover drift of an imperfect fixed point cancels.

    The two runs are separate calls on tensors of identical shape, so a layer the nudge has not reached
    computes bit-identical numbers in both and its difference is exactly zero.
    """
    nudged = nudged_trajectory(net, x, s_star, num_steps, eps, beta=beta, target=target)
    free = nudged_trajectory(net, x, s_star, num_steps, eps)
    return [n.diff(dim=0) - f.diff(dim=0) for n, f in zip(nudged, free)]


def first_arrival_steps(net: LayeredNetwork) -> list[int]:
    """$k=L-l$ for each free layer $l=1..L$: the step at which the nudge first moves it."""
    return [net.num_layers - 1 - i for i in range(net.num_layers)]


class FirstArrival(TypedDict):
    """What :func:`first_arrival` returns (shapes in its docstring)."""

    cos: Tensor
    ratio: Tensor
    relative_error: Tensor
    before_arrival: Tensor
    scaled: States
    delta: States


def first_arrival(
    net: LayeredNetwork, x: Tensor, s_star: States, target: Tensor, beta: float | Tensor, eps: float
) -> FirstArrival:
    """Compare the first move of each layer with the prediction $-\\beta\\varepsilon^{k+1}\\delta_l$
    (``beta`` a number, or one per batch element with shape ``(*batch, 1)``).

    Returns, stacked as ``(L, *batch)`` with layer 1 first: ``cos`` $=\\cos(\\Delta s_l(k),-\\delta_l)$;
    ``ratio`` $r_l=\\lVert\\Delta s_l(k)\\rVert/(\\beta\\varepsilon^{k+1}\\lVert\\delta_l\\rVert)$;
    ``relative_error``
    $=\\lVert\\Delta s_l(k)/(-\\beta\\varepsilon^{k+1})-\\delta_l\\rVert/\\lVert\\delta_l\\rVert$;
    ``before_arrival`` $=\\max_{t<k,i}\\lvert\\Delta s_{l,i}(t)\\rvert$ (zero for the output layer); and,
    per layer,
    ``scaled`` $=\\Delta s_l(k)/(-\\beta\\varepsilon^{k+1})$ and ``delta`` $=\\delta_l$.
    """
    steps = first_arrival_steps(net)
    differences = nudged_minus_free(net, x, s_star, target, beta, eps, max(steps) + 1)
    deltas = backprop_errors(net, s_star, target)
    scaled = [diff[k] / (-beta * eps ** (k + 1)) for diff, k in zip(differences, steps)]
    before = [
        diff[:k].abs().amax(dim=(0, -1)) if k > 0 else torch.zeros_like(diff[0, ..., 0])
        for diff, k in zip(differences, steps)
    ]
    return {
        "cos": torch.stack([cosine(a, d) for a, d in zip(scaled, deltas)]),
        "ratio": torch.stack([a.norm(dim=-1) / d.norm(dim=-1) for a, d in zip(scaled, deltas)]),
        "relative_error": torch.stack(
            [(a - d).norm(dim=-1) / d.norm(dim=-1) for a, d in zip(scaled, deltas)]
        ),
        "before_arrival": torch.stack(before),
        "scaled": scaled,
        "delta": deltas,
    }


def log_log_slope(xs: Sequence[float], ys: Tensor) -> Tensor:
    """Least-squares slope of $\\log y$ against $\\log x$ along dim 0 of ``ys`` (one slope per column)."""
    log_x = torch.log(torch.as_tensor(xs, dtype=ys.dtype, device=ys.device))
    log_x = log_x - log_x.mean()
    log_y = torch.log(ys)
    log_y = log_y - log_y.mean(0, keepdim=True)
    return (log_x.reshape(-1, *([1] * (ys.dim() - 1))) * log_y).sum(0) / log_x.pow(2).sum()


def bptt_gradients(
    net: LayeredNetwork, x: Tensor, s_star: States, target: Tensor, eps: float, num_steps: int
) -> States:
    """$\\nabla^{BPTT}(t)=\\partial C(s_T)/\\partial s_{T-t}$ for $t<K$, back-propagated through free Euler
    steps started at the fixed point, where every step has the same Jacobian $I-\\varepsilon H$:

    $$\\nabla^{BPTT}(0)=\\nabla_sC(s^*),\\qquad \\nabla^{BPTT}(t+1)=(I-\\varepsilon H)\\,\\nabla^{BPTT}(t).$$
    Each step is one vector-Jacobian product of the Euler map (a Hessian-vector product), batched.
    """

    def step(*layers: Tensor) -> tuple[Tensor, ...]:
        return tuple(euler_step(net, x, list(layers), eps))

    pullback = torch.func.vjp(step, *s_star)[1]
    gradient = tuple(torch.zeros_like(s) for s in s_star[:-1]) + (s_star[-1] - target,)
    history = [gradient]
    for _ in range(num_steps - 1):
        gradient = pullback(gradient)
        history.append(gradient)
    return [torch.stack(layer) for layer in zip(*history)]


def gdu_metrics(ep_updates: States, bptt: States, eps: float) -> dict[str, float]:
    """Distance between $\\Delta^{EP}(t)=(\\Delta^\\beta-\\Delta^0)(t)/\\beta$ and
    $-\\varepsilon\\nabla^{BPTT}(t)$:

    $$e_{GDU}=\\sqrt{\\frac{\\sum_{t,l}\\lVert\\Delta^{EP}_l(t)+\\varepsilon\\nabla^{BPTT}_l(t)\\rVert^2}
    {\\sum_{t,l}\\lVert\\varepsilon\\nabla^{BPTT}_l(t)\\rVert^2}},$$
    the fraction of entries with $\\lvert\\nabla^{BPTT}\\rvert>10^{-12}$ whose signs agree, and the
    per-coordinate
    RMSE $\\sqrt{\\overline{(a_i-b_i)^2}}/\\max(\\sqrt{\\overline{a_i^2}},\\sqrt{\\overline{b_i^2}})$ (means
    over $t$,
    averaged over units $i$ that move at all).
    """
    a = torch.cat([e.flatten(1) for e in ep_updates], dim=1)
    b = torch.cat([-eps * g.flatten(1) for g in bptt], dim=1)
    e_gdu = ((a - b).pow(2).sum() / b.pow(2).sum()).sqrt()
    significant = b.abs() > 1e-12 * eps
    sign = ((a * b > 0) & significant).sum() / significant.sum()
    scale = torch.maximum(a.pow(2).mean(0).sqrt(), b.pow(2).mean(0).sqrt())
    moving = scale > 0
    rmse = ((a - b).pow(2).mean(0).sqrt()[moving] / scale[moving]).mean()
    return {"e_gdu": float(e_gdu), "sign_agreement": float(sign), "rmse": float(rmse)}


def hessian_vector_product(net: LayeredNetwork, x: Tensor, states: States, vector: States) -> States:
    """$Hv$ with $H=\\nabla^2_sE$: the directional derivative of the closed-form gradient (one ``jvp``)."""

    def gradient(*layers: Tensor) -> tuple[Tensor, ...]:
        return tuple(energy_gradient(net, x, list(layers)))

    product = torch.func.jvp(gradient, tuple(states), tuple(vector))[1]
    return list(product)


def solve_hessian_system(
    net: LayeredNetwork,
    x: Tensor,
    states: States,
    rhs: States,
    *,
    tolerance: float = 1e-13,
    max_iterations: int = 2000,
) -> States:
    """$v$ solving $H v=r$ per batch element, $H=\\nabla^2_sE(s)$, by conjugate gradients on Hessian-vector
    products ($H$ is positive definite at a stable fixed point of the smooth network). Each batch element
    stops once its residual norm is below ``tolerance`` times that of $r$."""
    rhs_flat = flatten_states(rhs)
    solution = torch.zeros_like(rhs_flat)
    residual = rhs_flat.clone()
    direction = residual.clone()
    squared = residual.pow(2).sum(-1, keepdim=True)
    stop = tolerance**2 * squared.clamp_min(torch.finfo(rhs_flat.dtype).tiny)
    for _ in range(max_iterations):
        active = squared > stop
        if not bool(active.any()):
            break
        product = flatten_states(hessian_vector_product(net, x, states, unflatten_states(direction, net)))
        curvature = (direction * product).sum(-1, keepdim=True)
        step = torch.where(active, squared / curvature, torch.zeros_like(squared))
        solution = solution + step * direction
        residual = residual - step * product
        new_squared = residual.pow(2).sum(-1, keepdim=True)
        direction = (
            residual + torch.where(active, new_squared / squared, torch.zeros_like(squared)) * direction
        )
        squared = new_squared
    return unflatten_states(solution, net)


def polish_fixed_point(net: LayeredNetwork, x: Tensor, states: States, iterations: int = 2) -> States:
    """Newton steps $s\\leftarrow s-H^{-1}\\nabla E(s)$ from a relaxed state (smooth convention), to bring the
    stationarity residual to rounding level where the Euler flow converges slowly (a small eigenvalue of
    $H$ makes the flow contract by only $1-\\varepsilon\\lambda_{min}$ per step)."""
    for _ in range(iterations):
        step = solve_hessian_system(net, x, states, energy_gradient(net, x, states))
        states = [s - d for s, d in zip(states, step)]
    return states


def fixed_point_adjoint(net: LayeredNetwork, x: Tensor, s_star: States, target: Tensor) -> States:
    """$\\lambda$ solving $H\\lambda=\\nabla_sC(s^*)$: the response of the fixed point to the nudge,
    $s^\\beta=s^*-\\beta\\lambda+O(\\beta^2)$."""
    rhs = [torch.zeros_like(s) for s in s_star[:-1]] + [s_star[-1] - target]
    return solve_hessian_system(net, x, s_star, rhs)


def fixed_point_weight_gradients(net: LayeredNetwork, x: Tensor, s_star: States, adjoint: States) -> States:
    """$\\mathrm dC(s^*(\\theta))/\\mathrm dW_l$ per batch element, by implicit differentiation:

    $$\\frac{\\mathrm dC}{\\mathrm dW_l}=-\\lambda^\\top\\frac{\\partial^2E}{\\partial s\\,\\partial W_l}
    =(\\rho'(s_l)\\odot\\lambda_l)\\,\\rho(s_{l-1})^\\top+\\rho(s_l)\\,(\\rho'(s_{l-1})\\odot\\lambda_{l-1})^\\top,$$
    with $\\lambda_0=0$ (the input is clamped).
    """
    kind = net.nonlinearity
    layers = [x.expand(*s_star[0].shape[:-1], x.shape[-1])] + list(s_star)
    lambdas = [torch.zeros_like(layers[0])] + list(adjoint)
    gradients = []
    for layer in range(1, len(layers)):
        post = rho_prime(layers[layer], kind) * lambdas[layer]
        pre = rho_prime(layers[layer - 1], kind) * lambdas[layer - 1]
        gradients.append(
            post.unsqueeze(-1) * rho(layers[layer - 1], kind).unsqueeze(-2)
            + rho(layers[layer], kind).unsqueeze(-1) * pre.unsqueeze(-2)
        )
    return gradients


def ep_weight_gradients(net: LayeredNetwork, x: Tensor, free: States, nudged: States, beta: float) -> States:
    """The Equilibrium Propagation estimate of $\\mathrm dC/\\mathrm dW_l$ per batch element:

    $$\\widehat{\\nabla}_{W_l}=\\frac1\\beta\\big(\\partial_{W_l}E(s^\\beta)-\\partial_{W_l}E(s^0)\\big)
    =-\\frac1\\beta\\big[\\rho(s^\\beta_l)\\rho(s^\\beta_{l-1})^\\top-\\rho(s^0_l)\\rho(s^0_{l-1})^\\top\\big].$$
    """
    kind = net.nonlinearity
    x_rho = rho(x.expand(*free[0].shape[:-1], x.shape[-1]), kind)
    free_rhos = [x_rho] + [rho(s, kind) for s in free]
    nudged_rhos = [x_rho] + [rho(s, kind) for s in nudged]
    return [
        -(
            nudged_rhos[layer].unsqueeze(-1) * nudged_rhos[layer - 1].unsqueeze(-2)
            - free_rhos[layer].unsqueeze(-1) * free_rhos[layer - 1].unsqueeze(-2)
        )
        / beta
        for layer in range(1, len(free_rhos))
    ]


def early_weight_gradients(
    net: LayeredNetwork, x: Tensor, s_star: States, target: Tensor, beta: float, eps: float
) -> States:
    """The weight change a pre-rate times d(post-rate)/dt rule makes at first arrival, scaled to a gradient:

    $$\\widehat{\\nabla}^{early}_{W_l}=
    -\\frac{(\\rho'(s_l)\\odot\\Delta s_l(k))\\,\\rho(s_{l-1})^\\top}{\\beta\\varepsilon^{k+1}}
    \\ \\xrightarrow{\\beta\\to0}\\ (\\rho'(s_l)\\odot\\delta_l)\\,\\rho(s_{l-1})^\\top,$$
    the feed-forward back-prop gradient of the network linearised at $s^*$ (team derivation).
    """
    kind = net.nonlinearity
    steps = first_arrival_steps(net)
    differences = nudged_minus_free(net, x, s_star, target, beta, eps, max(steps) + 1)
    layers = [x.expand(*s_star[0].shape[:-1], x.shape[-1])] + list(s_star)
    return [
        -(rho_prime(layers[layer + 1], kind) * differences[layer][k] / (beta * eps ** (k + 1))).unsqueeze(-1)
        * rho(layers[layer], kind).unsqueeze(-2)
        for layer, k in enumerate(steps)
    ]


def matrix_cosine(a: Tensor, b: Tensor) -> Tensor:
    """Cosine between two stacks of matrices, flattened over the last two dimensions."""
    return cosine(a.flatten(-2), b.flatten(-2))


def langevin_burn_in(
    net: LayeredNetwork,
    x: Tensor,
    states: States,
    num_steps: int,
    eps: float,
    temperature: Tensor,
    generator: torch.Generator,
) -> States:
    """Free Langevin chains, $s_{t+1}=s_t-\\varepsilon\\nabla E(s_t)+\\sqrt{2\\varepsilon T}\\,\\xi_t$;
    ``temperature``
    broadcasts against the states (e.g. shape ``(num_T, 1, 1)`` for states ``(num_T, M, n)``)."""
    for _ in range(num_steps):
        noise = [torch.randn(s.shape, generator=generator, dtype=s.dtype, device=s.device) for s in states]
        states = euler_step(net, x, states, eps, noise=noise, temperature=temperature)
    return states


def langevin_gaussian_covariance(
    net: LayeredNetwork, x: Tensor, s_star: States, temperature: float, eps: float = 0.0
) -> Tensor:
    """The covariance of the Gaussian that Langevin chains sample around a fixed point $s^*$ at low
    temperature
    (second-order expansion of $E$ in $p(s)\\propto e^{-E(s)/T}$), flattened, shape ``(*batch, N, N)``.

    With ``eps`` $=0$ it is the continuous-time $TH^{-1}$; with the Euler step $\\varepsilon$ it is the exact
    stationary covariance of the discrete chain
    $s_{t+1}=s_t-\\varepsilon H(s_t-s^*)+\\sqrt{2\\varepsilon T}\\xi_t$,
    which solves $\\Sigma=(I-\\varepsilon H)\\Sigma(I-\\varepsilon H)+2\\varepsilon TI$:

    $$\\Sigma_\\varepsilon=T\\,\\big(H-\\tfrac{\\varepsilon}{2}H^2\\big)^{-1}.$$
    """
    hessian = energy_hessian(net, x, s_star)
    # Sigma = T (H - eps H^2 / 2)^{-1}
    return temperature * torch.linalg.inv(hessian - 0.5 * eps * hessian @ hessian)


def predicted_first_move_snr(
    delta_norm: Tensor,
    *,
    beta: float,
    eps: float,
    arrival_step: int,
    temperature: Tensor | float,
    num_units: int,
    num_chains: Tensor | float,
) -> Tensor:
    """Signal-to-noise ratio of the mean over $M$ chains of a layer's nudged-minus-free first move (team
    derivation, brief section 5, notebook 03):

    $$\\mathrm{SNR}_l\\approx
    \\frac{\\beta\\varepsilon^{k+1}\\lVert\\delta_l\\rVert\\sqrt M}{\\sqrt{2\\varepsilon T n_l}},$$
    the first-arrival signal $\\beta\\varepsilon^{k+1}\\lVert\\delta_l\\rVert$ over the norm of $n_l$ units of
    Langevin noise $\\sqrt{2\\varepsilon T}$, averaged over $M$ chains. ``temperature`` and ``num_chains``
    broadcast against ``delta_norm``.
    """
    signal = beta * eps ** (arrival_step + 1) * delta_norm
    temperature, num_chains = (
        torch.as_tensor(v, dtype=delta_norm.dtype, device=delta_norm.device)
        for v in (temperature, num_chains)
    )
    # SNR = beta eps^{k+1} ||delta_l|| sqrt(M) / sqrt(2 eps T n_l)
    return signal * num_chains.sqrt() / (2 * eps * temperature * num_units).sqrt()


def langevin_branch(
    net: LayeredNetwork,
    x: Tensor,
    states: States,
    target: Tensor,
    beta: float,
    eps: float,
    temperature: Tensor,
    num_steps: int,
    generator: torch.Generator,
    shared_noise: bool,
) -> tuple[States, States]:
    """Branch every chain into a nudged and a free copy and run both ``num_steps`` Langevin steps.

    With ``shared_noise`` both copies receive the same $\\xi_t$ (common random numbers), so their
    difference keeps only the effect of the nudge; otherwise each copy draws its own noise.
    Returns the step differences ``(nudged, free)``, each stacked per layer as ``(num_steps, *batch, n)``.
    """
    nudged, free = [states], [states]
    for _ in range(num_steps):
        noise = [torch.randn(s.shape, generator=generator, dtype=s.dtype, device=s.device) for s in states]
        other = (
            noise
            if shared_noise
            else [torch.randn(s.shape, generator=generator, dtype=s.dtype, device=s.device) for s in states]
        )
        nudged.append(
            euler_step(
                net, x, nudged[-1], eps, beta=beta, target=target, noise=noise, temperature=temperature
            )
        )
        free.append(euler_step(net, x, free[-1], eps, noise=other, temperature=temperature))
    return (
        [torch.stack(layer).diff(dim=0) for layer in zip(*nudged)],
        [torch.stack(layer).diff(dim=0) for layer in zip(*free)],
    )
