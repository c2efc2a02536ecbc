"""PredNet model: parameter counts, gates, loss identity, causality, extrapolation, float64 reference."""

import numpy as np
import pytest
import torch

from bookkit.prednet.model import (
    FACES_STACKS,
    KITTI_STACKS,
    CNNLSTMControl,
    PredNet,
    build_model,
    count_parameters,
    hard_sigmoid,
    layer_weights,
    prednet_loss,
    prednet_macs_per_frame,
    prednet_parameter_count,
)


@pytest.mark.parametrize(
    ("stacks", "expected"),
    [(KITTI_STACKS, 6_915_948), (FACES_STACKS, 12_510_842), ((1, 16, 32), 178_682), ((3, 16, 32), 181_356)],
)
def test_prednet_param_count_matches_official_and_closed_form(stacks, expected):
    assert count_parameters(PredNet(stacks)) == expected
    assert prednet_parameter_count(stacks) == expected


@pytest.mark.parametrize(
    ("stacks", "expected"), [(KITTI_STACKS, 4_529_352), (FACES_STACKS, 8_206_166), ((1, 16, 32), 116_246)]
)
def test_control_param_count(stacks, expected):
    assert count_parameters(CNNLSTMControl(stacks)) == expected


def test_hard_sigmoid_is_keras2_not_torch():
    x = torch.tensor([-10.0, -2.5, -1.0, 0.0, 0.7, 2.5, 3.0, 10.0])
    expected = np.minimum(1, np.maximum(0, 0.2 * x.numpy() + 0.5))
    np.testing.assert_allclose(hard_sigmoid(x).numpy(), expected, atol=1e-7)
    assert not torch.allclose(hard_sigmoid(x), torch.nn.functional.hardsigmoid(x))


def test_gate_blocks_have_their_own_glorot_bound():
    model = PredNet((1, 16, 32), seed=0)
    weight = model.cells[1].gates.weight  # in = 3*16 + 32 = 80 channels, 4 blocks of 16
    bound = (6 / ((80 + 16) * 9)) ** 0.5
    for block in weight.detach().chunk(4, dim=0):
        assert block.abs().max() <= bound
        assert block.abs().max() > 0.95 * bound
    assert all(torch.count_nonzero(c.gates.bias) == 0 for c in model.cells)


def test_l0_loss_is_half_the_pixel_l1_after_the_first_frame():
    torch.manual_seed(0)
    model = PredNet((1, 4, 8), seed=1)
    frames = torch.rand(3, 5, 1, 8, 8)
    output = model(frames)
    loss = prednet_loss(output.layer_errors, layer_weights("L_0", 3))
    half_l1 = 0.5 * (output.predictions[:, 1:] - frames[:, 1:]).abs().mean()
    assert abs(loss.item() - half_l1.item()) < 1e-6
    lall = prednet_loss(output.layer_errors, layer_weights("L_all", 3))
    assert lall.item() > loss.item()


def _randomise(model, std):
    """Non-zero weights and biases everywhere, with the pixel prediction kept inside (0, 1)."""
    with torch.no_grad():
        for p in model.parameters():
            torch.nn.init.normal_(p, std=std)
        model.predict[0].bias.fill_(0.4)


def test_no_gradient_flows_from_future_frames():
    model = PredNet((1, 4, 8), seed=2)
    _randomise(model, std=0.1)
    frames = torch.rand(2, 6, 1, 8, 8, requires_grad=True)
    model(frames).predictions[:, 3].sum().backward()
    grad = frames.grad.abs().sum(dim=(0, 2, 3, 4))
    assert torch.all(grad[3:] == 0)
    assert torch.all(grad[:3] > 0)


def test_control_is_causal_too():
    model = CNNLSTMControl((1, 4, 8), seed=2)
    frames = torch.rand(2, 6, 1, 8, 8, requires_grad=True)
    model(frames).predictions[:, 3].sum().backward()
    grad = frames.grad.abs().sum(dim=(0, 2, 3, 4))
    assert torch.all(grad[3:] == 0) and torch.all(grad[1:3] > 0)


@pytest.mark.parametrize("kind", [PredNet, CNNLSTMControl])
def test_extrapolation_modes(kind):
    model = kind((1, 4, 8), seed=3)
    frames = torch.rand(2, 7, 1, 8, 8)
    normal = model(frames).predictions
    assert torch.equal(model(frames, extrap_start=7).predictions, normal)
    extrapolated = model(frames, extrap_start=4).predictions
    assert torch.equal(extrapolated[:, :5], normal[:, :5])  # prediction t uses frames < t only
    assert not torch.allclose(extrapolated[:, 5:], normal[:, 5:])
    changed = frames.clone()
    changed[:, 4:] = torch.rand_like(changed[:, 4:])
    assert torch.equal(model(changed, extrap_start=4).predictions, extrapolated)


def test_first_prediction_is_uniform_away_from_the_padding_border():
    model = PredNet((1, 4, 8, 8), seed=4)
    _randomise(model, std=0.1)
    first = model(torch.rand(1, 2, 1, 32, 32)).predictions[0, 0, 0]
    interior = first[8:-8, 8:-8]
    assert interior.std().item() < 1e-6
    assert first.std().item() > 1e-4


# ---------------------------------------------------------------------------------------------------------
# An independent float64 NumPy implementation of the update equations (paper section 2.1).


def _conv(x, weight, bias):
    """'same' 3x3 convolution (cross-correlation) of x (C, H, W) with weight (O, C, 3, 3) by explicit sums."""
    c, h, w = x.shape
    padded = np.zeros((c, h + 2, w + 2))
    padded[:, 1:-1, 1:-1] = x
    out = np.zeros((weight.shape[0], h, w))
    for o in range(weight.shape[0]):
        acc = np.full((h, w), bias[o])
        for i in range(c):
            for dy in range(3):
                for dx in range(3):
                    acc += weight[o, i, dy, dx] * padded[i, dy : dy + h, dx : dx + w]
        out[o] = acc
    return out


def _relu(x):
    return np.maximum(x, 0)


def _hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0, 1)


def _maxpool(x):
    c, h, w = x.shape
    return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def _upsample(x):
    return x.repeat(2, axis=1).repeat(2, axis=2)


def _reference_prednet(params, stacks, frames, r_stacks=None):
    """Algorithm 1, one sequence (T, C, H, W), float64; returns predictions (T, C, H, W)."""
    n = len(stacks)
    r_stacks = stacks if r_stacks is None else r_stacks
    _, _, h, w = frames.shape
    r = [np.zeros((s, h >> k, w >> k)) for k, s in enumerate(r_stacks)]
    c = [np.zeros_like(x) for x in r]
    e = [np.zeros((2 * s, h >> k, w >> k)) for k, s in enumerate(stacks)]
    out = []
    for x in frames:
        for layer in reversed(range(n)):
            z = [r[layer], e[layer]] + ([_upsample(r[layer + 1])] if layer < n - 1 else [])
            z = np.concatenate(z)
            wg, bg = params[f"cells.{layer}.gates.weight"], params[f"cells.{layer}.gates.bias"]
            s = r_stacks[layer]
            i, f, o, g = (_conv(z, wg[k * s : (k + 1) * s], bg[k * s : (k + 1) * s]) for k in range(4))
            c[layer] = _hard_sigmoid(f) * c[layer] + _hard_sigmoid(i) * np.tanh(g)
            r[layer] = _hard_sigmoid(o) * np.tanh(c[layer])
        a = x
        for layer in range(n):
            a_hat = _relu(_conv(r[layer], params[f"predict.{layer}.weight"], params[f"predict.{layer}.bias"]))
            if layer == 0:
                a_hat = np.minimum(a_hat, 1.0)
                out.append(a_hat)
            e[layer] = np.concatenate([_relu(a - a_hat), _relu(a_hat - a)])
            if layer < n - 1:
                a = _maxpool(
                    _relu(_conv(e[layer], params[f"target.{layer}.weight"], params[f"target.{layer}.bias"]))
                )
    return np.stack(out)


def test_prednet_agrees_with_float64_numpy_reference():
    stacks = (2, 3, 4)
    model = PredNet(stacks, seed=5).double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))  # non-zero biases exercise every term
    frames = torch.rand(1, 3, 2, 8, 8, dtype=torch.float64)
    ours = model(frames).predictions[0].detach().numpy()
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    reference = _reference_prednet(params, stacks, frames[0].numpy())
    assert np.abs(reference).max() > 0.01
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-10)


def test_prednet_with_wider_r_stacks_agrees_with_float64_numpy_reference():
    stacks, r_stacks = (2, 3, 4), (5, 2, 6)
    model = PredNet(stacks, seed=5, r_stacks=r_stacks).double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    frames = torch.rand(1, 3, 2, 8, 8, dtype=torch.float64)
    ours = model(frames).predictions[0].detach().numpy()
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    reference = _reference_prednet(params, stacks, frames[0].numpy(), r_stacks)
    assert np.abs(reference).max() > 0.01
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-10)


def test_r_stacks_param_count_by_hand_modules_and_closed_form():
    # (3, 16, 32) with R (8, 16, 32), counted conv by conv:
    # cells 30->32, 80->64, 96->128; predict 8->3, 16->16, 32->32; target 6->16, 32->32 (3x3 kernels + biases)
    by_hand = (
        (30 * 32 * 9 + 32)
        + (80 * 64 * 9 + 64)
        + (96 * 128 * 9 + 128)
        + (8 * 3 * 9 + 3)
        + (16 * 16 * 9 + 16)
        + (32 * 32 * 9 + 32)
        + (6 * 16 * 9 + 16)
        + (32 * 32 * 9 + 32)
    )
    assert by_hand == 187_451
    assert count_parameters(PredNet((3, 16, 32), r_stacks=(8, 16, 32))) == by_hand
    assert prednet_parameter_count((3, 16, 32), (8, 16, 32)) == by_hand
    for stacks, r_stacks in [(KITTI_STACKS, (8, 48, 96, 192)), ((1, 4, 8), (3, 2, 9)), ((2, 5), (7, 1))]:
        counted = count_parameters(PredNet(stacks, r_stacks=r_stacks))
        assert counted == prednet_parameter_count(stacks, r_stacks)


def test_default_r_stacks_equal_a_stacks_give_the_same_model():
    torch.manual_seed(0)
    frames = torch.rand(2, 4, 3, 16, 16)
    default = PredNet((3, 4, 8), seed=3)
    explicit = PredNet((3, 4, 8), seed=3, r_stacks=(3, 4, 8))
    assert default.r_stacks == default.stacks
    for (name, a), (_, b) in zip(default.state_dict().items(), explicit.state_dict().items()):
        assert torch.equal(a, b), name
    assert torch.equal(default(frames).predictions, explicit(frames).predictions)
    assert prednet_parameter_count(KITTI_STACKS, KITTI_STACKS) == prednet_parameter_count(KITTI_STACKS)


def test_r_stacks_shapes():
    model = PredNet((3, 4, 8), seed=0, r_stacks=(6, 5, 2))
    out = model(torch.rand(2, 3, 3, 16, 16), keep_states=True)
    assert out.predictions.shape == (2, 3, 3, 16, 16)
    assert out.layer_errors.shape == (2, 3, 3)
    assert [tuple(r.shape) for r in out.representations[-1]] == [(2, 6, 16, 16), (2, 5, 8, 8), (2, 2, 4, 4)]
    assert [tuple(e.shape) for e in out.errors[-1]] == [(2, 6, 16, 16), (2, 8, 8, 8), (2, 16, 4, 4)]
    with pytest.raises(ValueError, match="differ in length"):
        PredNet((3, 4, 8), r_stacks=(3, 4))
    with pytest.raises(ValueError, match="no separate R stacks"):
        build_model("cnn_lstm", (3, 4, 8), r_stacks=(6, 4, 8))
    assert isinstance(build_model("cnn_lstm", (3, 4, 8), r_stacks=(3, 4, 8)), CNNLSTMControl)


@pytest.mark.parametrize(
    ("stacks", "r_stacks"), [((3, 4, 8), None), ((3, 4, 8), (6, 5, 2)), ((1, 2), (4, 3))]
)
def test_macs_closed_form_matches_counted_convolutions(stacks, r_stacks):
    """Multiply-accumulates of every 3x3 conv of one step, counted with forward hooks, against the formula."""
    model = PredNet(stacks, r_stacks=r_stacks)
    counted = []

    def hook(module, inputs, output):
        counted.append(output[0].numel() * module.in_channels * 9)

    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(hook)
    model(torch.rand(1, 1, stacks[0], 16, 24))
    assert sum(counted) == prednet_macs_per_frame(stacks, 16, 24, r_stacks)
