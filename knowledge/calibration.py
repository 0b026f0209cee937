"""What a suggestion's score means: the estimated chance, in percent, that it is right.

The matcher ranks articles by a fused score (`fused`: lexical score plus, when the
sentence encoder is installed, semantic cosine). A raw score means different things on
different knowledge bases: a short FAQ of distinct topics and a long one of near-neighbour
topics put right and wrong answers at different heights. So the score shown and compared
with `min_score` is a logistic function of two things: the article's fused score and its
gap to the best article of another family (the margin, for the first suggestion). Its coefficients
are fitted on the public labelled questions (`bench/kb_calibrate.py`, pooled over three
knowledge bases and over cold and learned matchers, with off-topic questions as wrong
answers) and shipped in `calibration.json` beside this module: nothing is fitted or
fetched at run time. The function rises with the fused score, so ranking by either is the
same.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"
FEATURES = ("fused", "gap")


@dataclass(frozen=True)
class Calibration:
    """Logistic coefficients of one matching mode ("semantic" or "lexical")."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, fused: np.ndarray, families: np.ndarray) -> np.ndarray:
        """Per article, the estimated chance (0..1) that it is a right answer (`families`:
        a number per article, shared by the language versions of one article)."""
        return 1.0 / (1.0 + np.exp(-self.logit(features(fused, families))))

    def logit(self, columns: np.ndarray) -> np.ndarray:
        """The linear part, for feature columns laid out as `features` returns them."""
        return columns @ np.asarray(self.weights) + self.bias


def features(fused: np.ndarray, families: np.ndarray) -> np.ndarray:
    """Per article: its fused score, and its gap to the best article of another family
    (for the best article, its margin over the runner-up; its own versions in other
    languages are the same answer, not competitors)."""
    if len(fused) == 0:
        return np.zeros((0, len(FEATURES)))
    best = int(np.argmax(fused))
    rivals = families != families[best]
    runner_up = float(fused[rivals].max()) if rivals.any() else 0.0
    others_best = np.where(rivals, fused[best], runner_up)
    return np.column_stack([fused, fused - others_best])


@cache
def load_calibration(mode: str) -> Calibration:
    """The shipped coefficients for a mode ("semantic" or "lexical")."""
    with CALIBRATION_FILE.open(encoding="utf-8") as handle:
        entry = json.load(handle)[mode]
    return Calibration(tuple(float(w) for w in entry["weights"]), float(entry["bias"]))
