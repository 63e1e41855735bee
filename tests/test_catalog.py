"""Catalog ingestion in the CNAPS schema, taken as it is."""

from __future__ import annotations

import json

import pytest
from conftest import ARXIV_100, CATALOG_159, DATASET, MINI_CATALOG, needs_dataset

from cnaps_rag import CorpusError, load_catalog
from cnaps_rag import default_engine
from cnaps_rag.naming import parse_model_name

RECORD = {
    "Model Unique Name": "SISR-CARN-4x", "Category": "Img2Img", "Detailed Category": "SISR", "Dataset": "None",
    "Paper": "https://arxiv.org/pdf/1803.08664", "Github": "https://github.com/nmhkahn/CARN-pytorch",
    "HuggingFace": "None", "Summary": "A cascading residual network for fast super-resolution.",
}


def write(tmp_path, records, name="catalog.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_a_record_becomes_a_model_source(tmp_path):
    (source,) = load_catalog([write(tmp_path, [RECORD])]).sources
    assert source.id == "sisr-carn-4x" and source.kind == "model"
    assert source.category == "SISR" and source.dataset is None
    assert source.github_url == "https://github.com/nmhkahn/CARN-pytorch"
    assert source.links == ()


def test_none_strings_and_nulls_mean_absent(tmp_path):
    record = dict(RECORD, Paper=None, Github="None", Summary="None")
    (source,) = load_catalog([write(tmp_path, [record])]).sources
    assert source.paper_url is None and source.github_url is None and source.summary is None


def test_github_spelled_either_way_and_summary_update(tmp_path):
    record = {k: v for k, v in RECORD.items() if k not in ("Github", "Summary")}
    record.update({"GitHub": "https://github.com/x/y", "Summary_update": "Shorter summary."})
    (source,) = load_catalog([write(tmp_path, [record])]).sources
    assert source.github_url == "https://github.com/x/y" and source.summary == "Shorter summary."


def test_arxiv_records_are_papers_keyed_by_arxiv_id(tmp_path):
    record = dict(RECORD, **{"Model Unique Name": "Some Paper Title", "Paper": "http://arxiv.org/pdf/2404.06587v1.pdf", "arxiv_id": 2404.06587})
    (source,) = load_catalog([write(tmp_path, [record])]).sources
    assert source.kind == "paper" and source.id == "arxiv:2404.06587"


def test_duplicate_names_are_reported_and_kept(tmp_path):
    catalog = load_catalog([write(tmp_path, [RECORD, dict(RECORD, Summary="A different text.")])])
    assert [s.id for s in catalog.sources] == ["sisr-carn-4x", "sisr-carn-4x~2"]
    assert "already used by" in catalog.problems[0]


def test_an_exact_repeat_is_reported_and_kept_once(tmp_path):
    catalog = load_catalog([write(tmp_path, [RECORD, RECORD])])
    assert len(catalog.sources) == 1 and "exact repeat" in catalog.problems[0]


def test_a_bad_link_names_the_catalog_field(tmp_path):
    path = write(tmp_path, [dict(RECORD, Github="github.com/x")])
    with pytest.raises(CorpusError, match=r"record 1 \(SISR-CARN-4x\): field 'Github': must be an http"):
        load_catalog([path])


def test_the_mini_catalog_has_twenty_models_over_many_tasks():
    sources = load_catalog([MINI_CATALOG]).sources
    models = [s for s in sources if s.kind == "model"]
    assert len(models) >= 20
    assert len({s.category for s in models}) >= 12


@pytest.mark.parametrize(
    ("name", "category", "architecture", "scale", "jpeg", "noise"),
    [
        ("Restoration-SwinIR-Jpeg40", "Restoration", "SwinIR", None, 40, None),
        ("SISR-CARN-M-4x", "SISR", "CARN", 4, None, None),
        ("Denoise-SwinIR-Noise25", "Denoise", "SwinIR", None, None, 25),
        ("SISR-SwinIR-Classical-DF2K-64-M-x8", "SISR", "SwinIR", 8, None, None),
    ],
)
def test_model_names_follow_category_architecture_variant(name, category, architecture, scale, jpeg, noise):
    parsed = default_engine().taxonomy.parse_name(name)
    levels = parsed.levels
    assert (parsed.category, parsed.architecture, parsed.scale, levels.get("jpeg_quality"), levels.get("noise_level")) == (
        category, architecture, scale, jpeg, noise)


def test_multi_token_categories_are_recognised():
    assert parse_model_name("SISR-Any-LIIF-EDSR", ["SISR Any"]).category == "SISR-Any"


def test_a_paper_title_is_not_a_convention_name():
    assert not parse_model_name("ImageNet-Hard: The Hardest Images").follows_convention


@needs_dataset
def test_the_real_catalogs_load_with_their_duplicate_reported():
    catalog = load_catalog([CATALOG_159, ARXIV_100])
    assert len(catalog.sources) == 258
    assert sum(s.kind == "paper" for s in catalog.sources) == 100
    older = load_catalog([DATASET / "dataset" / "seperate_data" / "New_AI_model_no_query.json"])
    assert len(older.sources) == 55
    assert any("VGGT" in p for p in older.problems)
