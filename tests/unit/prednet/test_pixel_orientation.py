"""The data-dependent sign of the pixel layer: the measured share against a direct computation, and the
choice against both signs."""

import pytest
import torch
import torch.nn.functional as F

from bookkit.prednet.model import PredNet
from bookkit.prednet.pixel_orientation import open_fraction, orient_pixel_layer_
from bookkit.prednet.train import data_generator, make_world


def balls(seed: int = 0) -> torch.Tensor:
    return make_world("balls", 6, 5, 16, 16, data_generator(seed, "train")).frames


def open_fraction_from_states(net: PredNet, frames: torch.Tensor) -> float:
    """The reference: the kept states R_0^t convolved by hand with the pixel kernel, bright pixels counted
    in a loop over steps."""
    trace = net(frames, keep_states=True)
    weight, bias = net.predict[0].weight, net.predict[0].bias
    open_count, bright_count = 0, 0
    for t in range(1, frames.shape[1]):
        z = F.conv2d(trace.representations[t][0], weight, bias, padding=weight.shape[-1] // 2)
        bright = frames[:, t] > 0
        open_count += int((z[bright] > 0).sum())
        bright_count += int(bright.sum())
    return open_count / bright_count


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_open_fraction_matches_the_states_convolved_by_hand(seed):
    net = PredNet((1, 4, 8), seed=seed)
    frames = balls(seed)
    assert open_fraction(net, frames) == pytest.approx(open_fraction_from_states(net, frames), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_orientation_keeps_the_better_of_the_two_signs_whichever_was_drawn(seed):
    frames = balls(seed)
    drawn = PredNet((1, 4, 8), seed=seed)
    negated = PredNet((1, 4, 8), seed=seed)
    with torch.no_grad():
        negated.predict[0].weight.neg_()
        negated.predict[0].bias.neg_()
    first, second = orient_pixel_layer_(drawn, frames), orient_pixel_layer_(negated, frames)
    assert first.drawn == pytest.approx(second.negated) and first.negated == pytest.approx(second.drawn)
    assert first.flipped != second.flipped
    assert torch.equal(drawn.predict[0].weight, negated.predict[0].weight)
    assert open_fraction(drawn, frames) == pytest.approx(max(first.drawn, first.negated))


def test_orientation_changes_only_the_pixel_layer_and_is_idempotent():
    frames = balls(2)
    net = PredNet((1, 4, 8), seed=2)
    before = {name: p.clone() for name, p in net.state_dict().items()}
    orient_pixel_layer_(net, frames)
    after_once = {name: p.clone() for name, p in net.state_dict().items()}
    again = orient_pixel_layer_(net, frames)
    assert not again.flipped
    for name, value in net.state_dict().items():
        assert torch.equal(value, after_once[name])
        if not name.startswith("predict.0."):
            assert torch.equal(value, before[name])


def test_frames_without_bright_pixels_are_refused():
    with pytest.raises(ValueError, match="no bright pixel"):
        open_fraction(PredNet((1, 4, 8), seed=0), torch.zeros(2, 3, 1, 16, 16))
