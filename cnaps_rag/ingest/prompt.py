"""Parsing prompt documents in the reference format: a quoted lay question plus the sources to use.

The format comes from a real system and varies in the wild: CRLF line ends, indentation, markdown
bullets (``- **Name**``), ``Title:`` for ``Model:``, ``Paper: None``, missing GitHub or Summary
lines, smart quotes, commented copies of the instructions, and text after ``Answer:``. The parser
is line based and tolerant of all of these; what it cannot find it reports with a line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from ..errors import PromptError
from ..sources import Link, Source, arxiv_id, check_url, slug
from .loaders import deduplicate

_QUESTION_MARKER = re.compile(
    r"^\W*(?:a\s+)?user\s+(?:has\s+)?ask(?:s|ed)?\b[^:]*:?\s*(?P<rest>.*)$|^\W*question\s*:\s*(?P<rest2>.*)$",
    re.IGNORECASE,
)
_SECTION = re.compile(
    r"^\s*(?:#+\s*)?\**\s*(?P<name>recommended\s+(?:ai\s+)?models?|related\s+papers?|papers?|models?)\s*\**\s*:?\s*\**\s*$",
    re.IGNORECASE,
)
_ANSWER = re.compile(r"^\s*#*\s*\**answer\**\s*:", re.IGNORECASE)
_ENTRY_KEY = re.compile(r"^\s*(?:[-*]\s+)?\**(?:model|title|name|paper\s+title)\**\s*:\s*\**(?P<name>.+?)\**\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\*\*(?P<name>.+?)\*\*\s*:?\s*$|^\s*\*\*(?P<name2>[^*]+?)\*\*\s*:?\s*$")
_FIELD = re.compile(r"^\s*(?:[-*]\s+)?\**(?P<key>[A-Za-z][A-Za-z ]{0,30}?)\**\s*:\s*(?P<value>.*?)\s*$")
_OPEN_QUOTES = "\"'“‘«„"
_CLOSE_QUOTES = {"\"": "\"", "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“"}
_ABSENT = {"", "none", "null", "n/a", "-", "—"}


class ParsedPrompt(BaseModel):
    """A prompt document taken apart: the question, the sources in order, and which section each came from."""

    model_config = ConfigDict(frozen=True)

    question: str
    sources: tuple[Source, ...]
    recommended: tuple[str, ...]
    related: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def role(self, source_id: str) -> str:
        """``recommended`` or ``related``: the section the source was listed in."""
        return "recommended" if source_id in self.recommended else "related"


@dataclass
class _Entry:
    name: str
    line: int
    section: str
    fields: dict[str, str] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)
    last: str | None = None


def parse_prompt(text: str) -> ParsedPrompt:
    """Parse a prompt document in the reference format into its question and sources.

    Raises PromptError naming the line when the question or the sources cannot be found, or when
    a link is not an http(s) URL.
    """
    if not isinstance(text, str):
        raise PromptError(f"a prompt must be text, not {type(text).__name__}")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")
    question, after = _find_question(lines)
    entries = _find_entries(lines, after)
    if not entries:
        raise PromptError(
            "no sources found: expected a '### Recommended AI Models:' or '### Related Papers:' section "
            "with entries such as 'Model: <name>' or '- **<name>**' followed by 'Paper: <link>'"
        )
    return _build(question, entries)


def _find_question(lines: list[str]) -> tuple[str, int]:
    for number, line in enumerate(lines):
        if line.lstrip().startswith("#") and not _SECTION.match(line):
            # Commented-out copies of the instructions repeat the question; the live one comes first.
            continue
        match = _QUESTION_MARKER.match(line)
        if not match:
            continue
        rest = (match.group("rest") or match.group("rest2") or "").strip()
        chunk = [rest] if rest else []
        end = number
        if not rest:
            end = number + 1
            while end < len(lines) and not lines[end].strip():
                end += 1
            if end < len(lines):
                chunk = [lines[end].strip()]
        question, end = _take_quoted(lines, chunk, end)
        if not question:
            raise PromptError("the question marker is followed by no question", number + 1)
        return question, end + 1
    raise PromptError(
        "no question found: expected a line such as 'A user has asked the following question:' "
        "followed by the question in quotes"
    )


def _take_quoted(lines: list[str], chunk: list[str], end: int) -> tuple[str, int]:
    if not chunk:
        return "", end
    first = chunk[0]
    opener = first[0] if first and first[0] in _OPEN_QUOTES else None
    if opener is None:
        return _clean_question(first), end
    closer = _CLOSE_QUOTES[opener]
    body = first[1:]
    parts = [body]
    # A quoted question may run over several lines; stop at its closing quote or a blank line.
    while not _closes(parts[-1], closer) and end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
        parts.append(lines[end].strip())
    joined = " ".join(p.strip() for p in parts)
    if _closes(joined, closer):
        joined = joined.rstrip()[:-1]
    return _clean_question(joined), end


def _closes(text: str, closer: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in {closer, "\"", "”"}


def _clean_question(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip("\"“”").strip()


def _find_entries(lines: list[str], start: int) -> list[_Entry]:
    entries: list[_Entry] = []
    section: str | None = None
    current: _Entry | None = None
    for number in range(start, len(lines)):
        line = lines[number]
        if _ANSWER.match(line):
            break
        heading = _SECTION.match(line)
        if heading:
            name = heading.group("name").lower()
            section = "related" if "paper" in name else "recommended"
            current = None
            continue
        if section is None:
            continue
        if re.match(r"^\s*#{1,6}\s+\S", line):
            # Any other heading ends the source sections.
            section, current = None, None
            continue
        if not line.strip():
            if current is not None:
                current.last = None
            continue
        entry_name = _entry_name(line)
        if entry_name is not None:
            current = _Entry(name=entry_name, line=number + 1, section=section)
            entries.append(current)
            continue
        field_match = _FIELD.match(line)
        if current is not None and field_match and field_match.group("key").strip().lower() in _FIELD_NAMES:
            key = _FIELD_NAMES[field_match.group("key").strip().lower()]
            current.fields[key] = field_match.group("value").strip()
            current.field_lines[key] = number + 1
            current.last = key
            continue
        if current is not None and current.last == "summary":
            current.fields["summary"] += " " + line.strip()
            continue
        if current is None:
            raise PromptError(
                f"expected a source entry ('Model: <name>', 'Title: <title>' or '- **<name>**'), found {line.strip()[:60]!r}",
                number + 1,
            )
        raise PromptError(f"cannot read this line of source {current.name!r}: {line.strip()[:60]!r}", number + 1)
    return entries


_FIELD_NAMES = {
    "paper": "paper", "paper link": "paper", "arxiv": "paper", "link": "paper", "url": "paper", "pdf": "paper",
    "github": "github", "code": "github", "repository": "github", "repo": "github",
    "summary": "summary", "abstract": "summary", "description": "summary",
    "huggingface": "huggingface", "hugging face": "huggingface", "hf": "huggingface",
    "project page": "project", "project": "project", "website": "project",
    "category": "category", "task": "category", "detailed category": "category", "dataset": "dataset",
}


def _entry_name(line: str) -> str | None:
    match = _ENTRY_KEY.match(line)
    if match:
        return match.group("name").strip()
    match = _BULLET.match(line)
    if match:
        return (match.group("name") or match.group("name2")).strip()
    return None


def _link(entry: _Entry, key: str) -> str | None:
    value = entry.fields.get(key)
    if value is None:
        return None
    value = value.strip().strip("<>").strip()
    markdown = re.fullmatch(r"\[[^\]]*\]\((\S+)\)", value)
    if markdown:
        value = markdown.group(1)
    if value.lower() in _ABSENT:
        return None
    try:
        return check_url(value)
    except ValueError:
        raise PromptError(
            f"the {key} link of {entry.name!r} is not an http(s) URL: {value[:80]!r}", entry.field_lines[key]
        ) from None


def _build(question: str, entries: list[_Entry]) -> ParsedPrompt:
    pairs: list[tuple[Source, str]] = []
    for entry in entries:
        paper = _link(entry, "paper")
        links = [
            Link(label=label, url=url)
            for key, label in (("huggingface", "Hugging Face"), ("project", "Project page"))
            if (url := _link(entry, key))
        ]
        kind = "model" if entry.section == "recommended" else "paper"
        ident = slug(entry.name, limit=80) if kind == "model" else ("arxiv:" + arxiv_id(paper) if arxiv_id(paper) else slug(entry.name, limit=80))
        summary = entry.fields.get("summary")
        source = Source(
            id=ident,
            kind=kind,
            name=entry.name,
            paper_url=paper,
            github_url=_link(entry, "github"),
            links=tuple(links),
            summary=None if summary is None or summary.strip().lower() in _ABSENT else summary,
            category=entry.fields.get("category") or None,
            dataset=entry.fields.get("dataset") or None,
        )
        pairs.append((source, f"line {entry.line}"))
    kept, notes = deduplicate(pairs)
    # The section an entry was listed in is its kind: recommended models, related papers.
    recommended = tuple(s.id for s in kept if s.kind == "model")
    related = tuple(s.id for s in kept if s.kind == "paper")
    return ParsedPrompt(question=question, sources=tuple(kept), recommended=recommended, related=related, notes=tuple(notes))
