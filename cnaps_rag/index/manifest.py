"""An index's manifest: how it was built, and the rule for when a saved index is stale.

The manifest names every payload file with its SHA-256 and records the format and library
version, the model identity and weights hash, the taxonomy, corpus and input-file hashes, the
index recipe's fingerprint (``tuning.IndexRecipe``), the store and its factory, the dimension
and the ids in row order. ``staleness`` compares it with what a caller would build now.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..embedding import ModelIdentity
from ..errors import CorruptIndex, IndexFormatError
from ..files import file_sha256
from ..tasks import Taxonomy
from ..tuning import IndexRecipe
from ..version import __version__

FORMAT_VERSION = 2
MANIFEST = "manifest.json"


class InputFile(BaseModel):
    """A file the indexed sources were read from, with its hash at build time."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str


class Manifest(BaseModel):
    """Everything needed to decide whether a saved index may be used as it is."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    format_version: int
    recipe: str
    library_version: str
    model: ModelIdentity
    taxonomy_sha256: str
    cards_sha256: str = ""
    corpus_sha256: str
    inputs: tuple[InputFile, ...] = ()
    dimension: int = Field(gt=0)
    count: int = Field(ge=0)
    ids: tuple[str, ...]
    store: str = "faiss"
    factory: str
    files: dict[str, str]
    built_at: dt.datetime
    build_seconds: float


def hash_inputs(paths: Sequence[Path]) -> tuple[InputFile, ...]:
    """Resolved paths and SHA-256 of the files a corpus is read from, in order."""
    return tuple(InputFile(path=str(p.resolve()), sha256=file_sha256(p)) for p in paths)


def parse_manifest(raw: object, where: str) -> Manifest:
    """Validate a manifest's JSON; refuse a newer format with a clear error."""
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{where}: index format {version} was written by a newer cnaps_rag (this one reads format "
            f"{FORMAT_VERSION}); upgrade cnaps_rag or rebuild with `cnaps-rag index build`"
        )
    if isinstance(version, int) and version < FORMAT_VERSION:
        raise CorruptIndex(f"{where}: index format {version} is older than {FORMAT_VERSION}")
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        raise CorruptIndex(f"{where}: invalid manifest ({exc.errors()[0]['loc']}: {exc.errors()[0]['msg']})") from None


def read_manifest(root: Path) -> Manifest:
    """Read and validate ``manifest.json`` in an index directory."""
    path = root / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptIndex(f"{path}: no manifest (the index was never built here)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptIndex(f"{path}: unreadable manifest ({exc})") from None
    return parse_manifest(raw, str(path))


def staleness(manifest: Manifest, *, model: ModelIdentity, taxonomy: Taxonomy, recipe: IndexRecipe,
              corpus_sha256: str | None, inputs: Sequence[InputFile] | None, cards_sha256: str = "") -> str | None:
    """Why a saved index no longer fits (a sentence), or None when it does."""
    if manifest.model != model:
        old, new = manifest.model.model_dump(), model.model_dump()
        changed = ", ".join(f"{k}: {old[k]} -> {new[k]}" for k in new if old.get(k) != new[k])
        return f"the embedding model changed ({changed})"
    if manifest.taxonomy_sha256 != taxonomy.fingerprint:
        return "the task taxonomy changed"
    if manifest.cards_sha256 != cards_sha256:
        return "the model card library changed"
    if manifest.recipe != recipe.fingerprint:
        return "the index recipe in tuning.py changed"
    if manifest.library_version != __version__:
        return f"it was built by cnaps_rag {manifest.library_version}, this is {__version__}"
    if inputs is not None and tuple(inputs) != manifest.inputs:
        changed = [i.path for i in inputs if i not in manifest.inputs] or [i.path for i in manifest.inputs]
        return f"the corpus changed ({', '.join(changed[:3])})"
    if corpus_sha256 is not None and corpus_sha256 != manifest.corpus_sha256:
        return "the corpus changed"
    return None
