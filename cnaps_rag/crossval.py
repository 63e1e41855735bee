"""Cross-validation grouped by model family: an honest estimate of catalog recommendation.

``cnaps-rag eval --cv K`` splits a question set into K folds so that no model family (the
catalog's union-find families: entries sharing a paper link or a summary) has questions in two
folds. For each fold it tunes the *tuned* numbers of ``tuning.py`` (the fusion weights, and the
question analysis' ``task_temperature`` and ``cue_weight``) on the other folds only, by
coordinate descent over the candidates of ``tuning.CrossValidation`` (objective: the mean of
category@1, family@1 and family@5), then scores the held-out fold three ways: cnaps_rag with the
fold's tuning ("tuned"), cnaps_rag with the shipped tuning ("fixed"), and the plain dense
retriever. Further question sets are scored with the tuning learned on the whole first set.
Metrics are those of ``evaluation``; spreads are sample standard deviations over the folds.

Nothing is ranked twice: every question is embedded once, its signal values (``Hit.components``
of ``Retriever.rank_vector`` with k=None) are computed once per question-analysis setting, and
other weights are tried by re-fusing those values in NumPy (``signals.fuse``, ``retriever.final_order``).
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from pydantic import BaseModel

from .engine import Engine, default_engine
from .errors import InputError
from .evaluation import Metrics, Query, load_queries, plain_dense_order
from .files import atomic_write
from .index import SourceIndex
from .ranking import Retriever, judge_scope
from .ranking.fit import lead_fits
from .ranking.retriever import final_order
from .ranking.signals import families, fuse
from .sources import family_keys
from .tuning import CROSS_VALIDATION, CrossValidation, QuestionTuning

TOP = 5  # family@5
ROWS = ("tuned", "fixed", "dense")
ROW_NAMES = {"tuned": "cnaps_rag (tuned)", "fixed": "cnaps_rag (fixed)", "dense": "plain dense"}
METRICS = (("category_at_1", "category@1"), ("family_at_1", "family@1"), ("family_at_5", "family@5"),
           ("mrr", "MRR"), ("abstained", "abstained"))


class FoldResult(BaseModel):
    """One held-out fold: its size, the numbers tuned on the other folds, and the three rows."""

    fold: int
    questions: int
    families: int
    setting: dict[str, float]
    tuned: Metrics
    fixed: Metrics
    dense: Metrics


class SetResult(BaseModel):
    """A further question set, scored with the tuning learned on the whole cross-validated set."""

    path: str
    questions: int
    tuned: Metrics
    fixed: Metrics
    dense: Metrics
    skipped: list[str]


class CrossValReport(BaseModel):
    """The cross-validation: per-fold rows, the fold of every target model, and further sets."""

    queries: str
    k: int
    seed: int
    questions: int
    families: int
    shipped: dict[str, float]
    everything: dict[str, float]
    folds: list[FoldResult]
    assignment: dict[str, int]
    further: list[SetResult]
    skipped: list[str]
    seconds: float

    def summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Per row (tuned, fixed, dense) and metric: (mean, sample standard deviation) over the folds."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for row in ROWS:
            out[row] = {}
            for metric, _ in METRICS:
                values = np.array([getattr(getattr(f, row), metric) for f in self.folds], dtype=float)
                out[row][metric] = (float(values.mean()), float(values.std(ddof=1 if len(values) > 1 else 0)))
        return out

    def table(self) -> str:
        """Markdown: per-fold rows, mean ± std, the tuned numbers per fold, and each further set."""
        head = "| " + " | ".join(label for _, label in METRICS) + " |"
        rule = "|---" * (len(METRICS) + 4) + "|"
        lines = [f"{self.k}-fold cross-validation grouped by model family on {Path(self.queries).name}: "
                 f"{self.questions} questions, {self.families} families, seed {self.seed}, {self.seconds:.0f} s",
                 "", "| fold | questions | families | retriever " + head, rule]
        for f in self.folds:
            for row in ROWS:
                m = getattr(f, row)
                lines.append(f"| {f.fold} | {f.questions} | {f.families} | {ROW_NAMES[row]} | "
                             + " | ".join(f"{getattr(m, metric):.3f}" for metric, _ in METRICS) + " |")
        for row, scores in self.summary().items():
            lines.append(f"| mean ± std | {self.questions} | {self.families} | {ROW_NAMES[row]} | "
                         + " | ".join(f"{mean:.3f} ± {std:.3f}" for mean, std in scores.values()) + " |")
        lines += ["", "| tuned number | shipped | " + " | ".join(f"fold {f.fold}" for f in self.folds) + " | all |",
                  "|---" * (len(self.folds) + 3) + "|"]
        for key, value in self.shipped.items():
            tuned = [f.setting[key] for f in self.folds] + [self.everything[key]]
            lines.append(f"| {key} | {value:g} | " + " | ".join(f"{v:g}" for v in tuned) + " |")
        for s in self.further:
            lines += ["", f"{Path(s.path).name}: {s.questions} questions, scored with the numbers tuned on all of "
                      f"{Path(self.queries).name} (column 'all')", "", "| retriever " + head, "|---" * (len(METRICS) + 1) + "|"]
            for row in ROWS:
                m = getattr(s, row)
                lines.append(f"| {ROW_NAMES[row]} | " + " | ".join(f"{getattr(m, metric):.3f}" for metric, _ in METRICS) + " |")
        return "\n".join(lines)


def assign_folds(groups: Sequence[str], k: int, seed: int = 0) -> np.ndarray:
    """The fold (0..k-1) of each item; items of one group always share a fold.

    Groups are shuffled with ``seed``, then placed largest first, each into the fold holding the
    fewest items so far, so fold sizes differ by at most the largest group's size.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise InputError(f"--cv needs at least 2 folds, got {k!r}")
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    if len(sizes) < k:
        raise InputError(f"--cv {k}: the questions cover only {len(sizes)} model families; use at most {len(sizes)} folds")
    keys = sorted(sizes)
    shuffled = [keys[i] for i in np.random.default_rng(seed).permutation(len(keys))]
    load = [0] * k
    fold_of: dict[str, int] = {}
    for g in sorted(shuffled, key=lambda g: -sizes[g]):
        fold = min(range(k), key=lambda i: (load[i], i))
        fold_of[g] = fold
        load[fold] += sizes[g]
    return np.array([fold_of[g] for g in groups], dtype=np.int64)


def family_groups(index: SourceIndex, retriever: Retriever, targets: Sequence[int]) -> list[str]:
    """A group name per target row: rows of one family (as read, or as supplied) share it (its first name)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    as_read, as_supplied = retriever.features.family, families(index.sources)
    for row in targets:
        parent[find(f"read:{as_read[row]}")] = find(f"supplied:{as_supplied[row]}")
    names: dict[str, str] = {}
    for row in targets:
        root = find(f"read:{as_read[row]}")
        names[root] = min(names.get(root, index.sources[row].name), index.sources[row].name)
    return [names[find(f"read:{as_read[row]}")] for row in targets]


@dataclass
class Signals:
    """One analysis setting's stored ranking inputs: each signal's value per question and row, which rows were
    candidates, which questions abstained, which named their task in cue words, and each row's task fit."""

    values: dict[str, np.ndarray]
    present: np.ndarray
    abstained: np.ndarray
    cued: np.ndarray
    fits: np.ndarray


@dataclass
class QuestionSet:
    """Questions against one index: targets, vectors, what counts as right, and signals per analysis setting."""

    queries: list[Query]
    targets: list[int]
    vectors: np.ndarray
    category: np.ndarray  # (question, row): that row's category is the target's
    family: np.ndarray  # (question, row): that row shares the target's paper link or summary
    dense_order: np.ndarray
    skipped: list[str]
    signals: dict[QuestionTuning, Signals] = field(default_factory=dict)


class Study:
    """The shared, fold-independent work: the index, its retriever, and the search over tuned numbers."""

    def __init__(self, engine: Engine, index: SourceIndex, grid: CrossValidation = CROSS_VALIDATION) -> None:
        self.engine, self.index, self.grid = engine, index, grid
        self.tuning = engine.tuning
        self.retriever = engine.retriever(index)
        self.family = self.retriever.features.family
        self.shipped: dict[str, float] = {f"weights.{n}": float(v) for n, v in self.tuning.weights.model_dump().items()}
        question = self.tuning.question.model_dump()
        self.shipped.update({f"question.{n}": float(question[n]) for n in grid.question_parameters if n in question})
        self.search = [(key, sorted({round(value * f, 9) for f in self._factors(key)})) for key, value in self.shipped.items()
                       if key.removeprefix("weights.") not in grid.fixed_weights]

    def _factors(self, key: str) -> tuple[float, ...]:
        return self.grid.weight_factors if key.startswith("weights.") else self.grid.question_factors

    def questions(self, path: str | os.PathLike[str]) -> QuestionSet:
        """Read, embed and label a question set (questions whose target is not in the catalog are skipped)."""
        sources = self.index.sources
        row_of = {s.name: row for row, s in enumerate(sources)}
        queries = load_queries(path)
        skipped = [f"{q.field} of {q.target!r}: not in the catalog" for q in queries if q.target not in row_of]
        queries = [q for q in queries if q.target in row_of]
        if not queries:
            raise InputError(f"{path}: none of the queries' target models is in the catalog")
        targets = [row_of[q.target] for q in queries]
        keys = [family_keys(s) for s in sources]
        categories = np.array([s.category for s in sources], dtype=object)
        vectors = self.engine.embedder.encode([q.text for q in queries])
        return QuestionSet(
            queries=queries, targets=targets, vectors=vectors, skipped=skipped,
            category=np.array([categories == sources[t].category for t in targets], dtype=bool),
            family=np.array([[bool(k & keys[t]) for k in keys] for t in targets], dtype=bool),
            dense_order=plain_dense_order(self.engine.embedder, sources, vectors),
        )

    def question_tuning(self, setting: dict[str, float]) -> QuestionTuning:
        """The question-analysis numbers of a setting."""
        update = {k.removeprefix("question."): v for k, v in setting.items() if k.startswith("question.")}
        return self.tuning.question.model_copy(update=update)

    def signals(self, qs: QuestionSet, question: QuestionTuning) -> Signals:
        """The stored ranking inputs of every question under one analysis setting, kept."""
        if question not in qs.signals:
            retriever = self.retriever
            if question != self.tuning.question:
                retriever = copy.copy(self.retriever)
                retriever.tuning = self.tuning.model_copy(update={"question": question})
            shape = (len(qs.queries), len(self.index))
            values = {name: np.zeros(shape, dtype=np.float32) for name in self.tuning.weights.model_dump()}
            present = np.zeros(shape, dtype=bool)
            abstained = np.zeros(len(qs.queries), dtype=bool)
            cued = np.zeros(len(qs.queries), dtype=bool)
            fits = np.zeros(shape, dtype=np.float32)
            for i, (q, vector) in enumerate(zip(qs.queries, qs.vectors)):
                ranking = retriever.rank_vector(q.text, vector, None)
                abstained[i] = not judge_scope(ranking, self.tuning.scope).in_scope
                row_fits = lead_fits(ranking.analysis, self.retriever.features, self.tuning)
                cued[i] = row_fits is not None
                if cued[i]:
                    fits[i] = row_fits
                for hit in ranking.hits:
                    row = self.index.positions[hit.source.id]
                    present[i, row] = True
                    for name, column in values.items():
                        column[i, row] = hit.components[name]
            qs.signals[question] = Signals(values, present, abstained, cued, fits)
        return qs.signals[question]

    def score(self, qs: QuestionSet, subset: np.ndarray, setting: dict[str, float] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(top-1 category right, rank of the first family member or 0, abstained) per question of ``subset``.

        ``setting=None`` scores the plain dense retriever.
        """
        category = np.zeros(len(subset), dtype=bool)
        rank = np.zeros(len(subset), dtype=np.int64)
        if setting is None:
            for i, q in enumerate(subset):
                order = qs.dense_order[q]
                category[i], rank[i] = qs.category[q, order[0]], _first(qs.family[q, order])
            return category, rank, np.zeros(len(subset), dtype=bool)
        stored = self.signals(qs, self.question_tuning(setting))
        values = stored.values
        weights = {name: setting[f"weights.{name}"] for name in values}
        fused = fuse({name: v[subset] for name, v in values.items()}, weights)
        for i, q in enumerate(subset):
            rows = np.flatnonzero(stored.present[q])
            if len(rows) == 0:
                continue
            fits = stored.fits[q, rows] if stored.cued[q] else None
            order = rows[final_order(fused[i, rows], values["variant"][q, rows], rows, self.retriever.features,
                                     self.tuning, fits)]
            category[i], rank[i] = qs.category[q, order[0]], _first(qs.family[q, order])
        return category, rank, stored.abstained[subset]

    def objective(self, qs: QuestionSet, subset: np.ndarray, setting: dict[str, float]) -> int:
        """category@1 + family@1 + family@5 as counts over ``subset`` (their mean, times 3 × its size)."""
        category, rank, _ = self.score(qs, subset, setting)
        return int(category.sum() + (rank == 1).sum() + ((rank >= 1) & (rank <= TOP)).sum())

    def tune(self, qs: QuestionSet, train: np.ndarray) -> dict[str, float]:
        """Coordinate descent from the shipped setting over the candidates, on ``train`` only.

        A number moves only to a value better by more than ``min_gain`` of the objective's maximum
        (the first such in candidate order), so ties and noise keep the shipped value and the search
        is deterministic.
        """
        setting = dict(self.shipped)
        best = self.objective(qs, train, setting)
        margin = self.grid.min_gain * 3 * len(train)  # the objective counts three metrics per question
        for _ in range(self.grid.rounds):
            moved = False
            for key, candidates in self.search:
                for value in candidates:
                    if value == setting[key]:
                        continue
                    trial = {**setting, key: value}
                    score = self.objective(qs, train, trial)
                    if score > best + margin:
                        setting, best, moved = trial, score, True
            if not moved:
                break
        return setting

    def metrics(self, name: str, qs: QuestionSet, subset: np.ndarray, setting: dict[str, float] | None,
                seconds: float = 0.0) -> Metrics:
        """The evaluation metrics of one retriever over ``subset``."""
        category, rank, abstained = self.score(qs, subset, setting)

        def mean(values: np.ndarray) -> float:
            return float(np.mean(values)) if len(values) else 0.0

        return Metrics(name=name, questions=len(subset), category_at_1=mean(category), family_at_1=mean(rank == 1),
                       family_at_5=mean((rank >= 1) & (rank <= TOP)),
                       mrr=mean(np.where(rank > 0, 1.0 / np.maximum(rank, 1), 0.0)), abstained=mean(abstained),
                       seconds=round(seconds, 3))


def _first(hits: np.ndarray) -> int:
    found = np.flatnonzero(hits)
    return int(found[0]) + 1 if len(found) else 0


def cross_validate(catalog_paths: Sequence[str | os.PathLike[str]], queries_path: str | os.PathLike[str], k: int, *,
                   seed: int = 0, further: Sequence[str | os.PathLike[str]] = (), engine: Engine | None = None,
                   grid: CrossValidation = CROSS_VALIDATION) -> CrossValReport:
    """K-fold cross-validation of catalog recommendation, grouped by model family; see the module docstring."""
    started = time.perf_counter()
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise InputError(f"--cv needs at least 2 folds, got {k!r}")
    engine = engine or default_engine()
    study = Study(engine, engine.catalog_index(catalog_paths), grid)
    qs = study.questions(queries_path)
    groups = family_groups(study.index, study.retriever, qs.targets)
    folds = assign_folds(groups, k, seed)
    everyone = np.arange(len(qs.queries))
    results = []
    for fold in range(k):
        held, train = everyone[folds == fold], everyone[folds != fold]
        tuning_started = time.perf_counter()
        setting = study.tune(qs, train)
        seconds = time.perf_counter() - tuning_started
        results.append(FoldResult(
            fold=fold + 1, questions=len(held), families=len({groups[i] for i in held}), setting=setting,
            tuned=study.metrics(ROW_NAMES["tuned"], qs, held, setting, seconds),
            fixed=study.metrics(ROW_NAMES["fixed"], qs, held, study.shipped),
            dense=study.metrics(ROW_NAMES["dense"], qs, held, None),
        ))
    everything = study.tune(qs, everyone)
    sets = []
    for path in further:
        other = study.questions(path)
        all_rows = np.arange(len(other.queries))
        sets.append(SetResult(
            path=str(path), questions=len(all_rows), skipped=other.skipped,
            tuned=study.metrics(ROW_NAMES["tuned"], other, all_rows, everything),
            fixed=study.metrics(ROW_NAMES["fixed"], other, all_rows, study.shipped),
            dense=study.metrics(ROW_NAMES["dense"], other, all_rows, None),
        ))
    return CrossValReport(
        queries=str(queries_path), k=k, seed=seed, questions=len(qs.queries), families=len(set(groups)),
        shipped=study.shipped, everything=everything, folds=results,
        assignment={q.target: int(f) + 1 for q, f in zip(qs.queries, folds)}, further=sets, skipped=qs.skipped,
        seconds=round(time.perf_counter() - started, 1),
    )


def write_report(report: CrossValReport, path: str | os.PathLike[str]) -> None:
    """Write the report (per-fold metrics and tuned numbers, the fold of every target) as JSON, atomically."""
    payload = json.loads(report.model_dump_json())
    payload["summary"] = {row: {m: {"mean": mean, "std": std} for m, (mean, std) in scores.items()}
                          for row, scores in report.summary().items()}
    atomic_write(Path(path), json.dumps(payload, indent=2, ensure_ascii=False).encode())
