"""The decisions behind an answer: what the question asks, which source is its subject, each source's role.

In a prompt the recommender has already chosen: its listed models are the subject, and one is
called tangential only on strong evidence (its known tasks fit far worse than another listed
model's). A listed model that nothing here describes keeps the recommender's role in an answer,
and it is the subject when the question plainly asks for a task that no described listed model
does. The task comes from the question and the listed models together: the tasks on the table are
the listed models' (their labels and their family cards'), and the question picks among them;
only when none fits does the question alone decide. In catalog mode cnaps_rag is the recommender:
the best relevant model, further models only for further asked tasks, and up to ``max_papers``
relevant papers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..question import QuestionAnalysis
from ..ranking import Hit, Ranking, card_tasks, judge_scope, reads_like_a_task
from ..ranking.fit import fitting_lead, task_fit
from ..sources import Source, readable
from ..tasks import Taxonomy
from ..tuning import TUNING, Tuning
from .model import ListedAs, Role


@dataclass
class Plan:
    """What an answer will say, decided before any sentence is written."""

    in_scope: bool
    reason: str
    hits: list[Hit]
    roles: dict[str, Role] = field(default_factory=dict)
    primary: Hit | None = None
    primary_task: str | None = None
    asked: list[str] = field(default_factory=list)
    listed_fits: bool = True
    seconds: list[tuple[Hit, str]] = field(default_factory=list)


def read(hit: Hit) -> Source:
    """The source as ranked: with the card (or corpus source) that backs it."""
    return readable(hit.source, hit.backing)


def described(hit: Hit) -> bool:
    """True when something beyond the model's name says what it does: a label, a summary or a card.
    What a bare name's embedding resembles is no claim an answer may make."""
    source = read(hit)
    return bool(hit.labels or source.summary or source.card)


def family_tasks(hit: Hit) -> tuple[str, ...]:
    """The tasks of the model's family card, beyond the ones its own labels give."""
    return tuple(t for t in card_tasks(hit) if t not in hit.labels)


def asked_tasks(analysis: QuestionAnalysis, taxonomy: Taxonomy, tuning: Tuning = TUNING) -> list[str]:
    """Tasks the question plausibly asks for, most likely first; an enlargement factor puts its tasks first.

    A question without a single task cue asks for a task only when it is close to that task's own
    texts (so "how do I bake bread?" asks for nothing).
    """
    q = tuning.question
    # A defect of the input named beside an action ("enlarge a grainy photo 4x") ranks below the action's task
    # but is still asked for when it would pass the floor on its own.
    ranked = [t for t, _ in analysis.top(q.asked_top) if analysis.asks_for(t, q.asked_floor)]
    if not analysis.has_cues:
        column = {t: i for i, t in enumerate(analysis.task_ids)}
        ranked = [t for t in ranked if analysis.similarities[column[t]] >= tuning.answer.ask_similarity]
    if analysis.scale is not None:
        mask = taxonomy.scale_cue_mask(analysis.scale)
        ranked.sort(key=lambda t: -mask[taxonomy.ids.index(t)])
    return ranked


def _task_weight(task_id: str, labelled: bool, probability: dict[str, float], tuning: Tuning) -> float:
    """A task's probability for the question, at ``family_share`` when no model is labelled with it and only a
    family card names it."""
    return probability.get(task_id, 0.0) * (1.0 if labelled else tuning.answer.family_share)


def fit(hit: Hit, analysis: QuestionAnalysis, tuning: Tuning = TUNING) -> float:
    """How well a model's known tasks fit the question: the weight (``_task_weight``) of its likeliest task, as the
    ranking reads it (``ranking.fit.task_fit``)."""
    ids, further = analysis.task_ids, set(family_tasks(hit))
    labels = np.array([[t in hit.labels for t in ids]], dtype=np.float32)
    family = np.array([[t in further for t in ids]], dtype=np.float32)
    return float(task_fit(np.asarray(analysis.probabilities, dtype=np.float32), labels, family,
                          tuning.answer.family_share)[0])


def plan(ranking: Ranking, hits: Sequence[Hit], listed: dict[str, ListedAs] | None, taxonomy: Taxonomy,
         tuning: Tuning = TUNING) -> Plan:
    """Decide scope, roles, the primary source and the primary task for an answer."""
    analysis = ranking.analysis
    scope = judge_scope(Ranking(question=ranking.question, analysis=analysis, hits=tuple(hits)), tuning.scope)
    asked = asked_tasks(analysis, taxonomy, tuning)
    # A model that takes none of what the question says goes in is not about it however close its text reads, beside
    # one that takes it: a deblurring model made nothing from "I asked for 'a blurry, dreamy shot of city lights'"
    # when a text-to-image model is there. Beside none, nothing listed fits better, so none is ruled out.
    refusing = _refusing_what_is_given(hits, analysis, taxonomy)
    relevant = {h.source.id for h in hits if h.source.id in scope.relevant and h.source.id not in refusing}
    if listed is None:
        # An abstaining recommender lists no unrelated models.
        chosen = recommend(list(hits), relevant, asked, analysis, tuning)
        result = Plan(in_scope=scope.in_scope and bool(chosen), reason=scope.reason, hits=chosen, asked=asked)
        for hit in chosen:
            result.roles[hit.source.id] = ("recommended model" if hit.source.kind == "model" else
                                           "supporting paper" if hit.source.id in relevant else "tangential")
    else:
        result = _plan_listed(ranking, list(hits), listed, relevant, refusing, asked, taxonomy, tuning)
    if not result.in_scope:
        # No subject, but the task the question asks for still tells each source's line what it is not about.
        result.primary_task = result.asked[0] if result.asked else None
        return result
    asked = result.asked
    models = [h for h in result.hits if result.roles[h.source.id] == "recommended model"]
    papers = [h for h in result.hits if result.roles[h.source.id] == "supporting paper"]
    result.primary = result.primary or (models or papers or [None])[0]
    result.primary_task, result.listed_fits = _primary_task(result, analysis, asked, taxonomy, tuning)
    covered = set(_tasks_of(result.primary)) | {result.primary_task}
    for other in models:
        if other is result.primary:
            continue
        for task_id in [t for t in asked if t in _tasks_of(other) and t not in covered][:1]:
            result.seconds.append((other, task_id))
            covered.add(task_id)
    return result


def _own_tasks(hit: Hit) -> set[str]:
    """What the model itself does: its labels, or without labels its card's tasks for its name."""
    return set(hit.labels or _tasks_of(hit))


def _tasks_of(hit: Hit | None) -> tuple[str, ...]:
    return () if hit is None else tuple(dict.fromkeys((*hit.labels, *family_tasks(hit))))


def _plan_listed(ranking: Ranking, hits: list[Hit], listed: dict[str, ListedAs], relevant: set[str],
                 refusing: set[str], asked: list[str], taxonomy: Taxonomy, tuning: Tuning) -> Plan:
    analysis = ranking.analysis
    about_ai = can_ask_about_ai(analysis, tuning)
    if not about_ai:
        # An everyday request may hold a cue word ("change the oil", "the cabin air filter") that gives a task
        # the asked floor, but without data, a machine or an example it resembles it asks for no task.
        asked = []
    models = [h for h in hits if h.source.kind == "model"]
    fits = {h.source.id: fit(h, analysis, tuning) for h in models}
    # Without a single cue word, the question's task probabilities are only its resemblance to each task's example
    # questions, which is no evidence that one listed model fits and another does not: "check this image for
    # belts, scarves and necklaces" reads slightly more like classification than detection. Relevance and the
    # ranking's score, which read the models' own texts, choose.
    fitting = {h.source.id for h in models
               if asked and analysis.has_cues and fits[h.source.id] >= tuning.question.asked_floor}
    # A model whose task is not plausible for the question (below the table floor) and that is not close to
    # it is no subject, nor is one taking none of what the question says goes in beside one that does, nor
    # one fitting far worse than another (below the tangential share). A model that
    # fits the asked task leads unless its name says another scale than the question asks for (a 3x
    # checkpoint for "twice its size") and a fitting one does not. Below the asked floor a fit is no
    # evidence of what the question asks, so when no model fits, relevance and the ranking's score choose.
    plausible = [h for h in models if (fits[h.source.id] >= tuning.answer.table_floor or h.source.id in relevant)
                 and h.source.id not in refusing]
    top_fit = max((fits[h.source.id] for h in plausible), default=0.0)
    contenders = [h for h in plausible if fits[h.source.id] >= tuning.answer.tangential_ratio * top_fit
                  or h.source.id in relevant]
    best = max(contenders, key=lambda h: (h.source.id in fitting and not _other_scale(h, analysis, taxonomy),
                                          not _treats_only_a_defect(h, analysis, tuning),
                                          fits[h.source.id] if fitting else 0.0, h.source.id in relevant, h.score),
               default=None)
    unknown = [h for h in models if not described(h)]
    nameless = {h.source.id for h in unknown}
    likeliest = (reads_like_a_task(analysis, tuning.scope) or named_task(analysis) or (asked[0] if asked else None)
                 if about_ai else None)
    if unknown and likeliest is not None and (best is None or _does_something_else(
            best, likeliest, fits[best.source.id], best.source.id in relevant, analysis, taxonomy, tuning)):
        # The recommender listed a model that nothing here describes, for a question that asks for a task
        # (reads like its examples, names it, or gives it the asked floor) that the described model plainly
        # does not do: nothing says the unknown one is tangential, so it is the subject.
        best = unknown[0]
    elif (unknown and best is not None and likeliest is None and best.source.id not in relevant
          and fits[best.source.id] < tuning.question.asked_floor):
        # Nor does a described model the question does not ask for become the subject over it when the question
        # asks for no task; when it asks for one that the described model does not plainly not do, that model
        # is still the likelier subject.
        best = None
    roles: dict[str, Role] = {}
    for hit in hits:
        if hit.source.kind != "model":
            roles[hit.source.id] = "supporting paper" if hit.source.id in relevant else "tangential"
            continue
        known = bool(_tasks_of(hit))
        weak = fits[hit.source.id] < tuning.answer.tangential_ratio * fits.get(best.source.id, 0.0) if best else False
        # Nothing says a model known by name only does something else: the recommender's choice stands. Nor does
        # anything say so of a model that does nothing but what the subject itself does (a second text-to-speech
        # model), by their own labels, not their families' other modes.
        if (hit is best or hit.source.id in fitting or (hit.source.id in relevant and not (known and weak))
                or (best is not None and hit.source.id in nameless)
                or (best is not None and known and _own_tasks(hit) <= _own_tasks(best))):
            roles[hit.source.id] = "recommended model"
        else:
            roles[hit.source.id] = "tangential"
    in_scope = any(r != "tangential" for r in roles.values()) and (
        bool(asked) or bool(relevant) or (best is not None and _handles_named_data(best, analysis, taxonomy))
        or (best is not None and best.source.id in nameless))
    if not in_scope:
        roles = {h.source.id: "tangential" for h in hits}
    if best is not None and roles[best.source.id] == "tangential":
        best = None
    order = {"recommended model": 0, "supporting paper": 1, "tangential": 2}
    ordered = sorted(hits, key=lambda h: (order[roles[h.source.id]], h is not best, h.rank))
    reason = "the listed sources cover the question" if in_scope else (
        "none of the listed sources is about this question" + (f" (best: {hits[0].source.name!r})" if hits else ""))
    return Plan(in_scope=in_scope, reason=reason, hits=ordered, roles=roles, primary=best, asked=asked)


def _other_scale(hit: Hit, analysis: QuestionAnalysis, taxonomy: Taxonomy) -> bool:
    """True when the question asks for an enlargement factor and the model's name fixes a different one."""
    if analysis.scale is None:
        return False
    scale = taxonomy.parse_name(hit.source.name).scale
    return scale is not None and not analysis.asks_for_scale(scale)


def _treats_only_a_defect(hit: Hit, analysis: QuestionAnalysis, tuning: Tuning) -> bool:
    """True when the question names an action ("enlarged ... by 3x") and every asked task the model is labelled with
    (or, unlabelled, its card names) is one whose defect the question names of the input ("heavily compressed"):
    the model acting as asked leads, and this one is the second model for the second task."""
    if not analysis.input_defects:
        return False
    probability = dict(zip(analysis.task_ids, analysis.probabilities))
    own = [t for t in _own_tasks(hit) if probability.get(t, 0.0) >= tuning.question.asked_floor]
    return bool(own) and all(t in analysis.input_defects for t in own)


def _does_something_else(hit: Hit, task_id: str, fit: float, relevant: bool, analysis: QuestionAnalysis,
                         taxonomy: Taxonomy, tuning: Tuning) -> bool:
    """True when a described model plainly does not do the asked task, so that a listed model known by name only
    is the likelier subject: it fits far less than the task's probability (below the tangential share), and
    either the ranking does not find it about the question or it runs the task backwards (speech recognition
    for a text-to-speech question). A relevant model of a sibling task (deblurring for a grainy photo) keeps the
    subject: the question is likelier misread than the recommender wrong."""
    probability = float(analysis.probabilities[analysis.task_ids.index(task_id)])
    if fit >= tuning.answer.tangential_ratio * probability:
        return False
    return not relevant or _runs_backwards(hit, task_id, taxonomy)


def _refusing_what_is_given(hits: Sequence[Hit], analysis: QuestionAnalysis, taxonomy: Taxonomy) -> set[str]:
    """Ids of the models whose known tasks all take none of the kinds of data the question says go in, when another
    model's known tasks take some; else none."""
    if not analysis.given:
        return set()
    takes = {h.source.id: any(set(analysis.given) & set(taxonomy.get(t).inputs) for t in known)
             for h in hits if h.source.kind == "model" and (known := [t for t in _tasks_of(h) if t in taxonomy.ids])}
    return {i for i, ok in takes.items() if not ok} if any(takes.values()) else set()


def _runs_backwards(hit: Hit, task_id: str, taxonomy: Taxonomy) -> bool:
    """True when one of the model's tasks takes what ``task_id`` gives and gives what it takes, in another kind
    of data (text from speech for text-to-speech, a caption from a picture for text-to-image)."""
    asked = taxonomy.get(task_id)
    return any(own.modality_out != asked.modality_out and own.modality_out in asked.inputs
               and asked.modality_out in own.inputs
               for own in (taxonomy.get(t) for t in _tasks_of(hit) if t in taxonomy.ids))


def can_ask_about_ai(analysis: QuestionAnalysis, tuning: Tuning = TUNING) -> bool:
    """True when the question can be about what an AI did: it names data ("photo", "voice memo") or a machine
    ("the app", "AI"), or it reads like a task's example questions. An everyday request does none of these,
    even when it holds a task's cue word ("How do I change a car's cabin air filter?")."""
    return bool(analysis.modalities) or analysis.names_a_machine or reads_like_a_task(analysis, tuning.scope) is not None


def named_task(analysis: QuestionAnalysis) -> str | None:
    """The question's likeliest task when the question names it in one of that task's cue phrases
    ("a table of dates and venues" for table question answering), else None."""
    likeliest, _ = analysis.top(1)[0]
    return likeliest if likeliest in analysis.cues else None


def _handles_named_data(hit: Hit, analysis: QuestionAnalysis, taxonomy: Taxonomy) -> bool:
    """True when the question names the kind of data the model takes or gives ("this image", "a voice"):
    a question in no task's words is still about a listed model that handles what it talks about."""
    named = set(analysis.modalities)
    for task_id in _tasks_of(hit):
        task = taxonomy.get(task_id)
        if named & {*task.inputs, task.modality_out}:
            return True
    return False


def _primary_task(result: Plan, analysis: QuestionAnalysis, asked: list[str], taxonomy: Taxonomy,
                  tuning: Tuning) -> tuple[str | None, bool]:
    """The task the answer is about, and whether a listed/recommended model does it."""
    probability = dict(zip(analysis.task_ids, analysis.probabilities))
    table = [t for h in result.hits if result.roles.get(h.source.id) != "tangential" for t in _tasks_of(h)]
    primary_tasks = _tasks_of(result.primary)
    # The subject's own labels first: a denoising variant answers "noisy and compressed" as denoising,
    # though its family card also lists JPEG repair.
    named = [*asked, *(t for t in analysis.cues if t not in asked)]  # likeliest first, then any the question cues
    own = [t for t in named if result.primary is not None and t in result.primary.labels]
    if own:
        return own[0], True
    if result.primary is not None and not described(result.primary) and asked:
        return asked[0], False  # a subject known by name only: the question alone names the task
    if asked and asked[0] in table:
        return asked[0], True
    # Weighed as in ``fit``: a task only a family card names counts ``family_share`` of a labelled one.
    labelled = {t for h in result.hits if result.roles.get(h.source.id) != "tangential" for t in h.labels}
    weight = {t: _task_weight(t, t in labelled, probability, tuning) for t in table}
    # A listed task the question does not name and that runs against the direction the question states (-1 in
    # ``Taxonomy.direction_mask``: text-to-speech for "recognize speech and turn it into text") is not what it asks.
    # Without a stated direction the listed task may still be: "a description of 'a knight in a hall' gave me an
    # image" reads as captioning.
    against = taxonomy.direction_mask(*analysis.direction) if analysis.direction else None
    backwards = {t for t in weight if against is not None and t in taxonomy.ids and against[taxonomy.ids.index(t)] < 0}
    candidates = sorted((t for t in weight if t not in backwards), key=lambda t: (-weight[t], t not in primary_tasks))
    if candidates and probability.get(candidates[0], 0.0) >= tuning.answer.table_floor:
        return candidates[0], True
    if asked:
        return asked[0], False
    return (primary_tasks[0] if primary_tasks else None), True


def recommend(hits: Sequence[Hit], relevant: set[str], asked: Sequence[str], analysis: QuestionAnalysis,
              tuning: Tuning = TUNING) -> list[Hit]:
    """The hits a recommender would hand on: the leading model (when any hit bears on the question),
    further relevant models only for other tasks the question asks for, and up to ``max_papers``
    relevant papers, in rank order after the lead.
    """
    wanted = set(asked)
    chosen: list[Hit] = []
    covered: set[str] = set()
    papers = 0
    models = [h for h in hits if h.source.kind == "model"]
    # When the question is in scope, the best-ranked model leads even if it alone would not pass the
    # relevance gate: on Query1 the ranking's first model was right where the first gated one was
    # wrong 13 times, and the reverse once (19 to 2 on the rewritten questions). Not when the question names
    # its task in cue words and that model's task is not even plausible for it (below the table floor) while
    # a model further down does the task: a Stable Diffusion checkpoint whose summary shares "blends", "natural"
    # and "backgrounds" with a harmonization question does not lead the harmonization model.
    # The ranking keeps that rule (``ranking.fit.fitting_lead``) for its first k; the hits handed on may lie below.
    lead = models[0] if relevant and models else None
    if lead is not None and analysis.has_cues:
        fits = np.array([fit(h, analysis, tuning) for h in hits], dtype=np.float32)
        order = fitting_lead(np.arange(len(hits)), fits, np.array([h.source.kind == "model" for h in hits]), tuning,
                             window=len(hits))
        lead = next(hits[j] for j in order if hits[j].source.kind == "model")
    for hit in ([lead] if lead is not None else []) + [h for h in hits if h is not lead]:
        if hit.source.id not in relevant and hit is not lead:
            continue
        if hit.source.kind == "paper":
            if papers < tuning.answer.max_papers:
                chosen.append(hit)
                papers += 1
            continue
        tasks = set(hit.labels) or set(hit.tasks)
        if not any(h.source.kind == "model" for h in chosen):
            chosen.append(hit)
            covered |= tasks
        elif (tasks & wanted) - covered:
            chosen.append(hit)
            covered |= tasks
    return chosen
