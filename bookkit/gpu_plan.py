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
import datetime as dt
import heapq
import importlib
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


WAITS_FOR = {"learning-to-learn/04-failure-modes-and-cost": "learning-to-learn/01-quadratics"}
"""Notebook -> the notebook whose trained model it loads and whose training its workload does not count. Run
at once, the second waits for the first to train it (``bookkit.training.load_or_train`` holds a lock), so it
cannot finish before the first has. (prednet/04 shares prednet/03's model too, but its workload counts the
training, which it does itself when run alone.)"""

RECORDED_ONLY = ("spiking-boltzmann/01-population-and-spike-codes", "spiking-boltzmann/02-the-model-exactly")
"""NumPy notebooks whose ``gpu`` preset is their ``full`` one, predicted by their recorded full-scale wall."""


def chapter_workloads() -> dict[str, Callable[[Any], Workload]]:
    """Notebook -> its workload function, from every chapter's ``bookkit/<chapter>/gpu_workloads.py``
    (imported as the runner imports presets, by the chapter's name: the core imports no paper)."""
    from bookkit.book_structure import CHAPTERS
    from bookkit.provenance import chapter_package

    workloads: dict[str, Callable[[Any], Workload]] = {}
    for chapter in CHAPTERS:
        module = importlib.import_module(f"bookkit.{chapter_package(chapter.slug)}.gpu_workloads")
        workloads.update(module.WORKLOADS)
    return workloads


def workload(notebook: str, scale: str) -> Workload:
    """The workload of ``notebook`` at ``scale`` (its presets resolved as its kernel resolves them)."""
    from bookkit.layout import Layout
    from bookkit.run_validation import notebook_presets

    (source,) = [s for s in Layout().all_sources() if s.name == notebook]
    presets = notebook_presets(source)
    if presets is None:
        raise KeyError(f"{notebook}: its presets are not static")
    config = presets.resolve(scale)
    if notebook in RECORDED_ONLY:
        return Workload(compute=float(sum(_numbers(config))))
    workloads = chapter_workloads()
    if notebook not in workloads:
        raise KeyError(f"{notebook} has no workload: add one to its chapter's gpu_workloads.py")
    return workloads[notebook](config)


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
    modelled = chapter_workloads()
    full = {name: workload(name, "full") for name in names if name in modelled}
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
        if waiting in predictions and trainer in predictions:
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


def plan_from_record(payload: Mapping[str, Any]) -> tuple[list[Prediction], float]:
    """The predictions and sharing factor a ``--json`` record keeps (``book/records/gpu-plan-*.json``), for
    pages that render the plan without importing the chapters' presets."""
    fields = {field.name for field in dataclasses.fields(Prediction)}
    predictions = [Prediction(**{k: v for k, v in p.items() if k in fields}) for p in payload["notebooks"]]
    return predictions, float(payload["sharing"])


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
            "date": dt.date.today().isoformat(),
            "device": "NVIDIA H200 (predicted)",
            "bench_record": BENCH_RECORD,
            "runs_record": RUNS_RECORD,
            "budget_s": BOOK_BUDGET_S,
            "sharing": sharing,
            "jobs": JOBS,
            "makespan_s": makespan([p.seconds for p in predictions]),
            "notebooks": [dataclasses.asdict(p) for p in predictions],
        }
        arguments.json.write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
