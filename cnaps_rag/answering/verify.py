"""Checking an answer against its sources: links, citations, numbers, uncited sentences and quotes.

``verify`` renders the answer in every format and checks what a reader would see:
- every URL is one of the supplied links, character for character;
- every citation [n] points to a supplied source;
- every number in a sentence appears in the question or in a source that sentence cites;
- every sentence other than cnaps_rag's fixed phrasing cites at least one source;
- every quoted span of evidence occurs verbatim in the text it claims to come from.
"""

from __future__ import annotations

import html
import re
from typing import Sequence

from pydantic import BaseModel, ConfigDict

from ..sources import Source, citable_text
from ..text import numbers
from .model import Answer
from .phrases import TEMPLATE_PHRASES
from .render import render

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_CITATION = re.compile(r"\[(\d+)\]")
_TRAILING = ".,;:!?)]}»”’'\""


class Verification(BaseModel):
    """The result of ``verify``: ok, the problems found, and how much was checked."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    problems: tuple[str, ...]
    urls_checked: int
    citations_checked: int
    numbers_checked: int
    statements_checked: int


FORMATS = ("markdown", "text", "html")


def verify(answer: Answer, formats: Sequence[str] = FORMATS) -> Verification:
    """Check ``answer`` (see the module docstring); never raises for a bad answer, reports it.

    ``formats`` are the renderings whose links and citations are checked. All three render the
    same view of the answer, so ``answer()`` checks Markdown alone on its hot path; a test holds
    the three formats to the same links and citations.
    """
    problems: list[str] = []
    sources = {ref.source.id: ref.source for ref in answer.references}
    cards = {ref.source.id: ref.backing for ref in answer.references if ref.backing is not None}
    allowed = {url for source in sources.values() for url in source.urls()}
    count = len(answer.references)

    urls_checked = citations_checked = numbers_checked = 0
    for fmt in formats:
        rendered = render(answer, fmt)  # type: ignore[arg-type]
        visible = html.unescape(rendered) if fmt == "html" else rendered
        for match in _URL.finditer(visible):
            urls_checked += 1
            url = match.group(0)
            if url not in allowed and url.rstrip(_TRAILING) not in allowed and not _prefix_of_allowed(url, allowed):
                problems.append(f"{fmt}: link {url!r} is not one of the supplied links")
        for match in _CITATION.finditer(visible):
            citations_checked += 1
            n = int(match.group(1))
            if not 1 <= n <= count:
                problems.append(f"{fmt}: citation [{n}] does not point to a supplied source (there are {count})")

    question_numbers = numbers(answer.question)
    statements = answer.statements()
    for statement in statements:
        label = statement.text[:60]
        if statement.template:
            if statement.text not in TEMPLATE_PHRASES:
                problems.append(f"sentence {label!r} is marked as template phrasing but is not one")
            continue
        if not statement.sources:
            problems.append(f"sentence {label!r} cites no source")
        unknown = [s for s in statement.sources if s not in sources]
        if unknown:
            problems.append(f"sentence {label!r} cites {unknown}, which were not supplied")
        allowed_numbers = set(question_numbers)
        for source_id in statement.sources:
            if source_id in sources:
                allowed_numbers |= numbers(_full_text(sources[source_id], cards.get(source_id)))
        for number in numbers(statement.text):
            numbers_checked += 1
            if number not in allowed_numbers:
                problems.append(f"sentence {label!r} has the number {number}, found neither in the question nor in its sources")
        for evidence in statement.evidence:
            if evidence.origin == "question":
                if evidence.quote not in answer.question:
                    problems.append(f"sentence {label!r} quotes {evidence.quote!r}, which is not in the question")
                continue
            if evidence.source_id not in statement.sources:
                problems.append(f"sentence {label!r} rests on {evidence.source_id!r}, which it does not cite")
                continue
            source = sources.get(evidence.source_id or "")
            card = cards.get(evidence.source_id or "") if evidence.via_card else None
            if evidence.via_card and (card is None or card.id != evidence.via_card):
                problems.append(f"sentence {label!r} rests on card {evidence.via_card!r}, which backs no cited source")
                continue
            text = _full_text(card, None) if card is not None else (_full_text(source, None) if source else "")
            if evidence.quote not in text:
                problems.append(f"sentence {label!r}: evidence {evidence.quote[:50]!r} is not in {evidence.via_card or evidence.source_id!r}")
    return Verification(
        ok=not problems, problems=tuple(problems), urls_checked=urls_checked, citations_checked=citations_checked,
        numbers_checked=numbers_checked, statements_checked=len(statements),
    )


def _full_text(source: Source | None, card: Source | None) -> str:
    if source is None:
        return ""
    return citable_text(source) + ("\n" + card.text() if card is not None else "")


def _prefix_of_allowed(url: str, allowed: set[str]) -> bool:
    # A supplied link directly followed by punctuation of the sentence it sits in.
    return any(url.startswith(a) and url[len(a):].strip(_TRAILING) == "" for a in allowed)
