"""The three-part answer, assembled: the task (1), the workflow (2) and the references (3).

No language model writes here: ``choose`` decides what the answer is about, ``sentences`` and
``workflow`` write each sentence from verbatim spans, and every sentence is checked on its own
before the answer is put together. A sentence that fails its check is left out and the answer
says so in ``notes``; ``verify()`` stays strict on the whole. A well-formed input always gets an
answer: when even the checked draft fails, a minimal answer of fixed phrases is returned.
"""

from __future__ import annotations

from itertools import islice
from typing import Sequence

from ..errors import GroundingError
from ..question import QuestionAnalysis
from ..ranking import Hit, Ranking, is_relevant
from ..sources import family_keys
from ..tasks import Taxonomy
from ..tuning import TUNING, Tuning
from . import phrases
from .choose import Plan, plan
from .model import Answer, Evidence, ListedAs, Reference, Statement, TaskPart, Workflow
from .sentences import mechanism, reason, task_statements, variant_reason
from .verify import statement_problems, verify
from .workflow import build_workflow


class Responder:
    """Turns rankings into verified answers with one taxonomy and tuning."""

    def __init__(self, taxonomy: Taxonomy, tuning: Tuning = TUNING, k: int | None = None) -> None:
        self.taxonomy = taxonomy
        self.tuning = tuning
        self.k = k if k is not None else tuning.answer.k

    def respond(self, ranking: Ranking, listed: dict[str, ListedAs] | None = None) -> Answer:
        """The verified answer for a ranking; ``listed`` says which section of a prompt each source came from.

        With ``listed`` (a prompt's own sources) every source is referenced and the listed models
        are the subject. Without it cnaps_rag is the recommender (see ``choose.recommend``).
        """
        if listed is not None:
            hits = list(ranking.hits)
        else:
            # The recommender hands on the best k sources that bear on the question; ranked sources that
            # do not (a diffusion paper that merely says "noise") must not crowd out the denoiser below them.
            hits = list(ranking.hits[: self.k])
            if not any(is_relevant(h, ranking.analysis, self.tuning.scope) for h in hits):
                # None of the top k bears on it, so the first k that do lie below them; stop at k.
                below = (h for h in ranking.hits[self.k:] if is_relevant(h, ranking.analysis, self.tuning.scope))
                hits = list(islice(below, self.k)) or hits
        decided = plan(ranking, hits, listed, self.taxonomy, self.tuning)
        draft = self._compose(ranking, decided, listed)
        check = verify(draft, formats=("markdown",))
        if check.ok:
            return draft
        minimal = self._minimal(ranking, decided, listed, "the answer could not be grounded: " + "; ".join(check.problems[:3]))
        if verify(minimal).ok:
            return minimal
        raise GroundingError("; ".join(check.problems[:5]))

    def _compose(self, ranking: Ranking, decided: Plan, listed: dict[str, ListedAs] | None) -> Answer:
        analysis = ranking.analysis
        references = self._references(decided, listed, analysis)
        if not decided.in_scope:
            return self._abstain(ranking, references, decided.reason)
        dropped: list[str] = []
        context = _Context(references, ranking.question)
        flows = []
        chosen = [h for h in decided.hits if decided.roles[h.source.id] == "recommended model"]
        chosen = chosen or [h for h in decided.hits if decided.roles[h.source.id] == "supporting paper"]
        if decided.primary is not None and decided.primary in chosen:
            chosen.remove(decided.primary)
            chosen.insert(0, decided.primary)
        second_ids = {h.source.id for h, _ in decided.seconds}
        chosen = [h for h in chosen if h is decided.primary or h.source.id in second_ids] or chosen[:1]
        for hit in _distinct_families(chosen)[: self.tuning.answer.max_workflows]:
            task_id = next((t for h, t in decided.seconds if h is hit), decided.primary_task)
            flow = build_workflow(hit.source, hit.backing, analysis, self.taxonomy, task_id)
            note = variant_reason(hit, analysis, self.taxonomy)
            if note is None and _has_siblings(hit, ranking.hits, task_id):
                note = Statement(text=phrases.VARIANT_OPEN.format(name=hit.source.name), sources=(hit.source.id,),
                                 evidence=(Evidence.of(hit.source, hit.source.name),))
            if note is not None:
                flow = flow.model_copy(update={"notes": (*flow.notes, note)})
            flows.append(context.keep_flow(flow, dropped))
        statements: list[Statement] = []
        if decided.primary is not None:
            task = self.taxonomy.get(decided.primary_task) if decided.primary_task else None
            statements += mechanism(decided.primary, analysis, self.taxonomy, task, self.tuning.answer,
                                    asked=decided.asked, does_task=decided.listed_fits)
            # A version that opens part 1 is not said again in part 2's notes.
            said = {statement.text for statement in statements}
            flows = [flow.model_copy(update={"notes": tuple(n for n in flow.notes if n.text not in said)})
                     for flow in flows]
        # When no listed model does the asked task, the answer says so first, before what the closest one does.
        told = task_statements(decided, analysis, self.taxonomy)
        statements = statements + told if decided.listed_fits else told + statements
        statements = context.keep(statements, dropped)
        if not statements:
            statements = [Statement(text=phrases.NO_TASK_SENTENCE, template=True)]
        task_ids = tuple(t for t in (decided.primary_task, *(t for _, t in decided.seconds)) if t)
        notes = tuple(f"left out a sentence that failed its check: {problem}" for problem in dropped)
        return Answer(
            question=ranking.question,
            task=TaskPart(task_ids=task_ids, task_names=tuple(self.taxonomy.get(t).name for t in task_ids),
                          statements=tuple(statements)),
            workflow=tuple(flows), references=tuple(references), abstained=False, hits=tuple(ranking.hits),
            notes=notes,
        )

    def _references(self, decided: Plan, listed: dict[str, ListedAs] | None, analysis: QuestionAnalysis) -> list[Reference]:
        references = []
        context = _Context([], analysis.question)
        for number, hit in enumerate(decided.hits, start=1):
            where: ListedAs = listed.get(hit.source.id, "related") if listed is not None else "retrieved"
            role = decided.roles[hit.source.id]
            why = reason(hit, role, decided, analysis, self.taxonomy)
            ref = Reference(number=number, source=hit.source, role=role, listed_as=where, backing=hit.backing,
                            score=hit.score, why=why)
            context.references.append(ref)
            if context.problems(why):
                ref = ref.model_copy(update={"why": Statement(text=phrases.LISTED_ONLY, template=True)})
                context.references[-1] = ref
            references.append(ref)
        return references

    def _abstain(self, ranking: Ranking, references: list[Reference], reason_text: str) -> Answer:
        return Answer(
            question=ranking.question,
            task=TaskPart(task_ids=(), task_names=(), statements=(Statement(text=phrases.NOT_COVERED, template=True),)),
            workflow=(), references=tuple(references), abstained=True, abstain_reason=reason_text,
            hits=tuple(ranking.hits),
        )

    def _minimal(self, ranking: Ranking, decided: Plan, listed: dict[str, ListedAs] | None, reason_text: str) -> Answer:
        references = [
            Reference(number=n, source=h.source, role=decided.roles.get(h.source.id, "tangential"),
                      listed_as=(listed.get(h.source.id, "related") if listed is not None else "retrieved"),
                      backing=h.backing, score=h.score, why=Statement(text=phrases.LISTED_ONLY, template=True))
            for n, h in enumerate(decided.hits, start=1)
        ]
        return self._abstain(ranking, references, reason_text)


class _Context:
    """Checks single statements against the references they may cite, before the answer exists."""

    def __init__(self, references: list[Reference], question: str) -> None:
        self.references = references
        self.question = question

    def problems(self, statement: Statement) -> list[str]:
        sources = {r.source.id: r.source for r in self.references}
        cards = {r.source.id: r.backing for r in self.references if r.backing is not None}
        return statement_problems(statement, sources, cards, self.question)

    def keep(self, statements: Sequence[Statement], dropped: list[str]) -> list[Statement]:
        kept = []
        for statement in statements:
            problems = self.problems(statement)
            if problems:
                dropped.append(problems[0])
            else:
                kept.append(statement)
        return kept

    def keep_flow(self, flow: Workflow, dropped: list[str]) -> Workflow:
        nodes = []
        for node in flow.nodes:
            problems = self.problems(node.statement)
            if problems:
                dropped.append(problems[0])
                node = node.model_copy(update={"statement": Statement(text=phrases.STEP_UNCHECKED, template=True)})
            nodes.append(node)
        return flow.model_copy(update={"nodes": tuple(nodes), "notes": tuple(self.keep(flow.notes, dropped))})


def _has_siblings(hit: Hit, hits: Sequence[Hit], task_id: str | None) -> bool:
    """True when the ranking holds another released variant of the hit's card family that also does ``task_id``:
    a sibling fine-tuned for another mode (a captioning checkpoint beside a VQA one) leaves no choice open."""
    card = hit.backing.card.library_id if hit.backing is not None and hit.backing.card is not None else None
    if card is None:
        return False
    return any(h.source.id != hit.source.id and h.backing is not None and h.backing.card is not None
               and h.backing.card.library_id == card and (task_id is None or task_id in h.labels) for h in hits)


def _distinct_families(hits: list[Hit]) -> list[Hit]:
    seen: set[str] = set()
    out = []
    for hit in hits:
        keys = family_keys(hit.source)
        if hit.backing is not None and hit.backing.card is not None and hit.backing.card.library_id:
            keys = keys | {"card:" + hit.backing.card.library_id}
        if not keys & seen:
            out.append(hit)
        seen |= keys
    return out
