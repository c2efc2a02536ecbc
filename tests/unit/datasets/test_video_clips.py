"""The video layer: cached frames against an independent decode, the colour conversion against the textbook
matrix, clip windows inside one shot, and held-out clips that share no frame with training clips."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from bookkit.datasets.cache import read_members
from bookkit.datasets.catalog import archive
from bookkit.datasets.video import (
    ARCHIVE,
    VIDEOS,
    clip_windows,
    shrink_by_block_mean,
    split_frames,
    train_and_held_out_clips,
    video_clips,
    video_frames,
    yuv420_to_rgb,
)

SCENE_CUT = 30.0
"""Mean absolute change (0-255) between consecutive frames above which a frame starts a new shot; inside a
shot the largest change of the three videos is 21, across a cut the smallest is 52."""


def test_cached_frames_have_the_documented_shapes() -> None:
    expected = {
        "carphone": (120, 144, 175, 3),
        "bikes": (250, 136, 320, 3),
        "bigbuckbunny": (132, 180, 320, 3),
    }
    for name, shape in expected.items():
        frames = video_frames(name)
        assert frames.shape == shape and frames.dtype == np.uint8
        assert frames.std() > 20


def test_shots_are_where_the_frames_jump() -> None:
    for name, source in VIDEOS.items():
        frames = video_frames(name).astype(np.float32)
        change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
        cuts = [int(i) + 1 for i in np.flatnonzero(change > SCENE_CUT)]
        assert cuts == [start for start, _ in source.shots[1:]], name
        assert source.shots[0][0] == 0 and source.shots[-1][1] == len(frames)
        assert all(a[1] == b[0] for a, b in zip(source.shots, source.shots[1:]))


def test_colour_conversion_against_the_textbook_bt601_matrix() -> None:
    """Reference: float64, chroma upsampled by repetition, R = Y' + 1.402 V', B = Y' + 1.772 U',
    G = Y' - (0.299 * 1.402 V' + 0.114 * 1.772 U') / 0.587 with V' = (V - 128) 255 / 224."""
    generator = np.random.default_rng(0)
    y = generator.integers(0, 256, (16, 12), dtype=np.uint8)
    u, v = (generator.integers(0, 256, (8, 6), dtype=np.uint8) for _ in range(2))
    luma = (y - 16.0) * 255 / 219
    u_full, v_full = ((np.repeat(np.repeat(c, 2, 0), 2, 1) - 128.0) * 255 / 224 for c in (u, v))
    reference = np.stack(
        [
            luma + 1.402 * v_full,
            luma - (0.299 * 1.402 * v_full + 0.114 * 1.772 * u_full) / 0.587,
            luma + 1.772 * u_full,
        ],
        axis=-1,
    )
    assert np.abs(yuv420_to_rgb(y, u, v) - np.clip(reference, 0, 255)).max() <= 0.5 + 1e-3


def test_block_mean_against_a_loop() -> None:
    image = np.random.default_rng(1).integers(0, 256, (9, 13, 3), dtype=np.uint8)
    shrunk = shrink_by_block_mean(image, 3)
    assert shrunk.shape == (3, 4, 3)
    for row in range(3):
        for column in range(4):
            block = image[3 * row : 3 * row + 3, 3 * column : 3 * column + 3].astype(np.int64)
            assert (shrunk[row, column] == np.floor(block.sum(axis=(0, 1)) / 9 + 0.5)).all()


def test_cached_carphone_is_close_to_ffmpegs_own_rgb(real_cache: Path) -> None:
    """Independent decode path: FFmpeg's own rgb24 conversion (fixed point, interpolated chroma)."""
    pinned = archive(ARCHIVE)
    mp4 = read_members(pinned, real_cache / "archives" / pinned.filename)["carphone_pristine.mp4"]
    with av.open(io.BytesIO(mp4)) as container:
        ffmpeg = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    difference = np.abs(ffmpeg[:, :, 1:].astype(np.int32) - video_frames("carphone"))
    assert difference.mean() < 1.5 and np.percentile(difference, 99.9) <= 6


def test_clips_shape_dtype_range_and_pixels() -> None:
    clips = video_clips("bikes", size=64, length=10)
    windows = clip_windows("bikes", size=64, length=10)
    assert clips.shape == (len(windows), 10, 3, 64, 64) and clips.dtype == torch.float32
    assert float(clips.min()) >= 0.0 and float(clips.max()) <= 1.0
    frames = video_frames("bikes")
    window = windows[7]
    rows, columns = slice(window.top, window.top + 64), slice(window.left, window.left + 64)
    expected = frames[window.start : window.start + 10, rows, columns]
    assert torch.equal(clips[7] * 255.0, torch.from_numpy(expected).permute(0, 3, 1, 2).float())


def test_grayscale_is_the_luma_of_the_rgb_clip() -> None:
    rgb = video_clips("carphone", size=(48, 64), length=8)
    gray = video_clips("carphone", size=(48, 64), length=8, grayscale=True)
    assert gray.shape == rgb.shape[:2] + (1, 48, 64)
    luma = 0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1] + 0.114 * rgb[:, :, 2]
    torch.testing.assert_close(gray[:, :, 0], luma)


def test_windows_lie_in_one_shot_and_share_no_frame_by_default() -> None:
    shots = VIDEOS["bikes"].shots
    windows = clip_windows("bikes", size=32, length=10, scales=(1.0, 2.0))
    for window in windows:
        assert any(start <= window.frames[0] and window.frames[-1] < stop for start, stop in shots)
    for start, stop in shots:
        starts = sorted({w.start for w in windows if start <= w.start < stop})
        assert all(later - earlier >= 10 for earlier, later in itertools.pairwise(starts))
    assert {(w.height, w.width) for w in windows} == {(32, 32), (64, 64)}


def test_scales_strides_and_steps_make_more_clips_of_the_requested_size() -> None:
    plain = clip_windows("carphone", size=32, length=5)
    many = clip_windows("carphone", size=32, length=5, scales=(1.0, 1.5), time_stride=2, spatial_stride=16)
    assert len(many) > 10 * len(plain)
    clips = video_clips("carphone", size=32, length=5, scales=(1.5,), step=3, max_clips=7, seed=2)
    assert clips.shape == (7, 5, 3, 32, 32)
    stepped = clip_windows("carphone", size=32, length=5, step=3)[0]
    assert list(stepped.frames) == [0, 3, 6, 9, 12]
    again = video_clips("carphone", size=32, length=5, scales=(1.5,), step=3, max_clips=7, seed=2)
    assert torch.equal(clips, again)


def test_held_out_clips_share_no_frame_with_training_clips() -> None:
    training, held_out = split_frames("bikes", held_out_fraction=0.25, gap=3)
    assert training == range(185) and held_out == range(188, 250)
    train_frames = {
        f for w in clip_windows("bikes", 64, 10, frames=training, time_stride=1) for f in w.frames
    }
    held_frames = {f for w in clip_windows("bikes", 64, 10, frames=held_out, time_stride=1) for f in w.frames}
    assert train_frames and held_frames and not train_frames & held_frames
    train, test = train_and_held_out_clips("bikes", size=64, length=10, held_out_fraction=0.25)
    assert train.shape[1:] == test.shape[1:] == (10, 3, 64, 64) and len(train) > len(test) > 0


def test_unknown_video_and_impossible_clips_are_errors() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        video_frames("kitti")
    with pytest.raises(ValueError, match="no 10-frame clip"):
        clip_windows("carphone", size=200, length=10)
