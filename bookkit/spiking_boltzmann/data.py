"""Synthetic image sequences (a ball on a circle, bouncing balls) and the angle metrics of the ball task.

The ball task is our reconstruction of the paper's experiment (a ball moving repeatedly along a circular
path): a $G\\times G$ grid, a blob of intensity $I=\\exp(-d^2/(2s^2))$ at angle
$\\theta_t=\\theta_0+\\mathrm{dir}\\cdot2\\pi t/P$ on a circle of radius $R$ about the centre $(G-1)/2$,
and visible spikes $v=\\mathbf 1[I>0.5]$ (or $v\\sim\\mathrm{Bernoulli}(0.9I)$, the stochastic variant).
"""

from __future__ import annotations

import dataclasses
import math

import torch

Tensor = torch.Tensor


@dataclasses.dataclass(frozen=True)
class CircleTask:
    """Geometry of the ball-on-a-circle task: grid size, radius, period (frames per turn), blob width."""

    grid: int = 10
    radius: float = 3.0
    period: int = 16
    blob_sd: float = 0.9

    @property
    def step(self) -> float:
        """The true angular step per frame, $2\\pi/P$ (radians)."""
        return 2 * math.pi / self.period

    @property
    def num_pixels(self) -> int:
        return self.grid * self.grid


def circle_angles(
    theta0: Tensor, num_frames: int, task: CircleTask, direction: Tensor | float = 1.0
) -> Tensor:
    """$\\theta_t=\\theta_0+\\mathrm{dir}\\cdot2\\pi t/P$ for $t=0..T-1$; returns ``theta0.shape + (T,)``."""
    t = torch.arange(num_frames, dtype=theta0.dtype, device=theta0.device)
    direction = torch.as_tensor(direction, dtype=theta0.dtype, device=theta0.device)
    return theta0[..., None] + (direction * task.step)[..., None] * t


def render_circle(angles: Tensor, task: CircleTask) -> Tensor:
    """Intensities $I=\\exp(-d^2/(2s^2))$ of a ball at ``angles``: shape ``angles.shape + (G*G,)``.

    Pixel $(i,j)$ is row $i$, column $j$; the ball sits at $(\\bar g+R\\cos\\theta,\\ \\bar g+R\\sin\\theta)$.
    """
    centre = (task.grid - 1) / 2
    coords = torch.arange(task.grid, dtype=angles.dtype, device=angles.device)
    row = centre + task.radius * torch.cos(angles)
    col = centre + task.radius * torch.sin(angles)
    d2 = (coords - row[..., None])[..., :, None] ** 2 + (coords - col[..., None])[..., None, :] ** 2
    return torch.exp(-d2 / (2 * task.blob_sd**2)).flatten(-2)


def intensity_to_spikes(
    intensity: Tensor, stochastic: Tensor | bool, generator: torch.Generator | None
) -> Tensor:
    """$v=\\mathbf 1[I>0.5]$, or $v\\sim\\mathrm{Bernoulli}(0.9I)$ where ``stochastic`` (broadcast over
    leading axes)."""
    deterministic = (intensity > 0.5).to(intensity.dtype)
    stochastic = torch.as_tensor(stochastic, device=intensity.device)
    if not bool(stochastic.any()):
        return deterministic
    noise = torch.rand(intensity.shape, generator=generator, device=intensity.device, dtype=intensity.dtype)
    sampled = (noise < 0.9 * intensity).to(intensity.dtype)
    while stochastic.dim() < intensity.dim():
        stochastic = stochastic[..., None]
    return torch.where(stochastic, sampled, deterministic)


def random_circle_intensities(
    num_streams: int,
    batch_size: int,
    num_frames: int,
    task: CircleTask,
    generator: torch.Generator | None,
    bidirectional: Tensor | bool = False,
) -> Tensor:
    """A minibatch per data stream: $\\theta_0\\sim U(0,2\\pi)$; dir $=\\pm1$ at random where
    ``bidirectional``.

    Returns intensities $(S, B, T, G^2)$.
    """
    theta0 = torch.rand(num_streams, batch_size, generator=generator, dtype=torch.float64) * 2 * math.pi
    flips = torch.rand(num_streams, batch_size, generator=generator, dtype=torch.float64) < 0.5
    both = torch.as_tensor(bidirectional)
    if both.dim():
        both = both[:, None]
    direction = torch.where(flips & both, -1.0, 1.0).to(torch.float64)
    return render_circle(circle_angles(theta0, num_frames, task, direction), task).float()


def decode_angle(frames: Tensor, task: CircleTask, min_mass: float = 0.5) -> Tensor:
    """The angle of a frame's intensity centroid about the grid centre; NaN where the mass is below
    ``min_mass``.

    $\\hat\\theta=\\operatorname{atan2}(\\bar j-\\bar g,\\ \\bar i-\\bar g)$ with $(\\bar i,\\bar j)$ the
    centroid. Empty generated frames are thus failures rather than arbitrary angles.
    """
    images = frames.reshape(*frames.shape[:-1], task.grid, task.grid)
    centre = (task.grid - 1) / 2
    coords = torch.arange(task.grid, dtype=frames.dtype, device=frames.device) - centre
    mass = images.sum((-1, -2))
    row = (images.sum(-1) * coords).sum(-1) / mass.clamp_min(1e-12)
    col = (images.sum(-2) * coords).sum(-1) / mass.clamp_min(1e-12)
    angle = torch.atan2(col, row)
    return torch.where(mass >= min_mass, angle, torch.full_like(angle, float("nan")))


def wrap_angle(angle: Tensor) -> Tensor:
    """$\\mathrm{wrap}(\\alpha)\\in(-\\pi,\\pi]$."""
    return torch.remainder(angle + math.pi, 2 * math.pi) - math.pi


def one_step_error(predicted: Tensor, true: Tensor, task: CircleTask) -> Tensor:
    """$\\lvert\\mathrm{wrap}(\\hat\\theta_t-\\theta_t)\\rvert/(2\\pi/P)$ in steps; NaN predictions count
    as $P/2$ steps."""
    error = wrap_angle(predicted - true).abs() / task.step
    return torch.nan_to_num(error, nan=task.period / 2)


def fraction_good(angles: Tensor, task: CircleTask, direction: float = 1.0) -> Tensor:
    """The fraction of consecutive frames whose $\\mathrm{wrap}(\\Delta\\hat\\theta)$ is within $\\pm50\\%$ of
    dir$\\cdot2\\pi/P$.

    Reduces the last axis (time); NaN angles (empty frames) are failures.
    """
    steps = wrap_angle(angles[..., 1:] - angles[..., :-1]) / (direction * task.step)
    good = (steps - 1).abs() <= 0.5
    return good.to(angles.dtype).mean(-1)


def revolutions(angles: Tensor) -> Tensor:
    """$\\sum_t\\mathrm{wrap}(\\Delta\\hat\\theta_t)/2\\pi$ over the last axis (NaN steps count as 0)."""
    steps = torch.nan_to_num(wrap_angle(angles[..., 1:] - angles[..., :-1]), nan=0.0)
    return steps.sum(-1) / (2 * math.pi)


@dataclasses.dataclass(frozen=True)
class BouncingBallsTask:
    """Sutskever-style bouncing balls, re-implemented from its description: a box of side 10, balls of radius
    1.2, elastic collisions, integration step 0.5, super-Gaussian blobs $\\exp(-(d^2/r^2)^4)$ clipped at 1,
    rendered at ``resolution``; ``threshold`` turns intensities into binary spikes."""

    resolution: int = 10
    num_balls: int = 1
    box: float = 10.0
    ball_radius: float = 1.2
    dt: float = 0.5
    speed: float = 1.0
    threshold: float = 0.5


def bouncing_balls(
    num_sequences: int, num_frames: int, task: BouncingBallsTask, generator: torch.Generator | None
) -> Tensor:
    """Binary frames $(N, T, \\text{res}^2)$ of balls bouncing elastically in a box.

    Positions start uniformly away from the walls, velocities have norm ``speed``; walls reflect; equal-mass
    balls that overlap and approach exchange their velocity components along the line of centres.
    Vectorised over sequences; the time loop is inherent to the simulation.
    """
    n, k, r, box = num_sequences, task.num_balls, task.ball_radius, task.box
    position = r + torch.rand(n, k, 2, generator=generator, dtype=torch.float64) * (box - 2 * r)
    heading = torch.rand(n, k, generator=generator, dtype=torch.float64) * 2 * math.pi
    velocity = task.speed * torch.stack([torch.cos(heading), torch.sin(heading)], -1)
    pixel = (torch.arange(task.resolution, dtype=torch.float64) + 0.5) * box / task.resolution
    frames = []
    for _ in range(num_frames):
        d2 = (pixel[:, None] - position[..., 0, None, None]) ** 2 + (
            pixel[None, :] - position[..., 1, None, None]
        ) ** 2
        frames.append(torch.exp(-((d2 / r**2) ** 4)).sum(1).clamp(max=1.0).flatten(-2))
        position = position + task.dt * velocity
        low, high = position < r, position > box - r
        velocity = torch.where(low | high, -velocity, velocity)
        position = torch.where(low, 2 * r - position, torch.where(high, 2 * (box - r) - position, position))
        if k > 1:
            delta = position[:, :, None] - position[:, None, :]
            distance = delta.norm(dim=-1).clamp_min(1e-9)
            normal = delta / distance[..., None]
            approaching = ((velocity[:, :, None] - velocity[:, None, :]) * normal).sum(-1) < 0
            hit = (distance < 2 * r) & approaching & ~torch.eye(k, dtype=torch.bool)
            exchange = (
                ((velocity[:, None, :] - velocity[:, :, None]) * normal).sum(-1, keepdim=True)
                * normal
                * hit[..., None]
            ).sum(2)
            velocity = velocity + exchange
    return (torch.stack(frames, 1) > task.threshold).float()
