"""The task taxonomy (data in ``corpus/tasks.json``) and what a question or a source says about tasks.

A lay question rarely names its task ("my thumbnail came out sharp at 4x"), and a technical
abstract rarely uses lay words. The taxonomy bridges them: each task carries lay cue phrases,
technical keywords and the category labels catalogs use. Questions get a probability over tasks
(cues + embedding similarity); sources get an affinity to each task (labels, names, keywords,
embedding similarity). Their dot product is the task signal used in ranking.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import CorpusError
from .naming import parse_model_name
from .sources import Source, default_corpus_dir, read_json
from .text import stems

TASK_TEMPERATURE = 0.08
CUE_WEIGHT = 4.0
SCALE_CUE = 4.0
TEXT_INPUT_BONUS = 2.0
# "I typed “a castle at dusk”": a quoted phrase handed to the AI means the input is text.
_QUOTED_INPUT = re.compile(
    r"\b(?:typed|typing|type|wrote|write|writing|entered|enter|asked for|requested|prompted|put in|gave it|input|used the prompt)"
    r"\b[^\"“‘'.?!]{0,25}[\"“‘]",
    re.IGNORECASE,
)
SOURCE_TEMPERATURE = 0.04


class Task(BaseModel):
    """One task users perform, in words users and papers both use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    group: str = Field(min_length=1)
    description: str = Field(min_length=10)
    input: str = Field(min_length=1)
    output: str = Field(min_length=1)
    modality_in: str = Field(min_length=1)
    modality_out: str = Field(min_length=1)
    cues: tuple[str, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    scales: tuple[float, ...] = ()
    any_scale: bool = False

    @field_validator("cues", "keywords", "labels", "examples")
    @classmethod
    def _no_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not value.strip():
                raise ValueError("must not contain blank phrases")
        return values

    def embedding_text(self) -> str:
        """The text embedded to represent this task: its name, description and vocabulary."""
        return f"{self.name}: {self.description} {', '.join(self.cues[:12])}. {', '.join(self.keywords[:8])}."


class Taxonomy(BaseModel):
    """All tasks, validated: unique ids, unique labels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    tasks: tuple[Task, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "Taxonomy":
        seen: dict[str, str] = {}
        for task in self.tasks:
            if task.id in seen:
                raise ValueError(f"task id {task.id!r} appears twice")
            seen[task.id] = task.id
        labels: dict[str, str] = {}
        for task in self.tasks:
            for label in task.labels:
                key = label.lower()
                if key in labels and labels[key] != task.id:
                    raise ValueError(f"label {label!r} belongs to both {labels[key]!r} and {task.id!r}")
                labels[key] = task.id
        return self

    @cached_property
    def ids(self) -> list[str]:
        """Task ids in file order (the column order of every task matrix)."""
        return [t.id for t in self.tasks]

    def get(self, task_id: str) -> Task:
        """The task with this id; KeyError names the valid ids."""
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(f"unknown task {task_id!r}; known: {', '.join(self.ids)}")

    @cached_property
    def embedding_texts(self) -> list[str]:
        """Texts embedded for the tasks: per task its description text, then its example questions."""
        return [text for t in self.tasks for text in (t.embedding_text(), *t.examples)]

    @cached_property
    def owners(self) -> np.ndarray:
        """Task column of each row of ``embedding_texts``."""
        return np.array([c for c, t in enumerate(self.tasks) for _ in range(1 + len(t.examples))], dtype=np.int64)

    @cached_property
    def description_rows(self) -> np.ndarray:
        """Row of each task's description text in ``embedding_texts``."""
        starts = np.flatnonzero(np.diff(np.concatenate([[-1], self.owners])) != 0)
        return starts

    def task_similarity(self, sims: np.ndarray) -> np.ndarray:
        """Per task, the best similarity over its description and example questions (last axis: rows)."""
        out = np.full(sims.shape[:-1] + (len(self.tasks),), -1.0, dtype=np.float32)
        for column in range(len(self.tasks)):
            out[..., column] = sims[..., self.owners == column].max(axis=-1)
        return out

    def scale_cue_mask(self, scale: float) -> np.ndarray:
        """1.0 for tasks an enlargement factor points to: those listing it, else those taking any scale."""
        listed = np.array([float(any(abs(scale - s) < 1e-6 for s in t.scales)) for t in self.tasks], dtype=np.float32)
        if listed.any():
            return listed
        return np.array([float(t.any_scale) for t in self.tasks], dtype=np.float32)

    @cached_property
    def text_input_mask(self) -> np.ndarray:
        """1.0 for tasks whose input is text alone."""
        return np.array([float(t.modality_in == "text") for t in self.tasks], dtype=np.float32)

    @cached_property
    def _labels(self) -> dict[str, int]:
        return {label.lower(): i for i, t in enumerate(self.tasks) for label in t.labels}

    def index_for_label(self, label: str | None) -> int | None:
        """Column of the task a catalog category label ('SISR', 'Txt2Img') belongs to."""
        if not label:
            return None
        return self._labels.get(label.strip().lower())

    @cached_property
    def multi_token_labels(self) -> list[str]:
        """Labels that span several name tokens ('SISR Any'), for model-name parsing."""
        return [label for t in self.tasks for label in t.labels if re.search(r"[\s-]", label)]

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical taxonomy: part of an index's identity."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    @cached_property
    def matcher(self) -> "CueMatcher":
        """Phrase matcher over every task's cues and keywords."""
        return CueMatcher(self)


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """Load and validate a taxonomy file (default: ``tasks.json`` of the default corpus)."""
    file = Path(path) if path is not None else default_corpus_dir() / "tasks.json"
    data = read_json(file, "task taxonomy file")
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        details = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = ""
            if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
                tasks = data.get("tasks") if isinstance(data, dict) else None
                task_id = tasks[loc[1]].get("id") if isinstance(tasks, list) and isinstance(tasks[loc[1]], dict) else None
                where = f"task {loc[1] + 1}" + (f" ({task_id})" if task_id else "") + ", "
                loc = loc[2:]
            details.append(f"{where}field '{'.'.join(map(str, loc)) or 'taxonomy'}': {err['msg']}")
        raise CorpusError(f"{file}: " + "; ".join(details)) from None


_default_taxonomy: Taxonomy | None = None
_lock = threading.Lock()


def default_taxonomy() -> Taxonomy:
    """The taxonomy of the default corpus, loaded once per process."""
    global _default_taxonomy
    with _lock:
        if _default_taxonomy is None:
            _default_taxonomy = load_taxonomy()
        return _default_taxonomy


class CueMatcher:
    """Finds taxonomy phrases in text after stemming, so 'enlarged' matches the cue 'enlarge'."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.columns = len(taxonomy.tasks)
        self._phrases: dict[tuple[str, ...], list[tuple[int, str, float, str]]] = {}
        self._longest = 1
        for column, task in enumerate(taxonomy.tasks):
            for kind, phrases in (("cue", task.cues), ("keyword", task.keywords)):
                for phrase in phrases:
                    key = tuple(stems(phrase))
                    if not key:
                        continue
                    # Longer phrases are more specific; technical keywords count a little less in lay text.
                    weight = (1.0 + 0.5 * (len(key) - 1)) * (1.0 if kind == "cue" else 0.8)
                    self._phrases.setdefault(key, []).append((column, phrase, weight, kind))
                    self._longest = max(self._longest, len(key))

    def match(self, text: str, kinds: tuple[str, ...] = ("cue", "keyword")) -> list[tuple[int, str, float]]:
        """Every (task column, phrase, weight) of the given kinds found in ``text``.

        Lay cues belong to questions; a paper that says "zoom" is not therefore about enlarging
        images, so sources are matched on technical keywords only.
        """
        tokens = stems(text)
        found: list[tuple[int, str, float]] = []
        for start in range(len(tokens)):
            for length in range(1, min(self._longest, len(tokens) - start) + 1):
                key = tuple(tokens[start : start + length])
                for column, phrase, weight, kind in self._phrases.get(key, ()):
                    if kind in kinds:
                        found.append((column, phrase, weight))
        return found

    def scores(self, text: str, kinds: tuple[str, ...] = ("cue", "keyword")) -> np.ndarray:
        """Summed weights per task column; phrases that stem alike ('blur', 'blurred') count once."""
        out = np.zeros(self.columns, dtype=np.float32)
        seen: set[tuple[int, tuple[str, ...]]] = set()
        for column, phrase, weight in self.match(text, kinds):
            key = (column, tuple(stems(phrase)))
            if key not in seen:
                seen.add(key)
                out[column] += weight
        return out


_SCALE_DIGITS = re.compile(
    r"(?<![\d.])(\d{1,2}(?:\.\d+)?)\s*(?:[x×]|times|fold)(?![a-z])|(?<![a-z])[x×]\s?(\d{1,2})(?![\d.])", re.IGNORECASE
)
_SCALE_WORDS = re.compile(
    r"\b(twice|doubled?|tripled?|quadrupled?)\b|\b(two|three|four|eight)\s+times\b", re.IGNORECASE
)
_WORD_VALUES = {"twice": 2, "double": 2, "doubled": 2, "triple": 3, "tripled": 3, "quadruple": 4, "quadrupled": 4,
                "two": 2, "three": 3, "four": 4, "eight": 8}


def question_scale(question: str) -> tuple[float | None, str | None]:
    """The enlargement factor a question asks for and its verbatim spelling ('4×' -> (4.0, '4×')), if any."""
    match = _SCALE_DIGITS.search(question)
    if match:
        value = float(match.group(1) or match.group(2))
        if 1 < value <= 100:
            return value, match.group(0).strip()
    match = _SCALE_WORDS.search(question)
    if match:
        word = (match.group(1) or match.group(2)).lower()
        return float(_WORD_VALUES[word]), match.group(0)
    return None, None


class QuestionAnalysis(BaseModel):
    """What a question says about tasks: a probability per task, the cues that fired, the scale asked for."""

    model_config = ConfigDict(frozen=True)

    question: str
    task_ids: tuple[str, ...]
    probabilities: tuple[float, ...]
    similarities: tuple[float, ...]
    cues: dict[str, tuple[str, ...]]
    scale: float | None = None
    scale_text: str | None = None
    text_input: bool = False

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable tasks with their probabilities."""
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(self.task_ids[i], float(self.probabilities[i])) for i in order]

    @property
    def has_cues(self) -> bool:
        """True when the question speaks in task terms: a taxonomy phrase, an enlargement factor or a quoted prompt."""
        return any(self.cues.values()) or self.scale is not None or self.text_input


def analyze_question(question: str, taxonomy: Taxonomy, question_vector: np.ndarray, task_vectors: np.ndarray) -> QuestionAnalysis:
    """Score every task for ``question`` from its cue phrases and its embedding similarity to each task."""
    similarities = taxonomy.task_similarity(task_vectors @ question_vector)
    cue_scores = taxonomy.matcher.scores(question)
    scale, scale_text = question_scale(question)
    if scale is not None:
        cue_scores = cue_scores + SCALE_CUE * taxonomy.scale_cue_mask(scale)
    logits = similarities / TASK_TEMPERATURE + CUE_WEIGHT * (1.0 - np.exp(-cue_scores))
    text_input = bool(_QUOTED_INPUT.search(question))
    if text_input:
        logits = logits + TEXT_INPUT_BONUS * taxonomy.text_input_mask
    logits -= logits.max()
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum()
    cues: dict[str, list[str]] = {}
    for column, phrase, _ in taxonomy.matcher.match(question):
        bucket = cues.setdefault(taxonomy.ids[column], [])
        if phrase not in bucket:
            bucket.append(phrase)
    return QuestionAnalysis(
        question=question,
        task_ids=tuple(taxonomy.ids),
        probabilities=tuple(float(p) for p in probabilities),
        similarities=tuple(float(s) for s in similarities),
        cues={k: tuple(v) for k, v in cues.items()},
        scale=scale,
        scale_text=scale_text,
        text_input=text_input,
    )


def source_label_columns(source: Source, taxonomy: Taxonomy) -> list[int]:
    """Task columns a source is labelled with: its card's tasks, its category, its name's category."""
    columns: list[int] = []
    if source.card:
        for task_id in source.card.tasks:
            if task_id in taxonomy.ids:
                columns.append(taxonomy.ids.index(task_id))
    for label in (source.category, parse_model_name(source.name, taxonomy.multi_token_labels).category):
        column = taxonomy.index_for_label(label)
        if column is not None and column not in columns:
            columns.append(column)
    return columns


def source_task_affinity(
    sources: Sequence[Source], taxonomy: Taxonomy, source_vectors: np.ndarray, task_vectors: np.ndarray
) -> np.ndarray:
    """An (n sources, n tasks) matrix in [0, 1]: how strongly each source is about each task.

    Labels (card tasks, catalog category, name category) are the strongest evidence; technical
    keywords in the source's text and embedding similarity to each task fill in for unlabelled
    sources such as arXiv papers.
    """
    n, columns = len(sources), len(taxonomy.tasks)
    out = np.zeros((n, columns), dtype=np.float32)
    if n == 0:
        return out
    sims = source_vectors @ task_vectors[taxonomy.description_rows].T
    logits = sims / SOURCE_TEMPERATURE
    logits -= logits.max(axis=1, keepdims=True)
    dense = np.exp(logits)
    dense /= dense.sum(axis=1, keepdims=True)
    for row, source in enumerate(sources):
        labelled = source_label_columns(source, taxonomy)
        if labelled:
            label_part = np.zeros(columns, dtype=np.float32)
            label_part[labelled] = 1.0
            out[row] = np.maximum(label_part, 0.3 * dense[row])
            continue
        keyword = taxonomy.matcher.scores(_keyword_text(source), kinds=("keyword",))
        keyword_part = 1.0 - np.exp(-0.6 * keyword)
        out[row] = np.clip(0.6 * keyword_part + 0.6 * dense[row], 0.0, 1.0)
    return out


def _keyword_text(source: Source) -> str:
    parts = [source.name, source.summary or ""]
    if source.card:
        parts += [source.card.title or "", *(s.text for s in source.card.stages)]
    return " ".join(parts)
