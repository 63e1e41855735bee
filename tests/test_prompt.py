"""parse_prompt: the reference format and the ways real prompt files vary."""

from __future__ import annotations

import json
import re

import pytest
from conftest import DATASET, needs_dataset

from cnaps_rag import PromptError, parse_prompt

BASIC = """A user has asked the following question:
"How does AI upscale a photo?"

### Recommended AI Models:
Model: SISR-Example-4x
Paper: https://arxiv.org/abs/1809.00219
GitHub: https://github.com/xinntao/ESRGAN

### Related Papers:
Model: A Paper About Something
Paper: http://arxiv.org/pdf/2304.05538v4.pdf
Summary: It studies something.

Answer:
"""


def test_reference_prompt_gives_question_and_three_sources(seed_text):
    parsed = parse_prompt(seed_text)
    assert parsed.question.startswith("A 4×-enlarged thumbnail came out looking sharp")
    assert parsed.question.endswith("high zoom levels?")
    assert [s.name for s in parsed.sources][0] == "Restoration-SwinIR-Jpeg40"
    assert parsed.recommended == ("restoration-swinir-jpeg40",)
    assert parsed.related == ("arxiv:2304.05538", "arxiv:2407.17596")


def test_links_are_kept_exactly_as_written(seed_text):
    swinir, hard, qa = parse_prompt(seed_text).sources
    assert swinir.paper_url == "https://arxiv.org/pdf/2108.10257"
    assert swinir.github_url == "https://github.com/JingyunLiang/SwinIR"
    assert hard.paper_url == "http://arxiv.org/pdf/2304.05538v4.pdf"
    assert qa.paper_url == "http://arxiv.org/pdf/2407.17596v2.pdf"


def test_missing_summary_and_github_are_absent_not_errors(seed_text):
    swinir, hard, _ = parse_prompt(seed_text).sources
    assert swinir.summary is None
    assert hard.github_url is None
    assert hard.summary.startswith("Image classifiers are information-discarding machines")


def test_an_empty_paper_line_is_a_missing_link_not_a_papers_heading():
    parsed = parse_prompt('A user has asked the following question:\n"How did it change my voice?"\n\n'
                          "### Recommended AI Models:\nModel: RVC\nPaper:\nGitHub: https://github.com/RVC-Project/x\n\n"
                          "### Related Papers:\nModel: A paper\nPaper: http://arxiv.org/pdf/1706.03762v7.pdf\nSummary: Attention.\n")
    rvc, paper = parsed.sources
    assert (rvc.kind, rvc.paper_url, rvc.github_url) == ("model", None, "https://github.com/RVC-Project/x")
    assert paper.kind == "paper" and paper.summary == "Attention."


def test_crlf_line_ends_parse_like_lf():
    assert parse_prompt(BASIC.replace("\n", "\r\n")) == parse_prompt(BASIC)


def test_extra_blank_lines_and_indentation_are_tolerated():
    messy = BASIC.replace("\n", "\n\n").replace("Paper:", "    Paper:").replace("Model:", "  Model:")
    parsed = parse_prompt(messy)
    assert [s.name for s in parsed.sources] == ["SISR-Example-4x", "A Paper About Something"]
    assert parsed.sources[0].paper_url == "https://arxiv.org/abs/1809.00219"


def test_markdown_bullets_are_entries():
    text = """A user asks:
"Make my photo sharper"

### Recommended AI Models:
- **Deblur-MSSNet-RealBlurR**
  Paper: https://cg.postech.ac.kr/Research/MSSNet/MSSNet.pdf

- **Enhancement-low-light-img-enhancer**
  Paper: None

Answer:
#"""
    parsed = parse_prompt(text)
    assert [s.name for s in parsed.sources] == ["Deblur-MSSNet-RealBlurR", "Enhancement-low-light-img-enhancer"]
    assert parsed.sources[1].paper_url is None


def test_paper_none_means_no_link():
    parsed = parse_prompt(BASIC.replace("Paper: https://arxiv.org/abs/1809.00219", "Paper: None"))
    assert parsed.sources[0].paper_url is None


def test_title_key_works_like_model():
    parsed = parse_prompt(BASIC.replace("Model: A Paper", "Title: A Paper"))
    assert parsed.sources[1].name == "A Paper About Something"


def test_versioned_arxiv_links_share_the_unversioned_id():
    parsed = parse_prompt(BASIC)
    assert parsed.sources[1].id == "arxiv:2304.05538"


def test_smart_quoted_question_loses_its_quotes():
    parsed = parse_prompt(BASIC.replace('"How does AI upscale a photo?"', "“How does AI upscale a photo?”"))
    assert parsed.question == "How does AI upscale a photo?"


def test_question_spanning_lines_is_joined():
    parsed = parse_prompt(BASIC.replace('"How does AI upscale a photo?"', '"How does AI\nupscale a photo?"'))
    assert parsed.question == "How does AI upscale a photo?"


def test_text_after_answer_is_ignored():
    parsed = parse_prompt(BASIC + "Model: Not A Source\nPaper: https://example.org/x\n")
    assert len(parsed.sources) == 2


def test_multiline_summary_is_joined():
    text = BASIC.replace("Summary: It studies something.", "Summary: It studies\nsomething in depth.")
    assert parse_prompt(text).sources[1].summary == "It studies something in depth."


def test_commented_copy_of_the_question_is_not_taken():
    text = '# A user asks:\n# "the commented one"\nA user asks:\n"the live one"\n\n### Recommended AI Models:\n- **M-A-1**\n  Paper: None\n'
    assert parse_prompt(text).question == "the live one"


def test_an_identical_duplicate_entry_is_used_once_and_noted():
    text = BASIC.replace("### Related Papers:", "Model: SISR-Example-4x\nPaper: https://arxiv.org/abs/1809.00219\nGitHub: https://github.com/xinntao/ESRGAN\n\n### Related Papers:")
    parsed = parse_prompt(text)
    assert [s.name for s in parsed.sources].count("SISR-Example-4x") == 1
    assert any("listed twice" in note for note in parsed.notes)


def test_a_conflicting_duplicate_is_kept_under_its_own_id():
    text = BASIC.replace("### Related Papers:", "Model: SISR-Example-4x\nPaper: https://arxiv.org/abs/2107.10833\n\n### Related Papers:")
    parsed = parse_prompt(text)
    assert [s.id for s in parsed.sources][:2] == ["sisr-example-4x", "sisr-example-4x~2"]


def test_no_question_is_an_error_that_says_what_is_expected():
    with pytest.raises(PromptError, match=re.escape("no question found: expected a line such as 'A user has asked the following question:'")):
        parse_prompt("### Recommended AI Models:\nModel: X-Y\nPaper: None\n")


def test_no_sources_is_an_error():
    with pytest.raises(PromptError, match="no sources found"):
        parse_prompt('A user has asked the following question:\n"Why?"\n\nAnswer:\n')


def test_malformed_link_is_an_error_naming_the_line():
    with pytest.raises(PromptError, match=r"^line 6: the paper link of 'SISR-Example-4x' is not an http\(s\) URL: 'arxiv\.org/abs/1809\.00219'"):
        parse_prompt(BASIC.replace("https://arxiv.org/abs/1809.00219", "arxiv.org/abs/1809.00219"))


def test_stray_text_in_a_source_section_is_an_error_with_its_line():
    with pytest.raises(PromptError, match=r"^line 5: expected a source entry"):
        parse_prompt(BASIC.replace("Model: SISR-Example-4x", "just some words\nModel: SISR-Example-4x"))


@needs_dataset
def test_all_158_logged_prompts_parse():
    files = sorted((DATASET / "eval" / "results").glob("*.json"))
    assert len(files) == 158
    for file in files:
        parsed = parse_prompt(json.loads(file.read_text(encoding="utf-8"))["query_text"])
        assert parsed.question and not parsed.question.startswith("#"), file.name
        assert 1 <= len(parsed.sources) <= 10, file.name
        assert all(s.kind == "model" for s in parsed.sources if s.id in parsed.recommended), file.name
