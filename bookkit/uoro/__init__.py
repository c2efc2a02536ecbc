"""Unbiased Online Recurrent Optimization (Tallec & Ollivier 2017), re-implemented in PyTorch.

- :mod:`bookkit.uoro.model`: recurrent models with flat, batched parameters (tanh RNN, GRU, influence
  balancing);
- :mod:`bookkit.uoro.estimators`: exact RTRL, SnAp-1, UORO and truncated BPTT behind one online interface;
- :mod:`bookkit.uoro.influence`: closed forms and fast runs of the influence-balancing task;
- :mod:`bookkit.uoro.statistics`: bias and variance of UORO's rank-one estimate;
- :mod:`bookkit.uoro.data`: anbn, distant brackets, a stretch of Shakespeare and entropy lines;
- :mod:`bookkit.uoro.train`: online training loops, the paper's Adam schedule, gradient-quality monitors;
- :mod:`bookkit.uoro.presets` and :mod:`bookkit.uoro.benchmarks`: scales and cost per step.
"""
