"""Prompts about well-known open models, in the reference format: the listed model the question is
about comes first as the recommended model, the answer verifies, and no link but the supplied ones
appears. The 60 cases in ``data/well_known_prompts.json`` were written without reading the taxonomy,
the example questions or the cards."""

from __future__ import annotations

import json

import pytest
from conftest import DATA

from cnaps_rag import answer_prompt, verify
from cnaps_rag.links import find

CASES = json.loads((DATA / "well_known_prompts.json").read_text(encoding="utf-8"))["cases"]


def prompt(case: dict) -> str:
    lines = ["A user has asked the following question:", f'"{case["question"]}"', "", "### Recommended AI Models:"]
    for name, paper, github in case["models"]:
        lines += [f"Model: {name}", f"Paper: {paper or 'None'}", f"GitHub: {github or 'None'}", ""]
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c["target"] for c in CASES])
def test_the_model_a_question_is_about_is_the_recommended_model_and_the_answer_verifies(case):
    text = prompt(case)
    result = answer_prompt(text)
    assert not result.abstained, result.abstain_reason
    first = next(r for r in result.references if r.role == "recommended model")
    assert first.source.name == case["target"]
    assert verify(result).ok, verify(result).problems
    supplied = {link.text for link in find(text)}
    assert {link.text for link in find(result.to_markdown())} <= supplied
