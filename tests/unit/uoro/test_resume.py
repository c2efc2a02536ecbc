"""The character-level training (UORO watched by RTRL and SnAp-1, SnAp-1, TBPTT) killed midway resumes from
its checkpoints and ends bit-identical to an uninterrupted run; without the resume it does not."""

from collections.abc import Iterable, Iterator

import pytest
import torch

from bookkit.training import load_or_train
from bookkit.uoro import train as online_training
from bookkit.uoro.charlm import train_character_models
from bookkit.uoro.estimators import UORO
from bookkit.uoro.model import GRU
from bookkit.uoro.presets import CharLMConfig
from bookkit.uoro.train import make_stream_task

CONFIG = CharLMConfig(
    hidden_size=4,
    vocabulary=5,
    num_streams=2,
    steps=24,
    lr=1e-2,
    alpha=0.03,
    truncations=(3,),
    monitor_every=2,
)
"""24 steps per run, a checkpoint every 6 (TBPTT-3: at the end of every other window)."""


class Killed(RuntimeError):
    """Stands for the process being killed midway through training."""


def _train() -> dict:
    symbols = torch.randint(
        CONFIG.vocabulary,
        (CONFIG.num_streams * (CONFIG.steps + 1),),
        generator=torch.Generator().manual_seed(3),
    )
    task = make_stream_task(
        symbols,
        torch.zeros_like(symbols, dtype=torch.bool),
        CONFIG.vocabulary,
        CONFIG.num_streams,
        CONFIG.steps,
    )
    model = GRU(CONFIG.vocabulary, CONFIG.hidden_size, CONFIG.vocabulary)
    initial = model.init_params(1, torch.Generator().manual_seed(0))
    return train_character_models(CONFIG, task, model, initial, seed=0)


def _identical(resumed: dict, uninterrupted: dict) -> bool:
    same_records = all(resumed[key] == uninterrupted[key] for key in ("monitored", "tanh_monitored"))
    return same_records and all(
        torch.equal(resumed[runs][name], uninterrupted[runs][name])
        for runs in ("losses", "tanh_losses")
        for name in uninterrupted[runs]
    )


def _killed_at(run_label: str, step: int):
    """A stand-in for :func:`bookkit.training.progress` that kills the run ``run_label`` at ``step``."""
    real = online_training.progress

    def progress(iterable: Iterable[int], desc: str, total: int | None = None) -> Iterator[int]:
        for t in real(iterable, desc, total=total):
            if desc.startswith(run_label) and t == step:
                raise Killed
            yield t

    return progress


@pytest.mark.parametrize(("run_label", "kill_at", "resumed_after"), [("UORO", 8, 6), ("TBPTT-3", 20, 18)])
def test_a_killed_character_training_resumes_with_the_same_result(
    tmp_path, monkeypatch, capsys, run_label, kill_at, resumed_after
):
    without_checkpoints = _train()
    uninterrupted = load_or_train(tmp_path / "a.pt", _train)
    assert _identical(uninterrupted, without_checkpoints)  # checkpointing changes nothing
    assert len(uninterrupted["monitored"]) == CONFIG.steps // CONFIG.monitor_every

    monkeypatch.setattr(online_training, "progress", _killed_at(run_label, kill_at))
    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", _train)
    monkeypatch.undo()
    assert list(tmp_path.glob(".b.pt.part*.pt"))
    capsys.readouterr()
    resumed = load_or_train(tmp_path / "b.pt", _train)
    resumed_lines = [line for line in capsys.readouterr().out.splitlines() if "resumed" in line]
    *finished, killed = resumed_lines  # the runs before the killed one resume at their end
    assert all(": resumed from its checkpoint after step 24 of 24" in line for line in finished)
    assert killed.startswith(run_label)
    assert f": resumed from its checkpoint after step {resumed_after} of 24" in killed
    assert _identical(resumed, uninterrupted)
    assert not list(tmp_path.glob(".b.pt.part*"))


def test_a_resume_that_forgets_the_estimator_state_is_caught(tmp_path, monkeypatch):
    """The comparison above can fail: restoring the parameters and losses but not UORO's pair and noise
    generator gives another result."""
    uninterrupted = load_or_train(tmp_path / "a.pt", _train)
    monkeypatch.setattr(online_training, "progress", _killed_at("UORO", 8))
    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", _train)
    monkeypatch.undo()
    monkeypatch.setattr(UORO, "load_state_dict", lambda self, saved: None)
    resumed = load_or_train(tmp_path / "b.pt", _train)
    assert not _identical(resumed, uninterrupted)
