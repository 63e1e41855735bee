"""The source index: embeddings in FAISS, BM25 postings and task affinities, saved as a directory.

On disk an index is a directory holding content-addressed payload files and ``manifest.json``,
which names them with their SHA-256 and records how the index was built (format and library
version, model identity and weights hash, corpus and taxonomy hashes, dimension, ids in row
order, build time). The manifest is replaced last and atomically, so a crash mid-write leaves
the previous index intact; payloads are hashed on load, so a corrupt or truncated file is
caught and rebuilt, never searched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .embedding import Embedder, ModelIdentity, Progress, default_embedder, file_sha256
from .errors import CnapsError, IndexFormatError, InputError
from .lexical import BM25
from .naming import name_words
from .sources import Source, corpus_hash
from .tasks import Taxonomy, default_taxonomy, source_label_columns, source_task_affinity
from .version import __version__

FORMAT_VERSION = 1
# Bumped whenever what goes into a source vector, affinity or postings changes: old indexes are rebuilt.
RECIPE = 2
AUTO_EXACT_LIMIT = 20_000
IN_MEMORY_VECTORS = 20_000
MANIFEST = "manifest.json"
log = logging.getLogger("cnaps_rag")


class InputFile(BaseModel):
    """A file the indexed sources were read from, with its hash at build time."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str


class Manifest(BaseModel):
    """Everything needed to decide whether a saved index may be used as it is."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    format_version: int
    recipe: int = 0
    library_version: str
    model: ModelIdentity
    taxonomy_sha256: str
    corpus_sha256: str
    inputs: tuple[InputFile, ...] = ()
    dimension: int = Field(gt=0)
    count: int = Field(ge=0)
    ids: tuple[str, ...]
    factory: str
    files: dict[str, str]
    built_at: dt.datetime
    build_seconds: float


class StaleIndex(CnapsError):
    """The saved index does not match the current corpus, model or taxonomy (rebuild it)."""


class CorruptIndex(CnapsError):
    """A saved index file is missing, truncated or altered (rebuild it)."""


EXPANSION_WEIGHT = 1.0


def content_text(source: Source) -> str:
    """What a source says about itself: its name in words, its card's title, then its summary (else its card)."""
    parts = [name_words(source.name) + "."]
    card = source.card
    if card and card.title:
        parts.append(card.title + ".")
    if source.summary:
        parts.append(source.summary)
    elif card:
        parts += [card.input or "", card.output or ""]
        parts += [f"{s.name}: {s.text}" for s in card.stages]
    return " ".join(p for p in parts if p)


def expansion_text(source: Source, taxonomy: Taxonomy) -> str | None:
    """The labelled tasks of a source in taxonomy words (name, description, lay cues), or None if unlabelled."""
    parts = []
    for column in source_label_columns(source, taxonomy):
        task = taxonomy.tasks[column]
        parts.append(f"Task: {task.name}. {task.description} ({', '.join(task.cues[:8])}).")
    return " ".join(parts) or None


def source_vectors(sources: Sequence[Source], taxonomy: Taxonomy, embedder: Embedder,
                   progress: Progress | None = None, engine: str | None = None) -> np.ndarray:
    """One unit vector per source: its content's embedding plus its task expansion's, renormalised.

    Expanding with task vocabulary is what lets a lay question meet a technical abstract. Adding
    the two embeddings, rather than embedding one concatenated text, keeps the source's own
    signal undiluted and costs almost nothing: expansions depend only on the labelled tasks, so a
    catalog of any size has a few dozen distinct ones.
    """
    if not sources:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    content = embedder.encode([content_text(s) for s in sources], progress=progress, engine=engine)
    expansions = [expansion_text(s, taxonomy) for s in sources]
    distinct = sorted({e for e in expansions if e})
    if distinct:
        lookup = dict(zip(distinct, embedder.encode(distinct, engine=engine)))
        for row, text in enumerate(expansions):
            if text:
                content[row] += np.float32(EXPANSION_WEIGHT) * lookup[text]
    content /= np.maximum(np.linalg.norm(content, axis=1, keepdims=True), 1e-12)
    return content.astype(np.float32, copy=False)


def lexical_text(source: Source) -> str:
    """The text BM25 sees: the raw name, the name in words, and everything the source says."""
    return f"{source.name} {name_words(source.name)} {source.text()}"


def _faiss() -> Any:
    import faiss  # imported on first use: it costs ~0.2 s

    return faiss


class SourceIndex:
    """Sources with their vectors (FAISS), BM25 postings and task affinities, ready to rank."""

    def __init__(
        self,
        sources: Sequence[Source],
        vectors: np.ndarray | None,
        lexical: BM25,
        affinity: np.ndarray,
        task_vectors: np.ndarray,
        manifest: Manifest,
        faiss_index: Any = None,
    ) -> None:
        self.sources = list(sources)
        self._vectors = vectors
        self.lexical = lexical
        self.affinity = affinity
        self.task_vectors = task_vectors
        self.manifest = manifest
        self._faiss_index = faiss_index
        self.path: Path | None = None
        self.positions = {s.id: i for i, s in enumerate(self.sources)}

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def faiss_index(self) -> Any:
        """The FAISS index over ``vectors`` (exact inner product unless built with another factory)."""
        if self._faiss_index is None:
            self._faiss_index = _make_faiss(self.vectors, self.manifest.factory)
        return self._faiss_index

    @property
    def vectors(self) -> np.ndarray:
        """All source vectors in row order (read back from FAISS on first use after a load)."""
        if self._vectors is None:
            self._vectors = _vectors_of(self._faiss_index, self.manifest)
        return self._vectors

    def vectors_for(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of some rows, without materialising all of them for a large loaded index."""
        if self._vectors is not None or self._faiss_index is None:
            return self.vectors[rows]
        return self._faiss_index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    @classmethod
    def build(
        cls,
        sources: Sequence[Source],
        *,
        embedder: Embedder | None = None,
        taxonomy: Taxonomy | None = None,
        factory: str = "auto",
        inputs: Sequence[InputFile] = (),
        progress: Progress | None = None,
        engine: str | None = None,
    ) -> "SourceIndex":
        """Embed and index ``sources``.

        ``factory`` is a FAISS index-factory string (``Flat``, ``HNSW32``, ``IVF1024,Flat``) or
        ``auto``: exact up to 20,000 sources, an HNSW graph above.
        """
        started = time.perf_counter()
        factory = resolve_factory(factory, len(sources))
        embedder = embedder or default_embedder()
        taxonomy = taxonomy or default_taxonomy()
        ids = [s.id for s in sources]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise InputError(f"duplicate source id {dup!r}: every source needs its own id")
        vectors = source_vectors(sources, taxonomy, embedder, progress=progress, engine=engine)
        task_vectors = task_embeddings(taxonomy, embedder)
        affinity = source_task_affinity(sources, taxonomy, vectors, task_vectors)
        lexical = BM25.from_texts([lexical_text(s) for s in sources])
        faiss_index = _make_faiss(vectors, factory) if len(sources) else None
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            recipe=RECIPE,
            library_version=__version__,
            model=embedder.identity,
            taxonomy_sha256=taxonomy.fingerprint,
            corpus_sha256=corpus_hash(sources),
            inputs=tuple(inputs),
            dimension=int(vectors.shape[1]) if len(sources) else embedder.dimension,
            count=len(sources),
            ids=tuple(ids),
            factory=factory,
            files={},
            built_at=dt.datetime.now(dt.timezone.utc),
            build_seconds=round(time.perf_counter() - started, 3),
        )
        return cls(sources, vectors, lexical, affinity, task_vectors, manifest, faiss_index)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the index into ``directory`` atomically: payloads first, then the manifest, then old payloads go."""
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        with _locked(root):
            files: dict[str, str] = {}
            payloads = {
                "sources": ("json", _sources_bytes(self.sources)),
                "vectors": ("faiss", _faiss_bytes(self.faiss_index) if len(self) else b""),
                "lexical": ("npz", _npz_bytes(self.lexical.state())),
                "tasks": ("npz", _npz_bytes({"affinity": self.affinity, "task_vectors": self.task_vectors})),
            }
            names = {}
            for role, (suffix, data) in payloads.items():
                digest = hashlib.sha256(data).hexdigest()
                name = f"{role}-{digest[:16]}.{suffix}"
                if not (root / name).is_file() or file_sha256(root / name) != digest:
                    atomic_write(root / name, data)
                files[name] = digest
                names[role] = name
            manifest = self.manifest.model_copy(update={"files": files})
            atomic_write(root / MANIFEST, manifest.model_dump_json(indent=2).encode())
            self.manifest = manifest
            self.path = root
            for stale in root.iterdir():
                if stale.is_file() and stale.name not in files and stale.name != MANIFEST and not stale.name.startswith("."):
                    if stale.name.split("-")[0] in payloads:
                        stale.unlink(missing_ok=True)
        return root

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> "SourceIndex":
        """Load a saved index, checking the format version and every payload's hash.

        Raises IndexFormatError for an index written by a newer format, CorruptIndex for a missing,
        truncated or altered file.
        """
        root = Path(directory)
        manifest = read_manifest(root)
        roles: dict[str, Path] = {}
        for name, digest in manifest.files.items():
            path = root / name
            if not path.is_file():
                raise CorruptIndex(f"{path}: listed in the manifest but missing")
            if file_sha256(path) != digest:
                raise CorruptIndex(f"{path}: contents do not match the manifest's SHA-256 (truncated or altered)")
            roles[name.split("-")[0]] = path
        missing = {"sources", "vectors", "lexical", "tasks"} - set(roles)
        if missing:
            raise CorruptIndex(f"{root / MANIFEST}: no {', '.join(sorted(missing))} file listed")
        try:
            sources = _read_sources(roles["sources"])
            lexical = BM25.from_state(dict(np.load(roles["lexical"], allow_pickle=False)))
            with np.load(roles["tasks"], allow_pickle=False) as tasks:
                affinity, task_vectors = tasks["affinity"], tasks["task_vectors"]
            faiss_index = _faiss().read_index(str(roles["vectors"])) if manifest.count else None
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CorruptIndex(f"{root}: cannot read index files ({exc})") from None
        if [s.id for s in sources] != list(manifest.ids):
            raise CorruptIndex(f"{root}: the sources file does not hold the ids the manifest lists")
        if faiss_index is not None and (faiss_index.ntotal != manifest.count or faiss_index.d != manifest.dimension):
            raise CorruptIndex(
                f"{roles['vectors']}: holds {faiss_index.ntotal} vectors of dimension {faiss_index.d}, "
                f"manifest says {manifest.count} of dimension {manifest.dimension}"
            )
        _tune(faiss_index, manifest.factory)
        # Small indexes keep their vectors in memory for exhaustive ranking; large ones read rows on demand.
        vectors = _vectors_of(faiss_index, manifest) if manifest.count <= IN_MEMORY_VECTORS else None
        index = cls(sources, vectors, lexical, affinity, task_vectors, manifest, faiss_index)
        index.path = root
        return index


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


def task_embeddings(taxonomy: Taxonomy, embedder: Embedder) -> np.ndarray:
    """Embeddings of every task's texts, cached per (model weights, taxonomy) in memory and on disk.

    Prompt answers index their few sources in memory, but the 180-odd task texts would cost more
    than everything else together; they are computed once and kept under the index root.
    """
    identity = embedder.identity
    key = (identity.name, identity.weights_sha256 or "", taxonomy.fingerprint)
    cached = _task_cache.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256("\n".join(key).encode()).hexdigest()[:24]
    path = index_root() / "task-vectors" / f"{digest}.npy"
    expected = (len(taxonomy.embedding_texts), identity.dimension)
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.shape != expected or cached.dtype != np.float32:
            cached = None
    except (OSError, ValueError):
        cached = None
    if cached is None:
        cached = embedder.encode(taxonomy.embedding_texts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            np.save(buffer, cached, allow_pickle=False)
            atomic_write(path, buffer.getvalue())
        except OSError as exc:
            log.debug("could not cache task vectors at %s: %s", path, exc)
    _task_cache[key] = cached
    return cached


_task_cache: dict[tuple[str, str], np.ndarray] = {}


def read_manifest(root: Path) -> Manifest:
    """Read and validate ``manifest.json``; refuse a newer format with a clear error."""
    path = root / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptIndex(f"{path}: no manifest (the index was never built here)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptIndex(f"{path}: unreadable manifest ({exc})") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{path}: index format {version} was written by a newer cnaps_rag (this one reads format "
            f"{FORMAT_VERSION}); upgrade cnaps_rag or rebuild with `cnaps-rag index build`"
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        raise CorruptIndex(f"{path}: invalid manifest ({exc.errors()[0]['loc']}: {exc.errors()[0]['msg']})") from None
    if manifest.format_version != FORMAT_VERSION:
        raise CorruptIndex(f"{path}: index format {manifest.format_version} is older than {FORMAT_VERSION}")
    return manifest


def staleness(manifest: Manifest, *, model: ModelIdentity, taxonomy: Taxonomy, corpus_sha256: str | None,
              inputs: Sequence[InputFile] | None) -> str | None:
    """Why a saved index no longer fits (a sentence), or None when it does."""
    if manifest.model != model:
        old, new = manifest.model.model_dump(), model.model_dump()
        changed = ", ".join(f"{k}: {old[k]} -> {new[k]}" for k in new if old.get(k) != new[k])
        return f"the embedding model changed ({changed})"
    if manifest.taxonomy_sha256 != taxonomy.fingerprint:
        return "the task taxonomy changed"
    if manifest.recipe != RECIPE:
        return f"it was built with indexing recipe {manifest.recipe}, this cnaps_rag uses {RECIPE}"
    if manifest.library_version != __version__:
        return f"it was built by cnaps_rag {manifest.library_version}, this is {__version__}"
    if inputs is not None and tuple(inputs) != manifest.inputs:
        changed = [i.path for i in inputs if i not in manifest.inputs] or [i.path for i in manifest.inputs]
        return f"the corpus changed ({', '.join(changed[:3])})"
    if corpus_sha256 is not None and corpus_sha256 != manifest.corpus_sha256:
        return "the corpus changed"
    return None


def open_index(
    directory: str | os.PathLike[str],
    load_sources: Callable[[], Sequence[Source]],
    *,
    inputs: Sequence[InputFile] | None = None,
    embedder: Embedder | None = None,
    taxonomy: Taxonomy | None = None,
    factory: str = "auto",
    progress: Progress | None = None,
    rebuild: bool = False,
) -> SourceIndex:
    """Load the index in ``directory`` if it still fits its inputs; otherwise build it, save it and say why.

    ``inputs`` (files with their hashes) make the freshness check cheap: when they match the
    manifest, the sources are read back from the index instead of being parsed again.
    """
    embedder = embedder or default_embedder()
    taxonomy = taxonomy or default_taxonomy()
    root = Path(directory)
    reason = "a rebuild was requested" if rebuild else None
    if reason is None:
        try:
            manifest = read_manifest(root)
            reason = staleness(manifest, model=embedder.identity, taxonomy=taxonomy, corpus_sha256=None, inputs=inputs)
            if reason is None and resolve_factory(factory, manifest.count) != manifest.factory:
                reason = f"the index type changed ({manifest.factory} -> {resolve_factory(factory, manifest.count)})"
            if reason is None and inputs is None:
                reason = staleness(manifest, model=embedder.identity, taxonomy=taxonomy,
                                   corpus_sha256=corpus_hash(load_sources()), inputs=None)
            if reason is None:
                return SourceIndex.load(root)
        except CorruptIndex as exc:
            reason = str(exc)
    if (root / MANIFEST).exists():
        log.warning("rebuilding index %s: %s", root, reason)
    else:
        log.info("building index %s", root)
    index = SourceIndex.build(load_sources(), embedder=embedder, taxonomy=taxonomy, factory=factory,
                              inputs=inputs or (), progress=progress)
    try:
        index.save(root)
    except OSError as exc:
        log.warning("could not save index to %s (%s); using it from memory", root, exc)
    return index


def hash_inputs(paths: Sequence[Path]) -> tuple[InputFile, ...]:
    """Resolved paths and SHA-256 of the files a corpus is read from, in order."""
    return tuple(InputFile(path=str(p.resolve()), sha256=file_sha256(p)) for p in paths)


def resolve_factory(factory: str, count: int) -> str:
    """'auto' is exact search up to AUTO_EXACT_LIMIT sources and an HNSW graph above; others pass through."""
    if factory != "auto":
        return factory
    return "Flat" if count <= AUTO_EXACT_LIMIT else "HNSW32"


def _make_faiss(vectors: np.ndarray, factory: str) -> Any:
    faiss = _faiss()
    dim = vectors.shape[1]
    try:
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise InputError(f"FAISS cannot build index type {factory!r}: {exc}") from None
    if not index.is_trained:
        index.train(vectors)
    index.add(vectors)
    _tune(index, factory)
    return index


def _tune(index: Any, factory: str) -> None:
    """Search-time settings for approximate indexes (not stored in the file): recall over speed."""
    if index is None:
        return
    faiss = _faiss()
    if "HNSW" in factory:
        faiss.ParameterSpace().set_index_parameters(index, "efSearch=128")
    elif "IVF" in factory:
        faiss.ParameterSpace().set_index_parameters(index, "nprobe=32")


def _vectors_of(index: Any, manifest: Manifest) -> np.ndarray:
    if index is None:
        return np.zeros((0, manifest.dimension), dtype=np.float32)
    try:
        return index.reconstruct_n(0, index.ntotal)
    except RuntimeError:
        # Some approximate indexes cannot give vectors back; ranking then re-embeds nothing and uses FAISS scores.
        return np.zeros((0, manifest.dimension), dtype=np.float32)


def _faiss_bytes(index: Any) -> bytes:
    return _faiss().serialize_index(index).tobytes()


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _sources_bytes(sources: Sequence[Source]) -> bytes:
    return ("[" + ",\n".join(s.model_dump_json(exclude_defaults=True) for s in sources) + "]\n").encode()


def _read_sources(path: Path) -> list[Source]:
    from pydantic import TypeAdapter

    return list(TypeAdapter(list[Source]).validate_json(path.read_bytes()))


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


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
