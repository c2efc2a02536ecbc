"""Generators, the Shakespeare stretch, entropy lines and the optimiser against independent references."""

import math
import random

import pytest
import torch

from bookkit.datasets.cache import data_dir
from bookkit.uoro import data
from bookkit.uoro.presets import CHARLM
from bookkit.uoro.train import ScheduledAdam, recent_average


def test_anbn_lines_have_equal_runs_in_range():
    text = data.anbn_text(5000, random.Random(0), 2, 9)
    lines = text.split("\n")[:-1]
    for a_run, b_run in zip(lines[::2], lines[1::2]):
        assert set(a_run) == {"a"} and set(b_run) == {"b"} and len(a_run) == len(b_run)
        assert 2 <= len(a_run) <= 9


def test_brackets_repeat_the_saved_symbols_after_the_filler():
    text = data.brackets_text(5000, random.Random(1), save=3, min_filler=2, max_filler=7, alphabet=6)
    for line in text.split("\n")[:-1]:
        assert line[0] == "[" and line[4] == "]" and line[-5] == "[" and line[-1] == "]"
        assert line[1:4] == line[-4:-1]
        assert 2 <= len(line) - 10 <= 7
        assert set(line) - set("[]") <= {chr(33 + i) for i in range(6)}


def test_entropy_lines_match_an_exact_count_and_the_empirical_unigram():
    lines = data.brackets_entropy_lines(1, 5, 5, 10)
    assert abs(lines.optimal - 6 * math.log2(10) / 12) < 1e-12
    assert abs(lines.no_memory - 7 * math.log2(10) / 12) < 1e-12
    assert abs(data.anbn_entropy_lines(1, 32).optimal - 5 / 35) < 1e-12
    text = data.anbn_text(200000, random.Random(0))
    assert abs(len(text) / text.count("\n") * 2 - 35) < 0.5
    assert abs(data.unigram_entropy(text) - 1.259) < 0.01


def test_vocabulary_folds_rare_characters_into_other():
    vocabulary = data.Vocabulary.from_text("aaabbc", max_size=2)
    assert len(vocabulary) == 2
    assert vocabulary.encode("abc").tolist() == [0, 1, 1]


def test_shakespeare_stretch_is_the_opening_of_the_modern_text_and_the_full_stream_fits():
    corpus = (data_dir() / "shakespeare" / "modern.txt").read_text(encoding="utf-8")
    text = data.shakespeare_text(2000)
    assert text == corpus[:2000] and text.startswith("ALL'S WELL THAT ENDS WELL\n\nby William Shakespeare")
    full_length = CHARLM.full.num_streams * (CHARLM.full.steps + 1)
    assert len(data.shakespeare_text(full_length)) == full_length
    with pytest.raises(ValueError, match="5057279 characters"):
        data.shakespeare_text(len(corpus) + 1)


def test_scheduled_adam_with_alpha_zero_matches_torch_adam():
    generator = torch.Generator().manual_seed(0)
    param = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    reference = param.clone().requires_grad_()
    torch_adam = torch.optim.Adam([reference], lr=0.01)
    ours = ScheduledAdam(0.01, alpha=0.0)
    for step in range(1, 6):
        grad = torch.randn(3, 5, generator=generator, dtype=torch.float64)
        reference.grad = grad.clone()
        torch_adam.step()
        (param,) = ours.update([param], [grad], step)
    torch.testing.assert_close(param, reference.detach())
    assert abs(ScheduledAdam(1e-3, alpha=0.03).rate(10000) - 1e-3 / 4) < 1e-15


def test_recent_average_follows_its_recursion():
    losses = torch.tensor([[4.0], [2.0], [1.0]])
    recent = recent_average(losses)
    first = 4.0
    second = (1 - 1 / math.sqrt(2)) * first + 2.0 / math.sqrt(2)
    third = (1 - 1 / math.sqrt(3)) * second + 1.0 / math.sqrt(3)
    torch.testing.assert_close(recent[:, 0], torch.tensor([first, second, third], dtype=torch.float64))


def test_dependency_masks_mark_the_positions_that_need_memory():
    text = "aa\nbb\na\nb\n"
    assert [i for i, v in enumerate(data.anbn_dependency_mask(text).tolist()) if v] == [5, 9]
    line = "[xy]abc[xy]\n"
    marked = [
        (line * 2)[i] for i, v in enumerate(data.brackets_dependency_mask(line * 2, save=2).tolist()) if v
    ]
    assert marked == ["x", "y", "x", "y"]


def test_gradient_agreement_scores_rtrl_as_exact_and_snap_as_close():
    from bookkit.uoro.estimators import RTRL, SnAp1
    from bookkit.uoro.model import TanhRNN
    from bookkit.uoro.train import SGD, GradientAgreement, make_stream_task, train_online

    model = TanhRNN(4, 5, 4)
    symbols = torch.randint(0, 4, (200,), generator=torch.Generator().manual_seed(0))
    task = make_stream_task(symbols, torch.zeros(200, dtype=torch.bool), 4, num_streams=2, steps=40)
    w_state, w_out = model.init_params(1, torch.Generator().manual_seed(1), dtype=torch.float64)
    task.inputs = task.inputs.double()
    monitor = GradientAgreement(
        task,
        RTRL(model),
        {"SnAp-1": SnAp1(model)},
        "RTRL trainer",
        model.initial_state(2, torch.float64),
        every=5,
    )
    run = train_online(
        model, RTRL(model), w_state, w_out, task.inputs, task.targets, SGD(0.05), shared=True, monitor=monitor
    )
    assert len(run.monitored) == 8
    for record in run.monitored:
        assert record["RTRL trainer relative error"] < 1e-10
        assert 0.5 < record["SnAp-1 cosine"] <= 1 + 1e-12
    assert any(record["SnAp-1 relative error"] > 1e-6 for record in run.monitored[1:])


def _stream_task(text, mask, learners, steps):
    from bookkit.uoro.train import make_stream_task

    vocabulary = data.Vocabulary.from_text(text)
    return make_stream_task(vocabulary.encode(text), mask, len(vocabulary), learners, steps)


def test_memoryless_losses_match_a_naive_counting_loop():
    from bookkit.uoro.train import memoryless_losses

    text = data.brackets_text(400, random.Random(3), 1, 1, 2, 3)
    task = _stream_task(text, data.brackets_dependency_mask(text), learners=2, steps=150)
    losses = memoryless_losses(task, prior=0.5)
    symbols, vocabulary = task.inputs.argmax(-1), task.vocabulary_size
    for stream in range(2):
        counts = [[0.5] * vocabulary for _ in range(vocabulary)]
        for t in range(150):
            x, y = int(symbols[t, stream]), int(task.targets[t, stream])
            assert abs(float(losses[t, stream]) + math.log(counts[x][y] / sum(counts[x]))) < 1e-12
            counts[x][y] += 1


def test_memoryless_model_sits_at_its_closed_form_level_and_fails_the_dependency_claim():
    """The null of notebook 4's claims: without memory, the loss at the dependency positions stays at the
    closed-form level, so the ratio the claims bound (below 0.6 at ci, 0.8 at full) stays near 1."""
    from bookkit.uoro.train import dependency_bits, memoryless_losses

    cases = [
        (
            data.brackets_text(60000, random.Random(0), 1, 1, 1, 4),
            data.brackets_memoryless_dependency_bits(4),
            data.brackets_dependency_mask,
        ),
        (
            data.anbn_text(60000, random.Random(0), 1, 4),
            data.anbn_memoryless_dependency_bits(1, 4),
            data.anbn_dependency_mask,
        ),
    ]
    for text, level, make_mask in cases:
        task = _stream_task(text, make_mask(text), learners=3, steps=19000)
        ratio = dependency_bits(memoryless_losses(task), task.dependency, 0.25) / level
        assert torch.all((ratio - 1).abs() < 0.05), ratio
        assert torch.all(ratio > 0.8)


def test_dependency_bits_average_only_the_marked_positions_of_the_tail():
    from bookkit.uoro.train import dependency_bits, dependency_curve

    losses = torch.tensor([[9.0, 9.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]) * math.log(2)
    mask = torch.tensor([[True, True], [True, False], [False, True], [True, True]])
    expected = torch.tensor([3.0, 5.0], dtype=torch.float64)
    torch.testing.assert_close(dependency_bits(losses, mask, 0.75), expected)
    steps, curve = dependency_curve(losses, mask, bins=2)
    assert steps.tolist() == [2, 4]
    torch.testing.assert_close(curve, torch.tensor([[5.0, 9.0], [5.0, 5.0]], dtype=torch.float64))


def test_stability_slope_passes_uoro_and_fails_uoro_without_its_rescaling():
    """The null of uoro/05's stability claim: with rho_0 = rho_1 = 1 the estimate stays unbiased but theta~
    sums every b_t, so its error grows about as sqrt(t) (slope near 0.5), while UORO's stays flat; the
    claim's statistic (log-log slope after the first tenth of the run, threshold 0.1) tells them apart."""
    from bookkit.uoro.benchmarks import log_log_slope
    from bookkit.uoro.estimators import RTRL, UORO
    from bookkit.uoro.model import TanhRNN
    from bookkit.uoro.train import SGD, GradientAgreement, make_stream_task, train_online

    model, steps, streams = TanhRNN(6, 8, 6), 1200, 4
    symbols = torch.randint(0, 6, (streams * (steps + 1),), generator=torch.Generator().manual_seed(0))
    task = make_stream_task(symbols, torch.zeros_like(symbols, dtype=torch.bool), 6, streams, steps)
    w_state, w_out = model.init_params(1, torch.Generator().manual_seed(1))
    unscaled = UORO(model, torch.Generator().manual_seed(3), normalise=False)
    monitor = GradientAgreement(
        task, RTRL(model), {"unscaled": unscaled}, "UORO", model.initial_state(streams), every=5
    )
    trainer = UORO(model, torch.Generator().manual_seed(2))
    run = train_online(
        model, trainer, w_state, w_out, task.inputs, task.targets, SGD(0.0), shared=True, monitor=monitor
    )
    at = torch.tensor([r["step"] for r in run.monitored]) + 1
    late = at > at.max() // 10
    slopes = {
        name: log_log_slope(
            at[late].tolist(), [r[f"{name} relative error"] for r, keep in zip(run.monitored, late) if keep]
        )
        for name in ("UORO", "unscaled")
    }
    assert slopes["UORO"] < 0.1 < 0.3 < slopes["unscaled"], slopes
