"""Deciding whether the supplied sources bear on a question at all, so an answer can abstain.

The best-ranked source always exists; whether it is *relevant* is a separate decision. A question
is in scope when the top source is plainly about it: the question names it, or its embedding is
close enough, or the question's task cues point at a task the source is labelled with, or the
question reads like the example questions of its likeliest task and the source does that task. The
thresholds (``tuning.ScopeTuning``) were calibrated on labelled in-scope and out-of-scope
questions (tests/data); the README reports both error rates.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..question import QuestionAnalysis
from ..sources import readable
from ..tuning import TUNING, ScopeTuning
from .retriever import Hit, Ranking


class Scope(BaseModel):
    """The verdict on one ranking: in scope or not, and the reason in words."""

    model_config = ConfigDict(frozen=True)

    in_scope: bool
    reason: str
    relevant: tuple[str, ...] = ()


def is_relevant(hit: Hit, analysis: QuestionAnalysis, tuning: ScopeTuning = TUNING.scope) -> bool:
    """True when this hit, on its own, bears on the question.

    Any of: the question names it; its text is close to the question; the question speaks in
    task terms and the hit matches them; the question's cues name a task the hit is labelled
    with (a denoiser bears on "enlarge my grainy photo", even though enlarging dominates); or the
    question reads like the examples of its likeliest task, which the hit does (``close_to_examples``).
    """
    if hit.name > 0:
        return True
    if hit.dense >= tuning.dense_threshold:
        return True
    if hit.dense < tuning.task_dense_floor:
        return False
    if analysis.has_cues and hit.task >= tuning.task_threshold:
        return True
    tasks = (*hit.labels, *card_tasks(hit))
    if any(task in analysis.cues for task in tasks):
        return True
    return close_to_examples(analysis, tasks, tuning)


def close_to_examples(analysis: QuestionAnalysis, tasks: tuple[str, ...], tuning: ScopeTuning = TUNING.scope) -> bool:
    """True when the question's likeliest task is one of ``tasks`` and the question reads like that
    task's example questions, cue words or not ("read this paragraph aloud for my podcast intro" is
    a text-to-speech request in none of its words)."""
    likeliest = reads_like_a_task(analysis, tuning)
    return likeliest is not None and likeliest in tasks


def reads_like_a_task(analysis: QuestionAnalysis, tuning: ScopeTuning = TUNING.scope) -> str | None:
    """The question's likeliest task when the question reads like that task's example questions
    (no everyday question does, see ``ScopeTuning.example_threshold``), else None."""
    likeliest, _ = analysis.top(1)[0]
    similarity = analysis.similarities[analysis.task_ids.index(likeliest)]
    return likeliest if similarity >= tuning.example_threshold else None


def card_tasks(hit: Hit) -> tuple[str, ...]:
    """The tasks of the card that backs the hit: a JPEG variant of SwinIR still bears on enlarging,
    but a checkpoint fine-tuned for one task (``dslim/bert-base-NER``) does only that one."""
    card = readable(hit.source, hit.backing).card
    return card.tasks_for(hit.source.name) if card is not None else ()


def judge_scope(ranking: Ranking, tuning: ScopeTuning = TUNING.scope) -> Scope:
    """In scope when at least one hit bears on the question; lists the ids of those that do."""
    if not ranking.hits:
        return Scope(in_scope=False, reason="no sources were supplied")
    relevant = tuple(h.source.id for h in ranking.hits if is_relevant(h, ranking.analysis, tuning))
    if relevant:
        return Scope(in_scope=True, reason="the top source matches the question", relevant=relevant)
    top = ranking.hits[0]
    return Scope(
        in_scope=False,
        reason=(
            f"none of the supplied sources is about this question (best: {top.source.name!r}, "
            f"similarity {top.dense:.2f}, task match {top.task:.2f})"
        ),
    )
