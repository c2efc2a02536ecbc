"""PredNet hot kernels, each timed against a baseline in the same process.

Rows (``quick`` keeps the small ci configurations and skips compilation):
- training step (forward, backward, Adam) against inference, frames/s and achieved GFLOP/s in the note;
- channels-last against the default memory layout (inference);
- data generation against inference: is the generator cheap next to the model?
- full only: the KITTI (128x160, batch 4) and faces (64x64, batch 16) configurations, ``torch.compile``
  against eager (outputs compared), and on a GPU bf16 autocast against fp32 with peak memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import torch

from bookkit.benchmarking import Comparison, compare
from bookkit.prednet.data import rotating_heads
from bookkit.prednet.model import (
    FACES_STACKS,
    KITTI_STACKS,
    PredNet,
    VideoOutput,
    layer_weights,
    prednet_loss,
    prednet_macs_per_frame,
)

CHAPTER = "prednet"
PEAK_FLOPS = {"H100": {"fp32": 67e12, "bf16": 989e12}, "H200": {"fp32": 67e12, "bf16": 989e12}}
"""Dense peak FLOP/s of known GPUs (SXM datasheets), for the achieved-fraction note."""


def _peak_note(device: str, precision: str, flops_per_s: float) -> str:
    if not device.startswith("cuda"):
        return ""
    name = torch.cuda.get_device_name(torch.device(device))
    for key, peaks in PEAK_FLOPS.items():
        if key in name:
            return f", {100 * flops_per_s / peaks[precision]:.1f}% of {key} {precision} peak"
    return ""


def _setup(stacks: tuple[int, ...], batch: int, steps: int, height: int, width: int, device: str):
    model = PredNet(stacks, seed=0).to(device)
    frames = torch.rand(batch, steps, stacks[0], height, width, generator=torch.Generator().manual_seed(0))
    return model, frames.to(device)


def _train_step(
    model: PredNet,
    frames: torch.Tensor,
    optimiser: torch.optim.Optimizer,
    autocast: torch.dtype | None = None,
):
    def step() -> None:
        with torch.autocast(frames.device.type, dtype=autocast, enabled=autocast is not None):
            out = model(frames)
            loss = prednet_loss(out.layer_errors.float(), layer_weights("L_0", model.num_layers))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    return step


def _inference(
    model: Callable[[torch.Tensor], VideoOutput], frames: torch.Tensor, autocast: torch.dtype | None = None
) -> Callable[[], torch.Tensor]:
    @torch.no_grad()
    def run() -> torch.Tensor:
        with torch.autocast(frames.device.type, dtype=autocast, enabled=autocast is not None):
            return model(frames).predictions

    return run


def train_vs_inference(
    name: str,
    stacks: tuple[int, ...],
    batch: int,
    height: int,
    width: int,
    device: str,
    repeats: int,
    autocast: torch.dtype | None = None,
) -> Comparison:
    """A training step against inference on the same clips; frames/s and GFLOP/s in the note."""
    model, frames = _setup(stacks, batch, 10, height, width, device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    row = compare(
        CHAPTER,
        name,
        ("train step", _train_step(model, frames, optimiser, autocast)),
        ("inference", _inference(model, frames, autocast)),
        repeats=repeats,
        device=device,
    )
    frames_count = batch * 10
    macs = prednet_macs_per_frame(stacks, height, width)
    train_flops = 3 * 2 * macs * frames_count / row.subject_s  # backward costs about twice the forward
    precision = "bf16" if autocast == torch.bfloat16 else "fp32"
    memory = (
        f", peak {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if device.startswith("cuda") else ""
    )
    note = (
        f"{stacks} at {height}x{width}, batch {batch}, {precision}: train {frames_count / row.subject_s:.0f} "
        f"frames/s ({train_flops / 1e9:.1f} GFLOP/s{_peak_note(device, precision, train_flops)}), "
        f"inference {frames_count / row.baseline_s:.0f} frames/s{memory}"
    )
    return Comparison(**{**row.__dict__, "note": note})


def channels_last_vs_default(device: str, repeats: int) -> Comparison:
    model, frames = _setup((1, 16, 32), 16, 10, 32, 32, device)
    # Module.to(memory_format=...) works at run time, but torch's stubs list no overload for it
    fast = PredNet((1, 16, 32), seed=0).to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    fast_run = _inference(fast, frames)
    diff = (fast_run() - _inference(model, frames)()).abs().max().item()
    return compare(
        CHAPTER,
        "channels-last inference",
        ("channels_last", fast_run),
        ("contiguous", _inference(model, frames)),
        repeats=repeats,
        device=device,
        note=f"(1, 16, 32) at 32x32, batch 16; max |difference| {diff:.1e}",
    )


def generation_vs_inference(device: str, repeats: int) -> Comparison:
    model, frames = _setup((1, 16, 32), 16, 10, 32, 32, device)
    generator = torch.Generator().manual_seed(0)
    return compare(
        CHAPTER,
        "heads generation vs model",
        ("render 16 clips", lambda: rotating_heads(16, 10, 32, generator, device=device)),
        ("inference on 16 clips", _inference(model, frames)),
        repeats=repeats,
        device=device,
        note="32x32 heads, 10 frames, 2x supersampled",
    )


def compiled_vs_eager(
    stacks: tuple[int, ...], batch: int, height: int, width: int, device: str, repeats: int
) -> Comparison:
    """``torch.compile`` inference against eager; compile time and output agreement go in the note."""
    model, frames = _setup(stacks, batch, 10, height, width, device)
    compiled = torch.compile(model)
    start = time.perf_counter()
    compiled_out = _inference(compiled, frames)()
    compile_s = time.perf_counter() - start
    diff = (compiled_out - _inference(model, frames)()).abs().max().item()
    return compare(
        CHAPTER,
        f"torch.compile {stacks}",
        ("compiled", _inference(compiled, frames)),
        ("eager", _inference(model, frames)),
        repeats=repeats,
        device=device,
        note=f"{height}x{width}, batch {batch}; compile {compile_s:.0f} s; max |out diff| {diff:.1e}",
    )


def bf16_vs_fp32(
    stacks: tuple[int, ...], batch: int, height: int, width: int, device: str, repeats: int
) -> Comparison:
    """A bf16-autocast training step against fp32 (the ConvLSTM cell state stays in the autocast dtype
    policy of torch: convolutions in bf16, pointwise ops as they come); the loss drift is in the note."""
    model, frames = _setup(stacks, batch, 10, height, width, device)
    reference = PredNet(stacks, seed=0).to(device)
    with torch.no_grad():
        full = prednet_loss(reference(frames).layer_errors, layer_weights("L_0", reference.num_layers)).item()
        with torch.autocast(frames.device.type, dtype=torch.bfloat16):
            half = prednet_loss(
                model(frames).layer_errors.float(), layer_weights("L_0", model.num_layers)
            ).item()
    fast = _train_step(model, frames, torch.optim.Adam(model.parameters(), lr=1e-3), torch.bfloat16)
    slow = _train_step(reference, frames, torch.optim.Adam(reference.parameters(), lr=1e-3))
    return compare(
        CHAPTER,
        f"bf16 vs fp32 train step {stacks}",
        ("bf16 autocast", fast),
        ("fp32", slow),
        repeats=repeats,
        device=device,
        note=f"{height}x{width}, batch {batch}; initial loss fp32 {full:.5f}, bf16 {half:.5f}",
    )


def benchmarks(quick: bool = True, device: str = "cpu") -> Iterator[Comparison]:
    """The chapter's benchmark rows, yielded as measured; ``quick`` finishes in well under 20 s on one CPU
    thread. Compilation comes last: it is the slowest row to set up."""
    repeats = 3 if quick else 5
    yield train_vs_inference("train vs inference, ci heads", (1, 16, 32), 8, 32, 32, device, repeats)
    yield channels_last_vs_default(device, repeats)
    yield generation_vs_inference(device, repeats)
    if quick:
        return
    yield train_vs_inference("train vs inference, faces", FACES_STACKS, 16, 64, 64, device, repeats)
    yield train_vs_inference("train vs inference, KITTI", KITTI_STACKS, 4, 128, 160, device, repeats)
    if device.startswith("cuda"):
        yield train_vs_inference(
            "bf16 train vs inference, KITTI",
            KITTI_STACKS,
            4,
            128,
            160,
            device,
            repeats,
            autocast=torch.bfloat16,
        )
        yield bf16_vs_fp32(KITTI_STACKS, 4, 128, 160, device, repeats)
    yield compiled_vs_eager(FACES_STACKS, 16, 64, 64, device, repeats)
