"""Exact computations on tiny Boltzmann machines through time, by enumerating every state (float64).

These are the references that the sampled model code is checked against, and the content of the chapter's
"model, exactly" notebook:
- the slice distribution $p(v,h\\mid\\text{past})\\propto e^{-E_t(v,h)}$ and its conditionals;
- the exact gradient of $\\log p(v(t)\\mid\\text{past})$ and the exact *expected* CD-k update, obtained by
  propagating the Gibbs transition matrix $T(v\\to v')=\\sum_h p(h\\mid v)\\,p(v'\\mid h)$ $k$ times;
- whole space-time configurations of a symmetric-kernel machine (one big Boltzmann machine) and of the
  causal machine (a product of slice conditionals), to see which one lets the future act on the present.
Functions take a single-model stack (``M = 1``) and the filtered histories ``v_tilde`` $(n_v,)$,
``h_tilde`` $(n_h,)$.
"""

from __future__ import annotations

import torch

from bookkit.spiking_boltzmann.model import TemporalBoltzmannMachine, cd_statistics, exponential_kernel

Tensor = torch.Tensor


def all_binary_states(num_units: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """Every binary vector of length ``num_units`` as rows $(2^n, n)$; row $s$ is the binary expansion of
    $s$."""
    codes = torch.arange(2**num_units)
    return ((codes[:, None] >> torch.arange(num_units - 1, -1, -1)) & 1).to(dtype)


def slice_energy(
    model: TemporalBoltzmannMachine, v: Tensor, h: Tensor, v_tilde: Tensor, h_tilde: Tensor
) -> Tensor:
    """$E_t(v,h)=-r(0)v^\\top Wh-v^\\top(c+W\\tilde h+A^\\top\\tilde v)-h^\\top(b+W^\\top\\tilde
    v+U^\\top\\tilde h)$.

    ``v`` $(S_v, n_v)$ and ``h`` $(S_h, n_h)$ are state tables; ``v_tilde`` $(\\dots, n_v)$ and ``h_tilde``
    $(\\dots, n_h)$ may carry leading axes. Returns the energy of every pair, $(\\dots, S_v, S_h)$.
    """
    W, A, U, b, c, r0 = model.W[0], model.A[0], model.U[0], model.b[0], model.c[0], model.r[0, 0]
    visible_bias = c + h_tilde @ W.T + v_tilde @ A
    hidden_bias = b + v_tilde @ W + h_tilde @ U
    return -r0 * (v @ W @ h.T) - (visible_bias @ v.T)[..., :, None] - (hidden_bias @ h.T)[..., None, :]


def slice_log_joint(model: TemporalBoltzmannMachine, v_tilde: Tensor, h_tilde: Tensor) -> Tensor:
    """$\\log p(v,h\\mid\\text{past})$ for every visible state (rows) and hidden state (columns)."""
    nv, nh = model.W.shape[1:]
    log_weights = -slice_energy(
        model, all_binary_states(nv, model.W.dtype), all_binary_states(nh, model.W.dtype), v_tilde, h_tilde
    )
    return log_weights - torch.logsumexp(log_weights.flatten(), 0)


def enumerated_conditionals(
    model: TemporalBoltzmannMachine, v_tilde: Tensor, h_tilde: Tensor
) -> tuple[Tensor, Tensor]:
    """Brute-force marginals $p(h_j{=}1\\mid v)$ $(2^{n_v}, n_h)$ and $p(v_i{=}1\\mid h)$ $(2^{n_h}, n_v)$."""
    nv, nh = model.W.shape[1:]
    joint = slice_log_joint(model, v_tilde, h_tilde).exp()
    hidden_given_visible = (joint @ all_binary_states(nh, joint.dtype)) / joint.sum(1, keepdim=True)
    visible_given_hidden = (joint.T @ all_binary_states(nv, joint.dtype)) / joint.sum(0)[:, None]
    return hidden_given_visible, visible_given_hidden


def exact_log_likelihood(
    model: TemporalBoltzmannMachine, data_probs: Tensor, v_tilde: Tensor, h_tilde: Tensor
) -> Tensor:
    """$\\sum_v q(v)\\log p(v\\mid\\text{past})$ for a data distribution ``data_probs`` $q$ over the $2^{n_v}$
    states.

    Differentiable in the model's parameters, so autograd gives the exact gradient.
    """
    log_marginal = torch.logsumexp(slice_log_joint(model, v_tilde, h_tilde), 1)
    return (data_probs * log_marginal).sum()


def _statistics_per_state(model: TemporalBoltzmannMachine, v_tilde: Tensor, h_tilde: Tensor) -> Tensor:
    """$S(v, p(h\\mid v))$ of :func:`~bookkit.spiking_boltzmann.model.cd_statistics` for every visible
    state, flattened."""
    nv = model.W.shape[1]
    states = all_binary_states(nv, model.W.dtype)
    count = states.shape[0]
    v = states[None, :, None, :]
    vt = v_tilde.expand(1, count, 1, nv)
    ht = h_tilde.expand(1, count, 1, h_tilde.shape[0])
    rows = []
    for s in range(count):
        p = torch.sigmoid(model.hidden_input(v[:, s], vt[:, s], ht[:, s]))
        stats = cd_statistics(model, v[:, s], p, vt[:, s], ht[:, s])
        rows.append(torch.cat([stats[name][0].flatten() for name in ("W", "A", "U", "b", "c")]))
    return torch.stack(rows)


def exact_gradient(
    model: TemporalBoltzmannMachine, data_probs: Tensor, v_tilde: Tensor, h_tilde: Tensor
) -> Tensor:
    """$\\nabla\\,\\mathbb E_q\\log p(v\\mid\\text{past})=\\mathbb E_q[S(v)]-\\mathbb E_{p}[S(v)]$,
    flattened as (W, A, U, b, c)."""
    stats = _statistics_per_state(model, v_tilde, h_tilde)
    model_probs = slice_log_joint(model, v_tilde, h_tilde).exp().sum(1)
    return data_probs @ stats - model_probs @ stats


def gibbs_transition_matrix(model: TemporalBoltzmannMachine, v_tilde: Tensor, h_tilde: Tensor) -> Tensor:
    """$T(v\\to v')=\\sum_h p(h\\mid v)\\,p(v'\\mid h)$ over the $2^{n_v}$ visible states, from enumerated
    conditionals."""
    nv, nh = model.W.shape[1:]
    hidden_given_visible, visible_given_hidden = enumerated_conditionals(model, v_tilde, h_tilde)

    def state_probs(on_probs: Tensor, states: Tensor) -> Tensor:
        return (states[None] * on_probs[:, None] + (1 - states[None]) * (1 - on_probs[:, None])).prod(-1)

    h_given_v = state_probs(hidden_given_visible, all_binary_states(nh, model.W.dtype))
    v_given_h = state_probs(visible_given_hidden, all_binary_states(nv, model.W.dtype))
    return h_given_v @ v_given_h


def expected_cd_update(
    model: TemporalBoltzmannMachine, data_probs: Tensor, v_tilde: Tensor, h_tilde: Tensor, k: int
) -> Tensor:
    """$\\mathbb E[\\text{CD-}k]=\\mathbb E_q[S(v^0)]-\\sum_{v^0,v'}q(v^0)\\,(T^k)_{v^0v'}\\,S(v')$,
    exactly."""
    stats = _statistics_per_state(model, v_tilde, h_tilde)
    transition = gibbs_transition_matrix(model, v_tilde, h_tilde)
    return data_probs @ stats - data_probs @ torch.linalg.matrix_power(transition, k) @ stats


def cosine(a: Tensor, b: Tensor) -> float:
    """$a^\\top b/(\\lVert a\\rVert\\lVert b\\rVert)$."""
    return float(a @ b / (a.norm() * b.norm()))


def space_time_states(num_visible: int, num_hidden: int, num_steps: int) -> tuple[Tensor, Tensor]:
    """Every configuration of $T$ slices: ``V`` $(S, T, n_v)$ and ``H`` $(S, T, n_h)$, $S=2^{T(n_v+n_h)}$."""
    units = num_visible + num_hidden
    states = all_binary_states(num_steps * units).reshape(-1, num_steps, units)
    return states[..., :num_visible], states[..., num_visible:]


def symmetric_log_joint(W: Tensor, b: Tensor, c: Tensor, kernel: Tensor, V: Tensor, H: Tensor) -> Tensor:
    """$\\log p$ of the symmetric-kernel machine: one Boltzmann machine over all space-time units,

    $$E=-\\sum_{t,t'}v(t)^\\top W\\,r(|t-t'|)\\,h(t')-\\sum_t\\big(c^\\top v(t)+b^\\top h(t)\\big).$$
    ``kernel`` holds $r(0..T-1)$.
    """
    steps = V.shape[1]
    lags = (torch.arange(steps)[:, None] - torch.arange(steps)[None, :]).abs()
    coupling = kernel[lags]
    interaction = torch.einsum("sti,ij,tu,suj->s", V, W, coupling, H)
    log_weights = interaction + V.sum(1) @ c + H.sum(1) @ b
    return log_weights - torch.logsumexp(log_weights, 0)


def causal_log_joint(model: TemporalBoltzmannMachine, V: Tensor, H: Tensor) -> Tensor:
    """$\\log p$ of the causal machine: $\\sum_t\\log p_t\\big(v(t),h(t)\\mid\\tilde v(t),\\tilde h(t)\\big)$.

    Each slice is normalised given its own past (the kernel is zero for negative lags), so the whole
    configuration is a product of slice conditionals.
    """
    steps = V.shape[1]
    past_v = torch.zeros_like(V[:, :1]).expand(-1, model.history_length, -1)
    past_h = torch.zeros_like(H[:, :1]).expand(-1, model.history_length, -1)
    nv, nh = V.shape[2], H.shape[2]
    visible_states, hidden_states = all_binary_states(nv, V.dtype), all_binary_states(nh, H.dtype)
    total = V.new_zeros(V.shape[0])
    for t in range(steps):
        v_tilde = model.filtered_history(past_v[None])[0]
        h_tilde = model.filtered_history(past_h[None])[0]
        log_weights = -slice_energy(model, visible_states, hidden_states, v_tilde, h_tilde).flatten(1)
        index = _state_index(V[:, t]) * 2**nh + _state_index(H[:, t])
        total += log_weights.gather(1, index[:, None])[:, 0] - torch.logsumexp(log_weights, 1)
        past_v = torch.cat([V[:, t, None], past_v[:, :-1]], 1)
        past_h = torch.cat([H[:, t, None], past_h[:, :-1]], 1)
    return total


def _state_index(bits: Tensor) -> Tensor:
    """The rows of :func:`all_binary_states` holding ``bits`` $(\\dots, n)$."""
    return (bits @ 2 ** torch.arange(bits.shape[-1] - 1, -1, -1, dtype=bits.dtype)).long()


def first_slice_marginal(log_joint: Tensor, V: Tensor, H: Tensor) -> Tensor:
    """$p(v(0),h(0))$ from a space-time joint, as a $(2^{n_v}, 2^{n_h})$ table (the future summed out)."""
    nv, nh = V.shape[2], H.shape[2]
    index = _state_index(V[:, 0]) * 2**nh + _state_index(H[:, 0])
    table = torch.zeros(2 ** (nv + nh), dtype=log_joint.dtype).index_add_(0, index, log_joint.exp())
    return table.reshape(2**nv, 2**nh)


def hidden_posterior_spread(log_joint: Tensor, V: Tensor, H: Tensor) -> float:
    """How much later frames move the exact posterior of the first hidden slice.

    For every visible history $v(0..T-1)$, $p(h(0)\\mid v(0..T-1))$ is computed from the joint; the result is
    the largest change of $p(h_j(0){=}1\\mid\\cdot)$ over later frames $v(1..T-1)$ with $v(0)$ fixed.
    """
    steps, nv = V.shape[1], V.shape[2]
    visible_index = _state_index(V.flatten(1))
    count = 2 ** (steps * nv)
    probs = log_joint.exp()
    evidence = torch.zeros(count, dtype=probs.dtype).index_add_(0, visible_index, probs)
    on = torch.zeros(count, H.shape[2], dtype=probs.dtype).index_add_(
        0, visible_index, probs[:, None] * H[:, 0]
    )
    posterior = (on / evidence[:, None]).reshape(2**nv, -1, H.shape[2])
    return float((posterior.amax(1) - posterior.amin(1)).max())


def parameter_counts(num_visible: int, num_hidden: int, history_length: int) -> dict[str, int]:
    """Parameters of the kernel-tied machine vs an untied machine with one weight matrix per delay
    (CRBM-like).

    Tied: $W$, $A$, $U$, $b$, $c$. Untied: $W_\\tau$ for $\\tau=0..D$ (visible-hidden), $A_\\tau$ and
    $U_\\tau$ for $\\tau=1..D$, $b$, $c$.
    """
    nv, nh, d = num_visible, num_hidden, history_length
    tied = nv * nh + nv * nv + nh * nh + nv + nh
    untied = (d + 1) * nv * nh + d * (nv * nv + nh * nh) + nv + nh
    return {"kernel-tied": tied, "untied per delay": untied}


def random_machine(
    num_visible: int,
    num_hidden: int,
    history_length: int,
    time_constant: float,
    scale: float,
    generator: torch.Generator,
    bias_scale: float | None = None,
) -> tuple[TemporalBoltzmannMachine, Tensor, Tensor]:
    """A float64 single-model machine with $W\\sim$ ``scale`` $\\cdot\\mathcal N(0,1)$ and $A, U, b, c\\sim$
    ``bias_scale`` $\\cdot\\mathcal N(0,1)$ (default: ``scale``), and the filtered histories of a random
    binary past of $D$ bins. Large $W$ with small biases makes a multimodal slice, where Gibbs mixes
    slowly."""
    bias_scale = scale if bias_scale is None else bias_scale
    kernel = exponential_kernel(time_constant, history_length + 1, torch.float64)[None]
    model = TemporalBoltzmannMachine.initialise(
        kernel, num_visible, num_hidden, weight_scale=scale, generator=generator, dtype=torch.float64
    )
    model.A = torch.randn(1, num_visible, num_visible, generator=generator, dtype=torch.float64) * bias_scale
    model.U = torch.randn(1, num_hidden, num_hidden, generator=generator, dtype=torch.float64) * bias_scale
    model.b = torch.randn(1, num_hidden, generator=generator, dtype=torch.float64) * bias_scale
    model.c = torch.randn(1, num_visible, generator=generator, dtype=torch.float64) * bias_scale
    past_v = (torch.rand(1, 1, history_length, num_visible, generator=generator) < 0.5).double()
    past_h = (torch.rand(1, 1, history_length, num_hidden, generator=generator) < 0.5).double()
    return model, model.filtered_history(past_v)[0, 0], model.filtered_history(past_h)[0, 0]
