"""The lay example questions written for each task (``corpus/examples/<task>.json``): their format and loader.

They are the taxonomy's nearest-neighbour vote (``Taxonomy.task_similarity``) and the source of the request verbs a
question may open with; ``load_taxonomy`` reads them beside ``tasks.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import CorpusError
from .files import read_json


class ExampleFile(BaseModel):
    """``corpus/examples/<task>.json``: lay example questions written for one task."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str
    questions: tuple[str, ...] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _no_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() for v in values):
            raise ValueError("must not contain blank questions")
        return values


def load_examples(directory: Path, task_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The example questions below ``directory``, per task id; an unknown task is an error naming the file."""
    found: dict[str, tuple[str, ...]] = {}
    for file in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            example = ExampleFile.model_validate(read_json(file, "example questions file"))
        except ValidationError as exc:
            raise CorpusError(f"{file}: field '{'.'.join(map(str, exc.errors()[0]['loc']))}': {exc.errors()[0]['msg']}") from None
        if example.task not in task_ids:
            raise CorpusError(f"{file}: task {example.task!r} is not in the taxonomy")
        found[example.task] = found.get(example.task, ()) + example.questions
    return found
