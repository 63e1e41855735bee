"""Part 2 of an answer: how a model works, as a typed graph input -> stages -> output.

The graph says no more than its source does. A model with a card gets one node per stage the
card describes, with the card's own sentence; a model with only a summary gets one model node
whose sentences are taken from the summary, and input/output types from the task its name or
category marks; a model with neither gets its name read by the naming convention and a plain
statement that the sources say nothing more.
"""

from __future__ import annotations

import re

from ..naming import ModelName
from ..sources import Source, readable
from ..affinity import source_label_columns
from ..question import QuestionAnalysis
from ..tasks import Taxonomy
from ..text import split_sentences, with_article
from . import phrases
from .model import Evidence, Node, Statement, Workflow

_METHOD = re.compile(
    r"\b(propos\w*|introduc\w*|present\w*|network|architecture|module|layer|attention|transformer|diffusion|residual|"
    r"convolution\w*|encoder|decoder|consist\w*|based on|learn\w*|fram\w*work|pipeline|block|branch|generat\w*|"
    r"predict\w*|estimat\w*|train\w*|model)\b",
    re.IGNORECASE,
)


def _cite(source: Source, text: str, quotes: list[str], card: Source | None = None) -> Statement:
    return Statement(text=text, sources=(source.id,), evidence=tuple(Evidence.of(source, q, card) for q in quotes))


def _short_type(text: str | None, limit: int = 70) -> str | None:
    if not text:
        return None
    head = re.split(r"[:;]", text, maxsplit=1)[0].strip()
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def build_workflow(source: Source, card: Source | None, analysis: QuestionAnalysis, taxonomy: Taxonomy) -> Workflow:
    """The workflow of ``source`` (enriched from ``card`` when the supplied source had no text of its own)."""
    effective = card if readable(source, card) is not source else source
    name = taxonomy.parse_name(source.name)
    if effective.card is not None and effective.card.stages:
        return _from_card(source, effective, card if effective is card else None, name, analysis)
    if effective.summary:
        return _from_summary(source, effective, card if effective is card else None, name, analysis, taxonomy)
    return _from_name(source, name, analysis, taxonomy)


def _from_card(source: Source, effective: Source, card: Source | None, name: ModelName, analysis: QuestionAnalysis) -> Workflow:
    info = effective.card
    assert info is not None
    nodes: list[Node] = []
    if info.input:
        nodes.append(Node(id="input", kind="input", label="Input", data_type=_short_type(info.input),
                          statement=_cite(source, f"The model takes {info.input}.", [info.input], card)))
    for i, stage in enumerate(s for s in info.stages if s.kind != "post"):
        nodes.append(Node(id=f"stage{i + 1}", kind=stage.kind, label=stage.name,
                          statement=_cite(source, stage.text, [stage.text], card)))
    post = [s for s in info.stages if s.kind == "post"]
    for i, stage in enumerate(post):
        nodes.append(Node(id=f"post{i + 1}", kind="post", label=stage.name,
                          statement=_cite(source, stage.text, [stage.text], card)))
    if info.output:
        nodes.append(Node(id="output", kind="output", label="Output", data_type=_short_type(info.output),
                          statement=_cite(source, f"It returns {info.output}.", [info.output], card)))
    notes = list(_variant_notes(source, effective, card, name, analysis))
    return Workflow(source_id=source.id, model_name=source.name, coverage="card", nodes=tuple(nodes), notes=tuple(notes))


def _variant_notes(source: Source, effective: Source, card: Source | None, name: ModelName, analysis: QuestionAnalysis):
    info = effective.card
    if info is None:
        return
    tokens = {t.lower() for t in name.variant}
    for variant in info.variants:
        if variant.token.lower() in tokens:
            yield _cite(source, f"What {variant.token} in the name means: {variant.text}", [variant.token, variant.text], card)
    if analysis.scale is not None and analysis.scale_text:
        scale = int(analysis.scale) if float(analysis.scale).is_integer() else analysis.scale
        for variant in info.variants:
            if variant.token.lower() in (f"x{scale}", f"{scale}x") and variant.token.lower() not in tokens:
                yield Statement(
                    text=f"How the {analysis.scale_text} enlargement in your question fits: {variant.text}",
                    sources=(source.id,),
                    evidence=(
                        Evidence(origin="question", quote=analysis.scale_text),
                        Evidence(origin="source", source_id=source.id, via_card=card.id if card else None, quote=variant.text),
                    ),
                )


def _task_of(source: Source, taxonomy: Taxonomy):
    columns = source_label_columns(source, taxonomy)
    return taxonomy.tasks[columns[0]] if columns else None


def _label_quote(source: Source, name: ModelName) -> str:
    if source.category:
        return source.category
    return name.category or source.name


def _from_summary(source: Source, effective: Source, card: Source | None, name: ModelName,
                  analysis: QuestionAnalysis, taxonomy: Taxonomy) -> Workflow:
    task = _task_of(effective, taxonomy)
    nodes: list[Node] = []
    label = _label_quote(effective, name)
    if task is not None:
        nodes.append(Node(id="input", kind="input", label="Input", data_type=task.input, statement=_cite(
            source, f"Its category ({label}) marks {source.name} as a {task.name} model, which takes {with_article(task.input)}.",
            [label], card)))
    sentences = split_sentences(effective.summary or "")
    method = [s for s in sentences if _METHOD.search(s)][:2] or sentences[:1]
    model_label = f"Model: {name.architecture}" if name.architecture else "Model"
    for i, sentence in enumerate(method):
        nodes.append(Node(id=f"stage{i + 1}", kind="model", label=model_label if i == 0 else f"{model_label} (continued)",
                          statement=_cite(source, sentence, [sentence], card)))
    if task is not None:
        nodes.append(Node(id="output", kind="output", label="Output", data_type=task.output, statement=_cite(
            source, f"As a {task.name} model it returns {with_article(task.output)}.", [label], card)))
    notes = [_settings_note(source, name)] if name.settings() else []
    return Workflow(source_id=source.id, model_name=source.name, coverage="summary", nodes=tuple(nodes),
                    notes=tuple(n for n in notes if n is not None))


def _settings_note(source: Source, name: ModelName) -> Statement | None:
    settings = name.settings()
    if not settings:
        return None
    described = ", ".join(f"{token} = {meaning}" for token, meaning in settings)
    return _cite(source, f"Its name follows the Category-Architecture-Variant convention; the variant setting reads {described}.",
                 [source.name])


def _from_name(source: Source, name: ModelName, analysis: QuestionAnalysis, taxonomy: Taxonomy) -> Workflow:
    nodes: list[Node] = []
    task = _task_of(source, taxonomy)
    label = _label_quote(source, name)
    if task is not None:
        nodes.append(Node(id="input", kind="input", label="Input", data_type=task.input, statement=_cite(
            source, f"Its category ({label}) marks {source.name} as a {task.name} model, which takes {with_article(task.input)}.", [label])))
    nodes.append(Node(id="stage1", kind="model", label=source.name, statement=Statement(
        text=phrases.NAME_ONLY, template=True)))
    if task is not None:
        nodes.append(Node(id="output", kind="output", label="Output", data_type=task.output, statement=_cite(
            source, f"As a {task.name} model it returns {with_article(task.output)}.", [label])))
    note = _settings_note(source, name)
    return Workflow(source_id=source.id, model_name=source.name, coverage="name", nodes=tuple(nodes),
                    notes=(note,) if note else ())
