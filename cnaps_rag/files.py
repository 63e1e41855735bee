"""Files and places: reading JSON with errors that name the file, atomic writes, hashes, and where
the default corpus and the indexes live."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

from .errors import CorpusError
from .tuning import LIMITS


def read_json(file: Path, what: str = "file", error: type[Exception] = CorpusError) -> Any:
    """Parse a JSON file, or raise ``error`` saying which file and what is wrong (missing, a directory,
    not UTF-8, bad JSON, nested deeper than ``Limits.max_json_depth``)."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{file}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{file}: is a directory, not a {what}") from None
    except PermissionError:
        raise error(f"{file}: permission denied reading this {what}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    depth = json_depth(text)
    if depth > LIMITS.max_json_depth:
        raise error(f"{file}: JSON nested {depth} levels deep; the limit is {LIMITS.max_json_depth}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:  # a guard only: the depth check above comes first
        raise error(f"{file}: JSON nested too deeply to read") from None


_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text, counted without parsing (strings skipped)."""
    depth = deepest = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group(0)
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_state(files: Sequence[Path]) -> tuple:
    """(path, size, mtime) of each file: equal states mean the files were not changed in between."""
    return tuple((str(p.resolve()), st.st_size, st.st_mtime_ns) for p, st in ((p, p.stat()) for p in files))


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: readers see the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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


def index_root() -> Path:
    """The directory under which every corpus gets its index directory.

    ``$CNAPS_RAG_INDEX`` if set; the repository's ``index/`` when running from a checkout; else
    ``~/.cache/cnaps_rag/index`` (or under ``$XDG_CACHE_HOME``).
    """
    env = os.environ.get("CNAPS_RAG_INDEX")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "index").is_dir():
        return checkout / "index"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "cnaps_rag" / "index"
