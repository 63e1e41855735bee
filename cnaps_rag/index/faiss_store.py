"""The default VectorStore: a FAISS index held in memory and saved as one file.

Exact inner product (``Flat``) for small catalogs; any FAISS index-factory string (``HNSW32``,
``IVF4096,Flat``) for large ones, with search-time settings from the tuning's index recipe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..tuning import IndexRecipe


def faiss_module() -> Any:
    """The faiss module, imported on first use (it costs ~0.2 s)."""
    import faiss

    return faiss


class FaissStore:
    """Vectors in a FAISS index; vectors are also kept in memory when the index was built here or is small."""

    kind = "faiss"

    def __init__(self, index: Any, factory: str, dimension: int, kept: np.ndarray | None = None) -> None:
        self.index = index
        self.factory = factory
        self._dimension = dimension
        self._kept = kept

    @classmethod
    def build(cls, vectors: np.ndarray, factory: str, recipe: IndexRecipe) -> "FaissStore":
        """Index ``vectors`` (unit rows) with a FAISS factory string; bad strings and untrainable sizes are InputError."""
        faiss = faiss_module()
        dimension = int(vectors.shape[1])
        if len(vectors) == 0:
            return cls(None, factory, dimension, vectors)
        try:
            index = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise InputError(f"FAISS cannot build index type {factory!r}: {str(exc).strip().splitlines()[-1]}") from None
        if not index.is_trained:
            lists = getattr(faiss.extract_index_ivf(index), "nlist", 0) if "IVF" in factory else 0
            if lists and len(vectors) < lists:
                raise InputError(
                    f"index type {factory!r} needs at least {lists} sources to train its {lists} lists, "
                    f"this catalog has {len(vectors)}; use --factory auto or Flat for a catalog this small"
                )
            try:
                index.train(vectors)
            except RuntimeError as exc:
                raise InputError(f"FAISS cannot train index type {factory!r} on {len(vectors)} sources: {exc}") from None
        index.add(vectors)
        store = cls(index, factory, dimension, vectors)
        store.tune(recipe)
        return store

    @classmethod
    def read(cls, path: Path, factory: str, dimension: int, recipe: IndexRecipe, keep_limit: int) -> "FaissStore":
        """Read a saved index; small ones also keep their vectors in memory for exhaustive ranking."""
        index = faiss_module().read_index(str(path))
        store = cls(index, factory, dimension)
        store.tune(recipe)
        if index.ntotal <= keep_limit:
            store._kept = store._reconstruct_all()
        return store

    def to_bytes(self) -> bytes:
        """The index serialised, as FAISS writes it to a file."""
        return b"" if self.index is None else faiss_module().serialize_index(self.index).tobytes()

    def tune(self, recipe: IndexRecipe) -> None:
        """Search-time settings for approximate indexes (not stored in the file): recall over speed."""
        if self.index is None:
            return
        faiss = faiss_module()
        if "HNSW" in self.factory:
            faiss.ParameterSpace().set_index_parameters(self.index, f"efSearch={recipe.hnsw_ef_search}")
        elif "IVF" in self.factory:
            faiss.ParameterSpace().set_index_parameters(self.index, f"nprobe={recipe.ivf_nprobe}")

    @property
    def count(self) -> int:
        return 0 if self.index is None else int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        return self._dimension

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.index is None:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        if self._kept is None:
            if rows is None:
                self._kept = self._reconstruct_all()
            else:
                return self.index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return self._kept if rows is None else self._kept[rows]

    def _reconstruct_all(self) -> np.ndarray:
        if self.index is None:
            return np.zeros((0, self._dimension), dtype=np.float32)
        try:
            return self.index.reconstruct_n(0, self.index.ntotal)
        except RuntimeError:
            # Some approximate indexes cannot give vectors back.
            return np.zeros((0, self._dimension), dtype=np.float32)
