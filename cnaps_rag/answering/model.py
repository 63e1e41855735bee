"""Provenance types: every sentence of an answer, the sources it cites and the text it rests on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from .sources import Source

Origin = Literal["source", "question", "template"]


class Evidence(BaseModel):
    """A verbatim span that a statement rests on: from a supplied source, its backing card, or the question."""

    model_config = ConfigDict(frozen=True)

    origin: Origin
    source_id: str | None = None
    via_card: str | None = None
    quote: str


def citable_text(source: "Source") -> str:
    """Everything a source supplies that a quote may come from: its text and its links."""
    return "\n".join([source.text(), *source.urls()])


def source_evidence(source: "Source", quote: str, card: "Source | None" = None) -> Evidence:
    """Evidence from ``source``; attributed to its backing ``card`` when the quote is not the source's own."""
    via = card.id if card is not None and quote not in citable_text(source) else None
    return Evidence(origin="source", source_id=source.id, via_card=via, quote=quote)


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
