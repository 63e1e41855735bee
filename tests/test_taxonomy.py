"""The task taxonomy refuses data that would make question analysis unreliable."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from cnaps_rag import Taxonomy, default_engine
from cnaps_rag.text import with_article


def shipped() -> dict:
    return json.loads((default_engine().corpus_dir / "tasks.json").read_text(encoding="utf-8"))


def test_the_shipped_taxonomy_loads():
    assert len(Taxonomy.model_validate(shipped()).tasks) >= 68


def test_a_cue_that_only_names_a_kind_of_data_is_refused():
    data = shipped()
    speech = next(t for t in data["tasks"] if t["id"] == "text_to_speech")
    speech["cues"].append("voice")  # a voice goes into voice conversion and comes out of text-to-speech
    with pytest.raises(ValidationError, match="cue 'voice' of task 'text_to_speech' only names a kind of data"):
        Taxonomy.model_validate(data)


@pytest.mark.parametrize(("phrase", "written"), [
    ("low-resolution image", "a low-resolution image"),
    ("artifact-free image of the same size", "an artifact-free image of the same size"),
    ("3D object", "a 3D object"),
    ("the corrected or polished text", "the corrected or polished text"),
    ("a text description", "a text description"),
    ("two consecutive video frames", "two consecutive video frames"),
    ("keypoint skeletons", "keypoint skeletons"),
    ("past values of a series over time", "past values of a series over time"),
    ("speech or singing recording, and the target voice", "a speech or singing recording, and the target voice"),
    ("glass bottle", "a glass bottle"),
])
def test_a_phrase_gets_the_article_it_takes_and_no_second_one(phrase, written):
    assert with_article(phrase) == written


def test_every_tasks_input_and_output_reads_with_its_article():
    for task in Taxonomy.model_validate(shipped()).tasks:
        for phrase in (task.input, task.output, task.name):
            written = with_article(phrase).lower()
            assert not written.startswith(("a a ", "an a ", "a an ", "an an ", "a the ", "an the ", "a two ", "an one ")), written


@pytest.mark.parametrize(("text", "cued"), [
    ("My phone picked out the smiling photos of my child.", False),
    ("The camera waits for a smile before it takes the picture.", False),
    ("A chemistry app read the molecule's SMILES string.", True),
    ("It read the smiles string of each compound.", True),
])
def test_an_acronym_cue_is_matched_as_written_not_stemmed(text, cued):
    taxonomy = default_engine().taxonomy
    found = {taxonomy.ids[column] for column, _, _ in taxonomy.matcher().match(text)}
    assert ("molecular_property_prediction" in found) is cued


def test_an_action_that_is_not_among_the_tasks_cues_is_refused():
    data = shipped()
    enlarge = next(t for t in data["tasks"] if t["id"] == "super_resolution")
    enlarge["actions"].append("make it huge")
    with pytest.raises(ValidationError, match="actions of task 'super_resolution' must be among its cues or keywords"):
        Taxonomy.model_validate(data)


def test_a_cue_cannot_be_both_an_action_and_a_defect():
    data = shipped()
    noise = next(t for t in data["tasks"] if t["id"] == "denoising")
    noise["defects"].append("denoise")  # already an action: what is done, not what is wrong with the input
    with pytest.raises(ValidationError, match="cannot be both an action and a defect: \\['denoise'\\]"):
        Taxonomy.model_validate(data)



def test_a_document_word_that_is_already_a_modality_word_is_refused():
    data = shipped()
    data["documents"] = [*data["documents"], "photo"]
    with pytest.raises(ValidationError, match=r"documents \['photo'\] are already modality or machine words"):
        Taxonomy.model_validate(data)
