"""Ranking sources for a question: dense similarity fused with lexical, task, name and variant signals.

Each signal answers a different question. *dense*: does the source talk about the same thing?
*lexical*: does it use the question's exact words (names such as 'SwinIR', 'JPEG', 'x4')?
*task*: is it about the task the question implies (from the taxonomy)? *name*: does the question
name the model? *variant*: do the settings in a Category-Architecture-Variant name (x4, Jpeg40,
Noise25) fit what the question asks for? Every hit carries all five, so a ranking can be read.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Iterator, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from .embedding import Embedder, default_embedder
from .errors import InputError
from .index import SourceIndex
from .naming import ModelName, parse_model_name
from .sources import Source, arxiv_id, slug
from .tasks import QuestionAnalysis, Taxonomy, analyze_question, default_taxonomy, source_label_columns
from .text import STOPWORDS, normalize, stems

MAX_QUESTION_CHARS = 20_000
EXHAUSTIVE_LIMIT = 4096
CANDIDATES = 256
BATCH = 128


class Weights(BaseModel):
    """How much each signal counts in the fused score (tuned on labelled questions; see README)."""

    model_config = ConfigDict(frozen=True)

    dense: float = 1.0
    lexical: float = 2.4
    task: float = 0.2
    name: float = 0.5
    variant: float = 0.2
    prior: float = 0.1
    model: float = 0.2


class Hit(BaseModel):
    """A ranked source with its fused score and the component scores that produced it."""

    model_config = ConfigDict(frozen=True)

    source: Source
    rank: int
    score: float
    dense: float
    lexical: float
    task: float
    name: float
    variant: float
    prior: float = 0.0
    model: float = 0.0
    tasks: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    backing: Source | None = None

    def __str__(self) -> str:
        return (
            f"#{self.rank} {self.source.name} [{self.source.id}] score={self.score:.3f} "
            f"(dense={self.dense:.3f} lexical={self.lexical:.3f} task={self.task:.3f} "
            f"name={self.name:.2f} variant={self.variant:+.2f} prior={self.prior:.2f} model={self.model:.0f})"
        )


class Ranking(BaseModel):
    """All hits for one question, best first, with what the question said about tasks."""

    model_config = ConfigDict(frozen=True)

    question: str
    analysis: QuestionAnalysis
    hits: tuple[Hit, ...]


def check_question(question: object) -> str:
    """Return the question stripped, or raise InputError saying what is wrong with it."""
    if not isinstance(question, str):
        raise InputError(f"the question must be text, not {type(question).__name__}")
    text = question.strip()
    if not text:
        raise InputError("the question is empty: ask something, e.g. 'How does AI upscale a photo 4x?'")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
            "Ask the question itself, not a whole document."
        )
    return text


def find_card(source: Source, cards: Iterable[Source]) -> Source | None:
    """The corpus card for a supplied source that has no summary: same arXiv id, GitHub link or name."""
    wanted_arxiv = arxiv_id(source.paper_url)
    wanted_github = (source.github_url or "").rstrip("/").lower()
    wanted_name = slug(source.name)
    by_name = None
    for card in cards:
        if card.card is None and not card.summary:
            continue
        if wanted_arxiv and arxiv_id(card.paper_url) == wanted_arxiv:
            if slug(card.name) == wanted_name or card.card is not None:
                return card
        if wanted_github and (card.github_url or "").rstrip("/").lower() == wanted_github and card.card is not None:
            return card
        if slug(card.name) == wanted_name:
            by_name = card
    return by_name


def merge_card(source: Source, card: Source) -> Source:
    """The supplied source as ranked: its own id, name and links, with the card's text to go on."""
    return source.model_copy(update={"summary": source.summary or card.summary, "card": source.card or card.card,
                                     "category": source.category or card.category})


class Retriever:
    """Ranks the sources of one index for questions; thread-safe, reusable."""

    def __init__(self, index: SourceIndex, *, embedder: Embedder | None = None, taxonomy: Taxonomy | None = None,
                 weights: Weights | None = None, backing: dict[str, Source] | None = None,
                 originals: dict[str, Source] | None = None) -> None:
        self.index = index
        self.embedder = embedder or default_embedder()
        self.taxonomy = taxonomy or default_taxonomy()
        self.weights = weights or Weights()
        if index.manifest.taxonomy_sha256 != self.taxonomy.fingerprint:
            raise InputError(
                "this index was built with a different task taxonomy than the one given to the retriever; "
                "rebuild the index (cnaps-rag index build) or pass the taxonomy it was built with"
            )
        self.backing = backing or {}
        # Sources enriched from a card are ranked with the card's text but reported as supplied.
        self._originals = originals or {}
        self._names = [parse_model_name(s.name, self.taxonomy.multi_token_labels) for s in index.sources]
        self._settings = _name_settings(self._names)
        self._labels = [tuple(self.taxonomy.ids[c] for c in source_label_columns(s, self.taxonomy)) for s in index.sources]
        # Distinctive name token -> rows whose name carries it, so naming a model is one lookup per word.
        self._token_rows: dict[str, list[int]] = {}
        for row, source in enumerate(index.sources):
            for token in _distinctive_tokens(source.name):
                self._token_rows.setdefault(token, []).append(row)
        self._family = families(index.sources)
        self._prior = family_prior(self._family)
        # The product recommends models; papers support them. A model gets a fixed bonus over a paper.
        self._is_model = np.array([s.kind == "model" for s in index.sources], dtype=np.float32)
        self._lock = threading.Lock()

    @classmethod
    def for_sources(cls, sources: Sequence[Source], *, cards: Sequence[Source] = (), embedder: Embedder | None = None,
                    taxonomy: Taxonomy | None = None, weights: Weights | None = None) -> "Retriever":
        """An in-memory retriever over caller-supplied sources (never written to disk).

        A model supplied without a summary is enriched from ``cards`` (same paper, GitHub link or
        name); the hit still names the supplied source and records the card it leaned on.
        """
        embedder = embedder or default_embedder()
        taxonomy = taxonomy or default_taxonomy()
        effective, backing = [], {}
        for source in sources:
            card = find_card(source, cards) if not source.summary and source.card is None else None
            if card is not None:
                backing[source.id] = card
                effective.append(merge_card(source, card))
            else:
                effective.append(source)
        index = SourceIndex.build(effective, embedder=embedder, taxonomy=taxonomy)
        originals = {s.id: s for s in sources if s.id in backing}
        return cls(index, embedder=embedder, taxonomy=taxonomy, weights=weights, backing=backing, originals=originals)

    def rank(self, question: str, k: int | None = None, *, restrict: Iterable[str] | None = None) -> Ranking:
        """Rank the index's sources (or only the ids in ``restrict``) for ``question``."""
        question = check_question(question)
        vector = self.embedder.encode([question])[0]
        return self._rank(question, vector, k, restrict)

    def rank_many(self, questions: Sequence[str], k: int | None = None) -> Iterator[Ranking]:
        """Rank many questions, in order, embedding them in batches.

        While one batch is ranked here, the next is embedded on a worker thread (torch releases
        the GIL while it multiplies), so the two cores share the work instead of taking turns.
        """
        cleaned = [check_question(q) for q in questions]
        chunks = [cleaned[i : i + BATCH] for i in range(0, len(cleaned), BATCH)]
        if not chunks:
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self.embedder.encode, chunks[0])
            for i, chunk in enumerate(chunks):
                vectors = pending.result()
                if i + 1 < len(chunks):
                    pending = pool.submit(self.embedder.encode, chunks[i + 1])
                for question, vector in zip(chunk, vectors):
                    yield self._rank(question, vector, k, None)

    def _rank(self, question: str, vector: np.ndarray, k: int | None, restrict: Iterable[str] | None) -> Ranking:
        index = self.index
        analysis = analyze_question(question, self.taxonomy, vector, index.task_vectors)
        rows = self._candidates(question, vector, restrict)
        if len(rows) == 0:
            return Ranking(question=question, analysis=analysis, hits=())
        dense = self._dense(vector, rows)
        if len(rows) * 4 < len(index):
            lexical = index.lexical.normalized_rows(question, rows)
        else:
            lexical = index.lexical.normalized(question)[rows]
        probabilities = np.asarray(analysis.probabilities, dtype=np.float32)
        task = index.affinity[rows] @ probabilities
        name = self._name_scores(question, rows)
        variant = variant_scores(self._settings, rows, analysis, question)
        w = self.weights
        prior = self._prior[rows]
        model = self._is_model[rows]
        fused = (w.dense * dense + w.lexical * lexical + w.task * task + w.name * name + w.variant * variant
                 + w.prior * prior + w.model * model)
        order = one_per_family(np.lexsort((rows, -fused)), self._family[rows])
        if k is not None:
            order = order[:k]
        hits = []
        for rank, j in enumerate(order, start=1):
            row = int(rows[j])
            source = index.sources[row]
            top_tasks = np.argsort(index.affinity[row])[::-1][:2]
            hits.append(Hit(
                source=self._originals.get(source.id, source),
                rank=rank,
                score=round(float(fused[j]), 6),
                dense=round(float(dense[j]), 6),
                lexical=round(float(lexical[j]), 6),
                task=round(float(task[j]), 6),
                name=float(name[j]),
                variant=float(variant[j]),
                prior=round(float(prior[j]), 6),
                model=float(model[j]),
                tasks=tuple(self.taxonomy.ids[c] for c in top_tasks if index.affinity[row, c] >= 0.3),
                labels=self._labels[row],
                backing=self.backing.get(source.id),
            ))
        return Ranking(question=question, analysis=analysis, hits=tuple(hits))

    def _candidates(self, question: str, vector: np.ndarray, restrict: Iterable[str] | None) -> np.ndarray:
        index = self.index
        if restrict is not None:
            wanted = list(dict.fromkeys(restrict))
            unknown = [i for i in wanted if i not in index.positions]
            if unknown:
                raise InputError(f"unknown source id(s): {', '.join(map(repr, unknown[:5]))}")
            return np.array(sorted(index.positions[i] for i in wanted), dtype=np.int64)
        if len(index) <= EXHAUSTIVE_LIMIT:
            return np.arange(len(index), dtype=np.int64)
        # Large catalogs: the dense shortlist, the rare-word shortlist and any source the question
        # names are re-ranked with every signal.
        _, dense_rows = index.faiss_index.search(vector[None, :].astype(np.float32), CANDIDATES)
        lexical_rows = index.lexical.rare_candidates(question, CANDIDATES)
        named = [r for t in _question_tokens(question) for r in self._token_rows.get(t, ())][:CANDIDATES]
        rows = np.union1d(np.union1d(dense_rows[0][dense_rows[0] >= 0], lexical_rows), np.array(named, dtype=np.int64))
        return rows.astype(np.int64)

    def _dense(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.index.vectors_for(rows) @ vector

    def _name_scores(self, question: str, rows: np.ndarray) -> np.ndarray:
        named = {r for t in _question_tokens(question) for r in self._token_rows.get(t, ())}
        if not named:
            return np.zeros(len(rows), dtype=np.float32)
        return np.fromiter((r in named for r in rows.tolist()), dtype=np.float32, count=len(rows))


def families(sources: Sequence[Source]) -> np.ndarray:
    """A family number per source: entries sharing a paper link or a summary are one family.

    23 SwinIR variants share one paper; text alone can only find the family, and the variant
    comes from the name.
    """
    parent = list(range(len(sources)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, source in enumerate(sources):
        keys = []
        if source.paper_url:
            keys.append("p:" + source.paper_url.strip().lower())
        if source.summary:
            keys.append("s:" + " ".join(source.summary.lower().split()))
        for key in keys:
            if key in first:
                parent[find(i)] = find(first[key])
            else:
                first[key] = i
    return np.array([find(i) for i in range(len(sources))], dtype=np.int64)


def family_prior(family: np.ndarray) -> np.ndarray:
    """log(family size) / log(largest family size): a small prior for families a catalog covers widely.

    When a question cannot tell families apart, the one the catalog holds more variants of is the
    likelier intent; the weight is small enough to break near-ties only.
    """
    if len(family) == 0:
        return np.zeros(0, dtype=np.float32)
    _, inverse, counts = np.unique(family, return_inverse=True, return_counts=True)
    sizes = counts[inverse].astype(np.float32)
    largest = float(sizes.max())
    if largest <= 1.0:
        return np.zeros(len(family), dtype=np.float32)
    return (np.log(sizes) / np.log(largest)).astype(np.float32)


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


def _distinctive_tokens(name: str) -> set[str]:
    """Name tokens a question would only contain if it named this source.

    CamelCase and digit-bearing tokens ('SwinIR', 'ResNet50') match in any case, after stemming.
    All-capital acronyms match only as written ('BAGS' is a name, 'bags' in a question is not),
    and are returned with a leading '=' to mark that.
    """
    found = set()
    for raw in re.split(r"[\s\-_:/,()]+", name):
        if len(raw) < 3 or raw.lower() in STOPWORDS or raw.lower() == "huggingface":
            continue
        if raw.isupper() and raw.isalpha():
            found.add("=" + raw)
        elif re.search(r"[A-Z].*[A-Z]|[a-z][A-Z]|\d", raw[1:] if raw[:1].isupper() else raw):
            found.update(t for t in stems(raw) if len(t) >= 3 and not re.fullmatch(r"\d+x?", t))
    return found


def _question_tokens(question: str) -> set[str]:
    """The keys a question offers for name matching: its stems, and its all-capital words marked with '='."""
    return set(stems(question)) | {"=" + w for w in re.findall(r"\b[A-Z]{3,}\b", question)}


_HEAVY = re.compile(r"\b(very|heavy|heavily|extreme|extremely|lots of|a lot of|severe|badly|really)\b")
_LIGHT = re.compile(r"\b(slight|slightly|light|lightly|a little|a bit|mild|faint)\b")


def _name_settings(names: Sequence[ModelName]) -> dict[str, np.ndarray]:
    """Per row: follows the naming convention, and its scale, JPEG quality and noise level (NaN if none)."""
    nan = float("nan")
    return {
        "convention": np.array([n.follows_convention for n in names], dtype=bool),
        "scale": np.array([n.scale if n.scale is not None else nan for n in names], dtype=np.float32),
        "jpeg": np.array([n.jpeg_quality if n.jpeg_quality is not None else nan for n in names], dtype=np.float32),
        "noise": np.array([n.noise_level if n.noise_level is not None else nan for n in names], dtype=np.float32),
    }


def variant_scores(settings: dict[str, np.ndarray], rows: np.ndarray, analysis: QuestionAnalysis, question: str) -> np.ndarray:
    """How well the settings in each row's name fit the question, in [-1, 1]; 0 when nothing bears on it.

    A matching scale (x4 for "4×") scores +0.6 and a different one -0.6; a JPEG model scores when
    the question speaks of compression, a denoiser when it speaks of noise, best at the level the
    question's wording suggests ("heavy" -> JPEG 10 / noise 50, "slight" -> JPEG 40 / noise 15).
    """
    score = np.zeros(len(rows), dtype=np.float32)
    convention = settings["convention"][rows]
    if not convention.any():
        return score
    text = normalize(question)
    heavy, light = bool(_HEAVY.search(text)), bool(_LIGHT.search(text))
    if analysis.scale is not None:
        scale = settings["scale"][rows]
        known = ~np.isnan(scale)
        score[known] += np.where(np.abs(scale[known] - analysis.scale) < 1e-6, 0.6, -0.6)
    if "jpeg_artifact_removal" in analysis.cues:
        jpeg = settings["jpeg"][rows]
        known = ~np.isnan(jpeg)
        target = 10 if heavy else 40 if light else 30
        score[known] += 0.4 - np.abs(jpeg[known] - target) / 100
    if "denoising" in analysis.cues:
        noise = settings["noise"][rows]
        known = ~np.isnan(noise)
        target = 50 if heavy else 15 if light else 25
        score[known] += 0.4 - np.abs(noise[known] - target) / 100
    return np.clip(np.where(convention, score, 0.0), -1.0, 1.0).astype(np.float32)


_retrievers: dict[tuple[str, str, str], Retriever] = {}
_retrievers_lock = threading.Lock()


def corpus_retriever(catalog: Sequence[str] | None = None, *, embedder: Embedder | None = None,
                     weights: Weights | None = None) -> Retriever:
    """The retriever over the bundled corpus (or the given catalog files), shared within the process."""
    from .store import catalog_index, corpus_index

    embedder = embedder or default_embedder()
    index = catalog_index(catalog, embedder=embedder) if catalog else corpus_index(embedder=embedder)
    key = (str(id(index)), embedder.name, repr(weights))
    with _retrievers_lock:
        retriever = _retrievers.get(key)
        if retriever is None or retriever.index is not index:
            retriever = Retriever(index, embedder=embedder, weights=weights)
            _retrievers[key] = retriever
        return retriever


def retrieve(question: str, sources: Sequence[Source] | Sequence[str] | None = None, k: int | None = 10, *,
             catalog: Sequence[str] | None = None, embedder: Embedder | None = None,
             weights: Weights | None = None) -> list[Hit]:
    """Rank sources for ``question``: the corpus (or catalog), a subset of it by id, or caller-given Sources.

    Each hit carries its fused score and the dense, lexical, task, name, variant and prior
    components, so a ranking can be explained.
    """
    if sources is None or all(isinstance(s, str) for s in sources):
        retriever = corpus_retriever(catalog, embedder=embedder, weights=weights)
        restrict = None if sources is None else list(sources)
        if restrict is not None and not restrict:
            raise InputError("an empty list of source ids restricts the ranking to nothing")
        return list(retriever.rank(question, k, restrict=restrict).hits)
    items = list(sources)
    for i, item in enumerate(items):
        if not isinstance(item, Source):
            raise InputError(f"sources[{i}] is a {type(item).__name__}; pass Source objects or source ids")
    from .sources import corpus_cards

    retriever = Retriever.for_sources(items, cards=corpus_cards(), embedder=embedder, weights=weights)
    return list(retriever.rank(question, k).hits)
