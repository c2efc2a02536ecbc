r"""The character-level experiment: one GRU trained online on a text by UORO (with exact RTRL and SnAp-1
watching its trajectory), by SnAp-1 and by truncated BPTT, from the same initial parameters.

Run it inside :func:`bookkit.training.load_or_train`: each of its online runs then checkpoints as it goes
(:func:`~bookkit.uoro.train.train_online`), and a run killed midway resumes with the same result.
"""

from __future__ import annotations

from typing import Any

import torch

from bookkit.uoro.estimators import RTRL, UORO, OnlineEstimator, SnAp1, TruncatedBPTT
from bookkit.uoro.model import RecurrentModel
from bookkit.uoro.presets import CharLMConfig
from bookkit.uoro.train import GradientAgreement, ScheduledAdam, StreamTask, train_online


def train_character_models(
    cfg: CharLMConfig,
    task: StreamTask,
    model: RecurrentModel,
    initial: tuple[torch.Tensor, torch.Tensor],
    seed: int,
) -> dict[str, Any]:
    """Per method, the per-step losses ``(T, B)`` of its run (``"losses"``), and the records of RTRL and
    SnAp-1 watching UORO's run every ``cfg.monitor_every`` steps (``"monitored"``). UORO's noise comes from
    a generator seeded with ``seed + 1``."""
    device = initial[0].device
    start = model.initial_state(cfg.num_streams, device=device)
    monitor = GradientAgreement(task, RTRL(model), {"SnAp-1": SnAp1(model)}, "UORO", start, cfg.monitor_every)
    trainers: dict[str, OnlineEstimator] = {
        "UORO": UORO(model, torch.Generator(device=device).manual_seed(seed + 1)),
        "SnAp-1": SnAp1(model),
        **{f"TBPTT-{k}": TruncatedBPTT(model, k) for k in cfg.truncations},
    }
    losses, monitored = {}, []
    for name, estimator in trainers.items():
        run = train_online(
            model,
            estimator,
            *initial,
            task.inputs,
            task.targets,
            ScheduledAdam(cfg.lr, cfg.alpha),
            shared=True,
            monitor=monitor if name == "UORO" else None,
            desc=f"{name} with RTRL and SnAp-1 watching" if name == "UORO" else name,
        )
        losses[name] = run.losses
        if name == "UORO":
            monitored = run.monitored
    return {"losses": losses, "monitored": monitored}
