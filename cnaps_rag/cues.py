"""Finding a taxonomy's phrases (lay cues, technical keywords) in a question or a source's text.

Matching is on stems, so 'enlarged' meets the cue 'enlarge'; a phrase with an acronym is matched
as written. The matcher is built once per taxonomy and question tuning (``Taxonomy.matcher``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .text import stem, stems, words
from .tuning import TUNING, QuestionTuning

if TYPE_CHECKING:
    from .tasks import Taxonomy

_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9-]*[A-Z]\b|\b[A-Z]{2,}\d*\b")


class CueMatcher:
    """Finds taxonomy phrases in text after stemming, so 'enlarged' matches the cue 'enlarge';
    a phrase with an acronym ('SMILES string') matches its words as written."""

    def __init__(self, taxonomy: Taxonomy, tuning: QuestionTuning = TUNING.question) -> None:
        self.columns = len(taxonomy.tasks)
        self._phrases: dict[tuple[str, ...], list[tuple[int, str, float, str]]] = {}
        # An acronym is matched as written, not stemmed: 'SMILES' (a molecule notation) must not
        # meet 'smiling', nor 'SLAM' meet 'slammed'. Such phrases are keyed by their plain words.
        self._exact: dict[tuple[str, ...], list[tuple[int, str, float, str]]] = {}
        self._longest = 1
        for column, task in enumerate(taxonomy.tasks):
            for kind, phrases in (("cue", task.cues), ("keyword", task.keywords)):
                for phrase in phrases:
                    exact = bool(_ACRONYM.search(phrase))
                    key = tuple(words(phrase) if exact else stems(phrase))
                    if not key:
                        continue
                    # Longer phrases are more specific; technical keywords count a little less in lay text.
                    weight = (1.0 + tuning.phrase_length_bonus * (len(key) - 1)) * (1.0 if kind == "cue" else tuning.keyword_discount)
                    (self._exact if exact else self._phrases).setdefault(key, []).append((column, phrase, weight, kind))
                    self._longest = max(self._longest, len(key))

    def match(self, text: str, kinds: tuple[str, ...] = ("cue", "keyword")) -> list[tuple[int, str, float]]:
        """Every (task column, phrase, weight) of the given kinds found in ``text``.

        Lay cues belong to questions; a paper that says "zoom" is not therefore about enlarging
        images, so sources are matched on technical keywords only.
        """
        raw = words(text)
        tokens = [stem(w) for w in raw]
        found: list[tuple[int, str, float]] = []
        for start in range(len(tokens)):
            for length in range(1, min(self._longest, len(tokens) - start) + 1):
                end = start + length
                for column, phrase, weight, kind in (*self._phrases.get(tuple(tokens[start:end]), ()),
                                                     *self._exact.get(tuple(raw[start:end]), ())):
                    if kind in kinds:
                        found.append((column, phrase, weight))
        return found

    def scores(self, text: str, kinds: tuple[str, ...] = ("cue", "keyword")) -> np.ndarray:
        """Summed weights per task column; phrases that stem alike ('blur', 'blurred') count once."""
        return self.total(self.match(text, kinds))

    def total(self, found: Sequence[tuple[int, str, float]]) -> np.ndarray:
        """``scores`` of matches already found (``match``), so a caller that needs both scans once."""
        out = np.zeros(self.columns, dtype=np.float32)
        seen: set[tuple[int, tuple[str, ...]]] = set()
        for column, phrase, weight in found:
            key = (column, tuple(stems(phrase)))
            if key not in seen:
                seen.add(key)
                out[column] += weight
        return out
