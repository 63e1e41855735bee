"""Parsing prompt documents in the reference format: a quoted lay question plus the sources to use.

The format comes from a real system and varies in the wild: CRLF line ends, indentation, markdown
bullets (``- **Name**``), ``Title:`` for ``Model:``, ``Paper: None``, missing GitHub or Summary
lines, smart quotes, commented copies of the instructions, and text after ``Answer:``. The parser
is line based and tolerant of all of these; what it cannot find it reports with a line number
(and the file, when it was read from one). Whitespace runs inside a line count as one space, which
also keeps every pattern linear in the line's length.

Names are names: a model line that holds a link (``Model: SwinIR www.evil.example``) or markup is
an error, as is a link with characters a URL may not hold (``"``, ``<``, spaces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import PromptError
from ..links import find, url_problem
from ..sources import Link, Source, arxiv_id, slug
from ..tuning import LIMITS
from .loaders import deduplicate

_QUESTION_MARKER = re.compile(
    r"^\W*(?:a\s+)?user\s+(?:has\s+)?ask(?:s|ed)?\b[^:]*:?\s*(?P<rest>.*)$|^\W*question\s*:\s*(?P<rest2>.*)$",
    re.IGNORECASE,
)
_SECTION = re.compile(
    r"^\s*(?:#+\s*)?\**\s*(?P<name>recommended\s+(?:ai\s+)?models?|related\s+papers?|papers?|models?)\s*\**\s*:?\s*\**\s*$",
    re.IGNORECASE,
)
_EMPTY_PAPER = re.compile(r"^\s*paper\s*:\s*$", re.IGNORECASE)
_ANSWER = re.compile(r"^\s*#*\s*\**answer\**\s*:", re.IGNORECASE)
_ENTRY_KEY = re.compile(r"^\s*(?:[-*]\s+)?\**(?:model|title|name|paper\s+title)\**\s*:(?P<name>.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\*\*(?P<name>.+?)\*\*\s*:?\s*$|^\s*\*\*(?P<name2>[^*]+?)\*\*\s*:?\s*$")
_FIELD = re.compile(r"^\s*(?:[-*]\s+)?\**(?P<key>[A-Za-z][A-Za-z ]{0,30}?)\**\s*:(?P<value>.*)$")
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
    fields: dict[str, list[str]] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)
    last: str | None = None


def parse_prompt(text: str, where: str | None = None) -> ParsedPrompt:
    """Parse a prompt document in the reference format into its question and sources.

    Raises PromptError naming the line (and ``where``, the file it came from, when given) when
    the question or the sources cannot be found, when a name holds a link, when a link is not an
    http(s) URL, or when a source breaks a limit (``tuning.Limits``).
    """
    try:
        return _parse(text)
    except PromptError as exc:
        if where is None:
            raise
        located = PromptError(f"{where}: {exc}")
        located.line = exc.line
        raise located from None


def _parse(text: str) -> ParsedPrompt:
    if not isinstance(text, str):
        raise PromptError(f"a prompt must be text, not {type(text).__name__}")
    if len(text) > LIMITS.max_prompt_chars:
        raise PromptError(f"the prompt is {len(text):,} characters long; the limit is {LIMITS.max_prompt_chars:,}")
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")]
    question, after = _find_question(lines)
    entries = _find_entries(lines, after)
    if not entries:
        raise PromptError(
            "no sources found: expected a '### Recommended AI Models:' or '### Related Papers:' section "
            "with entries such as 'Model: <name>' or '- **<name>**' followed by 'Paper: <link>'"
        )
    if len(entries) > LIMITS.max_sources:
        raise PromptError(f"the prompt lists {len(entries):,} sources; the limit is {LIMITS.max_sources:,}",
                          entries[LIMITS.max_sources].line)
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
        if heading and current is not None and _EMPTY_PAPER.match(line):
            heading = None  # an entry's empty 'Paper:' line, not a 'Papers:' heading
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
            current = _Entry(name=_check_name(entry_name, number + 1), line=number + 1, section=section)
            entries.append(current)
            continue
        field_match = _FIELD.match(line)
        if current is not None and field_match and field_match.group("key").strip().lower() in _FIELD_NAMES:
            key = _FIELD_NAMES[field_match.group("key").strip().lower()]
            current.fields[key] = [field_match.group("value").strip()]
            current.field_lines[key] = number + 1
            current.last = key
            continue
        if current is not None and current.last == "summary":
            current.fields["summary"].append(line.strip())
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
        name = match.group("name").strip().strip("*").strip()
        if name:
            return name
    match = _BULLET.match(line)
    if match:
        return (match.group("name") or match.group("name2")).strip()
    return None


def _check_name(name: str, line: int) -> str:
    spans = find(name)
    if spans:
        raise PromptError(
            f"the name {name[:80]!r} holds a link or markup ({spans[0].text[:40]!r}); a name is text only: "
            "put the link on its own 'Paper:', 'GitHub:' or 'Hugging Face:' line", line)
    return name


def _field(entry: _Entry, key: str) -> str | None:
    parts = entry.fields.get(key)
    return None if parts is None else " ".join(p for p in parts if p)


def _link(entry: _Entry, key: str) -> str | None:
    value = _field(entry, key)
    if value is None:
        return None
    value = value.strip().strip("<>").strip()
    markdown = re.fullmatch(r"\[[^\]]*\]\((\S+)\)", value)
    if markdown:
        value = markdown.group(1)
    if value.lower() in _ABSENT:
        return None
    problem = url_problem(value)
    if problem is not None:
        shown = value[:80] + ("…" if len(value) > 80 else "")
        raise PromptError(f"the {key} link of {entry.name[:80]!r} is not an http(s) URL: {shown!r} ({problem})",
                          entry.field_lines[key])
    return value


def _source(data: dict, entry: _Entry) -> Source:
    """The Source of an entry, or a PromptError naming the line of the field that broke a rule."""
    try:
        return Source.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field_name = str(error["loc"][0]) if error["loc"] else "source"
        line = entry.field_lines.get(field_name, entry.line)
        message = error["msg"].removeprefix("Value error, ")
        raise PromptError(f"the {field_name} of {entry.name[:80]!r} {message}", line) from None


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
        summary = _field(entry, "summary")
        data = dict(
            id=ident,
            kind=kind,
            name=entry.name,
            paper_url=paper,
            github_url=_link(entry, "github"),
            links=tuple(links),
            summary=None if summary is None or summary.strip().lower() in _ABSENT else summary,
            category=_field(entry, "category") or None,
            dataset=_field(entry, "dataset") or None,
        )
        pairs.append((_source(data, entry), f"line {entry.line}"))
    kept, notes = deduplicate(pairs)
    # The section an entry was listed in is its kind: recommended models, related papers.
    recommended = tuple(s.id for s in kept if s.kind == "model")
    related = tuple(s.id for s in kept if s.kind == "paper")
    return ParsedPrompt(question=question, sources=tuple(kept), recommended=recommended, related=related, notes=tuple(notes))
