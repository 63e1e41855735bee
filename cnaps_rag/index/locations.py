"""Where an index lives: one directory per corpus or set of catalog files under the index root.

The index root is ``$CNAPS_RAG_INDEX``, else the repository's ``index/`` in a checkout, else
``~/.cache/cnaps_rag/index`` (see ``files.index_root``). A directory's name carries the inputs'
paths and the embedding model's identity, so switching models never rebuilds another model's index.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

from ..embedding import ModelIdentity
from ..errors import CorpusError
from ..files import index_root
from ..sources import slug


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The source files of a corpus directory, in the order they are loaded."""
    sources_dir = corpus_dir / "sources"
    if not sources_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: no sources/ directory (a corpus holds sources/*.json and tasks.json)")
    return sorted(p for p in sources_dir.rglob("*.json") if p.is_file())


def catalog_files(paths: Sequence[str | Path]) -> list[Path]:
    """The catalog files named, each checked to be a readable file."""
    files = [Path(p) for p in paths]
    if not files:
        raise CorpusError("no catalog files given")
    for file in files:
        if file.is_dir():
            raise CorpusError(f"{file}: is a directory; name the catalog JSON file(s) inside it")
        if not file.is_file():
            raise CorpusError(f"{file}: no such catalog file")
    return files


def index_directory(kind: str, paths: Sequence[Path], model: ModelIdentity) -> Path:
    """The default directory of the index over ``paths`` for this embedding model."""
    resolved = [str(p.resolve()) for p in paths]
    digest = hashlib.sha256("\n".join(resolved).encode()).hexdigest()[:10]
    name = f"{kind}-{slug(paths[0].stem, limit=40)}-{digest}"
    default_model = model.weights_sha256 is not None and model.name.endswith("all-MiniLM-L6-v2")
    if not default_model:
        # Another model gets its own directory instead of rebuilding the default one in place.
        name += "-" + hashlib.sha256(model.model_dump_json().encode()).hexdigest()[:8]
    return index_root() / name
