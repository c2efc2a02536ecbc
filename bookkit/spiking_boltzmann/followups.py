"""Later temporal RBMs to compare with: the conditional RBM and the recurrent temporal RBM, on binary pixels.

Both are RBMs per time slice whose biases depend on the past; they differ in what carries the past:
- **CRBM** (Taylor, Hinton & Roweis 2007): the last $D$ visible frames, through untied per-delay weights,
  $\\hat c=c+\\sum_{\\tau=1}^DA_\\tau^\\top v(t-\\tau)$ and
  $\\hat b=b+\\sum_{\\tau=1}^DB_\\tau^\\top v(t-\\tau)$.
  (The original has Gaussian visibles for motion capture; ours are binary.)
- **RTRBM** (Sutskever, Hinton & Taylor 2008): a deterministic mean-field hidden recursion
  $r(t)=\\sigma\\big(W^\\top v(t)+b+Ur(t-1)\\big)$ with $\\hat b(t)=b+Ur(t-1)$, so the gradient flows back
  through time (BPTT).
Training minimises the CD-1 free-energy difference $\\sum_t F_t(v^0(t))-F_t(v^1(t))$ with
$F_t(v)=-\\hat c^\\top v-\\sum_j\\operatorname{softplus}(\\hat b_j+(W^\\top v)_j)$; its gradient in $W$, $A$,
$B$, $b$, $c$ is the CD-1 update, and autograd adds the BPTT terms through $r$ for the RTRBM.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn
from torch.nn.functional import softplus

from bookkit.spiking_boltzmann.exact import all_binary_states
from bookkit.spiking_boltzmann.model import sample_bernoulli
from bookkit.spiking_boltzmann.train import CHECKPOINTS_PER_RUN
from bookkit.training import check_finite, progress, resumable_checkpointer

Tensor = torch.Tensor


def free_energy(v: Tensor, W: Tensor, visible_bias: Tensor, hidden_bias: Tensor) -> Tensor:
    """$F(v)=-\\hat c^\\top v-\\sum_j\\operatorname{softplus}(\\hat b_j+(W^\\top v)_j)$, per row."""
    return -(v * visible_bias).sum(-1) - softplus(hidden_bias + v @ W).sum(-1)


def gibbs_in_slice(
    v: Tensor, W: Tensor, visible_bias: Tensor, hidden_bias: Tensor, steps: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """``steps`` alternating Gibbs steps from ``v``; returns the last binary $v$ and the last
    $p(v\\mid h)$."""
    p_v = v
    for _ in range(steps):
        h = sample_bernoulli(torch.sigmoid(hidden_bias + v @ W), generator)
        p_v = torch.sigmoid(visible_bias + h @ W.T)
        v = sample_bernoulli(p_v, generator)
    return v, p_v


class ConditionalRBM(nn.Module):
    """A binary CRBM: one weight matrix per delay, $A_\\tau$ (visible→visible) and $B_\\tau$ (visible→hidden),
    stored stacked as $(D\\,n_v, n_v)$ and $(D\\,n_v, n_h)$ over the concatenated history."""

    def __init__(
        self, num_visible: int, num_hidden: int, history_length: int, generator: torch.Generator
    ) -> None:
        super().__init__()
        self.history_length = history_length
        self.W = nn.Parameter(0.01 * torch.randn(num_visible, num_hidden, generator=generator))
        self.A = nn.Parameter(torch.zeros(history_length * num_visible, num_visible))
        self.B = nn.Parameter(torch.zeros(history_length * num_visible, num_hidden))
        self.b = nn.Parameter(torch.zeros(num_hidden))
        self.c = nn.Parameter(torch.zeros(num_visible))

    def initial_state(self, batch: int, num_visible: int, like: Tensor) -> Tensor:
        """The history: the last $D$ frames, newest first, $(B, D, n_v)$ (zeros before the start)."""
        return like.new_zeros(batch, self.history_length, num_visible)

    def slice_biases(self, state: Tensor) -> tuple[Tensor, Tensor]:
        """$(\\hat c, \\hat b)$ from the flattened history."""
        history = state.flatten(-2)
        return self.c + history @ self.A, self.b + history @ self.B

    def advance(self, state: Tensor, v: Tensor) -> Tensor:
        return torch.cat([v[:, None], state[:, :-1]], 1)

    def sequence_biases(self, v: Tensor) -> tuple[Tensor, Tensor]:
        """$(\\hat c(t), \\hat b(t))$ for every frame of ``v`` $(B, T, n_v)$ with the true history; all $t$
        at once."""
        padded = torch.cat([v.new_zeros(v.shape[0], self.history_length, v.shape[2]), v], 1)
        history = torch.stack(
            [
                padded[:, self.history_length - tau : padded.shape[1] - tau]
                for tau in range(1, self.history_length + 1)
            ],
            2,
        )
        return self.slice_biases(history)


class RecurrentTemporalRBM(nn.Module):
    """An RTRBM: $\\hat b(t)=b+Ur(t-1)$ ($b_{init}$ at $t=0$), $r(t)=\\sigma(W^\\top v(t)+\\hat b(t))$."""

    def __init__(self, num_visible: int, num_hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        self.W = nn.Parameter(0.01 * torch.randn(num_visible, num_hidden, generator=generator))
        self.U = nn.Parameter(torch.zeros(num_hidden, num_hidden))
        self.b = nn.Parameter(torch.zeros(num_hidden))
        self.b_init = nn.Parameter(torch.zeros(num_hidden))
        self.c = nn.Parameter(torch.zeros(num_visible))

    def initial_state(self, batch: int, num_visible: int, like: Tensor) -> Tensor:
        """No previous hidden means yet: an empty state marks $t=0$."""
        return like.new_zeros(batch, 0)

    def slice_biases(self, state: Tensor) -> tuple[Tensor, Tensor]:
        hidden_bias = self.b_init if state.shape[1] == 0 else self.b + state @ self.U
        return self.c.expand(state.shape[0], -1), hidden_bias.expand(state.shape[0], -1)

    def advance(self, state: Tensor, v: Tensor) -> Tensor:
        return torch.sigmoid(v @ self.W + self.slice_biases(state)[1])

    def sequence_biases(self, v: Tensor) -> tuple[Tensor, Tensor]:
        """Run the recursion over the true frames (differentiably, for BPTT)."""
        state = self.initial_state(v.shape[0], v.shape[2], v)
        hidden_biases = []
        for t in range(v.shape[1]):
            hidden_biases.append(self.slice_biases(state)[1])
            state = self.advance(state, v[:, t])
        return self.c.expand(*v.shape[:2], -1), torch.stack(hidden_biases, 1)


SequenceModel = ConditionalRBM | RecurrentTemporalRBM


def train_sequence_model(
    model: SequenceModel,
    minibatch: Callable[[int], Tensor],
    num_minibatches: int,
    *,
    lr: float,
    momentum: float,
    generator: torch.Generator,
    desc: str = "training",
) -> Tensor:
    """SGD with momentum on the CD-1 free-energy difference; returns the loss per minibatch.

    Inside :func:`bookkit.training.load_or_train` the loop checkpoints ``CHECKPOINTS_PER_RUN`` times (model,
    optimiser, losses and the sampling generator), and a run killed midway resumes from the last checkpoint
    with the same result: the minibatches drawn before it are drawn again and dropped, so their generator is
    where it was.
    """
    optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = torch.zeros(num_minibatches)
    checkpointer = resumable_checkpointer(every=max(1, num_minibatches // CHECKPOINTS_PER_RUN), label=desc)
    start = 0
    if checkpointer is not None:
        start, saved = checkpointer.resume(total=num_minibatches)
        if saved is not None:
            model.load_state_dict(saved["model"])
            optimiser.load_state_dict(saved["optimiser"])
            losses.copy_(saved["losses"])
            generator.set_state(saved["generator"])
            for index in range(start):  # the minibatches' own generator continues where it was
                minibatch(index)
    for index in progress(range(start, num_minibatches), desc=desc, total=num_minibatches - start):
        v0 = minibatch(index)
        visible_bias, hidden_bias = model.sequence_biases(v0)
        with torch.no_grad():
            h0 = sample_bernoulli(torch.sigmoid(hidden_bias + v0 @ model.W), generator)
            v1 = sample_bernoulli(torch.sigmoid(visible_bias + h0 @ model.W.T), generator)
        loss = (
            (
                free_energy(v0, model.W, visible_bias, hidden_bias)
                - free_energy(v1, model.W, visible_bias, hidden_bias)
            )
            .sum(1)
            .mean()
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses[index] = loss.detach()
        check_finite(losses[index], step=index)
        if checkpointer is not None:
            checkpointer.maybe_save(
                index + 1,
                lambda: {
                    "model": {name: value.clone() for name, value in model.state_dict().items()},
                    "optimiser": copy.deepcopy(optimiser.state_dict()),
                    "losses": losses.clone(),
                    "generator": generator.get_state(),
                },
            )
    return losses


@torch.no_grad()
def predict_one_step(
    model: SequenceModel,
    frames: Tensor,
    generator: torch.Generator,
    gibbs_steps: int = 30,
    average_last: int = 15,
) -> Tensor:
    """With the true history, the mean $p(v(t))$ over the last Gibbs steps of each slice: $(B, T, n_v)$."""
    visible_bias, hidden_bias = model.sequence_biases(frames)
    v = sample_bernoulli(torch.sigmoid(visible_bias), generator)
    prediction = torch.zeros_like(frames)
    for step in range(gibbs_steps):
        v, p_v = gibbs_in_slice(v, model.W, visible_bias, hidden_bias, 1, generator)
        if step >= gibbs_steps - average_last:
            prediction += p_v / average_last
    return prediction


@torch.no_grad()
def rollout(
    model: SequenceModel, prime: Tensor, num_frames: int, generator: torch.Generator, gibbs_steps: int = 30
) -> Tensor:
    """Free-running generation after the frames ``prime`` $(B, T_p, n_v)$: mean-field frames $(B, T, n_v)$."""
    batch, _, num_visible = prime.shape
    state = model.initial_state(batch, num_visible, prime)
    for t in range(prime.shape[1]):
        state = model.advance(state, prime[:, t])
    frames = []
    for _ in range(num_frames):
        visible_bias, hidden_bias = model.slice_biases(state)
        v = sample_bernoulli(torch.sigmoid(visible_bias), generator)
        v, p_v = gibbs_in_slice(v, model.W, visible_bias, hidden_bias, gibbs_steps, generator)
        frames.append(p_v)
        state = model.advance(state, v)
    return torch.stack(frames, 1)


@torch.no_grad()
def slice_log_likelihood(
    v: Tensor, W: Tensor, visible_bias: Tensor, hidden_bias: Tensor, chunk: int = 128
) -> Tensor:
    """$\\log p(v\\mid\\text{past})=-F(v)-\\log Z$ of an RBM slice with dynamic biases $\\hat c$, $\\hat b$.

    $\\log Z=\\log\\sum_{h\\in\\{0,1\\}^{n_h}}\\exp\\big(h^\\top\\hat b+\\sum_i\\operatorname{softplus}(\\hat
    c_i+(Wh)_i)\\big)$ enumerates the $2^{n_h}$ hidden states, ``chunk`` at a time, so it is exact for small
    $n_h$. ``v`` and the biases share their leading axes; returns those axes.
    """
    negative_free_energy = -free_energy(v, W, visible_bias, hidden_bias)
    states = all_binary_states(W.shape[1]).to(W)
    log_terms = []
    for start in range(0, states.shape[0], chunk):
        h = states[start : start + chunk]  # (S, n_h)
        # h·b̂ + Σ_i softplus(ĉ_i + (W h)_i), for every hidden state
        visible_terms = softplus(visible_bias[..., None, :] + h @ W.T).sum(-1)  # (..., S)
        log_terms.append(hidden_bias @ h.T + visible_terms)
    return negative_free_energy - torch.logsumexp(torch.cat(log_terms, -1), -1)


@torch.no_grad()
def sequence_log_likelihood(model: SequenceModel, frames: Tensor) -> Tensor:
    """$\\log p(v(t)\\mid v(<t))$ of every frame of ``frames`` $(B, T, n_v)$ with the true history: $(B, T)$.

    Both models carry the past deterministically (the CRBM its last $D$ frames, the RTRBM its mean-field
    recursion), so unlike the kernel-tied machine's score this one is not conditional on a sampled history.
    """
    visible_bias, hidden_bias = model.sequence_biases(frames)
    return slice_log_likelihood(frames, model.W, visible_bias, hidden_bias)
