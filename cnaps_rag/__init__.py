"""cnaps_rag: grounded answers to lay questions about AI models, built only from the supplied sources."""

from .answer import Answer, Reference, TaskPart, answer, answer_many, answer_prompt
from .catalog import Catalog, load_catalog
from .embedding import Embedder
from .errors import CnapsError, CorpusError, IndexFormatError, InputError, ModelError, PromptError
from .evaluation import Report, evaluate
from .index import SourceIndex
from .prompt import ParsedPrompt, parse_prompt
from .retrieval import Hit, Ranking, Retriever, Weights, retrieve
from .sources import Card, Link, Source, Stage, Variant, load_sources
from .tasks import Task, Taxonomy, load_taxonomy
from .verify import Verification, verify
from .version import __version__

__all__ = [
    "Answer", "Card", "Catalog", "CnapsError", "CorpusError", "Embedder", "Hit", "IndexFormatError", "InputError",
    "Link", "ModelError", "ParsedPrompt", "PromptError", "Ranking", "Reference", "Report", "Retriever", "Source",
    "SourceIndex", "Stage", "Task", "TaskPart", "Taxonomy", "Variant", "Verification", "Weights", "__version__",
    "answer", "answer_many", "answer_prompt", "evaluate", "load_catalog", "load_sources", "load_taxonomy",
    "parse_prompt", "retrieve", "verify",
]
