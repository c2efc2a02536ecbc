r"""The character-level experiment: one GRU trained online on a text by UORO (with exact RTRL and SnAp-1
watching its trajectory), by SnAp-1 and by truncated BPTT, from the same initial parameters; and a tanh RNN
of the same width trained by UORO (with RTRL, SnAp-1 and KF-RTRL watching), by KF-RTRL, by UORO with other
noise and by TBPTT-1.

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
from bookkit.uoro.train import (
    GradientAgreement,
    OnlineRun,
    ScheduledAdam,
    StreamTask,
    train_online,
)


def train_shared(
    cfg: CharLMConfig,
    task: StreamTask,
    model: RecurrentModel,
    initial: tuple[torch.Tensor, torch.Tensor],
    estimator: OnlineEstimator,
    monitor: GradientAgreement | None = None,
    desc: str = "",
) -> OnlineRun:
    r"""One learner trained online on all of ``task``'s streams (the mean of their estimates, ``shared=True``)
    by ``estimator``, with Adam at the rate $\eta_t=\gamma/(1+\alpha\sqrt t)$ of ``cfg``."""
    return train_online(
        model,
        estimator,
        *initial,
        task.inputs,
        task.targets,
        ScheduledAdam(cfg.lr, cfg.alpha),
        shared=True,
        monitor=monitor,
        desc=desc or estimator.name,
    )


def train_character_models(
    cfg: CharLMConfig,
    task: StreamTask,
    model: RecurrentModel,
    initial: tuple[torch.Tensor, torch.Tensor],
    seed: int,
) -> dict[str, Any]:
    """Per method, the per-step losses ``(T, B)`` of its run (``"losses"``); the records of RTRL and
    SnAp-1 watching UORO's run every ``cfg.monitor_every`` steps (``"monitored"``); and the losses and
    monitor records of a tanh RNN of the same width on the same streams (``"tanh_losses"``,
    ``"tanh_monitored"``, see :func:`train_tanh_rnns`). UORO's noise comes from a generator seeded with
    ``seed + 1``."""
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
        run = train_shared(
            cfg,
            task,
            model,
            initial,
            estimator,
            monitor=monitor if name == "UORO" else None,
            desc=f"{name} with RTRL and SnAp-1 watching" if name == "UORO" else name,
        )
        losses[name] = run.losses
        if name == "UORO":
            monitored = run.monitored
    tanh = train_tanh_rnns(cfg, task, seed)
    return {"losses": losses, "monitored": monitored, **tanh}


UNSCALED_UORO = "UORO, rho = 1"
r"""Name of the watcher that runs UORO without its $\rho$ rescaling ($\rho_0=\rho_1=1$): still unbiased, but
$\tilde\theta$ then sums every $b_t$, so the variance of its estimate grows along the run; the null of the
claim that UORO's error stays flat."""

OTHER_NOISE_UORO = "UORO, other noise"
"""Name of the run in which UORO trains the tanh RNN a second time, from the same initial parameters on the
same streams, with independent noise: the null of the claim that KF-RTRL learns faster than UORO (two UORO
runs differ by their noise only)."""


def train_tanh_rnns(cfg: CharLMConfig, task: StreamTask, seed: int) -> dict[str, Any]:
    """A tanh RNN of ``cfg.hidden_size`` units trained on ``task`` from the same initial parameters (from a
    generator seeded with ``seed``) by UORO while exact RTRL, SnAp-1, KF-RTRL (written for that cell) and UORO
    without its rescaling (:data:`UNSCALED_UORO`) follow its trajectory; then trained by KF-RTRL, by UORO
    with other noise (:data:`OTHER_NOISE_UORO`) and by TBPTT-1.

    Returns the per-step losses ``(T, B)`` of each run (``"tanh_losses"``) and the monitor's records every
    ``cfg.monitor_every`` steps (``"tanh_monitored"``). Noise generators are seeded with ``seed + 1`` (UORO),
    ``seed + 2`` (KF-RTRL, watching and training: two generators, the same seed), ``seed + 3`` (the unscaled
    UORO) and ``seed + 4`` (UORO with other noise)."""
    device = task.inputs.device
    model = TanhRNN(task.vocabulary_size, cfg.hidden_size, task.vocabulary_size)
    initial = model.init_params(1, torch.Generator().manual_seed(seed), device=device)
    start = model.initial_state(cfg.num_streams, device=device)

    def noise(offset: int) -> torch.Generator:
        return torch.Generator(device=device).manual_seed(seed + offset)

    watchers: dict[str, OnlineEstimator] = {
        "SnAp-1": SnAp1(model),
        "KF-RTRL": KFRTRL(model, noise(2)),
        UNSCALED_UORO: UORO(model, noise(3), normalise=False),
    }
    monitor = GradientAgreement(task, RTRL(model), watchers, "UORO", start, cfg.monitor_every)
    watched = train_shared(
        cfg,
        task,
        model,
        initial,
        UORO(model, noise(1)),
        monitor=monitor,
        desc="tanh RNN: UORO with RTRL, SnAp-1, KF-RTRL and unscaled UORO watching",
    )
    trainers: dict[str, OnlineEstimator] = {
        "KF-RTRL": KFRTRL(model, noise(2)),
        OTHER_NOISE_UORO: UORO(model, noise(4)),
        "TBPTT-1": TruncatedBPTT(model, 1),
    }
    losses = {"UORO": watched.losses} | {
        name: train_shared(cfg, task, model, initial, estimator, desc=f"tanh RNN: {name}").losses
        for name, estimator in trainers.items()
    }
    return {"tanh_losses": losses, "tanh_monitored": watched.monitored}
