"""Ranking the sources of one index for a question: candidates, signals, fusion, one per family.

Every hit carries each signal's value in ``components`` (see ``ranking.signals``), so a ranking
can be read and explained.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from ..embedding import Embedder
from ..errors import InputError
from ..index import SourceIndex
from ..sources import Source, check_text, readable
from ..question import QuestionAnalysis, analyze_question
from ..tasks import Taxonomy
from ..tuning import LIMITS, TUNING, Tuning, Weights
from .fit import fitting_lead, lead_fits
from .signals import Context, IndexFeatures, compute, fuse, question_tokens, settle_siblings


class Hit(BaseModel):
    """A ranked source with its fused score and the signal values (``components``) that produced it.

    Components read as attributes too: ``hit.dense``, ``hit.task``.
    """

    model_config = ConfigDict(frozen=True)

    source: Source
    rank: int
    score: float
    components: dict[str, float]
    tasks: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    backing: Source | None = None

    def __getattr__(self, item: str) -> Any:
        components = self.__dict__.get("components")
        if components is not None and item in components:
            return components[item]
        return super().__getattr__(item)  # type: ignore[misc]

    def __str__(self) -> str:
        parts = " ".join(f"{k}={v:.3f}" for k, v in self.components.items())
        return f"#{self.rank} {self.source.name} [{self.source.id}] score={self.score:.3f} ({parts})"


class Ranking(BaseModel):
    """All hits for one question, best first, with what the question said about tasks."""

    model_config = ConfigDict(frozen=True)

    question: str
    analysis: QuestionAnalysis
    hits: tuple[Hit, ...]


def check_question(question: object, what: str = "the question", limit: int = LIMITS.max_question_chars) -> str:
    """Return the question stripped, or raise InputError saying what is wrong with ``what`` (not text,
    empty, too long, or not valid Unicode text)."""
    if not isinstance(question, str):
        raise InputError(f"{what} must be text, not {type(question).__name__}")
    text = question.strip()
    if not text:
        raise InputError(f"{what} is empty: ask something, e.g. 'How does AI upscale a photo 4x?'")
    if len(text) > limit:
        raise InputError(
            f"{what} is {len(text):,} characters long; the limit is {limit:,}. "
            "Ask the question itself, not a whole document."
        )
    try:
        return check_text(text, len(text))  # the source rule: valid Unicode, no lone surrogates
    except ValueError as exc:
        raise InputError(f"{what} {exc}") from None


class Retriever:
    """Ranks the sources of one index for questions; thread-safe, reusable."""

    def __init__(self, index: SourceIndex, *, embedder: Embedder, taxonomy: Taxonomy, tuning: Tuning = TUNING,
                 backing: Mapping[str, Source] | None = None) -> None:
        if index.manifest.taxonomy_sha256 != taxonomy.fingerprint:
            raise InputError(
                "this index was built with a different task taxonomy than the one given to the retriever; "
                "rebuild the index (cnaps-rag index build) or pass the taxonomy it was built with"
            )
        self.index = index
        self.embedder = embedder
        self.taxonomy = taxonomy
        self.tuning = tuning
        # What backs each source (its card); sources are ranked as read with it, reported as given.
        self.backing = dict(backing or {})
        self.features = IndexFeatures.of([readable(s, self.backing.get(s.id)) for s in index.sources], taxonomy,
                                         embed=embedder.encode)

    @property
    def weights(self) -> Weights:
        """The fusion weights in use."""
        return self.tuning.weights

    def rank(self, question: str, k: int | None = None, *, restrict: Iterable[str] | None = None) -> Ranking:
        """Rank the index's sources (or only the ids in ``restrict``) for ``question``."""
        question = check_question(question)
        vector = self.embedder.encode([question])[0]
        return self.rank_vector(question, vector, k, restrict)

    def rank_many(self, questions: Sequence[str], k: int | None = None) -> Iterator[Ranking]:
        """Rank many questions, in order, embedding them in batches.

        While one batch is ranked here, the next is embedded on a worker thread (torch releases
        the GIL while it multiplies), so the two cores share the work instead of taking turns.
        """
        cleaned = [check_question(q, f"questions[{i}]") for i, q in enumerate(questions)]
        size = self.tuning.ranking.batch
        chunks = [cleaned[i : i + size] for i in range(0, len(cleaned), size)]
        if not chunks:
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self.embedder.encode, chunks[0])
            for i, chunk in enumerate(chunks):
                vectors = pending.result()
                if i + 1 < len(chunks):
                    pending = pool.submit(self.embedder.encode, chunks[i + 1])
                for question, vector in zip(chunk, vectors):
                    yield self.rank_vector(question, vector, k, None)

    def rank_vector(self, question: str, vector: np.ndarray, k: int | None = None,
                    restrict: Iterable[str] | None = None) -> Ranking:
        """Rank for a question whose embedding is already known."""
        index, tuning = self.index, self.tuning
        analysis = analyze_question(question, self.taxonomy, vector, index.task_vectors, tuning.question)
        rows = self._candidates(question, vector, restrict)
        if len(rows) == 0:
            return Ranking(question=question, analysis=analysis, hits=())
        ctx = Context(question=question, vector=vector, analysis=analysis, rows=rows, index=index,
                      features=self.features, taxonomy=self.taxonomy, tuning=tuning)
        components = compute(ctx)
        fused = fuse(components, tuning.weights.model_dump())
        fits = lead_fits(analysis, self.features, tuning, rows)
        order = final_order(fused, components["variant"], rows, self.features, tuning, fits)
        if k is not None:
            order = order[:k]
        floor = tuning.ranking.hit_task_floor
        hits = []
        for rank, j in enumerate(order, start=1):
            row = int(rows[j])
            source = index.sources[row]
            top_tasks = np.argsort(index.affinity[row])[::-1][:2]
            hits.append(Hit(
                source=source,
                rank=rank,
                score=round(float(fused[j]), 6),
                components={name: round(float(values[j]), 6) for name, values in components.items()},
                tasks=tuple(self.taxonomy.ids[c] for c in top_tasks if index.affinity[row, c] >= floor),
                labels=self.features.labels[row],
                backing=self.backing.get(source.id),
            ))
        return Ranking(question=question, analysis=analysis, hits=tuple(hits))

    def _candidates(self, question: str, vector: np.ndarray, restrict: Iterable[str] | None) -> np.ndarray:
        index, ranking = self.index, self.tuning.ranking
        if restrict is not None:
            wanted = list(dict.fromkeys(restrict))
            unknown = [i for i in wanted if i not in index.positions]
            if unknown:
                raise InputError(f"unknown source id(s): {', '.join(map(repr, unknown[:5]))}")
            return np.array(sorted(index.positions[i] for i in wanted), dtype=np.int64)
        if len(index) <= ranking.exhaustive_limit:
            return np.arange(len(index), dtype=np.int64)
        # Large catalogs: the dense shortlist, the rare-word shortlist and any source the question
        # names are re-ranked with every signal.
        _, dense_rows = index.store.search(vector[None, :].astype(np.float32), ranking.candidates)
        lexical_rows = index.lexical.rare_candidates(question, ranking.candidates, ranking.rare_df)
        token_rows = self.features.token_rows
        named = [r for t in question_tokens(question) for r in token_rows.get(t, ())][: ranking.candidates]
        rows = np.union1d(np.union1d(dense_rows[0][dense_rows[0] >= 0], lexical_rows), np.array(named, dtype=np.int64))
        return rows.astype(np.int64)


def final_order(fused: np.ndarray, variant: np.ndarray, rows: np.ndarray, features: IndexFeatures,
                tuning: Tuning, fits: np.ndarray | None = None) -> np.ndarray:
    """Positions into ``rows``, best first, from their fused scores: variants settled by the question's
    condition (``settle_siblings``), ties broken by row, each family's best before any second, and, given the
    rows' ``fits`` for a question that names its task (``fit.task_fit``), no implausible model leading one that
    does the task (``fit.fitting_lead``).

    The one ordering rule; cross-validation re-fuses stored signal values and orders them with it.
    """
    settled = settle_siblings(fused, variant, features.siblings[rows], tuning.variants.decisive_lead)
    order = one_per_family(np.lexsort((rows, -settled)), features.family[rows])
    return order if fits is None else fitting_lead(order, fits, features.is_model[rows], tuning)


def one_per_family(order: np.ndarray, family: np.ndarray) -> np.ndarray:
    """Reorder a ranking so each family's best entry comes before any family's second entry.

    The best variant of a family is already first among its siblings (the variant signal saw to
    that); listing four SwinIR scales before any other model would only hide the alternatives.
    """
    seen: set[int] = set()
    firsts, rest = [], []
    for j in order.tolist():
        (rest if family[j] in seen else firsts).append(j)
        seen.add(int(family[j]))
    return np.array(firsts + rest, dtype=np.int64)
