"""cnaps_rag: grounded answers to lay questions about AI models, built only from the supplied sources.

The names below are imported on first use (PEP 562), so ``import cnaps_rag`` stays cheap and a
command line pays only for what its path needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

_EXPORTS = {
    "answering.model": ["Answer", "Reference", "TaskPart"],
    "answering.verify": ["Verification", "verify"],
    "cards": ["CardLibrary", "ModelCard", "load_cards"],
    "embedding": ["Embedder"],
    "engine": ["Engine", "answer", "answer_many", "answer_prompt", "catalog_index", "corpus_index", "default_engine",
               "retrieve"],
    "errors": ["CnapsError", "CorpusError", "CorruptIndex", "IndexFormatError", "InputError", "ModelError",
               "PromptError"],
    "evaluation": ["Report", "evaluate"],
    "index": ["SourceIndex", "VectorStore"],
    "ingest": ["Catalog", "ParsedPrompt", "load_catalog", "load_sources", "parse_prompt"],
    "ranking": ["Hit", "Ranking", "Retriever"],
    "source_card": ["Card", "Stage", "Variant"],
    "sources": ["Link", "Source"],
    "tasks": ["Task", "Taxonomy", "load_taxonomy"],
    "tuning": ["Limits", "Tuning", "Weights"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "Answer", "Card", "CardLibrary", "Catalog", "CnapsError", "CorpusError", "CorruptIndex", "Embedder", "Engine",
    "Hit", "IndexFormatError", "InputError", "Limits", "Link", "ModelCard", "ModelError", "ParsedPrompt",
    "PromptError", "Ranking", "Reference", "Report", "Retriever", "Source", "SourceIndex", "Stage", "Task",
    "TaskPart", "Taxonomy", "Tuning", "Variant", "VectorStore", "Verification", "Weights", "__version__", "answer",
    "answer_many", "answer_prompt", "catalog_index", "corpus_index", "default_engine", "evaluate", "load_cards",
    "load_catalog", "load_sources", "load_taxonomy", "parse_prompt", "retrieve", "verify",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .answering.model import Answer, Reference, TaskPart
    from .answering.verify import Verification, verify
    from .cards import CardLibrary, ModelCard, load_cards
    from .embedding import Embedder
    from .engine import (Engine, answer, answer_many, answer_prompt, catalog_index, corpus_index, default_engine,
                         retrieve)
    from .errors import (CnapsError, CorpusError, CorruptIndex, IndexFormatError, InputError, ModelError,
                         PromptError)
    from .evaluation import Report, evaluate
    from .index import SourceIndex, VectorStore
    from .ingest import Catalog, ParsedPrompt, load_catalog, load_sources, parse_prompt
    from .ranking import Hit, Ranking, Retriever
    from .source_card import Card, Stage, Variant
    from .sources import Link, Source
    from .tasks import Task, Taxonomy, load_taxonomy
    from .tuning import Limits, Tuning, Weights


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cnaps_rag' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
