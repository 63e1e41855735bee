"""Where indexes live and which one a call uses: the default corpus, or a set of catalog files.

Each corpus gets its own directory under the index root (``$CNAPS_RAG_INDEX``, else the
repository's ``index/`` when running from a checkout, else ``~/.cache/cnaps_rag/index``).
Opened indexes are kept for the life of the process, keyed by directory and model.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Sequence

from .catalog import load_catalog
from .embedding import Embedder, Progress, default_embedder
from .errors import CorpusError
from .index import SourceIndex, hash_inputs, index_root, open_index
from .sources import default_corpus_dir, load_sources, slug
from .tasks import Taxonomy, default_taxonomy

_cache: dict[tuple, SourceIndex] = {}
_lock = threading.Lock()


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The source files of a corpus directory, in the order they are loaded."""
    sources_dir = corpus_dir / "sources"
    if not sources_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: no sources/ directory (a corpus holds sources/*.json and tasks.json)")
    return sorted(p for p in sources_dir.rglob("*.json") if p.is_file())


def corpus_index(
    corpus_dir: str | os.PathLike[str] | None = None,
    *,
    embedder: Embedder | None = None,
    taxonomy: Taxonomy | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    directory: str | os.PathLike[str] | None = None,
    factory: str = "auto",
) -> SourceIndex:
    """The index of a corpus directory (default: the bundled corpus), built on first use and kept fresh."""
    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    files = corpus_files(root)
    target = Path(directory) if directory is not None else index_root() / _directory_name("corpus", [root])
    return _open(target, files, lambda: load_sources(root / "sources"), embedder, taxonomy, rebuild, progress, factory)


def catalog_index(
    paths: Sequence[str | os.PathLike[str]],
    *,
    embedder: Embedder | None = None,
    taxonomy: Taxonomy | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    directory: str | os.PathLike[str] | None = None,
    factory: str = "auto",
) -> SourceIndex:
    """The index of one or more catalog files, built on first use and rebuilt when a file changes."""
    files = [Path(p) for p in paths]
    if not files:
        raise CorpusError("no catalog files given")
    for file in files:
        if not file.is_file():
            raise CorpusError(f"{file}: no such catalog file")
    target = Path(directory) if directory is not None else index_root() / _directory_name("catalog", files)
    return _open(target, files, lambda: load_catalog(files).sources, embedder, taxonomy, rebuild, progress, factory)


def _open(target: Path, files: list[Path], load, embedder, taxonomy, rebuild, progress, factory: str = "auto") -> SourceIndex:
    embedder = embedder or default_embedder()
    taxonomy = taxonomy or default_taxonomy()
    # A stat signature lets repeated calls skip re-hashing the inputs; any change of size or mtime re-checks.
    stats = [(p, p.stat()) for p in files]
    signature = tuple((str(p.resolve()), st.st_size, st.st_mtime_ns) for p, st in stats)
    key = (str(target.resolve()), embedder.name, factory, signature)
    with _lock:
        cached = _cache.get(key)
        if not rebuild and cached is not None and cached.manifest.taxonomy_sha256 == taxonomy.fingerprint:
            return cached
        index = open_index(target, load, inputs=hash_inputs(files), embedder=embedder, taxonomy=taxonomy,
                           rebuild=rebuild, progress=progress, factory=factory)
        _cache[key] = index
        return index


def _directory_name(kind: str, paths: Sequence[Path]) -> str:
    resolved = [str(p.resolve()) for p in paths]
    digest = hashlib.sha256("\n".join(resolved).encode()).hexdigest()[:10]
    return f"{kind}-{slug(paths[0].stem, limit=40)}-{digest}"
