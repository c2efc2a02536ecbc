"""Synthetic video worlds that need no download, standing in for the paper's data.

- :func:`rotating_heads`: procedural heads turning in pan (out of plane) and roll (in plane), instead of
  FaceGen faces; every latent (start angles, angular velocities, an 8-d identity vector) is returned.
- :func:`bouncing_balls`: the classic bouncing-balls physics, a fast sanity world.
- :func:`car_camera`: a procedural road seen from a car, instead of KITTI / CalTech / Comma.ai; the yaw rate
  (rad/frame) is the steering label, and :class:`CarStyle` defines a held-out look (the CalTech analog).

Every generator takes a ``torch.Generator`` (the only source of randomness), draws its latents on the CPU,
renders with pure tensor code on ``device`` in chunks, and returns frames in [0, 1] of shape (N, T, C, H, W).
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F

TEXTURE_FREQUENCIES = torch.tensor([[7.0, 3.0, 2.0], [-4.0, 8.0, 1.0], [2.0, -5.0, 9.0], [9.0, 6.0, -4.0]])
LIGHT = torch.tensor([-0.4, 0.5, 1.0]) / math.sqrt(0.4**2 + 0.5**2 + 1.0)


@dataclasses.dataclass
class Video:
    """Frames (N, T, C, H, W) in [0, 1] and the latents that generated them (name -> tensor of N rows)."""

    frames: torch.Tensor
    latents: dict[str, torch.Tensor]


def _uniform(shape: tuple[int, ...], low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=generator, dtype=torch.float64).float() * (high - low) + low


def _unit_rows(x: torch.Tensor) -> torch.Tensor:
    """``x / |x|`` along the last axis (faster than ``F.normalize`` for 3-vectors on the CPU)."""
    return x * torch.rsqrt((x * x).sum(-1, keepdim=True).clamp_min(1e-24))


def rotation_matrices(pan: torch.Tensor, roll: torch.Tensor) -> torch.Tensor:
    """:math:`R = R_z(\\mathrm{roll})\\,R_y(\\mathrm{pan})`, shape (..., 3, 3)."""
    cp, sp, cr, sr = torch.cos(pan), torch.sin(pan), torch.cos(roll), torch.sin(roll)
    zero, one = torch.zeros_like(pan), torch.ones_like(pan)
    r_y = torch.stack([cp, zero, sp, zero, one, zero, -sp, zero, cp], -1).reshape(*pan.shape, 3, 3)
    r_z = torch.stack([cr, -sr, zero, sr, cr, zero, zero, zero, one], -1).reshape(*pan.shape, 3, 3)
    return r_z @ r_y


def render_heads(
    pan: torch.Tensor, roll: torch.Tensor, identity: torch.Tensor, size: int, supersample: int = 2
) -> torch.Tensor:
    """Ray-cast one gray frame per (pan, roll, identity) row: (M,), (M,), (M, 8) -> (M, 1, size, size).

    Orthographic rays :math:`o = R^\\top(u, v, 0)`, :math:`d = R^\\top e_z` meet the ellipsoid
    :math:`|\\mathrm{diag}(1/a)(o+\\tau d)|^2=1` at the larger root; the pixel is albedo times Lambert shading
    :math:`0.25 + 0.75\\max(0, \\hat n\\cdot R^\\top\\ell)`, rendered at ``supersample`` x and average-pooled.
    """
    device = identity.device
    th = torch.tanh(identity / 2)
    axes = torch.stack([0.72 + 0.08 * th[:, 0], 0.88 + 0.06 * th[:, 1], 0.72 + 0.06 * th[:, 2]], -1)
    eye_offset = 0.34 + 0.08 * th[:, 0] + 0.04 * th[:, 3]
    eye_height = 0.20 + 0.06 * th[:, 4]
    eye_width = 0.02 + 0.01 * torch.sigmoid(identity[:, 5])
    mouth_width = 0.30 + 0.10 * th[:, 6]
    skin = 0.75 + 0.15 * th[:, 7]
    hairline = 0.35 + 0.15 * th[:, 3]
    phases = torch.tanh(identity[:, [4, 5, 6, 7]])  # phi_k = tanh(pc_{(k+4) mod 8})

    fine = size * supersample
    centres = (torch.arange(fine, device=device, dtype=torch.float32) + 0.5) / fine * 2 - 1
    v, u = torch.meshgrid(-centres, centres, indexing="ij")  # rows point down, so v decreases with the row
    rotation_t = rotation_matrices(pan.to(device), roll.to(device)).transpose(-1, -2)  # R^T
    plane = torch.stack([u, v, torch.zeros_like(u)], -1).reshape(-1, 3)  # (P, 3)
    origin = torch.einsum("mij,pj->mpi", rotation_t, plane) / axes[:, None, :]
    direction = (rotation_t[:, :, 2] / axes)[:, None, :]
    qa = (direction * direction).sum(-1)
    qb = 2 * (origin * direction).sum(-1)
    qc = (origin * origin).sum(-1) - 1
    discriminant = qb * qb - 4 * qa * qc
    hit = discriminant > 0
    tau = (-qb + torch.sqrt(discriminant.clamp_min(0))) / (2 * qa)
    surface = (origin + tau[..., None] * direction) * axes[:, None, :]  # q, object coordinates
    normal = _unit_rows(surface / axes[:, None, :] ** 2)
    light = torch.einsum("mij,j->mi", rotation_t, LIGHT.to(device))
    shade = 0.25 + 0.75 * (normal * light[:, None, :]).sum(-1).clamp_min(0)

    unit = _unit_rows(surface)
    ux, uy, uz = unit.unbind(-1)
    # hair: above the hairline, reaching further down on the back of the head
    albedo = skin[:, None] * (
        1 - 0.75 * torch.sigmoid(12 * (uy - hairline[:, None] + 0.4 * (-uz).clamp_min(0)))
    )
    for side in (-1.0, 1.0):
        eye = F.normalize(
            torch.stack([side * eye_offset, eye_height, torch.ones_like(eye_height)], -1), dim=-1
        )
        albedo = albedo * (1 - 0.85 * torch.exp(((unit * eye[:, None, :]).sum(-1) - 1) / eye_width[:, None]))
    m = (1 + 0.45**2) ** -0.5
    mouth = torch.exp(
        -((2.2 * ux / mouth_width[:, None]) ** 2) - ((uy + 0.45 * m) / 0.06) ** 2 - ((uz - m) / 0.3) ** 2
    )
    albedo = albedo * (1 - 0.7 * mouth) + 0.25 * torch.exp((uz - 1) / 0.02)
    waves = torch.sin(unit @ TEXTURE_FREQUENCIES.to(device).T + math.pi * phases[:, None, :]).mean(-1)
    albedo = albedo * (1 + 0.35 * waves)
    image = torch.where(hit, (albedo * shade).clamp(0, 1), torch.zeros_like(shade))
    image = image.reshape(-1, 1, fine, fine)
    return F.avg_pool2d(image, supersample) if supersample > 1 else image


def draw_head_latents(num_sequences: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """pan0 ~ U(-pi/2, pi/2), roll0 ~ U(-pi/4, pi/4), vpan, vroll ~ U(-pi/10, pi/10) rad/frame,
    pc ~ N(0, I_8)."""
    n = num_sequences
    return {
        "pan0": _uniform((n,), -math.pi / 2, math.pi / 2, generator),
        "roll0": _uniform((n,), -math.pi / 4, math.pi / 4, generator),
        "vpan": _uniform((n,), -math.pi / 10, math.pi / 10, generator),
        "vroll": _uniform((n,), -math.pi / 10, math.pi / 10, generator),
        "pc": torch.randn((n, 8), generator=generator),
    }


def rotating_heads(
    num_sequences: int,
    num_frames: int,
    size: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
    chunk: int = 8,
) -> Video:
    """Sequences of heads rotating at constant angular velocity: :math:`\\theta(t)=\\theta_0+v\\,t`."""
    latents = draw_head_latents(num_sequences, generator)
    steps = torch.arange(num_frames, dtype=torch.float32)
    pan = latents["pan0"][:, None] + latents["vpan"][:, None] * steps
    roll = latents["roll0"][:, None] + latents["vroll"][:, None] * steps
    identity = latents["pc"][:, None, :].expand(-1, num_frames, -1)
    frames = []
    for start in range(0, num_sequences, chunk):
        stop = min(start + chunk, num_sequences)
        frames.append(
            render_heads(
                pan[start:stop].reshape(-1).to(device),
                roll[start:stop].reshape(-1).to(device),
                identity[start:stop].reshape(-1, 8).to(device),
                size,
            )
        )
    video = torch.cat(frames).reshape(num_sequences, num_frames, 1, size, size)
    return Video(video, latents)


def identity_views(
    num_faces: int,
    num_pans: int,
    num_rolls: int,
    size: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> Video:
    """Static views for identification: each new face at pans linspace(-pi/2, pi/2) x rolls 2 pi k / n.

    Frames (faces * pans * rolls, 1, 1, size, size); latents ``face`` (the label), ``pan``, ``roll``, ``pc``.
    """
    pc = torch.randn((num_faces, 8), generator=generator)
    pans = torch.linspace(-math.pi / 2, math.pi / 2, num_pans)
    rolls = torch.arange(num_rolls, dtype=torch.float32) * (2 * math.pi / num_rolls)
    face, pan, roll = torch.meshgrid(torch.arange(num_faces, dtype=torch.float32), pans, rolls, indexing="ij")
    face, pan, roll = face.reshape(-1).long(), pan.reshape(-1), roll.reshape(-1)
    frames = render_heads(pan.to(device), roll.to(device), pc[face].to(device), size)
    return Video(frames[:, None], {"face": face, "pan": pan, "roll": roll, "pc": pc[face]})


def bouncing_balls(
    num_sequences: int,
    num_frames: int,
    size: int,
    generator: torch.Generator,
    num_balls: int = 1,
    radius: float = 1.2,
    box: float = 10.0,
    speed: float = 0.5,
    device: torch.device | str = "cpu",
) -> Video:
    """Balls in a box of side 10 with elastic walls and equal-mass collisions, two sub-steps per frame.

    Rendered with a one-pixel anti-aliased edge: :math:`\\max_k \\mathrm{clip}((r-|p-c_k|)S/10+0.5, 0, 1)`.
    """
    n, k = num_sequences, num_balls
    position = _uniform((n, k, 2), radius, box - radius, generator)
    for _ in range(1000):  # re-draw sequences whose balls overlap
        gaps = (position[:, :, None] - position[:, None]).norm(dim=-1) + torch.eye(k) * 2 * box
        overlapping = (gaps < 2 * radius).flatten(1).any(1)
        if not overlapping.any():
            break
        position[overlapping] = _uniform((int(overlapping.sum()), k, 2), radius, box - radius, generator)
    angle = _uniform((n, k), 0, 2 * math.pi, generator)
    velocity = speed * torch.stack([torch.cos(angle), torch.sin(angle)], -1)
    first_position, first_velocity = position.clone(), velocity.clone()
    centres = []
    for _ in range(num_frames):
        centres.append(position.clone())
        for _ in range(2):
            position = position + velocity / 2
            leaving = ((position < radius) & (velocity < 0)) | ((position > box - radius) & (velocity > 0))
            velocity = torch.where(leaving, -velocity, velocity)
            for i in range(k):
                for j in range(i + 1, k):
                    offset = position[:, i] - position[:, j]
                    distance = offset.norm(dim=-1, keepdim=True).clamp_min(1e-9)
                    normal = offset / distance
                    closing = ((velocity[:, i] - velocity[:, j]) * normal).sum(-1, keepdim=True)
                    swap = ((distance < 2 * radius) & (closing < 0)).float()
                    velocity_i = velocity[:, i] - swap * closing * normal
                    velocity_j = velocity[:, j] + swap * closing * normal
                    velocity = velocity.clone()
                    velocity[:, i], velocity[:, j] = velocity_i, velocity_j
    track = torch.stack(centres, 1).to(device)  # (N, T, K, 2) as (x, y)
    pixel = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) * box / size
    dx = pixel[None, None, None, None, :] - track[..., 0, None, None]
    dy = pixel[None, None, None, :, None] - track[..., 1, None, None]
    intensity = ((radius - torch.sqrt(dx * dx + dy * dy)) * size / box + 0.5).clamp(0, 1).amax(2)
    return Video(
        intensity[:, :, None],
        {"position0": first_position, "velocity0": first_velocity, "track": track.cpu()},
    )


@dataclasses.dataclass(frozen=True)
class CarStyle:
    """The look of the road world: RGB tint range and facade stripe frequency (rad/m)."""

    tint_low: float = 0.6
    tint_high: float = 1.0
    facade_frequency: float = 0.3


TRAIN_STYLE = CarStyle()
"""The 'KITTI' style the model is trained on."""
HELD_OUT_STYLE = CarStyle(tint_low=0.35, tint_high=0.75, facade_frequency=0.8)
"""The held-out 'CalTech' style: darker, differently coloured, with denser facade stripes."""


def draw_car_latents(
    num_sequences: int,
    num_frames: int,
    generator: torch.Generator,
    style: CarStyle,
    max_yaw_rate: float = 0.06,
) -> dict[str, torch.Tensor]:
    """Speed U(0.5, 2) m/frame, yaw rate U(-0.06, 0.06) rad/frame (the steering label), heading
    :math:`\\psi_t = \\psi_\\text{ref} + \\text{rate}\\,(t - t_\\text{ref})`
    with :math:`\\psi_\\text{ref}` ~ U(-0.1, 0.1) independent of the rate and :math:`t_\\text{ref}` the middle
    of the clip (which keeps the car between the walls), lateral offset U(-1, 1) m,
    along-road offset U(0, 1000) m, walls at U(5, 9) m, phases, tint."""
    n = num_sequences
    reference = (num_frames - 1) / 2
    rate = _uniform((n,), -max_yaw_rate, max_yaw_rate, generator)
    return {
        "speed": _uniform((n,), 0.5, 2.0, generator),
        "yaw_rate": rate,
        "heading0": -rate * reference + _uniform((n,), -0.1, 0.1, generator),
        "lateral": _uniform((n,), -1.0, 1.0, generator),
        "along": _uniform((n,), 0.0, 1000.0, generator),
        "wall": _uniform((n,), 5.0, 9.0, generator),
        "phases": _uniform((n, 4), 0.0, 2 * math.pi, generator),
        "tint": _uniform((n, 3), style.tint_low, style.tint_high, generator),
    }


def render_road(
    x: torch.Tensor,
    z: torch.Tensor,
    heading: torch.Tensor,
    wall: torch.Tensor,
    phases: torch.Tensor,
    height: int,
    width: int,
    facade_frequency: float,
) -> torch.Tensor:
    """Gray road scene seen by a pinhole camera (focal 1, 1.5 m up) at (x, z) with heading :math:`\\psi`.

    A pixel's ray is :math:`(x_p, -y_p H/W, 1)` rotated about the vertical axis by :math:`\\psi`; it hits the
    ground, a facade at :math:`X=\\pm\\text{wall}` (up to 12 m), or the sky; fog blends toward 0.6 with
    :math:`e^{-\\tau/60}` (ground) and :math:`e^{-\\tau/80}` (facades). Inputs (M,) and (M, 4);
    output (M, H, W).
    """
    device = x.device
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) / width * 2 - 1
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) / height * 2 - 1
    ray_y = (-ys * height / width)[None, :, None]
    cos, sin = torch.cos(heading)[:, None, None], torch.sin(heading)[:, None, None]
    ray_x = (xs[None, None, :] * cos + sin).expand(-1, height, -1)
    ray_z = (-xs[None, None, :] * sin + cos).expand(-1, height, -1)
    x, z, wall = x[:, None, None], z[:, None, None], wall[:, None, None]
    ph = [phases[:, k, None, None] for k in range(4)]
    ray_y = ray_y.expand_as(ray_x)
    tau_ground = torch.where(ray_y < 0, 1.5 / (-ray_y).clamp_min(1e-6), torch.full_like(ray_y, math.inf))
    side = torch.where(ray_x > 0, wall, -wall)
    tau_wall = torch.where(ray_x.abs() > 1e-6, (side - x) / ray_x, torch.full_like(ray_x, math.inf))
    wall_height = 1.5 + tau_wall * ray_y
    tau_wall = torch.where(
        (tau_wall > 0) & (wall_height >= 0) & (wall_height <= 12),
        tau_wall,
        torch.full_like(tau_wall, math.inf),
    )
    ground_x, ground_z = x + tau_ground * ray_x, z + tau_ground * ray_z
    dashes = (ground_x.abs() < 0.12) & (torch.remainder(ground_z, 6.0) < 3.0)
    road = 0.35 + 0.55 * dashes.float()
    grass = 0.35 + 0.08 * torch.sin(0.9 * ground_x + ph[0]) * torch.sin(0.7 * ground_z + ph[1])
    ground = torch.where(ground_x.abs() < 3.5, road, grass)
    ground = ground * torch.exp(-tau_ground / 60) + 0.6 * (1 - torch.exp(-tau_ground / 60))
    facade_z = z + tau_wall * ray_z
    windows = (torch.remainder(facade_z + ph[2], 4.0) < 2.0) & (torch.remainder(wall_height, 3.0) > 1.2)
    facade = 0.55 + 0.25 * torch.sin(facade_frequency * facade_z + ph[3]) - 0.3 * windows.float()
    facade = facade * torch.exp(-tau_wall / 80) + 0.6 * (1 - torch.exp(-tau_wall / 80))
    sky = (0.75 + 0.2 * (-ys).clamp_min(0))[None, :, None].expand_as(ray_x)
    image = torch.where(tau_wall < tau_ground, facade, torch.where(torch.isfinite(tau_ground), ground, sky))
    return image.clamp(0, 1)


def car_camera(
    num_sequences: int,
    num_frames: int,
    height: int,
    width: int,
    generator: torch.Generator,
    style: CarStyle = TRAIN_STYLE,
    device: torch.device | str = "cpu",
    chunk: int = 32,
) -> Video:
    """Clips from a car driving with constant speed and yaw rate:
    :math:`\\psi_t = \\psi_0 + \\text{rate}\\,t`, the car advancing ``speed`` metres along :math:`\\psi_t`
    per frame. RGB = gray scene x per-clip tint."""
    latents = draw_car_latents(num_sequences, num_frames, generator, style)
    steps = torch.arange(num_frames, dtype=torch.float32)
    heading = latents["heading0"][:, None] + latents["yaw_rate"][:, None] * steps
    speed = latents["speed"][:, None]
    # position at frame t: the sum of the moves made with the headings of frames 0..t-1
    moves_x = F.pad(torch.cumsum(speed * torch.sin(heading), 1)[:, :-1], (1, 0))
    moves_z = F.pad(torch.cumsum(speed * torch.cos(heading), 1)[:, :-1], (1, 0))
    x = latents["lateral"][:, None] + moves_x
    z = latents["along"][:, None] + moves_z
    frames = []
    for start in range(0, num_sequences, chunk):
        stop = min(start + chunk, num_sequences)
        rows = slice(start, stop)
        count = stop - start
        gray = render_road(
            x[rows].reshape(-1).to(device),
            z[rows].reshape(-1).to(device),
            heading[rows].reshape(-1).to(device),
            latents["wall"][rows, None].expand(-1, num_frames).reshape(-1).to(device),
            latents["phases"][rows, None].expand(-1, num_frames, -1).reshape(-1, 4).to(device),
            height,
            width,
            style.facade_frequency,
        )
        tint = latents["tint"][rows].to(device)[:, None, :, None, None]
        frames.append(gray.reshape(count, num_frames, 1, height, width) * tint)
    return Video(torch.cat(frames), latents)
