"""The enlargement factor a question asks for ("4x", "three times", "300%"), with the words that spell it.

A factor decides between checkpoints of one family (an x2 and an x4 super-resolution model) and between a
fixed-scale and an any-scale model, so it is read however a lay question writes it, and a number that enlarges
nothing ("100% sure", "a double-decker bus") is no factor.
"""

from __future__ import annotations

import re

from .tuning import TUNING

# "4x", "×4", "3 times", "2-fold", "by a factor of 1.8"; and "zoomed to 300%", read as 3.
_SCALE_DIGITS = re.compile(
    r"(?<![\d.])(\d{1,2}(?:\.\d+)?)\s*-?\s*(?:[x×]|times|fold)(?![a-z])|(?<![a-z])[x×]\s?(\d{1,2})(?![\d.])"
    r"|\bfactor\s+of\s+(\d{1,2}(?:\.\d+)?)(?![\d.])",
    re.IGNORECASE,
)
_SCALE_PERCENT = re.compile(r"(?<![\d.])(\d{3,4})\s*(?:%|percent\b)", re.IGNORECASE)
# "twice", "doubled it", "three times", "two and a half times" (not "one times"); "double" or "triples" only with what
# grows ("double its size", "triples the resolution"), since "a double-decker bus", "double compression" and "double
# edges" enlarge nothing.
_SCALE_WORDS = re.compile(
    r"\b(twice|doubled|tripled|quadrupled)\b|\b(one|two|three|four|eight)(\s+and\s+a\s+half)?\s+times\b"
    r"|\b(double|triple|quadruple)s?\s+(?:[\w']+\s+){0,2}(?:size|resolution|width|height|dimensions)\b",
    re.IGNORECASE,
)
# A size of the asker's own choosing, where no fixed factor will do: "to a custom resolution", "whatever zoom level",
# "an exact custom size", "odd scaling factors", "a precise pixel size I pick".
_OWN_SIZE = re.compile(
    r"\b(?:custom|exact|any|arbitrary|odd|unusual|non-standard|specific|precise|whatever|strange|chosen)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:size|resolution|dimension|scale|scaling|factor|magnification|zoom)s?\b",
    re.IGNORECASE,
)
_WORD_VALUES = {"twice": 2, "double": 2, "doubled": 2, "triple": 3, "tripled": 3, "quadruple": 4, "quadrupled": 4,
                "one": 1, "two": 2, "three": 3, "four": 4, "eight": 8}


def question_scale(question: str, max_scale: float = TUNING.question.max_scale) -> tuple[float | None, str | None]:
    """The enlargement factor a question asks for and its verbatim spelling ('4×' -> (4.0, '4×')), if any."""
    # The first factor that enlarges: "from 1x up to 12x" asks for 12.
    for match in _SCALE_DIGITS.finditer(question):
        value = float(next(group for group in match.groups() if group))
        if 1 < value <= max_scale:
            # "a factor of 1.8" is spelled by its number: "the 1.8 enlargement in your question".
            return value, (match.group(3) or match.group(0)).strip()
    for match in _SCALE_PERCENT.finditer(question):
        value = float(match.group(1)) / 100
        if 1 < value <= max_scale:
            return value, match.group(0).strip()
    for match in _SCALE_WORDS.finditer(question):
        word = match.group(1) or match.group(2) or match.group(4)
        value = _WORD_VALUES[word.lower()] + (0.5 if match.group(3) else 0.0)
        if value > 1:
            # "double its size" is spelled by its word: "the double enlargement in your question".
            return value, match.group(0) if match.group(4) is None else word
    return None, None


def own_size(question: str) -> str | None:
    """The words by which a question asks for a size of its own choosing ("to a custom resolution", "whatever zoom
    level I dial in"), if any: read beside an enlargement, they ask for a model that takes any scale."""
    match = _OWN_SIZE.search(question)
    return match.group(0) if match else None


def asks_any_scale(question: str, scale: float | None, enlarging: bool) -> bool:
    """True when the question asks for a size of its own choosing (``own_size``) while it enlarges: it names a
    factor (``scale``), or ``enlarging``, the cues of a task enlarging by fixed factors ("zoom", "upscale"), were
    found. A size named where nothing is enlarged ("the exact size of the tumour") asks for no scale."""
    return own_size(question) is not None and (scale is not None or enlarging)
