"""The two-direction model's negative-result statistic: a model that follows its primed direction must fail
the claim's bound (at most 0.2 of primes followed), a still or one-way model passes it; against a naive loop
over generated angle trajectories."""

import math

import pytest
import torch

from bookkit.spiking_boltzmann.circle_experiments import fraction_following_direction
from bookkit.spiking_boltzmann.data import revolutions

FRAMES, PRIMES = 40, 16
BOUND = 0.2  # the notebook's ci threshold for the negative result


def generated_angles(speed_per_frame: torch.Tensor) -> torch.Tensor:
    """Angle trajectories of ``PRIMES`` generations turning at the given speeds (radians per frame)."""
    start = torch.linspace(0, 2 * math.pi, PRIMES)
    return start[:, None] + speed_per_frame[:, None] * torch.arange(FRAMES)


def naive_fraction(forward: torch.Tensor, backward: torch.Tensor) -> float:
    kept = 0
    for value in forward.tolist():
        kept += value > 1
    for value in backward.tolist():
        kept += value < -1
    return kept / (len(forward) + len(backward))


STEP = 2 * math.pi / 20  # a ball that goes round in 20 frames: two revolutions in 40


@pytest.mark.parametrize(
    ("forward_speed", "backward_speed", "expected", "passes_bound"),
    [
        (STEP, -STEP, 1.0, False),  # follows the primed direction: the null the claim must reject
        (0.0, 0.0, 0.0, True),  # holds the ball still
        (STEP, STEP, 0.5, False),  # always turns forwards, whatever the prime
        (0.3 * STEP, -0.3 * STEP, 0.0, True),  # follows, but for less than one revolution
    ],
)
def test_fraction_following_direction(forward_speed, backward_speed, expected, passes_bound):
    forward = revolutions(generated_angles(torch.full((PRIMES,), forward_speed)))
    backward = revolutions(generated_angles(torch.full((PRIMES,), backward_speed)))
    fraction = fraction_following_direction(forward, backward)
    assert fraction == pytest.approx(expected)
    assert fraction == pytest.approx(naive_fraction(forward, backward))
    assert (fraction <= BOUND) is passes_bound


def test_mixed_speeds_match_the_naive_count_and_shapes_must_agree():
    speeds = torch.linspace(-2 * STEP, 2 * STEP, PRIMES)
    forward, backward = revolutions(generated_angles(speeds)), revolutions(generated_angles(-speeds.flip(0)))
    assert fraction_following_direction(forward, backward) == pytest.approx(naive_fraction(forward, backward))
    with pytest.raises(ValueError, match="differ in shape"):
        fraction_following_direction(forward, backward[:-1])
