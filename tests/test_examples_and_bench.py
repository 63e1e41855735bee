"""The example scripts run as documented; a quick benchmark run (marked slow) keeps the benchmark from rotting."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

from cnaps_rag.bench import run_benchmark


def run_example(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_the_reference_example_prints_a_verified_answer():
    result = run_example("examples/answer_reference.py")
    assert result.returncode == 0, result.stderr
    assert "## 1. What you are trying to do" in result.stdout and "verified: True" in result.stdout


def test_the_own_prompt_example_answers_about_colorization():
    result = run_example("examples/answer_my_prompt.py", "examples/my_prompt.txt", "text")
    assert result.returncode == 0, result.stderr
    assert "image colorization" in result.stdout and "https://github.com/richzhang/colorization" in result.stdout


def test_the_embedding_example_answers_from_its_own_index_and_abstains_off_topic():
    result = run_example("examples/embed_custom_corpus.py")
    assert result.returncode == 0, result.stderr
    assert "recommends Voice2Txt-Whisper-large (recommended model); verified: True" in result.stdout
    assert "sourdough recipe?\n  -> abstained; verified: True" in result.stdout


@pytest.mark.slow  # ~18 s of timing runs; `cnaps-rag bench --quick` is the same check by hand
def test_a_quick_benchmark_prints_every_row_with_its_floor():
    table = run_benchmark(quick=True)
    for row in ("warm answer()", "answer_many(", "import cnaps_rag", "cold `cnaps-rag ask`", "index build",
                "scale: retrieve", "peak RSS", "approximate `HNSW32`"):
        assert row in table, row
    assert "| NO |" not in table.split("answer_many")[0], table  # the warm-answer row meets its target
