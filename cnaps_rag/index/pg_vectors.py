"""The VectorStore over one pgvector table: cosine search in the database, vectors kept in memory when small.

``pg_store`` writes and reads the tables; this module only searches one generation of them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, StoreError
from ..tuning import IndexRecipe

if TYPE_CHECKING:
    from .pg_store import PgDatabase

_HNSW = re.compile(r"^HNSW(\d+)(,Flat)?$")
_IVF = re.compile(r"^IVF(\d+),Flat$")
_EF_SEARCH_MAX = 1000  # pgvector's ceiling for hnsw.ef_search


def ann_method(factory: str) -> tuple[str, int] | None:
    """('hnsw', m) or ('ivfflat', lists) for an approximate factory, None for exact search; others are InputError."""
    if factory == "Flat":
        return None
    if (match := _HNSW.match(factory)) is not None:
        return "hnsw", int(match.group(1))
    if (match := _IVF.match(factory)) is not None:
        return "ivfflat", int(match.group(1))
    raise InputError(f"the PostgreSQL store cannot build index type {factory!r}; use auto, Flat, HNSW<M> or IVF<lists>,Flat")


def modules() -> tuple[Any, Any, Any]:
    try:
        import psycopg
        from pgvector.psycopg import register_vector
        from psycopg import sql
    except ImportError:
        raise InputError("the PostgreSQL store needs the postgres extra: pip install 'cnaps-rag[postgres]'") from None
    return psycopg, sql, register_vector


class PgVectorStore:
    """The vectors of one index generation in a pgvector table; small ones are also kept in memory."""

    kind = "pgvector"

    def __init__(self, database: "PgDatabase", name: str, generation: int, table: str, factory: str, dimension: int,
                 count: int, recipe: IndexRecipe, kept: np.ndarray | None = None) -> None:
        self.database = database
        self.name = name
        self.generation = generation
        self.table = table
        self.factory = factory
        self.recipe = recipe
        self._dimension = dimension
        self._count = count
        self._kept = kept

    @property
    def count(self) -> int:
        return self._count

    @property
    def dimension(self) -> int:
        return self._dimension

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cosine search in the database: exact, or through the table's HNSW/IVFFlat index."""
        k = max(0, min(int(k), self._count))
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        if k == 0:
            return scores, rows
        _, sql, _ = modules()
        method = ann_method(self.factory)
        query = sql.SQL("SELECT row, 1 - (embedding <=> %(q)s) FROM {} ORDER BY embedding <=> %(q)s LIMIT %(k)s").format(
            sql.Identifier(self.table))
        with self.database.connection() as conn, conn.transaction():
            if method and method[0] == "hnsw":
                ef = min(max(self.recipe.hnsw_ef_search, k), _EF_SEARCH_MAX)
                conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(ef)))
            elif method:
                conn.execute(sql.SQL("SET LOCAL ivfflat.probes = {}").format(sql.Literal(self.recipe.ivf_nprobe)))
            for i, vector in enumerate(np.asarray(queries, dtype=np.float32)):
                found = conn.execute(query, {"q": vector, "k": k}).fetchall()
                rows[i, : len(found)] = [r for r, _ in found]
                scores[i, : len(found)] = [s for _, s in found]
        return scores, rows

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Vectors in row order: from memory when kept, else read from the table."""
        if self._kept is None:
            if rows is not None:
                return self._fetch(np.asarray(rows, dtype=np.int64))
            self._kept = self._fetch(None)
        return self._kept if rows is None else self._kept[rows]

    def _fetch(self, rows: np.ndarray | None) -> np.ndarray:
        _, sql, _ = modules()
        table = sql.Identifier(self.table)
        with self.database.connection() as conn:
            if rows is None:
                found = conn.execute(sql.SQL("SELECT row, embedding FROM {} ORDER BY row").format(table)).fetchall()
            else:
                found = conn.execute(sql.SQL("SELECT row, embedding FROM {} WHERE row = ANY(%s)").format(table),
                                     (rows.tolist(),)).fetchall()
        by_row = {r: e for r, e in found}
        wanted = range(self._count) if rows is None else rows.tolist()
        if any(r not in by_row for r in wanted):
            raise StoreError(f"{self.database.where(self.name)}: generation {self.generation} was replaced; reload the index")
        out = np.zeros((len(wanted), self._dimension), dtype=np.float32)
        for i, r in enumerate(wanted):
            out[i] = as_array(by_row[r])
        return out


def as_array(value: Any) -> np.ndarray:
    """A vector column's value as a NumPy array (pgvector returns ``Vector`` or an array depending on version)."""
    return value.to_numpy() if hasattr(value, "to_numpy") else np.asarray(value, dtype=np.float32)
