"""Frame-prediction metrics: per-pixel MSE, SSIM, and the copy-last-frame baseline.

Protocol (the paper's, as far as it is known): pixels in [0, 1]; MSE per pixel and SSIM averaged over the
predictions of frames :math:`t = 1..T-1` of each sequence; copy-last predicts :math:`\\hat x_t = x_{t-1}`.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F


def mse_per_frame(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """:math:`\\frac1{CHW}\\sum (\\hat x - x)^2` for each frame: (B, T, C, H, W) -> (B, T)."""
    return ((prediction - target) ** 2).mean(dim=(-3, -2, -1))


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Normalised 2-d Gaussian window (size x size), the standard SSIM window."""
    offsets = torch.arange(size, dtype=dtype) - (size - 1) / 2
    line = torch.exp(-(offsets**2) / (2 * sigma**2))
    line = line / line.sum()
    return line[:, None] * line[None, :]


def ssim_per_frame(
    prediction: torch.Tensor,
    target: torch.Tensor,
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_range: float = 1.0,
) -> torch.Tensor:
    """Mean SSIM (Wang et al. 2004) for each frame, over channels and valid window positions:

    .. math::
        \\mathrm{SSIM}=\\frac{(2\\mu_x\\mu_y+C_1)(2\\sigma_{xy}+C_2)}{(\\mu_x^2+\\mu_y^2+C_1)(\\sigma_x^2+\\sigma_y^2+C_2)},
        \\quad C_i=(k_iR)^2,

    with Gaussian-weighted local moments (11x11, :math:`\\sigma=1.5`). (B, T, C, H, W) -> (B, T).
    """
    leading = prediction.shape[:-3]
    channels, height, width = prediction.shape[-3:]
    x = prediction.reshape(-1, 1, height, width)
    y = target.reshape(-1, 1, height, width)
    window = gaussian_window(window_size, sigma, x.dtype).to(x.device)[None, None]
    stacked = torch.cat([x, y, x * x, y * y, x * y], dim=1)
    moments = F.conv2d(stacked, window.expand(5, 1, -1, -1), groups=5)
    mu_x, mu_y, xx, yy, xy = moments.unbind(1)
    var_x, var_y, cov = xx - mu_x**2, yy - mu_y**2, xy - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean(dim=(-2, -1)).reshape(*leading, channels).mean(-1)


@dataclasses.dataclass
class PredictionScores:
    """MSE and SSIM of a predictor and of copy-last on the same frames (t = 1..T-1).

    ``mse_per_step`` and ``copy_last_mse_per_step`` hold the mean over sequences for each t = 1..T-1.
    """

    mse: float
    ssim: float
    copy_last_mse: float
    copy_last_ssim: float
    mse_per_step: list[float]
    copy_last_mse_per_step: list[float]

    @property
    def mse_ratio(self) -> float:
        """MSE of the predictor over MSE of copy-last: the number to compare with the paper."""
        return self.mse / self.copy_last_mse


def score_predictions(predictions: torch.Tensor, frames: torch.Tensor, first: int = 1) -> PredictionScores:
    """Score ``predictions[:, t]`` against ``frames[:, t]`` and copy-last ``frames[:, t-1]``
    for t >= ``first``."""
    target = frames[:, first:]
    ours, copy = predictions[:, first:], frames[:, first - 1 : -1]
    mse, copy_mse = mse_per_frame(ours, target), mse_per_frame(copy, target)
    return PredictionScores(
        mse=float(mse.mean()),
        ssim=float(ssim_per_frame(ours, target).mean()),
        copy_last_mse=float(copy_mse.mean()),
        copy_last_ssim=float(ssim_per_frame(copy, target).mean()),
        mse_per_step=mse.mean(0).tolist(),
        copy_last_mse_per_step=copy_mse.mean(0).tolist(),
    )


def two_frame_mean(frames: torch.Tensor) -> torch.Tensor:
    """The two-frame-mean predictor, a harder baseline than copy-last on noisy motion:
    :math:`\\hat x_t = \\tfrac12(x_{t-1} + x_{t-2})` for :math:`t \\ge 2`, :math:`\\hat x_1 = x_0` (one frame
    seen) and :math:`\\hat x_0 = 0` (none seen, as PredNet's first output). (B, T, C, H, W) -> same shape."""
    predictions = torch.zeros_like(frames)
    predictions[:, 1] = frames[:, 0]
    predictions[:, 2:] = 0.5 * (frames[:, 1:-1] + frames[:, :-2])
    return predictions


def blurred_copy_last(frames: torch.Tensor, sigma: float, window_size: int = 7) -> torch.Tensor:
    """Copy-last through a Gaussian blur, the predictor a network that learned only to hedge would match:
    :math:`\\hat x_t = G_\\sigma * x_{t-1}` for :math:`t \\ge 1` (a normalised ``window_size`` window, edges
    replicated), :math:`\\hat x_0 = 0`. (B, T, C, H, W) -> same shape."""
    batch, steps, channels, height, width = frames.shape
    window = gaussian_window(window_size, sigma, frames.dtype).to(frames.device)[None, None]
    half = window_size // 2
    previous = F.pad(frames[:, :-1].reshape(-1, 1, height, width), (half, half, half, half), mode="replicate")
    blurred = F.conv2d(previous, window).reshape(batch, steps - 1, channels, height, width)
    return torch.cat([torch.zeros_like(frames[:, :1]), blurred], dim=1)


def best_blurred_copy_last(
    frames: torch.Tensor, sigmas: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
) -> tuple[float, torch.Tensor]:
    """(sigma, predictions) of :func:`blurred_copy_last` with the ``sigma`` of lowest MSE over
    :math:`t \\ge 1` on ``frames`` themselves: an oracle choice that can only favour this baseline."""
    errors = {
        sigma: float(mse_per_frame(blurred_copy_last(frames, sigma)[:, 1:], frames[:, 1:]).mean())
        for sigma in sigmas
    }
    sigma = min(errors, key=errors.__getitem__)
    return sigma, blurred_copy_last(frames, sigma)
