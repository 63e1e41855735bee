"""Part 2 of an answer: how a model works, as a typed graph input -> stages -> output.

The graph says no more than its source does. A model with a card gets the card's stage graph,
alternative modes as branches, and an input node that names what the user supplies besides the
data (a prompt, a mask, a click). A model with only a summary gets its method sentences as
stages, training facts as notes, and input/output types from the task its name or category
marks. A model with neither gets its name read by the naming convention and a plain statement
that the sources say nothing more.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..affinity import source_label_columns
from ..naming import ModelName
from ..question import QuestionAnalysis
from ..sources import Source, readable
from ..tasks import Task, Taxonomy
from ..text import stems, with_article
from ..tuning import TUNING
from . import phrases
from .model import Evidence, Node, Statement, Workflow
from .sentences import summary_sentences, variant_meaning
from .spans import join_names

_METHOD = re.compile(
    r"\b(propos\w*|introduc\w*|present\w*|network|architecture|module|layer|attention|transformer|diffusion|residual|"
    r"convolution\w*|encoder|decoder|consist\w*|based on|learn\w*|fram\w*work|pipeline|block|branch|generat\w*|"
    r"predict\w*|estimat\w*|model)\b",
    re.IGNORECASE,
)
_TRAINING = re.compile(r"\b(trained on|fine-?tuned on|pre-?trained on|dataset|benchmark|achiev\w*|outperform\w*|"
                       r"state-of-the-art|sota|accuracy|psnr|ssim|fid)\b", re.IGNORECASE)


def _cite(source: Source, text: str, quotes: list[str], card: Source | None = None, terms: tuple[str, ...] = ()) -> Statement:
    return Statement(text=text, sources=(source.id,), evidence=tuple(Evidence.of(source, q, card) for q in quotes),
                     terms=terms)


def _short_type(text: str | None, limit: int = TUNING.answer.type_max_chars) -> str | None:
    """The data type a workflow box shows: the text up to its first colon or semicolon, cut when still longer than
    ``limit`` at a clause (a comma past half the limit) or else a word, never inside one ("… per side…", not
    "… on the chec…")."""
    if not text:
        return None
    head = re.split(r"[:;]", text, maxsplit=1)[0].strip()
    if len(head) <= limit:
        return head
    cut = head[: limit - 1]
    comma = cut.rfind(", ")
    cut = cut[:comma] if comma >= limit // 2 else cut.rsplit(" ", 1)[0] if " " in cut else cut
    return cut.rstrip(" ,") + "…"


def build_workflow(source: Source, backing: Source | None, analysis: QuestionAnalysis, taxonomy: Taxonomy,
                   task_id: str | None = None) -> Workflow:
    """The workflow of ``source`` as read with what backs it; ``task_id`` is the task the answer is about."""
    effective = readable(source, backing)
    card = backing if effective is not source else None
    if effective.card is not None and effective.card.stages:
        return _from_card(source, effective, card, analysis, taxonomy, task_id)
    name = taxonomy.parse_name(source.name)
    if effective.summary:
        return _from_summary(source, effective, card, name, taxonomy)
    return _from_name(source, name, taxonomy)


_OPTIONAL = re.compile(r"^optionally,?\s+", re.IGNORECASE)


def _supplied(inputs: Sequence[str]) -> str:
    """'; you supply a mask, and optionally a seed': what the user adds, the optional part said once."""
    required = [i for i in inputs if not _OPTIONAL.match(i)]
    optional = [_OPTIONAL.sub("", i) for i in inputs if _OPTIONAL.match(i)]
    if required and optional:
        return f"; you supply {join_names(required)}, and optionally {join_names(optional)}"
    if optional:
        return f"; you may also supply {join_names(optional)}"
    return f"; you supply {join_names(required)}" if required else ""


_FOR_WHAT = re.compile(r"(?:for|depending\s+on|when|in|with)\b[^,:;]*[,:]", re.IGNORECASE)


def _from_card(source: Source, effective: Source, card: Source | None, analysis: QuestionAnalysis,
               taxonomy: Taxonomy, task_id: str | None) -> Workflow:
    assert effective.card is not None
    info = effective.card.for_checkpoint(source.name)
    nodes: list[Node] = []
    supplied = list(info.user_inputs)
    data = info.input or (_task_of(effective, taxonomy).input if _task_of(effective, taxonomy) else "its input")
    text = f"The model takes {data}" + _supplied(supplied) + "."
    nodes.append(Node(id="input", kind="input", label="Input", data_type=_short_type(data),
                      statement=_cite(source, text, [q for q in (info.input, *supplied) if q], card)))
    ids: dict[str, str] = {}
    for position, stage in enumerate(info.stages):
        node_id = info.stage_id(position)
        ids[node_id] = f"s_{node_id}"
        nodes.append(Node(id=f"s_{node_id}", kind=stage.kind, label=stage.name, branch=stage.branch,
                          statement=_cite(source, stage.text, [stage.text], card)))
    output = info.output or "its result"
    # "for every frame, a box ..." and "depending on the head: a label ..." say for what before saying what: the
    # sentence sets them off ("It returns, for every frame, a box ...").
    returns = "It returns, " if _FOR_WHAT.match(output) else "It returns "
    nodes.append(Node(id="output", kind="output", label="Output", data_type=_short_type(output),
                      statement=_cite(source, f"{returns}{output}.", [output] if info.output else [], card)))
    links: list[tuple[str, str]] = []
    fed: set[str] = set()
    for position in range(len(info.stages)):
        target = ids[info.stage_id(position)]
        for parent in info.stage_parents(position):
            origin = "input" if parent == "input" else ids.get(parent, "input")
            links.append((origin, target))
            fed.add(origin)
    links += [(node_id, "output") for node_id in ids.values() if node_id not in fed]
    notes = list(_variant_notes(source, effective, card, analysis))
    mode = _mode_note(source, info, card, taxonomy, task_id)
    if mode is not None:
        notes.insert(0, mode)
    return Workflow(source_id=source.id, model_name=source.name, coverage="card", nodes=tuple(nodes),
                    links=tuple(links), notes=tuple(notes), card=info.title)


def _mode_note(source: Source, info, card: Source | None, taxonomy: Taxonomy, task_id: str | None) -> Statement | None:
    """Which of the model's alternative modes fits the question's task, when the card has branches."""
    branches = [s.branch for s in info.stages if s.branch]
    if len(branches) < 2 or task_id is None:
        return None
    task = taxonomy.get(task_id)
    served = [s.branch for s in info.branches_serving(task_id)]
    if served:  # the card says which mode serves the task
        scored = served
    else:  # else the mode whose name shares the task's words, when exactly one does
        wanted = set(stems(f"{task.name} {' '.join(task.keywords[:4])}", drop_stopwords=True))
        overlap = {b: len(wanted & set(stems(b, drop_stopwords=True))) for b in branches}
        scored = sorted(dict.fromkeys(branches), key=lambda b: -overlap[b])
        if not overlap[scored[0]] or (len(scored) > 1 and overlap[scored[1]] == overlap[scored[0]]):
            return None
    others = [b for b in dict.fromkeys(branches) if b != scored[0]]
    count = {2: "two", 3: "three", 4: "four"}.get(len(set(branches)), "several")
    text = (f"The model has {count} alternative modes; for {task.name} the {scored[0]} branch applies"
            + (f" (the other: {join_names(others)})." if others else "."))
    return _cite(source, text, [b for b in dict.fromkeys(branches)], card, terms=(task.name,))


def _variant_notes(source: Source, effective: Source, card: Source | None, analysis: QuestionAnalysis):
    info = effective.card
    if info is None:
        return
    carried = info.variants_in(source.name)
    for variant in carried:
        yield _cite(source, variant_meaning(variant.token, variant.text), [variant.token, variant.text], card)
    if analysis.scale is not None and analysis.scale_text:
        scale = int(analysis.scale) if float(analysis.scale).is_integer() else analysis.scale
        for variant in info.variants:
            if variant.token.lower() in (f"x{scale}", f"{scale}x") and variant not in carried:
                yield Statement(
                    text=f"How the {analysis.scale_text} enlargement in your question fits: {variant.text}",
                    sources=(source.id,),
                    evidence=(
                        Evidence(origin="question", quote=analysis.scale_text),
                        Evidence(origin="source", source_id=source.id, via_card=card.id if card else None, quote=variant.text),
                    ),
                )
                break


def _task_of(source: Source, taxonomy: Taxonomy) -> Task | None:
    columns = source_label_columns(source, taxonomy)
    return taxonomy.tasks[columns[0]] if columns else None


def _label_quote(source: Source, name: ModelName) -> str:
    if source.category:
        return source.category
    return name.category or source.name


def _typed_ends(source: Source, effective: Source, card: Source | None, name: ModelName,
                taxonomy: Taxonomy) -> tuple[Node | None, Node | None]:
    """Input and output nodes typed by the task the source's name or category marks."""
    task = _task_of(effective, taxonomy)
    if task is None:
        return None, None
    label = _label_quote(effective, name)
    terms = (task.name, task.input, task.output)
    start = Node(id="input", kind="input", label="Input", data_type=task.input, statement=_cite(
        source, f"Its category ({label}) marks {source.name} as {with_article(task.name)} model, which takes "
                f"{with_article(task.input)}.", [label], card, terms))
    end = Node(id="output", kind="output", label="Output", data_type=task.output, statement=_cite(
        source, f"As {with_article(task.name)} model it returns {with_article(task.output)}.", [label], card, terms))
    return start, end


def _from_summary(source: Source, effective: Source, card: Source | None, name: ModelName, taxonomy: Taxonomy) -> Workflow:
    start, end = _typed_ends(source, effective, card, name, taxonomy)
    found = summary_sentences(effective)
    training = [s for s in found if _TRAINING.search(s) and not _METHOD.search(s.split(",")[0])]
    method = [s for s in found if _METHOD.search(s) and s not in training][:3] or [s for s in found if s not in training][:1]
    nodes = [start] if start else []
    for i, sentence in enumerate(method):
        label = "How it works" if i == 0 else "Further step"
        nodes.append(Node(id=f"stage{i + 1}", kind="model", label=label, statement=_cite(source, sentence, [sentence], card)))
    if end:
        nodes.append(end)
    notes = [_cite(source, f"On its training and results: {s}", [s], card) for s in training[:1]]
    setting = _settings_note(source, name)
    if setting is not None:
        notes.append(setting)
    return Workflow(source_id=source.id, model_name=source.name, coverage="summary", nodes=tuple(nodes), notes=tuple(notes))


def _settings_note(source: Source, name: ModelName) -> Statement | None:
    settings = name.settings()
    if not settings:
        return None
    described = ", ".join(f"{token} = {meaning}" for token, meaning in settings)
    return _cite(source, f"Its name follows the Category-Architecture-Variant convention; the variant setting reads {described}.",
                 [source.name])


def _from_name(source: Source, name: ModelName, taxonomy: Taxonomy) -> Workflow:
    start, end = _typed_ends(source, source, None, name, taxonomy)
    nodes = [start] if start else []
    nodes.append(Node(id="stage1", kind="model", label="The model", statement=Statement(text=phrases.NAME_ONLY, template=True)))
    if end:
        nodes.append(end)
    note = _settings_note(source, name)
    return Workflow(source_id=source.id, model_name=source.name, coverage="name", nodes=tuple(nodes),
                    notes=(note,) if note else ())
