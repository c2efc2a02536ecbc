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
    with pytest.raises(CheckpointError, match=r"corrupt or unreadable.*delete it"):
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
    with pytest.raises(NonFiniteError, match=r"meta-loss.*step 42"):
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


@pytest.fixture
def generated(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKKIT_GENERATED", str(tmp_path / "generated"))
    monkeypatch.delenv("BOOKKIT_METRICS_PATH", raising=False)
    return tmp_path / "generated"


def test_a_run_with_changed_settings_never_loads_or_overwrites_the_default_model(generated):
    import dataclasses

    from bookkit.notebook import NotebookSession
    from bookkit.scales import Presets

    @dataclasses.dataclass(frozen=True)
    class Config:
        num_epochs: int
        lr: float

    presets = Presets(smoke=Config(1, 0.1), ci=Config(2, 0.1), full=Config(20, 0.01))

    def trained_epochs(overrides):
        session = NotebookSession("demo/01-x", presets, "ci", 0, "cpu", overrides)
        state = load_or_train(
            session.artifact("model"), lambda: {"epochs": torch.tensor(session.config.num_epochs)}
        )
        return int(state["epochs"])

    assert trained_epochs({}) == 2
    assert trained_epochs({"num_epochs": "1"}) == 1  # not the cached two-epoch model
    assert trained_epochs({}) == 2  # and the default one is still there
    assert (
        trained_epochs({"num_epochs": "2", "lr": "0.10"}) == 2
    )  # the defaults spelled out: the default model
    assert len(list((generated / "artifacts" / "demo").glob("model-*.pt"))) == 2


def test_a_corrupt_cached_model_is_trained_again_and_reported_once(tmp_path, capsys):
    path = tmp_path / "model.pt"
    save_checkpoint(path, {"w": torch.ones(100)})
    path.write_bytes(path.read_bytes()[:50])
    state = load_or_train(path, lambda: {"w": torch.full((3,), 2.0)})
    assert torch.equal(state["w"], torch.full((3,), 2.0))
    assert capsys.readouterr().err.count("could not be read") == 1
    assert torch.equal(load_or_train(path, lambda: {"w": torch.zeros(3)})["w"], torch.full((3,), 2.0))
    assert capsys.readouterr().err == ""


class Killed(Exception):
    """Stands for the process being killed in the middle of training."""


def _noisy_sum(num_steps, kill_at=None):
    """A loop drawing from the global generator, resumable inside load_or_train."""
    from bookkit.training import resumable_checkpointer

    checkpointer = resumable_checkpointer(every=2, label="noisy sum")
    start, saved = checkpointer.resume(total=num_steps)
    total = torch.zeros(()) if saved is None else saved["total"]
    for step in range(start, num_steps):
        if step == kill_at:
            raise Killed
        total = total + torch.randn(())
        checkpointer.maybe_save(step + 1, lambda total=total: {"total": total})
    return {"total": total}


def test_a_killed_training_resumes_from_its_checkpoint_with_the_same_result(tmp_path, capsys):
    torch.manual_seed(0)
    uninterrupted = load_or_train(tmp_path / "a.pt", lambda: _noisy_sum(9))["total"]
    torch.manual_seed(0)
    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", lambda: _noisy_sum(9, kill_at=7))
    assert [p.name for p in tmp_path.glob(".b.pt.part*.pt")] == [".b.pt.part0.pt"]
    capsys.readouterr()
    torch.manual_seed(0)
    resumed = load_or_train(tmp_path / "b.pt", lambda: _noisy_sum(9))["total"]
    assert torch.equal(resumed, uninterrupted)
    assert "noisy sum: resumed from its checkpoint after step 6 of 9" in capsys.readouterr().out
    assert not list(tmp_path.glob(".b.pt.part*"))  # the checkpoints go once the model is saved


def test_spiking_boltzmann_training_resumes_after_a_kill_with_the_same_model(tmp_path, monkeypatch, capsys):
    from bookkit.spiking_boltzmann import circle_experiments as experiments
    from bookkit.spiking_boltzmann import train as cd_training
    from bookkit.spiking_boltzmann.presets import CIRCLE

    config = CIRCLE.resolve("smoke", {"num_minibatches": 10})
    variants, streams = experiments.temporal_and_static_variants(config)

    def train():
        return experiments.train_variants(config, variants, streams, 0, "cpu")

    uninterrupted = load_or_train(tmp_path / "a.pt", train)
    real_check = cd_training.check_finite

    def killed_at_minibatch_7(value, *, step, what="loss"):
        if step == 7:
            raise Killed
        real_check(value, step=step, what=what)

    monkeypatch.setattr(cd_training, "check_finite", killed_at_minibatch_7)
    with pytest.raises(Killed):
        load_or_train(tmp_path / "b.pt", train)
    monkeypatch.setattr(cd_training, "check_finite", real_check)
    capsys.readouterr()
    resumed = load_or_train(tmp_path / "b.pt", train)
    assert "CD training: resumed from its checkpoint after step 7 of 10" in capsys.readouterr().out
    assert resumed.keys() == uninterrupted.keys()
    assert all(torch.equal(resumed[key], uninterrupted[key]) for key in resumed)
