"""The digits classifiers' training resumes after a kill with bit-identical results."""

import pytest
import torch

from bookkit.ebm_backprop import experiments, learning
from bookkit.ebm_backprop.data import load_digits_split
from bookkit.ebm_backprop.presets import DigitsConfig
from bookkit.training import load_or_train

CONFIG = DigitsConfig(
    sizes=(64, 16, 10),
    num_train=120,
    num_test=40,
    epochs=5,
    batch_size=20,
    eps=0.5,
    free_steps=10,
    nudged_steps=4,
    beta=0.5,
    learning_rates=(0.1, 0.05),
    eval_steps=20,
    bp_learning_rates=(0.1, 0.05),
)


class Killed(Exception):
    """Stands for the process being killed."""


def _train() -> dict:
    data = load_digits_split(CONFIG.num_train, CONFIG.num_test, dtype=torch.float32)
    return experiments.train_digits_classifiers(CONFIG, data, torch.Generator().manual_seed(3))


def _assert_identical(a: dict, b: dict) -> None:
    for name in experiments.CLASSIFIERS:
        for key in ("weights", "biases"):
            for x, y in zip(a[name]["network"][key], b[name]["network"][key]):
                assert torch.equal(x, y), f"{name} {key} differ"
        assert a[name]["curves"]["test_accuracy"] == b[name]["curves"]["test_accuracy"]
        assert a[name]["curves"]["train_accuracy"] == b[name]["curves"]["train_accuracy"]


@pytest.mark.parametrize(("kill_at", "loop", "label"), [(2, 0, "EP epochs"), (3, 1, "BP epochs")])
def test_killed_digits_training_resumes_bit_identically(tmp_path, monkeypatch, capsys, kill_at, loop, label):
    without_checkpoints = _train()
    uninterrupted = load_or_train(tmp_path / "a.pt", _train)
    _assert_identical(uninterrupted, without_checkpoints)  # checkpointing changes nothing

    real_check = learning.check_finite
    calls = {"epochs": 0}

    def killed(value, *, step, what="loss"):
        calls["epochs"] += 1
        if calls["epochs"] == loop * CONFIG.epochs + kill_at + 1:
            raise Killed
        real_check(value, step=step, what=what)

    monkeypatch.setattr(learning, "check_finite", killed)
    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", _train)
    calls["epochs"] = -(10**9)  # never kill again; count the epochs the resumed run trains
    capsys.readouterr()
    resumed = load_or_train(tmp_path / "b.pt", _train)
    assert f"{label}: resumed from its checkpoint after step {kill_at} of {CONFIG.epochs}" in (
        capsys.readouterr().out
    )
    trained_after_resume = calls["epochs"] + 10**9
    assert trained_after_resume == 3 * CONFIG.epochs - loop * CONFIG.epochs - kill_at
    _assert_identical(resumed, uninterrupted)
    assert not list(tmp_path.glob(".b.pt.part*"))
