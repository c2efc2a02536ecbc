r"""Online gradient estimators behind one interface: exact RTRL, SnAp-1, UORO (per step or over chunks) and
truncated BPTT.

Each estimator follows one stream (or a batch of ``B`` independent streams) step by step::

    estimator.reset(initial_state)
    for x, y in stream:
        result = estimator.step(w_state, w_out, x, y)   # result.loss (B,), result.grad_state (B, P) or None
    leftover = estimator.flush()                        # TBPTT's unfinished window, None for the others

``grad_state`` and ``grad_out`` estimate $\partial\ell_{t+1}/\partial\theta$ for the parameters of the
transition and of the read-out. RTRL, SnAp-1 and UORO return one every step; TBPTT-$K$ returns the
gradient of its window's summed loss every $K$ steps (and ``None`` in between).
Tangents and vector-Jacobian products come from :mod:`torch.func` and autograd, except in UORO's step on a
tanh RNN, which uses the model's closed forms (tested against the autograd path).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, Literal, cast

import torch
from torch.func import jvp, vjp, vmap

from bookkit.uoro.model import RecurrentModel, TanhRNN, block_views, constant
from bookkit.uoro.paper import EARLIER_EPSILON

Noise = Literal["rademacher", "gaussian"]
"""UORO's noise $\nu$: uniform signs (the paper) or standard normal."""
TangentMode = Literal["jvp", "double_vjp"]
"""How UORO computes its tangent $a_t$ (see :meth:`UORO.tangent`)."""
LossAt = Literal["all", "end"]
"""Which losses of its window TBPTT backpropagates: every step's, or the window's last only."""


@dataclasses.dataclass
class StepResult:
    r"""The loss of this step and, when the estimator has one, its gradient estimate."""

    loss: torch.Tensor
    grad_state: torch.Tensor | None
    grad_out: torch.Tensor | None


def _transition_with_vjp(
    model: RecurrentModel, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor
) -> tuple[torch.Tensor, Callable[..., tuple[torch.Tensor, ...]]]:
    r"""$s_{t+1}=F(x_{t+1},s_t,\theta)$ and the function $v\mapsto(v^\top\partial F/\partial s,\,
    v^\top\partial F/\partial\theta)$."""
    next_state, pullback = cast(
        "tuple[torch.Tensor, Callable[..., tuple[torch.Tensor, ...]]]",
        vjp(lambda s, w: model.transition(w, s, x), state, w_state),
    )
    return next_state, pullback


def _loss_and_gradients(
    model: RecurrentModel, next_state: torch.Tensor, w_out: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""$\ell_{t+1}$, $\partial\ell_{t+1}/\partial s_{t+1}$ and
    $\partial\ell_{t+1}/\partial\theta_{\mathrm{out}}$."""
    loss, loss_vjp = cast(
        "tuple[torch.Tensor, Callable[..., tuple[torch.Tensor, ...]]]",
        vjp(lambda s, w: model.loss(w, s, y), next_state, w_out),
    )
    grad_next_state, grad_out = loss_vjp(torch.ones_like(loss))
    return loss, grad_next_state, grad_out


def _double_vjp_tangent(output: torch.Tensor, leaf: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    r"""$\frac{\partial\,\mathrm{output}}{\partial\,\mathrm{leaf}}\,\mathrm{direction}$ from the graph
    already built: $\nabla_v\big[(v^\top\partial o/\partial l)\,d\big]$, differentiating the (linear in $v$)
    vector-Jacobian product once more."""
    probe = torch.zeros_like(output, requires_grad=True)
    (pullback,) = torch.autograd.grad(output, leaf, grad_outputs=probe, create_graph=True)
    (tangent,) = torch.autograd.grad(pullback, probe, grad_outputs=direction, retain_graph=True)
    return tangent


class OnlineEstimator:
    r"""Base class: holds the model and the current state of every stream."""

    name = "estimator"

    def __init__(self, model: RecurrentModel) -> None:
        self.model = model
        self.state: torch.Tensor | None = None

    window = 1
    """Steps between two returned gradients; a checkpoint falls on a multiple of it."""

    def reset(self, state: torch.Tensor) -> None:
        self.state = state.detach().contiguous()

    def state_dict(self) -> dict[str, Any]:
        """What :meth:`load_state_dict` needs to continue the stream exactly (tensors and numbers)."""
        return {"state": self.current_state().clone()}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output, on the device :meth:`reset` put the stream on."""
        self.state = saved["state"].to(self.current_state().device)

    def current_state(self) -> torch.Tensor:
        """The state of every stream; an error before :meth:`reset`."""
        if self.state is None:
            raise RuntimeError(f"{self.name}: call reset() before stepping or saving")
        return self.state

    def step(
        self, w_state: torch.Tensor, w_out: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> StepResult:
        raise NotImplementedError

    def flush(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        r"""The gradient of work not yet returned (TBPTT's partial window); ``None`` when there is none."""
        return None


class RTRL(OnlineEstimator):
    r"""Exact real-time recurrent learning: carries the influence matrix $J_t=\partial s_t/\partial\theta$,

    $$J_{t+1}=\frac{\partial F}{\partial s}J_t+\frac{\partial F}{\partial\theta},\qquad
    \frac{\partial\ell_{t+1}}{\partial\theta}=\frac{\partial\ell_{t+1}}{\partial s_{t+1}}J_{t+1}.$$

    Both Jacobians of one step are built from $n$ vector-Jacobian products (one per unit, vectorised with
    ``vmap``); the product $\frac{\partial F}{\partial s}J_t$ costs $O(n^2\dim\theta)=O(n^4)$ per step.
    """

    name = "RTRL"

    def reset(self, state: torch.Tensor) -> None:
        super().reset(state)
        batch, n = state.shape
        self.influence = torch.zeros(
            batch, n, self.model.num_state_params, dtype=state.dtype, device=state.device
        )

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "influence": self.influence.clone()}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        super().load_state_dict(saved)
        self.influence = saved["influence"].to(self.influence.device)

    def project(self, influence: torch.Tensor) -> torch.Tensor:
        r"""Hook for approximations that keep only part of $J$ (identity for exact RTRL)."""
        return influence

    def step_jacobians(
        self, w_state: torch.Tensor, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        r"""$s_{t+1}$, $\partial F/\partial s$ ``(B, n, n)`` and $\partial F/\partial\theta$ ``(B, n, P)``."""
        next_state, pullback = _transition_with_vjp(self.model, w_state, self.current_state(), x)
        batch, n = next_state.shape
        basis = (
            torch.eye(n, dtype=next_state.dtype, device=next_state.device).unsqueeze(1).expand(n, batch, n)
        )
        rows_state, rows_params = vmap(pullback)(basis)  # row i of each Jacobian: e_i^T dF
        return next_state, rows_state.transpose(0, 1), rows_params.transpose(0, 1)

    def step(
        self, w_state: torch.Tensor, w_out: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> StepResult:
        next_state, jac_state, jac_params = self.step_jacobians(w_state, x)
        # J_{t+1} = dF/ds J_t + dF/dtheta
        self.influence = self.project(torch.matmul(jac_state, self.influence) + jac_params)
        loss, grad_next_state, grad_out = _loss_and_gradients(self.model, next_state, w_out, y)
        # dl/dtheta = dl/ds_{t+1} J_{t+1}
        grad_state = torch.matmul(grad_next_state.unsqueeze(1), self.influence).squeeze(1)
        self.state = next_state.detach()
        return StepResult(loss.detach(), grad_state, grad_out)


def immediate_influence_pattern(
    model: RecurrentModel, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Boolean ``(n, P)`` mask of the parameters that move unit $i$ within one step, i.e. the nonzero
    pattern of $\partial F_i/\partial\theta$ at a random state, dense input and random parameters."""
    generator = generator if generator is not None else torch.Generator().manual_seed(1234)
    w_state, _ = model.init_params(1, generator, dtype=torch.float64)
    w_state = w_state + 0.1 * torch.randn(w_state.shape, generator=generator, dtype=torch.float64)
    state = torch.randn(1, model.state_size, generator=generator, dtype=torch.float64)
    x = torch.rand(1, getattr(model, "input_size", 1), generator=generator, dtype=torch.float64) + 0.5
    probe = RTRL(model)
    probe.reset(state)
    _, _, jac_params = probe.step_jacobians(w_state, x)
    return jac_params[0] != 0


class SnAp1(RTRL):
    r"""SnAp-1 (Menick et al. 2021): RTRL that keeps only the entries of $J$ in the sparsity pattern $M$ of
    the immediate Jacobian $\partial F/\partial\theta$,

    $$\hat J_{t+1}=\Big(\frac{\partial F}{\partial s}\hat J_t+\frac{\partial F}{\partial\theta}\Big)\odot M.$$

    Biased, deterministic, low variance. This implementation computes the dense product and masks it, so it
    gives SnAp-1's estimates at RTRL's cost (a sparse implementation costs about one backward step).
    """

    name = "SnAp-1"

    def __init__(self, model: RecurrentModel) -> None:
        super().__init__(model)
        self.pattern = immediate_influence_pattern(model)

    def project(self, influence: torch.Tensor) -> torch.Tensor:
        return influence * self.pattern.to(device=influence.device, dtype=influence.dtype)


class UORO(OnlineEstimator):
    r"""Unbiased Online Recurrent Optimization (Tallec & Ollivier 2017, Algorithm 1).

    Keeps a rank-one pair with $\mathbb E[\tilde s_t\tilde\theta_t^\top]=J_t$, from $\tilde s_0=0$,
    $\tilde\theta_0=0$:

    $$\hat g_t=\Big(\frac{\partial\ell_{t+1}}{\partial s_t}\tilde s_t\Big)\tilde\theta_t^{\top}
    +\frac{\partial\ell_{t+1}}{\partial\theta}\Big|_{s_t\ \mathrm{fixed}},\qquad
    a_t=\frac{\partial F}{\partial s}\tilde s_t\ (\text{JVP}),\qquad
    b_t^{\top}=\nu^{\top}\frac{\partial F}{\partial\theta}\ (\text{VJP}),$$

    $$\rho_0=\sqrt{\frac{\lVert\tilde\theta_t\rVert+\varepsilon}{\lVert a_t\rVert+\varepsilon}},\quad
    \rho_1=\sqrt{\frac{\lVert b_t\rVert+\varepsilon}{\lVert\nu\rVert+\varepsilon}},\quad
    \tilde s_{t+1}=\rho_0a_t+\rho_1\nu,\quad \tilde\theta_{t+1}=\tilde\theta_t/\rho_0+b_t/\rho_1.$$

    $\varepsilon$ only keeps the ratios defined when a norm is zero (at the first step
    $\tilde s_0=\tilde\theta_0=0$ gives $\rho_0=1$); since $\rho_0$ does not depend on $\nu$ and $\rho_1$ is
    even in it, any $\varepsilon$ keeps the estimate unbiased, and where the norms are of order one it
    changes nothing measurable. The default
    $10^{-7}$ is that of an earlier revision of the authors' code and of the public ports (petered/uoro-demo,
    google-research ``persistent_es``); the current official code uses $10^{-5}$, which gives the same
    estimates to about six digits on this chapter's systems (``test_epsilon_changes_nothing_measurable``).

    ``noise="rademacher"`` draws $\nu$ uniformly in $\{-1,+1\}^n$ (the paper), ``"gaussian"`` from
    $\mathcal N(0,I)$; ``normalise=False`` sets $\rho_0=\rho_1=1$ (the ablation).

    For a :class:`~bookkit.uoro.model.TanhRNN` the step uses the model's closed-form products
    (:meth:`closed_form_step`): no autograd graph, and $b_t$ is never formed (its norm is closed-form and it
    enters $\tilde\theta$ as rank-one updates). Other models, or ``closed_form=False``, take the autograd
    path (:meth:`autograd_step`), where ``tangent_mode`` picks how $a_t$ is computed (see :meth:`tangent`).
    All paths agree to rounding.
    """

    name = "UORO"

    def __init__(
        self,
        model: RecurrentModel,
        generator: torch.Generator,
        epsilon: float = EARLIER_EPSILON,
        noise: Noise = "rademacher",
        normalise: bool = True,
        tangent_mode: TangentMode = "double_vjp",
        closed_form: bool = True,
    ) -> None:
        super().__init__(model)
        if noise not in ("rademacher", "gaussian"):
            raise ValueError(f"noise must be 'rademacher' or 'gaussian', got {noise!r}")
        if tangent_mode not in ("jvp", "double_vjp"):
            raise ValueError(f"tangent_mode must be 'jvp' or 'double_vjp', got {tangent_mode!r}")
        self.generator, self.epsilon, self.noise, self.normalise = generator, epsilon, noise, normalise
        self.tangent_mode = tangent_mode
        self.closed_form = closed_form and isinstance(model, TanhRNN)
        self._theta_blocks: tuple[torch.Tensor, list[torch.Tensor]] | None = None

    def reset(self, state: torch.Tensor) -> None:
        super().reset(state)
        batch = state.shape[0]
        self.s_tilde = torch.zeros(state.shape, dtype=state.dtype, device=state.device)
        self.theta_tilde = torch.zeros(
            batch, self.model.num_state_params, dtype=state.dtype, device=state.device
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "s_tilde": self.s_tilde.clone(),
            "theta_tilde": self.theta_tilde.clone(),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        super().load_state_dict(saved)
        self.s_tilde = saved["s_tilde"].to(self.s_tilde.device)
        self.theta_tilde = saved["theta_tilde"].to(self.theta_tilde.device)
        self.generator.set_state(saved["generator"])

    def theta_blocks(self) -> list[torch.Tensor]:
        r"""The tanh RNN's blocks $(W,U,b)$ of $\tilde\theta$, as views made once per $\tilde\theta$ tensor
        (the closed-form step updates it in place)."""
        if self._theta_blocks is None or self._theta_blocks[0] is not self.theta_tilde:
            self._theta_blocks = (self.theta_tilde, block_views(self.theta_tilde, self.model.state_shapes))
        return self._theta_blocks[1]

    def draw_noise(self, like: torch.Tensor) -> torch.Tensor:
        r"""$\nu$, drawn on the generator's device in the state's dtype and moved to the state's device."""
        device, dtype = self.generator.device, like.dtype
        if self.noise == "rademacher":
            # 2u - 1 for u uniform in {0, 1}, drawn in the floating dtype (the same draws as integers)
            draws = torch.randint(0, 2, like.shape, generator=self.generator, device=device, dtype=dtype)
            noise = torch.add(constant(-1.0, draws), draws, alpha=2)
        else:
            noise = torch.randn(like.shape, generator=self.generator, device=device, dtype=dtype)
        return noise if noise.device == like.device else noise.to(like.device)

    def tangent(
        self,
        w_state: torch.Tensor,
        state: torch.Tensor,
        x: torch.Tensor,
        next_state: torch.Tensor,
        state_leaf: torch.Tensor,
    ) -> torch.Tensor:
        r"""$a_t=\frac{\partial F}{\partial s}\tilde s_t$, exactly: with ``tangent_mode="jvp"`` by
        :func:`torch.func.jvp`; with ``"double_vjp"`` as $a=\nabla_v\big[(v^\top\frac{\partial F}{\partial s})
        \tilde s\big]$, differentiating the (linear in $v$) vector-Jacobian product once more, which reuses
        the step's graph and is cheaper in eager PyTorch."""
        if self.tangent_mode == "jvp":
            return jvp(lambda s: self.model.transition(w_state, s, x), (state,), (self.s_tilde,))[1]
        return _double_vjp_tangent(next_state, state_leaf, self.s_tilde)

    def rescaling(
        self, tangent_norm: torch.Tensor, noise_pullback_norm: torch.Tensor, noise: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""$(\rho_0,\rho_1)$ per stream ``(B, 1)``, from $\lVert\tilde\theta_t\rVert$, $\lVert a_t\rVert$,
        $\lVert b_t\rVert$ and $\nu$ (both 1 with ``normalise=False``); a Rademacher $\nu$ has
        $\lVert\nu\rVert=\sqrt n$."""
        if not self.normalise:
            ones = torch.ones_like(tangent_norm)
            return ones, ones
        eps = constant(self.epsilon, tangent_norm)
        if self.noise == "rademacher":
            noise_term = constant(math.sqrt(noise.shape[-1]) + self.epsilon, tangent_norm)
        else:
            noise_term = torch.linalg.vector_norm(noise, dim=-1, keepdim=True).add_(eps)
        theta_norm = torch.linalg.vector_norm(self.theta_tilde, dim=-1, keepdim=True)
        # rho_0 = sqrt((|theta~| + eps) / (|a| + eps)),  rho_1 = sqrt((|b| + eps) / (|nu| + eps))
        rho_0 = theta_norm.add_(eps).div_(tangent_norm + eps).sqrt_()
        rho_1 = (noise_pullback_norm + eps).div_(noise_term).sqrt_()
        return rho_0, rho_1

    def step(
        self, w_state: torch.Tensor, w_out: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> StepResult:
        if self.closed_form:
            return self.closed_form_step(w_state, w_out, x, y)
        return self.autograd_step(w_state, w_out, x, y)

    @torch.no_grad()
    def closed_form_step(
        self, w_state: torch.Tensor, w_out: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> StepResult:
        r"""One step with the tanh RNN's closed-form JVP and VJPs ($D=1-s_{t+1}^2$, $z=(s_t,x_{t+1},1)$):
        $a_t=D\odot W\tilde s_t$, $b_t=(D\odot\nu)\otimes z$ blockwise, $\lVert b_t\rVert=
        \lVert D\odot\nu\rVert\lVert z\rVert$; $b_t$ is never formed, it enters $\tilde\theta$ as rank-one
        updates in place. The three vectors that $D$ multiplies are scaled, and their norms taken, in one call
        each."""
        model = cast(TanhRNN, self.model)
        state = self.current_state()
        next_state, recurrent_tangent = model.transition_and_product(w_state, state, x, self.s_tilde)
        loss, grad_next_state, grad_out = model.loss_and_gradients(w_out, next_state, y)
        noise = self.draw_noise(next_state)
        slope = torch.addcmul(constant(1.0, next_state), next_state, next_state, value=-1)  # 1 - s_{t+1}^2
        # rows D * (W s~, dl/ds_{t+1}, nu): a_t and the pre-activation cotangents of the loss and the noise
        scaled = torch.stack((recurrent_tangent, grad_next_state, noise), dim=-2).mul_(slope.unsqueeze(-2))
        tangent, grad_delta, noise_delta = scaled.unbind(-2)
        tangent_norm, _, noise_delta_norm = torch.linalg.vector_norm(scaled, dim=-1, keepdim=True).unbind(-2)
        rho_0, rho_1 = self.rescaling(
            tangent_norm, noise_delta_norm * model.param_input_norm(state, x), noise
        )
        state_row, x_row = state.unsqueeze(-2), x.unsqueeze(-2)
        # g = (dl/ds_t . s~_t) theta~_t + dl/dtheta|_{s_t fixed}, where dl/ds_t . s~_t = dl/ds_{t+1} . a_t
        grad_state = self.theta_tilde * (grad_next_state * tangent).sum(-1, keepdim=True)
        model.add_param_vjp_to_blocks_(
            block_views(grad_state, model.state_shapes), state_row, x_row, grad_delta
        )
        # s~ <- rho_0 a + rho_1 nu;  theta~ <- theta~ / rho_0 + b / rho_1 in place,
        # b / rho_1 being the VJP of nu / rho_1
        self.s_tilde = torch.addcmul(tangent * rho_0, rho_1, noise)
        self.theta_tilde.div_(rho_0)
        model.add_param_vjp_to_blocks_(self.theta_blocks(), state_row, x_row, noise_delta.div_(rho_1))
        self.state = next_state
        return StepResult(loss, grad_state, grad_out)

    def autograd_step(
        self, w_state: torch.Tensor, w_out: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> StepResult:
        r"""One step for any model: $\partial\ell/\partial(s_t,\theta)$, $a_t$ and $b_t$ by autograd on one
        graph."""
        state = self.current_state()
        with torch.enable_grad():
            leaves = (
                state.detach().requires_grad_(),
                w_state.detach().requires_grad_(),
                w_out.detach().requires_grad_(),
            )
            next_state = self.model.transition(leaves[1], leaves[0], x)
            loss = self.model.loss(leaves[2], next_state, y)
            grad_prev_state, grad_direct, grad_out = torch.autograd.grad(
                loss.sum(), leaves, retain_graph=True, allow_unused=True
            )
            tangent = self.tangent(w_state, state, x, next_state, leaves[0])
            noise = self.draw_noise(next_state)
            (noise_pullback,) = torch.autograd.grad(
                next_state, leaves[1], grad_outputs=noise
            )  # b = nu^T dF/dtheta
        grad_out = torch.zeros_like(w_out) if grad_out is None else grad_out
        # g = (dl/ds_t . s~_t) theta~_t + dl/dtheta |_{s_t fixed}
        grad_state = (grad_prev_state * self.s_tilde).sum(-1, keepdim=True) * self.theta_tilde + grad_direct
        self.advance_pair(tangent, noise, noise_pullback)
        self.state = next_state.detach()
        return StepResult(loss.detach(), grad_state.detach(), grad_out.detach())

    def advance_pair(self, tangent: torch.Tensor, noise: torch.Tensor, noise_pullback: torch.Tensor) -> None:
        r"""$\tilde s\leftarrow\rho_0a+\rho_1\nu$, $\tilde\theta\leftarrow\tilde\theta/\rho_0+b/\rho_1$."""
        rho_0, rho_1 = self.rescaling(
            torch.linalg.vector_norm(tangent, dim=-1, keepdim=True),
            torch.linalg.vector_norm(noise_pullback, dim=-1, keepdim=True),
            noise,
        )
        self.s_tilde = rho_0 * tangent + rho_1 * noise
        self.theta_tilde = self.theta_tilde / rho_0 + noise_pullback / rho_1


class WindowedEstimator(OnlineEstimator):
    r"""An estimator that builds one autograd graph over a window of ``window`` steps and returns its gradient
    at the window's end (``None`` in between). Subclasses say how a window opens (:meth:`open_window`), how
    a step extends it (:meth:`extend_window`) and what its gradient is (:meth:`close_window`). A checkpoint
    can only be taken between windows, where no graph is held."""

    window_kind = "window"
    """What the error messages call a window."""

    def reset(self, state: torch.Tensor) -> None:
        super().reset(state)
        self.count = 0

    def state_dict(self) -> dict[str, Any]:
        if self.count:
            raise RuntimeError(
                f"{self.name} is {self.count} steps into a {self.window_kind}; "
                f"save at a {self.window_kind}'s end"
            )
        return super().state_dict()

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        super().load_state_dict(saved)
        self.count = 0

    def open_window(self, w_state: torch.Tensor, w_out: torch.Tensor) -> None:
        """Make the leaves of the window's graph from the parameters and the current state."""
        raise NotImplementedError

    def extend_window(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One more step on the window's graph (gradients enabled); returns its loss ``(B,)``. ``self.count``
        is the number of steps already in the window."""
        raise NotImplementedError

    def close_window(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The window's gradients ``(grad_state, grad_out)``, with the state detached from its graph."""
        raise NotImplementedError

    def step(
        self, w_state: torch.Tensor, w_out: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> StepResult:
        if self.count == 0:
            self.open_window(w_state, w_out)
        with torch.enable_grad():
            loss = self.extend_window(x, y)
        self.count += 1
        if self.count == self.window:
            grad_state, grad_out = self.flush()  # type: ignore[misc]
            return StepResult(loss.detach(), grad_state, grad_out)
        return StepResult(loss.detach(), None, None)

    def flush(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        if self.count == 0:
            return None
        grads = self.close_window()
        self.count = 0
        return grads


class ChunkedUORO(WindowedEstimator, UORO):
    r"""UORO across chunks of $T$ steps and backpropagation inside them, the authors' code with $T>1$.

    A chunk is treated as one transition $s_{t_0+T}=G(s_{t_0},\theta)$ of the $T$ inputs: at its end the
    summed loss $L$ of the chunk is backpropagated to its first state, and

    $$\hat g=\Big(\frac{\partial L}{\partial s_{t_0}}\tilde s_{t_0}\Big)\tilde\theta_{t_0}^\top
    +\frac{\partial L}{\partial\theta}\Big|_{s_{t_0}\ \mathrm{fixed}},\qquad
    a=\frac{\partial G}{\partial s}\tilde s_{t_0},\qquad b^\top=\nu^\top\frac{\partial G}{\partial\theta},$$

    then the $\rho$ update of :class:`UORO` on $(a,\nu,b)$. With $T=1$ this is UORO's autograd step; with $T$
    at least the sequence length, full BPTT. Unbiased for fixed $\theta$, like UORO; one gradient per chunk,
    like TBPTT-$T$, whose bias it removes.
    """

    window_kind = "chunk"

    def __init__(self, model: RecurrentModel, generator: torch.Generator, chunk: int, **options: Any) -> None:
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        super().__init__(model, generator, tangent_mode="double_vjp", closed_form=False, **options)
        self.window, self.name = chunk, f"UORO-{chunk}"

    def open_window(self, w_state: torch.Tensor, w_out: torch.Tensor) -> None:
        self.leaves = (
            self.current_state().detach().requires_grad_(),
            w_state.detach().requires_grad_(),
            w_out.detach().requires_grad_(),
        )
        self.chunk_state = self.leaves[0]
        self.chunk_loss = torch.zeros((), dtype=w_state.dtype, device=w_state.device)

    def extend_window(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.chunk_state = self.model.transition(self.leaves[1], self.chunk_state, x)
        loss = self.model.loss(self.leaves[2], self.chunk_state, y)
        self.chunk_loss = self.chunk_loss + loss.sum()
        self.state = self.chunk_state.detach()
        return loss

    def close_window(self) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            grad_start, grad_direct, grad_out = torch.autograd.grad(
                self.chunk_loss, self.leaves, retain_graph=True, allow_unused=True
            )
            tangent = _double_vjp_tangent(self.chunk_state, self.leaves[0], self.s_tilde)
            noise = self.draw_noise(self.chunk_state)
            (noise_pullback,) = torch.autograd.grad(self.chunk_state, self.leaves[1], grad_outputs=noise)
        grad_start = torch.zeros_like(self.s_tilde) if grad_start is None else grad_start
        grad_direct = torch.zeros_like(self.theta_tilde) if grad_direct is None else grad_direct
        grad_out = torch.zeros_like(self.leaves[2]) if grad_out is None else grad_out
        # g = (dL/ds_{t0} . s~_{t0}) theta~_{t0} + dL/dtheta |_{s_{t0} fixed}
        grad_state = (grad_start * self.s_tilde).sum(-1, keepdim=True) * self.theta_tilde + grad_direct
        self.advance_pair(tangent, noise, noise_pullback)
        return grad_state.detach(), grad_out.detach()


class TruncatedBPTT(WindowedEstimator):
    r"""TBPTT-$K$: the stream is cut into windows of $K$ steps; at a window's end the summed loss of the
    window is backpropagated to its first state, which is treated as a constant (dropping $J_{t-K}$):

    $$\hat g=\sum_{t=t_0+1}^{t_0+K}\frac{\partial\ell_t}{\partial\theta}\Big|_{s_{t_0}\ \mathrm{fixed}}.$$

    With ``loss_at="end"`` only the window's last loss is backpropagated (the variant of the
    influence-balancing experiments, $\hat g=\partial\ell_{t_0+K}/\partial\theta|_{s_{t_0}}$). With $K$ at
    least the sequence length and ``loss_at="all"`` this is full BPTT. Parameters are expected to stay
    fixed within a window (the trainer only updates when a gradient is returned).
    """

    def __init__(self, model: RecurrentModel, truncation: int, loss_at: LossAt = "all") -> None:
        super().__init__(model)
        if truncation < 1:
            raise ValueError(f"truncation must be >= 1, got {truncation}")
        if loss_at not in ("all", "end"):
            raise ValueError(f"loss_at must be 'all' or 'end', got {loss_at!r}")
        self.window, self.loss_at = truncation, loss_at
        self.name = f"TBPTT-{truncation}"

    def open_window(self, w_state: torch.Tensor, w_out: torch.Tensor) -> None:
        self.leaves = (w_state.detach().requires_grad_(), w_out.detach().requires_grad_())
        self.window_loss = torch.zeros((), dtype=w_state.dtype, device=w_state.device)

    def extend_window(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        next_state = self.model.transition(self.leaves[0], self.current_state(), x)
        loss = self.model.loss(self.leaves[1], next_state, y)
        self.state = next_state
        if self.loss_at == "all" or self.count + 1 == self.window:
            self.window_loss = self.window_loss + loss.sum()
        return loss

    def close_window(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.window_loss.requires_grad:
            found: tuple[torch.Tensor | None, ...] = torch.autograd.grad(
                self.window_loss, self.leaves, allow_unused=True
            )
        else:  # an unfinished window of an end-of-window variant carries no loss yet
            found = (None, None)
        grads = tuple(torch.zeros_like(leaf) if g is None else g for g, leaf in zip(found, self.leaves))
        self.state = self.state.detach() if self.state is not None else None
        return grads[0], grads[1]


def accumulate_gradient(
    estimator: OnlineEstimator,
    w_state: torch.Tensor,
    w_out: torch.Tensor,
    initial_state: torch.Tensor,
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""$\sum_t\hat g_t$ over a sequence at fixed $\theta$ (``inputs`` ``(T, B, m)``, ``targets`` ``(T, B)``):
    for RTRL and full-window TBPTT this is the gradient of the total loss, the quantity BPTT computes."""
    estimator.reset(initial_state)
    total_state, total_out = torch.zeros_like(w_state), torch.zeros_like(w_out)
    for x, y in zip(inputs, targets):
        result = estimator.step(w_state, w_out, x, y)
        if result.grad_state is not None and result.grad_out is not None:
            total_state, total_out = total_state + result.grad_state, total_out + result.grad_out
    leftover = estimator.flush()
    if leftover is not None:
        total_state, total_out = total_state + leftover[0], total_out + leftover[1]
    return total_state, total_out
