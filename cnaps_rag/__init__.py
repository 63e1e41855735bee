"""cnaps_rag: grounded answers to lay questions about AI models, built only from the supplied sources.

The names below are imported on first use (PEP 562), so ``import cnaps_rag`` stays cheap and a
command line pays only for what its path needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

_EXPORTS = {
    "answering": ["Answer", "Reference", "TaskPart", "answer", "answer_many", "answer_prompt"],
    "catalog": ["Catalog", "load_catalog"],
    "embedding": ["Embedder"],
    "errors": ["CnapsError", "CorpusError", "IndexFormatError", "InputError", "ModelError", "PromptError"],
    "evaluation": ["Report", "evaluate"],
    "index": ["SourceIndex"],
    "prompt": ["ParsedPrompt", "parse_prompt"],
    "retrieval": ["Hit", "Ranking", "Retriever", "Weights", "retrieve"],
    "sources": ["Card", "Link", "Source", "Stage", "Variant", "load_sources"],
    "store": ["catalog_index", "corpus_index"],
    "tasks": ["Task", "Taxonomy", "load_taxonomy"],
    "verification": ["Verification", "verify"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "Answer", "Card", "Catalog", "CnapsError", "CorpusError", "Embedder", "Hit", "IndexFormatError", "InputError",
    "Link", "ModelError", "ParsedPrompt", "PromptError", "Ranking", "Reference", "Report", "Retriever", "Source",
    "SourceIndex", "Stage", "Task", "TaskPart", "Taxonomy", "Variant", "Verification", "Weights", "__version__",
    "answer", "answer_many", "answer_prompt", "catalog_index", "corpus_index", "evaluate", "load_catalog",
    "load_sources", "load_taxonomy", "parse_prompt", "retrieve", "verify",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .answering import Answer, Reference, TaskPart, answer, answer_many, answer_prompt
    from .catalog import Catalog, load_catalog
    from .embedding import Embedder
    from .errors import CnapsError, CorpusError, IndexFormatError, InputError, ModelError, PromptError
    from .evaluation import Report, evaluate
    from .index import SourceIndex
    from .prompt import ParsedPrompt, parse_prompt
    from .retrieval import Hit, Ranking, Retriever, Weights, retrieve
    from .sources import Card, Link, Source, Stage, Variant, load_sources
    from .store import catalog_index, corpus_index
    from .tasks import Task, Taxonomy, load_taxonomy
    from .verification import Verification, verify


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cnaps_rag' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
