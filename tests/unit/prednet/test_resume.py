"""A PredNet training killed midway resumes from its checkpoint and ends bit-identical to an uninterrupted
run."""

import pytest
import torch

from bookkit.prednet import train as prednet_training
from bookkit.prednet.train import TrainSpec, train_from_spec
from bookkit.training import load_or_train

SPEC = TrainSpec(
    world="balls",
    kind="prednet",
    stacks=(1, 2, 4),
    height=8,
    width=8,
    num_frames=4,
    num_sequences=6,
    num_steps=10,
    batch_size=2,
    lr=1e-2,
)
"""Ten steps, a checkpoint every two, and the learning-rate drop at step 5."""


class Killed(RuntimeError):
    """Stands for the process being killed midway through training."""


def _train():
    state = train_from_spec(SPEC, 0, torch.device("cpu"))
    del state["seconds"]  # wall time, the one entry that may differ
    return state


def _assert_identical(resumed, uninterrupted):
    assert resumed["losses"] == uninterrupted["losses"] and resumed["steps"] == uninterrupted["steps"]
    assert resumed["model"].keys() == uninterrupted["model"].keys()
    assert all(torch.equal(resumed["model"][k], uninterrupted["model"][k]) for k in uninterrupted["model"])


@pytest.mark.parametrize(("kill_at", "resumed_after"), [(3, 2), (7, 6)])
def test_a_killed_prednet_training_resumes_with_the_same_model(
    tmp_path, monkeypatch, capsys, kill_at, resumed_after
):
    without_checkpoints = _train()
    uninterrupted = load_or_train(tmp_path / "a.pt", _train)
    _assert_identical(uninterrupted, without_checkpoints)  # checkpointing changes nothing

    real_check = prednet_training.check_finite

    def killed(value, *, step, what="loss"):
        if step == kill_at:
            raise Killed
        real_check(value, step=step, what=what)

    monkeypatch.setattr(prednet_training, "check_finite", killed)
    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", _train)
    monkeypatch.setattr(prednet_training, "check_finite", real_check)
    assert [p.name for p in tmp_path.glob(".b.pt.part*.pt")] == [".b.pt.part0.pt"]
    capsys.readouterr()
    resumed = load_or_train(tmp_path / "b.pt", _train)
    assert (
        f"training prednet L_0: resumed from its checkpoint after step {resumed_after} of 10"
        in capsys.readouterr().out
    )
    _assert_identical(resumed, uninterrupted)
    assert not list(tmp_path.glob(".b.pt.part*"))
