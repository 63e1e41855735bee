"""The embedder: verified weights, lazy thread-safe loading, and a NumPy path equal to sentence-transformers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from cnaps_rag import Embedder, ModelError
from cnaps_rag.embedding import DEFAULT_MODEL_SHA256, default_model_path

TEXTS = [
    "A 4×-enlarged thumbnail came out looking sharp and free of noise.",
    "hi",
    "",
    "Café déjà vu — 東京の写真を拡大する, Привет мир, שלום",
    "token " * 400,  # longer than the 256-token window: both engines truncate alike
    "SwinIR: Image Restoration Using Swin Transformer. " * 6,
]


@pytest.fixture(scope="module")
def both():
    return Embedder(engine="numpy").encode(TEXTS), Embedder(engine="sentence-transformers").encode(TEXTS)


def test_numpy_engine_matches_sentence_transformers_within_1e_4_cosine(both):
    fast, reference = both
    cosines = (fast * reference).sum(axis=1)
    assert cosines.min() >= 1 - 1e-4, cosines


def test_vectors_are_unit_length_float32(both):
    fast, _ = both
    assert fast.dtype == np.float32 and fast.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_the_default_model_is_pinned_and_verified():
    embedder = Embedder()
    assert embedder.verify() == DEFAULT_MODEL_SHA256
    assert embedder.identity.weights_sha256 == DEFAULT_MODEL_SHA256


def test_a_tampered_weights_file_is_refused_naming_file_and_hash(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(default_model_path(), copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    embedder = Embedder(copy, sha256=DEFAULT_MODEL_SHA256)
    with pytest.raises(ModelError, match=re.escape(f"weights file {weights} has SHA-256 ") + ".*" + re.escape(f"expected {DEFAULT_MODEL_SHA256}")):
        embedder.encode(["anything"])


def test_a_wrong_pinned_hash_is_refused_before_loading():
    with pytest.raises(ModelError, match="expected 0000"):
        Embedder(sha256="0" * 64).encode(["x"])


def test_a_missing_model_directory_is_a_clear_error():
    with pytest.raises(ModelError, match="embedding model directory './no/such/model' does not exist"):
        Embedder("./no/such/model")


def test_importing_cnaps_rag_loads_neither_torch_nor_sentence_transformers():
    code = "import sys, cnaps_rag; print(sorted(m for m in ('torch', 'sentence_transformers', 'faiss') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_one_embedder_is_safe_to_share_between_threads():
    embedder = Embedder(engine="numpy")
    questions = [f"question number {i} about enlarging photos" for i in range(16)]
    expected = Embedder(engine="numpy").encode(questions)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda q: embedder.encode([q])[0], questions))
    assert np.allclose(np.stack(results), expected, atol=1e-5)
