"""What goes into an index for each source: its vector, its lexical text and its task vectors.

A source's vector is the embedding of its own content plus the embedding of a short expansion
naming its labelled tasks in the taxonomy's words, renormalised. The numbers involved live in
``tuning.IndexRecipe``, whose fingerprint every manifest records.
"""

from __future__ import annotations

import hashlib
import io
import logging
from typing import Sequence

import numpy as np

from ..embedding import Embedder, Progress
from ..files import atomic_write, index_root
from ..naming import name_words
from ..sources import Source
from ..affinity import source_label_columns
from ..tasks import Taxonomy
from ..tuning import IndexRecipe

log = logging.getLogger("cnaps_rag")


def content_text(source: Source, recipe: IndexRecipe) -> str:
    """What a source says about itself: its name in words, its card's title, then its summary (else its card).

    Beside a summary, a card adds what goes in and what comes out (``recipe.card_io_in_vector``): an abstract says
    "LDR-to-HDR reconstruction", the card "detail in over- and under-exposed areas", which a lay question meets.
    """
    parts = [name_words(source.name) + "."]
    card = source.card
    if card and card.title:
        parts.append(card.title + ".")
    if source.summary:
        parts.append(source.summary)
    if card and (not source.summary or recipe.card_io_in_vector):
        parts += [card.input or "", card.output or ""]
    if card and not source.summary:
        parts += [f"{s.name}: {s.text}" for s in card.stages]
    return " ".join(p for p in parts if p)


def expansion_text(source: Source, taxonomy: Taxonomy, recipe: IndexRecipe) -> str | None:
    """The labelled tasks of a source in taxonomy words (name, description, lay cues), or None if unlabelled."""
    parts = []
    for column in source_label_columns(source, taxonomy):
        task = taxonomy.tasks[column]
        parts.append(f"Task: {task.name}. {task.description} ({', '.join(task.cues[: recipe.expansion_cues])}).")
    return " ".join(parts) or None


def source_vectors(sources: Sequence[Source], taxonomy: Taxonomy, embedder: Embedder, recipe: IndexRecipe,
                   progress: Progress | None = None, engine: str | None = None) -> np.ndarray:
    """One unit vector per source: its content's embedding plus its task expansion's, renormalised.

    Expanding with task vocabulary is what lets a lay question meet a technical abstract. Adding
    the two embeddings, rather than embedding one concatenated text, keeps the source's own
    signal undiluted and costs almost nothing: expansions depend only on the labelled tasks, so a
    catalog of any size has a few dozen distinct ones.
    """
    if not sources:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    content = embedder.encode([content_text(s, recipe) for s in sources], progress=progress, engine=engine)
    expansions = [expansion_text(s, taxonomy, recipe) for s in sources]
    distinct = sorted({e for e in expansions if e})
    if distinct:
        lookup = dict(zip(distinct, embedder.encode(distinct, engine=engine)))
        for row, text in enumerate(expansions):
            if text:
                content[row] += np.float32(recipe.expansion_weight) * lookup[text]
    content /= np.maximum(np.linalg.norm(content, axis=1, keepdims=True), 1e-12)
    return content.astype(np.float32, copy=False)


def lexical_text(source: Source) -> str:
    """The text BM25 sees: the raw name, the name in words, and everything the source says."""
    return f"{source.name} {name_words(source.name)} {source.text()}"


def task_embeddings(taxonomy: Taxonomy, embedder: Embedder, recipe: IndexRecipe,
                    memory: dict[tuple[str, ...], np.ndarray] | None = None) -> np.ndarray:
    """Embeddings of every task's texts, cached in ``memory`` (an Engine's) and on disk under the index root.

    Prompt answers index their few sources in memory, but the task texts (4,000-odd example
    questions) would cost more than everything else together; they are computed once per model
    weights, taxonomy and the two recipe numbers that shape a task's text, so an index-building
    number (an HNSW threshold, a share of an affinity) does not embed them all again.
    """
    identity = embedder.identity
    key = (identity.name, identity.weights_sha256 or "", taxonomy.fingerprint,
           f"cues={recipe.task_text_cues},keywords={recipe.task_text_keywords}")
    if memory is not None and key in memory:
        return memory[key]
    texts = taxonomy.embedding_texts(recipe)
    digest = hashlib.sha256("\n".join(key).encode()).hexdigest()[:24]
    path = index_root() / "task-vectors" / f"{digest}.npy"
    expected = (len(texts), identity.dimension)
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.shape != expected or cached.dtype != np.float32:
            cached = None
    except (OSError, ValueError):
        cached = None
    if cached is None:
        cached = embedder.encode(texts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            np.save(buffer, cached, allow_pickle=False)
            atomic_write(path, buffer.getvalue())
        except OSError as exc:
            log.debug("could not cache task vectors at %s: %s", path, exc)
    if memory is not None:
        memory[key] = cached
    return cached
