"""The model on tiny machines, by enumeration: what the chapter's second notebook shows.

For random tiny machines: the slice posterior factorises, the causal machine leaves the present alone while
the symmetric one does not, and the expected CD-k update approaches the exact gradient as k grows.
"""

from __future__ import annotations

import numpy as np
import torch

from bookkit.spiking_boltzmann import exact
from bookkit.spiking_boltzmann.presets import ExactConfig


def exactness_study(config: ExactConfig, generator: torch.Generator) -> dict[str, np.ndarray]:
    """For ``num_draws`` random tiny machines: the slice factorisation error, the future's influence on the
    present for the causal and the symmetric machine, and cos(E[CD-k], exact gradient) and
    $\\lVert\\mathbb E[\\text{CD-}k]-\\nabla\\rVert/\\lVert\\nabla\\rVert$ for each k."""
    nv, nh = config.num_visible, config.num_hidden
    results: dict[str, list] = {
        "factorisation_error": [],
        "causal_marginal_influence": [],
        "symmetric_marginal_influence": [],
        "symmetric_posterior_spread": [],
        "causal_smoothing_spread": [],
        "cosines": [],
        "relative_errors": [],
    }
    for _ in range(config.num_draws):
        model, v_tilde, h_tilde = exact.random_machine(
            nv,
            nh,
            config.history_length,
            config.kernel_time_constant,
            config.weight_scale,
            generator,
            config.bias_scale,
        )
        hidden_given_visible, visible_given_hidden = exact.enumerated_conditionals(model, v_tilde, h_tilde)
        visible_states, hidden_states = exact.all_binary_states(nv), exact.all_binary_states(nh)
        formula_h = torch.sigmoid(
            model.hidden_input(
                visible_states[None], v_tilde.expand(1, 2**nv, nv), h_tilde.expand(1, 2**nv, nh)
            )
        )[0]
        formula_v = torch.sigmoid(
            model.visible_input(
                hidden_states[None], v_tilde.expand(1, 2**nh, nv), h_tilde.expand(1, 2**nh, nh)
            )
        )[0]
        results["factorisation_error"].append(
            max(
                float((formula_h - hidden_given_visible).abs().max()),
                float((formula_v - visible_given_hidden).abs().max()),
            )
        )
        data = torch.softmax(2 * torch.randn(2**nv, generator=generator, dtype=torch.float64), 0)
        gradient = exact.exact_gradient(model, data, v_tilde, h_tilde)
        updates = [exact.expected_cd_update(model, data, v_tilde, h_tilde, k) for k in config.cd_steps]
        results["cosines"].append([exact.cosine(update, gradient) for update in updates])
        results["relative_errors"].append(
            [float((update - gradient).norm() / gradient.norm()) for update in updates]
        )
        small, _, _ = exact.random_machine(
            config.space_time_visible,
            config.space_time_hidden,
            config.space_time_steps - 1,
            config.kernel_time_constant,
            config.weight_scale,
            generator,
            config.bias_scale,
        )
        V, H = exact.space_time_states(
            config.space_time_visible, config.space_time_hidden, config.space_time_steps
        )
        zeros_v, zeros_h = V.new_zeros(V.shape[2]), H.new_zeros(H.shape[2])
        alone = exact.slice_log_joint(small, zeros_v, zeros_h).exp()
        causal = exact.causal_log_joint(small, V, H)
        symmetric = exact.symmetric_log_joint(small.W[0], small.b[0], small.c[0], small.r[0], V, H)
        results["causal_marginal_influence"].append(
            float((exact.first_slice_marginal(causal, V, H) - alone).abs().max())
        )
        results["symmetric_marginal_influence"].append(
            float((exact.first_slice_marginal(symmetric, V, H) - alone).abs().max())
        )
        results["symmetric_posterior_spread"].append(exact.hidden_posterior_spread(symmetric, V, H))
        results["causal_smoothing_spread"].append(exact.hidden_posterior_spread(causal, V, H))
    return {name: np.array(values) for name, values in results.items()}
