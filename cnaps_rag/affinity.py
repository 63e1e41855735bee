"""What a source says about tasks: the tasks it is labelled with and its affinity to every task.

Labels (card tasks, catalog category, name category) are the strongest evidence; technical
keywords in the source's text and embedding similarity to each task fill in for unlabelled
sources such as arXiv papers. The numbers are the index recipe's (``tuning.IndexRecipe``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .sources import Source
from .tasks import Taxonomy
from .tuning import TUNING, IndexRecipe


def source_label_columns(source: Source, taxonomy: Taxonomy) -> list[int]:
    """Task columns a source is labelled with, most specific evidence first.

    1. its category and its name's category, when the label names one task ('SISR', 'Denoise');
    2. a released-level token in its name ('Jpeg40' marks JPEG artifact removal);
    3. else its card's tasks (or those a variant token of its name narrows them to: 'NER') —
       within the tasks an umbrella label allows ('Restoration' covers super-resolution,
       denoising, JPEG repair, deblurring and face restoration), so a family card does not
       relabel a variant its name already places;
    4. else, for an umbrella label, the umbrella's tasks its own text mentions, or all of them.
    """
    name = taxonomy.parse_name(source.name)
    labels = [label for label in (source.category, name.category) if label]
    columns: list[int] = []
    for label in labels:
        column = taxonomy.index_for_label(label)
        if column is not None and column not in columns:
            columns.append(column)
    for task_id, setting in taxonomy.settings:
        if setting.name in name.levels and taxonomy.ids.index(task_id) not in columns:
            columns.append(taxonomy.ids.index(task_id))
    if columns:
        return columns
    allowed = {c for label in labels for c in taxonomy.columns_for_label(label)}
    card_tasks = [taxonomy.ids.index(t) for t in (source.card.tasks_for(source.name) if source.card else ())
                  if t in taxonomy.ids]
    within = [c for c in card_tasks if not allowed or c in allowed]
    if within:
        return within
    if allowed:
        mentioned = taxonomy.matcher().scores(_keyword_text(source), kinds=("keyword",))
        hits = [c for c in sorted(allowed) if mentioned[c] > 0]
        return hits or sorted(allowed)
    return card_tasks


def source_task_affinity(sources: Sequence[Source], taxonomy: Taxonomy, source_vectors: np.ndarray,
                         task_vectors: np.ndarray, recipe: IndexRecipe = TUNING.index) -> np.ndarray:
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
    logits = sims / recipe.source_temperature
    logits -= logits.max(axis=1, keepdims=True)
    dense = np.exp(logits)
    dense /= dense.sum(axis=1, keepdims=True)
    for row, source in enumerate(sources):
        labelled = source_label_columns(source, taxonomy)
        if labelled:
            label_part = np.zeros(columns, dtype=np.float32)
            label_part[labelled] = 1.0
            out[row] = np.maximum(label_part, recipe.labelled_dense_share * dense[row])
            continue
        keyword = taxonomy.matcher().scores(_keyword_text(source), kinds=("keyword",))
        keyword_part = 1.0 - np.exp(-recipe.keyword_rate * keyword)
        out[row] = np.clip(recipe.keyword_share * keyword_part + recipe.dense_share * dense[row], 0.0, 1.0)
    return out


def _keyword_text(source: Source) -> str:
    parts = [source.name, source.summary or ""]
    if source.card:
        parts += [source.card.title or "", *(s.text for s in source.card.stages)]
    return " ".join(parts)
