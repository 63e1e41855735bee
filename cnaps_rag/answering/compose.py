"""The three-part answer: the task (1), the workflow (2) and the references (3), built from sources only.

No language model writes here: each sentence is assembled from the question and from verbatim
spans of the supplied sources, and records which source it cites and which text it rests on.
``answer()`` checks its own result with ``verify()`` and never returns one that fails.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..errors import GroundingError
from ..ranking import Hit, Ranking, judge_scope
from ..sources import Source, family_keys, readable
from ..question import QuestionAnalysis
from ..tasks import Taxonomy
from ..text import STOPWORDS, normalize, split_sentences, stem_set, stems, with_article
from ..tuning import TUNING, Tuning
from . import phrases
from .model import Answer, Evidence, ListedAs, Reference, Role, Statement, TaskPart
from .verify import verify
from .workflow import build_workflow

_URL_OR_CITATION = re.compile(r"https?://|www\.|\[\d+\]", re.IGNORECASE)


def quotable(text: str) -> bool:
    """Source text that may be quoted: no links and no bracketed numbers that could pose as citations."""
    return not _URL_OR_CITATION.search(text)


class Responder:
    """Turns rankings into answers for one retriever; the engine behind ``answer()`` and ``answer_prompt()``."""

    def __init__(self, taxonomy: Taxonomy, tuning: Tuning = TUNING, k: int | None = None) -> None:
        self.taxonomy = taxonomy
        self.tuning = tuning
        self.k = k if k is not None else tuning.answer.k
        self.max_workflows = tuning.answer.max_workflows

    def respond(self, ranking: Ranking, listed: dict[str, ListedAs] | None = None) -> Answer:
        """The verified answer for a ranking; ``listed`` says which section of a prompt each source came from.

        With ``listed`` (a prompt's own sources) every source is referenced. Without it cnaps_rag
        is the recommender: it references the sources it recommends (see ``recommend``), and when
        nothing bears on the question it lists the best few to show what it looked at.
        """
        hits = ranking.hits if listed is not None else ranking.hits[: self.k]
        scope = judge_scope(Ranking(question=ranking.question, analysis=ranking.analysis, hits=hits), self.tuning.scope)
        if listed is None:
            chosen = recommend(hits, set(scope.relevant), ranking.analysis, self.taxonomy, self.tuning)
            hits = chosen or hits[:3]
        draft = self._compose(ranking, hits, listed, scope.in_scope, scope.reason, set(scope.relevant))
        check = verify(draft, formats=("markdown",))
        if check.ok:
            return draft
        fallback = self._compose(ranking, hits, listed, False, "the answer could not be grounded: " + "; ".join(check.problems[:3]), set())
        if verify(fallback).ok:
            return fallback
        raise GroundingError("; ".join(check.problems[:5]))

    def _compose(self, ranking: Ranking, hits: Sequence[Hit], listed: dict[str, ListedAs] | None,
                 in_scope: bool, reason: str, relevant: set[str]) -> Answer:
        analysis = ranking.analysis
        primary_task = self._primary_task(analysis, hits, relevant) if in_scope else None
        references = []
        for number, hit in enumerate(hits, start=1):
            where: ListedAs = listed.get(hit.source.id, "related") if listed is not None else "retrieved"
            relevant_hit = hit.source.id in relevant
            if not relevant_hit:
                role: Role = "tangential"
            elif where == "recommended" or (where == "retrieved" and hit.source.kind == "model"):
                role = "recommended model"
            else:
                role = "supporting paper"
            references.append(Reference(
                number=number, source=hit.source, role=role, listed_as=where, backing=hit.backing,
                score=hit.score, why=self._why(hit, analysis, role, primary_task),
            ))
        if not in_scope:
            return Answer(
                question=ranking.question,
                task=TaskPart(task_ids=(), task_names=(), statements=(
                    Statement(text=phrases.NOT_COVERED, template=True),)),
                workflow=(),
                references=tuple(references),
                abstained=True,
                abstain_reason=reason,
                hits=tuple(ranking.hits),
            )
        models = [r for r in references if r.role == "recommended model"]
        papers = [r for r in references if r.role == "supporting paper"]
        chosen = _distinct_families(models or papers)[: self.max_workflows]
        flows = []
        for ref in chosen:
            hit = next(h for h in hits if h.source.id == ref.source.id)
            flow = build_workflow(hit.source, hit.backing, analysis, self.taxonomy)
            note = self._variant_reason(hit, analysis)
            if note is not None:
                flow = flow.model_copy(update={"notes": (*flow.notes, note)})
            flows.append(flow)
        task = self._task_part(analysis, [h for h in hits if h.source.id in relevant], primary_task)
        return Answer(
            question=ranking.question, task=task, workflow=tuple(flows), references=tuple(references),
            abstained=False, hits=tuple(ranking.hits),
        )

    def _primary_task(self, analysis: QuestionAnalysis, hits: Sequence[Hit], relevant: set[str]) -> str | None:
        top = [h for h in hits if h.source.id in relevant]
        labelled = set()
        if top:
            labelled = set(top[0].labels)
        ranked = _asked_tasks(analysis, self.taxonomy, self.tuning)
        for task_id in ranked:
            if task_id in labelled:
                return task_id
        return ranked[0] if ranked else (sorted(labelled)[0] if labelled else None)

    def _task_part(self, analysis: QuestionAnalysis, relevant_hits: Sequence[Hit], primary: str | None) -> TaskPart:
        tax = self.taxonomy
        if not relevant_hits or primary is None:
            return TaskPart(task_ids=(), task_names=(), statements=(
                Statement(text=phrases.NOT_COVERED, template=True),))
        top = relevant_hits[0]
        source = top.source
        effective = _effective(top)
        labelled = list(top.labels)
        asked = _asked_tasks(analysis, tax, self.tuning)
        also = [t for t in asked if t != primary and t in labelled]
        suggested = [t for t in labelled if t not in asked and t != primary]
        names = [tax.get(primary).name] + [tax.get(t).name for t in also]
        statements: list[Statement] = []
        label_quotes = _label_quotes(effective, source)
        task_phrase = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        group = tax.get(primary).group
        statements.append(Statement(
            text=f"You are trying to perform {task_phrase} — {group} — which is what {source.name} is for.",
            sources=(source.id,),
            evidence=tuple(_evidence(top, q) for q in label_quotes),
        ))
        cue_phrases = [p for t in [primary, *also] for p in analysis.cues.get(t, ())]
        shown = _question_spans(analysis.question, cue_phrases, analysis.scale_text)
        if shown:
            statements.append(Statement(
                text=f"Your question points there: it speaks of {_join_quoted(shown)}, the vocabulary of {task_phrase}.",
                sources=(source.id,),
                evidence=tuple(Evidence(origin="question", quote=s) for s in shown) + tuple(_evidence(top, q) for q in label_quotes[:1]),
            ))
        covered = {primary, *also}
        extra: list[str] = []
        for other in relevant_hits[1:]:
            # Another relevant model that does a further task the question asks for ("enlarge my grainy photo").
            other_labels = other.labels
            for task_id in [t for t in asked if t in other_labels and t not in covered][:1]:
                task = tax.get(task_id)
                spans = _question_spans(analysis.question, analysis.cues.get(task_id, ()), None)
                asks = f" (“{spans[0]}”)" if spans else ""
                statements.append(Statement(
                    text=f"Your question also asks for {task.name}{asks}, which is what {other.source.name} is for.",
                    sources=(other.source.id,),
                    evidence=tuple(_evidence(other, q) for q in _label_quotes(_effective(other), other.source))
                    + tuple(Evidence(origin="question", quote=q) for q in spans[:1]),
                ))
                covered.add(task_id)
                extra.append(task_id)
        for task_id in suggested[:1]:
            task = tax.get(task_id)
            statements.append(Statement(
                text=f"{source.name} is also built for {task.name}, which suggests the input was {with_article(task.input)} as well.",
                sources=(source.id,),
                evidence=tuple(_evidence(top, q) for q in label_quotes),
            ))
        ids = (primary, *also, *extra)
        return TaskPart(task_ids=ids, task_names=tuple(tax.get(t).name for t in ids), statements=tuple(statements))

    def _why(self, hit: Hit, analysis: QuestionAnalysis, role: Role, primary: str | None) -> Statement:
        tax = self.taxonomy
        source = hit.source
        effective = _effective(hit)
        own_tasks = list(hit.labels) or list(hit.tasks)
        cue_words = {w for phrases in analysis.cues.values() for p in phrases for w in stems(p)}
        shared = _shared_words(analysis.question, effective, cue_words)
        if role != "tangential":
            task_names = [tax.get(t).name for t in own_tasks if t in dict(analysis.top(4))][:2] or [tax.get(t).name for t in own_tasks[:1]]
            reasons = []
            if task_names:
                reasons.append(f"it is about {' and '.join(task_names)}")
            if shared:
                reasons.append(f"it uses the question's words {_join_quoted(shared[:3])}")
            text = f"Bears on the question: {', and '.join(reasons) or 'its text is close to the question'}."
            quotes = _label_quotes(effective, source)[:1] + [_sentence_with(effective, w) for w in shared[:2]]
            return Statement(text=text, sources=(source.id,), evidence=tuple(_evidence(hit, q) for q in quotes if q))
        asked = tax.get(primary).name if primary else "what the question asks"
        subject = tax.get(own_tasks[0]).name if own_tasks else None
        for word in [w for w in shared if stems(w)[0] in cue_words]:
            sentence = _sentence_with(effective, word)
            if sentence:
                about = f"It is about {subject}" if subject else "It is about something else"
                return Statement(
                    text=f"Tangential: it shares “{word}” with your question but in another sense, “{sentence}”. {about}, not {asked}.",
                    sources=(source.id,),
                    evidence=(_evidence(hit, sentence),),
                )
        gist = _gist(effective)
        if subject:
            text = f"Tangential: it is about {subject}, not {asked}" + (f": “{gist}”." if gist else ".")
            quotes = _label_quotes(effective, source)[:1] + ([gist] if gist else [])
            return Statement(text=text, sources=(source.id,), evidence=tuple(_evidence(hit, q) for q in quotes))
        if gist:
            return Statement(text=f"Tangential: it is about something else, “{gist}”, not {asked}.", sources=(source.id,),
                             evidence=(_evidence(hit, gist),))
        return Statement(text=f"Tangential: nothing in {source.name} concerns {asked}.", sources=(source.id,),
                         evidence=(_evidence(hit, source.name),))

    def _variant_reason(self, hit: Hit, analysis: QuestionAnalysis) -> Statement | None:
        name = self.taxonomy.parse_name(hit.source.name)
        if hit.variant <= 0 or not name.follows_convention:
            return None
        reasons, quotes = [], []
        if analysis.scale is not None and name.scale is not None and abs(analysis.scale - name.scale) < 1e-6:
            token = next(t for t, meaning in name.settings() if meaning.startswith("scale"))
            reasons.append(f"you asked for {analysis.scale_text} and its name's {token} setting is that scale")
            quotes.append(analysis.scale_text)
        for task_id, setting in self.taxonomy.settings:
            level = name.levels.get(setting.name)
            if level is None or task_id not in analysis.cues:
                continue
            spans = _question_spans(analysis.question, analysis.cues[task_id], None)[:2]
            task_name = self.taxonomy.get(task_id).name
            reasons.append(f"your question mentions {_join_quoted(spans)} and its name marks a {task_name} model "
                           f"({setting.meaning} {level})")
            quotes += spans
        if not reasons:
            return None
        return Statement(
            text=f"Why this variant, {hit.source.name}: " + "; ".join(reasons) + ".",
            sources=(hit.source.id,),
            evidence=(Evidence(origin="source", source_id=hit.source.id, quote=hit.source.name),)
            + tuple(Evidence(origin="question", quote=q) for q in quotes if q),
        )


def recommend(hits: Sequence[Hit], relevant: set[str], analysis: QuestionAnalysis, taxonomy: Taxonomy,
              tuning: Tuning = TUNING) -> list[Hit]:
    """The hits a recommender would hand on: the best relevant model, further relevant models only
    for other tasks the question asks for, and up to ``max_papers`` relevant papers, in rank order.
    """
    asked = set(_asked_tasks(analysis, taxonomy, tuning))
    max_papers = tuning.answer.max_papers
    chosen: list[Hit] = []
    covered: set[str] = set()
    papers = 0
    for hit in hits:
        if hit.source.id not in relevant:
            continue
        if hit.source.kind == "paper":
            if papers < max_papers:
                chosen.append(hit)
                papers += 1
            continue
        tasks = set(hit.labels) or set(hit.tasks)
        if not chosen or not [h for h in chosen if h.source.kind == "model"]:
            chosen.append(hit)
            covered |= tasks
        elif (tasks & asked) - covered:
            chosen.append(hit)
            covered |= tasks
    return chosen


def _asked_tasks(analysis: QuestionAnalysis, taxonomy: Taxonomy, tuning: Tuning = TUNING) -> list[str]:
    """Tasks the question plausibly asks for, most likely first; an enlargement factor puts its tasks first."""
    ranked = [t for t, p in analysis.top(tuning.question.asked_top) if p >= tuning.question.asked_floor]
    if analysis.scale is not None:
        mask = taxonomy.scale_cue_mask(analysis.scale)
        ranked.sort(key=lambda t: -mask[taxonomy.ids.index(t)])
    return ranked


def _effective(hit: Hit) -> Source:
    """The source as it was ranked: enriched from its card when it came without text of its own."""
    return readable(hit.source, hit.backing)


def _evidence(hit: Hit, quote: str) -> Evidence:
    return Evidence.of(hit.source, quote, hit.backing)


def _label_quotes(effective: Source, source: Source) -> list[str]:
    quotes = [source.name]
    if effective.category:
        quotes.append(effective.category)
    if effective.card and effective.card.title:
        quotes.append(effective.card.title)
    return quotes


def _distinct_families(refs: list[Reference]) -> list[Reference]:
    seen: set[str] = set()
    out = []
    for ref in refs:
        keys = family_keys(ref.source)
        if not keys & seen:
            out.append(ref)
        seen |= keys
    return out


def _question_spans(question: str, phrases: Sequence[str], scale_text: str | None) -> list[str]:
    """The question's own words for each matched cue phrase (so quotes are verbatim)."""
    spans: list[str] = []
    if scale_text:
        match = re.search(re.escape(scale_text).replace("x", "[x×]"), question, re.IGNORECASE) or re.search(
            r"\d+(?:\.\d+)?\s*[x×]|[x×]\s?\d+", question)
        if match:
            spans.append(match.group(0))
    tokens = list(re.finditer(r"[\w'’]+", question))
    stemmed = [stems(t.group(0)) for t in tokens]
    for phrase in phrases:
        key = stems(phrase)
        if not key:
            continue
        flat = [(i, s) for i, parts in enumerate(stemmed) for s in parts]
        for j in range(len(flat) - len(key) + 1):
            if [s for _, s in flat[j : j + len(key)]] == key:
                start, end = tokens[flat[j][0]].start(), tokens[flat[j + len(key) - 1][0]].end()
                span = question[start:end]
                if not any(span.lower() in s.lower() or s.lower() in span.lower() for s in spans):
                    spans.append(span)
                break
    return spans[: TUNING.answer.question_spans]


def _join_quoted(words: Sequence[str]) -> str:
    quoted = [f"“{w}”" for w in words]
    if len(quoted) <= 1:
        return "".join(quoted) or "its wording"
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _shared_words(question: str, source: Source, cue_words: set[str]) -> list[str]:
    """Content words of the question (as written there) that the source's text also uses.

    Words that are task cues of the question come first: they are what a lexical match turns on
    (a paper that says "zoom" meets a question that says "zoom"), then longer, rarer words.
    """
    source_stems = stem_set(source.text())
    found: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z'’]{2,}", question):
        lowered = normalize(word)
        if lowered in STOPWORDS or lowered in _GENERIC:
            continue
        if any(s in source_stems for s in stems(word, drop_stopwords=True)) and lowered not in [f.lower() for f in found]:
            found.append(word)
    found.sort(key=lambda w: (stems(w)[0] not in cue_words, -len(w)))
    return found


_GENERIC = frozenset("""high low keep kept came come look looks looking make made get use used using work works way new
    even still such much many well good better best really very thing things one two also""".split())


def _sentence_with(source: Source, word: str) -> str | None:
    target = set(stems(word))
    for sentence in split_sentences(source.summary or ""):
        if target & set(stems(sentence)) and quotable(sentence) and len(sentence) <= TUNING.answer.quote_max_chars:
            return sentence.rstrip(".")
    return None


_SUBJECT = re.compile(r"\b(we|this paper|stud(?:y|ies|ied)|propos\w*|present\w*|introduc\w*|investigat\w*|aim)\b", re.IGNORECASE)


def _gist(source: Source) -> str | None:
    """The summary sentence that best says what a source is about (its 'we propose / this paper studies')."""
    sentences = [s for s in split_sentences(source.summary or "") if quotable(s) and len(s) <= TUNING.answer.gist_max_chars]
    chosen = next((s for s in sentences if _SUBJECT.search(s) and not s.lower().startswith("this paper does not")), None)
    chosen = chosen or (sentences[0] if sentences else None)
    return chosen.rstrip(".") if chosen else None
