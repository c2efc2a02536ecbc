"""The cost benchmark's machinery: one step per call for every method and cell, interleaved rounds, paired
ratios."""

import pytest

from bookkit.uoro import benchmarks


@pytest.mark.parametrize("cell", list(benchmarks.CELLS))
@pytest.mark.parametrize("method", benchmarks.METHODS)
def test_every_stepper_runs_past_the_end_of_its_stream(method, cell):
    step = benchmarks.make_stepper(method, 4, cell=cell, stream_length=3)
    for _ in range(7):
        step()


def test_rounds_are_interleaved_and_ratios_paired_by_round():
    calls = []
    steppers = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    times = benchmarks.interleaved_step_times(steppers, rounds=4, warmup=1)
    assert calls == ["a", "b"] * 5
    assert [len(times["a"]), len(times["b"])] == [4, 4]
    paired = {"slow": [2.0, 4.0, 100.0, 6.0], "fast": [1.0, 2.0, 50.0, 1.0]}
    assert benchmarks.paired_median_ratio(paired, "slow", "fast") == 2.0  # the burst of round 3 cancels


def test_unknown_method_or_cell_is_an_error():
    with pytest.raises(ValueError, match="valid"):
        benchmarks.make_stepper("BPTT", 4)
    with pytest.raises(ValueError, match="valid"):
        benchmarks.make_stepper("UORO", 4, cell="LSTM")
