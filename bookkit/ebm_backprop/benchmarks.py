"""Hot kernels of the ebm-backprop chapter, each timed against a baseline in the same process.

- relaxation of the 64-100-100-10 network (float64, Euler steps) for 256 inputs in one batched call vs one
  input at a time;
- one Equilibrium Propagation epoch on digits (64-100-10, the ci settings, float32, including the
  evaluation on the training and test sets the chapter does every epoch) vs one back-prop epoch of the
  same-size baseline.
"""

from __future__ import annotations

import torch

from bookkit.benchmarking import Comparison, compare
from bookkit.ebm_backprop.data import load_digits_split
from bookkit.ebm_backprop.energy import LayeredNetwork, initial_states, relax
from bookkit.ebm_backprop.experiments import glorot_network
from bookkit.ebm_backprop.learning import train_backprop, train_equilibrium_propagation
from bookkit.ebm_backprop.presets import DIGITS, FIRST_ARRIVAL

CHAPTER = "ebm-backprop"


def relax_one_at_a_time(net: LayeredNetwork, x: torch.Tensor, num_steps: int, eps: float) -> None:
    """The naive baseline: each input relaxed in its own loop."""
    for row in x:
        relax(net, row[None], initial_states(net, (1,), 0.5), num_steps, eps)


def benchmarks(quick: bool = True, device: str = "cpu") -> list[Comparison]:
    """Time the chapter's kernels; ``quick`` keeps the whole run to a few seconds on one CPU thread."""
    repeats = 3 if quick else 5
    generator = torch.Generator().manual_seed(0)
    cfg = FIRST_ARRIVAL.ci
    net = glorot_network(cfg.sizes, "smooth", 1.0, generator, device=device)
    num_inputs, num_steps = 256, (10 if quick else 100)
    x = torch.rand(num_inputs, cfg.sizes[0], generator=generator, dtype=torch.float64).to(device)
    rows = [
        compare(
            CHAPTER,
            f"relaxation, {num_inputs} inputs x {num_steps} Euler steps, 64-100-100-10",
            (
                "batched over inputs",
                lambda: relax(net, x, initial_states(net, (num_inputs,), 0.5), num_steps, cfg.eps),
            ),
            ("one input at a time", lambda: relax_one_at_a_time(net, x, num_steps, cfg.eps)),
            repeats=repeats,
            device=device,
            note=f"{num_inputs * num_steps} input-steps per call",
        )
    ]
    digits = DIGITS.ci
    data = load_digits_split(digits.num_train, digits.num_test, dtype=torch.float32, device=device)

    def ep_epoch() -> None:
        ep_net = glorot_network(
            digits.sizes, "box", 1.0, torch.Generator().manual_seed(1), device=device, dtype=torch.float32
        )
        train_equilibrium_propagation(
            ep_net,
            data,
            epochs=1,
            batch_size=digits.batch_size,
            eps=digits.eps,
            free_steps=digits.free_steps,
            nudged_steps=digits.nudged_steps,
            beta=digits.beta,
            learning_rates=digits.learning_rates,
            eval_steps=digits.eval_steps,
            generator=torch.Generator().manual_seed(2),
        )

    def bp_epoch() -> None:
        bp_net = glorot_network(
            digits.sizes, "box", 1.0, torch.Generator().manual_seed(1), device=device, dtype=torch.float32
        )
        train_backprop(
            bp_net,
            data,
            epochs=1,
            batch_size=digits.batch_size,
            learning_rates=digits.bp_learning_rates,
            generator=torch.Generator().manual_seed(2),
        )

    rows.append(
        compare(
            CHAPTER,
            "one training epoch on digits (1297 images), 64-100-10",
            ("Equilibrium Propagation", ep_epoch),
            ("back-propagation baseline", bp_epoch),
            repeats=repeats,
            device=device,
            note="EP epoch includes its per-epoch evaluation (100 relaxation steps on 1797 digits)",
        )
    )
    return rows
