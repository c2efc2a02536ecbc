"""Exact conditional log-likelihood of a sequence under the causal temporal Boltzmann machine.

Each time slice is an RBM conditioned on the past (see :mod:`~bookkit.spiking_boltzmann.model`), with the
dynamic biases $\\hat c=c+W\\tilde h+A^\\top\\tilde v$ and $\\hat b=b+W^\\top\\tilde v+U^\\top\\tilde h$ and
the instantaneous weights $r(0)W$. Summing out the hidden units gives the free energy and the
partition function

$$-F(v)=v^\\top\\hat c+\\sum_j\\operatorname{softplus}\\big(\\hat b_j+r(0)(W^\\top v)_j\\big),\\qquad
\\log Z=\\log\\sum_{h\\in\\{0,1\\}^{n_h}}\\exp\\Big(h^\\top\\hat b+\\sum_i\\operatorname{softplus}\\big(\\hat
c_i+r(0)(Wh)_i\\big)\\Big),$$

so $\\log p(v(t)\\mid\\text{past})=-F(v(t))-\\log Z_t$ is exact when the $2^{n_h}$ hidden states can be
enumerated.
The past includes the hidden history, which the model treats as data: binary samples
$h(s)\\sim p(h\\mid v(s),\\text{past})$ drawn as the sequence is read (the filtering approximation used in
training), so the score is conditional on one sampled hidden history per sequence.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bookkit.spiking_boltzmann.exact import all_binary_states
from bookkit.spiking_boltzmann.model import TemporalBoltzmannMachine, push_history, sample_bernoulli

Tensor = torch.Tensor


def slice_log_likelihood(
    model: TemporalBoltzmannMachine, v: Tensor, v_tilde: Tensor, h_tilde: Tensor, chunk: int = 4096
) -> Tensor:
    """$\\log p(v\\mid\\text{past})=-F(v)-\\log Z$ for ``v``, ``v_tilde`` $(M, B, n_v)$ and ``h_tilde``
    $(M, B, n_h)$.

    $\\log Z$ enumerates the $2^{n_h}$ hidden states in chunks of ``chunk``; returns $(M, B)$.
    """
    r0 = model.r[:, 0, None, None]
    visible_bias = model.dynamic_visible_bias(v_tilde, h_tilde)  # ĉ (M, B, n_v)
    hidden_bias = (
        model.b[:, None] + torch.bmm(v_tilde, model.W) + torch.bmm(h_tilde, model.U)
    )  # b̂ (M, B, n_h)
    # -F(v) = v·ĉ + Σ_j softplus(b̂_j + r(0) (Wᵀv)_j)
    negative_free_energy = (v * visible_bias).sum(-1) + F.softplus(
        hidden_bias + r0 * torch.bmm(v, model.W)
    ).sum(-1)
    states = all_binary_states(model.W.shape[2]).to(model.W)
    log_terms = []
    for start in range(0, states.shape[0], chunk):
        h = states[start : start + chunk]  # (S, n_h)
        # h·b̂ + Σ_i softplus(ĉ_i + r(0) (W h)_i), for every hidden state
        weighted = r0 * torch.einsum("mvh,sh->msv", model.W, h)  # (M, S, n_v)
        visible_terms = F.softplus(visible_bias[:, :, None] + weighted[:, None]).sum(-1)  # (M, B, S)
        log_terms.append(hidden_bias @ h.T + visible_terms)
    log_partition = torch.logsumexp(torch.cat(log_terms, -1), -1)
    return negative_free_energy - log_partition


def sequence_log_likelihood(
    model: TemporalBoltzmannMachine, spikes: Tensor, generator: torch.Generator
) -> Tensor:
    """$\\log p(v(t)\\mid v(<t), h(<t))$ for every frame of ``spikes`` $(M, B, T, n_v)$; returns $(M, B, T)$.

    After each frame the data enter the visible history and $h(t)\\sim p(h\\mid v(t),\\text{past})$ the hidden
    one, as in :func:`~bookkit.spiking_boltzmann.train.predict_next_frames`.
    """
    num_models, batch, num_frames, _ = spikes.shape
    v_tilde_all = model.filtered_sequence(spikes)
    hidden_past = spikes.new_zeros(num_models, batch, model.history_length, model.W.shape[2])
    scores = spikes.new_zeros(num_models, batch, num_frames)
    for t in range(num_frames):
        v_tilde, h_tilde = v_tilde_all[:, :, t], model.filtered_history(hidden_past)
        scores[:, :, t] = slice_log_likelihood(model, spikes[:, :, t], v_tilde, h_tilde)
        hidden = sample_bernoulli(
            torch.sigmoid(model.hidden_input(spikes[:, :, t], v_tilde, h_tilde)), generator
        )
        hidden_past = push_history(hidden_past, hidden)
    return scores
