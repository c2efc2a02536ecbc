"""Real-video clips for PredNet (06): held-out clips equal a naive crop loop over the video's last frames and
share no frame with training clips; the two-frame-mean baseline against a loop; the paper's Table 2 ratio;
a model trained on given clips is checkpointed under a key that names the clip set."""

from __future__ import annotations

import dataclasses

import torch

from bookkit.datasets.video import VIDEOS, video_frames
from bookkit.prednet.metrics import (
    best_blurred_copy_last,
    blurred_copy_last,
    gaussian_window,
    score_predictions,
    two_frame_mean,
)
from bookkit.prednet.model import build_model
from bookkit.prednet.paper import TABLE2
from bookkit.prednet.presets import REAL_VIDEO, real_video_spec
from bookkit.prednet.real_video import load_or_train_on_video, real_video_split
from bookkit.prednet.train import predict_frames


def _naive_clips(config, first: int, stop: int, time_stride: int) -> torch.Tensor:
    """Every 10-frame clip inside stored frames [first, stop) and inside one shot, at scale 1 (no resize),
    by loops over shots, starts, rows and columns."""
    stored = torch.from_numpy(video_frames(config.video)).float() / 255.0
    rows, columns = stored.shape[1:3]
    height, width = config.size
    span = 9 * config.frame_step + 1
    clips = []
    for shot_start, shot_stop in VIDEOS[config.video].shots:
        for start in range(max(shot_start, first), min(shot_stop, stop) - span + 1, time_stride):
            for top in range(0, rows - height + 1, height):
                for left in range(0, columns - width + 1, width):
                    frames = stored[start : start + span : config.frame_step, top : top + height]
                    clips.append(frames[:, :, left : left + width].permute(0, 3, 1, 2))
    return torch.stack(clips)


def _cut(config) -> int:
    count = len(video_frames(config.video))
    return count - round(config.held_out_fraction * count)


def test_held_out_clips_are_the_naive_crops_of_the_last_frames() -> None:
    config = REAL_VIDEO.smoke
    train, held_out = real_video_split(config)
    assert held_out.shape[1:] == (10, 3, *config.size) and train.shape[1:] == held_out.shape[1:]
    assert torch.equal(held_out, _naive_clips(config, _cut(config), 10**6, config.test_time_stride))
    assert float(train.min()) >= 0.0 and float(train.max()) <= 1.0


def test_training_clips_end_before_the_held_out_frames() -> None:
    config = dataclasses.replace(REAL_VIDEO.smoke, train_scales=(1.0,))
    train, _ = real_video_split(config)
    assert torch.equal(train, _naive_clips(config, 0, _cut(config), config.time_stride))


def test_two_frame_mean_matches_a_loop() -> None:
    frames = torch.rand(2, 5, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    predictions = two_frame_mean(frames)
    assert torch.equal(predictions[:, 0], torch.zeros_like(frames[:, 0]))
    assert torch.equal(predictions[:, 1], frames[:, 0])
    for t in range(2, 5):
        assert torch.allclose(predictions[:, t], (frames[:, t - 1] + frames[:, t - 2]) / 2)


def test_two_frame_mean_is_worse_than_copy_last_on_a_steady_ramp() -> None:
    """x_t = 0.1 t: copy-last is off by 0.1 per pixel, the two-frame mean by 0.15 (after t = 1)."""
    frames = (0.1 * torch.arange(6.0)).view(1, 6, 1, 1, 1).expand(1, 6, 1, 12, 12).contiguous()
    scores = score_predictions(two_frame_mean(frames), frames, first=2)
    assert abs(scores.copy_last_mse - 0.01) < 1e-6 and abs(scores.mse - 0.0225) < 1e-6


def test_blurred_copy_last_matches_a_naive_window_loop() -> None:
    frames = torch.rand(1, 3, 2, 5, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    predictions = blurred_copy_last(frames, sigma=0.8, window_size=3)
    window = gaussian_window(3, 0.8, torch.float64)
    assert torch.equal(predictions[:, 0], torch.zeros_like(frames[:, 0]))
    for t in range(1, 3):
        for channel in range(2):
            for row in range(5):
                for column in range(6):
                    expected = sum(
                        window[i, j]
                        * frames[
                            0, t - 1, channel, min(max(row + i - 1, 0), 4), min(max(column + j - 1, 0), 5)
                        ]
                        for i in range(3)
                        for j in range(3)
                    )
                    assert abs(float(predictions[0, t, channel, row, column] - expected)) < 1e-12


def test_best_blur_is_sharp_for_static_noise_and_wide_for_jitter() -> None:
    """A static frame is predicted best unblurred (the narrowest sigma); a frame that jitters by a random
    pixel shift each step is predicted better by a wider blur than by copy-last."""
    noise = torch.rand(1, 1, 1, 24, 24, generator=torch.Generator().manual_seed(3))
    static = noise.expand(4, 6, 1, 24, 24)
    sigma, _ = best_blurred_copy_last(static)
    assert sigma == 0.5
    smooth = blurred_copy_last(torch.rand(1, 2, 1, 40, 40, generator=torch.Generator().manual_seed(4)), 2.0)
    image = smooth[0, 1, 0]
    shifts = torch.randint(-2, 3, (4, 6, 2), generator=torch.Generator().manual_seed(5))
    jitter = torch.stack(
        [torch.stack([image.roll(tuple(s.tolist()), (0, 1))[8:32, 8:32] for s in clip]) for clip in shifts]
    )[:, :, None]
    sigma, blurred = best_blurred_copy_last(jitter)
    assert sigma > 0.5
    assert score_predictions(blurred, jitter).mse_ratio < 1.0


def test_table2_ratio_is_the_confirmed_mses() -> None:
    assert TABLE2["PredNet L_0"].ratio_to(TABLE2["copy last"]) == round(3.13e-3 / 7.95e-3, 3) == 0.394


def test_the_checkpoint_key_names_the_clip_set_and_the_model() -> None:
    config = REAL_VIDEO.ci
    keys = {
        real_video_spec(config).key(),
        real_video_spec(config, "control").key(),
        real_video_spec(config, weighting="L_all").key(),
        real_video_spec(dataclasses.replace(config, frame_step=2)).key(),
        real_video_spec(dataclasses.replace(config, train_scales=(1.0,))).key(),
        real_video_spec(dataclasses.replace(config, video="carphone")).key(),
    }
    assert len(keys) == 6


def test_a_model_trained_on_given_clips_is_saved_and_reloaded(tmp_path) -> None:
    config = dataclasses.replace(REAL_VIDEO.smoke, stacks=(3, 2, 4), num_steps=2, batch_size=2)
    frames = torch.rand(4, 10, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    path = tmp_path / "model.pt"
    model, run = load_or_train_on_video(path, config, frames, 0, torch.device("cpu"))
    again, run_again = load_or_train_on_video(path, config, frames[:0], 0, torch.device("cpu"))
    assert run["steps"] == 2 and not run["loaded"] and run_again["loaded"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


CI_RATIO_THRESHOLD = 0.95
"""prednet/06's ci threshold on MSE / copy-last MSE; its second claim asks for less error than the blurred
copy's."""


def test_the_nulls_fail_the_ratio_claim_and_a_blur_alone_would_beat_copy_last() -> None:
    """Copy-last, the two-frame mean and the untrained network fail the ratio claim on the ci held-out clips;
    the best blurred copy beats copy-last, which is why the notebook also asks PredNet to beat it."""
    config = REAL_VIDEO.ci
    _, held_out = real_video_split(config)
    _, blurred = best_blurred_copy_last(held_out)
    untrained = predict_frames(build_model("prednet", config.stacks, seed=0), held_out, torch.device("cpu"))
    ratios = {
        "copy last": score_predictions(torch.cat([held_out[:, :1], held_out[:, :-1]], 1), held_out).mse_ratio,
        "two-frame mean": score_predictions(two_frame_mean(held_out), held_out).mse_ratio,
        "untrained": score_predictions(untrained, held_out).mse_ratio,
    }
    assert all(ratio >= CI_RATIO_THRESHOLD for ratio in ratios.values()), ratios
    blurred_scores = score_predictions(blurred, held_out)
    assert blurred_scores.mse_ratio < 1.0
