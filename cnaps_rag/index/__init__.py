"""Indexes: the recipe of what is stored, the manifest and freshness, where indexes live, the
VectorStore protocol with its FAISS implementation, and ``SourceIndex`` itself."""

from ..errors import CorruptIndex, StaleIndex
from .manifest import InputFile, Manifest, hash_inputs, read_manifest
from .source_index import SourceIndex, open_index
from .store import VectorStore

__all__ = ["CorruptIndex", "InputFile", "Manifest", "SourceIndex", "StaleIndex", "VectorStore", "hash_inputs",
           "open_index", "read_manifest"]
