"""The source index: sources with their vectors (a VectorStore), BM25 postings and task affinities.

On disk an index is a directory holding content-addressed payload files and ``manifest.json``.
The manifest is replaced last and atomically, so a crash mid-write leaves the previous index
intact; payloads are hashed on load, so a corrupt or truncated file is caught and rebuilt, never
searched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import logging
import os
import time
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from ..embedding import Embedder, Progress
from ..errors import CorruptIndex, InputError
from ..files import atomic_write, file_sha256
from ..lexical import BM25
from ..sources import Source, corpus_hash, needs_backing, readable
from ..affinity import source_task_affinity
from ..tasks import Taxonomy
from ..tuning import LIMITS, TUNING, IndexRecipe
from ..version import __version__
from .faiss_store import FaissStore
from .manifest import FORMAT_VERSION, MANIFEST, InputFile, Manifest, read_manifest, staleness
from .recipe import lexical_text, source_vectors, task_embeddings
from .store import VectorStore, resolve_factory

log = logging.getLogger("cnaps_rag")
_PAYLOADS = ("sources", "vectors", "lexical", "tasks")


class SourceIndex:
    """Sources with their vectors, BM25 postings and task affinities, ready to rank."""

    def __init__(self, sources: Sequence[Source], store: VectorStore, lexical: BM25, affinity: np.ndarray,
                 task_vectors: np.ndarray, manifest: Manifest) -> None:
        self.sources = list(sources)
        self.store = store
        self.lexical = lexical
        self.affinity = affinity
        self.task_vectors = task_vectors
        self.manifest = manifest
        self.path: Path | None = None
        self.positions = {s.id: i for i, s in enumerate(self.sources)}

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def vectors(self) -> np.ndarray:
        """All source vectors in row order."""
        return self.store.vectors()

    def vectors_for(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of some rows, without materialising all of them for a large loaded index."""
        return self.store.vectors(rows)

    @classmethod
    def build(cls, sources: Sequence[Source], *, embedder: Embedder, taxonomy: Taxonomy,
              recipe: IndexRecipe = TUNING.index, factory: str = "auto", inputs: Sequence[InputFile] = (),
              progress: Progress | None = None, engine: str | None = None,
              task_cache: dict | None = None, backing: Mapping[str, Source] | None = None,
              cards_sha256: str = "") -> "SourceIndex":
        """Embed and index ``sources`` (in memory; ``save`` writes it).

        Each source is read by ``sources.readable`` with what ``backing`` holds for it (its card);
        the index keeps the sources as given, and the manifest records the card library's hash.

        ``factory`` is a FAISS index-factory string (``Flat``, ``HNSW32``, ``IVF1024,Flat``) or
        ``auto``: exact up to ``recipe.auto_exact_limit`` sources, an HNSW graph above.
        """
        started = time.perf_counter()
        factory = resolve_factory(factory, len(sources), recipe)
        ids = [s.id for s in sources]
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise InputError(f"duplicate source id {dup!r}: every source needs its own id")
        backing = backing or {}
        read = [readable(s, backing.get(s.id)) for s in sources]
        vectors = source_vectors(read, taxonomy, embedder, recipe, progress=progress, engine=engine)
        task_vectors = task_embeddings(taxonomy, embedder, recipe, task_cache)
        affinity = source_task_affinity(read, taxonomy, vectors, task_vectors, recipe)
        # Words are matched in what a source says itself: card text in BM25 made every model share the
        # cards' common vocabulary (measured: family@5 0.842 -> 0.810 on Query1).
        lexical = BM25.from_texts([lexical_text(s if not needs_backing(s) else r) for s, r in zip(sources, read)])
        store = FaissStore.build(vectors, factory, recipe)
        manifest = Manifest(
            format_version=FORMAT_VERSION, recipe=recipe.fingerprint, library_version=__version__,
            model=embedder.identity, taxonomy_sha256=taxonomy.fingerprint, cards_sha256=cards_sha256,
            corpus_sha256=corpus_hash(sources),
            inputs=tuple(inputs), dimension=int(vectors.shape[1]) if len(sources) else embedder.dimension,
            count=len(sources), ids=tuple(ids), store=store.kind, factory=factory, files={},
            built_at=dt.datetime.now(dt.timezone.utc), build_seconds=round(time.perf_counter() - started, 3),
        )
        return cls(sources, store, lexical, affinity, task_vectors, manifest)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the index into ``directory`` atomically: payloads first, then the manifest, then old payloads go.

        Raises InputError when the directory cannot be written (nothing is half-written).
        """
        root = Path(directory)
        try:
            root.mkdir(parents=True, exist_ok=True)
            with _locked(root):
                files: dict[str, str] = {}
                payloads = {
                    "sources": ("json", _sources_bytes(self.sources)),
                    "vectors": ("faiss", self.store.to_bytes() if isinstance(self.store, FaissStore) else b""),
                    "lexical": ("npz", npz_bytes(self.lexical.state())),
                    "tasks": ("npz", npz_bytes({"affinity": self.affinity, "task_vectors": self.task_vectors})),
                }
                for role, (suffix, data) in payloads.items():
                    digest = hashlib.sha256(data).hexdigest()
                    name = f"{role}-{digest[:16]}.{suffix}"
                    if not (root / name).is_file() or file_sha256(root / name) != digest:
                        atomic_write(root / name, data)
                    files[name] = digest
                manifest = self.manifest.model_copy(update={"files": files})
                atomic_write(root / MANIFEST, manifest.model_dump_json(indent=2).encode())
                self.manifest = manifest
                self.path = root
                for stale in root.iterdir():
                    if stale.is_file() and stale.name not in files and stale.name.split("-")[0] in _PAYLOADS:
                        stale.unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(f"{root}: cannot save the index there ({exc.strerror or exc})") from None
        return root

    @classmethod
    def load(cls, directory: str | os.PathLike[str], recipe: IndexRecipe = TUNING.index) -> "SourceIndex":
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
        missing = set(_PAYLOADS) - set(roles)
        if missing:
            raise CorruptIndex(f"{root / MANIFEST}: no {', '.join(sorted(missing))} file listed")
        try:
            sources = _read_sources(roles["sources"])
            lexical = BM25.from_state(dict(np.load(roles["lexical"], allow_pickle=False)))
            with np.load(roles["tasks"], allow_pickle=False) as tasks:
                affinity, task_vectors = tasks["affinity"], tasks["task_vectors"]
            if manifest.count:
                store = FaissStore.read(roles["vectors"], manifest.factory, manifest.dimension, recipe, LIMITS.in_memory_vectors)
            else:
                store = FaissStore(None, manifest.factory, manifest.dimension, np.zeros((0, manifest.dimension), np.float32))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CorruptIndex(f"{root}: cannot read index files ({exc})") from None
        if [s.id for s in sources] != list(manifest.ids):
            raise CorruptIndex(f"{root}: the sources file does not hold the ids the manifest lists")
        if manifest.count and (store.count != manifest.count or store.index.d != manifest.dimension):
            raise CorruptIndex(
                f"{roles['vectors']}: holds {store.count} vectors of dimension {store.index.d}, "
                f"manifest says {manifest.count} of dimension {manifest.dimension}"
            )
        index = cls(sources, store, lexical, affinity, task_vectors, manifest)
        index.path = root
        return index


def why_stale(manifest: Manifest, load_sources: Callable[[], Sequence[Source]], *, embedder: Embedder,
              taxonomy: Taxonomy, recipe: IndexRecipe, inputs: Sequence[InputFile] | None, factory: str,
              cards_sha256: str) -> str | None:
    """Why a stored index (by its manifest) no longer fits its inputs, or None: the one freshness rule of
    every store. Without ``inputs`` the sources are loaded and hashed; with them the hashes suffice."""
    reason = staleness(manifest, model=embedder.identity, taxonomy=taxonomy, recipe=recipe,
                       corpus_sha256=None, inputs=inputs, cards_sha256=cards_sha256)
    wanted = resolve_factory(factory, manifest.count, recipe)
    if reason is None and wanted != manifest.factory:
        reason = f"the index type changed ({manifest.factory} -> {wanted})"
    if reason is None and inputs is None:
        reason = staleness(manifest, model=embedder.identity, taxonomy=taxonomy, recipe=recipe,
                           corpus_sha256=corpus_hash(load_sources()), inputs=None, cards_sha256=cards_sha256)
    return reason


def open_index(directory: str | os.PathLike[str], load_sources: Callable[[], Sequence[Source]], *,
               embedder: Embedder, taxonomy: Taxonomy, recipe: IndexRecipe = TUNING.index,
               inputs: Sequence[InputFile] | None = None, factory: str = "auto", progress: Progress | None = None,
               rebuild: bool = False, task_cache: dict | None = None, save: bool = True,
               backing: Callable[[Sequence[Source]], Mapping[str, Source]] | None = None,
               cards_sha256: str = "") -> SourceIndex:
    """Load the index in ``directory`` if it still fits its inputs; otherwise build it, save it and say why.

    ``inputs`` (files with their hashes) make the freshness check cheap: when they match the
    manifest, the sources are read back from the index instead of being parsed again. With
    ``save=False`` a missing or stale index is built in memory and nothing is written.
    """
    root = Path(directory)
    reason = "a rebuild was requested" if rebuild else None
    if reason is None:
        try:
            reason = why_stale(read_manifest(root), load_sources, embedder=embedder, taxonomy=taxonomy,
                               recipe=recipe, inputs=inputs, factory=factory, cards_sha256=cards_sha256)
            if reason is None:
                return SourceIndex.load(root, recipe)
        except CorruptIndex as exc:
            reason = str(exc)
    if (root / MANIFEST).exists():
        log.warning("%s index %s: %s", "rebuilding" if save else "not using", root, reason)
    elif save:
        log.info("building index %s", root)
    sources = load_sources()
    index = SourceIndex.build(sources, embedder=embedder, taxonomy=taxonomy, recipe=recipe, factory=factory,
                              inputs=inputs or (), progress=progress, task_cache=task_cache,
                              backing=backing(sources) if backing else None, cards_sha256=cards_sha256)
    if save:
        try:
            index.save(root)
        except InputError as exc:
            log.warning("%s; using the index from memory", exc)
    return index


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _sources_bytes(sources: Sequence[Source]) -> bytes:
    return ("[" + ",\n".join(s.model_dump_json(exclude_defaults=True) for s in sources) + "]\n").encode()


def _read_sources(path: Path) -> list[Source]:
    from pydantic import TypeAdapter

    return list(TypeAdapter(list[Source]).validate_json(path.read_bytes()))


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
