"""A defect the question names as the cause of another: the cause says what to remove, the other is its symptom.

"The beach pictures are blurred due to noise" asks for the noise to go; the blur is how the noise looks, so the
deblurring cue 'blurred' should count for little beside the denoising cue 'noise'. Likewise "blurry due to the fog"
(the fog) and "low quality due to compression blur" at night (the compression, not the dark). A symptom's cue keeps
``QuestionTuning.defect_share`` of its weight, as the defects of an input do when the question names the action
taken: both describe the picture in hand rather than what is asked.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cues import CueMatcher
    from .tasks import Taxonomy

_BECAUSE = re.compile(r"\b(?:due\s+to|because\s+of|caused\s+by|owing\s+to)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;]")


def weigh_causes(text: str, found: list[tuple[int, str, float]], matcher: CueMatcher, taxonomy: Taxonomy,
                 share: float) -> tuple[list[tuple[int, str, float]], set[tuple[int, str]]]:
    """The cue matches ``found`` in ``text`` with each symptom's weight times ``share``, and the (task column,
    phrase) of the defects named as causes: in one sentence, a defect cue named as the effect of another task's
    defect ("blurred due to noise": the deblurring cue 'blurred', caused by 'noise') is a symptom."""
    effects: set[tuple[int, str]] = set()
    causes: set[tuple[int, str]] = set()
    for because in _BECAUSE.finditer(text):
        ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, because.start())]
        after = _SENTENCE_END.search(text, because.end())
        effect = matcher.match(text[ends[-1] if ends else 0:because.start()])
        cause = matcher.match(text[because.end():after.start() if after else len(text)])
        reasons = {(column, phrase) for column, phrase, _ in cause if phrase in taxonomy.tasks[column].defects}
        reasoned = {column for column, _ in reasons}
        # A defect of a task the cause also names is no symptom of it ("blurry due to camera shake").
        caused = {(column, phrase) for column, phrase, _ in effect
                  if phrase in taxonomy.tasks[column].defects and column not in reasoned}
        if reasons and caused:
            effects |= caused
            causes |= reasons
    return [(c, p, w * share if (c, p) in effects else w) for c, p, w in found], causes
