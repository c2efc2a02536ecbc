import pytest
import torch

from bookkit.training import (
    Checkpointer,
    CheckpointError,
    NonFiniteError,
    check_finite,
    load_checkpoint,
    load_or_train,
    progress,
    save_checkpoint,
)


def test_checkpoint_round_trip_is_exact(tmp_path):
    state = {"weights": torch.randn(3, 4, dtype=torch.float64), "step": 5, "history": [0.5, 0.25]}
    save_checkpoint(tmp_path / "run.pt", state)
    loaded = load_checkpoint(tmp_path / "run.pt")
    assert torch.equal(loaded["weights"], state["weights"]) and loaded["history"] == [0.5, 0.25]
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]


def test_corrupt_checkpoint_is_a_clear_error_and_left_in_place(tmp_path):
    path = tmp_path / "run.pt"
    save_checkpoint(path, {"w": torch.ones(100)})
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="corrupt or unreadable.*delete it"):
        load_checkpoint(path)
    assert path.exists()


class Opaque:
    """Stands for any object a weights-only load must refuse to unpickle."""


def test_checkpoints_refuse_arbitrary_pickles(tmp_path):
    torch.save({"object": Opaque()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "evil.pt")


def test_checkpointer_resumes_a_loop_where_it_stopped(tmp_path):
    def train(num_steps, stop_after=None):
        checkpointer = Checkpointer(tmp_path / "loop.pt", every=3)
        start, state = checkpointer.resume()
        total = torch.zeros(()) if state is None else state["total"]
        for step in range(start, num_steps):
            if stop_after is not None and step == stop_after:
                return None
            total = total + step
            checkpointer.maybe_save(step + 1, lambda total=total: {"total": total})
        return total

    uninterrupted = sum(range(10))
    assert train(10, stop_after=7) is None
    assert Checkpointer(tmp_path / "loop.pt", every=3).resume()[0] == 6
    assert float(train(10)) == uninterrupted


def test_load_or_train_trains_once(tmp_path):
    calls = []

    def train():
        calls.append(1)
        return {"w": torch.arange(3.0)}

    first = load_or_train(tmp_path / "m.pt", train)
    second = load_or_train(tmp_path / "m.pt", train)
    assert len(calls) == 1 and torch.equal(first["w"], second["w"])


def test_load_or_train_leaves_the_global_generators_as_a_load_would(tmp_path):
    def train():
        return {"w": torch.randn(5)}  # consumes the global generator

    torch.manual_seed(3)
    load_or_train(tmp_path / "m.pt", train)
    after_training = torch.rand(3)
    torch.manual_seed(3)
    load_or_train(tmp_path / "m.pt", train)
    after_loading = torch.rand(3)
    assert torch.equal(after_training, after_loading)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), torch.tensor([1.0, float("nan")])])
def test_non_finite_values_stop_the_run_naming_the_step(value):
    with pytest.raises(NonFiniteError, match="meta-loss.*step 42"):
        check_finite(value, step=42, what="meta-loss")


def test_finite_values_pass():
    check_finite(1.0, step=0)
    check_finite(torch.ones(3), step=0)


def test_headless_progress_prints_a_few_lines(monkeypatch, capsys):
    monkeypatch.setenv("BOOKKIT_HEADLESS", "1")
    assert list(progress(range(100), desc="training")) == list(range(100))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 5 and lines[-1].startswith("training: 100/100")


def _train_slowly_and_count(path, counter):
    import time as clock

    def train():
        with open(counter, "a") as handle:
            handle.write("trained\n")
        clock.sleep(1.0)
        return {"weights": torch.ones(3)}
    return load_or_train(path, train)["weights"].sum().item()


def test_parallel_notebooks_train_a_shared_model_once(tmp_path):
    import multiprocessing

    counter = tmp_path / "count.txt"
    with multiprocessing.get_context("fork").Pool(3) as pool:
        totals = pool.starmap(_train_slowly_and_count, [(tmp_path / "shared.pt", counter)] * 3)
    assert totals == [3.0, 3.0, 3.0]
    assert counter.read_text().count("trained") == 1
