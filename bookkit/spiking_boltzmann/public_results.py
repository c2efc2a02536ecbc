"""Numbers from public reproductions of the follow-up models that the chapter sets its own beside, each with
the repository it comes from. The paper of this chapter reports no number."""

from __future__ import annotations

RTRBM_REPRODUCTION = "yaroslavvb/hinton-problems"
"""A NumPy RTRBM on bouncing balls (``bouncing-balls-3/README.md``): 30x30 anti-aliased frames, 3 balls of
radius 3, 100 hidden units, CD-1 without the gradient through time, 30 sequences of 100 frames."""

RTRBM_SETUP = "30×30 frames, 3 balls, 100 hidden units, 30 frames generated after 10"
"""Its task and rollout, in the words the chapter prints."""

RTRBM_BALLS_RECONSTRUCTION_MSE = 0.0084
"""Its "teacher-forced" MSE per pixel on a held-out sequence: $\\sigma(W r_t+b_v)$ with $r_t$ computed from
frames up to and including $t$, so a reconstruction of the current frame, not a prediction of the next
(code: yaroslavvb/hinton-problems, seed 0; 0.0092 ± 0.0007 over seeds 0-4)."""

RTRBM_BALLS_ROLLOUT_MSE = 0.13
"""Its free-rollout MSE per pixel, 30 generated frames after 10 true ones (seed 0; 0.1315 ± 0.0118 over
seeds 0-4)."""

RTRBM_BALLS_PIXEL_VARIANCE = 0.06
"""The variance of its data's pixels (about 0.06): the MSE of predicting every pixel by the data's mean, the
scale against which its rollout MSE is read."""
