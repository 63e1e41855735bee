"""The persisted index: manifest, freshness, corruption, format versions and atomic writes."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from cnaps_rag import IndexFormatError, Source, SourceIndex, default_engine
from cnaps_rag.embedding import DEFAULT_MODEL_SHA256
from cnaps_rag.index import CorruptIndex, hash_inputs, open_index
from cnaps_rag.index import source_index as index_module
from cnaps_rag.index.manifest import FORMAT_VERSION, MANIFEST
from cnaps_rag.index.recipe import content_text, task_embeddings
from cnaps_rag.sources import readable
from cnaps_rag.tuning import TUNING

ENGINE = default_engine()

SOURCES = [
    Source(id="swinir", kind="model", name="Restoration-SwinIR-Jpeg40", paper_url="https://arxiv.org/pdf/2108.10257",
           summary="SwinIR restores degraded images with a Swin Transformer."),
    Source(id="he", kind="paper", name="מאמר על הגדלת תמונות", paper_url="https://arxiv.org/abs/1809.00219",
           summary="הגדלת תמונות ברזולוציה נמוכה בעזרת רשת עמוקה."),
    Source(id="zh", kind="paper", name="图像去噪研究", paper_url="https://arxiv.org/abs/1608.03981", summary="用深度卷积网络去除图像噪声。"),
    Source(id="ru", kind="paper", name="Улучшение фотографий", paper_url="https://arxiv.org/abs/2001.06826",
           summary="Осветление тёмных снимков нейросетью."),
]


@pytest.fixture(scope="module")
def built() -> SourceIndex:
    return ENGINE.build_index(SOURCES)


def test_save_then_load_round_trips_non_ascii_sources(built, tmp_path):
    built.save(tmp_path / "idx")
    loaded = SourceIndex.load(tmp_path / "idx")
    assert loaded.sources == SOURCES
    assert np.allclose(loaded.vectors, built.vectors)
    assert np.array_equal(loaded.affinity, built.affinity)
    query = built.vectors[2:3]
    assert loaded.store.search(query, 4)[1].tolist() == built.store.search(query, 4)[1].tolist()


def test_the_manifest_records_how_the_index_was_built(built, tmp_path):
    built.save(tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / MANIFEST).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["weights_sha256"] == DEFAULT_MODEL_SHA256
    assert len(manifest["model"]["tokenizer_sha256"]) == 64
    assert manifest["model"]["query_engine"] == "numpy-bert/1"
    assert manifest["recipe"] == TUNING.index.fingerprint
    assert manifest["dimension"] == 384 and manifest["count"] == 4
    assert manifest["ids"] == ["swinir", "he", "zh", "ru"]
    assert len(manifest["corpus_sha256"]) == 64 and manifest["built_at"]
    assert set(manifest["files"]) == {p.name for p in (tmp_path / "idx").iterdir() if p.name != MANIFEST and not p.name.startswith(".")}


def _corpus(tmp_path, sources):
    path = tmp_path / "corpus.json"
    path.write_text("[" + ",".join(s.model_dump_json() for s in sources) + "]", encoding="utf-8")
    return path


def _open(directory, path):
    from cnaps_rag import load_sources

    return open_index(directory, lambda: load_sources(path), embedder=ENGINE.embedder, taxonomy=ENGINE.taxonomy,
                      inputs=hash_inputs([path]))


def test_a_fresh_index_is_loaded_not_rebuilt(tmp_path, caplog):
    path = _corpus(tmp_path, SOURCES[:2])
    first = _open(tmp_path / "idx", path)
    with caplog.at_level(logging.INFO, logger="cnaps_rag"):
        second = _open(tmp_path / "idx", path)
    assert second.manifest.built_at == first.manifest.built_at
    assert not caplog.records


def test_a_changed_corpus_is_rebuilt_and_said(tmp_path, caplog):
    path = _corpus(tmp_path, SOURCES[:2])
    _open(tmp_path / "idx", path)
    _corpus(tmp_path, SOURCES[:3])
    with caplog.at_level(logging.INFO, logger="cnaps_rag"):
        index = _open(tmp_path / "idx", path)
    assert len(index) == 3
    assert "rebuilding index" in caplog.text and "the corpus changed" in caplog.text


def test_a_changed_model_is_rebuilt_and_said(tmp_path, caplog, monkeypatch):
    path = _corpus(tmp_path, SOURCES[:2])
    _open(tmp_path / "idx", path)
    manifest_path = tmp_path / "idx" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["model"]["weights_sha256"] = "f" * 64
    manifest_path.write_text(json.dumps(manifest))
    with caplog.at_level(logging.INFO, logger="cnaps_rag"):
        _open(tmp_path / "idx", path)
    assert "the embedding model changed" in caplog.text


def test_a_truncated_faiss_file_is_caught_and_rebuilt(built, tmp_path, caplog):
    path = _corpus(tmp_path, SOURCES)
    _open(tmp_path / "idx", path)
    vectors = next((tmp_path / "idx").glob("vectors-*.faiss"))
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(CorruptIndex, match="truncated or altered"):
        SourceIndex.load(tmp_path / "idx")
    with caplog.at_level(logging.INFO, logger="cnaps_rag"):
        index = _open(tmp_path / "idx", path)
    assert "rebuilding index" in caplog.text
    assert len(index) == 4 and SourceIndex.load(tmp_path / "idx").store.count == 4


def test_a_flipped_byte_in_the_vectors_is_never_searched(tmp_path):
    path = _corpus(tmp_path, SOURCES)
    _open(tmp_path / "idx", path)
    vectors = next((tmp_path / "idx").glob("vectors-*.faiss"))
    data = bytearray(vectors.read_bytes())
    data[-5] ^= 0x01
    vectors.write_bytes(bytes(data))
    with pytest.raises(CorruptIndex):
        SourceIndex.load(tmp_path / "idx")


def test_an_index_from_a_newer_format_is_a_clear_error(built, tmp_path):
    built.save(tmp_path / "idx")
    manifest_path = tmp_path / "idx" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="was written by a newer cnaps_rag .* upgrade cnaps_rag or rebuild"):
        SourceIndex.load(tmp_path / "idx")


def test_a_crash_while_saving_leaves_the_previous_index_usable(built, tmp_path, monkeypatch):
    directory = tmp_path / "idx"
    built.save(directory)
    before = SourceIndex.load(directory)
    replacement = ENGINE.build_index(SOURCES[:2])
    real_write = index_module.atomic_write
    calls = []

    def crash_on_manifest(path, data):
        calls.append(path.name)
        if path.name == MANIFEST:
            # Half a manifest reaches a temp file, then the process "dies".
            path.with_name(".manifest.json.partial.tmp").write_bytes(data[: len(data) // 2])
            raise KeyboardInterrupt("simulated crash")
        real_write(path, data)

    monkeypatch.setattr(index_module, "atomic_write", crash_on_manifest)
    with pytest.raises(KeyboardInterrupt):
        replacement.save(directory)
    monkeypatch.setattr(index_module, "atomic_write", real_write)
    assert MANIFEST in calls
    after = SourceIndex.load(directory)
    assert [s.id for s in after.sources] == [s.id for s in before.sources]
    assert np.allclose(after.vectors, before.vectors)


def test_an_unknown_faiss_factory_is_a_clear_error():
    from cnaps_rag import InputError

    with pytest.raises(InputError, match="FAISS cannot build index type 'NoSuchIndex'"):
        ENGINE.build_index(SOURCES, factory="NoSuchIndex")


def test_an_approximate_factory_is_recorded(tmp_path):
    index = ENGINE.build_index(SOURCES, factory="HNSW16")
    index.save(tmp_path / "hnsw")
    assert SourceIndex.load(tmp_path / "hnsw").manifest.factory == "HNSW16"


def _files(root):
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_sources_that_arrive_with_a_prompt_write_no_index(session_index_root):
    from cnaps_rag import answer

    first = Source(id="fresh", kind="model", name="Denoise-Fresh-Noise15", summary="A denoiser written for this test only.")
    before = _files(session_index_root)
    answer("How does AI remove noise?", [first])
    written = {p for p, mtime in _files(session_index_root).items() if before.get(p) != mtime}
    # The only thing a prompt may leave is the task-vector cache, shared by every index; never an index of its own.
    assert all(p.parent.name == "task-vectors" and p.suffix == ".npy" for p in written), written
    second = Source(id="other", kind="model", name="Denoise-Other-Noise25", summary="Another denoiser for this test.")
    before = _files(session_index_root)
    answer("How does AI remove noise from a photo?", [second])
    assert _files(session_index_root) == before


def test_task_texts_are_embedded_once_for_recipes_that_differ_only_in_index_building_numbers():
    engine = default_engine()
    memory: dict = {}
    shipped = task_embeddings(engine.taxonomy, engine.embedder, TUNING.index, memory)
    other = TUNING.index.model_copy(update={"auto_exact_limit": 10, "dense_share": 0.5})
    assert other.fingerprint != TUNING.index.fingerprint
    assert task_embeddings(engine.taxonomy, engine.embedder, other, memory) is shipped


def test_a_library_cards_input_and_output_join_a_summary_in_what_the_sources_vector_reads():
    # An abstract names the method; the card says in plain words what goes in and what comes out, which is what a
    # lay question meets. Turning it off is a recipe change, so saved indexes go stale.
    swinir = SOURCES[0]
    read = readable(swinir, ENGINE.backing_map([swinir])[swinir.id])
    card = read.card
    assert card is not None and card.output
    off = TUNING.index.model_copy(update={"card_io_in_vector": False})
    with_card, without = content_text(read, TUNING.index), content_text(read, off)
    assert swinir.summary in with_card and card.output in with_card and card.output not in without
    assert off.fingerprint != TUNING.index.fingerprint
