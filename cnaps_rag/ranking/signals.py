"""The ranking signals: a registry of name -> function, fused with the weights in ``tuning.Weights``.

Each signal answers one question about a source and a question. *dense*: does the source talk
about the same thing? *lexical*: does it use the question's exact words ('SwinIR', 'JPEG', 'x4')?
*task*: is it about the task the question implies? *direction*: does it turn what the question
gives into what it asks for (voice -> text), or the reverse? *name*: does the question name it? *variant*:
do the settings in its Category-Architecture-Variant name (x4, Jpeg40, Noise25) fit? *prior*: is
its family one the catalog covers widely? *model*: is it a model rather than a paper?

To add a signal: write a function of a ``Context`` here, decorate it with ``@signal("name")``, and
give ``tuning.Weights`` a field of the same name (a test holds the two to the same names).
Anything a signal needs per index is computed once in ``IndexFeatures``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..index import SourceIndex
from ..sources import Source, family_keys
from ..affinity import source_label_columns
from ..embedding import everyday_words
from ..question import QuestionAnalysis
from ..tasks import Taxonomy
from ..text import STOPWORDS, stems
from ..tuning import Tuning


@dataclass(frozen=True)
class IndexFeatures:
    """What the signals read per source of one index, computed once per retriever."""

    labels: list[tuple[str, ...]]
    token_rows: dict[str, list[int]]
    convention: np.ndarray
    scale: np.ndarray
    levels: dict[str, np.ndarray]
    family: np.ndarray
    prior: np.ndarray
    is_model: np.ndarray
    siblings: np.ndarray
    label_matrix: np.ndarray
    family_matrix: np.ndarray
    conditions: np.ndarray | None = None

    @classmethod
    def of(cls, sources: Sequence[Source], taxonomy: Taxonomy,
           embed: Callable[[list[str]], np.ndarray] | None = None) -> "IndexFeatures":
        """Compute the features of every source (as read, with its card) of an index, in row order.

        With ``embed``, each variant's card description ("trained for removing haze") is embedded,
        so the question's condition can pick among a family's variants.
        """
        names = [taxonomy.parse_name(s.name) for s in sources]
        token_rows: dict[str, list[int]] = {}
        for row, source in enumerate(sources):
            for token in distinctive_tokens(source.name):
                token_rows.setdefault(token, []).append(row)
        nan = float("nan")
        family = families(sources)
        siblings = _siblings(sources, names, family)
        columns = [source_label_columns(s, taxonomy) for s in sources]
        label_matrix = np.zeros((len(sources), len(taxonomy.ids)), dtype=np.float32)
        for row, own in enumerate(columns):
            label_matrix[row, own] = 1.0
        # The further tasks of the card family that backs a source ("a JPEG variant of SwinIR still bears on
        # enlarging"), beside its own labels.
        family_matrix = np.zeros_like(label_matrix)
        for row, source in enumerate(sources):
            for task_id in source.card.tasks_for(source.name) if source.card is not None else ():
                if task_id in taxonomy.ids:
                    family_matrix[row, taxonomy.ids.index(task_id)] = 1.0
        family_matrix *= 1.0 - label_matrix
        return cls(
            label_matrix=label_matrix,
            family_matrix=family_matrix,
            conditions=_condition_vectors(sources, names, siblings, embed),
            siblings=siblings,
            labels=[tuple(taxonomy.ids[c] for c in own) for own in columns],
            token_rows=token_rows,
            convention=np.array([n.follows_convention for n in names], dtype=bool),
            scale=np.array([n.scale if n.scale is not None else nan for n in names], dtype=np.float32),
            levels={setting.name: np.array([n.levels.get(setting.name, nan) for n in names], dtype=np.float32)
                    for _, setting in taxonomy.settings},
            family=family,
            prior=family_prior(family),
            is_model=np.array([s.kind == "model" for s in sources], dtype=np.float32),
        )


@dataclass
class Context:
    """One question against one index's candidate rows: what every signal may read."""

    question: str
    vector: np.ndarray
    analysis: QuestionAnalysis
    rows: np.ndarray
    index: SourceIndex
    features: IndexFeatures
    taxonomy: Taxonomy
    tuning: Tuning
    cache: dict[str, np.ndarray] = field(default_factory=dict)


Signal = Callable[[Context], np.ndarray]
SIGNALS: dict[str, Signal] = {}


def signal(name: str) -> Callable[[Signal], Signal]:
    """Register a signal under ``name`` (the name of its weight in ``tuning.Weights``)."""

    def register(fn: Signal) -> Signal:
        SIGNALS[name] = fn
        return fn

    return register


def compute(ctx: Context) -> dict[str, np.ndarray]:
    """Every registered signal over the context's rows, in registry order."""
    return {name: fn(ctx) for name, fn in SIGNALS.items()}


def fuse(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted sum of the components, added in registry order."""
    fused = None
    for name, values in components.items():
        term = weights[name] * values
        fused = term if fused is None else fused + term
    assert fused is not None
    return fused


def settle_siblings(fused: np.ndarray, variant: np.ndarray, siblings: np.ndarray, lead: float) -> np.ndarray:
    """The fused scores with released variants of one model reordered where the question's condition decides.

    Which model answers is decided by every signal; which of its checkpoints, by the question's
    condition ("fog" -> DeHaze, "4x" -> x4). Within a group of siblings, a variant whose fit beats
    another's by at least ``lead`` is placed above it; the group's scores are handed out again in
    that order, so the group keeps its place among other models and a word that happens to appear
    in one variant's summary ("clear") no longer picks the checkpoint. Smaller differences are noise
    and leave the fused order alone.
    """
    _, inverse, counts = np.unique(siblings, return_inverse=True, return_counts=True)
    out = fused
    for g in np.flatnonzero(counts > 1):
        members = np.flatnonzero(inverse == g)
        if np.ptp(variant[members]) < lead:
            continue
        order = list(members[np.argsort(-fused[members], kind="stable")])
        moved = True
        while moved:
            moved = False
            for i in range(len(order) - 1):
                if variant[order[i + 1]] - variant[order[i]] >= lead:
                    order[i], order[i + 1] = order[i + 1], order[i]
                    moved = True
        out = fused.copy() if out is fused else out
        out[order] = np.sort(fused[members])[::-1]
    return out


@signal("dense")
def dense(ctx: Context) -> np.ndarray:
    """Cosine of the question and each source vector."""
    return ctx.index.vectors_for(ctx.rows) @ ctx.vector


@signal("lexical")
def lexical(ctx: Context) -> np.ndarray:
    """BM25 over stemmed words, normalised by the question's total idf."""
    if len(ctx.rows) * 4 < len(ctx.index):
        return ctx.index.lexical.normalized_rows(ctx.question, ctx.rows)
    return ctx.index.lexical.normalized(ctx.question)[ctx.rows]


@signal("task")
def task(ctx: Context) -> np.ndarray:
    """The question's task probabilities dotted with each source's task affinities."""
    probabilities = np.asarray(ctx.analysis.probabilities, dtype=np.float32)
    return ctx.index.affinity[ctx.rows] @ probabilities


@signal("direction")
def direction(ctx: Context) -> np.ndarray:
    """+1 for a source labelled with a task turning what the question gives into what it asks for
    (voice -> text), -1 for one labelled only with the reverse (text -> voice), else 0."""
    if ctx.analysis.direction is None:
        return np.zeros(len(ctx.rows), dtype=np.float32)
    mask = ctx.taxonomy.direction_mask(*ctx.analysis.direction)
    labels = ctx.features.label_matrix[ctx.rows]
    forward = (labels * (mask > 0)).max(axis=1)
    reverse = (labels * (mask < 0)).max(axis=1)
    return (forward - reverse * (1.0 - forward)).astype(np.float32)


@signal("name")
def name(ctx: Context) -> np.ndarray:
    """1 for a source the question names by a distinctive token of its name, else 0."""
    named = {r for t in question_tokens(ctx.question) for r in ctx.features.token_rows.get(t, ())}
    if not named:
        return np.zeros(len(ctx.rows), dtype=np.float32)
    return np.fromiter((r in named for r in ctx.rows.tolist()), dtype=np.float32, count=len(ctx.rows))


@signal("variant")
def variant(ctx: Context) -> np.ndarray:
    """How well the settings in each name fit the question, in [-1, 1]; 0 when nothing bears on it.

    A matching scale (x4 for "4×") scores +scale_match and a different one -scale_match. For each
    taxonomy setting (JPEG quality, noise level) whose task the question's cues name and asks for, a model
    scores best at the level the wording suggests ("heavy" -> the setting's heavy level). A cue of a task the
    question does not ask for ("the sign blocking the door" is not blocky JPEG) says nothing about levels.
    """
    tuning, features, rows, analysis = ctx.tuning.variants, ctx.features, ctx.rows, ctx.analysis
    score = np.zeros(len(rows), dtype=np.float32)
    convention = features.convention[rows]
    if not convention.any():
        return score
    if analysis.scale is not None:
        scale = features.scale[rows]
        known = ~np.isnan(scale)
        score[known] += np.where(np.abs(scale[known] - analysis.scale) < 1e-6, tuning.scale_match, -tuning.scale_match)
    intensity = ctx.taxonomy.intensity_of(ctx.question)
    for task_id, setting in ctx.taxonomy.settings:
        if task_id not in analysis.cues or not analysis.asks_for(task_id, ctx.tuning.question.asked_floor):
            continue
        levels = features.levels[setting.name][rows]
        known = ~np.isnan(levels)
        target = setting.heavy if intensity == "heavy" else setting.light if intensity == "light" else setting.usual
        score[known] += tuning.setting_base - np.abs(levels[known] - target) / tuning.setting_spread
    if features.conditions is not None:
        score += _condition_fit(ctx)
    return np.clip(np.where(convention, score, 0.0), -1.0, 1.0).astype(np.float32)


def _condition_fit(ctx: Context) -> np.ndarray:
    """How much worse the question meets this variant's description than its best sibling's (0 for the best,
    and for undescribed rows)."""
    vectors = ctx.features.conditions[ctx.rows]
    described = np.abs(vectors).sum(axis=1) > 0
    sims = np.where(described, vectors @ ctx.vector, 0.0)
    family = ctx.features.siblings[ctx.rows]
    out = np.zeros(len(ctx.rows), dtype=np.float32)
    for fam in np.unique(family[described]):
        members = (family == fam) & described
        if members.sum() > 1:
            # Only the siblings that fit worse move down, so the family as a whole keeps its place.
            out[members] = ctx.tuning.variants.condition_scale * (sims[members] - sims[members].max())
    return out


@signal("prior")
def prior(ctx: Context) -> np.ndarray:
    """log(family size) / log(largest family size)."""
    return ctx.features.prior[ctx.rows]


@signal("model")
def model(ctx: Context) -> np.ndarray:
    """1 for a model, 0 for a paper: the product recommends models; papers support them."""
    return ctx.features.is_model[ctx.rows]


def _siblings(sources: Sequence[Source], names, family: np.ndarray) -> np.ndarray:
    """A group per row: the released variants of one model (same card, category and architecture), else its family."""
    keys: dict[str, int] = {}
    out = []
    for row, (source, name) in enumerate(zip(sources, names)):
        card = source.card.library_id if source.card is not None and source.card.library_id else None
        key = f"card:{card}:{name.category}:{name.architecture}" if card else f"family:{int(family[row])}"
        out.append(keys.setdefault(key, len(keys)))
    return np.array(out, dtype=np.int64)


def _condition_vectors(sources: Sequence[Source], names, family: np.ndarray, embed) -> np.ndarray | None:
    """Per row, the embedding of what its variant tokens mean on its card (zeros where nothing is said);
    None when no family has two variants described differently."""
    if embed is None:
        return None
    texts = []
    for source, name in zip(sources, names):
        card = source.card
        # Scales and released levels (x4, Jpeg40) have their own scores; the rest describe conditions.
        tokens = {t.lower() for t in name.variant} - name.setting_tokens
        said = [v.text for v in (card.variants if card else ()) if v.token.lower() in tokens]
        texts.append(" ".join(said))
    described: dict[int, set[str]] = {}
    for row, text in enumerate(texts):
        if text:
            described.setdefault(int(family[row]), set()).add(text)
    if not any(len(v) > 1 for v in described.values()):
        return None
    distinct = sorted({t for t in texts if t})
    vectors = dict(zip(distinct, embed(distinct)))
    dimension = len(next(iter(vectors.values())))
    return np.stack([vectors[t] if t else np.zeros(dimension, dtype=np.float32) for t in texts]).astype(np.float32)


def families(sources: Sequence[Source]) -> np.ndarray:
    """A family number per source: entries sharing a paper link or a summary are one family (union-find)."""
    parent = list(range(len(sources)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, source in enumerate(sources):
        for key in sorted(family_keys(source)):
            if key.startswith("name:"):
                continue
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


def distinctive_tokens(source_name: str) -> set[str]:
    """Name tokens a question would only contain if it named this source.

    CamelCase and digit-bearing tokens ('SwinIR', 'ResNet50') match in any case, after stemming.
    All-capital acronyms, and CamelCase tokens that are everyday words ('LightWeight', 'LaMa'), match
    only as written ('BAGS' is a name, 'bags' in a question is not; 'a lightweight fix' names no
    model), and are returned with a leading '=' to mark that.
    """
    everyday = everyday_words()
    found = set()
    for raw in re.split(r"[\s\-_:/,()]+", source_name):
        if len(raw) < 3 or raw.lower() in STOPWORDS or raw.lower() == "huggingface":
            continue
        if raw.isupper() and raw.isalpha():
            found.add("=" + raw)
        elif re.search(r"[A-Z].*[A-Z]|[a-z][A-Z]|\d", raw[1:] if raw[:1].isupper() else raw):
            if raw.isalpha() and (raw.lower() in everyday or set(stems(raw)) <= everyday):
                found.add("=" + raw)
            else:
                found.update(t for t in stems(raw) if len(t) >= 3 and not re.fullmatch(r"\d+x?", t))
    return found


def question_tokens(question: str) -> set[str]:
    """The keys a question offers for name matching: its stems, and, marked with '=', its words of three
    letters or more written with a capital after the first letter ('HDR', 'LaMa')."""
    return set(stems(question)) | {"=" + w for w in re.findall(r"\b[A-Za-z]+\b", question)
                                   if len(w) >= 3 and any(c.isupper() for c in w[1:])}
