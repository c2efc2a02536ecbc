"""The Boltzmann machine through time with causal, kernel-tied weights (our reconstruction of §3-4).

Binary visible units $v_i(t)$ and hidden units $h_j(t)$ live in discrete time bins. Unit $i$ at $t-\\tau$
and unit $j$ at $t$ interact with strength $W_{ij}\\,r(\\tau)$: one learned weight per pair, with a
temporal profile fixed by the causal kernel $r$ ($r(\\tau)=0$ for $\\tau<0$). With the filtered histories

$$\\tilde v(t)=\\sum_{\\tau=1}^{D}r(\\tau)\\,v(t-\\tau),
\\qquad \\tilde h(t)=\\sum_{\\tau=1}^{D}r(\\tau)\\,h(t-\\tau),$$

each time slice is an RBM with weights $r(0)W$ conditioned on the past:

$$E_t(v,h)=-r(0)\\,v^\\top Wh-v^\\top\\big(c+W\\tilde h+A^\\top\\tilde v\\big)
-h^\\top\\big(b+W^\\top\\tilde v+U^\\top\\tilde h\\big).$$

$A$ holds the delayed visible-to-visible weights and $U$ the delayed hidden-to-hidden weights.

Every tensor carries a leading *model axis* of size ``M``: independent models (seeds, ablations, kernel
variants) are trained side by side with batched matrix products. Symbols follow the paper's notation
(``W``, ``A``, ``U``, ``b``, ``c``, ``r``); shapes are ``(M, batch, units)`` for states.
"""

from __future__ import annotations

import dataclasses

import torch

Tensor = torch.Tensor


def exponential_kernel(time_constant: float, length: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """The causal kernel $r(\\tau)=e^{-\\tau/\\tau_r}$ for $\\tau=0,\\dots,D$ (``length`` $=D+1$ values)."""
    tau = torch.arange(length, dtype=dtype)
    return torch.exp(-tau / time_constant)


def alpha_kernel(time_constant: float, length: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """The causal alpha kernel $r(\\tau)=(\\tau/\\tau_r)\\,e^{1-\\tau/\\tau_r}$ (peak 1 at
    $\\tau=\\tau_r$)."""
    tau = torch.arange(length, dtype=dtype)
    return tau / time_constant * torch.exp(1 - tau / time_constant)


@dataclasses.dataclass
class TemporalBoltzmannMachine:
    """A stack of ``M`` causal temporal Boltzmann machines (one per row of the model axis).

    - ``W`` $(M, n_v, n_h)$: the kernel-tied visible-hidden weights.
    - ``A`` $(M, n_v, n_v)$: $A_{ki}$ from the filtered past visible $\\tilde v_k$ to $v_i$.
    - ``U`` $(M, n_h, n_h)$: $U_{kj}$ from the filtered past hidden $\\tilde h_k$ to $h_j$.
    - ``b`` $(M, n_h)$, ``c`` $(M, n_v)$: hidden and visible biases.
    - ``r`` $(M, D+1)$: the kernel of each model, ``r[:, 0]`` $=r(0)$; a model whose ``r[:, 1:]`` is zero
      and whose masks are zero is a plain RBM (the non-temporal control).
    - ``use_A``, ``use_U`` $(M,)$: 1 to learn $A$ / $U$, 0 to keep them at zero (ablations).
    """

    W: Tensor
    A: Tensor
    U: Tensor
    b: Tensor
    c: Tensor
    r: Tensor
    use_A: Tensor
    use_U: Tensor

    @classmethod
    def initialise(
        cls,
        kernels: Tensor,
        num_visible: int,
        num_hidden: int,
        *,
        use_A: Tensor | None = None,
        use_U: Tensor | None = None,
        weight_scale: float = 0.01,
        generator: torch.Generator | None = None,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> TemporalBoltzmannMachine:
        """$W\\sim$ ``weight_scale`` $\\cdot\\mathcal N(0,1)$; $A$, $U$ and biases start at zero."""
        num_models = kernels.shape[0]
        W = torch.randn(num_models, num_visible, num_hidden, generator=generator, dtype=dtype) * weight_scale
        ones = torch.ones(num_models, dtype=dtype)
        return cls(
            W=W.to(device),
            A=torch.zeros(num_models, num_visible, num_visible, dtype=dtype, device=device),
            U=torch.zeros(num_models, num_hidden, num_hidden, dtype=dtype, device=device),
            b=torch.zeros(num_models, num_hidden, dtype=dtype, device=device),
            c=torch.zeros(num_models, num_visible, dtype=dtype, device=device),
            r=kernels.to(device=device, dtype=dtype),
            use_A=(ones if use_A is None else use_A).to(device=device, dtype=dtype),
            use_U=(ones if use_U is None else use_U).to(device=device, dtype=dtype),
        )

    @property
    def num_models(self) -> int:
        return self.W.shape[0]

    @property
    def history_length(self) -> int:
        """$D$, the number of past bins the kernel reaches."""
        return self.r.shape[1] - 1

    def parameters(self) -> dict[str, Tensor]:
        return {"W": self.W, "A": self.A, "U": self.U, "b": self.b, "c": self.c}

    def state_dict(self) -> dict[str, Tensor]:
        return {**self.parameters(), "r": self.r, "use_A": self.use_A, "use_U": self.use_U}

    @classmethod
    def from_state_dict(cls, state: dict[str, Tensor]) -> TemporalBoltzmannMachine:
        return cls(**{field.name: state[field.name] for field in dataclasses.fields(cls)})

    def filtered_history(self, past: Tensor) -> Tensor:
        """$\\sum_{\\tau=1}^{D} r(\\tau)\\,x(t-\\tau)$ from ``past`` $(M, B, D, n)$ ordered newest first."""
        return torch.einsum("mbdn,md->mbn", past, self.r[:, 1:])

    def filtered_sequence(self, x: Tensor) -> Tensor:
        """$\\tilde x(t)=\\sum_{\\tau=1}^{D} r(\\tau)\\,x(t-\\tau)$ for every $t$ of ``x`` $(M, B, T, n)$
        (zeros before $t=0$)."""
        filtered = torch.zeros_like(x)
        for tau in range(1, min(self.history_length, x.shape[2] - 1) + 1):
            filtered[:, :, tau:] += self.r[:, tau, None, None, None] * x[:, :, :-tau]
        return filtered

    def hidden_input(self, v: Tensor, v_tilde: Tensor, h_tilde: Tensor) -> Tensor:
        """$b_j+\\sum_iW_{ij}\\big(r(0)v_i+\\tilde v_i\\big)+\\sum_kU_{kj}\\tilde h_k$: the logit of
        $p(h_j{=}1\\mid v,\\text{past})$."""
        drive = self.r[:, 0, None, None] * v + v_tilde
        return self.b[:, None] + torch.bmm(drive, self.W) + torch.bmm(h_tilde, self.U)

    def visible_input(self, h: Tensor, v_tilde: Tensor, h_tilde: Tensor) -> Tensor:
        """$c_i+\\sum_jW_{ij}\\big(r(0)h_j+\\tilde h_j\\big)+\\sum_kA_{ki}\\tilde v_k$: the logit of
        $p(v_i{=}1\\mid h,\\text{past})$."""
        drive = self.r[:, 0, None, None] * h + h_tilde
        return self.c[:, None] + torch.bmm(drive, self.W.transpose(1, 2)) + torch.bmm(v_tilde, self.A)

    def dynamic_visible_bias(self, v_tilde: Tensor, h_tilde: Tensor) -> Tensor:
        """$\\hat c=c+W\\tilde h+A^\\top\\tilde v$, the visible logit when no hidden unit is on."""
        return self.c[:, None] + torch.bmm(h_tilde, self.W.transpose(1, 2)) + torch.bmm(v_tilde, self.A)


def sample_bernoulli(probability: Tensor, generator: torch.Generator | None) -> Tensor:
    """Binary samples with ``P(1) = probability`` drawn from ``generator`` (on the tensor's device)."""
    noise = torch.rand(
        probability.shape, generator=generator, device=probability.device, dtype=probability.dtype
    )
    return (noise < probability).to(probability.dtype)


def cd_statistics(
    model: TemporalBoltzmannMachine, v: Tensor, p: Tensor, v_tilde: Tensor, h_tilde: Tensor
) -> dict[str, Tensor]:
    """The sufficient statistics of one phase of the tied CD update, averaged over the batch.

    For visible states $v$ with hidden probabilities $p=p(h{=}1\\mid v,\\text{past})$:

    $$S_W=r(0)\\,v\\,p^\\top+\\tilde v\\,p^\\top+v\\,\\tilde h^\\top,\\quad S_A=\\tilde v\\,v^\\top,\\quad
    S_U=\\tilde h\\,p^\\top,\\quad S_c=v,\\quad S_b=p.$$

    The three terms of $S_W$ are the three uses of the same tied weight: instantaneous, visible history
    to hidden, and hidden history to visible. They are $-\\partial F/\\partial W$ of the slice free energy.
    """
    batch = v.shape[1]
    r0 = model.r[:, 0, None, None]
    S_W = torch.bmm((r0 * v + v_tilde).transpose(1, 2), p) + torch.bmm(v.transpose(1, 2), h_tilde)
    return {
        "W": S_W / batch,
        "A": torch.bmm(v_tilde.transpose(1, 2), v) / batch,
        "U": torch.bmm(h_tilde.transpose(1, 2), p) / batch,
        "c": v.mean(1),
        "b": p.mean(1),
    }


def cd_update(
    model: TemporalBoltzmannMachine,
    v0: Tensor,
    v_tilde: Tensor,
    h_tilde: Tensor,
    generator: torch.Generator | None,
    k: int = 1,
) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    """The CD-k update of one time slice with the past held fixed, the hidden sample $h^0$ and $v^k$.

    $v^0$ is the data, $p^0=p(h{=}1\\mid v^0)$, $h^0\\sim p^0$; $k$ alternating Gibbs steps give $v^k$ and
    $p^k=p(h{=}1\\mid v^k)$. The update is $S(v^0,p^0)-S(v^k,p^k)$ (see :func:`cd_statistics`), e.g.

    $$\\Delta W_{ij}\\propto r(0)(v^0_ip^0_j-v^1_ip^1_j)+\\tilde v_i(p^0_j-p^1_j)+(v^0_i-v^1_i)\\tilde h_j.$$

    $A$ and $U$ updates are multiplied by the model's ``use_A`` / ``use_U`` masks. $h^0$ is returned
    because it is the sample that enters the hidden history (the filtering approximation); $v^k$ gives
    the reconstruction error.
    """
    p0 = torch.sigmoid(model.hidden_input(v0, v_tilde, h_tilde))
    h0 = sample_bernoulli(p0, generator)
    h, v, p = h0, v0, p0
    for _ in range(k):
        v = sample_bernoulli(torch.sigmoid(model.visible_input(h, v_tilde, h_tilde)), generator)
        p = torch.sigmoid(model.hidden_input(v, v_tilde, h_tilde))
        h = sample_bernoulli(p, generator)
    # S(v^0, p^0) - S(v^k, p^k) of cd_statistics, with the A, U, b, c terms written as differences
    batch = v0.shape[1]
    r0 = model.r[:, 0, None, None]
    dv, dp = v0 - v, p0 - p
    update = {
        "W": (
            torch.bmm((r0 * v0).transpose(1, 2), p0)
            - torch.bmm((r0 * v).transpose(1, 2), p)
            + torch.bmm(v_tilde.transpose(1, 2), dp)
            + torch.bmm(dv.transpose(1, 2), h_tilde)
        )
        / batch,
        "A": torch.bmm(v_tilde.transpose(1, 2), dv) * (model.use_A[:, None, None] / batch),
        "U": torch.bmm(h_tilde.transpose(1, 2), dp) * (model.use_U[:, None, None] / batch),
        "c": dv.mean(1),
        "b": dp.mean(1),
    }
    return update, h0, v


def push_history(past: Tensor, newest: Tensor) -> Tensor:
    """Shift a newest-first history $(M, B, D, n)$ by one bin, putting ``newest`` $(M, B, n)$ in front."""
    return torch.cat([newest[:, :, None], past[:, :, :-1]], dim=2)
