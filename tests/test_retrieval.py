"""Ranking: the reference trap, paraphrases, restriction, explainable hits, and the labelled set."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ARXIV_100, CATALOG_159, needs_dataset, prompt_text

import cnaps_rag
from cnaps_rag import InputError, Retriever, Source, parse_prompt, retrieve
from cnaps_rag import default_engine
from cnaps_rag.ranking.signals import settle_siblings

MARGIN = 0.3


@pytest.fixture(scope="module")
def reference(seed_text):
    parsed = parse_prompt(seed_text)
    return parsed, default_engine().sources_retriever(list(parsed.sources))


def test_swinir_beats_the_zoom_trap_by_a_clear_margin(seed_text):
    hits = retrieve(parse_prompt(seed_text).question)
    assert [h.source.id for h in hits] == ["restoration-swinir-jpeg40", "arxiv:2304.05538", "arxiv:2407.17596"]
    assert hits[0].score - hits[1].score >= MARGIN


def test_every_hit_explains_its_score(seed_text):
    top = retrieve(parse_prompt(seed_text).question)[0]
    w = cnaps_rag.Weights().model_dump()
    assert set(top.components) == set(w)
    recomposed = sum(w[name] * value for name, value in top.components.items())
    assert top.score == pytest.approx(recomposed, abs=1e-5)
    assert "dense=" in str(top) and "task=" in str(top)


def test_the_prompts_own_sources_rank_swinir_first_with_its_card_behind_it(reference):
    parsed, retriever = reference
    hits = retriever.rank(parsed.question).hits
    assert hits[0].source.id == "restoration-swinir-jpeg40"
    assert hits[0].source.summary is None, "the supplied source is reported as supplied"
    assert hits[0].backing is not None and hits[0].backing.card is not None


def test_paraphrases_rank_swinir_first(reference, scope_data):
    _, retriever = reference
    paraphrases = scope_data["paraphrases"]
    assert len(paraphrases) >= 10
    for question in paraphrases:
        hits = retriever.rank(question).hits
        assert hits[0].source.id == "restoration-swinir-jpeg40", (question, [str(h) for h in hits])


def test_restricting_to_ids_ranks_only_those():
    hits = retrieve("How is a thumbnail enlarged 4x?", ["arxiv:2304.05538", "arxiv:2407.17596"])
    assert {h.source.id for h in hits} == {"arxiv:2304.05538", "arxiv:2407.17596"}


def test_an_unknown_id_in_a_restriction_is_named():
    with pytest.raises(InputError, match="unknown source id\\(s\\): 'nope'"):
        retrieve("anything", ["nope"])


def test_an_empty_question_is_refused():
    with pytest.raises(InputError, match="the question is empty"):
        retrieve("   ")


def test_a_retriever_refuses_a_question_that_is_not_valid_text():
    retriever = default_engine().retriever(default_engine().corpus_index())
    with pytest.raises(InputError, match="the question is not valid text: character 5 is a lone surrogate"):
        retriever.rank("How \udc80 does it enlarge?")


def test_labelled_set_recall_at_1_and_mrr(labels):
    ranks = []
    for label in (lab for lab in labels if lab["in_scope"]):
        parsed = parse_prompt(prompt_text(label["file"]))
        hits = retrieve(parsed.question, list(parsed.sources), k=None)
        ids = [h.source.id for h in hits]
        ranks.append(ids.index(label["expected_first"]) + 1)
    recall_at_1 = sum(r == 1 for r in ranks) / len(ranks)
    mrr = sum(1 / r for r in ranks) / len(ranks)
    assert len(ranks) >= 15
    assert recall_at_1 >= 0.9, (recall_at_1, ranks)
    assert mrr >= 0.9, mrr


def test_a_retriever_refuses_an_index_built_with_another_taxonomy():
    from cnaps_rag import Source, Task, Taxonomy

    engine = default_engine()
    index = engine.build_index([Source(id="a", kind="model", name="Denoise-A-Noise15", summary="Removes noise.")])
    other = Taxonomy(tasks=(Task(id="only", name="only task", group="g", description="A single task for this test.",
                                 input="x", output="y", modality_in="image", modality_out="image", cues=("only",)),))
    with pytest.raises(InputError, match="built with a different task taxonomy"):
        Retriever(index, embedder=engine.embedder, taxonomy=other)


def test_a_clearly_better_variant_moves_above_its_sibling_and_nothing_else_moves():
    fused = np.array([1.4, 1.2, 1.0, 0.9], dtype=np.float32)  # rows 0 and 2 are variants of one model
    variant = np.array([-0.6, 0.0, 0.0, 0.0], dtype=np.float32)
    siblings = np.array([7, 1, 7, 2])
    settled = settle_siblings(fused, variant, siblings, lead=0.5)
    assert settled.tolist() == pytest.approx([1.0, 1.2, 1.4, 0.9])  # the group's scores, handed out again
    assert settle_siblings(fused, variant, siblings, lead=0.7) is fused  # a smaller lead than asked changes nothing


def test_an_implausible_first_model_yields_to_the_first_of_the_window_that_does_the_asked_task():
    from cnaps_rag.ranking.fit import fitting_lead
    from cnaps_rag.tuning import TUNING

    order = np.array([3, 0, 1, 2])  # position 3 is a paper, 0 an implausible model, 1 and 2 models that fit
    fits = np.array([0.001, 0.4, 0.9, 0.0], dtype=np.float32)
    is_model = np.array([1.0, 1.0, 1.0, 0.0], dtype=np.float32)
    assert fitting_lead(order, fits, is_model, TUNING).tolist() == [3, 1, 0, 2]
    # A first model whose task is plausible keeps the lead, and so does one with no fitting model in the window.
    assert fitting_lead(order, np.array([0.01, 0.4, 0.9, 0.0], dtype=np.float32), is_model, TUNING) is order
    assert fitting_lead(order, fits, is_model, TUNING, window=2) is order


@needs_dataset
def test_a_catalog_ranking_does_not_lead_with_a_model_whose_task_the_cued_question_rules_out():
    """A rewritten Query1 request: a Stable Diffusion checkpoint's summary shares 'blends', 'natural' and
    'background' with it, but its task is implausible for it while the harmonization model is in the first five, so
    the ranking (not only the answer) leads with the harmonization model."""
    question = ("There is a small flower pot with a composite light in this photo. Please adjust the light so that it "
                "blends naturally with the background.")
    first = retrieve(question, catalog=[str(CATALOG_159), str(ARXIV_100)], k=5)[0]
    assert first.source.name.startswith("Harmonization-")


def _name_only(*names: str) -> list[Source]:
    return [Source(id=n.lower(), kind="model", name=n) for n in names]


def test_an_everyday_word_in_a_model_name_does_not_name_the_model():
    """'LightWeight' in SISR-Swin2SR-LightWeight-2x is an ordinary word: a 'lightweight cleanup of the motion
    blur' asks for deblurring and names no super-resolution checkpoint."""
    sources = _name_only("SISR-Swin2SR-LightWeight-2x", "SISR-Swin2SR-Real-4x", "Deblur-MIMO-UNet-RealBlur")
    hits = default_engine().sources_retriever(sources).rank(
        "Please do a fast, lightweight cleanup of the motion blur in this photo of my dog running on the beach.").hits
    assert [h.components["name"] for h in hits] == [0.0, 0.0, 0.0]
    assert hits[0].source.name == "Deblur-MIMO-UNet-RealBlur"


def test_a_name_token_written_as_in_the_name_still_names_the_model():
    sources = _name_only("SISR-Swin2SR-LightWeight-2x", "SISR-Swin2SR-Real-4x", "Inpainting-LaMa-Big")
    hits = default_engine().sources_retriever(sources).rank(
        "Is the LightWeight checkpoint or LaMa better for my old laptop?").hits
    named = {h.source.name for h in hits if h.components["name"] == 1.0}
    assert named == {"SISR-Swin2SR-LightWeight-2x", "Inpainting-LaMa-Big"}


def test_a_cue_of_a_task_the_question_does_not_ask_for_says_nothing_about_levels():
    """'blocking' stems like the JPEG cue 'blocky', but erasing a truck is not JPEG repair: no released quality
    level fits the question better than another, so the big SwinIR JPEG family gets no lift from it."""
    retriever = default_engine().sources_retriever(
        _name_only("Inpainting-CTSDG-Paris", "Restoration-SwinIR-Jpeg10", "Restoration-SwinIR-Jpeg40"))
    erase = retriever.rank("A parked truck is blocking the fountain in my photo; erase it and fill in the gap.").hits
    assert {h.source.name: h.components["variant"] for h in erase if "Jpeg" in h.source.name} == {
        "Restoration-SwinIR-Jpeg10": 0.0, "Restoration-SwinIR-Jpeg40": 0.0}
    repair = retriever.rank("This heavily compressed photo is full of blocky squares; clean it up.").hits
    variant = {h.source.name: h.components["variant"] for h in repair}
    assert variant["Restoration-SwinIR-Jpeg10"] > variant["Restoration-SwinIR-Jpeg40"]
