"""Catalog ingestion: model catalogs and arXiv lists in the CNAPS JSON schema, taken as they are.

The schema: ``Model Unique Name, Category, Detailed Category, Dataset, Paper, Github|GitHub,
HuggingFace, Summary|Summary_update`` and, for papers, ``arxiv_id``. ``null`` and the string
``"None"`` both mean absent. Loading files (and duplicates) is ``ingest.loaders``'s job; this
module maps one record.
"""

from __future__ import annotations

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
