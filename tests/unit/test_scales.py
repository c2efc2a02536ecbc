import dataclasses
import re

import pytest

from bookkit.scales import Presets, ScaleError, check_scale, parse_overrides


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    hidden_size: int
    lr: float
    sizes: tuple[int, ...]
    name: str
    use_bias: bool


PRESETS = Presets(
    smoke=ToyConfig(2, 0.1, (1, 2), "a", True),
    ci=ToyConfig(8, 0.01, (4, 8), "b", True),
    full=ToyConfig(64, 0.001, (16, 64), "c", False),
)


def test_resolve_returns_the_preset_of_each_scale():
    assert PRESETS.resolve("smoke").hidden_size == 2
    assert PRESETS.resolve("ci").hidden_size == 8
    assert PRESETS.resolve("full").use_bias is False


def test_unknown_scale_error_lists_valid_scales():
    with pytest.raises(ScaleError, match="smoke, ci, gpu, full"):
        PRESETS.resolve("huge")
    with pytest.raises(ScaleError, match="valid scales"):
        check_scale("CI")


def test_unknown_override_error_lists_valid_keys():
    with pytest.raises(ScaleError, match="hidden_size, lr, sizes, name, use_bias"):
        PRESETS.resolve("ci", {"hiden_size": 3})


def test_overrides_are_converted_to_the_preset_types():
    config = PRESETS.resolve("ci", {"hidden_size": "16", "lr": "0.5", "sizes": "3,4,5", "use_bias": "false"})
    assert config == ToyConfig(16, 0.5, (3, 4, 5), "b", False)
    assert PRESETS.resolve("ci", {"hidden_size": 16.0}).hidden_size == 16


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hidden_size", "1.5"),
        ("hidden_size", "many"),
        ("lr", "fast"),
        ("use_bias", "maybe"),
        ("name", 3),
        ("sizes", "1,x"),
    ],
)
def test_bad_override_values_raise_a_clear_error(key, value):
    with pytest.raises(ScaleError, match=key):
        PRESETS.resolve("ci", {key: value})


def test_presets_must_share_one_frozen_dataclass():
    @dataclasses.dataclass
    class Mutable:
        x: int

    with pytest.raises(TypeError, match="frozen"):
        Presets(smoke=Mutable(1), ci=Mutable(2), full=Mutable(3))
    with pytest.raises(TypeError, match="one dataclass"):
        Presets(smoke=PRESETS.ci, ci=PRESETS.ci, full=Mutable(3))


def test_parse_overrides_handles_brackets_and_rejects_malformed_text():
    assert parse_overrides("lr=0.1, sizes=(3,4), name=x") == {"lr": "0.1", "sizes": "3,4", "name": "x"}
    assert parse_overrides("") == {}
    with pytest.raises(ScaleError, match="name=value"):
        parse_overrides("lr")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("hidden_size", "-5", "must be > 0 (the presets use 2 to 64)"),
        ("hidden_size", "0", "must be > 0"),
        ("hidden_size", "1e12", "at most 6400 in magnitude"),
        ("lr", "nan", "must be a finite number"),
        ("lr", "inf", "must be a finite number"),
        ("sizes", "4,-1", "must be > 0"),
    ],
)
def test_overrides_outside_the_presets_range_are_refused(key, value, message):
    with pytest.raises(ScaleError, match=re.escape(message)):
        PRESETS.resolve("ci", {key: value})


def test_overrides_inside_the_range_are_accepted():
    assert PRESETS.resolve("ci", {"hidden_size": "6400", "lr": "1e-6"}).hidden_size == 6400
