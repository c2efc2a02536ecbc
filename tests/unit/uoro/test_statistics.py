"""Estimator statistics against naive loops over the samples."""

import torch

from bookkit.uoro.statistics import coordinate_z_scores, group_mean_errors, single_sample_rms_error


def sample_pairs(count=24, n=3, p=5):
    generator = torch.Generator().manual_seed(0)
    return (
        torch.randn(count, n, generator=generator, dtype=torch.float64),
        torch.randn(count, p, generator=generator, dtype=torch.float64),
        torch.randn(n, p, generator=generator, dtype=torch.float64),
    )


def test_group_mean_errors_match_a_loop_over_groups():
    s_tilde, theta_tilde, exact = sample_pairs()
    errors = group_mean_errors(s_tilde, theta_tilde, exact, 8)
    assert errors.shape == (3,)
    for g in range(3):
        mean = sum(torch.outer(s_tilde[k], theta_tilde[k]) for k in range(8 * g, 8 * g + 8)) / 8
        assert abs(float(errors[g]) - float((mean - exact).norm() / exact.norm())) < 1e-12
    rms = single_sample_rms_error(s_tilde, theta_tilde, exact)
    naive = sum(float((torch.outer(s, t) - exact).norm() ** 2) for s, t in zip(s_tilde, theta_tilde)) / 24
    assert abs(rms - naive**0.5 / float(exact.norm())) < 1e-12


def test_z_scores_match_mean_and_std_of_outer_products():
    s_tilde, theta_tilde, exact = sample_pairs()
    outer = s_tilde.unsqueeze(-1) * theta_tilde.unsqueeze(1)
    reference = (outer.mean(0) - exact) / (outer.std(0) / 24**0.5)
    torch.testing.assert_close(coordinate_z_scores(s_tilde, theta_tilde, exact), reference.flatten())
