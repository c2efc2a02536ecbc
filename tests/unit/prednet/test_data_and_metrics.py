"""Generators (seeded, in range, latents visible) and metrics (SSIM closed forms, copy-last)."""

import math

import numpy as np
import pytest
import torch

from bookkit.prednet.data import (
    HELD_OUT_STYLE,
    bouncing_balls,
    car_camera,
    identity_views,
    render_heads,
    rotating_heads,
    rotation_matrices,
)
from bookkit.prednet.metrics import gaussian_window, mse_per_frame, score_predictions, ssim_per_frame
from bookkit.prednet.readout import ridge_r2, svm_identity_accuracy


def _generators():
    return {
        "heads": lambda g: rotating_heads(3, 4, 16, g),
        "balls": lambda g: bouncing_balls(3, 4, 16, g, num_balls=3),
        "car": lambda g: car_camera(3, 4, 16, 20, g, style=HELD_OUT_STYLE),
    }


@pytest.mark.parametrize("world", ["heads", "balls", "car"])
def test_seeded_generators_are_deterministic_and_in_range(world):
    make = _generators()[world]
    first = make(torch.Generator().manual_seed(7)).frames
    again = make(torch.Generator().manual_seed(7)).frames
    other = make(torch.Generator().manual_seed(8)).frames
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert float(first.min()) >= 0 and float(first.max()) <= 1
    assert float((first[:, 1:] - first[:, :-1]).abs().max()) > 0  # something moves


def test_rotation_matrices_are_rotations():
    r = rotation_matrices(torch.tensor([0.3, -1.0]), torch.tensor([1.2, 0.1]))
    np.testing.assert_allclose(
        (r @ r.transpose(-1, -2)).numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-6
    )
    np.testing.assert_allclose(torch.linalg.det(r).numpy(), [1, 1], atol=1e-6)


def test_heads_show_pose_and_identity():
    pc = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    zero = torch.zeros(1)
    left = render_heads(torch.tensor([-0.8]), zero, pc[:1], 32)
    right = render_heads(torch.tensor([0.8]), zero, pc[:1], 32)
    other = render_heads(torch.tensor([-0.8]), zero, pc[1:], 32)
    assert float((left - right).abs().mean()) > 0.02  # the sign of pan is visible
    assert float((left - other).abs().mean()) > 0.01  # identities differ at equal pose
    assert float(left[..., 0, 0]) == 0  # black background in the corner


def test_identity_views_layout():
    views = identity_views(2, 3, 4, 16, torch.Generator().manual_seed(0))
    assert views.frames.shape == (24, 1, 1, 16, 16)
    assert views.latents["face"].tolist() == [0] * 12 + [1] * 12
    assert torch.equal(views.latents["pc"][0], views.latents["pc"][11])


def test_balls_stay_in_the_box_and_keep_their_speed():
    video = bouncing_balls(20, 30, 16, torch.Generator().manual_seed(1), num_balls=2)
    track = video.latents["track"]
    assert float(track.min()) > 1.2 - 0.3 and float(track.max()) < 10 - 1.2 + 0.3
    assert torch.allclose(video.latents["velocity0"].norm(dim=-1), torch.tensor(0.5))


def test_ssim_of_identical_images_is_one():
    x = torch.rand(2, 3, 1, 16, 16)
    np.testing.assert_allclose(ssim_per_frame(x, x).numpy(), 1.0, atol=1e-5)


def test_ssim_of_constant_images_is_the_luminance_term():
    a, b = 0.3, 0.7
    x = torch.full((1, 1, 2, 16, 16), a, dtype=torch.float64)
    y = torch.full((1, 1, 2, 16, 16), b, dtype=torch.float64)
    c1 = 0.01**2
    expected = (2 * a * b + c1) / (a * a + b * b + c1)  # contrast and structure terms are C2/C2 = 1
    np.testing.assert_allclose(ssim_per_frame(x, y).numpy(), expected, rtol=1e-5)


def test_ssim_of_a_negated_pattern_matches_the_closed_form():
    # x = m + d, y = m - d with d a +-s checkerboard: mu equal, var_x = var_y = s^2, cov = -s^2 locally.
    m, s = 0.5, 0.2
    pattern = torch.tensor([[(i + j) % 2 * 2 - 1 for j in range(32)] for i in range(32)], dtype=torch.float64)
    x, y = (m + s * pattern)[None, None, None], (m - s * pattern)[None, None, None]
    window = gaussian_window(11, 1.5, torch.float64)
    checker = pattern[:11, :11]
    local_mean = float((window * checker).sum())  # the window does not average a checkerboard to exactly 0
    var = s * s * (1 - local_mean**2)
    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = m + s * local_mean, m - s * local_mean
    expected_even = ((2 * mu_x * mu_y + c1) * (-2 * var + c2)) / ((mu_x**2 + mu_y**2 + c1) * (2 * var + c2))
    mu_x, mu_y = m - s * local_mean, m + s * local_mean
    expected_odd = ((2 * mu_x * mu_y + c1) * (-2 * var + c2)) / ((mu_x**2 + mu_y**2 + c1) * (2 * var + c2))
    got = float(ssim_per_frame(x, y).squeeze())
    assert got == pytest.approx((expected_even + expected_odd) / 2, abs=2e-3)
    assert got < -0.9


def test_scores_compare_with_copy_last_on_the_same_frames():
    frames = torch.rand(4, 5, 1, 12, 12)
    perfect = score_predictions(frames.clone(), frames)
    assert perfect.mse == 0 and perfect.ssim == pytest.approx(1, abs=1e-5)
    copy = torch.cat([frames[:, :1], frames[:, :-1]], 1)
    scores = score_predictions(copy, frames)
    assert scores.mse_ratio == pytest.approx(1.0)
    assert scores.copy_last_mse == pytest.approx(float(mse_per_frame(frames[:, :-1], frames[:, 1:]).mean()))
    assert len(scores.mse_per_step) == 4


def test_ridge_readout_recovers_a_linear_target_and_not_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 20, generator=g)
    y = x @ torch.randn(20, generator=g) + 0.1 * torch.randn(300, generator=g)
    assert ridge_r2(x[:200], y[:200], x[200:], y[200:]) > 0.95
    noise = torch.randn(300, generator=g)
    assert ridge_r2(x[:200], noise[:200], x[200:], noise[200:]) < 0.1


def test_ridge_readout_is_not_blown_up_by_a_feature_constant_on_few_training_clips():
    """20 labelled clips, one unit that is constant on them up to 1e-9 but varies at test time: a per-feature
    standardisation divides it by ~1e-9 and the held-out R^2 explodes (about -1e14 here)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(220, 20, generator=g, dtype=torch.float64)
    y = x @ torch.randn(20, generator=g, dtype=torch.float64) + 0.1 * torch.randn(
        220, generator=g, dtype=torch.float64
    )
    quiet = torch.cat(
        [
            1e-9 * torch.randn(20, 1, generator=g, dtype=torch.float64),
            torch.randn(200, 1, generator=g, dtype=torch.float64),
        ]
    )
    features = torch.cat([x, quiet], dim=1)
    clean = ridge_r2(x[:20], y[:20], x[20:], y[20:])
    assert math.isfinite(clean) and clean > 0.3
    assert ridge_r2(features[:20], y[:20], features[20:], y[20:]) == pytest.approx(clean, abs=0.05)


def test_svm_identity_accuracy_on_separable_and_random_features():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(5).repeat_interleave(8)
    centres = 5 * torch.randn(5, 10, generator=g)
    separable = centres[labels] + torch.randn(40, 10, generator=g)
    assert svm_identity_accuracy(separable, labels, views_per_class=2, splits=3, seed=0) > 0.95
    random = torch.randn(40, 10, generator=g)
    assert svm_identity_accuracy(random, labels, views_per_class=2, splits=3, seed=0) < 0.5
    assert math.isfinite(svm_identity_accuracy(random, labels, views_per_class=1, splits=2, seed=1))
