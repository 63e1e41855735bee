"""Answers to real prompts: each defect found on prompts built from the catalog, pinned by its own case."""

from __future__ import annotations

import json

import pytest
from conftest import ARXIV_100, CATALOG_159, DATA, QUERY1, needs_dataset, reference_prompt

from cnaps_rag import Answer, answer, answer_prompt, default_engine, retrieve, verify


def prompt(question: str, models: list[tuple[str, str | None, str | None]], papers: list[tuple[str, str, str]] = ()) -> str:
    """The reference format with each model as (name, paper, summary)."""
    return reference_prompt(question, [(name, paper, None, summary) for name, paper, summary in models], papers)


def test_a_task_name_with_a_digit_does_not_trip_the_number_check():
    result = answer_prompt(prompt("How did an app rebuild my whole room in 3D from a few phone photos?",
                                  [("VGGT: Visual Geometry Grounded Transformer", None, None)]))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.task.task_ids[0] == "reconstruction_3d"


def test_a_summary_with_tabs_and_bullets_is_quoted_and_verified():
    summary = "Fast neural style transfer.\n\t•\tA feed-forward network repaints a photo in one pass in the mosaic style.\n\t•\tIt keeps the content."
    result = answer_prompt(prompt("How does the app repaint my photo in a mosaic style?",
                                  [("Stylize-MosaicNet-Demo", None, summary)]))
    assert not result.abstained and verify(result).ok, verify(result).problems


def test_a_restoration_model_is_read_by_what_it_does_not_by_its_label():
    taxonomy = default_engine().taxonomy
    deblur = answer_prompt(prompt("My shaky night photo came out sharp. How?",
                                  [("Restoration-SteadyNet", None, "SteadyNet removes motion blur from shaky photos with a deblurring network.")]))
    assert deblur.task.task_ids[0] == "deblurring"
    assert len(taxonomy.columns_for_label("Restoration")) == 5


def test_grayscale_as_the_output_of_depth_estimation_is_not_colorization():
    result = answer_prompt(prompt(
        "An app turned my photo into a grayscale map where near things are bright. How does it know the distance?",
        [("depth-anything/Depth-Anything-V2-Small-hf", None, None), ("Colorization-DISCO-rand", None, None)]))
    assert result.task.task_ids[0] == "depth_estimation"
    assert result.references[0].source.name.startswith("depth-anything") and result.references[0].role == "recommended model"


def test_a_voice_memo_typed_out_is_speech_recognition_not_text_to_speech():
    result = answer_prompt(prompt("I recorded a voice memo and the app turned it into typed text. How?",
                                  [("Txt2Voice-HuggingFace-suno-bark", None, None), ("openai/whisper-small", None, None)]))
    assert result.task.task_ids[0] == "speech_recognition"
    assert result.references[0].source.name == "openai/whisper-small"


def test_the_new_tasks_exist():
    ids = set(default_engine().taxonomy.ids)
    assert {"face_restoration", "audio_source_separation", "image_to_3d", "document_ocr", "audio_classification",
            "sound_event_detection"} <= ids


@pytest.mark.parametrize("question", [
    "What is the best way to caramelise onions without burning them?",
    "How do I change a flat tyre on a bicycle?",
    "Which plants grow well on a shady balcony?",
])
def test_cooking_car_repair_and_gardening_still_abstain(question, seed_text):
    assert answer_prompt(seed_text.replace(
        "A 4×-enlarged thumbnail came out looking sharp and free of noise. How does this AI keep the image clean even at such high zoom levels?",
        question)).abstained


@pytest.mark.parametrize(("question", "models", "subject"), [
    ("Can you look at this picture and tell me whether there is a bicycle in it?",
     [("ObjDet-HuggingFace-hustvl-yolos-small", None, None), ("SISR-CARN-4x", None, None)], "ObjDet-HuggingFace-hustvl-yolos-small"),
    ("Read this out with a calm voice, please: 'the meeting moves to Tuesday'.",
     [("Txt2Voice-HuggingFace-espnet-fastspeech2_conformer_with_hifigan", None, None), ("Deblur-MIMO-UNet", None, None)],
     "Txt2Voice-HuggingFace-espnet-fastspeech2_conformer_with_hifigan"),
])
def test_a_request_in_no_task_words_about_data_a_listed_model_handles_is_answered(question, models, subject):
    result = answer_prompt(prompt(question, models))
    assert not result.abstained and verify(result).ok
    assert result.references[0].source.name == subject and result.references[0].role == "recommended model"


def test_a_typed_prompt_goes_in_and_the_picture_it_names_comes_out():
    result = answer_prompt(prompt("I wrote “grainy film photo of a harbour at night” and got exactly that picture. How?",
                                  [("Denoise-SwinIR-Noise25", None, None), ("Txt2Img-StableDiffusionV1-4", None, None)]))
    assert result.task.task_ids[0] == "text_to_image"
    assert result.references[0].source.name == "Txt2Img-StableDiffusionV1-4"


def test_a_prompt_typed_in_straight_single_quotes_is_a_typed_prompt_and_its_style_word_is_content():
    # Keyboards type ' more often than “: the quoted "watercolor style" describes the picture to make.
    result = answer_prompt(prompt("I typed 'a lighthouse in a storm, watercolor style' and got a brand-new picture that matched it. How?",
                                  [("Txt2Img-StableDiffusionV1-4", None, None), ("NST-fast-neural-style-candy", None, None)]))
    assert result.task.task_ids[0] == "text_to_image"
    assert result.references[0].source.name == "Txt2Img-StableDiffusionV1-4"


@pytest.mark.parametrize("question", [
    # The low-light enhancer was the subject, as if the user had a dark photo to brighten (2026-11-27).
    "Create a gloomy portrait of an old fisherman in a foggy harbour at dusk, lit by one lantern.",
    "Please paint me a dark forest at night with fireflies and a tiny glowing cottage.",
    # After a typed prompt, "dark" and "shadows" describe the picture made, not a photo to brighten (2026-11-27).
    "I typed 'an old lighthouse keeper reading by a candle' and the picture came out full of dark shadows. Why so dim?",
    # No data word: the quoted request is text handed to a machine all the same; the answer abstained (2026-11-27).
    "My request for 'a lighthouse at midnight' came back soft and misty, almost glowing. Why so gentle?",
    # "Paint" says a picture comes out; the answer abstained (2026-11-27).
    "Paint a dim winter village at dusk with thick, swirling brushstrokes.",
])
def test_a_picture_made_from_words_alone_is_text_to_image_whatever_the_scene_looks_like(question):
    result = answer_prompt(prompt(question, [("Enhancement-low-light-img-enhancer", None, None),
                                             ("Txt2Img-StableDiffusionV1-GhostMix", None, None)]))
    assert verify(result).ok, verify(result).problems
    assert result.task.task_ids[0] == "text_to_image"
    assert result.references[0].source.name == "Txt2Img-StableDiffusionV1-GhostMix"


def test_the_subjects_own_label_names_the_task_before_its_family_cards_other_tasks():
    result = answer_prompt(prompt("My old photo was noisy and full of compression artifacts, and the AI cleaned it up. How?",
                                  [("Denoise-SwinIR-Noise25", None, None), ("Colorization-DISCO-rand", None, None)]))
    assert result.references[0].source.name == "Denoise-SwinIR-Noise25"
    assert result.task.task_ids[0] == "denoising"


def test_a_task_only_the_family_card_names_does_not_outrank_the_models_own_label_when_neither_is_asked():
    # Both tasks get a sliver of probability, image editing a little more; the family's editing mode counts
    # ``family_share`` of the label's task, as it does in the model's fit.
    result = answer_prompt(prompt("The portrait it made had perfectly mirrored halves, one in gold and one in ink. How is that symmetry kept?",
                                  [("Txt2Img-StableDiffusionV1-4", None, None), ("Denoise-SwinIR-Noise25", None, None)]))
    assert result.references[0].source.name == "Txt2Img-StableDiffusionV1-4"
    assert result.task.task_ids[0] == "text_to_image"


def test_a_listed_model_of_another_task_is_tangential_and_the_fitting_one_is_the_subject():
    result = answer_prompt(prompt("I typed 'a lighthouse in a storm' and got a painting. How?",
                                  [("SISR-CARN-4x", None, None), ("Txt2Img-StableDiffusionV1-ToonYou", None, None)]))
    roles = {r.source.name: r.role for r in result.references}
    assert result.references[0].source.name == "Txt2Img-StableDiffusionV1-ToonYou"
    assert roles["SISR-CARN-4x"] == "tangential"


def test_a_listed_model_known_by_name_only_is_the_subject_when_no_described_model_fits():
    result = answer_prompt(prompt("The app found every face in the group photo and drew a box around each one, even tiny faces in the back. How?",
                                  [("FaceFinder-XL", "https://arxiv.org/pdf/2501.00001", None), ("DeOldify", None, None)]))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.references[0].source.name == "FaceFinder-XL" and result.references[0].role == "recommended model"
    assert result.task.task_ids[0] == "object_detection"
    assert "name and links only" in result.task.statements[-1].text


def test_a_model_known_by_name_only_beside_the_fitting_one_keeps_the_recommenders_role():
    result = answer_prompt(prompt("How did the app enlarge my small photo four times without it looking blurry?",
                                  [("FaceFinder-XL", None, None), ("Restoration-SwinIR-Jpeg40", None, None)]))
    roles = [(r.source.name, r.role) for r in result.references]
    assert roles == [("Restoration-SwinIR-Jpeg40", "recommended model"), ("FaceFinder-XL", "recommended model")]
    assert result.references[1].why.template


def test_a_listed_model_whose_summary_is_about_another_task_is_tangential_not_name_only():
    result = answer_prompt(prompt("How did the app enlarge my small photo four times without it looking blurry?",
                                  [("VoiceThing", None, "VoiceThing reads typed text aloud in a natural voice, trained "
                                    "on hours of recorded speech."), ("Restoration-SwinIR-Jpeg40", None, None)]))
    assert [(r.source.name, r.role) for r in result.references][:2] == [
        ("Restoration-SwinIR-Jpeg40", "recommended model"), ("VoiceThing", "tangential")]


def test_a_described_model_the_question_does_not_ask_for_is_not_made_the_subject_over_one_known_by_name_only():
    result = answer_prompt(prompt("My friend sketched a molecule and the tool told us whether it would dissolve in water. "
                                  "How?", [("MolProp-Proto", None, None), ("openai/whisper-small", None, None)]))
    # Not "speech recognition, what whisper-small is built for": the question asks for molecular property
    # prediction (a task since 2026-11; before it, the answer abstained), which only the unknown model may do.
    assert [(r.source.name, r.role) for r in result.references] == [
        ("MolProp-Proto", "recommended model"), ("openai/whisper-small", "tangential")]
    assert result.task.task_ids == ("molecular_property_prediction",) and verify(result).ok


def test_a_model_known_by_name_only_is_the_subject_of_a_task_no_described_listed_model_does():
    result = answer_prompt(prompt("My friend typed a long string of amino acid letters and got back the folded shape of "
                                  "the protein. How?", [("FoldNet-Proto", None, None), ("openai/whisper-small", None, None)]))
    assert [(r.source.name, r.role) for r in result.references] == [
        ("FoldNet-Proto", "recommended model"), ("openai/whisper-small", "tangential")]
    assert result.task.task_ids == ("protein_structure_prediction",) and verify(result).ok
    assert "the sources do not say whether FoldNet-Proto" in result.task.statements[0].text


def test_a_model_known_by_name_only_is_the_subject_of_an_asked_task_the_question_does_not_read_exactly_like():
    # Molecular property prediction is the likeliest task above the asked floor, though the question reads like
    # its examples at less than the calibrated 0.5 and names it in none of its cue words; Llama 2 does not do it.
    result = answer_prompt(prompt("A lab mate says a trained network now stands in for slow physics calculations of how "
                                  "atoms push on each other in a crystal. What does it do?",
                                  [("ForceNet-Proto", None, None), ("meta-llama/Llama-2-7b-hf", None, None)]))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert [(r.source.name, r.role) for r in result.references][:2] == [
        ("ForceNet-Proto", "recommended model"), ("meta-llama/Llama-2-7b-hf", "tangential")]
    assert "the sources do not say whether ForceNet-Proto" in result.task.statements[0].text


@pytest.mark.parametrize("first", [True, False])
def test_a_relevant_model_of_a_sibling_task_keeps_the_subject_beside_a_model_known_by_name_only(first):
    # The question reads most like JPEG repair (0.66), which HAN does not do, but the ranking finds the 4x
    # enlarger about it: the question is likelier misread than the recommender wrong, so DiffDock, which
    # nothing describes, does not become the subject.
    models = [("SISR-HAN-4x", None, None), ("DiffDock", "https://arxiv.org/abs/2210.01776", None)]
    result = answer_prompt(prompt("The photo of my receipt was saved so many times it was covered in compression "
                                  "blocks. After I enlarged it, the text was clean. What does the AI use to rebuild it?",
                                  models if first else models[::-1]))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.references[0].source.name == "SISR-HAN-4x" and result.references[0].role == "recommended model"


NAME_ONLY = json.loads((DATA / "name_only_models.json").read_text(encoding="utf-8"))["models"]
# Share of the Query1 questions answered about their own model when it is listed beside one of NAME_ONLY:
# 0.886 now (140 of 158; 139 before "shot" named a picture); 0.835 before a weakly fitting described model kept the
# subject for a question that asks for a task
# (instead of abstaining); 0.741 when a described model yielded to any model known by name only once it fitted
# less than a quarter of the question's likeliest task. The misses left are mostly questions about another task than their
# target's (a segmentation question about a super-resolution model), where the unknown model may well be right.
NAME_ONLY_FLOOR = 0.8


@pytest.mark.slow
@needs_dataset
def test_beside_a_model_known_by_name_only_most_questions_stay_with_the_model_they_are_about():
    catalog = {m["Model Unique Name"]: m for m in json.loads(CATALOG_159.read_text(encoding="utf-8"))}
    queries = [q for q in json.loads(QUERY1.read_text(encoding="utf-8"))
               if q.get("Model Unique Name") in catalog and q.get("Query1")]
    right = 0
    for number, query in enumerate(queries):
        target = catalog[query["Model Unique Name"]]
        models = [(target["Model Unique Name"], target["Paper"], target["Github"]), NAME_ONLY[number % len(NAME_ONLY)]]
        result = answer_prompt(reference_prompt(query["Query1"], models if number % 2 else models[::-1]))
        first = next((r.source.name for r in result.references if r.role == "recommended model"), None)
        right += not result.abstained and first == target["Model Unique Name"]
    assert right / len(queries) >= NAME_ONLY_FLOOR, f"{right} of {len(queries)}"


@pytest.mark.parametrize(("question", "model"), [
    ("Before I share this image in the family group chat, can you check whether anything in it might upset people?",
     "Classification-HuggingFace-falconsai-nsfw_image_detection"),
    ("I want to put this photo on our noticeboard. Tell me roughly what kind of scene it is.",
     "Classification-HuggingFace-microsoft-resnet-50"),
])
def test_a_weakly_read_request_is_answered_by_the_described_model_beside_a_model_known_by_name_only(question, model):
    # The likeliest task is read at about 0.1 (facial expressions, a caption); the classifier fits it no worse
    # than a quarter of that, so nothing says it does something else, and the request does not abstain.
    result = answer_prompt(prompt(question, [(model, None, None), ("DiffDock", "https://arxiv.org/abs/2210.01776", None)]))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.references[0].source.name == model and result.references[0].role == "recommended model"


def test_a_model_that_runs_the_asked_task_backwards_yields_the_subject_to_a_model_known_by_name_only():
    # Whisper is about speech, so the ranking finds it relevant, but it turns speech into text and the
    # question asks for text turned into speech.
    result = answer_prompt(prompt("Someone made an audiobook read aloud in their late father's voice from a few of his "
                                  "old voice recordings. How does it speak new text in his voice?",
                                  [("openai/whisper-small", None, None), ("VoiceCraft-Proto", None, None)]))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.references[0].source.name == "VoiceCraft-Proto"
    assert result.task.task_ids == ("text_to_speech",)


@pytest.mark.parametrize("models", [
    [("TableChat-Proto", None, None), ("openai/whisper-small", None, None)],
    [("openai/whisper-small", None, None), ("TableChat-Proto", None, None)],
])
def test_a_question_that_names_its_task_in_the_tasks_own_words_makes_the_model_known_by_name_only_its_subject(models):
    # It reads like the table-question examples at less than the calibrated 0.5, but "a table of" names the task
    # and "the club app" says a machine did it (a cue word alone also fits "I requested a table by the window").
    result = answer_prompt(prompt("Our club secretary keeps the fixtures in a table of dates and venues; the club app "
                                  "answered which away game is furthest from home. How did it read that off?", models))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.references[0].source.name == "TableChat-Proto" and result.references[0].role == "recommended model"
    assert result.task.task_ids == ("table_question_answering",)


def test_nothing_is_claimed_about_what_a_model_known_by_name_only_does():
    result = answer_prompt(prompt("The app found every face in the group photo and drew a box around each one. How?",
                                  [("FaceFinder-XL", "https://arxiv.org/pdf/2501.00001", None)]))
    why = result.references[0].why
    assert why.template and "name and links only" in why.text


@needs_dataset
@pytest.mark.parametrize(("question", "task", "family"), [
    ("I recorded a voice memo and the app gave it back to me typed out. How does it do that?", "speech_recognition", "Voice2Txt"),
    ("I pasted an object into a photo and the AI blended it in so the lighting matches. How?", "harmonization", None),
    ("How does the app repaint my photo in a mosaic style?", "style_transfer", "NST-fast-neural-style-mosaic"),
])
def test_catalog_questions_in_new_wording(question, task, family):
    result = answer(question, catalog=[CATALOG_159, ARXIV_100])
    assert verify(result).ok and result.task.task_ids[0] == task
    if family:
        assert result.references[0].source.name.startswith(family)


@pytest.mark.parametrize(("question", "first"), [
    ("Please take this lecture recording and turn the audio into written text.", "Voice2Txt-Whisper-large"),
    ("Turn this paragraph of text into a spoken voice recording.", "Txt2Voice-Tacotron2"),
    # The memo in hand goes in, though a long clause stands between it and the text asked for.
    ("Here's my voice memo that I recorded walking home along a windy beach road; please write out every word of it "
     "as text.", "Voice2Txt-Whisper-large"),
])
def test_the_direction_a_question_asks_for_ranks_the_model_that_goes_that_way_first(question, first):
    from conftest import MINI_CATALOG

    hits = retrieve(question, catalog=[str(MINI_CATALOG)], k=2)
    assert hits[0].source.name == first and hits[0].direction == 1.0


@pytest.mark.parametrize(("question", "direction"), [
    ("Please turn my voice memo into text.", ("audio", "text")),
    ("Can AI convert this recording to written text?", ("audio", "text")),
    ("How do I get from a photo to a 3D model?", ("image", "3d")),
    # What the user gave, then what came back: "got back", "received" govern the output as "into" does.
    ("I uploaded one photo of my shop and received a short clip where the sign flickers.", ("image", "video")),
    ("I sent it a voice memo and got back neatly typed text.", ("audio", "text")),
    ("My photo got sharper and I got back a bigger picture.", None),
    # "to" governs "twice its size", not the text printed in the picture: no direction is asked.
    ("Blow this receipt photo up to twice its size so that the tiny text stays sharp.", None),
    ("Resize the scanned page to 300 dpi so that every line of text can be read.", None),
])
def test_a_direction_is_read_only_where_a_connective_governs_the_second_data_word(question, direction):
    from cnaps_rag.question import modality_words, question_direction

    taxonomy = default_engine().taxonomy
    assert question_direction(question, modality_words(question, taxonomy)) == direction


@pytest.mark.parametrize("words", ["portrait", "headshots", "screenshot", "interior shots"])
def test_a_portrait_a_headshot_a_screenshot_or_shots_name_image_data(words):
    from cnaps_rag.question import modality_words

    taxonomy = default_engine().taxonomy
    assert [kind for *_, kind in modality_words(f"Here is my {words} from last week.", taxonomy)] == ["image"]


LETTER_MODELS = [("distilbert/distilbert-base-uncased-finetuned-sst-2-english", None, None), ("dslim/bert-base-NER", None, None)]


def test_a_request_naming_its_text_only_as_a_contract_is_answered_by_the_listed_text_model():
    # A blind well-known case that abstained: "this contract" named no data until a document handed over became text.
    result = answer_prompt(prompt("Pull out every person, company and city mentioned in this contract so our paralegal "
                                  "can check them against the client list.", LETTER_MODELS))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.references[0].source.name == "dslim/bert-base-NER"


CAPTIONS = ("My lecture app shows captions of the professor's words live, even with a humming projector. How does AI "
            "recognize speech and turn it into text that quickly?")
SPEECH_AND_PICTURES = [("Txt2Img-StableDiffusionV1-QGO-PromptingReal", None, None),
                       ("Txt2Voice-HuggingFace-suno-bark", None, None)]


def test_a_listed_task_against_the_direction_the_question_states_is_not_the_answers_task():
    # "recognize speech and turn it into text" beside a text-to-speech model was answered as text-to-speech (2026-11-28).
    result = answer_prompt(prompt(CAPTIONS, SPEECH_AND_PICTURES))
    assert result.task.task_ids[0] == "speech_recognition"


def test_without_a_stated_direction_the_listed_model_s_task_stands_for_a_question_read_the_other_way():
    # Skipping every task that reverses the likeliest one turned this text-to-image prompt into captioning (2026-11-28).
    result = answer_prompt(prompt("A description of 'a red fox asleep in a snowy forest at dawn' gave me an image like a "
                                  "movie still. Why does it look so cinematic?",
                                  [("Txt2Img-StableDiffusionV1-PirsusEpicRealism", None, None),
                                   ("Voice2Txt-nvidia-parakeet-tdt-1.1b", None, None)]))
    assert result.task.task_ids[0] == "text_to_image"


def test_an_answer_whose_model_does_not_do_the_task_says_so_before_what_the_model_does_instead():
    result = answer_prompt(prompt(CAPTIONS, SPEECH_AND_PICTURES))
    first, second = result.task.statements[:2]
    assert first.text.startswith("Your question asks for automatic speech recognition")
    assert second.text.startswith("What it does instead: ")


def test_an_abstaining_answer_says_beside_each_source_which_task_the_question_asks_for():
    # The lines said only "It is about image inpainting", not that the question asked for segmentation (2026-11-28).
    result = answer_prompt(prompt("How does my phone app cut the person out from the background of a selfie so cleanly?",
                                  [("SISR-RCAN-it-3x", "https://arxiv.org/pdf/2201.11279", None),
                                   ("Txt2Voice-HuggingFace-suno-bark", None, None)]))
    assert result.abstained and verify(result).ok, verify(result).problems
    assert all("while your question is about image segmentation" in ref.why.text for ref in result.references)


def test_an_everyday_question_abstains_without_naming_a_task():
    result = answer_prompt(prompt("How long should I boil an egg so the yolk stays soft?",
                                  [("SISR-RCAN-it-3x", "https://arxiv.org/pdf/2201.11279", None)]))
    assert result.abstained and "your question is about" not in result.references[0].why.text


def test_advice_about_a_letter_beside_text_models_still_abstains():
    result = answer_prompt(prompt("My landlord sent this letter saying the rent goes up next month. Is that even legal "
                                  "in Oregon?", LETTER_MODELS))
    assert result.abstained


def test_a_question_that_names_its_picture_only_as_a_portrait_is_answered_by_the_listed_image_model():
    # No task cue and no example it reads like: that it is about image data is what keeps it in scope.
    result = answer_prompt(prompt("I asked for a dual-tone portrait, half gold and half teal, and the two halves matched "
                                  "perfectly. How?", [("Txt2Img-StableDiffusionV1-GhostMix", None, None),
                                                      ("Denoise-SwinIR-Noise25", None, None)]))
    assert not result.abstained and verify(result).ok, verify(result).problems
    assert result.references[0].source.name == "Txt2Img-StableDiffusionV1-GhostMix"


def test_when_no_listed_model_fits_the_asked_task_slivers_of_probability_do_not_choose_the_subject():
    # The question reads most like face restoration, which neither model is labelled with: both fit at a few
    # hundredths, the SR model more through its family card. Below the asked floor that is no evidence, so
    # relevance and the ranking's score choose, and neither is called tangential.
    result = answer_prompt(prompt("I removed a scar from a face photo and the skin texture looked natural again. "
                                  "How does AI rebuild skin and features?",
                                  [("Inpainting-MISF-CelebA", None, None), ("SISR-ResShift-RealSR-v3-4x", None, None)]))
    assert [(r.source.name, r.role) for r in result.references][:2] == [
        ("Inpainting-MISF-CelebA", "recommended model"), ("SISR-ResShift-RealSR-v3-4x", "recommended model")]
    assert result.task.task_ids[0] == "inpainting" and verify(result).ok


def test_listed_variants_of_one_model_and_no_hint_which_leave_the_choice_open():
    result = answer_prompt(prompt("My photo came out blurry. Please make it sharp again.",
                                  [("Deblur-MSSNet-GoPro", None, None), ("Deblur-MSSNet-RealBlurJ", None, None)]))
    notes = [n.text for flow in result.workflow for n in flow.notes]
    assert any("the choice among them is open" in n for n in notes), notes
    assert verify(result).ok


def test_a_sibling_checkpoint_fine_tuned_for_another_mode_leaves_no_choice_open():
    # The question asks about a photo and a typed question; the captioning checkpoint does not answer questions.
    result = answer_prompt(prompt("I took a photo of a medicine trolley and typed 'how many bottles are on the top "
                                  "shelf?', and it answered 'three'. How did it work that out from the photo?",
                                  [("Salesforce/blip-vqa-base", None, None),
                                   ("Salesforce/blip-image-captioning-base", None, None)]))
    assert result.references[0].source.name == "Salesforce/blip-vqa-base"
    notes = [n.text for flow in result.workflow for n in flow.notes]
    assert not any("the choice among them is open" in n for n in notes), notes
    assert verify(result).ok


@needs_dataset
def test_sources_that_merely_share_a_word_do_not_crowd_out_the_model_below_them():
    # Diffusion summaries say "noise" and "clean"; the denoisers' say "denoising". They rank lower but bear on it.
    result = answer("My photo is very noisy. How does AI clean it?", catalog=[CATALOG_159, ARXIV_100])
    assert not result.abstained and verify(result).ok
    assert result.references[0].source.name.startswith("Denoise-") and result.task.task_ids[0] == "denoising"


@needs_dataset
@pytest.mark.parametrize(("variant", "question"), [
    ("DeHaze", "My photo of the mountains was ruined by fog. How can AI clear it?"),
    ("DeHaze", "Please clear the fog from this picture of the bridge."),
    ("DeHaze", "The city skyline looks grey and hazy in my picture. Can AI remove the haze?"),
    ("DeRain", "I took this picture during a downpour and it is full of raindrops. Can AI clean it?"),
    ("DeSnow", "My photo was taken in a blizzard; can AI clear the snow?"),
    ("Jpeg10", "This JPEG is extremely compressed and blocky. Can AI restore it?"),
    ("Jpeg40", "There are mild JPEG artifacts in this picture. Can AI remove them?"),
    ("Noise50", "This picture has very heavy noise. Can AI remove it?"),
    ("Noise15", "There is slight grain in my picture. Can AI smooth it?"),
])
def test_the_questions_condition_picks_the_variant(variant, question):
    family = "CLAIO" if variant.startswith("De") else "SwinIR-" + variant.rstrip("0123456789")
    hits = retrieve(question, catalog=[CATALOG_159, ARXIV_100], k=None)
    first = next(h.source.name for h in hits if family in h.source.name)
    assert first.endswith(variant)


def test_your_catalog_supplies_the_summary_a_prompt_left_out():
    from conftest import MINI_CATALOG

    from cnaps_rag import load_catalog

    text = prompt("How does AI colour an old black and white photo?", [("Colorization-Zhang-ECCV16", None, None)])
    record = next(s for s in load_catalog([MINI_CATALOG]).sources if s.name == "Colorization-Zhang-ECCV16")
    without, with_catalog = answer_prompt(text), answer_prompt(text, catalog=[str(MINI_CATALOG)])
    assert with_catalog.references[0].backing is not None and with_catalog.references[0].backing.summary == record.summary
    assert without.references[0].backing is None or without.references[0].backing.summary != record.summary
    assert verify(with_catalog).ok and not with_catalog.abstained
    assert {u for r in with_catalog.references for u in r.source.urls()} == set()  # only supplied links, and none were


def test_an_edited_catalog_is_read_again_by_the_next_prompt(tmp_path):
    import json

    def catalog_saying(summary: str) -> str:
        record = {"Model Unique Name": "Colorization-Zhang-ECCV16", "Category": "Img2Img",
                  "Detailed Category": "Colorization", "Paper": "https://arxiv.org/abs/1603.08511", "Summary": summary}
        path = tmp_path / "mine.json"
        path.write_text(json.dumps([record]), encoding="utf-8")
        return str(path)

    text = prompt("How does AI colour an old black and white photo?", [("Colorization-Zhang-ECCV16", None, None)])
    first = answer_prompt(text, catalog=[catalog_saying("A network predicts the colours of a greyscale photo.")])
    second = answer_prompt(text, catalog=[catalog_saying("A network predicts plausible colours for every pixel of a grey picture.")])
    assert first.references[0].backing.summary == "A network predicts the colours of a greyscale photo."
    assert second.references[0].backing.summary == "A network predicts plausible colours for every pixel of a grey picture."


@pytest.mark.parametrize(("question", "models", "first"), [
    # "how far" is a depth-estimation cue and "painted" a style cue; the question reads like optical flow.
    ("An app painted each pixel of my video by how far and which way it moved from one frame to the next. How?",
     [("depth-anything/Depth-Anything-V2-Small-hf", None, None), ("RAFT", None, None)], "RAFT"),
    # "torn" and "scratched" are inpainting cues; the question reads like visual anomaly detection.
    ("Our fabric mill's camera outlines torn or scratched spots on each roll, though it only learned from flawless cloth. How?",
     [("Inpainting-LaMa", None, None), ("PatchCore", None, None)], "PatchCore"),
])
def test_a_cue_word_does_not_outvote_the_examples_a_question_plainly_reads_like(question, models, first):
    result = answer_prompt(prompt(question, models))
    assert not result.abstained and verify(result).ok
    assert next(r.source.name for r in result.references if r.role == "recommended model") == first


@pytest.mark.parametrize("models", [
    [("SISR-SwinIR-Classical-DIV2K-48-M-3x", None, None), ("SISR-Any-LTE-SwinIR", None, None)],
    [("SISR-Any-LTE-SwinIR", None, None), ("SISR-SwinIR-Classical-DIV2K-48-M-3x", None, None)],
])
def test_a_listed_model_whose_name_fixes_another_scale_does_not_lead_one_that_can_give_the_asked_scale(models):
    result = answer_prompt(prompt("Please enlarge this business card photo to twice its size so the small print stays readable.",
                                  models))
    recommended = [r.source.name for r in result.references if r.role == "recommended model"]
    assert recommended[0] == "SISR-Any-LTE-SwinIR", recommended
    assert verify(result).ok


@pytest.mark.parametrize("question", [
    "I asked for a refund but the shop refused. What can I do?",
    "I requested a table by the window at the restaurant and they ignored it. Is that normal?",
])
def test_an_everyday_request_for_a_thing_is_no_typed_prompt_and_the_answer_abstains(question):
    # "Asked for a" without quotes is no typed prompt: read as one (7903928, reverted) it made these text-to-speech.
    result = answer_prompt(prompt(question, [("Txt2Img-StableDiffusionV1-4", None, None),
                                             ("Txt2Voice-HuggingFace-suno-bark", None, None)]))
    assert result.abstained and verify(result).ok


@pytest.mark.parametrize("listed", [
    [("Txt2Img-StableDiffusionV1-5", None, None), ("yandex/TabM", None, None)],
    pytest.param([("DiffDock", "https://arxiv.org/abs/2210.01776", None)], marks=pytest.mark.slow),
    pytest.param([("DiffDock", None, None), ("facebook/bart-large-cnn", None, None)], marks=pytest.mark.slow),
    pytest.param([("SISR-SwinIR-Real-4x", None, None), ("Deblur-MSSNet-GoPro", None, None)], marks=pytest.mark.slow),
    pytest.param([("Txt2Voice-HuggingFace-suno-bark", None, None), ("openai/whisper-small", None, None)],
                 marks=pytest.mark.slow),
], ids=["sd-and-name-only", "name-only-alone", "name-only-and-bart", "swinir-and-mssnet", "bark-and-whisper"])
def test_everyday_requests_abstain_whatever_models_are_listed(listed, scope_data):
    # They hold cue words ("filter", "fog", "night", "change the") that give a task the asked floor, but they name
    # no data and no machine and read like no task's examples: before, 111 of 600 such prompts beside two CNAPS
    # models, and 86 of 450 beside a model known by name only, were answered.
    everyday = scope_data["out_of_scope"]["everyday"]
    answered = [q for q in everyday if not answer_prompt(prompt(q, listed)).abstained]
    assert answered == []


HANDED_OVER = json.loads((DATA / "handed_over_questions.json").read_text(encoding="utf-8"))
HANDED_LISTINGS = [[("facebook/bart-large-cnn", None, None), ("dslim/bert-base-NER", None, None)],
                   [("openai/whisper-small", None, None), ("Helsinki-NLP/opus-mt-en-de", None, None)],
                   [("facebook/bart-large-mnli", None, None), ("deepset/roberta-base-squad2", None, None)],
                   [("grammarly/coedit-large", None, None), ("microsoft/speecht5_tts", None, None)]]
# Measured when the set was written (440399a): 22 of the 160 everyday prompts answered, 109 of the 160 requests.
# Everyday questions that name data ("these wartime documents and photos") and read like a task ("before speaking"
# as text-to-speech) are answered. Reading any noun after "this" as data answered 130 everyday prompts (reverted);
# these bounds would have caught it. 105 requests since "read this chapter aloud" is read as text-to-speech (separable
# verb phrases): beside two listings with no speech model, its two requests rightly abstain. 124 since a document in
# hand ("this letter", "these reviews") is text when the question hands it over (a request, a machine, "I gave it"):
# the everyday ones stay at 22.
HANDED_EVERYDAY_MOST = 24
HANDED_PROCESS_LEAST = 124


@pytest.mark.slow
def test_everyday_questions_about_a_document_mostly_abstain_and_requests_to_process_one_are_mostly_answered():
    answered = {group: sum(not answer_prompt(prompt(q, listed)).abstained
                           for listed in HANDED_LISTINGS for q in HANDED_OVER[group])
                for group in ("everyday", "process")}
    assert answered["everyday"] <= HANDED_EVERYDAY_MOST, answered
    assert answered["process"] >= HANDED_PROCESS_LEAST, answered


def test_a_sound_effect_made_by_audioldm_is_text_to_audio_not_music():
    result = answer_prompt(prompt("Make me ten seconds of a crackling campfire with crickets chirping, no music.",
                                  [("cvssp/audioldm-s-full-v2", "https://arxiv.org/abs/2301.12503", None),
                                   ("facebook/detr-resnet-50", None, None)]))
    assert result.references[0].source.name == "cvssp/audioldm-s-full-v2"
    assert result.task.task_ids[0] == "text_to_audio" and verify(result).ok


def test_a_mechanism_that_opens_with_the_models_own_name_keeps_its_capital():
    result = answer_prompt(prompt("How did the app make a voice that laughs and sighs while reading my story?",
                                  [("suno/bark", None, None), ("openai/whisper-small", None, None)]))
    assert "How it does this: Bark goes straight from text to audio tokens" in result.to_markdown()
    assert verify(result).ok


def test_another_task_the_model_is_built_for_is_stated_as_a_fact_about_the_model_not_about_the_users_input():
    result = answer_prompt(prompt("How did the app make a voice that laughs and sighs while reading my story?",
                                  [("suno/bark", None, None), ("openai/whisper-small", None, None)]))
    text = result.to_markdown()
    assert "suno/bark is also built for music generation, which takes a text description or melody [1]." in text
    assert "which suggests the input was" not in text and verify(result).ok


def test_a_papers_gist_is_a_sentence_about_its_title_not_an_empty_we_sentence():
    summary = ("Landing a drone on a moving deck is hard. Classic controllers need an exact model of the deck. "
               "We address all these issues in this work. "
               "We train the landing policy with reinforcement learning in a simulator with random deck motion.")
    result = answer_prompt(prompt("My shaky night photo came out sharp. How?", [("Deblur-MIMO-UNet", None, None)],
                                  [("Reinforcement learning for drone landing on moving decks", "https://arxiv.org/abs/2302.13192", summary)]))
    paper = next(r for r in result.references if r.source.kind == "paper")
    quotes = [e.quote for e in paper.why.evidence]
    assert "We train the landing policy with reinforcement learning in a simulator with random deck motion" in quotes
    assert "We address all these issues in this work" not in quotes
    assert verify(result).ok


@pytest.mark.parametrize("order", [1, -1])
def test_the_model_doing_the_named_action_leads_and_the_one_for_a_named_defect_of_the_input_follows(order):
    # "Upscaled by 3x" is the action and "heavily compressed" describes the input: the JPEG model led
    # (its task scored higher) and the x3 enlarger came second (2026-11-27).
    models = [("Restoration-SwinIR-Jpeg10", "https://arxiv.org/abs/2108.10257", None),
              ("SISR-EDSR-x3", "https://arxiv.org/abs/1707.02921", None)][::order]
    result = answer_prompt(prompt("I upscaled a heavily compressed screenshot by 3x and it still looked clean. How "
                                  "does AI restore natural detail from such a low-quality file?", models))
    recommended = [r.source.name for r in result.references if r.role == "recommended model"]
    assert recommended == ["SISR-EDSR-x3", "Restoration-SwinIR-Jpeg10"]
    assert result.task.task_ids[:2] == ("super_resolution", "jpeg_artifact_removal")
    assert verify(result).ok


def test_a_listed_model_doing_nothing_but_what_the_subject_does_is_not_tangential():
    # Two text-to-speech models for a line to be read aloud: the second was called tangential because the
    # question's task stayed below the asked floor and the ranking did not find it relevant (2026-11-27).
    result = answer_prompt(prompt("Read this line in a cheerful voice: ‘Our store opens at nine tomorrow.’", [
        ("Txt2Voice-HuggingFace-espnet-fastspeech2_conformer_with_hifigan", None, None),
        ("Txt2Voice-HuggingFace-suno-bark", None, None),
        ("Txt2Img-StableDiffusionV1-colorful", None, None)]))
    roles = {r.source.name: r.role for r in result.references}
    assert roles["Txt2Voice-HuggingFace-espnet-fastspeech2_conformer_with_hifigan"] == "recommended model"
    assert roles["Txt2Voice-HuggingFace-suno-bark"] == "recommended model"
    assert roles["Txt2Img-StableDiffusionV1-colorful"] == "tangential"
    assert verify(result).ok


def test_a_question_about_a_checkpoints_look_opens_with_what_the_version_in_its_name_is():
    # Part 1 opened with classifier-free guidance, and the impressionist fine-tune that explains the look was only a
    # note in part 2 (2026-11-27).
    result = answer_prompt(prompt("I asked for 'a harbour at dawn' and got soft, dabbed brushwork like an impressionist "
                                  "oil painting. How?", [("Txt2Img-StableDiffusionV1-ImpressionismOil", None, None),
                                                         ("HDR-FHDR-I1", None, None)]))
    opening = result.task.statements[0].text
    assert opening.startswith("What ImpressionismOil in the name means: ") and "impressionist oil style" in opening
    assert result.task.statements[1].text.startswith("How it does this: ")
    notes = [note.text for flow in result.workflow for note in flow.notes]
    assert opening not in notes  # said once, in part 1
    assert verify(result).ok, verify(result).problems


def test_a_scale_in_a_models_name_does_not_open_part_one():
    # Scales and released levels are settings, read by the variant note of part 2, not versions of a model.
    result = answer_prompt(prompt("I enlarged a tiny photo 4 times and it stayed sharp. How?",
                                  [("SISR-SwinIR-Classical-DIV2K-48-M-4x", None, None), ("NST-fast-neural-style-candy", None, None)]))
    assert result.task.statements[0].text.startswith("How it does this: ")


TEXT_DOCUMENTS = json.loads((DATA / "text_document_prompts.json").read_text(encoding="utf-8"))
# Blind sets of requests to process a document and of everyday questions about one (see the file's description).
# First set: 25 of 40 requests answered about their model and 2 everyday answered before documents in hand became text
# when handed over; 29 and 2 after. Second set (models that had no card, whose task a name alone rarely tells): 33 and
# 5, before and after; 37 and 7 since those models have cards (faa78ee): two advice questions that name text ("this gym
# contract", "my girlfriend's texts") are answered beside two described text models, as a request in no task's words
# about data a listed model handles is. Gating that on the question addressing a machine was tried and reverted: the
# learned request verbs miss "Please recreate this ... image", so that Query1 prompt (and its logged twin) abstained.
TEXT_DOCUMENTS_BOUNDS = {"first": (29, 2), "second": (37, 7)}


@pytest.mark.slow
@pytest.mark.parametrize("part", sorted(TEXT_DOCUMENTS_BOUNDS))
def test_requests_to_process_a_document_are_answered_and_advice_about_one_abstains(part):
    def answer_case(case: dict) -> Answer:
        return answer_prompt(prompt(case["question"], [(m, None, None) for m in case["models"]]))

    def first_recommended(result: Answer) -> str | None:
        return next((r.source.name for r in result.references if r.role == "recommended model"), None)

    cases = TEXT_DOCUMENTS[part]
    right = sum(first_recommended(answer_case(case)) == case["target"] for case in cases["process"])
    answered = sum(not answer_case(case).abstained for case in cases["everyday"])
    least, most = TEXT_DOCUMENTS_BOUNDS[part]
    assert right >= least and answered <= most, (right, answered)


@pytest.mark.parametrize("models", [
    [("google/maxim-s3-deblurring-gopro", None, None), ("black-forest-labs/FLUX.1-schnell", None, None)],
    [("Deblur-MSSNet-GoPro", None, None), ("Txt2Img-StableDiffusionV1-DreamShaper", None, None)],
])
def test_a_model_that_takes_none_of_what_the_question_gives_is_not_its_subject(models):
    # The typed prompt is what goes in; a deblurring model, whose card reads close to "blurry ... out of focus",
    # took the subject while the question read most like no listed model's task (2026-11-27).
    result = answer_prompt(prompt("I asked for 'a blurry, dreamy shot of city lights at night' and it came out soft "
                                  "and out of focus on purpose, with those round glowing blobs. Which tool made it?",
                                  models))
    assert [(r.source.name, r.role) for r in result.references] == [
        (models[1][0], "recommended model"), (models[0][0], "tangential")]
    assert result.task.task_ids[0] == "text_to_image" and verify(result).ok


def test_a_model_that_takes_none_of_what_the_question_gives_stays_the_subject_when_no_listed_model_takes_it():
    # Nothing listed fits better, so the recommender's choice stands: the style-transfer model is explained rather
    # than the answer abstaining (2026-11-27).
    result = answer_prompt(prompt("I typed 'a stormy harbour in thick oil paint' and got exactly that look. How?",
                                  [("NST-fast-neural-style-candy", None, None), ("SISR-CARN-2x", None, None)]))
    assert not result.abstained
    assert (result.references[0].source.name, result.references[0].role) == (
        "NST-fast-neural-style-candy", "recommended model")
    assert verify(result).ok


def test_without_cue_words_the_ranking_not_a_resemblance_to_example_questions_chooses_the_subject():
    # The question names no task; it reads a little more like classification's examples than detection's, and that
    # made the classifier the subject while the ranking, reading the models' texts, put the fashion detector first
    # (a logged prompt of the same kind, 2026-11-27).
    models = [("Classification-HuggingFace-microsoft-resnet-50", None, None),
              ("ObjDet-HuggingFace-valentinafeve-yolos-fashionpedia", None, None)]
    result = answer_prompt(prompt("What is she wearing in this photo? List the scarf, belt, hat or bag if there is one.",
                                  models))
    assert (result.references[0].source.name, result.references[0].role) == (models[1][0], "recommended model")
    assert result.task.task_ids[0] == "object_detection" and verify(result).ok


def test_a_picture_asked_of_words_alone_is_made_by_the_text_to_image_model_not_restored():
    # The scene's fog, darkness and blur made the deblurring model the subject: 'from words alone' said nothing of
    # what goes in (2026-11-27).
    models = [("Txt2Img-StableDiffusionV1-majicMix-sombre", None, None), ("Deblur-MSSNet-RealBlurJ", None, None)]
    result = answer_prompt(prompt("Which app could make a gloomy, foggy harbour picture from words alone, with dark "
                                  "water and a blurry lighthouse?", models))
    assert (result.references[0].source.name, result.references[0].role) == (models[0][0], "recommended model")
    assert verify(result).ok
