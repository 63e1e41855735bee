"""Catalog ingestion: model catalogs and arXiv lists in the CNAPS JSON schema, taken as they are.

The schema: ``Model Unique Name, Category, Detailed Category, Dataset, Paper, Github|GitHub,
HuggingFace, Summary|Summary_update`` and, for papers, ``arxiv_id``. ``null`` and the string
``"None"`` both mean absent. Duplicate names are kept under a suffixed id and reported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict

from .errors import CorpusError
from .sources import Source, arxiv_id, load_sources, read_json, slug, validate_source

_KNOWN = {
    "Model Unique Name", "Model", "Category", "Detailed Category", "Dataset", "Paper",
    "Github", "GitHub", "HuggingFace", "Summary", "Summary_update", "arxiv_id",
}


def is_catalog_record(record: dict[str, Any]) -> bool:
    """True for a record in the CNAPS schema (it has a ``Model Unique Name``)."""
    return "Model Unique Name" in record


def _value(record: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        text = str(value).strip()
        if text and text.lower() not in ("none", "null", "n/a"):
            return text
    return None


def source_from_catalog(record: dict[str, Any], where: str) -> Source:
    """Turn one CNAPS-schema record into a Source, or raise CorpusError naming ``where`` and the field."""
    name = _value(record, "Model Unique Name")
    if name is None:
        raise CorpusError(f"{where}: field 'Model Unique Name' is empty")
    paper = _value(record, "Paper")
    is_paper = record.get("arxiv_id") not in (None, "", "None")
    if is_paper:
        ident = "arxiv:" + (arxiv_id(paper) or slug(str(record["arxiv_id"])))
    else:
        ident = slug(name, limit=120)
    links = []
    hugging = _value(record, "HuggingFace")
    if hugging:
        links.append({"label": "Hugging Face", "url": hugging})
    data = {
        "id": ident,
        "kind": "paper" if is_paper else "model",
        "name": name,
        "paper_url": paper,
        "github_url": _value(record, "Github", "GitHub"),
        "links": links,
        "summary": _value(record, "Summary", "Summary_update"),
        "category": _value(record, "Detailed Category", "Category"),
        "dataset": _value(record, "Dataset"),
    }
    try:
        return validate_source(data, where)
    except CorpusError as exc:
        # Name the catalog's own field, not ours, so the user can find it in their file.
        message = str(exc)
        for ours, theirs in (("paper_url", "Paper"), ("github_url", "Github"), ("links.0.url", "HuggingFace")):
            message = message.replace(f"field '{ours}'", f"field '{theirs}'")
        raise CorpusError(message) from None


class Catalog(BaseModel):
    """Sources read from catalog files, with everything noticed on the way (duplicates, unknown fields)."""

    model_config = ConfigDict(frozen=True)

    sources: tuple[Source, ...]
    problems: tuple[str, ...] = ()


def load_catalog(paths: Iterable[str | os.PathLike[str]]) -> Catalog:
    """Load one or more catalog files (CNAPS schema or cnaps_rag's own) into one Catalog.

    A name that appears twice is kept under the id ``<id>~2`` (and so on) and reported in
    ``problems``; an exact repeat of a record is reported and kept once.
    """
    sources: list[Source] = []
    problems: list[str] = []
    by_id: dict[str, tuple[Source, str]] = {}
    for path in paths:
        file = Path(path)
        if file.is_dir():
            loaded = [(s, f"{file}: {s.name}") for s in load_sources(file)]
        else:
            loaded = list(_load_file(file, problems))
        for source, where in loaded:
            if source.id in by_id:
                first, first_where = by_id[source.id]
                if first.model_dump(exclude={"id"}) == source.model_dump(exclude={"id"}):
                    problems.append(f"{where}: exact repeat of {first_where}; kept once")
                    continue
                n = 2
                while f"{source.id}~{n}" in by_id:
                    n += 1
                renamed = source.model_copy(update={"id": f"{source.id}~{n}"})
                problems.append(f"{where}: name {source.name!r} already used by {first_where}; kept as id {renamed.id!r}")
                source = renamed
            by_id[source.id] = (source, where)
            sources.append(source)
    return Catalog(sources=tuple(sources), problems=tuple(problems))


def _load_file(file: Path, problems: list[str]) -> Iterable[tuple[Source, str]]:
    data = read_json(file, "catalog file")
    records = data if isinstance(data, list) else [data]
    unknown: set[str] = set()
    for index, record in enumerate(records):
        where = f"{file}: record {index + 1}"
        if not isinstance(record, dict):
            raise CorpusError(f"{where}: expected a JSON object, got {type(record).__name__}")
        if is_catalog_record(record):
            where += f" ({record.get('Model Unique Name')})"
            unknown |= set(record) - _KNOWN
            yield source_from_catalog(record, where), where
        else:
            where += f" ({record.get('id') or record.get('name')})"
            yield validate_source(record, where), where
    if unknown:
        problems.append(f"{file}: ignored unknown field(s) {', '.join(sorted(unknown))}")
