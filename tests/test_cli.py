"""End to end through the command line, in fresh processes, as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import MINI_CATALOG, ROOT, SEED


def run(*args: str, stdin: bytes | None = None, env_root=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if env_root is not None:
        env["CNAPS_RAG_INDEX"] = str(env_root)
    return subprocess.run([sys.executable, "-m", "cnaps_rag", *args], input=stdin, capture_output=True, env=env,
                          cwd=ROOT, timeout=600)


def test_prompt_prints_the_three_parts_with_only_the_supplied_links():
    result = run("prompt", str(SEED))
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert "## 1. What you are trying to do" in out and "## 3. Papers and tools" in out
    assert out.index("Restoration-SwinIR-Jpeg40") < out.index("ImageNet-Hard")
    for link in ("https://arxiv.org/pdf/2108.10257", "https://github.com/JingyunLiang/SwinIR",
                 "http://arxiv.org/pdf/2304.05538v4.pdf", "http://arxiv.org/pdf/2407.17596v2.pdf"):
        assert link in out


def test_prompt_reads_standard_input_and_prints_json():
    result = run("prompt", "-", "--format", "json", stdin=SEED.read_bytes())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["references"][0]["source"]["id"] == "restoration-swinir-jpeg40"
    assert data["abstained"] is False


def test_an_uncovered_question_exits_3():
    result = run("ask", "How long should I boil an egg?")
    assert result.returncode == 3
    assert b"The supplied sources do not cover this question." in result.stdout


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes('A user asks:\n"Why is my caf\xe9 photo blurry?"\n\n### Recommended AI Models:\nModel: Deblur-X-1\nPaper: None\n'.encode("latin-1"))
    cases = [
        ("ask", "   "),
        ("prompt", str(tmp_path / "missing.txt")),
        ("prompt", str(latin1)),
    ]
    for args in cases:
        result = run(*args)
        err = result.stderr.decode()
        assert result.returncode == 2, (args, err)
        assert err.startswith("cnaps-rag: error: ") and err.count("\n") == 1, (args, err)
        assert "Traceback" not in err
    assert "not UTF-8 text (byte 0xe9" in run("prompt", str(latin1)).stderr.decode()


def test_a_prompt_without_a_question_names_what_is_missing(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("### Recommended AI Models:\nModel: A-B\nPaper: None\n", encoding="utf-8")
    result = run("prompt", str(path))
    assert result.returncode == 2 and b"no question found" in result.stderr


def test_index_build_and_info_over_a_catalog(tmp_path):
    built = run("index", "build", "--catalog", str(MINI_CATALOG), "--index", str(tmp_path / "idx"))
    assert built.returncode == 0, built.stderr
    assert b"built 36 sources (Flat, dimension 384)" in built.stdout
    info = run("index", "info", "--catalog", str(MINI_CATALOG), "--index", str(tmp_path / "idx"))
    data = json.loads(info.stdout)
    assert data["count"] == 36 and data["model"]["weights_sha256"].startswith("53aa5117")
    assert b"rebuilding" not in info.stderr


def test_ask_over_a_catalog_recommends_a_4x_model():
    result = run("ask", "--catalog", str(MINI_CATALOG), "--format", "text",
                 "I blew up a small image by 4x and was shocked that it still looked clean. How?")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    first = out.split("3. PAPERS AND TOOLS")[1].strip().splitlines()[0]
    assert "x4" in first.lower() and "recommended model" in first


@pytest.mark.parametrize("args", [("--help",), ("ask", "--help"), ("index", "build", "--help")])
def test_help_works(args):
    assert run(*args).returncode == 0


@pytest.mark.parametrize("unbuffered", ["1", None], ids=["unbuffered", "block-buffered"])
def test_a_reader_that_stops_early_gets_no_traceback(unbuffered):
    # Block-buffered (no PYTHONUNBUFFERED), the broken pipe surfaced only at exit: code 120 (2026-11-28).
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    process = subprocess.Popen([sys.executable, "-m", "cnaps_rag", "cards", "check"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, cwd=ROOT)
    process.stdout.close()  # the reader is gone before the first line, as with `| head -0`
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
