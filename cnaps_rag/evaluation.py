"""Evaluation on a catalog and its lay questions: cnaps_rag against a plain dense retriever, same run.

Metrics, per question whose target model is in the catalog:
- category@1: the top hit's category equals the target's (``Detailed Category``);
- family@1 / family@5: a top-1 / top-5 hit shares the target's paper link or summary (several
  catalog variants share one paper, so text alone can only find the family);
- MRR: mean reciprocal rank of the first family member (0 when it is not retrieved);
- abstained: the share of questions cnaps_rag declined to answer;
- answer category@1: the category of the first model the *answer* recommends (what a user sees;
  the answer recommends only models that bear on the question, so it can differ from the top hit).
The plain dense retriever embeds "name. summary" and ranks by cosine, as LlamaIndex or Haystack
would out of the box.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from .embedding import Embedder
from .engine import Engine, default_engine
from .errors import InputError
from .files import atomic_write, read_json
from .answering.compose import Responder
from .ranking import Scope, judge_scope
from .sources import Source, family_keys
from .tuning import Weights


class Query(BaseModel):
    """One labelled question: the catalog model it was written for, and which query field it came from."""

    model_config = ConfigDict(frozen=True)

    target: str
    field: str
    text: str


class Metrics(BaseModel):
    """Aggregate scores of one retriever over a query set."""

    model_config = ConfigDict(frozen=True)

    name: str
    questions: int
    category_at_1: float
    family_at_1: float
    family_at_5: float
    mrr: float
    abstained: float
    seconds: float
    answer_category_at_1: float | None = None


class QueryResult(BaseModel):
    """What each retriever did with one question, for error analysis."""

    target: str
    target_category: str | None
    field: str
    question: str
    cnaps_top: list[str]
    cnaps_categories: list[str | None]
    cnaps_family_rank: int | None
    cnaps_abstained: bool
    cnaps_answer_first: str | None = None
    dense_top: list[str]
    dense_categories: list[str | None]
    dense_family_rank: int | None
    top_components: dict[str, float]
    question_tasks: list[tuple[str, float]]


class Report(BaseModel):
    """The evaluation: one Metrics row per retriever, per-question results, and skipped questions."""

    cnaps: Metrics
    dense: Metrics
    results: list[QueryResult]
    skipped: list[str]

    def table(self) -> str:
        """The metrics as a Markdown table, cnaps_rag next to the plain dense retriever."""
        lines = [
            "| retriever | questions | category@1 | family@1 | family@5 | MRR | abstained | answer category@1 | seconds |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for m in (self.dense, self.cnaps):
            answered = "—" if m.answer_category_at_1 is None else f"{m.answer_category_at_1:.3f}"
            lines.append(
                f"| {m.name} | {m.questions} | {m.category_at_1:.3f} | {m.family_at_1:.3f} | {m.family_at_5:.3f} "
                f"| {m.mrr:.3f} | {m.abstained:.3f} | {answered} | {m.seconds:.1f} |"
            )
        return "\n".join(lines)


def load_queries(path: str | os.PathLike[str]) -> list[Query]:
    """Read a queries file: a JSON list of objects with ``Model Unique Name`` and any ``Query*`` keys."""
    file = Path(path)
    data = read_json(file, "queries file", InputError)
    if not isinstance(data, list):
        raise InputError(f"{file}: expected a JSON list of {{'Model Unique Name', 'Query1'}} objects")
    queries = []
    for i, record in enumerate(data):
        if not isinstance(record, dict) or not record.get("Model Unique Name"):
            raise InputError(f"{file}: record {i + 1} has no 'Model Unique Name'")
        for key in sorted(k for k in record if re.fullmatch(r"Query\d*", k)):
            text = record[key]
            if isinstance(text, str) and text.strip():
                queries.append(Query(target=record["Model Unique Name"], field=key, text=text.strip()))
    if not queries:
        raise InputError(f"{file}: no 'Query*' fields with text")
    return queries


def evaluate(
    catalog_paths: Sequence[str | os.PathLike[str]],
    queries_path: str | os.PathLike[str],
    *,
    engine: Engine | None = None,
    weights: Weights | None = None,
    index_directory: str | os.PathLike[str] | None = None,
    store: str | None = None,
) -> Report:
    """Run cnaps_rag and the plain dense baseline over the queries; see the module docstring for metrics.

    ``store`` (a ``postgresql://`` URI) keeps the catalog's index in that database instead of on disk.
    """
    engine = (engine or default_engine()).variant(weights=weights, store=store)
    embedder = engine.embedder
    queries = load_queries(queries_path)
    index = engine.catalog_index(catalog_paths, directory=index_directory)
    by_name = {s.name: s for s in index.sources}
    skipped = [f"{q.field} of {q.target!r}: not in the catalog" for q in queries if q.target not in by_name]
    queries = [q for q in queries if q.target in by_name]
    if not queries:
        raise InputError("none of the queries' target models is in the catalog")
    families = [family_keys(s) for s in index.sources]

    def family_rank(target: Source, rows: list[int]) -> int | None:
        wanted = family_keys(target)
        for rank, row in enumerate(rows, start=1):
            if families[row] & wanted:
                return rank
        return None

    retriever = engine.retriever(index)
    started = time.perf_counter()
    rankings = list(retriever.rank_many([q.text for q in queries]))
    scopes: list[Scope] = [judge_scope(r, engine.tuning.scope) for r in rankings]
    cnaps_seconds = time.perf_counter() - started
    responder = Responder(engine.taxonomy, engine.tuning)
    answered = [next((ref.source.name for ref in responder.respond(r).references if ref.role == "recommended model"), None)
                for r in rankings]

    started = time.perf_counter()
    dense_rows = plain_dense_order(embedder, index.sources, embedder.encode([q.text for q in queries]))
    dense_seconds = time.perf_counter() - started

    results = []
    for q, ranking, scope, dense_order, first in zip(queries, rankings, scopes, dense_rows, answered):
        target = by_name[q.target]
        cnaps_rows = [index.positions[h.source.id] for h in ranking.hits]
        dense_list = [int(r) for r in dense_order]
        top = ranking.hits[0]
        results.append(QueryResult(
            target=q.target,
            target_category=target.category,
            field=q.field,
            question=q.text,
            cnaps_top=[index.sources[r].name for r in cnaps_rows[:5]],
            cnaps_categories=[index.sources[r].category for r in cnaps_rows[:5]],
            cnaps_family_rank=family_rank(target, cnaps_rows),
            cnaps_abstained=not scope.in_scope,
            cnaps_answer_first=first,
            dense_top=[index.sources[r].name for r in dense_list[:5]],
            dense_categories=[index.sources[r].category for r in dense_list[:5]],
            dense_family_rank=family_rank(target, dense_list),
            top_components={"score": top.score, "dense": top.dense, "lexical": top.lexical, "task": top.task,
                            "name": top.name, "variant": top.variant},
            question_tasks=ranking.analysis.top(3),
        ))
    ours = _metrics("cnaps_rag", results, "cnaps", cnaps_seconds)
    ours = ours.model_copy(update={"answer_category_at_1": float(np.mean(
        [r.cnaps_answer_first in by_name and by_name[r.cnaps_answer_first].category == r.target_category
         for r in results]))})
    return Report(
        cnaps=ours,
        dense=_metrics("plain dense", results, "dense", dense_seconds),
        results=results,
        skipped=skipped,
    )


def plain_dense_order(embedder: Embedder, sources: Sequence[Source], query_vectors: np.ndarray) -> np.ndarray:
    """The plain dense baseline: per question, the rows of ``sources`` by cosine to "name. summary", best first."""
    doc_vectors = embedder.encode([f"{s.name}. {s.summary or ''}".strip() for s in sources])
    return np.argsort(-(query_vectors @ doc_vectors.T), axis=1, kind="stable")


def _metrics(name: str, results: list[QueryResult], prefix: str, seconds: float) -> Metrics:
    n = len(results)

    def mean(values: list[float]) -> float:
        return float(np.mean(values)) if values else 0.0

    ranks = [getattr(r, f"{prefix}_family_rank") for r in results]
    categories = [getattr(r, f"{prefix}_categories") for r in results]
    return Metrics(
        name=name,
        questions=n,
        category_at_1=mean([float(bool(c) and c[0] == r.target_category) for c, r in zip(categories, results)]),
        family_at_1=mean([float(rank == 1) for rank in ranks]),
        family_at_5=mean([float(rank is not None and rank <= 5) for rank in ranks]),
        mrr=mean([1.0 / rank if rank else 0.0 for rank in ranks]),
        abstained=mean([float(r.cnaps_abstained) for r in results]) if prefix == "cnaps" else 0.0,
        seconds=round(seconds, 3),
    )


def write_results(report: Report, path: str | os.PathLike[str]) -> None:
    """Write the per-question results as JSON (atomically) for error analysis."""
    payload: dict[str, Any] = json.loads(report.model_dump_json())
    atomic_write(Path(path), json.dumps(payload, indent=2, ensure_ascii=False).encode())
