"""Prompts about well-known open models, in the reference format: the listed model the question is
about comes first as the recommended model, the answer verifies, and no link but the supplied ones
appears. The 60 cases in ``data/well_known_prompts.json`` were written without reading the taxonomy,
the example questions or the cards; the 60 of ``data/well_known_hard_prompts.json`` list a model of
a neighbouring task beside the question's own (text-to-speech beside voice conversion); the 40 of
``data/well_known_long_tail_prompts.json`` are about tasks the taxonomy mostly lacked then; the 50 of
``data/well_known_more_tasks_prompts.json`` were written blind for ten tasks added later, mostly about
models without a card, and twenty other tasks; the 40 of ``data/well_known_eight_tasks_prompts.json``
were written blind, after the fact, for the eight tasks added at 3895122 and sixteen other tasks; the 48 of
``data/well_known_sixth_prompts.json`` were written blind later, half of them requests typed into a tool; the 32
of ``data/well_known_seventh_prompts.json`` were written blind for the two tasks added at 3c9b3ec (text-to-audio,
topic modelling) and their neighbours (music, speech, text classification); the 40 of
``data/well_known_eighth_prompts.json`` were written blind for twenty pairs of neighbouring tasks (denoising beside
deblurring, scene-text OCR beside document OCR...), the other listed model doing the pair's other task; the 40 of
``data/well_known_ninth_prompts.json`` were written blind about released checkpoints that do one mode of a
multi-mode family (``blip-vqa-base`` beside ``blip-image-captioning-base``, ``YOLO11n-seg`` beside ``YOLO11n``); the 40
of ``data/well_known_tenth_prompts.json`` were written blind as requests handing a file to a tool ("Please type out
everything he says"), one task each, beside a model of a neighbouring task on the same data; the 40 of
``data/well_known_eleventh_prompts.json`` were written blind as requests to make something from words alone ("Paint me
a lighthouse in a storm") and accounts of what came back, with scene words that name no defect to repair (fog, rain,
grain), beside a model that repairs or edits such data."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest
from conftest import DATA, reference_prompt

from cnaps_rag import answer_prompt, verify
from cnaps_rag.links import find

CASES = json.loads((DATA / "well_known_prompts.json").read_text(encoding="utf-8"))["cases"]
HARD = json.loads((DATA / "well_known_hard_prompts.json").read_text(encoding="utf-8"))["cases"]
HARD_FLOOR = 0.9  # share of the hard pairs whose model must come first: 0.967 now (0.95 before topic modelling became a task at 3c9b3ec; 0.967 before 6d5cef5), 0.883 when first measured blind
LONG_TAIL = json.loads((DATA / "well_known_long_tail_prompts.json").read_text(encoding="utf-8"))["cases"]
LONG_TAIL_FLOOR = 0.9  # share of the long-tail prompts answered about their own model: 0.975 now ("MRI scans" names images since data words count in the plural; 0.95 between nnU-Net's card and that), 0.85 before the eight tasks of 3895122, 0.275 at fbe9c7e
# Answers about the other model: none now; TAPAS's spreadsheet question tied SAM on cue words before cues deferred to the
# example vote (cue_gap).
LONG_TAIL_WRONG = 1
MORE_TASKS = json.loads((DATA / "well_known_more_tasks_prompts.json").read_text(encoding="utf-8"))["cases"]
MORE_TASKS_FLOOR = 0.9  # share answered about their own model: 1.0 now, 0.98 before the cards of 94d2a73 (0.94 before da6adcb), 0.86 before the eight tasks of 3895122, 0.76 before cue_gap, 0.54 before the ten tasks
# Answers about the other model: none since both have cards; DreamerV3 listed after HelixFold went to HelixFold while
# both were known by name only and the listed order decided.
MORE_TASKS_WRONG = 0
EIGHT_TASKS = json.loads((DATA / "well_known_eight_tasks_prompts.json").read_text(encoding="utf-8"))["cases"]
EIGHT_TASKS_FLOOR = 0.8  # share answered about their own model: 0.95 now (0.925 before DINOv2's card, 0.85 before da6adcb), 0.75 when first measured (blind), 0.5 before the eight tasks
# Answer about the other model: "spot" cues object detection over GLiNER's NER. OmniTab's league table went to DINOv2
# while both were known by name only, until DINOv2's card said it is an image backbone.
EIGHT_TASKS_WRONG = 1
SIXTH = json.loads((DATA / "well_known_sixth_prompts.json").read_text(encoding="utf-8"))["cases"]
SIXTH_FLOOR = 0.9  # share answered about their own model: 0.958 now, and when first measured (blind)
# Answers about the other model: none. Whisper's "Type out everything that was said in this voice memo ... Some of it is
# in Spanish" was read as machine translation, which neither listed model does, so the ranking's score picked SpeechT5's
# text-to-speech checkpoint, until a named language stopped being a translation cue (fedb461). SadTalker lost to DiffDock, known by name only, before a relevant described model kept the subject against
# a misread question. Abstaining: LaTeX-OCR's screenshot of a formula (no task's examples are near it), and GLiNER's
# "500 customer emails", which name no data kind, no machine, and read like no task's examples, as everyday requests do.
SIXTH_WRONG = 0
SEVENTH = json.loads((DATA / "well_known_seventh_prompts.json").read_text(encoding="utf-8"))["cases"]
SEVENTH_FLOOR = 0.8  # share answered about their own model: 0.938 now, 0.875 before the cards of 94d2a73, 0.844 before a named language stopped being a translation cue (fedb461), 0.875 before ae27e6b, 0.844 before Parler-TTS got a card (80fd502), 0.812 before the seven cards of c6830e9, 0.625 before the two tasks
# Answer about the other model: since ae27e6b, "Generate a full song ... with a singer performing my lyrics" is a prompt
# whose likeliest task is text-to-audio, so TANGO leads Jukebox. Auffusion beside MusicLDM (the listed order decided)
# and ProdLDA's question (read as speech: Whisper) went to the other model while known by name only (94d2a73). LDA
# abstains, with a card too; ZeroShotTM did too while "came in English, Spanish and German" read as translation.
# Parler-TTS lost to TANGO 2, which the ranking finds relevant to a spoken voice, until its own card described it.
SEVENTH_WRONG = 1
SEVENTH_TASK_FLOOR = 0.6  # share of the 32 whose answer names the case's task first: 0.875 now, 0.719 before the cards of 94d2a73, 0.688 before fedb461, 0.719 before ae27e6b ("Generate a clip of a busy coffee shop" reads "clip" as video), 0.344 before the two tasks
EIGHTH = json.loads((DATA / "well_known_eighth_prompts.json").read_text(encoding="utf-8"))["cases"]
EIGHTH_FLOOR = 0.9  # share answered about their own model: 1.0 now, 0.975 before ClipCap's card (94d2a73), 0.95 before documents handed over became text (86778a5), 0.85 when first measured blind (37e5aa5), before eleven cards and the card audit
# Answers about the other model: none; ClipCap went to LLaVA, whose card rightly says it captions too, while ClipCap was
# known by name only.
# BiDAF's "I gave it a paragraph ... and asked '...'" abstained until a document given to "it" became text data.
EIGHTH_WRONG = 0
EIGHTH_TASK_FLOOR = 0.9  # share whose answer names the case's task (a taxonomy id) first: 1.0 now (since 86778a5), 0.95 when first measured
NINTH = json.loads((DATA / "well_known_ninth_prompts.json").read_text(encoding="utf-8"))["cases"]
NINTH_FLOOR = 0.8  # share answered about their own model: 0.825 now, 0.625 when first measured blind (b6e9919), before the thirteen cards and the variant tokens of this round
# Answers about the other model: YOLO11n beside YOLO11n-seg ("instead of just drawing boxes, it traced the outline" is
# read as detection); Llama Guard's "never chats back" and an email's language read as chat and as translation;
# table detection on a scanned page read as document OCR; Donut DocVQA's "scanned my bill" names no image; AST AudioSet
# beside Speech Commands (same task, the listed order decides); CoTracker's dots read as video object segmentation.
NINTH_WRONG = 7
NINTH_TASK_FLOOR = 0.8  # share whose answer names the case's task first: 0.85 now, 0.75 when first measured
TENTH = json.loads((DATA / "well_known_tenth_prompts.json").read_text(encoding="utf-8"))["cases"]
TENTH_FLOOR = 0.75  # share answered about their own model: 0.9 now, 0.825 before documents handed over became text (86778a5), 0.775 when first measured blind (c6bb9a8)
# Abstaining, three: "Go through these 300 customer reviews" ("go" opens none of the example requests, so nothing hands
# the reviews over), Donut's "this scanned letter" and TabPFN's "this spreadsheet". Reading any "this <document>" as
# data was tried: 36 of 40 here, but 130 of 160 blind everyday questions about a letter or a lease answered (22
# without); a document is now text only when the question hands it over, and those stay at 22. Whisper's "voicemail"
# is answered since "voicemail" became an audio word.
# Answer about the other model: CodeT5's "write a plain-English note for each function" read as code generation
# (StarCoder). Shap-E's "a 3D model ... just from that description" went to TripoSR, image to 3D, until a request to
# make something from its own description became a prompt (ae27e6b).
TENTH_WRONG = 2
ELEVENTH = json.loads((DATA / "well_known_eleventh_prompts.json").read_text(encoding="utf-8"))["cases"]
ELEVENTH_FLOOR = 0.8  # share answered about their own model: 0.85 when first measured blind (6d82b2d), 0.775 at 2a12324
# Answers about the other model: SpeechT5's "Turn this line into spoken audio" (wav2vec2, speech recognition) and
# DeepFloyd IF's hand-lettered sticker (ControlNet), and since MAXIM's card, SDXL-Turbo's "rough out a cozy log-cabin
# interior ... blurry snow falling outside": no data kind, no machine and no asked task, but the deblurring
# checkpoint's card now reads close to "blurry" (it abstained before, also wrong). Abstaining, three requests and
# accounts that name their result only as "a watercolour", "a whole tune" or "a neon-lit alley": no data kind and no
# machine, so they read like an everyday request.
ELEVENTH_WRONG = 3
PEOPLE = json.loads((DATA / "people_attribute_prompts.json").read_text(encoding="utf-8"))
PEOPLE_FLOOR = 0.6  # share answered about the attribute classifier: 0.7 now, 0.675 when first measured blind, 0.45 before its examples
# Answers about the other model: the detector for a hard hat, hi-vis vests, a handbag and glasses, each read as finding
# things; the pose estimator for a helmet and glasses. Abstaining, six accounts that name a check and no data kind
# (seven before "snapshots" counted as images).
PEOPLE_WRONG = 6
TASK_IDS = {"text-to-audio generation": "text_to_audio", "topic modelling": "topic_modelling",
            "music generation": "music_generation", "text-to-speech": "text_to_speech",
            "text classification": "text_classification", "text summarization": "text_summarization",
            "audio classification": "audio_classification", "semantic search": "semantic_search"}


def answered(case: dict) -> tuple[bool, str | None, str | None]:
    """Answers the case's prompt: (abstained, the first recommended model, the answer's task). Verification and
    links must hold."""
    text = reference_prompt(case["question"], case["models"])
    result = answer_prompt(text)
    assert verify(result).ok, verify(result).problems
    assert {link.text for link in find(result.to_markdown())} <= {link.text for link in find(text)}
    first = next((r.source.name for r in result.references if r.role == "recommended model"), None)
    return result.abstained, first, next(iter(result.task.task_ids), None)


def own_and_other(outcomes: Iterable[tuple[str, tuple[bool, str | None, str | None]]]
                  ) -> tuple[list[str], list[tuple[str, str | None]]]:
    """From answered cases ((target, ``answered``) pairs, one per case): the targets answered about their own model,
    and the other model made the subject instead ((target, that model)). Abstentions are in neither."""
    right, wrong = [], []
    for target, (abstained, first, _) in outcomes:
        if abstained:
            continue
        if first == target:
            right.append(target)
        else:
            wrong.append((target, first))
    return right, wrong


def answer_all(cases: list[dict]) -> dict[str, tuple[bool, str | None, str | None]]:
    """Every case answered once (target -> ``answered``)."""
    return {case["target"]: answered(case) for case in cases}


def check(case: dict) -> bool:
    """True when the case's model comes first in an answer that does not abstain."""
    abstained, first, _ = answered(case)
    return not abstained and first == case["target"]


@pytest.mark.slow
def test_most_questions_beside_a_model_of_a_neighbouring_task_pick_their_own_model():
    right = [case["target"] for case in HARD if check(case)]
    assert len(right) >= HARD_FLOOR * len(HARD), sorted({c["target"] for c in HARD} - set(right))


@pytest.mark.slow
@pytest.mark.parametrize(("cases", "floor", "most_wrong"), [
    (LONG_TAIL, LONG_TAIL_FLOOR, LONG_TAIL_WRONG),
    (MORE_TASKS, MORE_TASKS_FLOOR, MORE_TASKS_WRONG),
    (EIGHT_TASKS, EIGHT_TASKS_FLOOR, EIGHT_TASKS_WRONG),
    (TENTH, TENTH_FLOOR, TENTH_WRONG),
], ids=["long_tail", "more_tasks", "eight_tasks", "tenth_requests_handing_over_a_file"])
def test_a_question_about_a_newly_covered_task_is_answered_about_its_own_model_or_not_at_all(cases, floor, most_wrong):
    right, wrong = own_and_other(answer_all(cases).items())
    assert len(wrong) <= most_wrong, wrong  # the other listed model is (almost) never made the subject
    assert len(right) >= floor * len(cases), sorted({c["target"] for c in cases} - set(right))


@pytest.mark.slow
def test_requests_and_how_questions_written_blind_are_answered_about_their_own_model_or_not_at_all():
    right, wrong = own_and_other(answer_all(SIXTH).items())
    assert len(wrong) <= SIXTH_WRONG, wrong
    assert len(right) >= SIXTH_FLOOR * len(SIXTH), sorted({c["target"] for c in SIXTH} - set(right))


@pytest.mark.slow
@pytest.mark.parametrize(("cases", "floor", "most_wrong", "task_floor"), [
    (SEVENTH, SEVENTH_FLOOR, SEVENTH_WRONG, SEVENTH_TASK_FLOOR),
    (EIGHTH, EIGHTH_FLOOR, EIGHTH_WRONG, EIGHTH_TASK_FLOOR),
    (NINTH, NINTH_FLOOR, NINTH_WRONG, NINTH_TASK_FLOOR),
], ids=["seventh_sound_effects_and_themes", "eighth_neighbouring_tasks", "ninth_one_mode_checkpoints"])
def test_questions_written_blind_are_answered_about_their_own_model_and_task(cases, floor, most_wrong, task_floor):
    outcomes = answer_all(cases)
    right, wrong = own_and_other(outcomes.items())
    assert len(wrong) <= most_wrong, wrong
    assert len(right) >= floor * len(cases), sorted({c["target"] for c in cases} - set(right))
    # The seventh set names its tasks in words, the eighth and ninth by taxonomy id.
    named = [c["target"] for c in cases if outcomes[c["target"]][2] == TASK_IDS.get(c["task"], c["task"])]
    assert len(named) >= task_floor * len(cases), sorted({c["target"] for c in cases} - set(named))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c["target"] for c in CASES])
def test_the_model_a_question_is_about_is_the_recommended_model_and_the_answer_verifies(case):
    assert check(case)


@pytest.mark.slow
def test_a_request_to_make_something_from_words_is_answered_about_the_model_that_makes_it():
    # Targets repeat in this set (several requests for one text-to-image model), so cases are counted one by one.
    outcomes = [(case["target"], answered(case)) for case in ELEVENTH]
    right, wrong = own_and_other(outcomes)
    assert len(wrong) <= ELEVENTH_WRONG, wrong
    assert len(right) >= ELEVENTH_FLOOR * len(ELEVENTH), [t for t, (a, f, _) in outcomes if a or f != t]


@pytest.mark.slow
def test_a_question_about_an_attribute_of_each_person_is_answered_about_the_attribute_classifier():
    outcomes = [(case["target"], answered(case)) for case in PEOPLE["cases"]]
    right, wrong = own_and_other(outcomes)
    assert len(wrong) <= PEOPLE_WRONG, wrong
    assert len(right) >= PEOPLE_FLOOR * len(PEOPLE["cases"]), [t for t, (a, f, _) in outcomes if a or f != t]


@pytest.mark.slow
@pytest.mark.parametrize("case", PEOPLE["controls"], ids=lambda c: c["kind"])
def test_a_neighbouring_question_about_people_is_not_answered_about_the_attribute_classifier(case):
    abstained, first, _ = answered(case)
    assert abstained or first == case["target"], first


def test_how_a_camera_tells_men_from_women_is_asked_of_the_attribute_classifier():
    case = next(c for c in PEOPLE["cases"]
                if c["question"].startswith("At the mall entrance") and any(m[0].startswith("ObjDet") for m in c["models"]))
    assert answered(case)[:2] == (False, case["target"])
