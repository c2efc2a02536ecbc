"""Learning to learn by gradient descent by gradient descent (Andrychowicz et al. 2016).

- :mod:`~bookkit.learning_to_learn.learned_optimizer`: gradient preprocessing and the coordinatewise LSTM
  optimizer, applied to every coordinate of every optimizee in one batched call per step.
- :mod:`~bookkit.learning_to_learn.problems`: the optimizees (random quadratics, digits MLPs, a small
  digits convnet), each a batch of independent instances over flat parameter vectors.
- :mod:`~bookkit.learning_to_learn.baselines`: SGD, RMSprop, Adam and NAG as functional update rules, and
  learning-rate tuning on validation problems.
- :mod:`~bookkit.learning_to_learn.meta_training`: rollouts, the truncated meta-loss, meta-training with
  early stopping, and meta-gradient norms.
- :mod:`~bookkit.learning_to_learn.statistics`: paired bootstrap intervals and rank correlation.
"""
