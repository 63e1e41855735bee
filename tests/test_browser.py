"""The page at / in a real browser: Playwright driving Chromium (/usr/bin/chromium, from Debian's packages).

Skipped with a reason when Playwright or Chromium is absent; under CI (CI=true) that fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


CHROMIUM = Path("/usr/bin/chromium")


def _require_browser():
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
        import fastapi  # noqa: F401
    except ImportError as exc:
        reason = f"{exc.name} is not installed: pip install -e '.[test]'"
    if reason is None and not CHROMIUM.is_file():
        reason = "no /usr/bin/chromium: apt-get install -y --no-install-recommends chromium"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


_require_browser()

from playwright.sync_api import sync_playwright  # noqa: E402

from cnaps_rag.serve import create_app, serving  # noqa: E402

# A related paper whose summary tries to run script in the reader's browser.
HOSTILE = ('<script>window.__pwned = "script"</script><img src=x onerror="window.__pwned = \'img\'">'
           "The annotation study ends here.")


@pytest.fixture(scope="module")
def page():
    with serving(create_app()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        # The page must escape hostile text by itself: its Content-Security-Policy (tested in test_serve) is
        # bypassed here so that it cannot be what stops the script.
        tab = browser.new_page(bypass_csp=True)
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(url)
        tab.errors = errors
        yield tab
        browser.close()


def _answer_prompt(page, text: str) -> None:
    page.fill("#prompt", text)
    page.click("#prompt-form button")
    page.wait_for_function("document.querySelector('#status').textContent === 'Answered.' "
                           "|| !document.querySelector('#error').hidden", timeout=60_000)
    assert page.is_hidden("#error"), page.inner_text("#error")


def test_the_reference_prompt_shows_swinir_first_with_its_flowchart_drawn_and_no_hostile_script_run(page, seed_text):
    hostile = seed_text.replace("Summary: This paper does not describe a novel method.",
                                f"Summary: This paper does not describe a novel method. {HOSTILE}")
    assert hostile != seed_text
    _answer_prompt(page, hostile)
    references = page.locator("#answer ol").last.locator(":scope > li")
    assert references.first.locator("strong").first.inner_text() == "Restoration-SwinIR-Jpeg40"
    assert references.first.locator("a").first.get_attribute("href") == "https://arxiv.org/pdf/2108.10257"
    diagram = page.locator("#answer .diagram svg")
    diagram.first.wait_for(timeout=30_000)
    assert "Shallow feature extraction" in diagram.first.text_content()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#answer script, #answer img, #provenance script, #provenance img").count() == 0
    assert not page.errors


def test_a_flowchart_label_with_parentheses_is_drawn_with_them(page):
    from conftest import reference_prompt

    _answer_prompt(page, reference_prompt(
        "I typed 'a chair shaped like an avocado' and got a little spinning object for my game. How?",
        [("openai/shap-e", "https://arxiv.org/abs/2305.02463", "https://github.com/openai/shap-e")]))
    diagram = page.locator("#answer .diagram svg")
    diagram.first.wait_for(timeout=30_000)
    assert "an object (text model)" in diagram.first.text_content()
    assert not page.errors


def test_a_sentence_shows_what_it_rests_on_when_hovered(page, seed_text):
    _answer_prompt(page, seed_text)
    sentence = page.locator("#answer ol li .stmt").first
    sentence.hover()
    panel = page.inner_text("#provenance-body")
    assert "Restoration-SwinIR-Jpeg40" in panel and "“" in panel
    assert sentence.evaluate("el => el.classList.contains('selected')")


def test_markup_typed_into_the_question_is_shown_as_text(page):
    page.fill("#question", 'Why is my <img src=x onerror="window.__pwned=1"> photo so dark at night?')
    page.click("#question-form button")
    page.wait_for_function("document.querySelector('#status').textContent !== 'Working…'", timeout=60_000)
    assert '<img src=x onerror="window.__pwned=1">' in page.inner_text("#answer")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#answer img").count() == 0


def test_an_error_is_shown_as_the_servers_one_line(page):
    page.fill("#prompt", "Model: X\nPaper: None\n")
    page.click("#prompt-form button")
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    assert "question" in page.inner_text("#error")
