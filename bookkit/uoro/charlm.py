r"""The character-level experiment: one GRU trained online on a text by UORO (with exact RTRL and SnAp-1
watching its trajectory), by SnAp-1 and by truncated BPTT, from the same initial parameters.

Run it inside :func:`bookkit.training.load_or_train`: each of its online runs then checkpoints as it goes
(:func:`~bookkit.uoro.train.train_online`), and a run killed midway resumes with the same result.
"""

from __future__ import annotations

from typing import Any

import torch

from bookkit.uoro.estimators import RTRL, UORO, OnlineEstimator, SnAp1, TruncatedBPTT
from bookkit.uoro.kf_rtrl import KFRTRL
from bookkit.uoro.model import RecurrentModel, TanhRNN
from bookkit.uoro.presets import CharLMConfig
from bookkit.uoro.train import GradientAgreement, ScheduledAdam, StreamTask, train_online


def train_character_models(
    cfg: CharLMConfig,
    task: StreamTask,
    model: RecurrentModel,
    initial: tuple[torch.Tensor, torch.Tensor],
    seed: int,
) -> dict[str, Any]:
    """Per method, the per-step losses ``(T, B)`` of its run (``"losses"``); the records of RTRL and
    SnAp-1 watching UORO's run every ``cfg.monitor_every`` steps (``"monitored"``); and those of RTRL, SnAp-1
    and KF-RTRL watching UORO train a tanh RNN of the same width on the same streams (``"tanh_monitored"``,
    see :func:`watch_tanh_rnn`). UORO's noise comes from a generator seeded with ``seed + 1``."""
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
    tanh_monitored = watch_tanh_rnn(cfg, task, seed)
    return {"losses": losses, "monitored": monitored, "tanh_monitored": tanh_monitored}


UNSCALED_UORO = "UORO, rho = 1"
r"""Name of the watcher that runs UORO without its $\rho$ rescaling ($\rho_0=\rho_1=1$): still unbiased, but
$\tilde\theta$ then sums every $b_t$, so the variance of its estimate grows along the run; the null of the
claim that UORO's error stays flat."""


def watch_tanh_rnn(cfg: CharLMConfig, task: StreamTask, seed: int) -> list[dict[str, float]]:
    """UORO trains a tanh RNN of ``cfg.hidden_size`` units on ``task`` while exact RTRL, SnAp-1, KF-RTRL
    (written for that cell) and UORO without its rescaling (:data:`UNSCALED_UORO`) follow its trajectory; the
    monitor's records every ``cfg.monitor_every`` steps. The model's initial parameters come from a generator
    seeded with ``seed``, UORO's noise from ``seed + 1``, KF-RTRL's from ``seed + 2`` and the unscaled
    UORO's from ``seed + 3``."""
    device = task.inputs.device
    model = TanhRNN(task.vocabulary_size, cfg.hidden_size, task.vocabulary_size)
    initial = model.init_params(1, torch.Generator().manual_seed(seed), device=device)
    start = model.initial_state(cfg.num_streams, device=device)
    watchers: dict[str, OnlineEstimator] = {
        "SnAp-1": SnAp1(model),
        "KF-RTRL": KFRTRL(model, torch.Generator(device=device).manual_seed(seed + 2)),
        UNSCALED_UORO: UORO(model, torch.Generator(device=device).manual_seed(seed + 3), normalise=False),
    }
    monitor = GradientAgreement(task, RTRL(model), watchers, "UORO", start, cfg.monitor_every)
    run = train_online(
        model,
        UORO(model, torch.Generator(device=device).manual_seed(seed + 1)),
        *initial,
        task.inputs,
        task.targets,
        ScheduledAdam(cfg.lr, cfg.alpha),
        shared=True,
        monitor=monitor,
        desc="tanh RNN: UORO with RTRL, SnAp-1, KF-RTRL and unscaled UORO watching",
    )
    return run.monitored
