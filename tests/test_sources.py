"""Corpus loading: validation errors name the file, the record and the field."""

from __future__ import annotations

import json
import re

import pytest

from cnaps_rag import CorpusError, Source, load_sources
from cnaps_rag.files import default_corpus_dir
from cnaps_rag.sources import corpus_hash

GOOD = {"id": "esrgan", "kind": "model", "name": "SISR-ESRGAN-x4", "paper_url": "https://arxiv.org/abs/1809.00219"}


def write(tmp_path, records, name="sources.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_default_corpus_holds_the_three_reference_sources():
    sources = load_sources(default_corpus_dir() / "sources")
    assert [s.id for s in sources] == ["restoration-swinir-jpeg40", "arxiv:2304.05538", "arxiv:2407.17596"]
    swinir = sources[0]
    assert swinir.paper_url == "https://arxiv.org/pdf/2108.10257"
    from cnaps_rag import default_engine

    backing = default_engine().cards.backing(swinir)
    assert backing is not None and backing.id == "card:swinir" and len(backing.card.stages) >= 3


def test_a_bad_url_names_file_record_and_field(tmp_path):
    path = write(tmp_path, [GOOD, dict(GOOD, id="two", paper_url="ftp://example.org/x")])
    with pytest.raises(CorpusError, match=re.escape(f"{path}: record 2 (two): field 'paper_url': ")):
        load_sources(path)


def test_a_missing_field_is_named(tmp_path):
    path = write(tmp_path, [{"id": "x", "kind": "model"}])
    with pytest.raises(CorpusError, match=r"record 1 \(x\): field 'name': Field required"):
        load_sources(path)


def test_an_unknown_field_is_an_error(tmp_path):
    path = write(tmp_path, [dict(GOOD, summmary="typo")])
    with pytest.raises(CorpusError, match=r"field 'summmary': Extra inputs are not permitted"):
        load_sources(path)


def test_a_duplicate_id_across_files_is_kept_under_its_own_id_and_reported(tmp_path, caplog):
    write(tmp_path, [GOOD], "a.json")
    write(tmp_path, [dict(GOOD, name="Other")], "b.json")
    with caplog.at_level("WARNING", logger="cnaps_rag"):
        sources = load_sources(tmp_path)
    assert [s.id for s in sources] == ["esrgan", "esrgan~2"] and sources[1].name == "Other"
    assert re.search(r"b\.json: record 1.*already used by .*a\.json: record 1 \(esrgan\); kept as id 'esrgan~2'", caplog.text)


def test_invalid_json_reports_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"id": "x",\n  "kind": }]', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken\.json: invalid JSON at line 2, column 11"):
        load_sources(path)


def test_a_file_that_is_not_utf8_is_reported(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('[{"id": "x", "name": "Caf\u00e9"}]'.encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin1\.json: not UTF-8 text"):
        load_sources(path)


def test_kind_must_be_model_or_paper(tmp_path):
    with pytest.raises(CorpusError, match=r"field 'kind': Input should be 'model' or 'paper'"):
        load_sources(write(tmp_path, [dict(GOOD, kind="dataset")]))


def test_a_name_may_not_smuggle_a_link():
    with pytest.raises(ValueError, match="must be a name, not contain a link"):
        Source(id="x", kind="paper", name="Read https://example.com/x")


def test_non_ascii_sources_load_unchanged(tmp_path):
    records = [dict(GOOD, id="he", name="מודל עברי", summary="שלום עולם"), dict(GOOD, id="zh", name="中文模型", summary="图像超分辨率")]
    loaded = load_sources(write(tmp_path, records))
    assert [s.name for s in loaded] == ["מודל עברי", "中文模型"]


def test_corpus_hash_changes_when_any_field_changes():
    a = Source(**GOOD)
    assert corpus_hash([a]) != corpus_hash([a.model_copy(update={"summary": "new"})])
    assert corpus_hash([a]) == corpus_hash([Source(**GOOD)])
