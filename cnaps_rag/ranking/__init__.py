"""Ranking: the signal registry, the retriever that fuses the signals, and the scope judgement."""

from .retriever import Hit, Ranking, Retriever, check_question
from .scope import Scope, card_tasks, is_relevant, judge_scope, reads_like_a_task

__all__ = ["Hit", "Ranking", "Retriever", "Scope", "card_tasks", "check_question", "is_relevant", "judge_scope",
           "reads_like_a_task"]
