"""Property-based tests: random text, URLs and markup in prompts, catalog records and answers.

Whatever is generated, the parsers return a result or raise their own error (never another
exception), and no rendering of an answer (Markdown, text, HTML, JSON) holds link-like text that
was not a supplied link. The checks on renderings use plain patterns of their own, not
cnaps_rag.links, so they test the policy rather than restate it. Runs are derandomized (the same
examples every time); ``-m slow`` runs each property with 10,000 examples.
"""

from __future__ import annotations

import html
import json
import math
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnaps_rag import CorpusError, Engine, PromptError, Source, default_engine, parse_prompt, verify
from cnaps_rag.answering.model import Answer, Evidence, Reference, Statement, TaskPart
from cnaps_rag.answering.render import LINK_FIELDS
from cnaps_rag.answering.verify import json_strings
from cnaps_rag.answering.workflow import _short_type
from cnaps_rag.answering.render import render
from cnaps_rag.answering.verify import link_problems
from cnaps_rag.errors import CnapsError, outcome
from cnaps_rag.ingest.catalog import KNOWN_FIELDS, source_from_catalog
from cnaps_rag.links import find, neutralise, url_problem
from cnaps_rag.causes import weigh_causes
from cnaps_rag.scale import own_size, question_scale
from cnaps_rag.ranking.signals import distinctive_tokens, question_tokens
from cnaps_rag.tuning import TUNING

FORMATS = ("markdown", "text", "html", "json")
FAST = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
ENGINE = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(max_examples=10_000, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

HOSTILE = [
    "www.evil.example/login", "[docs](//evil.example/x)", "[x](javascript:alert(1))", "![i](http://evil.example/a.png)",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "data:text/html,<b>x</b>",
    " //evil.example/y", "evil@evil.example", "http://evil.example", "HTTPS://EVIL.EXAMPLE/X", "\n[1]: /evil\n",
    "<http://evil.example>", "[a [b] c](<javascript:x>)", "[x][1]", "\n# heading\n", "```", "[3]", "{{ 7*7 }}",
    "{% raw %}", "`code`", "**bold**", "\u202e", "\x00", "ftp://evil.example", "mailto:evil@evil.example",
    "vbscript:msgbox(1)", "file:///etc/passwd", "WWW1.evil.example", "[[x](y)](z)", "[x](y 'title')", "](", "[", ")",
    "<!-- c -->", "&lt;script&gt;", "\\[x\\](javascript:alert(1))", "[x]\n(javascript:alert(1))", "(", "\r\n",
]
WORDS = ["noise", "photo", "remove", "upscale", "4x", "sharp", "image", "model", "denoise", "blur", "audio", "the", "a"]
text_piece = st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE), st.sampled_from(WORDS).map(lambda w: w + " "))
texty = st.lists(text_piece, max_size=10).map("".join)
good_url = st.builds(lambda host, path: f"https://{host}.example.org/{path}",
                     st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
                     st.from_regex(r"[A-Za-z0-9._~()!$&'*+,;=:@/-]{0,20}", fullmatch=True))
any_url = st.one_of(good_url, texty, st.sampled_from(["None", "", "https://a.b/x\"<y", "https://a.b/ c"]))

# What a reader's software could turn into a link or markup, spelled out independently of cnaps_rag.links.
_OUTSIDE_LINK = [
    re.compile(r"(?i)(?<![\w.+-])(?:https?|ftp|file)://"),
    re.compile(r"(?i)(?<![\w.-])www\d{0,3}\."),
    re.compile(r"(?i)(?<![\w.+-])(?:javascript|vbscript|data|mailto):\S"),
    re.compile(r"(?<![\w/:\\])//[\w-]+\.[\w-]"),
    re.compile(r"\]\("),
    re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w-]"),
]
_RAW_TAG = re.compile(r"<[A-Za-z/!?]")


def outside_links(rendered: str, fmt: str, supplied: set[str]) -> list[str]:
    """Link-like text in a rendering after removing the supplied links it shows (char for char)."""
    if fmt == "json":
        assert "<" not in rendered
        texts = [v for k, v in json_strings(json.loads(rendered)) if not (k in LINK_FIELDS and v in supplied)]
        rendered = "\n".join(texts)
    found = []
    if fmt == "html":
        found += [t for t in re.findall(r"<(/?[a-z0-9]+)", rendered)
                  if t.strip("/") not in {"article", "p", "strong", "em", "h2", "h3", "ol", "ul", "li", "pre", "a"}]
        found += [h for h in re.findall(r'\bhref="([^"]*)"', rendered) if html.unescape(h) not in supplied]
        rendered = html.unescape(re.sub(r"<[^>]*>", " ", rendered))  # what a reader sees
    for url in sorted(supplied, key=len, reverse=True):
        rendered = rendered.replace(url, " ")
    found += [m.group(0) for pattern in _OUTSIDE_LINK for m in pattern.finditer(rendered)]
    if fmt == "markdown":
        found += _RAW_TAG.findall(rendered)
    return found


# --- the link policy itself ---------------------------------------------------------------------


def check_neutralise(text: str) -> None:
    for fmt in FORMATS:
        shown = neutralise(text, fmt)  # type: ignore[arg-type]
        # Escaping HTML is the HTML template's autoescape, and JSON's the serialiser's: check those as text.
        as_read = "markdown" if fmt == "markdown" else "text"
        assert find(shown, as_read) == [], (fmt, shown)
        assert outside_links(shown, as_read, set()) == [], (fmt, shown)


@FAST
@given(texty)
def test_neutralised_text_holds_nothing_link_like(text):
    check_neutralise(text)


# --- enlargement factors ---------------------------------------------------------------------------

SCALE_WORDS = ["4x", "x8", "×3", "1x", "0.5x", "1.8 times", "3-fold", "factor of", "2.5", "300%", "100%", "95 percent",
               "150 percent", "twice", "double", "doubled", "triple the size", "double-decker", "its size", "resolution",
               "eight times", "1600 pixels", "enlarge", "photo", "custom", "whatever", "any", "zoom", "sizes", " ", ",", "."]
scale_text = st.lists(st.one_of(st.sampled_from(SCALE_WORDS), st.text(max_size=6)), max_size=12).map(" ".join)


def check_scale(text: str) -> None:
    value, spelled = question_scale(text)
    assert (value is None) == (spelled is None)
    if value is not None:
        assert 1 < value <= TUNING.question.max_scale
        assert spelled in text  # quoted in the answer as the user wrote it
    chosen = own_size(text)
    assert chosen is None or chosen in text


@FAST
@given(scale_text)
def test_a_scale_read_from_any_text_enlarges_and_is_quoted_as_written(text):
    check_scale(text)


CAUSE_WORDS = ["blurry", "blurred", "noise", "grainy", "fog", "dark", "compression", "due to", "because of", "caused by",
               "owing to", "photo", ".", ";", "!", " ", "and", "due", "to"]
cause_text = st.lists(st.one_of(st.sampled_from(CAUSE_WORDS), st.text(max_size=6)), max_size=14).map(" ".join)


@FAST
@given(cause_text)
def test_a_cause_only_lowers_the_weight_of_a_cue_found_elsewhere_in_the_question(text):
    taxonomy = default_engine().taxonomy
    matcher = taxonomy.matcher()
    found = matcher.match(text)
    weighed, causes = weigh_causes(text, found, matcher, taxonomy, TUNING.question.defect_share)
    assert [(c, p) for c, p, _ in weighed] == [(c, p) for c, p, _ in found]
    assert all(0 <= new <= old for (_, _, new), (_, _, old) in zip(weighed, found))
    assert all(p in taxonomy.tasks[c].defects for c, p in causes)


NAME_WORDS = ["LightWeight", "lightweight", "LaMa", "lama", "SwinIR", "swinir", "HDR", "hdr", "PIPs", "ColBERT", "x4",
              "Swin2SR", "BAGS", "bags", "a", " ", "-", "'"]
name_text = st.lists(st.one_of(st.sampled_from(NAME_WORDS), st.text(max_size=6)), max_size=10).map(" ".join)


@FAST
@given(name_text, st.sampled_from(["SISR-Swin2SR-LightWeight-2x", "Inpainting-LaMa-Big", "PIPs", "ColBERT", "BAGS: Blur",
                                    "Restoration-SwinIR-Jpeg40"]))
def test_a_name_token_kept_for_exact_matching_names_a_model_only_where_the_text_writes_it_so(text, name):
    for key in distinctive_tokens(name) & question_tokens(text):
        if key.startswith("="):
            assert re.search(rf"(?<![A-Za-z]){re.escape(key[1:])}(?![A-Za-z])", text), key


OBJECT_WORDS = ["it", "this", "my", "the", "a", "old", "tiny", "photo", "of", "cat", "garden", "scan", "them", "poster"]


@FAST
@given(st.lists(st.sampled_from(OBJECT_WORDS), min_size=1, max_size=12), st.sampled_from([" ", ". ", ", ", "; "]))
def test_a_split_verb_phrase_is_found_only_around_an_object_in_one_clause(object_words, gap):
    matcher = default_engine().taxonomy.matcher()
    text = f"please make {' '.join(object_words)}{gap}bigger"
    found = "make bigger" in {phrase for _, phrase, _ in matcher.match(text)}
    one_clause = gap == " "
    is_object = object_words[0] in {"it", "this", "my", "the", "a", "them"}
    assert found == (one_clause and is_object and len(object_words) <= TUNING.question.separable_object)


ADVICE = ["Should I worry about", "Is it normal to keep", "Why did my sister send", "Where do I file"]


@FAST
@given(st.sampled_from(sorted(default_engine().taxonomy.documents)), st.sampled_from(["this", "my", "these", "a", "the"]),
       st.one_of(st.sampled_from(sorted(default_engine().taxonomy.request_verbs)).map(str.capitalize),
                 st.sampled_from(ADVICE)))
def test_a_document_names_text_only_when_in_hand_and_handed_over(document, determiner, opener):
    from cnaps_rag.question import modality_words

    taxonomy = default_engine().taxonomy
    text = f"{opener} {determiner} {document} for me."
    named = [(text[start:end], kind) for start, end, kind in modality_words(text, taxonomy)]
    handed = opener not in ADVICE and determiner in {"this", "my", "these"}
    assert ((document, "text") in [(word.lower(), kind) for word, kind in named]) == handed, (text, named)


@FAST
@given(st.lists(st.one_of(st.sampled_from(["word", "a", ",", "longerword", "x4"]), st.text(min_size=1, max_size=12)),
                max_size=40).map(" ".join))
def test_a_workflow_box_type_fits_and_is_never_cut_inside_a_word(text):
    shown = _short_type(text)
    if shown is None:
        assert not text
        return
    limit = TUNING.answer.type_max_chars
    assert len(shown) <= limit
    if shown.endswith("…") and not text.strip().endswith("…"):
        kept, whole = shown[:-1], re.split(r"[:;]", text, maxsplit=1)[0].strip()
        assert whole.startswith(kept)
        rest = whole[len(kept):]
        # Cut between words: what follows the kept part starts with a space or a comma, unless one word filled the box.
        assert rest[:1] in {" ", ","} or " " not in kept


# --- prompts --------------------------------------------------------------------------------------


@st.composite
def prompt_documents(draw, question=texty, entry=st.tuples(texty, st.one_of(st.none(), texty)), url=any_url):
    lines = ["A user has asked the following question:", f'"{draw(question)}"', ""]
    for section in draw(st.lists(st.sampled_from(["### Recommended AI Models:", "### Related Papers:"]), min_size=1, max_size=2)):
        lines.append(section)
        for _ in range(draw(st.integers(1, 3))):
            name, summary = draw(entry)
            lines.append(draw(st.sampled_from(["Model: {}", "Title: {}", "- **{}**"])).format(name))
            lines.append(f"Paper: {draw(url)}")
            if draw(st.booleans()):
                lines.append(f"GitHub: {draw(url)}")
            if summary is not None:
                lines.append(f"Summary: {summary}")
            lines.append(draw(st.sampled_from(["", "", "", "", "Answer:", "junk line"])))
    return "\n".join(lines)


def check_parse(document: str) -> None:
    try:
        parsed = parse_prompt(document, where="p.txt")
    except PromptError as exc:
        assert str(exc).startswith("p.txt: ")
        return
    assert parsed.sources
    for source in parsed.sources:
        assert find(source.name) == []
        assert all(url_problem(url) is None for url in source.urls())


@FAST
@given(prompt_documents())
def test_a_random_prompt_parses_or_is_a_prompt_error(document):
    check_parse(document)


# --- catalog records ------------------------------------------------------------------------------

field_value = st.one_of(st.none(), texty, good_url, st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                        st.booleans(), st.lists(st.text(max_size=3), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=1))
records = st.dictionaries(st.sampled_from(sorted(KNOWN_FIELDS)), field_value).map(
    lambda r: {"Model Unique Name": "Denoise-Model-x1", **r})


def check_record(record: dict) -> None:
    try:
        source = source_from_catalog(record, "c.json: record 1")
    except CorpusError as exc:
        assert str(exc).startswith("c.json: record 1")
        return
    for key in ("Summary", "Category", "Dataset", "Model Unique Name"):
        value = record.get(key)
        assert value is None or isinstance(value, str)  # nothing but text was turned into text
    assert not any(isinstance(v, float) and math.isnan(v) for v in record.values())
    assert find(source.name) == []


@FAST
@given(records)
def test_a_random_catalog_record_is_a_source_or_an_error_naming_it(record):
    check_record(record)


# --- renderings of answers that quote random source text verbatim -------------------------------


@st.composite
def quoting_answers(draw):
    summary = draw(texty)
    name = draw(texty)
    try:
        source = Source(id="s1", kind=draw(st.sampled_from(["model", "paper"])), name=name or "x", summary=summary,
                        paper_url=draw(st.one_of(st.none(), good_url)))
    except ValueError:
        assume(False)
    quote = source.summary or source.name
    said = Statement(text=f"What it does, in its summary's words: “{quote}”", sources=("s1",),
                     evidence=(Evidence(origin="source", source_id="s1", quote=quote),))
    return Answer(question=draw(texty) or "?", hits=(), workflow=(), abstained=False,
                  task=TaskPart(task_ids=(), task_names=(), statements=(said,)),
                  references=(Reference(number=1, source=source, role="recommended model", listed_as="recommended",
                                        why=said, score=1.0),))


def check_renderings(answer: Answer) -> None:
    supplied = {u for s in [r.source for r in answer.references] + [h.source for h in answer.hits] for u in s.urls()}
    for fmt in FORMATS:
        rendered = render(answer, fmt)
        assert outside_links(rendered, fmt, supplied) == [], (fmt, rendered)
        assert link_problems(rendered, fmt, supplied)[0] == [], fmt


@FAST
@given(quoting_answers())
def test_every_rendering_of_a_verbatim_quote_is_link_free_and_verifies(answer):
    check_renderings(answer)
    assert verify(answer).ok, verify(answer).problems


# --- end to end: prompts through one Engine, as the CLI runs them ------------------------------

ENTRIES = [
    ("Denoise-Zorblax-Noise15", "Removes noise from photos with a residual network."),
    ("SISR-Quux-x4", "Upscales images 4x; see www.evil.example/login and [docs](//evil.example/x)."),
    ("Deblur-Blip-GoPro", "Sharpens blurry photos <script>alert(1)</script> with <img src=x onerror=alert(1)> attention [3]."),
    ("Colorize Gleep [2]", "We propose ![i](http://evil.example/a.png) a model that colorizes old photos; mail evil@evil.example."),
    ("Speech-Thing", "Transcribes speech to text.\n# heading\n[1]: /evil"),
    ("Restoration-SwinIR-Jpeg40", None),
    ("Deblur [x](javascript:alert(1))", "Removes blur."),
    ("Frob www.evil.example", None),
]
URLS = ["https://arxiv.org/abs/2001.00001", "https://github.com/example/quux", "https://example.org/a_(b)",
        "None", "https://example.org/\"<x"]
QUESTIONS = ["How does AI remove noise from a photo?", "How do I upscale an image 4x?", "Why is my photo blurry?",
             "How do I bake bread?", "How? www.evil.example [x](javascript:alert(1)) <script>"]
# A small pool of parts, so the one Engine embeds each source text once and the run takes seconds.
pooled_prompts = prompt_documents(question=st.sampled_from(QUESTIONS), entry=st.sampled_from(ENTRIES),
                                  url=st.sampled_from(URLS))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return default_engine()


def check_end_to_end(engine: Engine, document: str) -> None:
    try:
        answer = engine.answer_prompt(parse_prompt(document, where="p.txt"))
        code = 3 if answer.abstained else 0
    except CnapsError as exc:  # anything else is a traceback, and fails the test
        code, answer = outcome(exc)[0], None
    assert code in (0, 2, 3)
    if answer is not None:
        check_renderings(answer)


@ENGINE
@given(pooled_prompts)
def test_a_random_prompt_of_hostile_parts_is_answered_or_refused_never_a_traceback_or_a_foreign_link(engine, document):
    check_end_to_end(engine, document)


# --- the same properties at 10,000 examples ------------------------------------------------------


@pytest.mark.slow
@SLOW
@given(texty)
def test_slow_neutralised_text_holds_nothing_link_like(text):
    check_neutralise(text)


@pytest.mark.slow
@SLOW
@given(prompt_documents())
def test_slow_a_random_prompt_parses_or_is_a_prompt_error(document):
    check_parse(document)


@pytest.mark.slow
@SLOW
@given(records)
def test_slow_a_random_catalog_record_is_a_source_or_an_error_naming_it(record):
    check_record(record)


@pytest.mark.slow
@SLOW
@given(quoting_answers())
def test_slow_every_rendering_of_a_verbatim_quote_is_link_free_and_verifies(answer):
    check_renderings(answer)
    assert verify(answer).ok, verify(answer).problems


@pytest.mark.slow
@SLOW
@given(pooled_prompts)
def test_slow_a_random_prompt_of_hostile_parts_is_answered_or_refused(engine, document):
    check_end_to_end(engine, document)


@pytest.mark.slow
@SLOW
@given(scale_text)
def test_slow_a_scale_read_from_any_text_enlarges_and_is_quoted_as_written(text):
    check_scale(text)
