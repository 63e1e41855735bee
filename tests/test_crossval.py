"""Cross-validation grouped by model family (`cnaps-rag eval --cv K`): folds, tuning, scores."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest
from conftest import ARXIV_100, CATALOG_159, DATASET, QUERY1, needs_dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from cnaps_rag import InputError, default_engine, evaluate
from cnaps_rag.cli import main
from cnaps_rag.crossval import Study, assign_folds, cross_validate, family_groups, write_report
from cnaps_rag.ranking.signals import families
from cnaps_rag.sources import family_keys
from cnaps_rag.tuning import CrossValidation

REWRITTEN = DATASET / "dataset" / "query_extract" / "model_queries_CNAPS_159_query1.json"
CATALOG = [CATALOG_159, ARXIV_100]
# A small search keeps the dataset tests quick; the shipped grid is exercised by the slow full run.
SMALL = CrossValidation(weight_factors=(0.0, 1.0, 2.0), question_factors=(1.0, 2.0), rounds=1)


# --- fold assignment -----------------------------------------------------------------------------

group_lists = st.lists(st.sampled_from([f"family-{i}" for i in range(30)]), min_size=2, max_size=120)


@settings(max_examples=200, deadline=None)
@given(groups=group_lists, k=st.integers(2, 8), seed=st.integers(0, 2**32 - 1))
def test_a_family_never_spans_two_folds(groups, k, seed):
    if len(set(groups)) < k:
        with pytest.raises(InputError, match=f"only {len(set(groups))} model families"):
            assign_folds(groups, k, seed)
        return
    folds = assign_folds(groups, k, seed)
    fold_of = defaultdict(set)
    for group, fold in zip(groups, folds):
        fold_of[group].add(int(fold))
    assert all(len(f) == 1 for f in fold_of.values())
    assert set(folds.tolist()) == set(range(k)), "every fold holds questions"
    sizes = np.bincount(folds, minlength=k)
    largest = max(groups.count(g) for g in set(groups))
    assert sizes.max() - sizes.min() <= largest


@settings(max_examples=50, deadline=None)
@given(groups=group_lists, seed=st.integers(0, 2**32 - 1))
def test_the_fold_assignment_is_the_same_for_the_same_seed(groups, seed):
    if len(set(groups)) < 2:
        return
    assert assign_folds(groups, 2, seed).tolist() == assign_folds(list(groups), 2, seed).tolist()


def test_another_seed_gives_other_folds():
    groups = [f"family-{i}" for i in range(40)]
    assert assign_folds(groups, 5, 0).tolist() != assign_folds(groups, 5, 1).tolist()


def test_fewer_than_two_folds_is_a_clear_error():
    with pytest.raises(InputError, match="at least 2 folds, got 1"):
        assign_folds(["a", "b"], 1)
    code = main(["eval", "--cv", "1", "--catalog", str(CATALOG_159), "--queries", str(QUERY1)])
    assert code == 2


# --- on the CNAPS catalog and Query1 --------------------------------------------------------------

def _subset(path, tmp_path, name, replace=None):
    """Every sixth question of ``path``; ``replace`` maps a target to another question text."""
    records = json.loads(path.read_text(encoding="utf-8"))[::6]
    for record in records:
        if replace and record["Model Unique Name"] in replace:
            record["Query1"] = replace[record["Model Unique Name"]]
    out = tmp_path / name
    out.write_text(json.dumps(records), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cv")
    queries, rewritten = _subset(QUERY1, tmp, "q1.json"), _subset(REWRITTEN, tmp, "rewritten.json")
    report = cross_validate(CATALOG, queries, 2, seed=0, further=[rewritten], engine=default_engine(), grid=SMALL)
    return report, queries, rewritten, tmp


@needs_dataset
def test_no_model_family_of_query1_is_in_two_of_five_folds():
    engine = default_engine()
    index = engine.catalog_index(CATALOG)
    study = Study(engine, index)
    row_of = {s.name: row for row, s in enumerate(index.sources)}
    targets = [row_of[r["Model Unique Name"]] for r in json.loads(QUERY1.read_text(encoding="utf-8"))]
    folds = assign_folds(family_groups(index, study.retriever, targets), 5, seed=0)
    supplied, keys = families(index.sources), [family_keys(index.sources[t]) for t in targets]
    for i, j in ((i, j) for i in range(len(targets)) for j in range(i) if folds[i] != folds[j]):
        assert supplied[targets[i]] != supplied[targets[j]] and not keys[i] & keys[j]
        assert study.family[targets[i]] != study.family[targets[j]]


@needs_dataset
def test_a_two_fold_run_scores_every_question_once_in_three_rows(small):
    report, *_ = small
    assert report.k == 2 and len(report.folds) == 2 and not report.skipped
    assert sum(f.questions for f in report.folds) == report.questions == len(report.assignment)
    for fold in report.folds:
        assert {fold.tuned.questions, fold.fixed.questions, fold.dense.questions} == {fold.questions}
        assert set(fold.setting) == set(report.shipped)
    assert report.further[0].questions == report.questions
    table = report.table()
    assert "| mean ± std |" in table and "cnaps_rag (fixed)" in table and "rewritten.json" in table


@needs_dataset
def test_re_fusing_hit_components_reproduces_the_real_ranking(small):
    """The 'fixed' rows, re-fused from Hit.components, equal `evaluate` with the shipped tuning."""
    report, queries, *_ = small
    real = evaluate(CATALOG, queries).cnaps
    for metric in ("category_at_1", "family_at_1", "family_at_5", "mrr", "abstained"):
        pooled = sum(getattr(f.fixed, metric) * f.questions for f in report.folds) / report.questions
        assert pooled == pytest.approx(getattr(real, metric)), metric


@needs_dataset
def test_tuning_reads_the_training_folds_only(small, tmp_path):
    """Rewording every question of a held-out fold changes nothing that was tuned for it on the other fold."""
    report, _, rewritten, _ = small
    moved = [f for f in report.folds if f.setting != report.shipped]
    assert moved, "no fold's tuning left the shipped setting, so this test would prove nothing"
    fold = moved[0]
    other_text = {r["Model Unique Name"]: r["Query1"] for r in json.loads(rewritten.read_text(encoding="utf-8"))}
    held = {t for t, f in report.assignment.items() if f == fold.fold}
    perturbed = _subset(QUERY1, tmp_path, "perturbed.json", {t: other_text[t] for t in held})
    again = cross_validate(CATALOG, perturbed, 2, seed=0, engine=default_engine(), grid=SMALL)
    assert again.assignment == report.assignment
    assert again.folds[fold.fold - 1].setting == fold.setting
    assert again.folds[fold.fold - 1].fixed != fold.fixed or again.folds[fold.fold - 1].dense != fold.dense


@needs_dataset
def test_the_json_report_holds_folds_tuned_numbers_and_the_summary(small, tmp_path):
    report, *_ = small
    write_report(report, tmp_path / "cv.json")
    data = json.loads((tmp_path / "cv.json").read_text())
    assert [f["fold"] for f in data["folds"]] == [1, 2]
    assert data["folds"][0]["setting"].keys() == data["shipped"].keys()
    assert set(data["summary"]) == {"tuned", "fixed", "dense"}
    assert set(data["summary"]["tuned"]["family_at_5"]) == {"mean", "std"}


@pytest.mark.slow
@needs_dataset
def test_five_fold_cross_validation_on_query1_beats_plain_dense_on_every_fold(tmp_path):
    out = tmp_path / "cv.json"
    result = subprocess.run(
        [sys.executable, "-m", "cnaps_rag", "eval", "--cv", "5", "--catalog", *map(str, CATALOG),
         "--queries", str(QUERY1), str(REWRITTEN), "--json", str(out)],
        capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert len(data["folds"]) == 5 and data["questions"] == 158
    for fold in data["folds"]:
        assert fold["tuned"]["category_at_1"] > fold["dense"]["category_at_1"], fold
        assert fold["tuned"]["family_at_5"] > fold["dense"]["family_at_5"], fold
    assert data["further"][0]["questions"] == 158
