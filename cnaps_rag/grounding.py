"""Provenance types: every sentence of an answer, the sources it cites and the text it rests on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Origin = Literal["source", "question", "template"]


class Evidence(BaseModel):
    """A verbatim span that a statement rests on: from a supplied source, its backing card, or the question."""

    model_config = ConfigDict(frozen=True)

    origin: Origin
    source_id: str | None = None
    via_card: str | None = None
    quote: str


class Statement(BaseModel):
    """One sentence of the answer with its citations (source ids) and evidence.

    ``template`` sentences are fixed phrasing of cnaps_rag itself (e.g. "The supplied sources do
    not cover this question."); every other sentence cites at least one supplied source.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    sources: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    template: bool = False


TEMPLATE_PHRASES = frozenset(
    {
        "The supplied sources do not cover this question.",
        "The supplied sources describe no model for this question, so there is no workflow to show.",
        "The sources give this model's name and links only; they do not describe how it works.",
        "No supplied source bears on this question; they are listed for completeness.",
    }
)
