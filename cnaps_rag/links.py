"""The link policy: what text is link-like, and how each output format shows it.

An answer shows a URL only where it is a supplied link field (a source's paper, GitHub or
further links), character for character. Anything else a reader's software could turn into a
link or into markup is *link-like*:

- a URL with a scheme and ``//`` (``https://``, ``ftp://``, ``foo+bar://``);
- a ``www.`` host (Markdown renderers link it without a scheme);
- a protocol-relative ``//host.example``;
- ``javascript:``, ``data:``, ``mailto:`` and the other schemes that work without ``//``;
- an e-mail address (GitHub Markdown links it);
- Markdown link and image syntax, ``[text](target)`` and ``![alt](src)``, and link definitions;
- raw HTML: a ``<`` that opens a tag, a comment or an autolink (link-like in Markdown and HTML,
  where it would be markup; plain text and JSON show it as the characters it is).

Source text is never changed: evidence stays verbatim, and ``verify`` checks quotes against it.
Link-like text is neutralised where text is *shown* (``neutralise``): a link's target becomes
"(link omitted)" and its words stay; Markdown also gets raw HTML escaped and line breaks folded,
so a quote cannot open a heading, a code fence or a link definition. ``unsupplied`` is the check
``verify`` runs on every rendering.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Literal, NamedTuple, Sequence

from .tuning import LIMITS

Format = Literal["markdown", "text", "html", "json"]
Kind = Literal["markdown", "url", "www", "host", "scheme", "email", "html"]

OMITTED = "(link omitted)"
IMAGE_OMITTED = "(image omitted)"
MARKUP_FORMATS = frozenset({"markdown", "html"})

# Schemes a browser or a Markdown renderer acts on without "//" after the colon.
SCHEMES = ("javascript", "vbscript", "livescript", "mailto", "tel", "sms", "callto", "file", "blob", "about",
           "view-source", "jar", "intent", "ftp", "http", "https", "ws", "wss", "feed", "magnet", "ms-[a-z-]+")


def _balanced(left: str, right: str, levels: int) -> str:
    """A regex for ``left … right`` with up to ``levels`` nested pairs inside; unambiguous, so it never backtracks badly."""
    inner = rf"(?:[^{left}{right}\\]|\\.)*"
    for _ in range(levels):
        inner = rf"(?:[^{left}{right}\\]|\\.|{left}{inner}{right})*"
    return rf"{left}{inner}{right}"


# Link text and link target (with any title) of Markdown link syntax; a superset of CommonMark's.
_TEXT = _balanced(r"\[", r"\]", 2)[2:-2]
_DEST = _balanced(r"\(", r"\)", 2)
_TRAILING = ".,;:!?)]}>\"'»”’"
_PATTERNS: tuple[tuple[Kind, str], ...] = (
    ("markdown", rf"!?\[{_TEXT}\]{_DEST}"),
    ("markdown", rf"(?:^|(?<=\n))[ \t]*\[{_TEXT}\]:"),
    ("url", r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}://[^\s<>\"'`]*"),  # one try per run of scheme letters
    ("www", r"(?<![\w.-])www\d{0,3}\.[^\s<>\"'`]*"),
    ("host", r"(?<![\w:/\\])//[\w-]+(?:\.[\w-]+)+[^\s<>\"'`]*"),
    ("scheme", rf"\b(?:{'|'.join(SCHEMES)}):(?=[^\s:])[^\s<>\"'`]*|\bdata:(?:[\w.+-]+/[\w.+-]+|,)[^\s<>\"'`]*"),
    ("email", r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("html", r"<(?=[A-Za-z/!?])"),  # the '<' alone, so what follows it is read too ('<www.x')
)
_ANY = re.compile("|".join(f"(?P<k{i}>{p})" for i, (_, p) in enumerate(_PATTERNS)), re.IGNORECASE)
_KINDS = {f"k{i}": kind for i, (kind, _) in enumerate(_PATTERNS)}
_MARKDOWN_LINK = re.compile(
    rf"(?P<bang>!?)\[(?P<text>{_TEXT})\]{_DEST}|(?:^|(?<=\n))[ \t]*\[(?P<label>{_TEXT})\]:", re.IGNORECASE)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_WORD_BEFORE = re.compile(r"[\w+.-]+$")
_SCHEME_WORDS = frozenset(s for s in SCHEMES if "[" not in s) | {"data"}
_ASCII_URL = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_BREAK = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


class Span(NamedTuple):
    """One piece of link-like text: its kind and where it stands."""

    kind: Kind
    start: int
    end: int
    text: str


def find(text: str, fmt: Format = "markdown") -> list[Span]:
    """Every link-like span of ``text``, left to right, as a reader of ``fmt`` would meet it.

    Raw HTML counts only in the markup formats (Markdown and HTML). A URL span stops before
    trailing sentence punctuation, so "see https://x.org/a." yields ``https://x.org/a``.
    """
    spans: list[Span] = []
    if not _suspect(text):
        return spans
    for match in _ANY.finditer(text):
        kind = _KINDS[match.lastgroup or ""]
        if kind == "html" and fmt not in MARKUP_FORMATS:
            continue
        value = match.group(0)
        if kind in ("url", "www", "host", "scheme"):
            value = _strip_trailing(value)
        spans.append(Span(kind, match.start(), match.start() + len(value), value))
    return spans


def is_link_like(text: str, fmt: Format = "markdown") -> bool:
    """True when ``text`` holds anything link-like (see the module docstring)."""
    return bool(find(text, fmt))


def neutralise(text: str, fmt: Format) -> str:
    """``text`` as ``fmt`` may show it: link targets omitted, link words kept, Markdown made inert.

    The result holds nothing ``find`` reports for ``fmt``; HTML escaping itself is the template's
    job (autoescape), and JSON escaping the serialiser's.
    """
    out = text
    if _suspect(out) and _ANY.search(out):  # most text holds nothing link-like: a cheap look decides
        for _ in range(8):  # nested or crafted syntax can need a second pass; each removes brackets or schemes
            flattened = _MARKDOWN_LINK.sub(_flatten, out)
            plain = _ANY.sub(_omit, flattened)
            if plain == out:
                break
            out = plain
        if find(out, "text"):  # pathological nesting: drop what is left of the brackets
            out = _ANY.sub(_omit, out.replace("[", "(").replace("]", ")"))
    if fmt in ("markdown", "text") and _BREAK.search(out):
        out = " ".join(line.strip() for line in out.splitlines() if line.strip())
    out = out.replace("](", "] (")  # whatever nesting is left, no link text can touch its target
    if fmt == "markdown":
        out = _TAG_START.sub("&lt;", out)
    return out


def unsupplied(rendered: str, allowed: Iterable[str], fmt: Format, spans: Sequence[Span] | None = None) -> list[str]:
    """The link-like spans of a rendering that are not supplied links shown character for character.

    ``spans`` are the rendering's ``find`` results when the caller already has them."""
    allowed = set(allowed)
    problems = []
    for span in find(rendered, fmt) if spans is None else spans:
        if span.kind == "url" and (span.text in allowed or _extends_allowed(rendered, span, allowed)):
            continue
        problems.append(rendered[span.start:span.start + 20] if span.kind == "html" else span.text[:80])
    return problems


def url_problem(value: str) -> str | None:
    """Why ``value`` cannot be shown as a supplied link, or None when it can.

    A supplied link is an absolute http(s) URL with a dotted host, no user name or password, and
    only characters a URL may hold: no spaces or control characters, none of ``" < > \\ ^ ` { | }``,
    brackets only around an IPv6 host, and ``%`` only as a %XX escape.
    """
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    return _url_problem(value)


@lru_cache(maxsize=4096)
def _url_problem(value: str) -> str | None:
    if len(value) > LIMITS.max_url_chars:
        return f"is {len(value):,} characters long; the limit is {LIMITS.max_url_chars:,}"
    match = re.match(r"(?i)^https?://([^/?#]*)", value)
    if not match:
        return "must start with http:// or https://"
    for char in "" if _ASCII_URL.fullmatch(value) else value:
        if char in "\"<>\\^`{|}" or unicodedata.category(char)[0] in "CZ":
            return f"contains {char!r} ({unicodedata.name(char, 'U+%04X' % ord(char))}), which a URL may not hold"
    authority = match.group(1)
    if "@" in authority:
        return "must not carry a user name or password before the host"
    host = re.sub(r":\d*$", "", authority)
    if not (re.fullmatch(r"\[[0-9a-fA-F:.]+\]", host) or (re.fullmatch(r"[^\[\]:]+", host) and re.search(r"\w\.\w", host))):
        return f"has no valid host ({authority!r})"
    if "[" in value[match.end():] or "]" in value[match.end():]:
        return "contains '[' or ']' after the host; write them as %5B and %5D"
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        return "contains a '%' that is not a %XX escape"
    return None


def _suspect(text: str) -> bool:
    """A cheap look for anything that could start link-like text; False means ``_ANY`` would find nothing."""
    if "[" in text or "<" in text or "@" in text or "//" in text or "www" in text.casefold():
        return True
    colon = text.find(":")
    while colon != -1:
        if colon + 1 < len(text) and not text[colon + 1].isspace():
            run = _WORD_BEFORE.search(text, max(0, colon - 40), colon)
            word = run.group(0).casefold() if run else ""
            # Over-approximate on purpose ("hotel:" ends in "tel"): _ANY decides; only a False must be exact.
            if "ms-" in word or any(word.endswith(scheme) for scheme in _SCHEME_WORDS):
                return True
        colon = text.find(":", colon + 1)
    return False


def _strip_trailing(value: str) -> str:
    stripped = value.rstrip(_TRAILING)
    # Keep a closing parenthesis that closes one opened inside the URL (Wikipedia-style links).
    while len(stripped) < len(value) and value[len(stripped)] == ")" and stripped.count("(") > stripped.count(")"):
        stripped += ")"
    return stripped or value


def _extends_allowed(rendered: str, span: Span, allowed: set[str]) -> bool:
    # A supplied link that itself ends in punctuation the span stopped before (".../paper.").
    return any(a.startswith(span.text) and rendered.startswith(a, span.start) for a in allowed)


def _flatten(match: re.Match[str]) -> str:
    if match.group("label") is not None:
        return match.group("label") + ":"
    words = match.group("text").strip()
    mark = IMAGE_OMITTED if match.group("bang") else OMITTED
    return f"{words} {mark}" if words else mark


def _omit(match: re.Match[str]) -> str:
    kind = _KINDS[match.lastgroup or ""]
    if kind == "html":
        return match.group(0)
    if kind == "markdown":
        return _MARKDOWN_LINK.sub(_flatten, match.group(0))
    value = match.group(0)
    kept = _strip_trailing(value) if kind in ("url", "www", "host", "scheme") else value
    return OMITTED + value[len(kept):]
