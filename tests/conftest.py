"""Shared fixtures: real inputs, the real model, and an index root of the test session's own."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"
DATASET = SHARED / "datasets" / "cnaps_origin"
CATALOG_159 = DATASET / "dataset" / "seperate_data" / "New_AI_model_no_query_CNAPS_159.json"
ARXIV_100 = DATASET / "dataset" / "arxiv_sample_100.json"
QUERY1 = DATASET / "dataset" / "seperate_data" / "model_queries_CNAPS_159_query1_only.json"
MINI_CATALOG = ROOT / "corpus" / "catalog" / "mini_catalog.json"
SEED = ROOT / "examples" / "seed_prompt.txt"


@pytest.fixture(scope="session", autouse=True)
def session_index_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Indexes built by tests go to a temporary root, never into the checkout's index/."""
    root = tmp_path_factory.mktemp("index-root")
    previous = os.environ.get("CNAPS_RAG_INDEX")
    os.environ["CNAPS_RAG_INDEX"] = str(root)
    yield root
    if previous is None:
        os.environ.pop("CNAPS_RAG_INDEX", None)
    else:
        os.environ["CNAPS_RAG_INDEX"] = previous


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def scope_data() -> dict:
    return json.loads((DATA / "scope.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def labels() -> list[dict]:
    return json.loads((DATA / "labels.json").read_text(encoding="utf-8"))


def prompt_text(name: str) -> str:
    return (DATA / "prompts" / name).read_text(encoding="utf-8")


def reference_prompt(question: str, models: Sequence[Sequence[str | None]] = (),
                     papers: Sequence[tuple[str, str, str]] = ()) -> str:
    """A prompt in the reference format. Each model is (name, paper, github, summary), trailing fields
    optional; each paper is (title, link, summary). A missing paper link is written 'None', as
    recommenders do; a missing GitHub link or summary is left out."""
    lines = ["A user has asked the following question:", f'"{question}"', "", "### Recommended AI Models:"]
    for name, paper, github, summary in ((*m, None, None, None)[:4] for m in models):
        lines += [f"Model: {name}", f"Paper: {paper or 'None'}"]
        lines += ([f"GitHub: {github}"] if github else []) + ([f"Summary: {summary}"] if summary else []) + [""]
    if papers:
        lines.append("### Related Papers:")
        for title, link, summary in papers:
            lines += [f"Title: {title}", f"Paper: {link}", f"Summary: {summary}", ""]
    return "\n".join(lines)


needs_dataset = pytest.mark.skipif(not DATASET.is_dir(), reason="../shared/datasets/cnaps_origin is not present")
