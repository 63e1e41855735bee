"""Checking an answer against its sources: links, citations, numbers, uncited sentences and quotes.

``verify`` renders the answer in every format and checks what a reader would see:
- every URL is one of the supplied links, character for character, and nothing else is link-like
  (``links``: ``www.`` hosts, ``//host``, ``javascript:`` and other schemes, e-mail addresses,
  Markdown link or image syntax, raw HTML in Markdown, any tag or attribute the HTML template
  does not write, any ``href`` but a supplied link); in a sentence's own words (outside the
  verbatim quotes it rests on, which are shown neutralised) there is no link-like text at all;
- every citation [n] points to a supplied source;
- every number in a sentence appears in the question or in a source that sentence cites;
- every sentence other than cnaps_rag's fixed phrasing cites at least one source;
- every quoted span of evidence occurs verbatim in the text it claims to come from.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from ..links import find, unsupplied
from ..sources import Source, citable_text
from ..text import numbers
from .model import Answer, Statement
from .phrases import TEMPLATE_PHRASES
from .render import LINK_FIELDS, render, supplied_links
from .spans import normalize_space

_CITATION = re.compile(r"\[(\d+)\]")
# What the HTML template writes: these tags, class attributes, and hrefs that are supplied links.
_HTML_TAGS = frozenset({"article", "p", "strong", "em", "h2", "h3", "ol", "ul", "li", "pre", "a"})


class Verification(BaseModel):
    """The result of ``verify``: ok, the problems found, and how much was checked."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    problems: tuple[str, ...]
    urls_checked: int
    citations_checked: int
    numbers_checked: int
    statements_checked: int


FORMATS = ("markdown", "text", "html", "json")


def verify(answer: Answer, formats: Sequence[str] = FORMATS) -> Verification:
    """Check ``answer`` (see the module docstring); never raises for a bad answer, reports it.

    ``formats`` are the renderings whose links and citations are checked. All of them render the
    same view of the answer, so ``answer()`` checks Markdown alone on its hot path; a test holds
    every format to the same links and citations.
    """
    problems: list[str] = []
    sources = {ref.source.id: ref.source for ref in answer.references}
    cards = {ref.source.id: ref.backing for ref in answer.references if ref.backing is not None}
    allowed = supplied_links(answer)
    count = len(answer.references)

    urls_checked = citations_checked = numbers_checked = 0
    for fmt in formats:
        rendered = render(answer, fmt)  # type: ignore[arg-type]
        found, checked = link_problems(rendered, fmt, allowed)
        problems += [f"{fmt}: {p}" for p in found]
        urls_checked += checked
        if fmt == "json":
            continue  # JSON carries no citation marks: statements cite by source id
        visible = html.unescape(rendered) if fmt == "html" else rendered
        for match in _CITATION.finditer(visible):
            citations_checked += 1
            n = int(match.group(1))
            if not 1 <= n <= count:
                problems.append(f"{fmt}: citation [{n}] does not point to a supplied source (there are {count})")

    statements = answer.statements()
    for statement in statements:
        problems += statement_problems(statement, sources, cards, answer.question)
        problems += unquoted_links(statement, allowed)
        numbers_checked += len(numbers(_without_terms(statement)))
    return Verification(
        ok=not problems, problems=tuple(problems), urls_checked=urls_checked, citations_checked=citations_checked,
        numbers_checked=numbers_checked, statements_checked=len(statements),
    )


def statement_problems(statement: Statement, sources: Mapping[str, Source], cards: Mapping[str, Source],
                       question: str) -> list[str]:
    """What is wrong with one sentence: an uncited claim, a foreign citation, a number found neither in the
    question nor in its sources, or a quote that is not verbatim (after folding whitespace) where it claims to be."""
    problems: list[str] = []
    label = statement.text[:60]
    if statement.template:
        if statement.text not in TEMPLATE_PHRASES:
            problems.append(f"sentence {label!r} is marked as template phrasing but is not one")
        return problems
    if not statement.sources:
        problems.append(f"sentence {label!r} cites no source")
    unknown = [s for s in statement.sources if s not in sources]
    if unknown:
        problems.append(f"sentence {label!r} cites {unknown}, which were not supplied")
    allowed_numbers = set(numbers(question))
    for source_id in statement.sources:
        if source_id in sources:
            allowed_numbers |= numbers(_full_text(sources[source_id], cards.get(source_id)))
    for number in numbers(_without_terms(statement)):
        if number not in allowed_numbers:
            problems.append(f"sentence {label!r} has the number {number}, found neither in the question nor in its sources")
    folded_question = normalize_space(question)
    for evidence in statement.evidence:
        quote = normalize_space(evidence.quote)
        if evidence.origin == "question":
            if quote not in folded_question:
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
        if quote not in normalize_space(text):
            problems.append(f"sentence {label!r}: evidence {evidence.quote[:50]!r} is not in {evidence.via_card or evidence.source_id!r}")
    return problems


def _without_terms(statement: Statement) -> str:
    """The sentence with the taxonomy terms it declares removed: their digits are vocabulary, not claims."""
    text = statement.text
    for term in sorted(statement.terms, key=len, reverse=True):
        text = text.replace(term, " ")
    return text


def _full_text(source: Source | None, card: Source | None) -> str:
    if source is None:
        return ""
    return citable_text(source) + ("\n" + card.text() if card is not None else "")


def unquoted_links(statement: Statement, allowed: set[str]) -> list[str]:
    """Link-like text in a sentence's own words: only a quote (shown neutralised) or a supplied link may hold any."""
    if statement.template:
        return []
    problems = []
    for span in find(statement.text, "text"):
        if (span.kind == "url" and span.text in allowed) or any(span.text in e.quote for e in statement.evidence):
            continue
        problems.append(f"sentence {statement.text[:60]!r}: link {span.text[:80]!r} is not one of the supplied links")
    return problems


def link_problems(rendered: str, fmt: str, allowed: set[str]) -> tuple[list[str], int]:
    """(problems, URLs checked) for one rendering: link-like text that is not a supplied link."""
    if fmt == "html":
        checker = _HtmlCheck(allowed)
        checker.feed(rendered)
        checker.close()
        return checker.problems, checker.urls
    if fmt == "json":
        problems: list[str] = []
        urls = 0
        if "<" in rendered:
            problems.append("raw '<' in the JSON text")
        for key, value in json_strings(json.loads(rendered)):
            if key in LINK_FIELDS and value in allowed:
                urls += 1
                continue
            problems += [f"link {t!r} is not one of the supplied links" for t in unsupplied(value, allowed, "json")]
        return problems, urls
    spans = find(rendered, fmt)  # type: ignore[arg-type]
    urls = sum(1 for span in spans if span.kind == "url")
    return [f"link {t!r} is not one of the supplied links" for t in unsupplied(rendered, allowed, fmt, spans)], urls  # type: ignore[arg-type]


def json_strings(value: object, key: str | None = None):
    """Every string in parsed JSON with the key it sits under (a list's items under the list's key)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v, key)
    elif isinstance(value, str):
        yield key, value


class _HtmlCheck(HTMLParser):
    """Reads rendered HTML as a browser would and notes any tag, attribute, href or text link the template does not write."""

    def __init__(self, allowed: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.problems: list[str] = []
        self.urls = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.problems.append(f"tag <{tag}> is not one the template writes")
        for name, value in attrs:
            if name == "href" and tag == "a" and value in self.allowed:
                self.urls += 1
            elif name != "class":
                self.problems.append(f"attribute {name}={(value or '')[:60]!r} on <{tag}> is not a supplied link")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        spans = find(data, "text")
        self.urls += sum(1 for span in spans if span.kind == "url")
        self.problems += [f"link {t!r} is not one of the supplied links" for t in unsupplied(data, self.allowed, "text", spans)]

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"an HTML comment {data[:40]!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"an HTML declaration {decl[:40]!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"an HTML processing instruction {data[:40]!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"an HTML declaration {data[:40]!r}")
