import pytest
import torch

from bookkit.device import DeviceError, configure_threads, resolve_device
from bookkit.seeding import seed_everything


def test_auto_and_cpu_resolve_on_any_machine():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "CUDA:1"])
def test_cuda_without_a_gpu_is_a_clear_error_not_a_fallback(name):
    with pytest.raises(DeviceError, match="CUDA is not available"):
        resolve_device(name)


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "tpu", ""])
def test_unknown_device_lists_the_valid_choices(name):
    with pytest.raises(DeviceError, match="auto, cpu, cuda, cuda:N"):
        resolve_device(name)


def test_headless_runs_default_to_one_thread(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("BOOKKIT_HEADLESS", "1")
        monkeypatch.delenv("BOOKKIT_THREADS", raising=False)
        assert configure_threads() == 1
        monkeypatch.setenv("BOOKKIT_THREADS", "2")
        assert configure_threads() == 2
        assert configure_threads(1) == 1
        with pytest.raises(ValueError, match="num_threads must be >= 1"):
            configure_threads(0)
    finally:
        torch.set_num_threads(before)


def test_seed_makes_cpu_runs_bit_identical():
    def draw():
        generator = seed_everything(7)
        model = torch.nn.Linear(5, 3)
        x = torch.randn(4, 5, generator=generator)
        return model(x), torch.rand(2)

    first, second = draw(), draw()
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    seed_everything(8)
    other = torch.nn.Linear(5, 3).weight
    seed_everything(7)
    assert not torch.equal(torch.nn.Linear(5, 3).weight, other)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_invalid_seeds_are_rejected(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        seed_everything(seed)
