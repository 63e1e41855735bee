"""Catalog mode on the real CNAPS data: the issue's targets, next to the plain dense retriever."""

from __future__ import annotations

import json

import pytest
from conftest import ARXIV_100, CATALOG_159, QUERY1, needs_dataset

from cnaps_rag import InputError, evaluate
from cnaps_rag.evaluation import load_queries, write_results


@pytest.fixture(scope="module")
def report():
    return evaluate([CATALOG_159, ARXIV_100], QUERY1)


@needs_dataset
def test_cnaps_rag_meets_the_targets_on_query1(report):
    m = report.cnaps
    assert m.questions == 158 and not report.skipped
    assert m.category_at_1 >= 0.75, report.table()
    assert m.family_at_1 >= 0.45, report.table()
    assert m.family_at_5 >= 0.70, report.table()


@needs_dataset
def test_cnaps_rag_is_never_below_plain_dense(report):
    ours, plain = report.cnaps, report.dense
    for metric in ("category_at_1", "family_at_1", "family_at_5", "mrr"):
        assert getattr(ours, metric) >= getattr(plain, metric), (metric, report.table())


@needs_dataset
def test_the_plain_dense_row_reproduces_the_issue_baseline(report):
    assert report.dense.category_at_1 == pytest.approx(0.38, abs=0.02)
    assert report.dense.family_at_1 == pytest.approx(0.21, abs=0.02)


@needs_dataset
def test_per_question_results_are_written_as_json(report, tmp_path):
    write_results(report, tmp_path / "results.json")
    rows = json.loads((tmp_path / "results.json").read_text())["results"]
    assert len(rows) == 158 and {"question", "cnaps_top", "dense_top", "cnaps_family_rank"} <= set(rows[0])


def test_queries_accept_any_query_field(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"Model Unique Name": "A", "Query1": "one?", "Query2": "two?"}]))
    assert [q.field for q in load_queries(path)] == ["Query1", "Query2"]


def test_a_queries_file_of_the_wrong_shape_is_a_clear_error(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"Model Unique Name": "A"}))
    with pytest.raises(InputError, match="expected a JSON list"):
        load_queries(path)


@needs_dataset
def test_ask_over_the_real_catalog_recommends_an_x4_model_with_its_links_only():
    # In process (the command line's catalog path is tests/test_cli.py's, over the mini catalog).
    import re

    from cnaps_rag import answer, load_catalog

    question = "I blew up a small image by 4x and was shocked that it still looked clean. How?"
    out = answer(question, catalog=[str(CATALOG_159)]).to_markdown()
    recommended = re.search(r"^1\. \*\*(.+?)\*\* — recommended model", out, re.MULTILINE).group(1)
    model = next(s for s in load_catalog([CATALOG_159]).sources if s.name == recommended)
    assert model.category == "SISR" and re.search(r"(?i)(^|-)x?4x?($|-)", model.name), model.name
    assert "## 1. What you are trying to do" in out and "## 2. How the model works" in out
    assert set(re.findall(r"https?://\S+", out)) == set(model.urls())
    assert "Why this variant" in out
