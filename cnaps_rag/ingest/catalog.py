"""Catalog ingestion: model catalogs and arXiv lists in the CNAPS JSON schema, taken as they are.

The schema: ``Model Unique Name, Category, Detailed Category, Dataset, Paper, Github|GitHub,
HuggingFace, Summary|Summary_update`` and, for papers, ``arxiv_id``. ``null`` and the string
``"None"`` both mean absent. Every known field must be text or null (``arxiv_id`` may also be a
number, as some exports write it); a list, a number or NaN where text belongs is an error naming
the record and the field, never turned into text. Loading files (and duplicates) is
``ingest.loaders``'s job; this module maps one record.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import CorpusError
from ..sources import Source, arxiv_id, slug, validate_source

KNOWN_FIELDS = {
    "Model Unique Name", "Model", "Category", "Detailed Category", "Dataset", "Paper",
    "Github", "GitHub", "HuggingFace", "Summary", "Summary_update", "arxiv_id",
}


def is_catalog_record(record: dict[str, Any]) -> bool:
    """True for a record in the CNAPS schema (it has a ``Model Unique Name``)."""
    return "Model Unique Name" in record


_ABSENT = ("none", "null", "n/a")


def _value(record: dict[str, Any], where: str, *keys: str) -> str | None:
    """The first present text among ``keys``; a value that is not text (a list, a number, NaN) is an error."""
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise CorpusError(f"{where}: field '{key}' must be text or null, not {_describe(value)}")
        text = value.strip()
        if text and text.lower() not in _ABSENT:
            return text
    return None


def _arxiv_value(record: dict[str, Any], where: str) -> str | None:
    """The ``arxiv_id`` as text: a string, or a number as some exports write it (2304.05538); never NaN."""
    value = record.get("arxiv_id")
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", *_ABSENT)):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise CorpusError(f"{where}: field 'arxiv_id' must be text, a number or null, not {_describe(value)}")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, float) and not math.isfinite(value):
        shown = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return f"{shown} (write null for a missing value)"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def source_from_catalog(record: dict[str, Any], where: str) -> Source:
    """Turn one CNAPS-schema record into a Source, or raise CorpusError naming ``where`` and the field."""
    name = _value(record, where, "Model Unique Name")
    if name is None:
        raise CorpusError(f"{where}: field 'Model Unique Name' is empty")
    paper = _value(record, where, "Paper")
    arxiv = _arxiv_value(record, where)
    is_paper = arxiv is not None
    if is_paper:
        ident = "arxiv:" + (arxiv_id(paper) or slug(arxiv))
    else:
        ident = slug(name, limit=120)
    links = []
    hugging = _value(record, where, "HuggingFace")
    if hugging:
        links.append({"label": "Hugging Face", "url": hugging})
    for key in record:
        if key in KNOWN_FIELDS and key != "arxiv_id":
            _value(record, where, key)  # every known field is text or null, used or not
    data = {
        "id": ident,
        "kind": "paper" if is_paper else "model",
        "name": name,
        "paper_url": paper,
        "github_url": _value(record, where, "Github", "GitHub"),
        "links": links,
        "summary": _value(record, where, "Summary", "Summary_update"),
        "category": _value(record, where, "Detailed Category", "Category"),
        "dataset": _value(record, where, "Dataset"),
    }
    try:
        return validate_source(data, where)
    except CorpusError as exc:
        # Name the catalog's own field, not ours, so the user can find it in their file.
        message = str(exc)
        for ours, theirs in (("paper_url", "Paper"), ("github_url", "Github"), ("links.0.url", "HuggingFace"),
                             ("name", "Model Unique Name"), ("summary", "Summary"), ("category", "Category"),
                             ("dataset", "Dataset")):
            message = message.replace(f"field '{ours}'", f"field '{theirs}'")
        raise CorpusError(message) from None
