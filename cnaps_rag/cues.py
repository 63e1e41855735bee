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

# A two-word verb phrase whose second word is a particle ("blow up", "fill in", "read aloud") or, after "make", the
# result ("make bigger") is separable in English: its object may stand between the two ("blow it up", "make this
# small photo of my cat bigger"). That object starts with a pronoun or determiner and is at most
# ``QuestionTuning.separable_object`` words long, inside one clause. A particle followed by "of" or a noun phrase
# is a preposition ("cut my hair out of frustration", "fill the form in the office").
_PARTICLES = frozenset("up out in off down aloud back over away".split())
# A verb of placing takes its object before its goal ("pasted my dog into", "merged an object into"): such a cue phrase,
# a verb and 'into' or 'onto', is separable like a particle verb, and what follows the preposition is always its goal.
_GOALS = frozenset("into onto".split())
_OBJECT_START = frozenset("it them this these that those my our your his her their the a an".split())


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
        self._object_words = tuning.separable_object
        # Two-word verb phrases that may be split by their object ("blow it up"), keyed like ``_phrases``.
        self._separable: dict[tuple[str, ...], list[tuple[int, str, float, str]]] = {}
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
                    plain = words(phrase)
                    if not exact and len(plain) == 2 and (plain[1] in _PARTICLES | _GOALS or plain[0] == "make"):
                        self._separable.setdefault(key, []).append((column, phrase, weight, kind))
        self._separable_kinds = frozenset(kind for entries in self._separable.values() for *_, kind in entries)

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
        if self._separable_kinds.intersection(kinds):  # sources are matched on keywords alone
            found += [(column, phrase, weight) for column, phrase, weight, kind in self._split_phrases(text)
                      if kind in kinds]
        return found

    def _split_phrases(self, text: str) -> list[tuple[int, str, float, str]]:
        """Separable verb phrases found with their object between the two words ("make this old photo bigger")."""
        found = []
        for clause in re.split(r"[.,;:!?()\n]+", text):
            raw = words(clause)
            tokens = [stem(w) for w in raw]
            for i in range(len(tokens) - 2):
                if raw[i + 1] not in _OBJECT_START:
                    continue
                for j in range(i + 2, min(i + 2 + self._object_words, len(tokens))):
                    if raw[j] in _PARTICLES and j + 1 < len(raw) and (raw[j + 1] == "of" or raw[j + 1] in _OBJECT_START):
                        continue
                    found += self._separable.get((tokens[i], tokens[j]), ())
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
