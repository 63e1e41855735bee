"""Prompt-level evaluation: reference-format prompts about catalog models, answered as a user would be.

Sets of prompts:
- **built** from a catalog and a question file, one prompt per question whose target model is in
  the catalog, in the format of ``examples/seed_prompt.txt``. The recommended models are the
  target and one model of another ``Detailed Category``, in random order, each with name, Paper
  and GitHub only (no summary, no Hugging Face link); the related papers are two random arXiv
  records (catalog records with an ``arxiv_id``) with their summaries, whitespace collapsed onto
  the ``Summary:`` line. The choices come from ``random.Random(f"{seed}:{target}:{field}")``, so
  a prompt depends only on the seed and its question's target and field: the same target gets
  the same companions in every question file, and a subset of a file gets the same prompts.
- **logged**: the ``query_text`` of each ``*.json`` in a directory (the CNAPS eval results); the
  target is the file name, and it is scored only when a recommended model of that name is listed.

Per prompt (``PromptResult``), from ``Engine.answer_prompt`` on the prompt text:
- ``crashed``: any exception while parsing, answering, rendering or verifying (type and message
  kept in ``error``); a crashed prompt counts as wrong in every rate below;
- ``abstained``: the answer abstained;
- ``primary``: the answer did not abstain and the first reference whose role is "recommended
  model" is the target (an abstaining answer recommends nothing to its reader);
- ``task``: the answer did not abstain and part 1's primary task (``task.task_ids[0]``) is one
  the target's ``Detailed Category`` maps to through the taxonomy's labels: the task whose label
  it is (``Taxonomy.index_for_label``, case-insensitive), or, for an umbrella label that covers
  several tasks, any of them (``Taxonomy.columns_for_label``: Restoration covers
  super-resolution, denoising, JPEG artifact removal, deblurring and face restoration, so the
  reference prompt's super-resolution answer about Restoration-SwinIR-Jpeg40 counts). ``None``
  (not scored) when the target's category is unknown or maps to no task;
- ``verified``: ``verify(answer).ok``;
- ``outside_links``: URLs in the Markdown answer that are not URLs of the prompt text;
- ``coverage``: where part 2's first workflow came from: "card", "summary" or "name".

The plain dense baseline reads the same parsed prompt: its primary is the listed recommended model
with the highest cosine between the question and "name. summary" (the name alone when the prompt
gives no summary); its task is the taxonomy task whose "name: description" embedding is nearest
the question. It never abstains and writes no answer, so it has no verified/links/coverage.

Rates are over the prompts that list their target; ``crashed`` and ``outside links`` count all
prompts (the baseline "crashes" only on a prompt that does not parse).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from .engine import Engine, default_engine
from .errors import InputError
from .evaluation import load_queries, plain_dense_order
from .files import atomic_write, read_json
from .ingest import ParsedPrompt, load_catalog, parse_prompt
from .sources import Source, slug
from .tasks import Taxonomy

RELATED_PAPERS = 2
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»”’'\""
_HEADER = """You are an AI scientist.

A user has asked the following question:
"{question}"

Based on the following recommended models, explain:

1. What task the user is trying to perform.
2. How the model(s) would work in a CNAPS AI-like workflow (input → model → output).
3. List relevant papers and tools (with GitHub or ArXiv links) that support your answer.

Use **only the provided models and papers**. Do not refer to outside sources.
"""


class PromptCase(BaseModel):
    """One prompt to answer: its id (``set/NNN-target``), the target model and its catalog category."""

    model_config = ConfigDict(frozen=True)

    id: str
    set: str
    target: str
    category: str | None
    text: str


class PromptResult(BaseModel):
    """What cnaps_rag and the plain dense baseline did with one prompt (see the module docstring)."""

    id: str
    set: str
    target: str
    category: str | None
    listed: bool
    question: str | None
    crashed: bool
    error: str | None = None
    abstained: bool | None = None
    abstain_reason: str | None = None
    primary: bool = False
    task: bool | None = None
    verified: bool = False
    problems: list[str] = []
    outside_links: list[str] = []
    coverage: str | None = None
    task_ids: list[str] = []
    first_recommended: str | None = None
    roles: list[tuple[str, str]] = []
    dense_first: str | None = None
    dense_task_id: str | None = None
    dense_primary: bool = False
    dense_task: bool | None = None


class PromptMetrics(BaseModel):
    """One row of the table: a retriever on one set (rates over the prompts that list their target)."""

    model_config = ConfigDict(frozen=True)

    set: str
    retriever: str
    prompts: int
    crashed: int
    listed: int
    primary: float
    task: float
    task_scored: int
    abstained: float | None
    verified: float | None
    outside_links: int | None
    coverage: dict[str, int] | None
    seconds: float


class PromptReport(BaseModel):
    """The prompt evaluation: rows per set and retriever, per-prompt results, skipped questions."""

    rows: list[PromptMetrics]
    results: list[PromptResult]
    skipped: list[str]

    def table(self) -> str:
        """The rows as a Markdown table, cnaps_rag next to plain dense for each set."""
        lines = [
            "| set | retriever | prompts | crashed | listed | primary | task | abstained | verified "
            "| outside links | coverage card/summary/name | seconds |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]

        def show(value: float | int | None, digits: bool = True) -> str:
            return "—" if value is None else (f"{value:.3f}" if digits else str(value))

        for m in self.rows:
            cover = "—" if m.coverage is None else "/".join(str(m.coverage.get(k, 0)) for k in ("card", "summary", "name"))
            lines.append(
                f"| {m.set} | {m.retriever} | {m.prompts} | {m.crashed} | {m.listed} | {m.primary:.3f} "
                f"| {m.task:.3f} | {show(m.abstained)} | {show(m.verified)} | {show(m.outside_links, False)} "
                f"| {cover} | {m.seconds:.1f} |"
            )
        return "\n".join(lines)


# --- construction ---------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def format_prompt(question: str, models: Sequence[Source], papers: Sequence[Source]) -> str:
    """A prompt in the reference format: models with name, Paper and GitHub; papers with their summary."""
    parts = [_HEADER.format(question=_one_line(question)), "### Recommended AI Models:"]
    for model in models:
        parts.append(f"Model: {_one_line(model.name)}")
        parts += [f"{key}: {url}" for key, url in (("Paper", model.paper_url), ("GitHub", model.github_url)) if url]
        parts.append("")
    if papers:
        parts.append("### Related Papers:")
        for paper in papers:
            parts.append(f"Model: {_one_line(paper.name)}")
            parts += [f"Paper: {paper.paper_url}"] if paper.paper_url else []
            parts += [f"Summary: {_one_line(paper.summary)}"] if paper.summary else []
            parts.append("")
    return "\n".join(parts) + "\n\nAnswer:\n"


def build_prompts(sources: Sequence[Source], queries_path: str | os.PathLike[str], *, seed: int, set_name: str,
                  skipped: list[str] | None = None) -> list[PromptCase]:
    """Prompts for the questions of ``queries_path`` whose target is a model of ``sources`` (see module docstring)."""
    models = [s for s in sources if s.kind == "model"]
    papers = [s for s in sources if s.kind == "paper"]
    by_name = {m.name: m for m in models}
    cases = []
    for query in load_queries(queries_path):
        target = by_name.get(query.target)
        if target is None:
            if skipped is not None:
                skipped.append(f"{set_name}: {query.field} of {query.target!r}: not a model of the catalog")
            continue
        others = [m for m in models if m.category and m.category != target.category]
        rng = random.Random(f"{seed}:{target.name}:{query.field}")
        listed = [target] + ([rng.choice(others)] if others else [])
        rng.shuffle(listed)
        related = rng.sample(papers, min(RELATED_PAPERS, len(papers)))
        number = len(cases) + 1
        cases.append(PromptCase(id=f"{set_name}/{number:03d}-{slug(target.name)}", set=set_name, target=target.name,
                                category=target.category, text=format_prompt(query.text, listed, related)))
    return cases


def logged_prompts(directory: str | os.PathLike[str], categories: dict[str, str | None] | None = None,
                   set_name: str = "logged") -> list[PromptCase]:
    """The ``query_text`` of every ``*.json`` in ``directory``; the target is the file name."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory of logged prompts (*.json with a 'query_text')")
    files = sorted(root.glob("*.json"))
    if not files:
        raise InputError(f"{root}: no *.json files")
    cases = []
    for number, file in enumerate(files, start=1):
        data = read_json(file, "logged prompt", InputError)
        text = data.get("query_text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{file}: no 'query_text' with the prompt")
        cases.append(PromptCase(id=f"{set_name}/{number:03d}-{slug(file.stem)}", set=set_name, target=file.stem,
                                category=(categories or {}).get(file.stem), text=text))
    return cases


def prompt_sets(catalog_paths: Sequence[str | os.PathLike[str]] | None,
                queries_paths: Sequence[str | os.PathLike[str]] | None, logged: str | os.PathLike[str] | None,
                *, seed: int = 0) -> tuple[dict[str, list[PromptCase]], list[str]]:
    """Every set the command line asks for: one per question file (named by its file stem), then ``logged``."""
    if queries_paths and not catalog_paths:
        raise InputError("built prompts need --catalog: the models and papers the prompts are built from")
    if not queries_paths and logged is None:
        raise InputError("eval --prompts needs --queries FILE… (with --catalog) or --logged DIR, or both")
    sources = list(load_catalog(catalog_paths).sources) if catalog_paths else []
    sets: dict[str, list[PromptCase]] = {}
    skipped: list[str] = []
    for path in queries_paths or ():
        name = Path(path).stem
        name = name if name not in sets else f"{name}-{len(sets) + 1}"
        sets[name] = build_prompts(sources, path, seed=seed, set_name=name, skipped=skipped)
    if logged is not None:
        sets["logged"] = logged_prompts(logged, {s.name: s.category for s in sources if s.kind == "model"})
    return sets, skipped


def write_prompts(sets: dict[str, list[PromptCase]], directory: str | os.PathLike[str]) -> int:
    """Write each prompt to ``directory/<id>.txt`` (for ``cnaps-rag prompt FILE``); returns how many."""
    cases = [case for group in sets.values() for case in group]
    for case in cases:
        path = Path(directory) / f"{case.id}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, case.text.encode("utf-8"))
    return len(cases)


# --- scoring --------------------------------------------------------------------------------------


def expected_tasks(taxonomy: Taxonomy, category: str | None) -> set[str]:
    """The task ids catalog ``category`` maps to through the taxonomy's labels; empty when none."""
    return {taxonomy.ids[c] for c in taxonomy.columns_for_label(category)}


def task_matches(taxonomy: Taxonomy, task_id: str | None, category: str | None) -> bool | None:
    """Whether ``task_id`` is a task ``category`` maps to; None when it maps to none."""
    expected = expected_tasks(taxonomy, category)
    return (task_id in expected) if expected else None


def outside_links(markdown: str, prompt: str) -> list[str]:
    """URLs of ``markdown`` that are not URLs of ``prompt`` (trailing punctuation ignored on both sides)."""
    allowed = {u for m in _URL.finditer(prompt) for u in (m.group(0), m.group(0).rstrip(_TRAILING))}
    found = [m.group(0) for m in _URL.finditer(markdown)]
    return sorted({u for u in found if u not in allowed and u.rstrip(_TRAILING) not in allowed})


def _answer_one(engine: Engine, case: PromptCase, parsed: ParsedPrompt, result: PromptResult) -> None:
    answer = engine.answer_prompt(parsed)
    result.abstained = answer.abstained
    result.abstain_reason = answer.abstain_reason
    result.task_ids = list(answer.task.task_ids)
    result.roles = [(r.source.name, r.role) for r in answer.references]
    result.first_recommended = next((r.source.name for r in answer.references if r.role == "recommended model"), None)
    result.primary = not answer.abstained and result.first_recommended == case.target
    expected = task_matches(engine.taxonomy, result.task_ids[0] if result.task_ids else None, case.category)
    result.task = None if expected is None else (expected and not answer.abstained)
    check = engine.verify(answer)
    result.verified, result.problems = check.ok, list(check.problems[:5])
    result.outside_links = outside_links(answer.to_markdown(), case.text)
    result.coverage = answer.workflow[0].coverage if answer.workflow else None


def _dense_baseline(engine: Engine, cases: Sequence[PromptCase], results: Sequence[PromptResult],
                    prompts: Sequence[ParsedPrompt | None]) -> None:
    """Fill in the plain dense baseline's fields (see the module docstring) for the prompts that parsed."""
    taxonomy = engine.taxonomy
    parsed = [(case, result, p) for case, result, p in zip(cases, results, prompts) if p is not None]
    if not parsed:
        return
    task_vectors = engine.embedder.encode([f"{t.name}: {t.description}" for t in taxonomy.tasks])
    question_vectors = engine.embedder.encode([p.question for _, _, p in parsed])
    for (case, result, p), question in zip(parsed, question_vectors):
        models = [s for s in p.sources if s.id in p.recommended]
        if models:
            result.dense_first = models[int(plain_dense_order(engine.embedder, models, question[None])[0][0])].name
        result.dense_primary = result.dense_first == case.target
        result.dense_task_id = taxonomy.ids[int(np.argmax(task_vectors @ question))]
        result.dense_task = task_matches(taxonomy, result.dense_task_id, case.category)


def summarize(results: Sequence[PromptResult], set_name: str, retriever: str, seconds: float = 0.0) -> PromptMetrics:
    """One table row: ``retriever`` is "cnaps_rag" or "plain dense" (its ``dense_*`` fields)."""
    ours = retriever == "cnaps_rag"
    listed = [r for r in results if r.listed]

    def rate(values: list[bool]) -> float:
        return float(np.mean(values)) if values else 0.0

    primary = [r.primary if ours else r.dense_primary for r in listed]
    tasks = [t for t in ((r.task if ours else r.dense_task) for r in listed) if t is not None]
    answered = [r for r in listed if not r.crashed and not r.abstained]
    return PromptMetrics(
        set=set_name, retriever=retriever, prompts=len(results),
        crashed=sum(r.crashed if ours else r.question is None for r in results),
        listed=len(listed), primary=rate(primary), task=rate(tasks), task_scored=len(tasks),
        abstained=rate([bool(r.abstained) for r in listed]) if ours else None,
        verified=rate([r.verified for r in listed]) if ours else None,
        outside_links=sum(bool(r.outside_links) for r in results) if ours else None,
        coverage=dict(Counter(r.coverage or "none" for r in answered)) if ours else None,
        seconds=round(seconds, 3),
    )


def evaluate_prompts(sets: dict[str, list[PromptCase]], *, engine: Engine | None = None, skipped: Sequence[str] = (),
                     progress: Callable[[int, int], None] | None = None) -> PromptReport:
    """Answer every prompt with cnaps_rag and the plain dense baseline; one row per set and retriever."""
    engine = engine or default_engine()
    total = sum(len(c) for c in sets.values())
    done = 0
    rows, results = [], []
    for name, cases in sets.items():
        set_results, prompts = [], []
        started = time.perf_counter()
        for case in cases:
            result = PromptResult(id=case.id, set=name, target=case.target, category=case.category, listed=False,
                                  question=None, crashed=False)
            parsed = None
            try:
                parsed = parse_prompt(case.text)
                result.question = parsed.question
                result.listed = any(s.name == case.target for s in parsed.sources if s.id in parsed.recommended)
                _answer_one(engine, case, parsed, result)
            except Exception as exc:  # noqa: BLE001 - any exception is what this evaluation counts
                result.crashed, result.error = True, f"{type(exc).__name__}: {exc}"
                result.primary, result.verified = False, False
                result.task = None if not expected_tasks(engine.taxonomy, case.category) else False
            set_results.append(result)
            prompts.append(parsed)
            done += 1
            if progress is not None:
                progress(done, total)
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        _dense_baseline(engine, cases, set_results, prompts)
        dense_seconds = time.perf_counter() - started
        rows += [summarize(set_results, name, "cnaps_rag", ours_seconds),
                 summarize(set_results, name, "plain dense", dense_seconds)]
        results += set_results
    return PromptReport(rows=rows, results=results, skipped=list(skipped))


def write_prompt_results(report: PromptReport, path: str | os.PathLike[str]) -> None:
    """Write the rows and per-prompt results as JSON (atomically) for error analysis."""
    payload: dict[str, Any] = json.loads(report.model_dump_json())
    atomic_write(Path(path), json.dumps(payload, indent=2, ensure_ascii=False).encode())
