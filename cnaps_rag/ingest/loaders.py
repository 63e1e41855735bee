"""Loading sources from JSON files, with the one duplicate-id policy every loader shares.

The policy: an exact repeat of a record is kept once; a different record under an id already
taken is kept under ``<id>~2`` (``~3``, …). Both are reported, never silent, and nothing is
dropped that differs from what was kept.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable

from pydantic import BaseModel, ConfigDict

from ..errors import CorpusError
from ..files import read_json
from ..sources import Source, validate_source
from .catalog import KNOWN_FIELDS, is_catalog_record, source_from_catalog

log = logging.getLogger("cnaps_rag")


class Catalog(BaseModel):
    """Sources read from files, with everything noticed on the way (duplicates, unknown fields)."""

    model_config = ConfigDict(frozen=True)

    sources: tuple[Source, ...]
    problems: tuple[str, ...] = ()


def deduplicate(items: Iterable[tuple[Source, str]], noun: str = "name") -> tuple[list[Source], list[str]]:
    """Apply the duplicate-id policy to (source, where) pairs, in order; returns (sources, notes).

    ``noun`` says what the id was made from ('name', 'arXiv id'), so the note names the right thing.
    """
    kept: list[Source] = []
    notes: list[str] = []
    by_id: dict[str, tuple[Source, str]] = {}
    for source, where in items:
        if source.id in by_id:
            first, first_where = by_id[source.id]
            if first.model_dump(exclude={"id"}) == source.model_dump(exclude={"id"}):
                notes.append(f"{where}: {source.name!r} is listed twice (exact repeat of {first_where}); used once")
                continue
            n = 2
            while f"{source.id}~{n}" in by_id:
                n += 1
            what = f"arXiv id {source.id.removeprefix('arxiv:')}" if source.id.startswith("arxiv:") else f"{noun} {source.name!r}"
            renamed = source.model_copy(update={"id": f"{source.id}~{n}"})
            notes.append(f"{where}: {what} already used by {first_where}; kept as id {renamed.id!r}")
            source = renamed
        by_id[source.id] = (source, where)
        kept.append(source)
    return kept, notes


def json_files(path: str | os.PathLike[str], what: str = "corpus") -> list[Path]:
    """The ``*.json`` files below a directory in name order, or the one file named."""
    root = Path(path)
    if root.is_dir():
        return sorted(p for p in root.rglob("*.json") if p.is_file())
    if root.is_file():
        return [root]
    raise CorpusError(f"{root}: no such {what} file or directory")


def read_records(file: Path, what: str) -> Iterable[tuple[dict, str]]:
    """Each JSON object of a file (one record or a list) with where it stands, e.g. 'f.json: record 3 (name)'."""
    data = read_json(file, what)
    records = data if isinstance(data, list) else [data]
    for index, record in enumerate(records):
        where = f"{file}: record {index + 1}"
        if not isinstance(record, dict):
            raise CorpusError(f"{where}: expected a JSON object, got {type(record).__name__}")
        label = record.get("id") or record.get("Model Unique Name") or record.get("name")
        if isinstance(label, str) and label:
            where += f" ({label[:80]})"
        yield record, where


def load(paths: Iterable[str | os.PathLike[str]], what: str = "corpus") -> Catalog:
    """Load records in cnaps_rag's schema or the CNAPS catalog schema from files or directories."""
    pairs: list[tuple[Source, str]] = []
    problems: list[str] = []
    for path in paths:
        for file in json_files(path, what):
            unknown: set[str] = set()
            for record, where in read_records(file, f"{what} file"):
                if is_catalog_record(record):
                    unknown |= set(record) - KNOWN_FIELDS
                    pairs.append((source_from_catalog(record, where), where))
                else:
                    pairs.append((validate_source(record, where), where))
            if unknown:
                problems.append(f"{file}: ignored unknown field(s) {', '.join(sorted(unknown))}")
    sources, notes = deduplicate(pairs)
    return Catalog(sources=tuple(sources), problems=tuple(notes + problems))


def load_sources(path: str | os.PathLike[str]) -> list[Source]:
    """Load and validate every source in a JSON file, or in every ``*.json`` below a directory.

    Records may be in cnaps_rag's schema or the CNAPS catalog schema; files are read in name order
    so the result is deterministic; duplicates follow the module's policy and are logged.
    """
    loaded = load([path])
    for problem in loaded.problems:
        log.warning("%s", problem)
    return list(loaded.sources)


def load_catalog(paths: Iterable[str | os.PathLike[str]]) -> Catalog:
    """Load one or more catalog files (CNAPS schema or cnaps_rag's own) into one Catalog.

    A name that appears twice is kept under the id ``<id>~2`` and reported in ``problems``; an
    exact repeat is reported and kept once (the module's policy).
    """
    return load(paths, "catalog")
