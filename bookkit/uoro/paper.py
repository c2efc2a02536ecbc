"""Numbers of Tallec & Ollivier (2017) and of the authors' code that this chapter's settings and claims use,
each with where it comes from (paper: the article; code: the named repository)."""

from __future__ import annotations

ADAM_RATE = 1e-3
r"""$\gamma$ in the rate $\eta_t=\gamma/(1+\alpha\sqrt t)$ of Adam (code: ctallec/uoro, ``train.lua``)."""

RATE_DECAY = 0.03
r"""$\alpha$ in the same rate, counting characters (code: ctallec/uoro default; its committed logs use
0.015)."""

OFFICIAL_EPSILON = 1e-5
r"""$\varepsilon$ in UORO's $\rho$ ratios in the current ``uoro.lua`` (code: ctallec/uoro)."""

EARLIER_EPSILON = 1e-7
r"""$\varepsilon$ of an earlier revision of ``uoro.lua`` and of the public ports (code: ctallec/uoro history,
petered/uoro-demo, google-research ``persistent_es``); the default here, since both give the same estimates to
about six digits on this chapter's systems."""

INFLUENCE_BALANCING_UORO_RATE = 1e-5
"""UORO's SGD rate on influence balancing, ten times below RTRL's (code: google-research
``persistent_es``)."""

VARIANCE_EXPERIMENT_WIDTH = 64
"""Units of the GRU whose gradient quality the paper tracks along training on Shakespeare (paper)."""

VARIANCE_EXPERIMENT_CHARACTERS = 10**7
"""Characters of Shakespeare's works that experiment reads (paper)."""

RTRL_GROWTH_PER_DOUBLING = 2**4
r"""RTRL's time per step grows as $O(n^4)$ (paper, Section 2), so 16 times per doubling of $n$."""
