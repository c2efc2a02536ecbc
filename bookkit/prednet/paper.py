"""The paper's numbers (Lotter, Kreiman & Cox 2016, arXiv:1605.08104), each with where it was checked.

Tags as in the chapter: ``paper`` (confirmed, here in the official repository's issue threads) and
``paper, unconfirmed`` (recalled from the paper's tables, not checked against its text). Chapters compare
ratios to copy-last, never raw MSE: our worlds' copy-last errors differ from the paper's by orders of
magnitude.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class TableRow:
    """Per-pixel MSE (pixels in [0, 1]) and SSIM, averaged over the predictions of frames 2-10."""

    mse: float
    ssim: float

    def ratio_to(self, baseline: TableRow) -> float:
        """MSE of this row over the baseline's MSE, rounded to the 3 digits a claim prints."""
        return round(self.mse / baseline.mse, 3)


TABLE1_TAG = "paper, unconfirmed"
"""Table 1 (rotating FaceGen faces): none of its entries could be checked against the paper's text."""

TABLE1 = {
    "PredNet L_0": TableRow(0.0152, 0.937),
    "PredNet L_all": TableRow(0.0157, 0.921),
    "CNN-LSTM Enc.-Dec.": TableRow(0.0180, 0.907),
    "copy last": TableRow(0.125, 0.631),
}
"""Table 1 of the paper, faces, steps 2-10 (tag :data:`TABLE1_TAG`)."""

TABLE2 = {
    "PredNet L_0": TableRow(3.13e-3, 0.884),
    "PredNet L_all": TableRow(3.33e-3, 0.875),
    "CNN-LSTM Enc.-Dec.": TableRow(3.67e-3, 0.865),
    "copy last": TableRow(7.95e-3, 0.762),
}
"""Table 2 of the paper: trained on KITTI, tested on CalTech Pedestrian (128 x 160, 10 fps). The copy-last
MSE 7.95e-3 is confirmed in coxlab/prednet#73 and PredNet L_0's 3.13e-3 in coxlab/prednet#26 (tag
``paper``); the SSIMs and the other rows are ``paper, unconfirmed``."""

TABLE2_RATIO_TAG = "paper"
"""Both MSEs of the L_0 / copy-last ratio of Table 2 are confirmed."""

STEERING_R2_1K_LABELS = 0.74
"""Fig. 5: variance of the Comma.ai steering angle explained by a linear readout from 1K labels
(``paper, unconfirmed``)."""
