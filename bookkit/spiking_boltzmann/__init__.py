"""Spiking Boltzmann Machines (Hinton & Brown, NIPS 1999), as reconstructed for this book.

- :mod:`~bookkit.spiking_boltzmann.population_codes`: disjunctive vs energy-additive population codes (§1).
- :mod:`~bookkit.spiking_boltzmann.spike_codes`: coefficients carried by spikes through temporal kernels (§2).
- :mod:`~bookkit.spiking_boltzmann.model`: the causal, kernel-tied Boltzmann machine through time and its
  CD update, stacked along a leading model axis.
- :mod:`~bookkit.spiking_boltzmann.exact`: enumeration of tiny machines (the references of the tests).
- :mod:`~bookkit.spiking_boltzmann.data`: the ball on a circle, bouncing balls, angle metrics.
- :mod:`~bookkit.spiking_boltzmann.train`: CD training through time, prediction, generation.
- :mod:`~bookkit.spiking_boltzmann.followups`: the CRBM and the RTRBM.
- :mod:`~bookkit.spiking_boltzmann.likelihood`: exact conditional log-likelihoods of small machines.
- Recipes of the notebooks, one module per study: :mod:`~bookkit.spiking_boltzmann.code_studies` (population
  and spike codes), :mod:`~bookkit.spiking_boltzmann.tiny_machines` (the model by enumeration),
  :mod:`~bookkit.spiking_boltzmann.circle_experiments` (the ball on a circle, its ablations and stress
  tests), :mod:`~bookkit.spiking_boltzmann.sequence_comparisons` (against the CRBM and the RTRBM).
- :mod:`~bookkit.spiking_boltzmann.figures`: every figure of the chapter.
- :mod:`~bookkit.spiking_boltzmann.presets`, :mod:`~bookkit.spiking_boltzmann.benchmarks`.
"""
