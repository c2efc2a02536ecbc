"""A comparison of the kernel-tied machine with the CRBM and the RTRBM killed midway resumes from its
checkpoints and ends bit-identical to an uninterrupted run."""

import pytest
import torch

from bookkit.spiking_boltzmann import followups
from bookkit.spiking_boltzmann import sequence_comparisons as comparisons
from bookkit.spiking_boltzmann.presets import FOLLOWUPS
from bookkit.training import load_or_train

CONFIG = FOLLOWUPS.resolve("smoke", {"num_minibatches": 10})
"""Ten minibatches per model, a checkpoint after each."""


class Killed(RuntimeError):
    """Stands for the process being killed midway through training."""


def _compare():
    return comparisons.compare_temporal_models(
        CONFIG, comparisons.sequence_source("bouncing balls", CONFIG), 0, "cpu", desc="balls"
    )


def _assert_identical(resumed, uninterrupted):
    assert resumed.keys() == uninterrupted.keys()
    for name, values in uninterrupted.items():
        assert resumed[name].keys() == values.keys()
        assert all(torch.equal(resumed[name][key], values[key]) for key in values), name


@pytest.mark.parametrize(("model", "kill_at"), [("CRBM", 7), ("RTRBM", 3)])
def test_a_killed_crbm_or_rtrbm_training_resumes_with_the_same_results(
    tmp_path, monkeypatch, capsys, model, kill_at
):
    without_checkpoints = _compare()
    uninterrupted = load_or_train(tmp_path / "a.pt", _compare)
    _assert_identical(uninterrupted, without_checkpoints)  # checkpointing changes nothing

    real_check = followups.check_finite
    calls = {"trained": 0}
    skip = 0 if model == "CRBM" else CONFIG.num_minibatches  # the RTRBM trains after the CRBM

    def killed(value, *, step, what="loss"):
        calls["trained"] += 1
        if calls["trained"] == skip + kill_at + 1:
            raise Killed
        real_check(value, step=step, what=what)

    monkeypatch.setattr(followups, "check_finite", killed)
    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", _compare)
    calls["trained"] = -(10**9)  # never kill again, but count the minibatches the resumed run trains
    capsys.readouterr()
    resumed = load_or_train(tmp_path / "b.pt", _compare)
    assert (
        f"balls: {model}: resumed from its checkpoint after step {kill_at} of 10" in capsys.readouterr().out
    )
    trained_after_resume = calls["trained"] + 10**9
    expected = (CONFIG.num_minibatches - kill_at) + (CONFIG.num_minibatches if model == "CRBM" else 0)
    assert trained_after_resume == expected  # the minibatches before the checkpoint were not trained again
    _assert_identical(resumed, uninterrupted)
    assert not list(tmp_path.glob(".b.pt.part*"))
