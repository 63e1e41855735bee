"""The sentences of part 1 (how, then the task) and of part 3 (why each source is listed).

Each sentence is assembled from verbatim spans of a source or its card, cites that source, and
names the taxonomy terms it uses (so a task's own name, such as "3D reconstruction", is never
mistaken for a number the sources must contain). Wording rules come from the answer voice: the
mechanism first, the task named once, no echo of the user's words as evidence, no "X, not X",
no reason resting on filler words.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..question import QuestionAnalysis
from ..ranking import Hit
from ..sources import Source
from ..tasks import Task, Taxonomy
from ..text import stems, with_article
from ..tuning import TUNING, AnswerTuning
from . import phrases
from .choose import Plan, described, family_tasks, read
from .model import Evidence, Role, Statement
from .spans import gist, join_names, join_quoted, overlap, question_spans, sentence_with, sentences, shared_cue_words


def evidence(hit: Hit, quote: str) -> Evidence:
    """Evidence from the hit's source, attributed to its backing card when the quote is the card's."""
    return Evidence.of(hit.source, quote, hit.backing)


def label_quotes(hit: Hit) -> list[str]:
    """Verbatim labels of a source: its name, its category, its card's title."""
    source = read(hit)
    quotes = [hit.source.name]
    if source.category:
        quotes.append(source.category)
    if source.card and source.card.title:
        quotes.append(source.card.title)
    return quotes


def mechanism(hit: Hit, analysis: QuestionAnalysis, taxonomy: Taxonomy, task: Task | None = None,
              tuning: AnswerTuning = TUNING.answer, asked: Sequence[str] = (),
              does_task: bool = True) -> list[Statement]:
    """The "how?" in plain words: what the checkpoint's version in its name is, when the card's description of it
    meets the question (an impressionist look from the ImpressionismOil fine-tune); then the card's mechanisms, the
    one that best meets the question and its task first (led by the mode the card says serves the task, if any);
    else its gist, else the summary sentence that says what the model does. Why a mode works is said only when the
    mode serves the task or another task the question asks (``asked``): SwinIR's residual learning explains a
    noise-free result, not an enlargement alone. A model that does not do the task (``does_task`` false) is not said
    to do "this": its mechanism is what it does instead."""
    source = read(hit)
    card = source.card
    if card is not None and card.why_it_works:
        wanted = f"{analysis.question} {task.name} {' '.join(task.cues)}" if task else analysis.question
        served = [s.why or s.text for s in card.branches_serving(task.id if task else None)][:1]
        modes = [s.why for s in card.branches_serving(*({task.id} if task else set()), *asked) if s.why]
        ordered = list(dict.fromkeys(served + sorted([*card.why_it_works, *modes], key=lambda s: -overlap(wanted, s))))
        version = variant_lead(hit, analysis, taxonomy, tuning)
        first = "How it does this: " if does_task else "What it does instead: "
        leads = (first,) if version else (first, "Besides, ")
        return ([version] if version else []) + [
            Statement(text=f"{lead}{_lower_first(text, card.names)}", sources=(hit.source.id,),
                      evidence=(evidence(hit, text),)) for lead, text in zip(leads, ordered)]
    found = gist(source)
    if found is None:
        return []
    if card is not None and card.gist:
        return [Statement(text=f"How it works, in short: {_lower_first(found, card.names)}.", sources=(hit.source.id,),
                          evidence=(evidence(hit, found),))]
    return [Statement(text=f"How it works, in its summary's words: “{found}”.", sources=(hit.source.id,),
                      evidence=(evidence(hit, found),))]


def variant_lead(hit: Hit, analysis: QuestionAnalysis, taxonomy: Taxonomy,
                 tuning: AnswerTuning = TUNING.answer) -> Statement | None:
    """What the version in the model's name is ("What ImpressionismOil in the name means: …"), when its card
    description shares ``variant_lead_overlap`` content words with the question; scales and released levels (x4,
    Jpeg40) are not versions of this kind: the variant note of part 2 gives them."""
    card = read(hit).card
    if card is None:
        return None
    settled = taxonomy.parse_name(hit.source.name).setting_tokens
    scored = [(overlap(analysis.question, v.text, words_only=True), v) for v in card.variants_in(hit.source.name)
              if v.token.lower() not in settled]
    shared, best = max(scored, key=lambda pair: pair[0], default=(0, None))
    if best is None or shared < tuning.variant_lead_overlap:
        return None
    return Statement(text=variant_meaning(best.token, best.text), sources=(hit.source.id,),
                     evidence=(evidence(hit, best.token), evidence(hit, best.text)))


def variant_meaning(token: str, text: str) -> str:
    """The sentence saying what a version token in a model's name means, the same in part 1 and in part 2."""
    return f"What {token} in the name means: {text}"


def task_statements(plan: Plan, analysis: QuestionAnalysis, taxonomy: Taxonomy) -> list[Statement]:
    """Part 1 after the mechanism: the task named once, the model's relation to it, further asked tasks."""
    hit, task_id = plan.primary, plan.primary_task
    if hit is None or task_id is None:
        return []
    task = taxonomy.get(task_id)
    name = hit.source.name
    quotes = label_quotes(hit)
    out: list[Statement] = []
    terms = (task.name, task.group)
    if not plan.listed_fits:
        relation = (f"none of the listed models is built for it, so the closest one, {name}, is described below"
                    if described(hit) else f"the sources do not say whether {name}, listed with its name and links "
                    "only, does it, and no other listed model is built for it")
        out.append(Statement(
            text=f"Your question asks for {task.name} ({task.group}); {relation}.",
            sources=(hit.source.id,), evidence=tuple(evidence(hit, q) for q in quotes), terms=terms))
        return out
    opening = f"The task here is {task.name}, one of the {task.group} tasks"
    if task_id in hit.labels:
        text = f"{opening}, and it is what {name} is built for."
    elif task_id in family_tasks(hit):
        family = read(hit).card
        own = [taxonomy.get(t).name for t in hit.labels]
        family_name = family.title if family and family.title else name
        text = f"{opening}; the model family of {name} ({family_name}) is built for it"
        text += f", and {name} itself is its {join_names(own)} model." if own else "."
        terms += tuple(taxonomy.get(t).name for t in hit.labels)
    else:
        text = f"{opening}, and {name} is the listed model for it."
    out.append(Statement(text=text, sources=(hit.source.id,), evidence=tuple(evidence(hit, q) for q in quotes),
                         terms=terms))
    for other, other_task in plan.seconds:
        spans = question_spans(analysis.question, analysis.cues.get(other_task, ()))
        asks = f" (“{spans[0]}”)" if spans else ""
        second = taxonomy.get(other_task)
        out.append(Statement(
            text=f"Your question also asks for {second.name}{asks}, which is what {other.source.name} is for.",
            sources=(other.source.id,), terms=(second.name,),
            evidence=tuple(evidence(other, q) for q in label_quotes(other))
            + tuple(Evidence(origin="question", quote=q) for q in spans[:1])))
    covered = {task_id, *(t for _, t in plan.seconds)}
    own_said = task_id not in hit.labels and task_id in family_tasks(hit)
    for extra in [t for t in hit.labels if t not in covered and t not in plan.asked and not own_said][:1]:
        other = taxonomy.get(extra)
        out.append(Statement(
            text=f"{name} is also built for {other.name}, which takes {with_article(other.input)}.",
            sources=(hit.source.id,), evidence=tuple(evidence(hit, q) for q in quotes), terms=(other.name, other.input)))
    return out


def reason(hit: Hit, role: Role, plan: Plan, analysis: QuestionAnalysis, taxonomy: Taxonomy) -> Statement:
    """Part 3's one line on a source: what it does (its card's gist, its summary's gist) and why it is listed."""
    source = read(hit)
    name_only = not described(hit)
    own = [taxonomy.get(t).name for t in hit.labels] or [taxonomy.get(t).name for t in hit.tasks[:1] if not name_only]
    asked = taxonomy.get(plan.primary_task).name if plan.primary_task else None
    found = gist(source)
    if role != "tangential":
        about = f"it is about {join_names(own[:2])}" if own else None
        if found and source.card is not None and source.card.gist:
            text = f"What it does: {_lower_first(found, source.card.names)}."
        elif found:
            text = f"What it does, in its summary's words: “{found}”."
        elif name_only:
            return Statement(text=phrases.NAME_ONLY, template=True)
        else:
            text = f"Listed for the question: {about}." if about else f"Listed for the question as {hit.source.name}."
        quotes = [found] if found else label_quotes(hit)[:2]
        return Statement(text=text, sources=(hit.source.id,), evidence=tuple(evidence(hit, q) for q in quotes),
                         terms=tuple(own[:2]))
    subject = own[0] if own else None
    contrast = f", while your question is about {asked}" if asked and subject and asked != subject else ""
    cue_words = {w for phrases in analysis.cues.values() for p in phrases for w in stems(p)}
    for word in shared_cue_words(analysis.question, source, cue_words):
        sentence = sentence_with(source, word)
        if sentence:
            about = f" It is about {subject}{contrast}." if subject else ""
            return Statement(text=f"It uses “{word}” in another sense: “{sentence}”.{about}", sources=(hit.source.id,),
                             evidence=(evidence(hit, sentence),), terms=tuple(t for t in (subject, asked) if t))
    if found and subject:
        text = f"It is about {subject}{contrast}: “{found}”."
    elif found:
        text = f"It is about something else: “{found}”."
    elif subject:
        text = f"It is about {subject}{contrast}."
    elif name_only:
        return Statement(text=phrases.NAME_ONLY, template=True)
    else:
        text = f"Nothing in {hit.source.name} concerns the question."
    quotes = ([found] if found else []) + label_quotes(hit)[:1]
    return Statement(text=text, sources=(hit.source.id,), evidence=tuple(evidence(hit, q) for q in quotes),
                     terms=tuple(t for t in (subject, asked) if t))


def variant_reason(hit: Hit, analysis: QuestionAnalysis, taxonomy: Taxonomy) -> Statement | None:
    """Why this variant of a family fits the question: the scale or the level its name carries."""
    name = taxonomy.parse_name(hit.source.name)
    if hit.variant <= 0 or not name.follows_convention:
        return None
    reasons, quotes = [], []
    if analysis.asks_for_scale(name.scale):
        token = next(t for t, meaning in name.settings() if meaning.startswith("scale"))
        reasons.append(f"you asked for {analysis.scale_text} and its name's {token} setting is that scale")
        quotes.append(analysis.scale_text)
    terms: list[str] = []
    for task_id, setting in taxonomy.settings:
        level = name.levels.get(setting.name)
        if level is None or task_id not in analysis.cues:
            continue
        spans = question_spans(analysis.question, analysis.cues[task_id])[:2]
        task_name = taxonomy.get(task_id).name
        terms.append(task_name)
        reasons.append(f"your question mentions {join_quoted(spans)} and its name marks {with_article(task_name)} model "
                       f"({setting.meaning} {level})")
        quotes += spans
    if not reasons:
        return None
    return Statement(
        text=f"Why this variant, {hit.source.name}: " + "; ".join(reasons) + ".",
        sources=(hit.source.id,), terms=tuple(terms),
        evidence=(Evidence(origin="source", source_id=hit.source.id, quote=hit.source.name),)
        + tuple(Evidence(origin="question", quote=q) for q in quotes if q),
    )


def summary_sentences(source: Source) -> list[str]:
    """The quotable sentences of a source's summary."""
    return sentences(source.summary, TUNING.answer.quote_max_chars)


def _lower_first(text: str, names: Sequence[str] = ()) -> str:
    """'The model …' -> 'the model …' for a clause after a colon; acronyms ('SwinIR', 'A 3x3') and a sentence
    that opens with one of the model's ``names`` ('Bark goes straight from text…') stay."""
    first = text.split(" ", 1)[0].rstrip(",;:")
    if any(re.match(rf"{re.escape(name)}\b", text) for name in names if name):
        return text
    if first.replace("-", "").isalpha() and first[0].isupper() and (len(first) == 1 or first[1:].islower()) and first != "I":
        return text[0].lower() + text[1:]
    return text
