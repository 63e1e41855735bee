"""Rendering an Answer as Markdown, plain text or HTML with the jinja2 templates shipped in the package.

Question and source text only ever enter templates as data: the environment is sandboxed, and
HTML output is autoescaped, so ``{{ 7*7 }}`` in a summary prints as written and ``<script>``
stays inert.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import phrases

if TYPE_CHECKING:  # render reads an Answer's attributes; it never imports the result types at run time
    from .model import Answer, Format, Statement

TEMPLATES = Path(__file__).resolve().parent / "templates"
_FILES = {"markdown": "answer.md.j2", "text": "answer.txt.j2", "html": "answer.html.j2"}
_QUESTION_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


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
    """Render ``answer`` in ``fmt`` ('markdown', 'text' or 'html')."""
    if fmt not in _FILES:
        raise ValueError(f"format must be one of {', '.join(_FILES)}, not {fmt!r}")
    template = _environment(fmt == "html").get_template(_FILES[fmt])
    text = template.render(**_view(answer))
    return re.sub(r"\n{3,}", "\n\n", text)


def _cite(answer: "Answer", statement: "Statement") -> str:
    numbers = sorted({answer.number(s) for s in statement.sources})
    if not numbers:
        return statement.text
    marks = "".join(f"[{n}]" for n in numbers)
    text = statement.text
    # The marker goes before the sentence's own full stop, as in "… is for [1]."
    if text.endswith(".") and not text.endswith(".."):
        return f"{text[:-1]} {marks}."
    return f"{text} {marks}"


def _mermaid_label(text: str) -> str:
    return re.sub(r"[\[\]{}()<>\"|#;`\\]", " ", text).replace("\n", " ").strip()


def _view(answer: "Answer") -> dict[str, object]:
    workflows = []
    for flow in answer.workflow:
        steps = [{"label": n.label, "data_type": n.data_type, "text": _cite(answer, n.statement)} for n in flow.nodes]
        lines = ["flowchart LR"]
        for i, node in enumerate(flow.nodes):
            label = _mermaid_label(node.label + (f": {node.data_type}" if node.data_type else ""))
            lines.append(f'  n{i}["{label}"]')
        lines += [f"  n{i} --> n{i + 1}" for i in range(len(flow.nodes) - 1)]
        workflows.append({
            "name": flow.model_name,
            "number": answer.number(flow.source_id),
            "coverage": flow.coverage,
            "steps": steps,
            "notes": [_cite(answer, s) for s in flow.notes],
            "mermaid": "\n".join(lines),
            "chain": " -> ".join(n.label for n in flow.nodes),
        })
    references = []
    for ref in answer.references:
        links = []
        if ref.source.paper_url:
            links.append({"label": "Paper", "url": ref.source.paper_url})
        if ref.source.github_url:
            links.append({"label": "GitHub", "url": ref.source.github_url})
        links += [{"label": link.label, "url": link.url} for link in ref.source.links]
        references.append({
            "number": ref.number,
            "name": ref.source.name,
            "role": ref.role,
            "listed": phrases.LISTED.get(ref.listed_as, ""),
            "links": links,
            "why": _cite(answer, ref.why),
            "card": (ref.backing.card.title if ref.backing.card and ref.backing.card.title else ref.backing.name) if ref.backing else None,
        })
    return {
        "question": _QUESTION_URL.sub(phrases.QUESTION_LINK, answer.question),
        "abstained": answer.abstained,
        "abstain_text": phrases.NOT_COVERED,
        "task": [_cite(answer, s) for s in answer.task.statements],
        "workflows": workflows,
        "no_workflow_text": phrases.NO_WORKFLOW,
        "references": references,
    }
