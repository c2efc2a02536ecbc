"""Training by contrastive divergence through time, next-frame prediction and free-running generation.

Our reconstruction of the paper's learning procedure: at every time step the slice is an RBM conditioned on
the past (see :mod:`bookkit.spiking_boltzmann.model`); CD-1 is applied to it with the past held fixed, and
the hidden sample $h^0\\sim p(h\\mid v_{data}(t),\\text{past})$ enters the hidden history (a filtering
approximation: the exact posterior over hidden histories is intractable). Parameters move at every time
step with momentum; the momentum buffer is reset at the start of every minibatch (a deliberate choice:
the first prototype of this reconstruction did so, and every threshold was calibrated with it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch

from bookkit.spiking_boltzmann.data import (
    CircleTask,
    circle_angles,
    decode_angle,
    fraction_good,
    intensity_to_spikes,
    one_step_error,
    random_circle_intensities,
    render_circle,
    revolutions,
)
from bookkit.spiking_boltzmann.model import (
    TemporalBoltzmannMachine,
    cd_update,
    exponential_kernel,
    push_history,
    sample_bernoulli,
)
from bookkit.training import check_finite, progress, resumable_checkpointer

Tensor = torch.Tensor

CHECKPOINTS_PER_RUN = 10
"""How many checkpoints a CD training run writes (the model is small: a few hundred kB each at full)."""


@dataclasses.dataclass(frozen=True)
class Variant:
    """One model of a stack: its kernel $r(\\tau)$ (padded to the stack's $D$) and which delayed terms it
    learns."""

    name: str
    kernel: tuple[float, ...]
    use_A: bool = True
    use_U: bool = True
    stochastic_spikes: bool = False
    bidirectional: bool = False


def sampling_generator(seed: int, device: torch.device | str) -> torch.Generator:
    """A generator on ``device`` for Bernoulli sampling (CPU and CUDA streams differ; each is
    deterministic)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def temporal_variant(
    name: str,
    time_constant: float,
    history_length: int,
    max_history: int,
    *,
    use_A: bool = True,
    use_U: bool = True,
    stochastic_spikes: bool = False,
    bidirectional: bool = False,
) -> Variant:
    """A variant with $r(\\tau)=e^{-\\tau/\\tau_r}$ for $\\tau\\le D$ and $0$ for $D<\\tau\\le D_{max}$."""
    kernel = torch.zeros(max_history + 1)
    kernel[: history_length + 1] = exponential_kernel(time_constant, history_length + 1)
    return Variant(name, tuple(kernel.tolist()), use_A, use_U, stochastic_spikes, bidirectional)


def non_temporal_variant(max_history: int, name: str = "non-temporal") -> Variant:
    """The control: $r(\\tau)=0$ for $\\tau\\ge1$ and no $A$, $U$: a plain RBM on single frames."""
    return Variant(name, (1.0,) + (0.0,) * max_history, use_A=False, use_U=False)


def build_stack(
    variants: list[Variant],
    num_visible: int,
    num_hidden: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
    weight_scale: float = 0.01,
) -> TemporalBoltzmannMachine:
    """Initialise one model per variant along the model axis."""
    kernels = torch.tensor([v.kernel for v in variants])
    return TemporalBoltzmannMachine.initialise(
        kernels,
        num_visible,
        num_hidden,
        use_A=torch.tensor([float(v.use_A) for v in variants]),
        use_U=torch.tensor([float(v.use_U) for v in variants]),
        weight_scale=weight_scale,
        generator=generator,
        device=device,
    )


def train_cd(
    model: TemporalBoltzmannMachine,
    minibatch: Callable[[int], Tensor],
    num_minibatches: int,
    *,
    lr: float,
    momentum: float,
    generator: torch.Generator,
    desc: str = "CD training",
    cd_steps: int = 1,
) -> Tensor:
    """Train ``model`` in place on ``minibatch(i)`` spikes $(M, B, T, n_v)$; returns the reconstruction
    error. ``cd_steps`` is the $k$ of CD-$k$ (1, the chapter's rule, unless a study compares others).

    At every step $t$:
    $\\Delta\\theta\\leftarrow\\mu\\,\\Delta\\theta+\\eta\\,\\widehat{\\nabla}_{CD\\text{-}1}$,
    $\\theta\\leftarrow\\theta+\\Delta\\theta$. The returned tensor $(\\text{minibatches}, M)$ holds
    $\\langle|v^0-v^1|\\rangle$ per minibatch (the reconstruction error, which says nothing about time).

    Inside :func:`bookkit.training.load_or_train` the loop checkpoints ``CHECKPOINTS_PER_RUN`` times, and a
    run killed midway resumes from the last checkpoint with the same result (the minibatches drawn before it
    are drawn again and dropped, so their generator is where it was).
    """
    parameters = model.parameters()
    errors = torch.zeros(num_minibatches, model.num_models)
    num_hidden = model.W.shape[2]
    checkpointer = resumable_checkpointer(every=max(1, num_minibatches // CHECKPOINTS_PER_RUN), label=desc)
    start = 0
    if checkpointer is not None:
        start, saved = checkpointer.resume(total=num_minibatches)
        if saved is not None:
            for name, value in parameters.items():
                value.copy_(saved["parameters"][name])
            errors.copy_(saved["errors"])
            generator.set_state(saved["generator"])
            for index in range(start):  # the minibatches' own generator continues where it was
                minibatch(index)
    for index in progress(range(start, num_minibatches), desc=desc, total=num_minibatches - start):
        spikes = minibatch(index)
        batch, num_frames = spikes.shape[1], spikes.shape[2]
        v_tilde = model.filtered_sequence(spikes)
        hidden_past = spikes.new_zeros(model.num_models, batch, model.history_length, num_hidden)
        velocity = {name: torch.zeros_like(value) for name, value in parameters.items()}
        error = spikes.new_zeros(model.num_models)
        for t in range(num_frames):
            update, h0, reconstruction = cd_update(
                model,
                spikes[:, :, t],
                v_tilde[:, :, t],
                model.filtered_history(hidden_past),
                generator,
                k=cd_steps,
            )
            for name, value in parameters.items():
                velocity[name].mul_(momentum).add_(update[name], alpha=lr)
                value.add_(velocity[name])
            hidden_past = push_history(hidden_past, h0)
            error += (spikes[:, :, t] - reconstruction).abs().mean((1, 2))
        errors[index] = (error / num_frames).cpu()
        check_finite(model.W, step=index, what="W")
        if checkpointer is not None:
            checkpointer.maybe_save(
                index + 1,
                lambda: {
                    "parameters": {name: value.clone() for name, value in parameters.items()},
                    "errors": errors.clone(),
                    "generator": generator.get_state(),
                },
            )
    return errors


def circle_minibatches(
    task: CircleTask,
    variants: list[Variant],
    data_stream: list[int],
    batch_size: int,
    num_frames: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> Callable[[int], Tensor]:
    """Fresh ball-on-a-circle spikes every minibatch; models with the same ``data_stream`` see the same balls.

    Each variant's ``stochastic_spikes`` picks $v\\sim\\mathrm{Bernoulli}(0.9I)$ over $\\mathbf 1[I>0.5]$, and
    ``bidirectional`` draws dir $=\\pm1$ per sequence for its stream.
    """
    streams = torch.tensor(data_stream)
    num_streams = int(streams.max()) + 1
    bidirectional = torch.zeros(num_streams, dtype=torch.bool)
    for variant, stream in zip(variants, data_stream):
        bidirectional[stream] |= variant.bidirectional
    stochastic = torch.tensor([v.stochastic_spikes for v in variants])

    def minibatch(_: int) -> Tensor:
        intensity = random_circle_intensities(
            num_streams, batch_size, num_frames, task, generator, bidirectional
        )
        return intensity_to_spikes(intensity[streams], stochastic, generator).to(device)

    return minibatch


def predict_next_frames(
    model: TemporalBoltzmannMachine,
    spikes: Tensor,
    generator: torch.Generator,
    gibbs_steps: int = 30,
    average_last: int = 15,
) -> Tensor:
    """One-step prediction with the true history clamped: $\\langle p(v(t))\\rangle$ for every frame.

    Per frame: start from $v\\sim\\sigma(\\hat c)$, run ``gibbs_steps`` alternating Gibbs steps in the slice,
    average $p(v\\mid h)$ over the last ``average_last``. Then the data frame enters the visible history and
    $h(t)\\sim p(h\\mid v_{data}(t),\\text{past})$ the hidden one. Returns $(M, B, T, n_v)$.
    """
    num_models, batch, num_frames, _ = spikes.shape
    v_tilde_all = model.filtered_sequence(spikes)
    hidden_past = spikes.new_zeros(num_models, batch, model.history_length, model.W.shape[2])
    predictions = torch.zeros_like(spikes)
    for t in range(num_frames):
        v_tilde, h_tilde = v_tilde_all[:, :, t], model.filtered_history(hidden_past)
        v = sample_bernoulli(torch.sigmoid(model.dynamic_visible_bias(v_tilde, h_tilde)), generator)
        for step in range(gibbs_steps):
            h = sample_bernoulli(torch.sigmoid(model.hidden_input(v, v_tilde, h_tilde)), generator)
            p_v = torch.sigmoid(model.visible_input(h, v_tilde, h_tilde))
            v = sample_bernoulli(p_v, generator)
            if step >= gibbs_steps - average_last:
                predictions[:, :, t] += p_v / average_last
        h_data = sample_bernoulli(
            torch.sigmoid(model.hidden_input(spikes[:, :, t], v_tilde, h_tilde)), generator
        )
        hidden_past = push_history(hidden_past, h_data)
    return predictions


def generate(
    model: TemporalBoltzmannMachine,
    prime: Tensor,
    num_frames: int,
    generator: torch.Generator,
    gibbs_steps: int = 30,
) -> Tensor:
    """Free-running generation after priming with true frames ``prime`` $(M, B, T_p, n_v)$.

    Priming: each true frame enters the visible history with $h\\sim p(h\\mid v,\\text{past})$. Generation:
    per frame, ``gibbs_steps`` Gibbs steps from $v\\sim\\sigma(\\hat c)$; the last step's mean field $p(v)$
    is the output, and the sampled binary $v$ with $h\\sim p(h\\mid v,\\text{past})$ go into the history.
    Returns $(M, B, \\text{num\\_frames}, n_v)$.
    """
    num_models, batch, _, num_visible = prime.shape
    depth, num_hidden = model.history_length, model.W.shape[2]
    visible_past = prime.new_zeros(num_models, batch, depth, num_visible)
    hidden_past = prime.new_zeros(num_models, batch, depth, num_hidden)

    def commit(v: Tensor, visible_past: Tensor, hidden_past: Tensor) -> tuple[Tensor, Tensor]:
        v_tilde, h_tilde = model.filtered_history(visible_past), model.filtered_history(hidden_past)
        h = sample_bernoulli(torch.sigmoid(model.hidden_input(v, v_tilde, h_tilde)), generator)
        return push_history(visible_past, v), push_history(hidden_past, h)

    for t in range(prime.shape[2]):
        visible_past, hidden_past = commit(prime[:, :, t], visible_past, hidden_past)
    frames = prime.new_zeros(num_models, batch, num_frames, num_visible)
    for t in range(num_frames):
        v_tilde, h_tilde = model.filtered_history(visible_past), model.filtered_history(hidden_past)
        v = sample_bernoulli(torch.sigmoid(model.dynamic_visible_bias(v_tilde, h_tilde)), generator)
        for _ in range(gibbs_steps):
            h = sample_bernoulli(torch.sigmoid(model.hidden_input(v, v_tilde, h_tilde)), generator)
            p_v = torch.sigmoid(model.visible_input(h, v_tilde, h_tilde))
            v = sample_bernoulli(p_v, generator)
        frames[:, :, t] = p_v
        visible_past, hidden_past = commit(v, visible_past, hidden_past)
    return frames


def evenly_spaced_angles(count: int, offset: float) -> Tensor:
    """$\\theta_k=\\text{offset}+2\\pi k/\\text{count}$, $k=0..\\text{count}-1$: starting angles that cover
    the circle."""
    return offset + 2 * math.pi * torch.arange(count, dtype=torch.float64) / count


@dataclasses.dataclass
class CircleEvaluation:
    """The ball-task metrics of a model stack (leading axis = model), over $S$ test sequences and $P$ primes.

    - ``one_step_error`` $(M,)$: mean one-step angle error in steps over frames $t\\ge D$ of every test
      sequence; ``copy_last_error``: the same for copying the last frame (1.0 in true angles);
    - ``predicted_angles`` $(M, S, T)$ and ``true_angles`` $(S, T)$ of the one-step test;
    - ``generated`` $(M, P, T_g, n_v)$ mean-field frames and ``generated_angles``;
    - ``frac_good`` and ``revolutions`` $(M, P)$; ``median_frac_good`` $(M,)$, the median over the primes.
    """

    one_step_error: Tensor
    copy_last_error: float
    predicted_angles: Tensor
    true_angles: Tensor
    predictions: Tensor
    generated: Tensor
    generated_angles: Tensor
    frac_good: Tensor
    revolutions: Tensor
    median_frac_good: Tensor


def evaluate_circle(
    model: TemporalBoltzmannMachine,
    task: CircleTask,
    generator: torch.Generator,
    *,
    num_test_sequences: int = 16,
    test_frames: int = 45,
    num_primes: int = 32,
    prime_frames: int = 6,
    generated_frames: int = 48,
    gibbs_steps: int = 30,
    average_last: int = 15,
    direction: float = 1.0,
) -> CircleEvaluation:
    """One-step test on ``num_test_sequences`` clamped sequences and generation from ``num_primes`` primes,
    for every model at once.

    Both sets of starting angles are spread evenly round the circle (:func:`evenly_spaced_angles`, offsets
    0.7 and 0.3 rad), so the medians and means are statistics over the whole circle, not over a few angles
    that happen to be easy or hard for one model.
    """
    device, num_models = model.W.device, model.num_models
    starts = evenly_spaced_angles(num_test_sequences, 0.7)
    true_angles = circle_angles(starts, test_frames, task, direction)
    test = intensity_to_spikes(render_circle(true_angles, task).float(), False, None).to(device)
    test = test.expand(num_models, *test.shape).contiguous()
    predictions = predict_next_frames(model, test, generator, gibbs_steps, average_last)
    predicted_angles = decode_angle(predictions.cpu().double(), task)
    scored = slice(model.history_length, None)
    errors = one_step_error(predicted_angles[..., scored], true_angles[..., scored], task).mean((-1, -2))
    copy_last = one_step_error(decode_angle(test[0, :, :-1].cpu().double(), task), true_angles[:, 1:], task)
    prime = intensity_to_spikes(
        render_circle(
            circle_angles(evenly_spaced_angles(num_primes, 0.3), prime_frames, task, direction), task
        ).float(),
        False,
        None,
    ).to(device)
    generated = generate(
        model, prime.expand(num_models, *prime.shape).contiguous(), generated_frames, generator, gibbs_steps
    )
    generated_angles = decode_angle(generated.cpu().double(), task)
    good = fraction_good(generated_angles, task, direction)
    return CircleEvaluation(
        errors,
        float(copy_last[:, model.history_length - 1 :].mean()),
        predicted_angles,
        true_angles,
        predictions.cpu(),
        generated.cpu(),
        generated_angles,
        good,
        revolutions(generated_angles),
        good.median(-1).values,
    )


def quartiles(values: Tensor) -> str:
    """``"median m (quartiles q1 to q3)"`` of the last axis of a 1-D tensor, for printing per-prime
    metrics."""
    low, median, high = torch.quantile(values.double(), torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
    return f"median {float(median):.2f} (quartiles {float(low):.2f} to {float(high):.2f})"


def ideal_revolutions(generated_frames: int, task: CircleTask) -> float:
    """$(T_g-1)/P$: the revolutions of a perfect generation (47/16 for 48 frames at $P=16$)."""
    return (generated_frames - 1) * task.step / (2 * math.pi)
