"""Sources: the models and papers an answer may draw on, validated on the way in.

A source is either a *model* (name, paper link, GitHub link, optional summary and structured
card) or a *paper* (title, link, summary). Corpus files are JSON; a file may hold one record or
a list, written either in cnaps_rag's own schema or in the CNAPS catalog schema (see ``catalog``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import CorpusError

SourceKind = Literal["model", "paper"]
_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+[^\s]*$", re.IGNORECASE)
_ID = re.compile(r"^[a-z0-9][a-z0-9._:+-]*$")


def check_url(value: str) -> str:
    """Accept an absolute http(s) URL with a dotted host and no whitespace, unchanged."""
    if not isinstance(value, str) or not _URL.match(value):
        raise ValueError(f"must be an http:// or https:// URL with a host, got {value!r}")
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


class Stage(BaseModel):
    """One processing stage of a model, in the card author's words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    text: str = Field(min_length=1)
    kind: Literal["pre", "model", "post"] = "model"


class Variant(BaseModel):
    """What one released variant of a model does, keyed by a token of its name (``Jpeg40``, ``x4``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str = Field(min_length=1)
    text: str = Field(min_length=1)


class Card(BaseModel):
    """Structured facts about a model, written by a person from its paper and repository."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str | None = None
    tasks: tuple[str, ...] = ()
    input: str | None = None
    output: str | None = None
    stages: tuple[Stage, ...] = ()
    variants: tuple[Variant, ...] = ()
    facts: tuple[str, ...] = ()


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
        if not _ID.match(value):
            raise ValueError(f"must be lowercase letters, digits and . _ : + - (e.g. 'swinir-jpeg40'), got {value!r}")
        return value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        if re.search(r"https?://|www\.", value, re.IGNORECASE):
            raise ValueError(f"must be a name, not contain a link (put links in paper_url, github_url or links): {value[:80]!r}")
        return value.strip()

    @field_validator("paper_url", "github_url")
    @classmethod
    def _check_urls(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("summary")
    @classmethod
    def _blank_summary(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

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
            parts += [card.title or "", card.input or "", card.output or ""]
            parts += [f"{s.name}: {s.text}" for s in card.stages]
            parts += [f"{v.token}: {v.text}" for v in card.variants]
            parts += list(card.facts)
        return "\n".join(p for p in parts if p)


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


def load_sources(path: str | os.PathLike[str]) -> list[Source]:
    """Load and validate every source in a JSON file, or in every ``*.json`` below a directory.

    Records may be in cnaps_rag's schema or the CNAPS catalog schema; ids must be unique across
    everything loaded; files are read in name order so the result is deterministic.
    """
    from .catalog import is_catalog_record, source_from_catalog

    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*.json") if p.is_file())
    elif root.is_file():
        files = [root]
    else:
        raise CorpusError(f"{root}: no such corpus file or directory")
    sources: list[Source] = []
    places: dict[str, str] = {}
    for file in files:
        for index, record in enumerate(_records(file)):
            where = f"{file}: record {index + 1}"
            if not isinstance(record, dict):
                raise CorpusError(f"{where}: expected a JSON object, got {type(record).__name__}")
            label = record.get("id") or record.get("Model Unique Name") or record.get("name")
            if label:
                where += f" ({label})"
            source = source_from_catalog(record, where) if is_catalog_record(record) else validate_source(record, where)
            if source.id in places:
                raise CorpusError(f"duplicate source id {source.id!r}: {places[source.id]} and {where}")
            places[source.id] = where
            sources.append(source)
    return sources


def read_json(file: Path, what: str = "file", error: type[Exception] = CorpusError) -> Any:
    """Parse a JSON file, or raise ``error`` saying which file and what is wrong (missing, not UTF-8, bad JSON)."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{file}: no such {what}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise error(f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _records(file: Path) -> list[Any]:
    data = read_json(file, "corpus file")
    return data if isinstance(data, list) else [data]


def corpus_hash(sources: Iterable[Source]) -> str:
    """A SHA-256 over the canonical JSON of the sources, order included: changes when any field does."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


_cards: dict[tuple[tuple[str, int, int], ...], list[Source]] = {}


def corpus_cards() -> list[Source]:
    """The default corpus's sources, which back supplied models that come without a summary.

    Read once and kept until a corpus file changes (size or modification time).
    """
    root = default_corpus_dir() / "sources"
    files = sorted(p for p in root.rglob("*.json") if p.is_file()) if root.is_dir() else []
    key = tuple((str(p), st.st_mtime_ns, st.st_size) for p, st in ((p, p.stat()) for p in files))
    if key not in _cards:
        _cards.clear()
        _cards[key] = load_sources(root) if files else []
    return _cards[key]


def default_corpus_dir() -> Path:
    """Where the default corpus lives: $CNAPS_RAG_CORPUS, the repository's corpus/, or the installed copy."""
    env = os.environ.get("CNAPS_RAG_CORPUS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "_corpus", here.parent / "corpus"):
        if (candidate / "sources").is_dir():
            return candidate
    raise CorpusError("no default corpus found: set CNAPS_RAG_CORPUS to a corpus directory")
