"""How well each source's known tasks fit a question, and the one rule that fit imposes on a ranking's lead.

A source's known tasks are its labels and, at ``family_share`` of their weight, the further tasks of the card
family that backs it. The ranking orders by every signal; but when the question names its task in cue words, a
model whose every known task is implausible for it (below ``table_floor``) does not lead while a model that does an
asked task (``asked_floor``) is among the first ``answer.k`` a recommender reads: a Stable Diffusion checkpoint whose
summary shares "blends" and "natural" with a harmonization question yields to the harmonization model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..tuning import Tuning

if TYPE_CHECKING:
    from ..question import QuestionAnalysis
    from .signals import IndexFeatures


def task_fit(probabilities: np.ndarray, labels: np.ndarray, family: np.ndarray, family_share: float) -> np.ndarray:
    """Per row: the question's probability of the row's likeliest known task (``labels`` and ``family`` are
    (rows, tasks) 0/1 matrices; a family-only task counts ``family_share`` of a labelled one)."""
    own = (labels * probabilities).max(axis=1, initial=0.0)
    further = (family * probabilities).max(axis=1, initial=0.0) * family_share
    return np.maximum(own, further).astype(np.float32)


def lead_fits(analysis: "QuestionAnalysis", features: "IndexFeatures", tuning: Tuning,
              rows: np.ndarray | None = None) -> np.ndarray | None:
    """The ``task_fit`` of each row of ``features`` (or of ``rows``) that ``fitting_lead`` reads, or None for a question
    that names no task in cue words, to which the rule does not apply."""
    if not analysis.has_cues:
        return None
    labels, family = features.label_matrix, features.family_matrix
    if rows is not None:
        labels, family = labels[rows], family[rows]
    return task_fit(np.asarray(analysis.probabilities, dtype=np.float32), labels, family, tuning.answer.family_share)


def fitting_lead(order: np.ndarray, fits: np.ndarray, is_model: np.ndarray, tuning: Tuning,
                 window: int | None = None) -> np.ndarray:
    """``order`` (positions, best first) with the first model among its first ``window`` (default: the ``answer.k`` a
    recommender reads) that fits an asked task moved ahead of the window's first model, when that model's known
    tasks are all implausible for the question. Apply it only to a question that names its task in cue words
    (``lead_fits`` gives None otherwise): without cues, fits are mere resemblance."""
    models = [i for i, j in enumerate(order[: tuning.answer.k if window is None else window]) if is_model[j]]
    if not models or fits[order[models[0]]] >= tuning.answer.table_floor:
        return order
    better = next((i for i in models if fits[order[i]] >= tuning.question.asked_floor), None)
    if better is None:
        return order
    out = list(order)
    out.insert(models[0], out.pop(better))
    return np.array(out, dtype=np.int64)
