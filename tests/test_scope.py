"""Abstention calibration: in-scope questions are answered, out-of-scope ones abstain, at low error rates."""

from __future__ import annotations

import json

from conftest import ARXIV_100, CATALOG_159, MINI_CATALOG, QUERY1, needs_dataset

from cnaps_rag import Retriever, catalog_index
from cnaps_rag.scope import DENSE_THRESHOLD, TASK_THRESHOLD, judge_scope


def rates(retriever: Retriever, inside: list[str], outside: list[str]) -> tuple[float, float]:
    false_abstain = sum(not judge_scope(retriever.rank(q, 5)).in_scope for q in inside) / len(inside)
    false_answer = sum(judge_scope(retriever.rank(q, 5)).in_scope for q in outside) / len(outside)
    return false_abstain, false_answer


def test_the_thresholds_are_the_documented_ones():
    assert (DENSE_THRESHOLD, TASK_THRESHOLD) == (0.42, 0.2)


def test_mini_catalog_answers_its_questions_and_declines_the_rest(scope_data):
    retriever = Retriever(catalog_index([MINI_CATALOG]))
    false_abstain, false_answer = rates(retriever, scope_data["in_scope"]["mini"], scope_data["out_of_scope"]["mini"])
    assert false_abstain <= 0.1 and false_answer == 0.0, (false_abstain, false_answer)


@needs_dataset
def test_cnaps_questions_are_answered_and_everyday_questions_are_not(scope_data):
    retriever = Retriever(catalog_index([CATALOG_159, ARXIV_100]))
    inside = [q["Query1"] for q in json.loads(QUERY1.read_text(encoding="utf-8"))]
    outside = scope_data["out_of_scope"]["mini"]
    false_abstain, false_answer = rates(retriever, inside, outside)
    assert false_abstain <= 0.05 and false_answer <= 0.1, (false_abstain, false_answer)
