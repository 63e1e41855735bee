"""Verbatim spans an answer may quote: the question's own words, and sentences of a source or its card.

Quotes are cut from whitespace-normalised text (``normalize_space``), and ``verify`` compares
them with text normalised the same way, so a summary written with tabs and bullets still quotes.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..sources import Source
from ..text import STOPWORDS, normalize, split_sentences, stem_set, stems
from ..tuning import TUNING

_URL_OR_CITATION = re.compile(r"https?://|www\.|\[\d+\]|\]\(|javascript:|<[a-z/!]", re.IGNORECASE)
_SUBJECT = re.compile(r"\b(we|this paper|stud(?:y|ies|ied)|propos\w*|present\w*|introduc\w*|investigat\w*|aim)\b",
                      re.IGNORECASE)
# Words too common to be a reason on their own ("it uses the question's word 'levels'").
FILLER = frozenset("""high low keep kept came come look looks looking make made get use used using work works way new
    even still such much many well good better best really very thing things one two also times time quality without
    level levels clean clear free result results high-quality lot lots make makes turn turned same""".split())


def normalize_space(text: str) -> str:
    """Runs of whitespace (tabs, newlines, bullets' padding) folded to single spaces."""
    return " ".join(text.split())


def quotable(text: str) -> bool:
    """Source text that may be quoted: no links, markup or bracketed numbers that could pose as citations."""
    return not _URL_OR_CITATION.search(text)


def question_spans(question: str, phrases: Sequence[str], scale_text: str | None = None,
                   limit: int = TUNING.answer.question_spans) -> list[str]:
    """The question's own words for each matched cue phrase (so quotes are verbatim)."""
    spans: list[str] = []
    if scale_text:
        match = re.search(re.escape(scale_text).replace("x", "[x×]"), question, re.IGNORECASE) or re.search(
            r"\d+(?:\.\d+)?\s*[x×]|[x×]\s?\d+", question)
        if match:
            spans.append(match.group(0))
    tokens = list(re.finditer(r"[\w'’]+", question))
    flat = [(i, s) for i, token in enumerate(tokens) for s in stems(token.group(0))]
    for phrase in phrases:
        key = stems(phrase)
        if not key:
            continue
        for j in range(len(flat) - len(key) + 1):
            if [s for _, s in flat[j : j + len(key)]] == key:
                start, end = tokens[flat[j][0]].start(), tokens[flat[j + len(key) - 1][0]].end()
                span = question[start:end]
                if not any(span.lower() in s.lower() or s.lower() in span.lower() for s in spans):
                    spans.append(span)
                break
    return spans[:limit]


def join_quoted(words: Sequence[str]) -> str:
    """“a”, “b” and “c”."""
    quoted = [f"“{w}”" for w in words]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def join_names(names: Sequence[str]) -> str:
    """a, b and c."""
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def shared_cue_words(question: str, source: Source, cue_words: set[str]) -> list[str]:
    """Words of the question that are task cues and that the source's text also uses (no filler)."""
    source_stems = stem_set(source.text())
    found: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z'’]{2,}", question):
        lowered = normalize(word)
        if lowered in STOPWORDS or lowered in FILLER or lowered in (f.lower() for f in found):
            continue
        word_stems = stems(word, drop_stopwords=True)
        if any(s in source_stems and s in cue_words for s in word_stems):
            found.append(word)
    return found


def sentences(text: str | None, limit: int) -> list[str]:
    """The quotable sentences of a text, whitespace-normalised, no longer than ``limit``."""
    return [s for s in split_sentences(text or "") if quotable(s) and len(s) <= limit]


def sentence_with(source: Source, word: str, limit: int = TUNING.answer.quote_max_chars) -> str | None:
    """The first quotable summary sentence that uses ``word``."""
    target = set(stems(word))
    for sentence in sentences(source.summary, limit):
        if target & set(stems(sentence)):
            return sentence.rstrip(".")
    return None


def gist(source: Source, limit: int = TUNING.answer.gist_max_chars) -> str | None:
    """What a source is about in one verbatim sentence: its card's gist (or, for a checkpoint fine-tuned for another
    of the family's tasks, its variant's description), else its summary's 'we propose'.

    A paper's 'we' sentence must share a word with its title when one does: "We address all these
    issues in this work" says nothing about the paper that a reader could check it against.
    """
    if source.card is not None and source.card.gist and quotable(source.card.gist):
        mode = source.card.mode_text(source.name)
        return (mode if mode is not None and quotable(mode) else source.card.gist).rstrip(".")
    found = sentences(source.summary, limit)
    claims = [s for s in found if _SUBJECT.search(s) and not s.lower().startswith("this paper does not")]
    if source.kind == "paper":
        title = set(stems(source.name, drop_stopwords=True))
        claims = [s for s in claims if title & stem_set(s)] or claims
    chosen = (claims or found or [None])[0]
    return chosen.rstrip(".") if chosen else None


def overlap(question: str, text: str, *, words_only: bool = False) -> int:
    """How many distinct content stems of the question a text shares (for choosing among card sentences);
    ``words_only`` leaves out stems with a digit ('4x', '60'), which say a setting, not what the text is about."""
    wanted = {s for s in stems(question, drop_stopwords=True) if normalize(s) not in FILLER
              and not (words_only and any(c.isdigit() for c in s))}
    return len(wanted & stem_set(text))
