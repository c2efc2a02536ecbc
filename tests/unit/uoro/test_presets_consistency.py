"""Preset fields that must agree with each other at every scale."""

import pytest

from bookkit.uoro.presets import INFLUENCE


@pytest.mark.parametrize("scale", ["smoke", "ci", "full"])
def test_influence_claim_rate_is_one_of_the_rates_run(scale):
    config = INFLUENCE.resolve(scale)
    assert config.claim_lr in config.uoro_lrs
