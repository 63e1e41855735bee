"""The Engine: one session of cnaps_rag, owning its embedder, taxonomy, tuning, cards and caches.

Data flows one way: question + sources -> ranked hits (``ranking``) -> an answer (``answer``) ->
a rendering. An Engine holds everything that is expensive to make again (the embedding model,
opened indexes, task vectors, retrievers and the corpus's backing sources), so a long-running
process makes one and asks it many questions. The module-level ``answer()``, ``answer_prompt()``,
``retrieve()`` … delegate to a process-wide default Engine.
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path
from typing import Callable, Sequence

from .answering.compose import Responder
from .answering.model import Answer, Format, ListedAs
from .answering.verify import Verification, verify
from .cards import CardLibrary, load_cards
from .embedding import Embedder, Progress
from .errors import InputError
from .files import default_corpus_dir, file_state
from .index import SourceIndex, hash_inputs, open_index
from .index.locations import catalog_files, corpus_files, index_directory
from .ingest import ParsedPrompt, load_catalog, load_sources, parse_prompt
from .ranking import Hit, Retriever, check_question
from .sources import Source, find_backing, needs_backing
from .tasks import Taxonomy, load_taxonomy
from .tuning import LIMITS, TUNING, Tuning, Weights


class Engine:
    """A cnaps_rag session: answers, rankings and indexes that share one model, taxonomy and tuning.

    Thread-safe: the caches are guarded, and answers from many threads equal sequential ones.
    """

    def __init__(self, *, embedder: Embedder | None = None, taxonomy: Taxonomy | None = None,
                 tuning: Tuning | None = None, corpus_dir: str | os.PathLike[str] | None = None,
                 cards: CardLibrary | None = None, store: str | None = None) -> None:
        self._corpus_dir = Path(corpus_dir) if corpus_dir is not None else None
        self._store = store  # a postgresql:// URI: indexes live in that database instead of on disk
        self._embedder = embedder
        self._taxonomy = taxonomy
        self._cards = cards
        self.tuning = tuning or TUNING
        self._lock = threading.RLock()
        self._indexes: dict[tuple, SourceIndex] = {}
        self._retrievers: "weakref.WeakKeyDictionary[SourceIndex, Retriever]" = weakref.WeakKeyDictionary()
        self._read: dict[str, tuple[tuple, list[Source]]] = {}  # sources read from files, with the files' state
        self._variants: dict[tuple, "Engine"] = {}
        self.task_cache: dict = {}

    # --- what the session is made of --------------------------------------------------------

    @property
    def corpus_dir(self) -> Path:
        """The default corpus directory of this engine."""
        return self._corpus_dir or default_corpus_dir()

    @property
    def embedder(self) -> Embedder:
        """The embedding model (the pinned all-MiniLM-L6-v2 unless another was given)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder()
            return self._embedder

    @property
    def taxonomy(self) -> Taxonomy:
        """The task taxonomy (``tasks.json`` of the corpus unless another was given)."""
        with self._lock:
            if self._taxonomy is None:
                self._taxonomy = load_taxonomy(self.corpus_dir / "tasks.json")
            return self._taxonomy

    @property
    def cards(self) -> CardLibrary:
        """The model card library (``cards/`` of the corpus unless another was given)."""
        with self._lock:
            if self._cards is None:
                self._cards = load_cards(self.corpus_dir / "cards")
            return self._cards

    def variant(self, *, embedder: Embedder | None = None, weights: Weights | None = None,
                store: str | None = None) -> "Engine":
        """This engine with another embedder, other fusion weights or another index store; shares the taxonomy, cards and indexes."""
        if (embedder is None or embedder is self._embedder) and (weights is None or weights == self.tuning.weights) \
                and (store is None or store == self._store):
            return self
        key = (id(embedder) if embedder is not None else None, weights, store)
        with self._lock:
            other = self._variants.get(key)
            if other is None:
                tuning = self.tuning if weights is None else self.tuning.model_copy(update={"weights": weights})
                other = Engine(embedder=embedder or self.embedder, taxonomy=self.taxonomy, tuning=tuning,
                               corpus_dir=self._corpus_dir, cards=self._cards, store=store or self._store)
                other._indexes = self._indexes  # indexes are keyed by model and do not depend on weights
                other.task_cache = self.task_cache
                self._variants[key] = other
            return other

    # --- indexes ------------------------------------------------------------------------------

    @property
    def database(self):  # -> index.pg_store.PgDatabase, imported only when a store URI was given
        """The PostgreSQL database this engine keeps its indexes in (InputError when it has no store URI)."""
        if self._store is None:
            raise InputError("this engine keeps its indexes on disk; give Engine(store='postgresql://…')")
        from .index.pg_store import connect

        return connect(self._store)

    def corpus_index(self, corpus_dir: str | os.PathLike[str] | None = None, *, rebuild: bool = False,
                     progress: Progress | None = None, directory: str | os.PathLike[str] | None = None,
                     factory: str = "auto", save: bool = True) -> SourceIndex:
        """The index of a corpus directory (default: this engine's), built on first use and kept fresh."""
        root = Path(corpus_dir) if corpus_dir is not None else self.corpus_dir
        files = corpus_files(root)
        target = Path(directory) if directory is not None else index_directory("corpus", [root], self.embedder.identity)
        return self._open(target, files, lambda: load_sources(root / "sources"), rebuild, progress, factory, save)

    def catalog_index(self, paths: Sequence[str | os.PathLike[str]], *, rebuild: bool = False,
                      progress: Progress | None = None, directory: str | os.PathLike[str] | None = None,
                      factory: str = "auto", save: bool = True) -> SourceIndex:
        """The index of one or more catalog files, built on first use and rebuilt when a file changes."""
        files = catalog_files(paths)
        target = Path(directory) if directory is not None else index_directory("catalog", files, self.embedder.identity)
        return self._open(target, files, lambda: load_catalog(files).sources, rebuild, progress, factory, save)

    def index_location(self, catalog: Sequence[str | os.PathLike[str]] | None = None,
                       corpus_dir: str | os.PathLike[str] | None = None) -> tuple[Path, list[Path]]:
        """(default index directory, input files) for catalog files or a corpus directory (default: this engine's)."""
        if catalog:
            files = catalog_files(catalog)
            return index_directory("catalog", files, self.embedder.identity), files
        root = Path(corpus_dir) if corpus_dir is not None else self.corpus_dir
        return index_directory("corpus", [root], self.embedder.identity), corpus_files(root)

    def _open(self, target: Path, files: list[Path], load, rebuild: bool, progress: Progress | None,
              factory: str, save: bool) -> SourceIndex:
        # A stat signature lets repeated calls skip re-hashing the inputs; any change of size or mtime re-checks.
        key = (str(target.resolve()), self.embedder.name, self.embedder.identity.weights_sha256, factory,
               file_state(files), self.taxonomy.fingerprint, self.tuning.index.fingerprint, self._store)
        with self._lock:
            cached = self._indexes.get(key)
            # In a database another process may have rebuilt the index since: one cheap query says.
            if cached is not None and not rebuild and (self._store is None or self.database.is_current(cached)):
                return cached
            opener = open_index if self._store is None else self.database.open_index
            index = opener(target, load, embedder=self.embedder, taxonomy=self.taxonomy, recipe=self.tuning.index,
                               inputs=hash_inputs(files), factory=factory, progress=progress, rebuild=rebuild,
                               task_cache=self.task_cache, save=save, backing=self.backing_map,
                               cards_sha256=self.cards.fingerprint)
            self._indexes[key] = index
            return index

    def build_index(self, sources: Sequence[Source], factory: str = "auto", progress: Progress | None = None,
                    backing: dict[str, Source] | None = None) -> SourceIndex:
        """An index over ``sources`` in memory (``SourceIndex.save`` writes it), each read with what backs
        it (``backing``, by default ``backing_map(sources)``)."""
        backing = self.backing_map(sources) if backing is None else backing
        return SourceIndex.build(sources, embedder=self.embedder, taxonomy=self.taxonomy, recipe=self.tuning.index,
                                 factory=factory, progress=progress, task_cache=self.task_cache,
                                 backing=backing, cards_sha256=self.cards.fingerprint)

    # --- retrieval ----------------------------------------------------------------------------

    def retriever(self, index: SourceIndex) -> Retriever:
        """The retriever over ``index`` with this engine's model, taxonomy and tuning (kept per index)."""
        if not isinstance(index, SourceIndex):
            raise InputError(f"index must be a cnaps_rag.SourceIndex, not {type(index).__name__}")
        with self._lock:
            retriever = self._retrievers.get(index)
            if retriever is None:
                retriever = Retriever(index, embedder=self.embedder, taxonomy=self.taxonomy, tuning=self.tuning,
                                      backing=self.backing_map(index.sources))
                self._retrievers[index] = retriever
            return retriever

    def backing_sources(self) -> list[Source]:
        """The corpus's sources that back supplied models that come without text (re-read when a file changes)."""
        root = self.corpus_dir / "sources"
        files = sorted(p for p in root.rglob("*.json") if p.is_file()) if root.is_dir() else []
        return self._reread("backing", files, lambda: load_sources(root) if files else [])

    def catalog_records(self, paths: Sequence[str | os.PathLike[str]]) -> list[Source]:
        """The records of catalog files, parsed once and kept until a file changes (a prompt's catalog
        is usually the same for every prompt answered)."""
        files = catalog_files(paths)
        return self._reread("catalog", files, lambda: list(load_catalog(files).sources))

    def _reread(self, slot: str, files: list[Path], load: Callable[[], list[Source]]) -> list[Source]:
        key = file_state(files)
        with self._lock:
            if slot not in self._read or self._read[slot][0] != key:
                self._read[slot] = (key, load())
            return self._read[slot][1]

    def backing_map(self, sources: Sequence[Source], catalog: Sequence[Source] = ()) -> dict[str, Source]:
        """What backs each source: the library card it resolves to, else (for a source with no text of
        its own) the corpus source of the same paper, GitHub link or name. With ``catalog``, a listed
        model that came without a summary also gets its catalog record's summary beside its card."""
        found: dict[str, Source] = {}
        pool: list[Source] | None = None
        for source in sources:
            backing = self.cards.backing(source)
            record = find_backing(source, catalog) if catalog and needs_backing(source) else None
            if backing is not None and record is not None and record.summary:
                backing = backing.model_copy(update={"summary": record.summary,
                                                     "category": backing.category or record.category})
            backing = backing or record
            if backing is None and needs_backing(source):
                pool = self.backing_sources() if pool is None else pool
                backing = find_backing(source, pool)
            if backing is not None:
                found[source.id] = backing
        return found

    def sources_retriever(self, sources: Sequence[Source], catalog: Sequence[Source] = ()) -> Retriever:
        """An in-memory retriever over caller-supplied sources (never written to disk).

        Each model is read with what backs it (``backing_map``, with ``catalog`` records filling in
        missing summaries); hits still name the supplied source and record what backed them.
        """
        backing = self.backing_map(sources, catalog)
        index = self.build_index(sources, backing=backing)
        return Retriever(index, embedder=self.embedder, taxonomy=self.taxonomy, tuning=self.tuning, backing=backing)

    def _corpus_retriever(self, catalog: Sequence[str | os.PathLike[str]] | None) -> Retriever:
        return self.retriever(self.catalog_index(catalog) if catalog else self.corpus_index())

    def retrieve(self, question: str, sources: Sequence[Source] | Sequence[str] | None = None, k: int | None = 10, *,
                 catalog: Sequence[str | os.PathLike[str]] | None = None) -> list[Hit]:
        """Rank sources for ``question``: the corpus (or catalog), a subset of it by id, or caller-given Sources."""
        k = _check_k(k)
        question = check_question(question)
        if sources is None or (isinstance(sources, (list, tuple)) and sources and all(isinstance(s, str) for s in sources)):
            restrict = None if sources is None else list(sources)
            return list(self._corpus_retriever(catalog).rank(question, k, restrict=restrict).hits)
        items = _check_sources(sources)
        return list(self.sources_retriever(items).rank(question, k).hits)

    # --- answers ------------------------------------------------------------------------------

    def answer(self, question: str, sources: Sequence[Source] | None = None, *,
               catalog: Sequence[str | os.PathLike[str]] | None = None, index: SourceIndex | None = None,
               k: int | None = None) -> Answer:
        """Answer ``question`` from ``sources`` (default: the corpus, the given catalog files, or ``index``).

        With ``sources`` only those may be used: they are indexed in memory, and models that come
        without a summary are read with the backing card of the same paper, GitHub link or name.
        """
        question = check_question(question)
        k = _check_k(k)
        responder = Responder(self.taxonomy, self.tuning, k)
        if sources is not None:
            items = _check_sources(sources)
            listed: dict[str, ListedAs] = {s.id: "retrieved" for s in items}
            return responder.respond(self.sources_retriever(items).rank(question), listed)
        retriever = self.retriever(index) if index is not None else self._corpus_retriever(catalog)
        return responder.respond(retriever.rank(question))

    def answer_many(self, questions: Sequence[str], *, catalog: Sequence[str | os.PathLike[str]] | None = None,
                    index: SourceIndex | None = None, k: int | None = None) -> list[Answer]:
        """Answer many questions over the corpus (or catalog, or ``index``), embedding them in batches."""
        if isinstance(questions, (str, bytes)) or not isinstance(questions, Sequence):
            raise InputError(f"questions must be a list of strings, not {type(questions).__name__}")
        if len(questions) > LIMITS.max_batch:
            raise InputError(f"{len(questions):,} questions in one call; the limit is {LIMITS.max_batch:,}")
        cleaned = [check_question(q, f"questions[{i}]") for i, q in enumerate(questions)]
        k = _check_k(k)
        responder = Responder(self.taxonomy, self.tuning, k)
        retriever = self.retriever(index) if index is not None else self._corpus_retriever(catalog)
        return [responder.respond(r) for r in retriever.rank_many(cleaned)]

    def answer_prompt(self, text: str | ParsedPrompt, *, catalog: Sequence[str | os.PathLike[str]] | None = None) -> Answer:
        """Answer a reference-format prompt document using only the sources it lists.

        ``catalog`` files (your own catalog) supply the summaries of listed models that came with a
        name and links only; the answer still cites the listed source and shows only its links.
        """
        parsed = text if isinstance(text, ParsedPrompt) else parse_prompt(text)
        question = check_question(parsed.question)
        records = self.catalog_records(catalog) if catalog else []
        responder = Responder(self.taxonomy, self.tuning, len(parsed.sources))
        listed: dict[str, ListedAs] = {s.id: parsed.role(s.id) for s in parsed.sources}  # type: ignore[misc]
        result = responder.respond(self.sources_retriever(list(parsed.sources), records).rank(question), listed)
        if parsed.notes:
            result = result.model_copy(update={"notes": (*result.notes, *parsed.notes)})
        return result

    def render(self, answer: Answer, fmt: Format = "markdown") -> str:
        """``answer`` as Markdown, plain text or HTML."""
        return answer.render(fmt)

    def verify(self, answer: Answer) -> Verification:
        """Re-check an answer's links, citations, numbers and quotes."""
        return verify(answer)


def _check_k(k: object) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, int):
        raise InputError(f"k must be a whole number of sources, not {type(k).__name__} {k!r}")
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    return k


def _check_sources(sources: object) -> list[Source]:
    if isinstance(sources, (str, bytes, Source)) or not isinstance(sources, Sequence):
        raise InputError(f"sources must be a list of cnaps_rag.Source objects, not {type(sources).__name__}")
    items = list(sources)
    if not items:
        raise InputError("no sources given: pass at least one Source, or None to use the corpus")
    if len(items) > LIMITS.max_sources:
        raise InputError(f"{len(items):,} sources in one call; the limit is {LIMITS.max_sources:,}")
    for i, item in enumerate(items):
        if not isinstance(item, Source):
            raise InputError(f"sources[{i}] is a {type(item).__name__}, not a cnaps_rag.Source")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise InputError(f"two sources share the id {item.id!r}; give each source its own id")
        seen.add(item.id)
    return items


_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The process-wide Engine behind the module-level functions."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
        return _default


def _engine(embedder: Embedder | None, weights: Weights | None) -> Engine:
    return default_engine().variant(embedder=embedder, weights=weights)


def answer(question: str, sources: Sequence[Source] | None = None, *, catalog: Sequence[str] | None = None,
           index: SourceIndex | None = None, k: int | None = None, weights: Weights | None = None,
           embedder: Embedder | None = None) -> Answer:
    """Answer ``question`` from ``sources`` (default: the bundled corpus, the given catalog files, or ``index``)."""
    return _engine(embedder, weights).answer(question, sources, catalog=catalog, index=index, k=k)


def answer_many(questions: Sequence[str], *, catalog: Sequence[str] | None = None, index: SourceIndex | None = None,
                k: int | None = None, weights: Weights | None = None, embedder: Embedder | None = None) -> list[Answer]:
    """Answer many questions over the corpus (or catalog, or ``index``), embedding them in batches."""
    return _engine(embedder, weights).answer_many(questions, catalog=catalog, index=index, k=k)


def answer_prompt(text: str | ParsedPrompt, *, catalog: Sequence[str] | None = None, weights: Weights | None = None,
                  embedder: Embedder | None = None) -> Answer:
    """Answer a reference-format prompt document using only the sources it lists (``catalog`` files fill
    in the summaries of listed models that came with name and links only)."""
    return _engine(embedder, weights).answer_prompt(text, catalog=catalog)


def retrieve(question: str, sources: Sequence[Source] | Sequence[str] | None = None, k: int | None = 10, *,
             catalog: Sequence[str] | None = None, embedder: Embedder | None = None,
             weights: Weights | None = None) -> list[Hit]:
    """Rank sources for ``question``: the corpus (or catalog), a subset of it by id, or caller-given Sources.

    Each hit carries its fused score and every signal's value in ``components``.
    """
    return _engine(embedder, weights).retrieve(question, sources, k, catalog=catalog)


def corpus_index(corpus_dir: str | os.PathLike[str] | None = None, **options) -> SourceIndex:
    """The index of a corpus directory (default: the bundled corpus), built on first use and kept fresh."""
    return default_engine().corpus_index(corpus_dir, **options)


def catalog_index(paths: Sequence[str | os.PathLike[str]], **options) -> SourceIndex:
    """The index of one or more catalog files, built on first use and rebuilt when a file changes."""
    return default_engine().catalog_index(paths, **options)
