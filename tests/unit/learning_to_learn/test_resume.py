"""A meta-training run killed midway resumes from its checkpoint and ends bit-identical to an uninterrupted
run."""

import pytest
import torch

from bookkit.learning_to_learn.evaluation import final_mean_log_loss
from bookkit.learning_to_learn.learned_optimizer import CoordinatewiseLSTMOptimizer
from bookkit.learning_to_learn.meta_training import meta_train, rollout
from bookkit.learning_to_learn.problems import sample_quadratics
from bookkit.training import load_or_train

NUM_EPOCHS = 10
"""A checkpoint every two epochs; validation (when on) every three, at epochs 0, 3, 6, 9 and 10."""

SIGNS = {"no validation": None, "validation loss": 1.0, "reversed validation loss": -1.0}
"""Early stopping on the loss keeps late weights; on its negative, the first ones, so a resumed run must
also remember the best score seen before the checkpoint."""


class Killed(RuntimeError):
    """Stands for the process being killed midway through meta-training."""


def _meta_train(sign, kill_at_epoch=None):
    torch.manual_seed(0)
    net = CoordinatewiseLSTMOptimizer()
    validation = sample_quadratics(4, torch.Generator().manual_seed(5), dim=4)
    start = validation.initial_params(torch.Generator().manual_seed(6))
    epochs = 0

    def sample_problem(generator):
        nonlocal epochs
        epochs += 1
        if epochs == kill_at_epoch:
            raise Killed
        return sample_quadratics(4, generator, dim=4)

    def validate(candidate):
        return sign * final_mean_log_loss(rollout(candidate, validation, start, 20).losses)

    result = meta_train(
        net,
        sample_problem,
        num_epochs=NUM_EPOCHS,
        num_steps=20,
        unroll=5,
        meta_lr=1e-2,
        generator=torch.Generator().manual_seed(3),
        validate=None if sign is None else validate,
        validate_every=3,
    )
    state = result.to_state()
    del state["seconds"]  # wall time, the one entry that may differ
    return {**state, "final": net.state_dict()}


def _assert_identical(resumed, uninterrupted):
    assert resumed.keys() == uninterrupted.keys()
    for key in ("best_epoch", "meta_losses", "validation_epochs", "validation_scores"):
        assert resumed[key] == uninterrupted[key], key
    for key in ("best_state", "final"):
        assert resumed[key].keys() == uninterrupted[key].keys()
        assert all(torch.equal(resumed[key][name], uninterrupted[key][name]) for name in uninterrupted[key])


@pytest.mark.parametrize("validation", SIGNS)
def test_a_killed_meta_training_resumes_with_the_same_optimizer(tmp_path, capsys, validation):
    sign = SIGNS[validation]
    without_checkpoints = _meta_train(sign)
    uninterrupted = load_or_train(tmp_path / "a.pt", lambda: _meta_train(sign))
    _assert_identical(uninterrupted, without_checkpoints)  # checkpointing changes nothing
    if sign is not None:
        assert uninterrupted["validation_epochs"] == [0, 3, 6, 9, 10]
        assert uninterrupted["best_epoch"] == (10 if sign > 0 else 0)

    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", lambda: _meta_train(sign, kill_at_epoch=8))
    assert [p.name for p in tmp_path.glob(".b.pt.part*.pt")] == [".b.pt.part0.pt"]
    capsys.readouterr()
    resumed = load_or_train(tmp_path / "b.pt", lambda: _meta_train(sign))
    announced = capsys.readouterr().out
    assert f"meta-training: resumed from its checkpoint after step 6 of {NUM_EPOCHS}" in announced
    _assert_identical(resumed, uninterrupted)
    assert not list(tmp_path.glob(".b.pt.part*"))
