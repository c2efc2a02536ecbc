"""Early Inference in Energy-Based Models Approximates Back-Propagation (Bengio & Fischer 2015).

- ``energy``: the layered energy, its closed-form gradient and Hessian, Euler and Langevin relaxation, three
  conventions for the nonlinearity (smooth, box-projected hard sigmoid, naive hard sigmoid);
- ``early_inference``: the nudged-minus-free dynamics, first arrival against the back-propagated error,
  BPTT through the Euler map, implicit differentiation at the fixed point, the EP gradient estimate,
  Langevin branching with shared or independent noise, the Gaussian that Langevin chains sample around a
  fixed point, the predicted signal-to-noise ratio of the averaged first move;
- ``learning``: Equilibrium Propagation training and the same-size back-propagation baseline;
- ``data``: scikit-learn digits and probe inputs; ``experiments``: the notebooks' assembled experiments;
- ``presets``: the notebooks' scale presets; ``benchmarks``: the chapter's hot kernels against baselines.
"""
