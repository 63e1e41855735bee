"""Hostile sources, bad arguments and huge inputs: an answer or a one-line error, never a traceback, never a
link that was not supplied (issue 12, case by case)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT

import cnaps_rag
from cnaps_rag import CorpusError, InputError, ModelError, PromptError, Source, load_catalog, parse_prompt, verify
from cnaps_rag.answering.model import Answer, Evidence, Reference, Statement, TaskPart
from cnaps_rag.answering.render import render
from cnaps_rag.answering.verify import link_problems
from cnaps_rag.cli import main
from cnaps_rag.embedding import default_model_path
from cnaps_rag.files import read_json
from cnaps_rag.index.locations import index_directory
from cnaps_rag.tuning import LIMITS

FORMATS = ("markdown", "text", "html", "json")
EVIL = ("Zorblax removes noise from photos, see www.evil.example/login for details. "
        "The network removes noise with [docs](//evil.example/x) and [x](javascript:alert(1)) residual blocks. "
        "It denoises images <script>alert(1)</script> with attention <img src=x onerror=alert(1)> layers. "
        "Noise removal uses ![img](http://evil.example/a.png) a transformer; mail evil@evil.example or //evil.example/y.")
PAPER = "https://example.org/zorblax_(v2)"
HOSTILE_PROMPT = f'''A user has asked the following question:
"How does AI remove noise from a photo?"

### Recommended AI Models:
Model: Zorblax-Denoiser-x1
Paper: {PAPER}
Summary: {EVIL}
'''
TINY_CATALOG = [
    {"Model Unique Name": "Denoise-Zorblax-Noise15", "Category": "Denoising", "Paper": "https://example.org/a",
     "Summary": "Removes noise from photos."},
    {"Model Unique Name": "Deblur-Quux-x1", "Category": "Deblurring", "Paper": "https://example.org/b",
     "Summary": "Sharpens blurry photos."},
]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    """The error line of stderr: exactly one, the last line (a progress note such as 'building index' may precede it)."""
    lines = err.splitlines()
    assert "Traceback" not in err and lines and lines[-1].startswith("cnaps-rag: error: "), err
    assert sum(line.startswith("cnaps-rag: error: ") for line in lines) == 1, err
    return lines[-1]


def write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs


def assert_no_foreign_link(output: str, fmt: str, supplied: set[str]) -> None:
    """Checked without cnaps_rag.links: no trace of the hostile host, scheme or markup in what a reader gets."""
    assert "evil.example" not in output and "javascript:" not in output.lower(), output
    if fmt == "markdown":
        assert "<script" not in output and "<img" not in output and "](" not in output
    if fmt == "html":
        tags = _Tags()
        tags.feed(output)
        assert tags.tags <= {"article", "p", "strong", "em", "h2", "h3", "ol", "ul", "li", "pre", "a"}
        assert all(name == "class" or (name == "href" and value in supplied) for name, value in tags.attrs), tags.attrs
    if fmt == "json":
        assert "<" not in output
        json.loads(output)


def evil_answer() -> Answer:
    """An answer that quotes the hostile summary verbatim, as evidence must."""
    source = Source(id="zorblax", kind="model", name="Zorblax-Denoiser-x1", paper_url=PAPER, summary=EVIL)
    quote = "The network removes noise with [docs](//evil.example/x) and [x](javascript:alert(1)) residual blocks."
    said = Statement(text=f"What it does, in its summary's words: “{quote}”", sources=("zorblax",),
                     evidence=(Evidence(origin="source", source_id="zorblax", quote=quote),))
    return Answer(question="How does AI remove noise? See www.evil.example", hits=(), workflow=(), abstained=False,
                  task=TaskPart(task_ids=(), task_names=(), statements=(said,)),
                  references=(Reference(number=1, source=source, role="recommended model", listed_as="recommended",
                                        why=said, score=1.0),))


# --- links and HTML that were never supplied ---------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hostile_summary_never_becomes_a_link_in_any_format(capsys, tmp_path, fmt):
    code, out, err = cli(capsys, "prompt", str(write(tmp_path / "p.txt", HOSTILE_PROMPT)), "--format", fmt)
    assert code in (0, 3), err
    assert_no_foreign_link(out, fmt, {PAPER})
    assert PAPER in out


def test_quotes_stay_verbatim_in_the_answer_and_are_neutralised_where_shown():
    answer = evil_answer()
    assert "[docs](//evil.example/x)" in answer.task.statements[0].evidence[0].quote
    for fmt in FORMATS:
        assert_no_foreign_link(render(answer, fmt), fmt, {PAPER})
    markdown = render(answer, "markdown")
    assert "with docs (link omitted) and x (link omitted) residual blocks" in markdown
    assert "**Question:** How does AI remove noise? See (link omitted)" in markdown
    assert verify(answer).ok, verify(answer).problems


def test_markdown_escapes_html_from_a_source_and_html_autoescapes_it():
    source = Source(id="t", kind="model", name="Tag-Model", summary="Uses <script>alert(1)</script> layers.")
    said = Statement(text="It says: “Uses <script>alert(1)</script> layers.”", sources=("t",),
                     evidence=(Evidence(origin="source", source_id="t", quote="Uses <script>alert(1)</script> layers."),))
    answer = Answer(question="q", hits=(), workflow=(), abstained=False,
                    task=TaskPart(task_ids=(), task_names=(), statements=(said,)),
                    references=(Reference(number=1, source=source, role="recommended model", listed_as="recommended",
                                          why=said, score=1.0),))
    assert "Uses &lt;script>alert(1)&lt;/script> layers" in render(answer, "markdown")
    assert "&lt;script&gt;" in render(answer, "html")
    assert "Uses <script>alert(1)</script> layers" in render(answer, "text")  # plain text has no markup


@pytest.mark.parametrize(("fmt", "rendered"), [
    ("markdown", "see www.evil.example/login"),
    ("markdown", "with [docs](https://example.org/a) here"),
    ("markdown", "an ![img](x.png) here"),
    ("markdown", "a <img src=x onerror=alert(1)> here"),
    ("markdown", "run javascript:alert(1) now"),
    ("text", "go to //evil.example/x now"),
    ("text", "mail evil@evil.example"),
    ("text", "https://example.org/a-longer-path"),
    ("html", '<p><a href="https://evil.example/">x</a></p>'),
    ("html", "<p><img src=x onerror=alert(1)></p>"),
    ("html", '<p onclick="alert(1)">x</p>'),
    ("html", "<p>see www.evil.example</p>"),
    ("json", '{"text": "see www.evil.example"}'),
    ("json", '{"paper_url": "https://evil.example/"}'),
])
def test_verify_flags_link_like_text_that_is_not_a_supplied_link(fmt, rendered):
    problems, _ = link_problems(rendered, fmt, {"https://example.org/a"})
    assert problems


def test_verify_rejects_a_link_in_a_sentence_s_own_words_but_not_in_what_it_quotes():
    answer = evil_answer()
    own = Statement(text="See www.evil.example/login for more.", sources=("zorblax",))
    bad = answer.model_copy(update={"task": TaskPart(task_ids=(), task_names=(), statements=(own,))})
    assert any("link 'www.evil.example/login' is not one of the supplied links" in p for p in verify(bad).problems)
    assert verify(answer).ok  # the same kind of text inside a verbatim quote is shown neutralised


@pytest.mark.parametrize("fmt", FORMATS)
def test_verify_accepts_a_supplied_link_shown_char_for_char(fmt):
    rendered = {"markdown": "   - Paper: https://example.org/a.", "text": "Paper: https://example.org/a",
                "html": '<li>Paper: <a href="https://example.org/a">https://example.org/a</a></li>',
                "json": '{"paper_url": "https://example.org/a"}'}[fmt]
    problems, checked = link_problems(rendered, fmt, {"https://example.org/a"})
    assert problems == [] and checked >= 1


def test_a_name_holding_a_link_is_refused_by_the_prompt_the_catalog_and_the_api(capsys, tmp_path):
    name = "[SwinIR x4](javascript:alert(1))"
    prompt = write(tmp_path / "p.txt", HOSTILE_PROMPT.replace("Zorblax-Denoiser-x1", name))
    code, _, err = cli(capsys, "prompt", str(prompt))
    assert code == 2 and f"{prompt}: line 5: the name '{name}' holds a link or markup" in one_line_error(err)
    catalog = write(tmp_path / "c.json", [dict(TINY_CATALOG[0], **{"Model Unique Name": name})])
    with pytest.raises(CorpusError, match=r"c\.json: record 1 .*field 'Model Unique Name': must be a name"):
        load_catalog([catalog])
    with pytest.raises(ValueError, match="must be a name, not contain a link"):
        Source(id="x", kind="model", name=name)


def test_a_name_that_skipped_validation_is_still_shown_as_text():
    answer = evil_answer()
    smuggled = Source.model_construct(**{**answer.references[0].source.__dict__, "name": "[SwinIR](javascript:alert(1))"})
    answer = answer.model_copy(update={"references": (answer.references[0].model_copy(update={"source": smuggled}),)})
    for fmt in FORMATS:
        assert "javascript:" not in render(answer, fmt)
    assert "**SwinIR (link omitted)**" in render(answer, "markdown")


# --- exit 2 and one line, never a traceback ----------------------------------------------------


def test_a_non_utf8_byte_in_an_ask_argument_exits_2():
    result = subprocess.run([sys.executable, "-m", "cnaps_rag", "ask", b"caf\xe9 photo"], capture_output=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 2
    assert "the question is not UTF-8 text (byte 0xe9 at character 4)" in one_line_error(result.stderr.decode())


def test_a_lone_surrogate_in_a_question_or_a_source_is_an_input_error():
    with pytest.raises(InputError, match="lone surrogate"):
        cnaps_rag.answer("caf\udce9")
    with pytest.raises(ValueError, match="lone surrogate"):
        Source(id="x", kind="model", name="X", summary="caf\udce9")


def test_a_bare_domain_on_a_model_line_names_file_and_line(capsys, tmp_path):
    prompt = write(tmp_path / "p.txt", HOSTILE_PROMPT.replace("Zorblax-Denoiser-x1", "SwinIR www.evil.example"))
    code, _, err = cli(capsys, "prompt", str(prompt))
    assert code == 2
    assert f"{prompt}: line 5: the name 'SwinIR www.evil.example' holds a link" in one_line_error(err)
    with pytest.raises(PromptError, match=r"^p\.txt: line 5: ") as caught:
        parse_prompt(prompt.read_text(), where="p.txt")
    assert caught.value.line == 5


def test_a_deeply_nested_catalog_exits_2(capsys, tmp_path):
    deep = write(tmp_path / "deep.json", "[" * 5000 + "]" * 5000)
    code, _, err = cli(capsys, "ask", "--catalog", str(deep), "How do I denoise a photo?")
    assert code == 2
    assert f"deep.json: JSON nested 5000 levels deep; the limit is {LIMITS.max_json_depth}" in one_line_error(err)


def test_an_ivf_factory_too_big_for_the_catalog_exits_2(capsys, tmp_path):
    catalog = write(tmp_path / "tiny.json", TINY_CATALOG)
    code, _, err = cli(capsys, "index", "build", "--catalog", str(catalog), "--factory", "IVF4096,Flat",
                       "--index", str(tmp_path / "idx"))
    assert code == 2 and "needs at least 4096 sources" in one_line_error(err)


def test_eval_json_to_an_unwritable_path_fails_before_evaluating(capsys, tmp_path):
    blocker = write(tmp_path / "file.txt", "a file, not a directory")
    code, out, err = cli(capsys, "eval", "--catalog", str(tmp_path / "none.json"), "--queries", str(tmp_path / "q.json"),
                         "--json", str(blocker / "out.json"))
    assert code == 2 and out == ""
    assert f"{blocker / 'out.json'}: the directory {blocker} does not exist" in one_line_error(err)


@pytest.mark.parametrize(("file", "cut", "message"), [
    ("model.safetensors", 5000, "cannot read the model weights"),
    ("model.safetensors", 45_000_000, "cannot read the model weights"),
    ("tokenizer.json", 3000, "cannot read the tokenizer"),
])
def test_an_unpinned_truncated_model_file_is_a_model_error(tmp_path, file, cut, message):
    copy = tmp_path / "model"
    shutil.copytree(default_model_path(), copy)
    data = (copy / file).read_bytes()
    (copy / file).write_bytes(data[:cut])
    with pytest.raises(ModelError, match=message):
        cnaps_rag.Embedder(copy, engine="numpy").encode(["a photo"])


@pytest.mark.parametrize("url", [
    'https://arxiv.org/abs/2108.10257"<x', "https://arxiv.org/abs/2108.10257<script>", "https://arxiv.org/a b",
    "https://arxiv.org/a`b", "https://arxiv.org/a{b}", "https://arxiv.org/a|b", "https://arxiv.org/a\\b",
    "https://arxiv.org/a^b", "https://arxiv.org/\u202egpj.exe", "https://arxiv.org/x[1](javascript:alert(1))",
    "https://arxiv.org/a%zz", "https://github.com@evil.example/x", "javascript:alert(1)",
])
def test_a_url_with_characters_not_legal_in_a_url_is_refused_where_it_is_read(capsys, tmp_path, url):
    prompt = write(tmp_path / "p.txt", HOSTILE_PROMPT.replace(PAPER, url))
    code, _, err = cli(capsys, "prompt", str(prompt))
    assert code == 2 and f"{prompt}: line 6: the paper link of 'Zorblax-Denoiser-x1' is not an http(s) URL" in one_line_error(err)
    catalog = write(tmp_path / "c.json", [dict(TINY_CATALOG[0], Paper=url)])
    with pytest.raises(CorpusError, match=r"c\.json: record 1 \(Denoise-Zorblax-Noise15\): field 'Paper': "):
        load_catalog([catalog])
    with pytest.raises(ValueError, match="must be an http:// or https:// URL"):
        Source(id="x", kind="model", name="X", paper_url=url)


def test_a_legal_url_is_kept_char_for_char():
    url = "https://en.wikipedia.org/wiki/Noise_(signal_processing)?a=1&b=%20#top"
    assert Source(id="x", kind="model", name="X", paper_url=url).paper_url == url


# --- no wrong results with exit 0 -------------------------------------------------------------


def test_index_info_never_writes(capsys, tmp_path):
    catalog = write(tmp_path / "tiny.json", TINY_CATALOG)
    index = tmp_path / "idx"
    assert cli(capsys, "index", "build", "--catalog", str(catalog), "--index", str(index))[0] == 0
    before = {p.name: p.read_bytes() for p in index.iterdir()}
    code, out, _ = cli(capsys, "index", "info", "--index", str(index))  # the corpus's info on a catalog's index
    assert code == 0 and json.loads(out)["count"] == 2 and json.loads(out)["fresh"] is False
    assert {p.name: p.read_bytes() for p in index.iterdir()} == before


def test_index_build_that_cannot_save_exits_2(capsys, tmp_path):
    catalog = write(tmp_path / "tiny.json", TINY_CATALOG)
    blocker = write(tmp_path / "file.txt", "x")
    code, out, err = cli(capsys, "index", "build", "--catalog", str(catalog), "--index", str(blocker / "idx"))
    assert code == 2 and "built" not in out
    assert "cannot save the index there" in one_line_error(err)


def test_another_embedding_model_gets_its_own_index_directory(tmp_path):
    identity = cnaps_rag.default_engine().embedder.identity
    other = identity.model_copy(update={"name": str(tmp_path / "my-model"), "weights_sha256": "0" * 64})
    assert index_directory("corpus", [tmp_path], identity) != index_directory("corpus", [tmp_path], other)


@pytest.mark.parametrize(("field", "value", "said"), [
    ("Summary", ["a", "b"], "field 'Summary' must be text or null, not a list of 2 item(s)"),
    ("Category", float("nan"), "field 'Category' must be text or null, not NaN (write null for a missing value)"),
    ("Model Unique Name", 42, "field 'Model Unique Name' must be text or null, not a number (42)"),
    ("Paper", {"url": "https://example.org"}, "field 'Paper' must be text or null, not an object"),
    ("Dataset", True, "field 'Dataset' must be text or null, not true/false (true)"),
    ("arxiv_id", float("nan"), "field 'arxiv_id' must be text, a number or null, not NaN"),
])
def test_catalog_fields_of_the_wrong_type_are_errors_naming_record_and_field(tmp_path, field, value, said):
    catalog = write(tmp_path / "c.json", [TINY_CATALOG[1], dict(TINY_CATALOG[0], **{field: value})])
    with pytest.raises(CorpusError, match=r"c\.json: record 2\b.*" + re.escape(said)):
        load_catalog([catalog])


def test_a_numeric_arxiv_id_as_some_exports_write_it_is_read(tmp_path):
    record = {"Model Unique Name": "A paper", "Paper": "https://arxiv.org/abs/2304.05538", "arxiv_id": 2304.05538}
    (source,) = load_catalog([write(tmp_path / "p.json", [record])]).sources
    assert source.id == "arxiv:2304.05538" and source.kind == "paper"


@pytest.mark.parametrize("call", [
    lambda: cnaps_rag.answer_many("How?"),
    lambda: cnaps_rag.answer_many(["How do I denoise a photo?", 5]),
    lambda: cnaps_rag.answer("How do I denoise a photo?", k="5"),
    lambda: cnaps_rag.answer("How do I denoise a photo?", k=0),
    lambda: cnaps_rag.answer("How do I denoise a photo?", k=-1),
    lambda: cnaps_rag.retrieve("How do I denoise a photo?", k=2.5),
], ids=["one-string", "a-number-among-questions", "k-text", "k-zero", "k-negative", "k-fraction"])
def test_api_arguments_of_the_wrong_type_or_range_are_input_errors(call):
    with pytest.raises(InputError):
        call()


# --- resources ------------------------------------------------------------------------------------


def test_a_10_mb_summary_is_refused_in_bounded_memory(tmp_path):
    code = f"""
import json, sys
from pathlib import Path
from cnaps_rag.cli import main
tmp = Path({str(tmp_path)!r})
summary = "noise " * 1_750_000
(tmp / "big.json").write_text(json.dumps([{{"Model Unique Name": "Big-Model-x1", "Summary": summary}}]))
(tmp / "big.txt").write_text('A user asks:\\n"How?"\\n\\n### Recommended AI Models:\\nModel: Big-Model-x1\\nSummary: ' + summary)
codes = [main(["ask", "--catalog", str(tmp / "big.json"), "How do I remove noise?"]), main(["prompt", str(tmp / "big.txt")])]
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"codes": codes, "hwm_kb": hwm}}))
"""
    env = dict(os.environ, CNAPS_RAG_INDEX=str(tmp_path / "index"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["codes"] == [2, 2], result.stderr
    assert f"the limit is {LIMITS.max_source_chars:,}" in result.stderr
    assert f"the limit is {LIMITS.max_prompt_chars:,}" in result.stderr
    assert report["hwm_kb"] < 1024 * 1024, report


def test_a_summary_over_the_limit_is_refused_at_the_edge_and_one_under_it_is_answered():
    with pytest.raises(ValueError, match=f"the limit is {LIMITS.max_source_chars:,}"):
        Source(id="x", kind="model", name="X", summary="a" * (LIMITS.max_source_chars + 1))
    long = Source(id="x", kind="model", name="Denoise-Long-x1", summary="Removes noise from photos. " * 700)
    result = cnaps_rag.answer("How do I remove noise from a photo?", sources=[long])
    assert len(result.to_markdown()) < 20_000


def test_a_prompt_listing_more_sources_than_the_limit_is_refused():
    entries = "".join(f"Model: Model-{i}\nPaper: None\n" for i in range(LIMITS.max_sources + 1))
    with pytest.raises(PromptError, match=f"lists {LIMITS.max_sources + 1:,} sources; the limit is {LIMITS.max_sources:,}"):
        parse_prompt(f'A user asks:\n"How?"\n\n### Recommended AI Models:\n{entries}')


# --- messages -------------------------------------------------------------------------------------


def test_a_directory_is_reported_as_a_directory(capsys, tmp_path):
    code, _, err = cli(capsys, "prompt", str(tmp_path))
    assert code == 2 and f"{tmp_path}: is a directory" in one_line_error(err)
    code, _, err = cli(capsys, "ask", "--catalog", str(tmp_path), "How?")
    assert code == 2 and f"{tmp_path}: is a directory" in one_line_error(err)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(CorpusError, match=r"dir\.json: is a directory, not a catalog file"):
        read_json(tmp_path / "dir.json", "catalog file")


def test_a_duplicate_arxiv_id_is_reported_as_an_arxiv_id(tmp_path):
    papers = [{"Model Unique Name": name, "Paper": "https://arxiv.org/abs/2001.00001", "arxiv_id": "2001.00001",
               "Summary": "A paper."} for name in ("First title", "Second title")]
    loaded = load_catalog([write(tmp_path / "p.json", papers)])
    assert any("arXiv id 2001.00001 already used by" in p for p in loaded.problems), loaded.problems


def test_corrupt_index_is_part_of_the_public_errors():
    from cnaps_rag.errors import CnapsError, CorruptIndex

    assert cnaps_rag.CorruptIndex is CorruptIndex and issubclass(CorruptIndex, CnapsError)
    assert "CorruptIndex" in cnaps_rag.__all__


@pytest.mark.parametrize("args", [(), ("ask",), ("prompt",), ("index", "build"), ("index", "info"), ("eval",)])
def test_every_help_text_names_the_exit_codes(capsys, args):
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "0 answered, 2 bad input" in help_text and "3 abstained" in help_text
