"""Sources: the models and papers an answer may draw on, validated on the way in.

A source is either a *model* (name, paper link, GitHub link, optional summary and structured
card) or a *paper* (title, link, summary). This module also holds the one rule for which text a
source is read by: its own, or, when it came with none, the text of the card that backs it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import CorpusError
from .links import find, url_problem
from .source_card import Card
from .tuning import LIMITS

SourceKind = Literal["model", "paper"]
_ID = re.compile(r"^[a-z0-9][a-z0-9._:+-]*$")


def check_url(value: str) -> str:
    """Accept an absolute http(s) URL with a dotted host and only characters legal in a URL, unchanged.

    Raises ValueError saying what is wrong (see ``links.url_problem``).
    """
    problem = url_problem(value)
    if problem is not None:
        shown = value[:80] + ("…" if len(value) > 80 else "") if isinstance(value, str) else value
        raise ValueError(f"must be an http:// or https:// URL; {shown!r} {problem}")
    return value


def check_text(value: str, limit: int) -> str:
    """Accept text that is valid Unicode (no lone surrogates, as from undecodable bytes) and at most ``limit`` long."""
    if len(value) > limit:
        raise ValueError(f"is {len(value):,} characters long; the limit is {limit:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"is not valid text: character {exc.start + 1} is a lone surrogate "
                         f"(U+{ord(value[exc.start]):04X}), as left by bytes that were not UTF-8") from None
    return value


class Link(BaseModel):
    """A further link of a source (Hugging Face page, project page, PDF mirror)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(min_length=1)
    url: str

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("label")
    @classmethod
    def _check_label(cls, value: str) -> str:
        return _plain_name(value, "a label")


class Source(BaseModel):
    """A model or paper that an answer may cite, with its links exactly as supplied."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: SourceKind
    name: str = Field(min_length=1)
    paper_url: str | None = None
    github_url: str | None = None
    links: tuple[Link, ...] = ()
    summary: str | None = None
    category: str | None = None
    dataset: str | None = None
    card: Card | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if len(value) > LIMITS.max_name_chars or not _ID.match(value):
            raise ValueError(f"must be lowercase letters, digits and . _ : + - (e.g. 'swinir-jpeg40'), got {value[:80]!r}")
        if find(value, "text"):
            raise ValueError(f"must be an id, not look like a link, got {value[:80]!r}")
        return value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _plain_name(value, "a name")

    @field_validator("paper_url", "github_url")
    @classmethod
    def _check_urls(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("summary")
    @classmethod
    def _blank_summary(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_text(value, LIMITS.max_source_chars)
        return value.strip() or None

    @field_validator("category", "dataset")
    @classmethod
    def _check_short_text(cls, value: str | None) -> str | None:
        return None if value is None else check_text(value, LIMITS.max_name_chars)

    @model_validator(mode="after")
    def _check_length(self) -> "Source":
        text = self.text()
        if len(text) > LIMITS.max_source_chars:
            raise ValueError(f"the source's text (name, summary and card together) is {len(text):,} characters long; "
                             f"the limit is {LIMITS.max_source_chars:,}")
        check_text(text, LIMITS.max_source_chars)
        linked = sum(len(url) for url in self.urls())
        if linked > LIMITS.max_source_chars:
            raise ValueError(f"the source's links are {linked:,} characters long together; the limit is {LIMITS.max_source_chars:,}")
        return self

    def urls(self) -> list[str]:
        """Every link of this source, in order: paper, GitHub, then the others."""
        found = [u for u in (self.paper_url, self.github_url) if u]
        return found + [link.url for link in self.links]

    def text(self) -> str:
        """Everything this source says, as one string: what an answer may quote from it."""
        parts = [self.name]
        if self.category:
            parts.append(self.category)
        if self.summary:
            parts.append(self.summary)
        if self.card:
            card = self.card
            parts += [card.title or "", card.gist or "", *card.why_it_works, *(s.why for s in card.stages if s.why),
                      card.input or "", *card.user_inputs, card.output or ""]
            parts += [f"{s.name}: {s.text}" for s in card.stages]
            parts += [f"{v.token}: {v.text}" for v in card.variants]
            parts += list(card.facts)
        return "\n".join(p for p in parts if p)


def _plain_name(value: str, what: str) -> str:
    check_text(value, LIMITS.max_name_chars)
    if not value.strip():
        raise ValueError("must not be blank")
    spans = find(value)
    if spans:
        raise ValueError(f"must be {what}, not contain a link or markup ({spans[0].text[:40]!r}); put links in "
                         f"paper_url, github_url or links: {value[:80]!r}")
    return value.strip()


def slug(text: str, limit: int = 60) -> str:
    """A stable lowercase id from a name: ASCII letters and digits joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not cleaned:
        cleaned = "s" + hashlib.sha1(text.encode()).hexdigest()[:10]
    return cleaned[:limit].rstrip("-")


def arxiv_id(url: str | None) -> str | None:
    """The arXiv identifier in a link, without version (``2304.05538`` from ``.../2304.05538v4.pdf``)."""
    if not url:
        return None
    match = re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})(?:v\d+)?", url, re.IGNORECASE)
    return match.group(1) if match else None


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors:
        field = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"field '{field}': {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def validate_source(data: dict[str, Any], where: str) -> Source:
    """Build a Source from a record, or raise CorpusError naming ``where`` and the bad field."""
    try:
        return Source.model_validate(data)
    except ValidationError as exc:
        raise CorpusError(f"{where}: {_describe(exc.errors())}") from None


def corpus_hash(sources: Iterable[Source]) -> str:
    """A SHA-256 over the canonical JSON of the sources, order included: changes when any field does."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


def merge_card(source: Source, card: Source) -> Source:
    """The source as ranked: its own id, name, links and text, with the backing's card (and, when it had
    no summary of its own, the backing's summary) to go on."""
    return source.model_copy(update={"summary": source.summary or card.summary, "card": source.card or card.card,
                                     "category": source.category or card.category})


def needs_backing(source: Source) -> bool:
    """True for a source that came with no text of its own (name and links only)."""
    return not source.summary and source.card is None


def readable(source: Source, backing: Source | None) -> Source:
    """The one rule for which text a source is read by: its own, plus what backs it.

    A curated library card backs any model it resolves to (its text is added to the source's
    own); a corpus source with a summary backs only a source that came with no text.
    """
    if backing is None:
        return source
    if backing.card is not None and backing.card.library_id is not None and source.card is None:
        return merge_card(source, backing)
    if needs_backing(source):
        return merge_card(source, backing)
    return source


def citable_text(source: Source) -> str:
    """Everything a source supplies that a quote may come from: its text and its links."""
    return "\n".join([source.text(), *source.urls()])


def family_keys(source: Source) -> set[str]:
    """What makes catalog entries one model family: the same paper link or the same summary.

    23 SwinIR variants share one paper; text alone can only find the family, and the variant
    comes from the name. A source with neither is a family of its own, keyed by its name.
    """
    keys = set()
    if source.paper_url:
        keys.add("paper:" + source.paper_url.strip().lower())
    if source.summary:
        keys.add("summary:" + " ".join(source.summary.lower().split()))
    return keys or {"name:" + source.name}


def find_backing(source: Source, candidates: Iterable[Source]) -> Source | None:
    """The corpus source that backs a supplied source with no text of its own: same arXiv id, GitHub link or name.

    None when the source has text of its own, or nothing in ``candidates`` matches.
    """
    if not needs_backing(source):
        return None
    wanted_arxiv = arxiv_id(source.paper_url)
    wanted_github = (source.github_url or "").rstrip("/").lower()
    wanted_name = slug(source.name)
    by_name = None
    for card in candidates:
        if card.card is None and not card.summary:
            continue
        if wanted_arxiv and arxiv_id(card.paper_url) == wanted_arxiv:
            if slug(card.name) == wanted_name or card.card is not None:
                return card
        if wanted_github and (card.github_url or "").rstrip("/").lower() == wanted_github and card.card is not None:
            return card
        if slug(card.name) == wanted_name:
            by_name = card
    return by_name
