r"""Kronecker-factored RTRL (KF-RTRL; Mujika, Meier & Steger, NeurIPS 2018) for the tanh RNN.

For $s_{t+1}=\tanh(\Theta z_t)$ with $\Theta=[W\ U\ b]$ ($n\times k$, $k=n+m+1$) and
$z_t=(s_t,x_{t+1},1)$, the immediate Jacobian is a Kronecker product,
$\partial s_{t+1,i}/\partial\Theta_{jc}=\delta_{ij}D_iz_c$ with $D=1-s_{t+1}^2$, so the influence
$J_t[i,j,c]=\partial s_{t,i}/\partial\Theta_{jc}$ obeys

$$J_{t+1}=H_t J_t+\mathrm{diag}(D)\otimes z_t,\qquad H_t=\mathrm{diag}(D)\,W.$$

KF-RTRL keeps $J_t\approx A_t\otimes u_t$ ($A_t$: $n\times n$, $u_t$: $k$) and draws two independent signs
$c_1,c_2$ each step:

$$u_{t+1}=c_1p_1u_t+c_2p_2z_t,\qquad A_{t+1}=\frac{c_1}{p_1}H_tA_t+\frac{c_2}{p_2}\mathrm{diag}(D),$$

so $\mathbb E[A_{t+1}\otimes u_{t+1}]=H_tA_t\otimes u_t+\mathrm{diag}(D)\otimes z_t$: unbiased, like UORO,
with $p_1=\sqrt{\lVert H_tA_t\rVert/\lVert u_t\rVert}$, $p_2=\sqrt{\lVert D\rVert/\lVert z_t\rVert}$ the
variance-minimising scalings. A step costs $O(n^3)$ (the product $H_tA_t$), between UORO's $O(n^2)$ and
RTRL's $O(n^4)$, and its variance is far lower than UORO's because only the $n\times n$ factor is compressed
across the two terms, not the whole $n\times\dim\theta$ influence.
"""

from __future__ import annotations

from typing import Any

import torch

from bookkit.uoro.estimators import OnlineEstimator, StepResult
from bookkit.uoro.model import RecurrentModel, TanhRNN, unflatten


class KFRTRL(OnlineEstimator):
    r"""KF-RTRL's estimate $\hat g=\big(\frac{\partial\ell}{\partial s_{t+1}}A_{t+1}\big)\otimes u_{t+1}$,
    laid out as the tanh RNN's flat parameters $(W, U, b)$. ``epsilon`` keeps the $p$'s defined when a norm
    is zero
    (at the first step $u_0=0$, $A_0=0$)."""

    name = "KF-RTRL"

    def __init__(self, model: RecurrentModel, generator: torch.Generator, epsilon: float = 1e-7) -> None:
        if not isinstance(model, TanhRNN):
            raise TypeError(f"KF-RTRL is written for the tanh RNN, got {type(model).__name__}")
        super().__init__(model)
        self.rnn = model
        self.generator, self.epsilon = generator, epsilon

    def reset(self, state: torch.Tensor) -> None:
        super().reset(state)
        batch, n = state.shape
        width = n + self.rnn.input_size + 1
        self.factor_state = torch.zeros(batch, n, n, dtype=state.dtype, device=state.device)
        self.factor_input = torch.zeros(batch, width, dtype=state.dtype, device=state.device)

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "factor_state": self.factor_state.clone(),
            "factor_input": self.factor_input.clone(),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        super().load_state_dict(saved)
        self.factor_state = saved["factor_state"].to(self.factor_state.device)
        self.factor_input = saved["factor_input"].to(self.factor_input.device)
        self.generator.set_state(saved["generator"])

    def signs(self, batch: int, like: torch.Tensor) -> torch.Tensor:
        r"""Independent $(c_1,c_2)\in\{-1,+1\}^2$ per stream, ``(B, 2)``."""
        draws = torch.randint(0, 2, (batch, 2), generator=self.generator, device=self.generator.device)
        return (2 * draws - 1).to(like)

    @torch.no_grad()
    def step(
        self, w_state: torch.Tensor, w_out: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> StepResult:
        state = self.current_state()
        recurrent, _, _ = unflatten(w_state, self.rnn.state_shapes)
        next_state, slope, _ = self.rnn.transition_jvp(w_state, state, x, torch.zeros_like(state))
        z = torch.cat((state, x, torch.ones_like(state[:, :1])), dim=-1)
        # H A with H = diag(D) W
        carried = slope.unsqueeze(-1) * torch.matmul(recurrent, self.factor_state)
        eps = self.epsilon
        p_1 = ((carried.flatten(1).norm(dim=-1) + eps) / (self.factor_input.norm(dim=-1) + eps)).sqrt()
        p_2 = ((slope.norm(dim=-1) + eps) / (z.norm(dim=-1) + eps)).sqrt()
        c = self.signs(state.shape[0], state)
        c_1, c_2 = c[:, 0], c[:, 1]
        # u' = c1 p1 u + c2 p2 z;  A' = c1 / p1 H A + c2 / p2 diag(D)
        self.factor_input = (c_1 * p_1).unsqueeze(-1) * self.factor_input + (c_2 * p_2).unsqueeze(-1) * z
        self.factor_state = (c_1 / p_1).view(-1, 1, 1) * carried + torch.diag_embed(
            (c_2 / p_2).unsqueeze(-1) * slope
        )
        loss, grad_next_state, grad_out = self.rnn.loss_and_gradients(w_out, next_state, y)
        # g[j, c] = (dl/ds' A')_j u'_c, then the blocks W = [:, :n], U = [:, n:n+m], b = [:, n+m]
        rows = torch.matmul(grad_next_state.unsqueeze(1), self.factor_state).squeeze(1)
        grid = rows.unsqueeze(-1) * self.factor_input.unsqueeze(1)
        n = state.shape[-1]
        grad_state = torch.cat((grid[..., :n].flatten(1), grid[..., n:-1].flatten(1), grid[..., -1]), dim=-1)
        self.state = next_state
        return StepResult(loss, grad_state, grad_out)
