"""Rendering an Answer as Markdown, plain text or HTML with the jinja2 templates shipped in the package,
or as JSON.

Question and source text only ever enter templates as data: the environment is sandboxed, and
HTML output is autoescaped, so ``{{ 7*7 }}`` in a summary prints as written and ``<script>``
stays inert. Every piece of question or source text passes the link policy (``links.neutralise``)
on its way in: the only URLs shown are the supplied link fields, and a bracketed number in source
text is shown as ``(n)`` so that it cannot pose as a citation. The JSON rendering is the Answer's
own structure under the same policy, with ``<``, ``>`` and ``&`` written as JSON unicode escapes;
``Answer.model_dump_json()`` remains the verbatim data.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..links import neutralise, url_problem
from . import phrases

if TYPE_CHECKING:  # render reads an Answer's attributes; it never imports the result types at run time
    from .model import Answer, Format, Statement

TEMPLATES = Path(__file__).resolve().parent / "templates"
_FILES = {"markdown": "answer.md.j2", "text": "answer.txt.j2", "html": "answer.html.j2"}
FORMATS = (*_FILES, "json")
_BRACKETED_NUMBER = re.compile(r"\[(\d+)\]")
LINK_FIELDS = frozenset({"paper_url", "github_url", "url"})


@lru_cache(maxsize=None)
def _environment(html: bool):  # -> jinja2.sandbox.SandboxedEnvironment, imported on first render
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=html,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render(answer: "Answer", fmt: "Format" = "markdown") -> str:
    """Render ``answer`` in ``fmt`` ('markdown', 'text', 'html' or 'json')."""
    if fmt == "json":
        return _json(answer)
    if fmt not in _FILES:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    template = _environment(fmt == "html").get_template(_FILES[fmt])
    text = template.render(**_view(answer, fmt))
    return re.sub(r"\n{3,}", "\n\n", text)


def shown(text: str, fmt: str) -> str:
    """Question or source text as ``fmt`` shows it: under the link policy, bracketed numbers as (n)."""
    return neutralise(_BRACKETED_NUMBER.sub(r"(\1)", text), fmt)  # type: ignore[arg-type]


def supplied_links(answer: "Answer") -> set[str]:
    """The links an answer may show: those of the sources it references or ranked (not of cnaps_rag's own cards)."""
    sources = [ref.source for ref in answer.references] + [hit.source for hit in answer.hits]
    return {url for source in sources for url in source.urls() if url_problem(url) is None}


def _json(answer: "Answer") -> str:
    data = _scrub(json.loads(answer.model_dump_json()), None, supplied_links(answer))
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _scrub(value: Any, key: str | None, supplied: set[str]) -> Any:
    # Supplied link fields stay char for char; every other string, a card's own links included, is shown text.
    if isinstance(value, dict):
        return {k: _scrub(v, k, supplied) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, key, supplied) for v in value]
    if isinstance(value, str):
        if key in LINK_FIELDS and value in supplied:
            return value
        return neutralise(value, "json")
    return value


def _cite(answer: "Answer", statement: "Statement", fmt: str) -> str:
    numbers = sorted({answer.number(s) for s in statement.sources})
    text = shown(statement.text, fmt)
    if not numbers:
        return text
    marks = "".join(f"[{n}]" for n in numbers)
    # The marker goes before the sentence's own full stop, as in "… is for [1]."
    if text.endswith(".") and not text.endswith(".."):
        return f"{text[:-1]} {marks}."
    return f"{text} {marks}"


def _listed(role: str, listed_as: str) -> str:
    """Where a prompt listed a source, said only when its role differs from that listing."""
    if (role, listed_as) in {("recommended model", "recommended"), ("supporting paper", "related")}:
        return ""
    return phrases.LISTED.get(listed_as, "")


def _mermaid_label(text: str) -> str:
    """Text safe inside a quoted Mermaid label: parentheses stay (quotes protect them), characters that end
    the label or start markup or an entity become spaces, and runs of spaces close up."""
    return re.sub(r"\s+", " ", re.sub(r"[\[\]{}<>\"|#;`\\]", " ", text)).strip()


def _view(answer: "Answer", fmt: str) -> dict[str, object]:
    def show(text: str | None) -> str | None:
        return None if text is None else shown(text, fmt)

    def mermaid(text: str) -> str:
        return _mermaid_label(shown(text, "text"))

    workflows = []
    for flow in answer.workflow:
        steps = [{"label": show(n.label), "data_type": show(n.data_type), "text": _cite(answer, n.statement, fmt),
                  "branch": show(n.branch)} for n in flow.nodes]
        lines = ["flowchart LR"]
        for i, node in enumerate(flow.nodes):
            label = mermaid(node.label + (f": {node.data_type}" if node.data_type else ""))
            lines.append(f'  n{i}["{label}"]')
        position = {node.id: i for i, node in enumerate(flow.nodes)}
        for origin, target in flow.edges:
            branch = flow.nodes[position[target]].branch
            arrow = f' -- "{mermaid(branch)}" --> ' if branch else " --> "
            lines.append(f"  n{position[origin]}{arrow}n{position[target]}")
        workflows.append({
            "name": show(flow.model_name),
            "number": answer.number(flow.source_id),
            "coverage": flow.coverage,
            "steps": steps,
            "notes": [_cite(answer, s, fmt) for s in flow.notes],
            "mermaid": "\n".join(lines),
            "chain": " -> ".join(show(n.label) or "" for n in flow.nodes),
        })
    references = []
    for ref in answer.references:
        links = []
        if ref.source.paper_url:
            links.append({"label": "Paper", "url": ref.source.paper_url})
        if ref.source.github_url:
            links.append({"label": "GitHub", "url": ref.source.github_url})
        links += [{"label": show(link.label), "url": link.url} for link in ref.source.links]
        # A Source built without validation (model_construct) still cannot smuggle in a javascript: href.
        links = [link for link in links if url_problem(link["url"]) is None]
        references.append({
            "number": ref.number,
            "name": show(ref.source.name),
            "role": ref.role,
            "listed": _listed(ref.role, ref.listed_as),
            "links": links,
            "why": _cite(answer, ref.why, fmt),
            "card": show((ref.backing.card.title if ref.backing.card and ref.backing.card.title else ref.backing.name)
                         if ref.backing else None),
            "card_only": ref.backing is not None and not ref.source.summary,
        })
    return {
        "question": show(answer.question),
        "abstained": answer.abstained,
        "abstain_text": phrases.NOT_COVERED,
        "task": [_cite(answer, s, fmt) for s in answer.task.statements],
        "workflows": workflows,
        "no_workflow_text": phrases.NO_WORKFLOW,
        "references": references,
    }
