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
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import CorpusError
from .files import default_corpus_dir, read_json
from .naming import ModelName, parse_model_name
from .cues import CueMatcher
from .task_examples import load_examples
from .text import STOPWORDS, normalize
from .tuning import TUNING, IndexRecipe, QuestionTuning

# Where a sentence, or the clause after "Researcher:", opens, past a "please" or "now": a request's verb comes next.
SENTENCE_OPENING = r"(?:^|[.!?;:]\s+)(?:(?:please|now|just|so|and|then)\s+)*"
# In an example question, a word that opens a sentence and is followed by its object ("Make this photo ...", "Give me
# ...", "Sort these reviews ...") is a request verb.
_REQUEST_OPENING = re.compile(
    SENTENCE_OPENING + r"([a-z]+)\s+"
    r"(?:this|these|that|those|my|our|the|a|an|me|us|it|them|every|each|all|any|some|out|up|down|off|away|in)\b",
    re.IGNORECASE,
)
# Words that open a question before a determiner without being a request: auxiliaries and question words ("Is this
# ...", "Which of these ...").
_NOT_VERBS = frozenset("is are was were am be do does did can could will would should shall may might must has have had "
                       "how what why where when which who whose we you he she they there here".split())


class Setting(BaseModel):
    """A level a task's models are released at, read from a name token ('Jpeg40', 'Noise25').

    ``heavy``/``light``/``usual`` are the levels a question's wording points to ("heavily
    compressed" -> JPEG quality 10); they are data of the task, not numbers in code.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z_]*$")
    meaning: str = Field(min_length=1)
    token: str = Field(min_length=1)
    heavy: float
    light: float
    usual: float

    @cached_property
    def pattern(self) -> "re.Pattern[str]":
        """The name-token pattern with one number group."""
        return re.compile(self.token, re.IGNORECASE)


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
    # Cues (or keywords) that say what is done to the input ("enlarge", "denoise"), and ones that name a defect of the
    # input ("blocky", "grainy", "foggy"). A question that names an action says which task it asks for; the
    # defects it names of other tasks describe its input (a heavily compressed image enlarged by 3x).
    actions: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    scales: tuple[float, ...] = ()
    any_scale: bool = False
    setting: Setting | None = None
    learned: tuple[str, ...] = ()

    @field_validator("cues", "keywords", "labels", "examples")
    @classmethod
    def _no_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not value.strip():
                raise ValueError("must not contain blank phrases")
        return values

    @model_validator(mode="after")
    def _actions_and_defects_are_its_own_phrases(self) -> "Task":
        vocabulary = {*self.cues, *self.keywords}
        for field in ("actions", "defects"):
            strays = [c for c in getattr(self, field) if c not in vocabulary]
            if strays:
                raise ValueError(f"{field} of task {self.id!r} must be among its cues or keywords, not {strays}")
        both = set(self.actions) & set(self.defects)
        if both:
            raise ValueError(f"cues of task {self.id!r} cannot be both an action and a defect: {sorted(both)}")
        return self

    @property
    def inputs(self) -> tuple[str, ...]:
        """The modalities the task takes: 'image+text' -> ('image', 'text')."""
        return tuple(self.modality_in.split("+"))

    def embedding_text(self, recipe: IndexRecipe = TUNING.index) -> str:
        """The text embedded to represent this task: its name, description and vocabulary."""
        cues, keywords = self.cues[: recipe.task_text_cues], self.keywords[: recipe.task_text_keywords]
        return f"{self.name}: {self.description} {', '.join(cues)}. {', '.join(keywords)}."


class Taxonomy(BaseModel):
    """All tasks, validated: unique ids, unique labels, and cues that name more than a kind of data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    intensity: dict[str, tuple[str, ...]] = {}
    umbrella_labels: dict[str, tuple[str, ...]] = {}
    modalities: dict[str, tuple[str, ...]] = {}
    # Words for the machine a question may be about ("AI", "app", "tool"): with a data word, what tells a
    # question about what an AI did from an everyday request that happens to contain a cue word.
    machines: tuple[str, ...] = ()
    # Everyday things that carry text ("this email", "my contract", "these reviews"): people ask for advice about them
    # as often as they hand them to an AI, so they name text data only in a question that hands one over
    # (``question.modality_words``).
    documents: tuple[str, ...] = ()
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
        for label, task_ids in self.umbrella_labels.items():
            if label.lower() in labels:
                raise ValueError(f"umbrella label {label!r} is also the label of task {labels[label.lower()]!r}")
            unknown = [t for t in task_ids if t not in seen]
            if unknown or len(task_ids) < 2:
                raise ValueError(f"umbrella label {label!r} must name two or more known tasks, got {list(task_ids)}")
        kinds = {word.lower(): kind for kind, words in self.modalities.items() for word in words}
        both = sorted({d.lower() for d in self.documents} & {*kinds, *(m.lower() for m in self.machines)})
        if both:
            raise ValueError(f"documents {both} are already modality or machine words: list each word once")
        for task in self.tasks:
            for cue in task.cues:
                if cue.lower() in kinds:
                    raise ValueError(f"cue {cue!r} of task {task.id!r} only names a kind of data ({kinds[cue.lower()]}), "
                                     "which goes in or comes out of many tasks: list it under 'modalities' only")
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

    def embedding_texts(self, recipe: IndexRecipe = TUNING.index) -> list[str]:
        """Texts embedded for the tasks: per task its description text, then its example questions."""
        return [text for t in self.tasks for text in (t.embedding_text(recipe), *t.examples, *t.learned)]

    @cached_property
    def request_verbs(self) -> frozenset[str]:
        """The verbs that open the example questions written as requests ("Summarize this chapter", "Give me a mask
        of my dog", "Researcher: outline the tumour"): learned from the examples, so a new task's examples bring
        their own."""
        found = set()
        for task in self.tasks:
            for question in (*task.examples, *task.learned):
                for match in _REQUEST_OPENING.finditer(question):
                    word = match.group(1).lower()
                    if word not in STOPWORDS and word not in _NOT_VERBS and not word.endswith(("ing", "ly")):
                        found.add(word)
        return frozenset(found)

    @cached_property
    def settings(self) -> list[tuple[str, Setting]]:
        """(task id, setting) for every task whose models are released at levels."""
        return [(t.id, t.setting) for t in self.tasks if t.setting is not None]

    def intensity_of(self, text: str) -> str | None:
        """'heavy' or 'light' when the text's wording says so ("very noisy", "slightly compressed"), else None."""
        return _intensity(self.intensity_patterns, text)

    @cached_property
    def intensity_patterns(self) -> tuple[tuple[str, "re.Pattern[str]"], ...]:
        """One word-boundary pattern per intensity level, from the taxonomy's ``intensity`` lists."""
        return tuple((level, re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b"))
                     for level, words in self.intensity.items() if words)

    @cached_property
    def modality_patterns(self) -> tuple[tuple[str, str, "re.Pattern[str]"], ...]:
        """(modality, word, pattern) for every data word of ``modalities``: the word, or its plain plural, not joined
        to the next word by a hyphen (``question.modality_words`` reads them)."""
        return tuple((modality, name, re.compile(rf"\b{re.escape(name)}s?\b(?!-\w)", re.IGNORECASE))
                     for modality, names in self.modalities.items() for name in names)

    @cached_property
    def document_patterns(self) -> tuple["re.Pattern[str]", ...]:
        """One pattern per word of ``documents``, as a whole word not joined to another by a hyphen."""
        return tuple(re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE) for name in self.documents)

    @cached_property
    def owners(self) -> np.ndarray:
        """Task column of each row of ``embedding_texts``."""
        return np.array([c for c, t in enumerate(self.tasks) for _ in range(1 + len(t.examples) + len(t.learned))],
                        dtype=np.int64)

    @cached_property
    def description_rows(self) -> np.ndarray:
        """Row of each task's description text in ``embedding_texts``."""
        starts = np.flatnonzero(np.diff(np.concatenate([[-1], self.owners])) != 0)
        return starts

    @cached_property
    def _task_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Per task, its rows of ``embedding_texts`` padded to the longest task's count with the index one past the
        last row, and how many rows it has: one gather then reads every task's similarities at once."""
        counts = np.bincount(self.owners, minlength=len(self.tasks))
        padded = np.full((len(self.tasks), int(counts.max(initial=0))), len(self.owners), dtype=np.int64)
        for column, start in zip(self.owners[self.description_rows], self.description_rows):
            padded[column, : counts[column]] = np.arange(start, start + counts[column])
        return padded, counts

    def task_similarity(self, sims: np.ndarray, neighbours: int = 1) -> np.ndarray:
        """Per task, the mean of the ``neighbours`` best similarities over its description and example
        questions (last axis: rows): a nearest-neighbour vote over labelled examples."""
        padded, counts = self._task_rows
        out = np.full(sims.shape[:-1] + (len(self.tasks),), -1.0, dtype=np.float32)
        if padded.shape[1] == 0:
            return out
        # The padding index reads -inf, which sorts first, so each task's best rows are the last of its sorted row.
        filled = np.concatenate([sims, np.full(sims.shape[:-1] + (1,), -np.inf, dtype=sims.dtype)], axis=-1)
        best = np.sort(filled[..., padded], axis=-1)
        taken = np.minimum(neighbours, counts)
        for k in np.unique(taken[counts > 0]).tolist():
            columns = np.flatnonzero((taken == k) & (counts > 0))
            out[..., columns] = best[..., columns, -1] if k <= 1 else best[..., columns, -k:].mean(axis=-1)
        return out

    def scale_cue_mask(self, scale: float) -> np.ndarray:
        """1.0 for tasks an enlargement factor points to: those listing it, else those taking any scale."""
        listed = np.array([float(any(abs(scale - s) < 1e-6 for s in t.scales)) for t in self.tasks], dtype=np.float32)
        return listed if listed.any() else self.any_scale_mask

    @cached_property
    def any_scale_mask(self) -> np.ndarray:
        """1.0 for tasks whose models take any scale factor (read-only: it is shared)."""
        mask = np.array([float(t.any_scale) for t in self.tasks], dtype=np.float32)
        mask.setflags(write=False)
        return mask

    def acted_on(self, found: Sequence[tuple[int, str, float]], scale: float | None) -> "np.ndarray":
        """True for the task columns whose actions the matched cues ``found`` name, or that an enlargement
        factor asks for."""
        acted = np.zeros(len(self.tasks), dtype=bool)
        for column, phrase, _ in found:
            acted[column] |= phrase in self.tasks[column].actions
        if scale is not None:
            acted |= self.scale_cue_mask(scale) > 0
        return acted

    def direction_mask(self, source: str, target: str) -> np.ndarray:
        """+1 for tasks that turn ``source`` (among their inputs) into ``target``, -1 for the reverse, else 0."""
        forward = [float(source in t.inputs and t.modality_out == target) for t in self.tasks]
        reverse = [float(target in t.inputs and t.modality_out == source) for t in self.tasks]
        return np.array(forward, dtype=np.float32) - np.array(reverse, dtype=np.float32)

    def typed_input_mask(self, held: frozenset[str] = frozenset()) -> np.ndarray:
        """1.0 for tasks whose input is a typed text beside exactly the kinds of data ``held`` (text alone
        when nothing else is held; a photo and a typed question for visual question answering)."""
        wanted = {"text", *held}
        return np.array([float(set(t.inputs) == wanted) for t in self.tasks], dtype=np.float32)

    def needs_only_mask(self, held: frozenset[str] = frozenset()) -> np.ndarray:
        """1.0 for tasks that need nothing but a typed text and the kinds of data ``held``: what can be asked of
        a prompt and the data in hand beside it."""
        allowed = {"text", *held}
        return np.array([float(set(t.inputs) <= allowed) for t in self.tasks], dtype=np.float32)

    @cached_property
    def _labels(self) -> dict[str, int]:
        return {label.lower(): i for i, t in enumerate(self.tasks) for label in t.labels}

    def index_for_label(self, label: str | None) -> int | None:
        """Column of the task a catalog category label ('SISR', 'Txt2Img') belongs to."""
        if not label:
            return None
        return self._labels.get(label.strip().lower())

    def columns_for_label(self, label: str | None) -> list[int]:
        """Columns a catalog label can mean: its task's, or every task of an umbrella label ('Restoration')."""
        if not label:
            return []
        column = self.index_for_label(label)
        if column is not None:
            return [column]
        for umbrella, task_ids in self.umbrella_labels.items():
            if umbrella.lower() == label.strip().lower():
                return [self.ids.index(t) for t in task_ids]
        return []

    @cached_property
    def multi_token_labels(self) -> list[str]:
        """Labels that span several name tokens ('SISR Any'), for model-name parsing."""
        return [label for t in self.tasks for label in t.labels if re.search(r"[\s-]", label)]

    def parse_name(self, name: str) -> ModelName:
        """A model name read by the naming convention, with this taxonomy's labels and settings."""
        cache = self.name_cache
        if name not in cache:
            cache[name] = parse_model_name(name, self.multi_token_labels, [s for _, s in self.settings])
        return cache[name]

    @cached_property
    def name_cache(self) -> dict[str, ModelName]:
        return {}

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical taxonomy: part of an index's identity."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def matcher(self, tuning: QuestionTuning = TUNING.question) -> "CueMatcher":
        """Phrase matcher over every task's cues and keywords (one per tuning, kept)."""
        matchers = self.matcher_cache
        if tuning not in matchers:
            matchers[tuning] = CueMatcher(self, tuning)
        return matchers[tuning]

    @cached_property
    def matcher_cache(self) -> dict[QuestionTuning, "CueMatcher"]:
        return {}


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """Load and validate a taxonomy file (default: ``tasks.json`` of the default corpus), with the
    example questions of ``examples/`` beside it."""
    file = Path(path) if path is not None else default_corpus_dir() / "tasks.json"
    data = read_json(file, "task taxonomy file")
    try:
        taxonomy = Taxonomy.model_validate(data)
        learned = load_examples(file.parent / "examples", [t.id for t in taxonomy.tasks])
        if not learned:
            return taxonomy
        tasks = tuple(t.model_copy(update={"learned": learned.get(t.id, ())}) for t in taxonomy.tasks)
        return taxonomy.model_copy(update={"tasks": tasks})
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


def _intensity(patterns: Sequence[tuple[str, "re.Pattern[str]"]], text: str) -> str | None:
    lowered = normalize(text)
    found = [level for level, pattern in patterns if pattern.search(lowered)]
    return found[0] if len(found) == 1 else ("heavy" if "heavy" in found else None)
