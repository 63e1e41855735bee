"""The prompt-level evaluation: reproducible reference-format prompts, per-prompt records, and the tables."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import ARXIV_100, CATALOG_159, DATA, DATASET, MINI_CATALOG, QUERY1, needs_dataset

from cnaps_rag import load_catalog, parse_prompt
from cnaps_rag.cli import main
from cnaps_rag.engine import default_engine
from cnaps_rag.prompt_eval import (PromptResult, build_prompts, evaluate_prompts, expected_tasks, outside_links,
                                   prompt_sets, summarize, task_matches, write_prompts)

LOGGED = DATASET / "eval" / "results"
REWRITTEN = DATASET / "dataset" / "query_extract" / "model_queries_CNAPS_159_query1.json"
# Four questions per catalog model, written by helpers that read only the catalog (2026-11-27): what a user saw an AI
# do and asked how ("experience"), a request handing over data ("request"), an account of a result seen, often by
# someone else ("observation"), and a short lay request or question ("short"). Families of cross-validation folds 1, 3
# and 5 (seed 0) were the development half; folds 2 and 4 were held out and only measured.
# Two more were written the same way later (2026-11-27): what kind of tool could do it, asked from the user's situation
# ("advice"), and a need from a named job ("work").
BLIND = [DATA / f"catalog_blind_{style}.json"
         for style in ("experience", "request", "observation", "short", "advice", "work")]
# Seed 0 now: primary 0.981 / 0.987 / 0.981 / 0.987, task 0.956 / 0.962 / 0.968 / 0.968 (at 2a12324, before a user's
# own request or description without quotes, a picture-making verb and a quoted prompt with no data word were read as
# a typed prompt: 0.975 / 0.968 / 0.975 / 0.968 and 0.930 / 0.930 / 0.943 / 0.943; 0.975 / 0.981 / 0.981 / 0.981 and
# 0.949 / 0.949 / 0.968 / 0.962 at 3727bc7, before split verb phrases and the people-attribute examples); advice and
# work 0.987 / 0.987 and 0.956 / 0.975 (0.981 / 0.981 and 0.930 / 0.968 when first measured, at bc2920c); the floors
# leave two to five points.
BLIND_PRIMARY_FLOOR = {"catalog_blind_experience": 0.93, "catalog_blind_request": 0.93,
                       "catalog_blind_observation": 0.94, "catalog_blind_short": 0.94,
                       "catalog_blind_advice": 0.95, "catalog_blind_work": 0.95}
BLIND_TASK_FLOOR = {"catalog_blind_experience": 0.92, "catalog_blind_request": 0.92,
                    "catalog_blind_observation": 0.94, "catalog_blind_short": 0.93,
                    "catalog_blind_advice": 0.92, "catalog_blind_work": 0.94}
MINI_QUESTIONS = {
    "SISR-ESRGAN-x4": "I enlarged an old photo four times and it looks crisp. How?",
    "Voice2Txt-Whisper-large": "My phone typed out my voice memo word for word. How does it do that?",
    "Inpainting-LaMa-Big": "I erased a stranger from my holiday photo and the wall behind looks real. How?",
    "Depth-MiDaS-v3": "An app turned my photo into a grayscale map of how far things are. How?",
    "Txt2Voice-Tacotron2": "The audiobook voice sounds human although it reads typed text. How?",
}


@pytest.fixture(scope="module")
def mini_sources():
    return list(load_catalog([MINI_CATALOG]).sources)


@pytest.fixture
def mini_queries(tmp_path):
    path = tmp_path / "questions.json"
    path.write_text(json.dumps([{"Model Unique Name": k, "Query1": v} for k, v in MINI_QUESTIONS.items()]))
    return path


def test_construction_is_deterministic_for_a_seed(mini_sources, mini_queries):
    first = build_prompts(mini_sources, mini_queries, seed=7, set_name="mini")
    again = build_prompts(mini_sources, mini_queries, seed=7, set_name="mini")
    other = build_prompts(mini_sources, mini_queries, seed=8, set_name="mini")
    assert [c.text for c in first] == [c.text for c in again]
    assert [c.text for c in first] != [c.text for c in other]


def test_a_prompt_depends_on_its_own_question_only_not_on_the_others_in_the_file(mini_sources, mini_queries, tmp_path):
    subset = tmp_path / "subset.json"
    subset.write_text(json.dumps([{"Model Unique Name": "Depth-MiDaS-v3", "Query1": MINI_QUESTIONS["Depth-MiDaS-v3"]}]))
    full = {c.target: c.text for c in build_prompts(mini_sources, mini_queries, seed=3, set_name="s")}
    (alone,) = build_prompts(mini_sources, subset, seed=3, set_name="s")
    assert alone.text == full["Depth-MiDaS-v3"]


def test_every_built_prompt_parses_and_lists_its_target_beside_one_model_of_another_category(mini_sources, mini_queries):
    category = {s.name: s.category for s in mini_sources if s.kind == "model"}
    cases = build_prompts(mini_sources, mini_queries, seed=0, set_name="mini")
    assert [c.target for c in cases] == list(MINI_QUESTIONS)
    for case in cases:
        parsed = parse_prompt(case.text)
        assert parsed.question == MINI_QUESTIONS[case.target]
        models = [s for s in parsed.sources if s.id in parsed.recommended]
        papers = [s for s in parsed.sources if s.id in parsed.related]
        assert case.target in [m.name for m in models] and len(models) == 2
        (other,) = [m for m in models if m.name != case.target]
        assert category[other.name] != category[case.target]
        assert all(m.summary is None and not m.links for m in models), "models carry name, Paper and GitHub only"
        assert len(papers) == 2 and all(p.summary for p in papers)


def test_the_target_comes_first_in_some_prompts_and_second_in_others(mini_sources, mini_queries):
    firsts = set()
    for seed in range(4):
        for case in build_prompts(mini_sources, mini_queries, seed=seed, set_name="mini"):
            parsed = parse_prompt(case.text)
            firsts.add(parsed.sources[0].name == case.target)
    assert firsts == {True, False}


def test_written_prompts_are_files_that_parse(mini_sources, mini_queries, tmp_path):
    cases = build_prompts(mini_sources, mini_queries, seed=0, set_name="mini")
    assert write_prompts({"mini": cases}, tmp_path / "out") == len(cases)
    for case in cases:
        text = (tmp_path / "out" / f"{case.id}.txt").read_text(encoding="utf-8")
        assert text == case.text and case.target in parse_prompt(text).question + text


def test_the_task_is_the_one_the_target_category_is_a_label_of():
    taxonomy = default_engine().taxonomy
    for category in ("SISR", "Voice2Txt", "Txt2Voice", "Inpainting"):
        owner = taxonomy.ids[taxonomy.index_for_label(category)]
        assert task_matches(taxonomy, owner, category) is True
        assert task_matches(taxonomy, owner, category.lower()) is True
    assert task_matches(taxonomy, "text_to_speech", "Voice2Txt") is False
    assert task_matches(taxonomy, None, "Voice2Txt") is False
    assert task_matches(taxonomy, "super_resolution", "Knitting") is None
    assert task_matches(taxonomy, "super_resolution", None) is None


def test_an_umbrella_category_counts_any_task_it_covers():
    taxonomy = default_engine().taxonomy
    restoration = expected_tasks(taxonomy, "Restoration")
    assert {"super_resolution", "jpeg_artifact_removal", "denoising"} <= restoration
    assert task_matches(taxonomy, "super_resolution", "Restoration") is True, "the reference prompt's answer"
    assert task_matches(taxonomy, "text_to_image", "Restoration") is False


def test_outside_links_are_urls_of_the_answer_that_the_prompt_does_not_contain():
    prompt = "Paper: https://arxiv.org/pdf/2108.10257\nSummary: see https://example.org/code."
    markdown = ("[paper](https://arxiv.org/pdf/2108.10257), code at https://example.org/code. "
                "and <https://elsewhere.net/x>")
    assert outside_links(markdown, prompt) == ["https://elsewhere.net/x"]
    assert outside_links("no links here", prompt) == []


def _result(**fields) -> PromptResult:
    base = dict(id="s/1", set="s", target="T", category="SISR", listed=True, question="q?", crashed=False,
                abstained=False, verified=True)
    return PromptResult(**{**base, **fields})


def test_metrics_on_a_hand_made_set():
    results = [
        _result(primary=True, task=True, coverage="card", dense_primary=True, dense_task=False),
        _result(primary=False, task=None, coverage="summary", outside_links=["https://x.org"], verified=False),
        _result(abstained=True, task=False, dense_primary=True, dense_task=True),
        _result(crashed=True, abstained=None, verified=False, task=False, error="GroundingError: number 3"),
        _result(listed=False, primary=True, task=True, coverage="name"),  # not scored: the target is not listed
        _result(listed=False, question=None, crashed=True, abstained=None, verified=False, error="PromptError: x"),
    ]
    ours = summarize(results, "s", "cnaps_rag")
    assert (ours.prompts, ours.listed, ours.crashed) == (6, 4, 2)
    assert ours.primary == pytest.approx(1 / 4)
    assert (ours.task, ours.task_scored) == (pytest.approx(1 / 3), 3)
    assert ours.abstained == pytest.approx(1 / 4)
    assert ours.verified == pytest.approx(2 / 4)
    assert ours.outside_links == 1
    assert ours.coverage == {"card": 1, "summary": 1}
    dense = summarize(results, "s", "plain dense")
    assert (dense.crashed, dense.primary, dense.task, dense.task_scored) == (1, pytest.approx(2 / 4), pytest.approx(1 / 2), 2)
    assert dense.abstained is None and dense.verified is None and dense.outside_links is None


def test_prompt_mode_needs_a_question_file_or_logged_prompts(capsys):
    assert main(["eval", "--prompts", "--catalog", str(MINI_CATALOG)]) == 2
    assert "--logged DIR" in capsys.readouterr().err
    assert main(["eval", "--prompts", "--queries", str(MINI_CATALOG)]) == 2
    assert "need --catalog" in capsys.readouterr().err


def test_the_catalog_evaluation_still_takes_one_question_file(capsys):
    assert main(["eval", "--catalog", str(MINI_CATALOG), "--queries", "a.json", "b.json"]) == 2
    assert "one --queries FILE" in capsys.readouterr().err


@needs_dataset
def test_a_small_subset_end_to_end_through_the_command_line(tmp_path, capsys):
    questions = json.loads(QUERY1.read_text(encoding="utf-8"))[:15]
    subset = tmp_path / "query1_subset.json"
    subset.write_text(json.dumps(questions))
    logged = tmp_path / "logged"
    logged.mkdir()
    for file in sorted(LOGGED.glob("*.json"))[:5]:
        shutil.copy(file, logged / file.name)
    out = tmp_path / "results.json"
    code = main(["eval", "--prompts", "--catalog", str(CATALOG_159), str(ARXIV_100), "--queries", str(subset),
                 "--logged", str(logged), "--seed", "0", "--json", str(out)])
    table = capsys.readouterr().out
    assert code == 0
    assert "| query1_subset | cnaps_rag | 15 |" in table and "| logged | plain dense | 5 |" in table
    data = json.loads(out.read_text())
    rows = data["results"]
    assert len(rows) == 20 and len(data["rows"]) == 4
    built = [r for r in rows if r["set"] == "query1_subset"]
    assert all(r["listed"] and r["category"] for r in built)
    for r in rows:
        assert r["crashed"] == bool(r["error"])
        if not r["crashed"]:
            assert r["abstained"] is not None and r["outside_links"] == []
            assert r["primary"] == (not r["abstained"] and r["first_recommended"] == r["target"])
        if r["listed"]:
            assert r["dense_first"] is not None and r["dense_task_id"] is not None


@pytest.mark.slow
@needs_dataset
def test_no_prompt_of_any_set_crashes():
    sets, skipped = prompt_sets([CATALOG_159, ARXIV_100], [QUERY1, REWRITTEN], LOGGED, seed=0)
    assert not skipped and [len(c) for c in sets.values()] == [158, 158, 158]
    report = evaluate_prompts(sets)
    assert all(row.crashed == 0 for row in report.rows), report.table()


@pytest.mark.slow
@needs_dataset
def test_prompts_built_from_catalog_questions_written_blind_keep_their_primary_and_task():
    sets, skipped = prompt_sets([CATALOG_159, ARXIV_100], BLIND, None, seed=0)
    assert not skipped and [len(c) for c in sets.values()] == [158] * len(BLIND)
    rows = {row.set: row for row in evaluate_prompts(sets).rows if row.retriever == "cnaps_rag"}
    for name, row in rows.items():
        assert row.crashed == 0 and row.verified == 1.0 and row.outside_links == 0, row
        assert row.primary >= BLIND_PRIMARY_FLOOR[name], row
        assert row.task >= BLIND_TASK_FLOOR[name], row
