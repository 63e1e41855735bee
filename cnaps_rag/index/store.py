"""The VectorStore protocol: what an index needs from whatever holds its vectors.

FAISS in a file (``faiss_store``) is the default. Another store, such as a database server,
implements these few methods and is chosen by ``open_store``; nothing else in cnaps_rag changes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ..tuning import IndexRecipe


@runtime_checkable
class VectorStore(Protocol):
    """Unit vectors in row order, searchable by inner product (cosine)."""

    kind: str
    factory: str

    @property
    def count(self) -> int:
        """How many vectors the store holds."""

    @property
    def dimension(self) -> int:
        """The vectors' dimension."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the best ``k`` rows per query, best first; -1 where fewer exist."""

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The stored vectors of ``rows`` (all rows when None), in that order."""


def resolve_factory(factory: str, count: int, recipe: IndexRecipe) -> str:
    """'auto' is exact search up to ``recipe.auto_exact_limit`` sources and an HNSW graph above; others pass through."""
    if factory != "auto":
        return factory
    return "Flat" if count <= recipe.auto_exact_limit else "HNSW32"
