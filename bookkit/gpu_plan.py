"""The ``gpu`` scale's budget: each notebook's work and its predicted wall time on one H200.

A lent GPU machine (one H200, 16 CPU cores) is available for about fifteen minutes at a time, so the ``gpu``
presets are sized to finish the whole book within :data:`BOOK_BUDGET_S` of wall time there, with 16 notebooks
running at once. The prediction is a small model driven by measured rates, not by guesses:

- most of the book's loops are *latency-bound* on a GPU: a relaxation step, a CD update, a UORO step or a
  meta-training step is a handful of small kernels, and its time hardly changes with the width or the batch
  (the recorded benchmark shows the same 0.2 s for 4 and for 32 stacked Boltzmann machines). Such a phase
  costs its number of sequential steps times the measured seconds per step of its kind
  (:func:`step_seconds`, read from the recorded H200 benchmark table);
- PredNet training and RTRL at large widths are *throughput-bound*: they cost their arithmetic divided by the
  rate the benchmark achieved;
- the few notebooks that compute on the CPU (NumPy population codes, exact enumeration, frame rendering) cost
  their CPU work at the rate measured for it.

The wall time of one notebook is then

.. math::
    t = t_0 + s\\,\\sum_k n_k\\,\\tau_k + F / R_{\\mathrm{GPU}} + W_{\\mathrm{CPU}} / R_{\\mathrm{CPU}},

with :math:`t_0` the kernel start and imports, :math:`n_k` sequential steps of kind :math:`k` at
:math:`\\tau_k` seconds each, :math:`s` the slow-down of sharing one GPU among many processes (fitted on the
recorded full-scale H200 run by :func:`fitted_sharing`), :math:`F` throughput-bound arithmetic and
:math:`W_{\\mathrm{CPU}}` CPU work. A notebook whose ``gpu`` preset equals its ``full`` one and that finished
(or failed only at its claims) in the recorded full-scale H200 run is predicted by that measured wall time.

Each workload also gives the notebook's *compute* (:attr:`Workload.compute`, multiply-adds or the notebook's
own unit of work), the measure by which every ``gpu`` preset is at least ten times its ``ci`` one (or the
paper's size).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

BOOK_BUDGET_S = 600.0
"""The wall time the whole book may take at ``gpu`` scale on the lent machine."""

JOBS = 16
"""Notebooks run at once on the lent machine: one per CPU core, all sharing its one GPU."""

STARTUP_S = 20.0
"""Kernel start, imports and CUDA initialisation of one notebook when 16 start together (the recorded H200
run saw notebooks fail on an import error 22-23 s after the start, 24 starting at once)."""

GPU_FLOPS = 19.0e12
"""Arithmetic rate of a throughput-bound phase: the recorded PredNet KITTI training step (fp32, batch 4,
128x160) achieved 19.0 TFLOP/s on the H200."""

RENDER_S_PER_PIXEL = {"heads": 590e-9, "car": 40e-9, "balls": 12e-9}
"""CPU seconds to render one pixel (one channel) of a frame of each PredNet world, measured with one thread on
this book's CPU machine (heads at 64x64: 2.4 ms a frame; car at 128x160: 2.4 ms a frame)."""

RECORDED_JOBS = 24
"""Notebooks that shared the GPU in the recorded full-scale H200 run the sharing factor is fitted on. A GPU
time-slices between processes, so the slow-down is taken proportional to the number sharing it: at
:data:`JOBS` it is ``JOBS / RECORDED_JOBS`` of the fitted one."""

BENCH_RECORD = "book/records/bench-2026-11-27-h200.json"
RUNS_RECORD = "book/records/runs-full-2026-11-27-h200.json"

STEP_ROWS: dict[str, tuple[str, str, float]] = {
    "relax": ("relaxation, 256 inputs x 100 Euler steps, 64-100-100-10", "subject_s", 100),
    "ep_epoch": ("one training epoch on digits (1297 images), 64-100-10", "subject_s", 1),
    "bp_epoch": ("one training epoch on digits (1297 images), 64-100-10", "baseline_s", 1),
    "cd": ("CD training, 32 models", "subject_s", 960 / 4),
    "meta": ("meta-training window (20 steps) vs ADAM rollout, 320 coordinates", "subject_s", 20),
    "rollout": ("meta-training window (20 steps) vs ADAM rollout, 320 coordinates", "baseline_s", 20),
    "uoro": ("UORO / forward, n=256", "subject_s", 200),
    "forward": ("UORO / forward, n=256", "baseline_s", 200),
    "tbptt": ("UORO / TBPTT-1, n=256", "baseline_s", 200),
    "prednet": ("train vs inference, ci heads", "subject_s", 1),
    "prednet_inference": ("train vs inference, ci heads", "baseline_s", 1),
}
"""Kind of sequential step -> (benchmark row, column, steps per timed call). ``relax``: one Euler step of a
batched relaxation of a network with three weight layers (a deeper one takes proportionally longer: one
kernel chain per layer); ``ep_epoch`` and ``bp_epoch``: one epoch of Equilibrium Propagation (with its
evaluation) and of back-prop on the 1297 training digits at batch 20; ``cd``: one CD update of stacked
machines; ``meta``
and ``rollout``: one optimizee step with and without the meta-gradient graph; ``uoro``, ``forward``,
``tbptt``: one online step, batch 1; ``prednet``: the floor of one PredNet training step (a small model at
batch 8, where launches, not arithmetic, take the time) and ``prednet_inference`` of one inference pass."""


def step_seconds(bench: Mapping[str, Any]) -> dict[str, float]:
    """Seconds per sequential step of each kind of :data:`STEP_ROWS`, from a benchmark table's rows."""
    rows = {row["name"]: row for row in bench["rows"]}
    return {kind: rows[name][column] / per_call for kind, (name, column, per_call) in STEP_ROWS.items()}


@dataclasses.dataclass(frozen=True)
class Workload:
    """What one notebook does at one preset.

    ``steps`` counts sequential steps by kind (see :data:`STEP_ROWS`), ``gpu_flops`` is throughput-bound
    arithmetic, ``cpu_s`` CPU seconds (rendering frames), and ``compute`` the notebook's work in its own unit
    (multiply-adds, mostly), the measure compared between presets.
    """

    compute: float
    steps: Mapping[str, float] = dataclasses.field(default_factory=dict)
    gpu_flops: float = 0.0
    cpu_s: float = 0.0

    def seconds(self, rates: Mapping[str, float], sharing: float) -> float:
        r"""The notebook's predicted wall time, :math:`t_0 + s\sum_k n_k\tau_k + F/R + W/R_{\mathrm{CPU}}`."""
        latency = sum(count * rates[kind] for kind, count in self.steps.items())
        return STARTUP_S + sharing * latency + self.gpu_flops / GPU_FLOPS + self.cpu_s


def _layers(sizes: tuple[int, ...]) -> float:
    """Relaxation steps of ``sizes`` in units of the benchmarked three-layer network's."""
    return (len(sizes) - 1) / 3


def _dense_macs(sizes: tuple[int, ...]) -> int:
    """Multiply-adds of one pass through a layered network of ``sizes`` (one matrix per adjacent pair)."""
    return sum(a * b for a, b in itertools.pairwise(sizes))


# ebm-backprop: relaxations are batched over inputs (and chains); one Euler step moves every layer once.


def _relaxation(cfg: Any) -> Workload:
    runs = len(cfg.gains) + 2  # smooth at every gain, box and naive hard sigmoid at the pitfall gain
    langevin = cfg.burn_in_steps + cfg.num_snapshots * cfg.snapshot_every
    chains = len(cfg.temperatures) * cfg.num_chains
    macs = _dense_macs(cfg.sizes)
    return Workload(
        compute=2 * macs * (runs * cfg.num_steps * cfg.num_digits + langevin * chains),
        steps={"relax": (runs * cfg.num_steps + langevin) * _layers(cfg.sizes)},
    )


def _first_arrival(cfg: Any) -> Workload:
    relaxations = 2 * len(cfg.gains) * cfg.free_steps  # smooth and box fixed points at every gain
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * relaxations * cfg.num_digits,
        steps={"relax": relaxations * _layers(cfg.sizes)},
    )


def _langevin(cfg: Any) -> Workload:
    chains = len(cfg.temperatures) * cfg.num_chains
    noisy = 2 * cfg.burn_in_steps  # shared and independent noise
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * (cfg.free_steps + noisy * chains),
        steps={"relax": (cfg.free_steps + noisy) * _layers(cfg.sizes)},
    )


def _trajectory(cfg: Any) -> Workload:
    per_gain = cfg.free_steps + cfg.ep_nudged_steps + (len(cfg.betas) + 2) * cfg.num_nudged_steps
    steps = len(cfg.gains) * per_gain
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * steps * cfg.num_digits,
        steps={"relax": steps * _layers(cfg.sizes)},
    )


def _digits_ep(cfg: Any) -> Workload:
    batches = math.ceil(cfg.num_train / cfg.batch_size)
    ep_steps = (
        len(cfg.learning_rates)
        * cfg.epochs
        * (batches * (cfg.free_steps + cfg.nudged_steps) + cfg.eval_steps)
    )
    bp_steps = len(cfg.bp_learning_rates) * cfg.epochs * batches
    macs = _dense_macs(cfg.sizes)
    train = cfg.num_train / 1297  # the benchmarked epoch's share
    return Workload(
        compute=2 * macs * cfg.batch_size * (ep_steps + 3 * bp_steps),
        steps={
            "ep_epoch": train * len(cfg.learning_rates) * cfg.epochs,
            "bp_epoch": train * len(cfg.bp_learning_rates) * cfg.epochs,
        },
    )


# spiking-boltzmann: CD updates one time step of a minibatch, stacked over models; 01 and 02 are CPU code.


def _circle_visible(cfg: Any) -> int:
    return int(cfg.grid) ** 2


def _circle(cfg: Any) -> Workload:
    """03: temporal machine and RBM trained side by side (stacked over seeds), then generation and exact
    likelihoods of small machines."""
    updates = cfg.num_minibatches * cfg.num_frames
    generation = cfg.generated_frames * cfg.gibbs_steps  # every prime at once
    per_step = cfg.batch_size * _circle_visible(cfg) * cfg.num_hidden * cfg.history_length
    return Workload(
        compute=2 * cfg.num_seeds * (updates + generation) * per_step, steps={"cd": updates + generation}
    )


def _ablations(cfg: Any) -> Workload:
    """04: the ablation variants stacked at every depth, then the stress tests (longer runs)."""
    updates = (cfg.num_minibatches + cfg.stress_minibatches) * cfg.num_frames
    variants = 4 * len(cfg.ablation_depths)
    per_step = cfg.batch_size * _circle_visible(cfg) * cfg.num_hidden * cfg.history_length
    return Workload(compute=2 * variants * updates * per_step, steps={"cd": updates})


def _followups(cfg: Any) -> Workload:
    """05: the kernel-tied machine, a CRBM and an RTRBM on two tasks; one update per time step for the first,
    a back-propagated sequence loss per minibatch (forward and backward over the frames) for the others."""
    updates = 2 * cfg.num_minibatches * cfg.num_frames * 3
    visible = max(100, cfg.balls_resolution**2)
    per_step = cfg.batch_size * visible * cfg.num_hidden * cfg.history_length
    return Workload(compute=2 * updates * per_step, steps={"cd": updates})


# uoro: online loops step one time step of batch 1 (or of all learners/seeds at once).


def _exactness(cfg: Any) -> Workload:
    """01: exactness and truncation at one size; then the cost table, stepping each method ``cost_rounds``
    times at every size, where RTRL's n x dim(theta) influence matrix makes it throughput-bound (n^4)."""
    exactness = 2 * cfg.seq_len * (len(cfg.truncations) + 2)
    cost = len(cfg.cost_sizes) * 3 * cfg.cost_rounds + 4 * 3 * cfg.cost_rounds
    rtrl = sum(cfg.cost_rounds * 2 * n**4 for n in cfg.cost_sizes if n <= cfg.rtrl_max_size)
    return Workload(
        compute=rtrl + sum(cfg.cost_rounds * 2 * n**2 for n in cfg.cost_sizes),
        steps={"uoro": exactness + cost},
        gpu_flops=rtrl,
    )


def _statistics(cfg: Any) -> Workload:
    """02: UORO samples batched; the longest sweep run sets the sequential steps."""
    steps = cfg.steps + max(cfg.sweep_steps) + cfg.rnn_steps
    compute = (
        cfg.steps * cfg.num_samples
        + sum(cfg.sweep_steps) * cfg.sweep_samples
        + cfg.rnn_steps * cfg.rnn_samples * cfg.rnn_hidden_size**2
    )
    return Workload(compute=2 * compute, steps={"uoro": steps})


def _influence(cfg: Any) -> Workload:
    """03: TBPTT at every window (batched), RTRL, and UORO at every rate with all seeds batched; the system is
    linear and small, so a step costs what a forward step of the benchmarked RNN does."""
    steps = cfg.tbptt_updates * 2 + cfg.online_steps * (1 + len(cfg.uoro_lrs))
    per_step = cfg.n * cfg.n * (cfg.n + cfg.p)
    compute = per_step * (
        cfg.tbptt_updates * sum(cfg.truncations) + cfg.online_steps * (1 + len(cfg.uoro_lrs) * cfg.num_seeds)
    )
    return Workload(compute=2 * compute, steps={"forward": steps})


def _cell_macs(cell: str, hidden: int, vocabulary: int) -> int:
    gates = 3 if cell == "GRU" else 1
    return gates * hidden * (hidden + vocabulary) + hidden * vocabulary


def _streams(cfg: Any) -> Workload:
    """04: on two tasks, UORO then TBPTT, each stepping all learners at once."""
    tasks = 2
    macs = _cell_macs(cfg.cell, cfg.hidden_size, 8)
    compute = tasks * cfg.steps * cfg.learners * macs * (3 + cfg.truncation)
    return Workload(
        compute=2 * compute,
        steps={"uoro": tasks * cfg.steps, "tbptt": tasks * cfg.steps * cfg.truncation / 2},
    )


def _charlm(cfg: Any) -> Workload:
    """05: UORO training monitored by exact RTRL and SnAp-1 every ``monitor_every`` steps, then TBPTT at every
    window; all streams at once."""
    macs = _cell_macs("GRU", cfg.hidden_size, cfg.vocabulary)
    monitors = cfg.steps // cfg.monitor_every
    rtrl = monitors * cfg.num_streams * 2 * cfg.hidden_size * macs * cfg.hidden_size
    compute = cfg.steps * cfg.num_streams * macs * (3 + sum(cfg.truncations)) + rtrl
    return Workload(
        compute=2 * compute,
        steps={"uoro": cfg.steps + 2 * monitors, "tbptt": cfg.steps * len(cfg.truncations)},
        gpu_flops=2 * rtrl,
    )


# learning-to-learn: a meta-epoch optimizes one batch of problems for num_steps steps, one window at a time.


def _quadratics(cfg: Any) -> Workload:
    meta = cfg.num_epochs * cfg.num_steps
    validation = (cfg.num_epochs // cfg.validate_every) * cfg.num_steps
    rollouts = validation + 4 * len(cfg.rates) * cfg.num_steps + 5 * cfg.long_steps
    coordinates = cfg.dim * (cfg.dim + 1)
    compute = coordinates * (meta * cfg.functions_per_epoch + validation * cfg.num_validation)
    compute += coordinates * 5 * cfg.long_steps * cfg.num_test
    return Workload(compute=2 * 500 * compute, steps={"meta": meta, "rollout": rollouts})


def _digits_problem_macs(cfg: Any) -> int:
    inputs = 784 if cfg.dataset == "mnist" else 64
    return cfg.batch_size * (inputs * cfg.hidden_size + cfg.hidden_size * 10)


def _digits_l2l(cfg: Any) -> Workload:
    meta = cfg.num_epochs * cfg.num_steps
    rates = len(cfg.adam_rates) + len(cfg.nag_rates) + len(cfg.rmsprop_rates) + len(cfg.sgd_rates)
    settings = 3 + len(cfg.sweep_widths) * len(cfg.sweep_depths)
    validation = (cfg.num_epochs // cfg.validate_every) * cfg.num_steps
    rollouts = validation + rates * cfg.num_steps + settings * 5 * cfg.long_steps
    macs = _digits_problem_macs(cfg)
    compute = macs * (
        3 * meta
        + validation * cfg.validation_runs
        + rates * cfg.num_steps * cfg.validation_runs
        + settings * 5 * cfg.long_steps * (cfg.test_runs + cfg.transfer_runs)
    )
    return Workload(compute=2 * compute, steps={"meta": meta, "rollout": rollouts})


def _convnet(cfg: Any) -> Workload:
    sets = len(cfg.label_sets)
    trainings = sets + (sum(name != "digits-10" for name in cfg.label_sets) if cfg.train_sub else 0)
    meta = trainings * cfg.num_epochs * cfg.num_steps
    rates = len(cfg.adam_rates) + len(cfg.nag_rates) + len(cfg.rmsprop_rates) + len(cfg.sgd_rates)
    rollouts = sets * (rates + 5) * cfg.num_steps
    macs = cfg.batch_size * (
        64 * 9 * cfg.channels + 16 * cfg.channels * cfg.hidden_size + cfg.hidden_size * 10
    )
    compute = macs * (3 * meta + rollouts * (cfg.validation_runs + cfg.test_runs))
    return Workload(compute=2 * compute, steps={"meta": meta, "rollout": rollouts})


def _failure_modes(cfg: Any, quadratics: Any, digits: Any) -> Workload:
    """04: meta-trains with notebook 2's digits preset (the preprocessing ablation) and, where asked, the
    collapse runs; the horizon test, unroll-length gradients and throughput rows are rollouts."""
    ablation = _digits_l2l(digits)
    collapse = len(cfg.collapse_meta_lrs) * cfg.collapse_seeds * cfg.collapse_epochs * digits.num_steps
    gradients = len(cfg.unroll_lengths) * cfg.gradient_batches * 100
    rollouts = 2 * cfg.horizon_steps + gradients + len(cfg.throughput_functions) * 100
    quadratic_macs = quadratics.dim * (quadratics.dim + 1)
    compute = ablation.compute + 2 * _digits_problem_macs(digits) * 3 * collapse
    compute += (
        2
        * quadratic_macs
        * 500
        * (
            gradients * cfg.gradient_functions
            + 100 * sum(cfg.throughput_functions)
            + 2 * cfg.horizon_steps * 128
        )
    )
    return Workload(
        compute=compute,
        steps={"meta": ablation.steps["meta"] + collapse, "rollout": rollouts + ablation.steps["rollout"]},
    )


# prednet: training steps are throughput-bound at the faces and KITTI sizes, launch-bound below.


def _prednet_training(
    stacks: tuple[int, ...], height: int, width: int, steps: int, batch: int, frames: int = 10
):
    from bookkit.prednet.model import prednet_macs_per_frame

    macs = prednet_macs_per_frame(stacks, height, width) * batch * frames * steps
    return 3 * macs, {"prednet": steps}


def _architecture(cfg: Any) -> Workload:
    macs, steps = _prednet_training(cfg.stacks, cfg.size, cfg.size, cfg.num_steps, cfg.batch_size)
    return Workload(compute=macs, steps=steps, gpu_flops=2 * macs)


def _render_s(world: str, frames: float, height: int, width: int) -> float:
    channels = 3 if world == "car" else 1
    return frames * height * width * channels * RENDER_S_PER_PIXEL[world]


def _worlds(cfg: Any) -> Workload:
    """02: renders every world (two of them twice, to check seeding) and scores copy-last on it."""
    frames = cfg.num_sequences * cfg.num_frames
    heads = frames * 2 + cfg.identity_faces * 56
    seconds = _render_s("heads", heads, cfg.head_size, cfg.head_size)
    seconds += _render_s("balls", frames, cfg.head_size, cfg.head_size)
    seconds += _render_s("car", 3 * frames, cfg.car_height, cfg.car_width)
    pixels = heads * cfg.head_size**2 + frames * (cfg.head_size**2 + 9 * cfg.car_height * cfg.car_width)
    return Workload(compute=pixels, cpu_s=seconds)


def _heads(cfg: Any, trainings: int, readouts: int) -> Workload:
    macs, steps = _prednet_training(cfg.stacks, cfg.size, cfg.size, cfg.num_steps, cfg.batch_size)
    from bookkit.prednet.model import prednet_macs_per_frame

    inference = prednet_macs_per_frame(cfg.stacks, cfg.size, cfg.size) * readouts * 10
    return Workload(
        compute=trainings * macs + inference,
        steps={"prednet": trainings * steps["prednet"], "prednet_inference": readouts / 16},
        gpu_flops=2 * (trainings * macs + inference),
        cpu_s=_render_s("heads", 10 * (cfg.num_train + readouts), cfg.size, cfg.size),
    )


def _next_frame(cfg: Any) -> Workload:
    return _heads(cfg, 1 + int(cfg.train_control) + int(cfg.train_lall), cfg.num_test)


def _decoding(cfg: Any) -> Workload:
    readouts = cfg.num_readout_train + cfg.num_readout_test + cfg.identity_faces * max(cfg.views_per_face)
    return _heads(cfg, 1 + int(cfg.decode_lall), readouts)


def _car(cfg: Any) -> Workload:
    macs, steps = _prednet_training(cfg.stacks, cfg.height, cfg.width, cfg.num_steps, cfg.batch_size)
    tune_macs, tune_steps = _prednet_training(
        cfg.stacks, cfg.height, cfg.width, cfg.finetune_steps, cfg.batch_size, cfg.extrap_frames
    )
    total = macs + tune_macs
    readouts = max(cfg.label_counts) + cfg.num_readout_test
    frames = 10 * cfg.num_train + 2 * 10 * cfg.num_test + readouts * (cfg.readout_step + 1)
    frames += cfg.extrap_frames * (cfg.num_train + cfg.num_test)
    return Workload(
        compute=total,
        steps={"prednet": steps["prednet"] + tune_steps["prednet"]},
        gpu_flops=2 * total,
        cpu_s=_render_s("car", frames, cfg.height, cfg.width),
    )


def _real_video(cfg: Any) -> Workload:
    """06: PredNet trained on crops of a real video, then scored on held-out clips (decoding the video is
    small beside the training)."""
    height, width = cfg.size
    macs, steps = _prednet_training(cfg.stacks, height, width, cfg.num_steps, cfg.batch_size)
    return Workload(compute=macs, steps=steps, gpu_flops=2 * macs)


WORKLOADS: dict[str, Callable[[Any], Workload]] = {
    "ebm-backprop/01-energy-and-relaxation": _relaxation,
    "ebm-backprop/02-early-inference-is-backprop": _first_arrival,
    "ebm-backprop/03-langevin-early-inference": _langevin,
    "ebm-backprop/04-nudged-phase-vs-bptt": _trajectory,
    "ebm-backprop/05-local-rule-learns-digits": _digits_ep,
    "learning-to-learn/01-quadratics": _quadratics,
    "learning-to-learn/02-mlp-digits": _digits_l2l,
    "learning-to-learn/03-convnet-label-subsets": _convnet,
    "prednet/01-architecture": _architecture,
    "prednet/02-synthetic-worlds": _worlds,
    "prednet/03-next-frame-faces": _next_frame,
    "prednet/04-latent-decoding": _decoding,
    "prednet/05-car-camera": _car,
    "prednet/06-real-video": _real_video,
    "spiking-boltzmann/03-ball-on-a-circle": _circle,
    "spiking-boltzmann/04-ablations-and-stress-tests": _ablations,
    "spiking-boltzmann/05-beyond-crbm-and-rtrbm": _followups,
    "uoro/01-rtrl-bptt-truncation": _exactness,
    "uoro/02-estimator-statistics": _statistics,
    "uoro/03-influence-balancing": _influence,
    "uoro/04-anbn-and-brackets": _streams,
    "uoro/05-charlm-and-snap": _charlm,
}
"""Notebook -> its workload at a preset. Notebooks not here (CPU code whose ``gpu`` preset is its ``full``
one, predicted by its recorded wall time) and learning-to-learn/04 (which also reads two other presets) are
handled by :func:`workload`."""

WAITS_FOR = {
    "learning-to-learn/04-failure-modes-and-cost": "learning-to-learn/01-quadratics",
    "prednet/04-latent-decoding": "prednet/03-next-frame-faces",
}
"""Notebook -> the notebook whose trained model it loads. Run at once, the second waits for the first to
train it (``bookkit.training.load_or_train`` holds a lock), so it cannot finish before the training has; for
prednet/04 the training is in its own workload already (it trains the same model when run alone)."""

RECORDED_ONLY = ("spiking-boltzmann/01-population-and-spike-codes", "spiking-boltzmann/02-the-model-exactly")
"""NumPy notebooks whose ``gpu`` preset is their ``full`` one, predicted by their recorded full-scale wall."""


def workload(notebook: str, scale: str) -> Workload:
    """The workload of ``notebook`` at ``scale`` (its presets resolved as its kernel resolves them)."""
    from bookkit.layout import Layout
    from bookkit.run_validation import notebook_presets

    (source,) = [s for s in Layout().all_sources() if s.name == notebook]
    presets = notebook_presets(source)
    if presets is None:
        raise KeyError(f"{notebook}: its presets are not static")
    config = presets.resolve(scale)
    if notebook == "learning-to-learn/04-failure-modes-and-cost":
        from bookkit.learning_to_learn.presets import DIGITS, QUADRATICS

        return _failure_modes(config, QUADRATICS.resolve(scale), DIGITS.resolve(scale))
    if notebook in RECORDED_ONLY:
        return Workload(compute=float(sum(_numbers(config))))
    return WORKLOADS[notebook](config)


def _numbers(config: Any) -> list[float]:
    """Every number in a preset (tuples flattened): a crude size measure for the CPU notebooks."""
    values: list[float] = []
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        items = value if isinstance(value, tuple) else (value,)
        values += [float(v) for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return values


def recorded_walls(runs: Mapping[str, Any]) -> dict[str, float]:
    """Wall times of the notebooks a full-scale record saw run to the end (finished, or failed at a claim
    after computing all of them) on a GPU, among many at once: reruns of a few notebooks in a later lease
    (``"rerun": true``, three at a time) shared the GPU with fewer processes and are left out."""
    return {
        entry["notebook"]: float(entry["wall_s"])
        for entry in runs["notebooks"]
        if entry.get("wall_s")
        and not entry.get("rerun")
        and "cuda" in (entry.get("device_name") or "")
        and (entry["state"] == "finished" or "ClaimsFailed" in (entry.get("error") or ""))
    }


def fitted_sharing(
    rates: Mapping[str, float], walls: Mapping[str, float], full: Mapping[str, Workload]
) -> float:
    r"""The slow-down :math:`s` of a latency-bound step when many notebooks share the GPU: the geometric mean,
    over the recorded notebooks the model covers, of (recorded wall - start - throughput part) / latency part.
    """
    ratios = []
    for notebook, wall in walls.items():
        load = full.get(notebook)
        if load is None or not load.steps:
            continue
        latency = sum(count * rates[kind] for kind, count in load.steps.items())
        rest = wall - STARTUP_S - load.gpu_flops / GPU_FLOPS - load.cpu_s
        if rest > 0 and latency > 0:
            ratios.append(rest / latency)
    if not ratios:
        return 1.0
    return math.exp(sum(map(math.log, ratios)) / len(ratios))


@dataclasses.dataclass(frozen=True)
class Prediction:
    notebook: str
    seconds: float
    basis: str
    """``model`` or ``recorded`` (the full preset's measured wall on the H200)."""
    compute_ratio: float
    """Compute at ``gpu`` over compute at ``ci``."""
    same_as_full: bool


def _load(path: str) -> dict[str, Any]:
    from bookkit.layout import Layout

    return json.loads((Layout().repo_root / path).read_text())


def predict_book(scale: str = "gpu") -> tuple[list[Prediction], float]:
    """Every notebook's predicted wall time at ``scale`` on the H200 and the fitted sharing factor."""
    from bookkit.layout import Layout
    from bookkit.run_validation import notebook_presets

    rates = step_seconds(_load(BENCH_RECORD))
    walls = recorded_walls(_load(RUNS_RECORD))
    names = [s.name for s in Layout().all_sources()]
    full = {name: workload(name, "full") for name in names if name in WORKLOADS}
    sharing = fitted_sharing(rates, walls, full) * JOBS / RECORDED_JOBS
    predictions: dict[str, Prediction] = {}
    for source in Layout().all_sources():
        presets = notebook_presets(source)
        same = presets is not None and presets.resolve(scale) == presets.resolve("full")
        load, ci = workload(source.name, scale), workload(source.name, "ci")
        if same and source.name in walls:
            seconds, basis = walls[source.name], "recorded"
        else:
            seconds, basis = load.seconds(rates, sharing), "model"
        predictions[source.name] = Prediction(
            source.name, seconds, basis, load.compute / max(ci.compute, 1e-12), same
        )
    for waiting, trainer in WAITS_FOR.items():
        if waiting in predictions and trainer in predictions and waiting not in WORKLOADS:
            own, first = predictions[waiting], predictions[trainer]
            predictions[waiting] = dataclasses.replace(own, seconds=own.seconds + first.seconds - STARTUP_S)
    return list(predictions.values()), sharing


def makespan(seconds: list[float], jobs: int = JOBS) -> float:
    """Wall time of tasks of ``seconds`` on ``jobs`` slots, longest first (as the runner orders them)."""
    slots = [0.0] * max(1, jobs)
    for duration in sorted(seconds, reverse=True):
        heapq.heapreplace(slots, slots[0] + duration)
    return max(slots)


def plan_table(predictions: list[Prediction], sharing: float) -> str:
    """A Markdown table of the predictions, longest first, and the book's predicted wall time."""
    lines = [
        "| notebook | predicted wall (s) | from | compute vs ci | gpu preset |",
        "|---|---:|---|---:|---|",
    ]
    for p in sorted(predictions, key=lambda p: -p.seconds):
        lines.append(
            f"| {p.notebook} | {p.seconds:.0f} | {p.basis} | {p.compute_ratio:.3g}x | "
            f"{'= full' if p.same_as_full else 'own'} |"
        )
    total = makespan([p.seconds for p in predictions])
    lines += [
        "",
        f"Longest first on {JOBS} jobs: the book takes about {total:.0f} s (budget {BOOK_BUDGET_S:.0f} s); "
        f"sharing factor {sharing:.2f} at {JOBS} jobs, from the one fitted on the recorded full-scale H200 "
        "run "
        f"({RECORDED_JOBS} jobs).",
    ]
    return "\n".join(lines)


def ordered_notebooks(predictions: list[Prediction]) -> list[str]:
    """Notebook names longest predicted first: the order to hand the runner on the GPU machine."""
    return [p.notebook for p in sorted(predictions, key=lambda p: -p.seconds)]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bookkit.gpu_plan", description=__doc__.splitlines()[0])
    parser.add_argument("--order", action="store_true", help="print only the notebooks, longest first")
    parser.add_argument("--json", type=Path, default=None, help="also write the predictions to this file")
    arguments = parser.parse_args(argv)
    predictions, sharing = predict_book()
    if arguments.order:
        print(" ".join(ordered_notebooks(predictions)))
    else:
        print(plan_table(predictions, sharing))
    if arguments.json:
        payload = {
            "sharing": sharing,
            "jobs": JOBS,
            "makespan_s": makespan([p.seconds for p in predictions]),
            "notebooks": [dataclasses.asdict(p) for p in predictions],
        }
        arguments.json.write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
