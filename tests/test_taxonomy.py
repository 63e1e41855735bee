"""The task taxonomy refuses data that would make question analysis unreliable."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from cnaps_rag import Taxonomy, default_engine


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
