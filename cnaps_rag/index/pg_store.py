"""Indexes in PostgreSQL with pgvector: whole SourceIndexes saved in and loaded from tables (searched by ``pg_vectors``).

Layout in the database (psycopg 3 and the ``pgvector`` adapter: the ``postgres`` extra):
- ``cnaps_rag_indexes``: one row per index name with its current generation, the table that holds
  its rows, the manifest (jsonb), and the BM25 state and task affinities (npz bytes whose SHA-256
  the manifest lists);
- one table per index, ``cnaps_rag_<digest>_g<generation>``: ``(row, id, source json,
  embedding vector(d))`` (json rather than jsonb keeps any text a source holds, NUL included),
  searched exactly by default and through an HNSW (``vector_cosine_ops``) or IVFFlat index when
  the factory asks for one (``auto``: HNSW above ``auto_exact_limit``).

A rebuild writes the new generation's table, its ANN index and the manifest row in one
transaction, and drops generations older than the one it replaces: a reader sees the old index or
the new one, never half of each. Readers load in one repeatable-read snapshot and keep searching
the generation they loaded; ``PgDatabase.is_current`` tells a long-running process to reload.
Builds of one index are serialised by an advisory lock, so workers starting together build once.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from ..embedding import Embedder, Progress
from ..errors import CorruptIndex, InputError, StoreError
from ..sources import Source
from ..tasks import Taxonomy
from ..tuning import LIMITS, TUNING, IndexRecipe
from .manifest import InputFile, Manifest, parse_manifest
from .source_index import SourceIndex, npz_bytes, why_stale
from .pg_vectors import PgVectorStore, ann_method, as_array, modules
from .store import resolve_factory

log = logging.getLogger("cnaps_rag")
MANIFESTS = "cnaps_rag_indexes"
SCHEMES = ("postgresql://", "postgres://")


def is_store_uri(value: object) -> bool:
    """Whether ``value`` names a PostgreSQL database (``postgresql://…``)."""
    return isinstance(value, str) and value.startswith(SCHEMES)


def redact(uri: str) -> str:
    """The URI without its password, for messages and logs."""
    return re.sub(r"^(\w+://[^:/@]*):[^@]*@", r"\1:***@", uri)


class PgDatabase:
    """One PostgreSQL database holding cnaps_rag indexes; thread-safe (one shared connection for reading)."""

    def __init__(self, uri: str) -> None:
        if not is_store_uri(uri):
            raise InputError(f"store {uri!r}: expected a postgresql://user:password@host:port/database URI")
        self.uri = uri
        self._lock = threading.RLock()
        self._conn: Any = None
        self._ready = False

    def where(self, name: str) -> str:
        """How messages name an index in this database."""
        return f"{redact(self.uri)} index {name!r}"

    # --- connections --------------------------------------------------------------------------

    def _connect(self) -> Any:
        psycopg, _, register_vector = modules()
        try:
            conn = psycopg.connect(self.uri, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"{redact(self.uri)}: cannot connect ({_first_line(exc)})") from None
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        if not self._ready:
            self._ensure_schema(conn)
        register_vector(conn)
        return conn

    def _ensure_schema(self, conn: Any) -> None:
        psycopg, sql, _ = modules()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(MANIFESTS),))
                if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is None:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                conn.execute(sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, generation bigint NOT NULL, "
                    "table_name text NOT NULL, manifest jsonb NOT NULL, lexical bytea NOT NULL, tasks bytea NOT NULL, "
                    "saved_at timestamptz NOT NULL DEFAULT now())").format(sql.Identifier(MANIFESTS)))
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(
                f"{redact(self.uri)}: cannot prepare the database ({_first_line(exc)}); it needs the pgvector "
                "extension (CREATE EXTENSION vector, run once by a database owner)") from None
        self._ready = True

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        """The shared connection, for one short read at a time; a lost connection is reopened on the next use."""
        psycopg, _, _ = modules()
        with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = self._connect()
            try:
                yield self._conn
            except psycopg.Error as exc:
                if self._conn.broken:
                    self._conn = None
                raise StoreError(f"{redact(self.uri)}: {_first_line(exc)}") from None

    @contextlib.contextmanager
    def _writer(self, name: str) -> Iterator[Any]:
        """A connection of its own holding the index's build lock (other builders of ``name`` wait)."""
        psycopg, _, _ = modules()
        conn = self._connect()
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (_lock_key(name),))
            yield conn
        except psycopg.Error as exc:
            raise StoreError(f"{self.where(name)}: {_first_line(exc)}") from None
        finally:
            conn.close()  # also releases the advisory lock

    # --- manifests ----------------------------------------------------------------------------

    def generation(self, name: str) -> int | None:
        """The current generation of index ``name``, or None when it was never built here."""
        _, sql, _ = modules()
        with self.connection() as conn:
            row = conn.execute(sql.SQL("SELECT generation FROM {} WHERE name = %s").format(sql.Identifier(MANIFESTS)),
                               (name,)).fetchone()
        return None if row is None else int(row[0])

    def is_current(self, index: SourceIndex) -> bool:
        """Whether ``index`` (loaded from this database) is still the newest generation of its name."""
        store = index.store
        if not isinstance(store, PgVectorStore) or store.database is not self:
            return False
        return self.generation(store.name) == store.generation

    def read_manifest(self, name: str) -> Manifest:
        """The manifest of index ``name``; CorruptIndex when there is none."""
        _, sql, _ = modules()
        with self.connection() as conn:
            row = conn.execute(sql.SQL("SELECT manifest FROM {} WHERE name = %s").format(sql.Identifier(MANIFESTS)),
                               (name,)).fetchone()
        if row is None:
            raise CorruptIndex(f"{self.where(name)}: no such index (it was never built in this database)")
        return parse_manifest(row[0], self.where(name))

    # --- saving and loading -------------------------------------------------------------------

    def save(self, index: SourceIndex, name: str, recipe: IndexRecipe = TUNING.index, *, factory: str | None = None,
             conn: Any = None) -> SourceIndex:
        """Write ``index`` as the next generation of ``name`` in one transaction; returns it backed by the table.

        ``factory`` (default: the index's own) picks the search: Flat is exact, HNSW<M> and
        IVF<lists>,Flat build a pgvector index.
        """
        factory = factory or index.manifest.factory
        method = ann_method(factory)
        if conn is None:
            with self._writer(name) as own:
                return self.save(index, name, recipe, factory=factory, conn=own)
        _, sql, _ = modules()
        vectors = np.ascontiguousarray(index.vectors, dtype=np.float32)
        if len(vectors) != len(index.sources):
            raise InputError(f"{self.where(name)}: this index cannot give its vectors back (built with {factory}); "
                             "rebuild it for the PostgreSQL store")
        lexical, tasks = npz_bytes(index.lexical.state()), npz_bytes({"affinity": index.affinity, "task_vectors": index.task_vectors})
        files = {"lexical": hashlib.sha256(lexical).hexdigest(), "tasks": hashlib.sha256(tasks).hexdigest()}
        manifest = index.manifest.model_copy(update={"store": PgVectorStore.kind, "factory": factory, "files": files})
        dimension = manifest.dimension
        with conn.transaction():
            row = conn.execute(sql.SQL("SELECT generation FROM {} WHERE name = %s FOR UPDATE").format(
                sql.Identifier(MANIFESTS)), (name,)).fetchone()
            generation = 1 if row is None else int(row[0]) + 1
            table = _table(name, generation)
            conn.execute(sql.SQL(
                "CREATE TABLE {} (row integer PRIMARY KEY, id text NOT NULL UNIQUE, source json NOT NULL, "
                "embedding vector({}) NOT NULL)").format(sql.Identifier(table), sql.Literal(dimension)))
            copy_sql = sql.SQL("COPY {} (row, id, source, embedding) FROM STDIN WITH (FORMAT BINARY)").format(sql.Identifier(table))
            with conn.cursor().copy(copy_sql) as copy:
                copy.set_types(["integer", "text", "json", "vector"])
                for row_number, (source, vector) in enumerate(zip(index.sources, vectors)):
                    copy.write_row((row_number, source.id, source.model_dump(mode="json", exclude_defaults=True), vector))
            if method is not None:
                kind, size = method
                options = sql.SQL("m = {}").format(sql.Literal(size)) if kind == "hnsw" else sql.SQL("lists = {}").format(sql.Literal(size))
                conn.execute(sql.SQL("CREATE INDEX ON {} USING {} (embedding vector_cosine_ops) WITH ({})").format(
                    sql.Identifier(table), sql.SQL(kind), options))
            conn.execute(sql.SQL(
                "INSERT INTO {} (name, generation, table_name, manifest, lexical, tasks, saved_at) "
                "VALUES (%s, %s, %s, %s::jsonb, %s, %s, now()) ON CONFLICT (name) DO UPDATE SET "
                "generation = EXCLUDED.generation, table_name = EXCLUDED.table_name, manifest = EXCLUDED.manifest, "
                "lexical = EXCLUDED.lexical, tasks = EXCLUDED.tasks, saved_at = EXCLUDED.saved_at").format(
                sql.Identifier(MANIFESTS)), (name, generation, table, manifest.model_dump_json(), lexical, tasks))
            # Readers of the generation just replaced keep working; anything older goes.
            prefix = _table(name, 0)[:-1]
            for (old,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                       "AND left(tablename, %s) = %s", (len(prefix), prefix)).fetchall():
                if int(old.rsplit("_g", 1)[1]) < generation - 1:
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(old)))
        kept = vectors if len(vectors) <= LIMITS.in_memory_vectors else None
        store = PgVectorStore(self, name, generation, table, factory, dimension, len(vectors), recipe, kept)
        return SourceIndex(index.sources, store, index.lexical, index.affinity, index.task_vectors, manifest)

    def load(self, name: str, recipe: IndexRecipe = TUNING.index) -> SourceIndex:
        """Load index ``name`` from one consistent snapshot, checking the manifest and the payloads' hashes."""
        from ..lexical import BM25

        _, sql, _ = modules()
        where = self.where(name)
        with self.connection() as conn, conn.transaction():
            row = conn.execute(sql.SQL("SELECT generation, table_name, manifest, lexical, tasks FROM {} WHERE name = %s")
                               .format(sql.Identifier(MANIFESTS)), (name,)).fetchone()
            if row is None:
                raise CorruptIndex(f"{where}: no such index (it was never built in this database)")
            generation, table, raw, lexical, tasks = row
            manifest = parse_manifest(raw, where)
            keep = manifest.count <= LIMITS.in_memory_vectors
            columns = sql.SQL("id, source, embedding" if keep else "id, source, NULL")
            records = conn.execute(sql.SQL("SELECT {} FROM {} ORDER BY row").format(columns, sql.Identifier(table))).fetchall()
        for role, data in (("lexical", bytes(lexical)), ("tasks", bytes(tasks))):
            if hashlib.sha256(data).hexdigest() != manifest.files.get(role):
                raise CorruptIndex(f"{where}: the {role} payload does not match the manifest's SHA-256")
        try:
            sources = [Source.model_validate(r[1]) for r in records]
            bm25 = BM25.from_state(dict(np.load(io.BytesIO(bytes(lexical)), allow_pickle=False)))
            with np.load(io.BytesIO(bytes(tasks)), allow_pickle=False) as arrays:
                affinity, task_vectors = arrays["affinity"], arrays["task_vectors"]
        except (ValueError, KeyError, OSError) as exc:
            raise CorruptIndex(f"{where}: cannot read the stored index ({_first_line(exc)})") from None
        if [r[0] for r in records] != list(manifest.ids):
            raise CorruptIndex(f"{where}: table {table} does not hold the ids the manifest lists")
        kept = np.array([as_array(r[2]) for r in records], dtype=np.float32).reshape(-1, manifest.dimension) if keep else None
        store = PgVectorStore(self, name, int(generation), table, manifest.factory, manifest.dimension, manifest.count,
                              recipe, kept)
        return SourceIndex(sources, store, bm25, affinity, task_vectors, manifest)

    def open_index(self, directory: str | os.PathLike[str], load_sources: Callable[[], Sequence[Source]], *,
                   embedder: Embedder, taxonomy: Taxonomy, recipe: IndexRecipe = TUNING.index,
                   inputs: Sequence[InputFile] | None = None, factory: str = "auto", progress: Progress | None = None,
                   rebuild: bool = False, task_cache: dict | None = None, save: bool = True,
                   backing: Callable[[Sequence[Source]], Mapping[str, Source]] | None = None,
                   cards_sha256: str = "") -> SourceIndex:
        """``source_index.open_index`` in this database: the index named like ``directory``'s last part is
        loaded if it still fits its inputs (the on-disk staleness rules), else built and stored."""
        name = Path(directory).name
        build = dict(embedder=embedder, taxonomy=taxonomy, recipe=recipe, inputs=inputs or (), progress=progress,
                     task_cache=task_cache, cards_sha256=cards_sha256)

        def stale() -> str | None:
            try:
                manifest = self.read_manifest(name)
            except CorruptIndex as exc:
                return str(exc)
            return why_stale(manifest, load_sources, embedder=embedder, taxonomy=taxonomy, recipe=recipe,
                             inputs=inputs, factory=factory, cards_sha256=cards_sha256)

        reason = "a rebuild was requested" if rebuild else stale()
        if reason is None:
            return self.load(name, recipe)
        if not save:
            log.warning("not using %s: %s", self.where(name), reason)
            return _build(load_sources(), factory, backing, build)[0]
        with self._writer(name) as conn:
            reason = "a rebuild was requested" if rebuild else stale()  # another process may have built it meanwhile
            if reason is None:
                return self.load(name, recipe)
            if "no such index" in reason:
                log.info("building %s", self.where(name))
            else:
                log.warning("rebuilding %s: %s", self.where(name), reason)
            index, wanted = _build(load_sources(), factory, backing, build)
            return self.save(index, name, recipe, factory=wanted, conn=conn)


def _build(sources: Sequence[Source], factory: str, backing: Callable[[Sequence[Source]], Mapping[str, Source]] | None,
           options: dict[str, Any]) -> tuple[SourceIndex, str]:
    wanted = resolve_factory(factory, len(sources), options["recipe"])
    ann_method(wanted)  # refuse an unsupported factory before embedding anything
    # FAISS only holds the vectors on the way in; the database does the searching.
    if backing is not None:
        options = {**options, "backing": backing(sources)}
    index = SourceIndex.build(sources, factory="Flat", **options)
    return index, wanted


_databases: dict[str, PgDatabase] = {}
_databases_lock = threading.Lock()


def connect(uri: str) -> PgDatabase:
    """The process's PgDatabase for ``uri`` (one per URI, so its connection and caches are shared)."""
    with _databases_lock:
        database = _databases.get(uri)
        if database is None:
            database = _databases[uri] = PgDatabase(uri)
        return database


def _table(name: str, generation: int) -> str:
    return f"cnaps_rag_{hashlib.sha256(name.encode()).hexdigest()[:16]}_g{generation}"


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
