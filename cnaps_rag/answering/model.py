"""The result types of an answer: sentences with provenance, workflows, references and the Answer.

Every sentence is a ``Statement``: its text, the source ids it cites and the verbatim spans
(``Evidence``) it rests on. Types only; building them is ``compose``'s job, checking them
``verify``'s and showing them ``render``'s.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..ranking import Hit
from ..sources import Source, citable_text

Origin = Literal["source", "question", "template"]
NodeKind = Literal["input", "pre", "model", "post", "output"]
Role = Literal["recommended model", "supporting paper", "tangential"]
ListedAs = Literal["recommended", "related", "retrieved"]
Format = Literal["markdown", "text", "html"]


class Evidence(BaseModel):
    """A verbatim span that a statement rests on: from a supplied source, its backing card, or the question."""

    model_config = ConfigDict(frozen=True)

    origin: Origin
    source_id: str | None = None
    via_card: str | None = None
    quote: str

    @classmethod
    def of(cls, source: Source, quote: str, card: Source | None = None) -> "Evidence":
        """Evidence from ``source``; attributed to its backing ``card`` when the quote is not the source's own."""
        via = card.id if card is not None and quote not in citable_text(source) else None
        return cls(origin="source", source_id=source.id, via_card=via, quote=quote)


class Statement(BaseModel):
    """One sentence of the answer with its citations (source ids) and evidence.

    ``terms`` are taxonomy words the sentence uses ("3D reconstruction"): cnaps_rag's vocabulary,
    not claims, so ``verify`` does not look for their numbers in the sources.
    ``template`` sentences are fixed phrasing of cnaps_rag itself (e.g. "The supplied sources do
    not cover this question."); every other sentence cites at least one supplied source.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    sources: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    template: bool = False
    terms: tuple[str, ...] = ()


class Node(BaseModel):
    """One step of a workflow: what kind of step, its label, the data it handles and what happens there."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: NodeKind
    label: str
    data_type: str | None = None
    statement: Statement
    branch: str | None = None


class Workflow(BaseModel):
    """The workflow of one model: nodes in reading order, the edges between them (alternative modes
    are branches), notes on variant and fit, and how much the sources said (a card, a summary, a name)."""

    model_config = ConfigDict(frozen=True)

    source_id: str
    model_name: str
    coverage: Literal["card", "summary", "name"]
    nodes: tuple[Node, ...]
    links: tuple[tuple[str, str], ...] = ()
    notes: tuple[Statement, ...] = ()
    card: str | None = None

    @property
    def edges(self) -> list[tuple[str, str]]:
        """(from, to) node ids; without explicit links each step feeds the next."""
        if self.links:
            return list(self.links)
        return [(a.id, b.id) for a, b in zip(self.nodes, self.nodes[1:])]

    def statements(self) -> list[Statement]:
        """Every statement of the workflow, in reading order."""
        return [n.statement for n in self.nodes] + list(self.notes)


class Reference(BaseModel):
    """One supplied source in part 3: its number, role, links as supplied and why it does or does not bear on the question."""

    model_config = ConfigDict(frozen=True)

    number: int
    source: Source
    role: Role
    listed_as: ListedAs
    why: Statement
    backing: Source | None = None
    score: float


class TaskPart(BaseModel):
    """Part 1: the task the user is performing, as task ids and cited sentences."""

    model_config = ConfigDict(frozen=True)

    task_ids: tuple[str, ...]
    task_names: tuple[str, ...]
    statements: tuple[Statement, ...]


class Answer(BaseModel):
    """A grounded three-part answer with per-sentence provenance and the retrieval hits behind it."""

    model_config = ConfigDict(frozen=True)

    question: str
    task: TaskPart
    workflow: tuple[Workflow, ...]
    references: tuple[Reference, ...]
    abstained: bool
    abstain_reason: str | None = None
    hits: tuple[Hit, ...]
    notes: tuple[str, ...] = ()

    def number(self, source_id: str) -> int:
        """The citation number [n] of a source."""
        for ref in self.references:
            if ref.source.id == source_id:
                return ref.number
        raise KeyError(f"source {source_id!r} is not among this answer's references")

    def statements(self) -> list[Statement]:
        """Every sentence of parts 1-3 in reading order."""
        out = list(self.task.statements)
        for flow in self.workflow:
            out += flow.statements()
        out += [ref.why for ref in self.references]
        return out

    def provenance(self) -> list[dict[str, object]]:
        """Per sentence: its text, the citation numbers, the source ids and the verbatim text it rests on."""
        rows = []
        for statement in self.statements():
            rows.append({
                "text": statement.text,
                "citations": [self.number(s) for s in statement.sources],
                "sources": list(statement.sources),
                "evidence": [e.model_dump() for e in statement.evidence],
                "template": statement.template,
            })
        return rows

    def render(self, fmt: Format = "markdown") -> str:
        """The answer as Markdown (with a Mermaid flowchart per workflow), plain text or an HTML fragment."""
        from .render import render

        return render(self, fmt)

    def to_markdown(self) -> str:
        """The answer as Markdown, with a Mermaid flowchart per workflow."""
        return self.render("markdown")

    def to_text(self) -> str:
        """The answer as plain text."""
        return self.render("text")

    def to_html(self) -> str:
        """The answer as an HTML fragment; all source and question text is escaped."""
        return self.render("html")
