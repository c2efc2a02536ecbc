"""Training loop, checkpoints shared by configuration, readout helpers, FLOP counts."""

import pytest
import torch

from bookkit.prednet.model import FACES_STACKS, KITTI_STACKS, PredNet, build_model, prednet_macs_per_frame
from bookkit.prednet.train import (
    DeadPixelLayerError,
    PixelLayerWatch,
    TrainSpec,
    adam_coasting_steps,
    load_or_train_model,
    predict_frames,
    representations_at,
    train_video_model,
)


def tiny_balls_spec(num_steps: int, r_stacks: tuple[int, ...] | None = None) -> TrainSpec:
    """A PredNet (1, 2, 4) on six 8x8 ball clips of four frames: trains in well under a second."""
    return TrainSpec(
        world="balls",
        kind="prednet",
        stacks=(1, 2, 4),
        height=8,
        width=8,
        num_frames=4,
        num_sequences=6,
        num_steps=num_steps,
        batch_size=2,
        lr=1e-2,
        r_stacks=r_stacks,
    )


def test_macs_per_frame_match_the_brief_estimates():
    assert round(prednet_macs_per_frame(KITTI_STACKS, 128, 160) / 1e9, 2) == 6.87
    assert round(prednet_macs_per_frame(FACES_STACKS, 64, 64) / 1e9, 2) == 0.84


def _tiny_run(seed):
    frames = torch.rand(6, 4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    model = PredNet((1, 2, 4), seed=seed)
    losses = train_video_model(
        model,
        frames,
        num_steps=4,
        batch_size=2,
        lr=1e-2,
        generator=torch.Generator().manual_seed(seed),
        device=torch.device("cpu"),
    )
    return model, losses


def test_training_is_deterministic_for_a_seed():
    first, losses = _tiny_run(0)
    second, again = _tiny_run(0)
    assert losses == again
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    _, other = _tiny_run(1)
    assert other != losses


@pytest.mark.parametrize("kind", ["prednet", "cnn_lstm"])
def test_training_stops_when_the_pixel_relu_is_dead(kind):
    """A pixel layer whose ReLU is off everywhere gets no gradient: the loop must say so, not train on."""
    frames = torch.rand(6, 4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    model = build_model(kind, (1, 2, 4), seed=0)
    pixel = model.predict[0] if kind == "prednet" else model.predict
    with torch.no_grad():
        pixel.bias.fill_(-100.0)
    patience = adam_coasting_steps()
    assert patience == 66 and 0.9**patience < 1e-3 < 0.9 ** (patience - 1)
    with pytest.raises(DeadPixelLayerError, match=f"step {patience - 1}"):
        train_video_model(
            model,
            frames,
            num_steps=patience + 5,
            batch_size=2,
            lr=1e-2,
            generator=torch.Generator().manual_seed(0),
            device=torch.device("cpu"),
        )


def test_a_pixel_layer_that_comes_back_is_not_declared_dead():
    watch = PixelLayerWatch(patience=3)
    zeros, alive = torch.zeros(2, 4, 1, 2, 2), torch.zeros(2, 4, 1, 2, 2)
    alive[0, 2, 0, 1, 1] = 0.1
    alive_at_t0_only = torch.zeros(2, 4, 1, 2, 2)
    alive_at_t0_only[:, 0] = 0.5  # t = 0 is not a prediction of anything seen
    for step, batch in enumerate([zeros, zeros, alive, zeros, zeros]):
        watch.update(batch, step=step)
    with pytest.raises(DeadPixelLayerError, match="step 5"):
        watch.update(alive_at_t0_only, step=5)


def test_extrapolation_fine_tuning_changes_the_extrapolated_frames():
    frames = torch.rand(4, 6, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    model = PredNet((1, 2, 4), seed=0)
    with torch.no_grad():
        model.predict[0].bias.fill_(0.3)
    before = predict_frames(model, frames, torch.device("cpu"), extrap_start=3)
    train_video_model(
        model,
        frames,
        num_steps=2,
        batch_size=2,
        lr=1e-2,
        generator=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
        extrap_start=3,
    )
    after = predict_frames(model, frames, torch.device("cpu"), extrap_start=3)
    assert not torch.equal(before[:, 3:], after[:, 3:])


def test_load_or_train_model_trains_once_and_reloads_the_same_model(tmp_path):
    spec = tiny_balls_spec(num_steps=2)
    calls = []

    def counting_train(*args):
        from bookkit.prednet.train import train_from_spec

        calls.append(1)
        return train_from_spec(*args)

    path = tmp_path / f"{spec.key()}.pt"
    model, info = load_or_train_model(path, spec, 0, torch.device("cpu"), train=counting_train)
    again, info_again = load_or_train_model(path, spec, 0, torch.device("cpu"), train=counting_train)
    assert len(calls) == 1 and not info["loaded"] and info_again["loaded"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    other = TrainSpec(**{**spec.__dict__, "weighting": "L_all"})
    assert other.key() != spec.key()


def test_representations_are_taken_after_the_requested_number_of_frames():
    model = PredNet((1, 2, 4), seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1)
    frames = torch.rand(3, 5, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    states = representations_at(model, frames, 2, torch.device("cpu"))
    assert [s.shape for s in states] == [(3, 64), (3, 32), (3, 16)]
    changed = frames.clone()
    changed[:, 2:] = 0  # frames 2.. must not matter for the state at step 2
    assert all(
        torch.equal(a, b) for a, b in zip(states, representations_at(model, changed, 2, torch.device("cpu")))
    )
    changed[:, 1] = 0
    assert not torch.equal(states[0], representations_at(model, changed, 2, torch.device("cpu"))[0])
    pooled = representations_at(model, frames, 2, torch.device("cpu"), pooled_size=2)
    assert [s.shape[1] for s in pooled] == [4, 8, 16]


def test_checkpoint_keys_without_r_stacks_are_unchanged_and_r_stacks_reach_the_model(tmp_path):
    """Specs without R stacks of their own keep the keys they had before the field existed (their checkpoints
    and outputs are unchanged); the car-camera and real-video ci presets give R its own sizes."""
    from bookkit.prednet.presets import CAR, NEXT_FRAME, REAL_VIDEO, car_spec, heads_spec, real_video_spec

    assert heads_spec(NEXT_FRAME.ci).key() == "heads-prednet-L_0-453b03b097"
    assert heads_spec(NEXT_FRAME.full).key() == "heads-prednet-L_0-97e4e5b6c4"
    assert car_spec(CAR.full).key() == "car-prednet-L_0-5d926b971d"
    assert car_spec(CAR.gpu).key() == "car-prednet-L_0-a817e33167"
    full_video = "video-bikes-step3-scales1-stride1-prednet-L_0-ccb2ca3f40"
    assert real_video_spec(REAL_VIDEO.full).key() == full_video
    assert CAR.full.r_stacks is None and REAL_VIDEO.full.r_stacks is None  # the paper's R = A
    ci = car_spec(CAR.ci)
    assert ci.r_stacks == (8, 16, 32) and ci.stacks == (3, 16, 32)
    assert ci.key() != TrainSpec(**{**ci.__dict__, "r_stacks": None}).key()
    assert real_video_spec(REAL_VIDEO.ci).r_stacks == (8, 16, 32)
    spec = tiny_balls_spec(num_steps=1, r_stacks=(3, 2, 5))
    model, _ = load_or_train_model(tmp_path / f"{spec.key()}.pt", spec, 0, torch.device("cpu"))
    assert model.r_stacks == (3, 2, 5)
    again, _ = load_or_train_model(tmp_path / f"{spec.key()}.pt", spec, 0, torch.device("cpu"))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
