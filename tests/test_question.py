"""What a question asks for: the action it names before the defects of its input."""

from __future__ import annotations

import pytest

from cnaps_rag import default_engine
from cnaps_rag.question import QuestionAnalysis
from cnaps_rag.answering.choose import asked_tasks
from cnaps_rag.tuning import TUNING


def analysis(question: str) -> QuestionAnalysis:
    engine = default_engine()
    return engine.retriever(engine.corpus_index()).rank(question, 1).analysis


def likeliest(question: str) -> str:
    return analysis(question).top(1)[0][0]


@pytest.mark.parametrize(("question", "task"), [
    # Each was read as its defect's task before actions outweighed defects (2026-11-26).
    ("I upscaled a heavily compressed JPEG from a group chat to 4x and it looked clean. How?", "super_resolution"),
    ("I enlarged a blocky, compressed screenshot and it came out crisp. How?", "super_resolution"),
    ("I brightened a grainy photo taken at a concert; how did the app do it?", "low_light_enhancement"),
    ("I denoised a dark photo from my phone. What did the AI do?", "denoising"),
    ("I transcribed a noisy call recording with an app and the text was accurate. How?", "speech_recognition"),
    ("The app transcribed my voice memo even with wind noise in the background. How?", "speech_recognition"),
])
def test_the_action_a_question_names_outweighs_the_defects_of_its_input(question, task):
    assert likeliest(question) == task


def test_without_an_action_the_defect_names_the_task():
    assert likeliest("Can the app get rid of the rain streaks in my photo?") == "weather_removal"


def test_a_defect_the_question_asks_to_remove_is_still_a_second_task():
    asked = asked_tasks(analysis("Please enlarge the photo and remove the blur."), default_engine().taxonomy)
    assert asked[:2] == ["super_resolution", "deblurring"]


@pytest.mark.parametrize(("question", "task"), [
    ("Give me twenty seconds of a busy train station: wheels screeching, doors sliding, people hurrying past.",
     "text_to_audio"),
    ("We collected 9,000 comments from our employee survey. What are the big themes?", "topic_modelling"),
    ("Compose a calm piano melody for my yoga video.", "music_generation"),
    ("Is this product review positive or negative?", "text_classification"),
])
def test_sound_effects_and_themes_are_tasks_of_their_own_beside_music_and_labels(question, task):
    assert likeliest(question) == task


@pytest.mark.parametrize("question", [
    # The photo is what the question was typed beside, so it went in; it was read as the output (2026-11-27).
    "My dad typed 'which of these mushrooms is the biggest?' next to a photo from our walk, and it pointed to the right "
    "one. How?",
    "She typed 'how many candles are on the cake?' beside the party snapshot and got 'seven'. How did it count?",
])
def test_data_a_typed_prompt_was_written_beside_goes_in_with_it(question):
    read = analysis(question)
    assert read.direction is None
    assert dict(zip(read.task_ids, read.probabilities))["visual_question_answering"] >= TUNING.question.asked_floor


@pytest.mark.parametrize(("question", "typed"), [
    ("I typed 'a lighthouse in a storm, watercolor style' and got a new picture. How?", True),
    ("I typed “a lighthouse in a storm” and got a new picture. How?", True),
    ("I typed my friend's name into the app and it found her photos. How?", False),
    ("I wrote it's done in the chat and the app answered. How?", False),
    # A question about who wrote a work hands nothing over; it was read as a typed prompt (2026-11-27).
    ("Who actually wrote the poem 'The Road Not Taken', Frost or Whitman?", False),
    ("My niece, who typed 'a dragon made of clouds', got a lovely picture. How?", True),
])
def test_a_straight_single_quote_opens_a_typed_prompt_and_an_apostrophe_does_not(question, typed):
    assert analysis(question).text_input is typed


@pytest.mark.parametrize(("question", "task", "direction"), [
    # The photo came before the typed question, so it went in beside it; it was read as the output (2026-11-27).
    ("I took a photo of a medicine trolley and typed 'how many bottles are on the top shelf?', and it answered "
     "'three'. How did it work that out from the photo?", "visual_question_answering", None),
    ("I typed 'a lighthouse in a storm, watercolor style' and got a new picture. How?", "text_to_image", ("text", "image")),
    # The selfie is what the instruction was written on, so it went in; it was read as the output (2026-11-27).
    ("I wrote 'give me a short bob haircut' on my selfie and the hair changed while my face stayed the same. How?",
     "instruction_image_editing", None),
])
def test_data_named_before_a_typed_prompt_goes_in_with_it_and_data_named_after_comes_out(question, task, direction):
    read = analysis(question)
    assert read.top(1)[0][0] == task
    assert read.direction == direction


@pytest.mark.parametrize(("question", "task"), [
    # "Upscaled" was dropped because the rest reads like JPEG-repair examples (2026-11-27).
    ("I upscaled a blurry old scan full of compression blocks and the blocks vanished. What clues does AI use to "
     "rebuild what compression damaged?", "super_resolution"),
    ("I translated a blurry photo of a street sign and the words came out right. How does the AI read damaged "
     "letters?", "machine_translation"),
])
def test_an_action_the_question_says_was_done_is_asked_however_the_rest_is_worded(question, task):
    read = analysis(question)
    assert dict(zip(read.task_ids, read.probabilities))[task] >= TUNING.question.asked_floor


def test_a_voicemail_is_audio_like_a_voice_memo():
    # The example questions of seven audio tasks say "voicemail"; the data words did not, so a request to type one
    # out named no data and abstained (2026-11-27).
    read = analysis("My dentist left a voicemail about moving my appointment. Please write down exactly what she said.")
    assert "audio" in read.modalities


@pytest.mark.parametrize("question", [
    # The scene's own words were read as defects of a photo to restore: "dim" made it low-light enhancement,
    # "foggy" weather removal (2026-11-27).
    "Please create a picture of a dim, foggy lighthouse with one lamp glowing over the rocks.",
    "Make a grainy, blurry-looking photo of a 1970s diner at night for my band's album cover.",
    "Could you paint me a dark stormy sea with a small sailboat fighting the waves?",
    # The user's own description is a prompt as well; "misty" and "hazy" were read as weather to remove (2026-11-27).
    "I described a misty pine forest at dawn and the picture came out soft and hazy, just as I wanted. How does it do that?",
    "Here's my rough description: a foggy harbour at night with one red boat. Can you turn it into a picture?",
    # A description the user wrote, and a request made in plain words, are prompts too; the first was read as image
    # captioning ("description"), the second as weather removal ("rainy") (2026-11-27).
    "I wrote a short description of a frosty mountain cabin and the picture had icy windows and warm light. How?",
    "I asked for a red double-decker bus on a rainy street and the picture even showed it reflected in the puddles. How?",
    # A request named as such; the photographic "film grain" was read as a film coming out (2026-11-27).
    "My request for 'a fox in a snowy forest at dusk' came back soft, with faint film grain. Why does it look so gentle?",
    # Anyone's typed description is one, and so is a picture made by describing it; both were read as captioning,
    # the second as weather removal ("hazy") (2026-11-27).
    "My aunt typed a rambling, half-finished description of her garden and got a tidy, sunlit photo of it. How?",
    "My cousin made a hazy, dreamlike poster of a lighthouse just by describing it. How does that work?",
    # "Several" asks for new pictures as "a" does; the request was read as face swapping (2026-11-27).
    "Make several pictures of a cartoon fox in foggy places, keeping its scarf and ears the same in each.",
])
def test_a_request_to_make_something_new_is_a_prompt_whatever_the_scene_looks_like(question):
    read = analysis(question)
    assert read.top(1)[0][0] == "text_to_image"
    assert read.text_input


@pytest.mark.parametrize("question", [
    # No data word says what comes out, so the request was spread over every task that takes a prompt and the
    # answer abstained (2026-11-27).
    "Paint a quiet harbour at dawn with thick, swirling brushstrokes.",
    "Could you draw me a cheerful robot watering tomato plants, in crayon?",
])
def test_a_request_to_paint_or_draw_gives_a_picture(question):
    read = analysis(question)
    assert read.direction == ("text", "image")
    assert read.top(1)[0][0] == "text_to_image"


@pytest.mark.parametrize(("question", "task"), [
    ("Make this dim, foggy photo of the lighthouse clearer.", "weather_removal"),
    ("Here's a picture of our cellar; please make a brighter version of it, it is far too dark.", "low_light_enhancement"),
])
def test_a_request_about_data_in_hand_is_no_description(question, task):
    read = analysis(question)
    assert not read.text_input
    assert dict(zip(read.task_ids, read.probabilities))[task] >= TUNING.question.asked_floor


def test_data_the_question_says_is_in_hand_goes_in_beside_a_typed_prompt_wherever_it_is_named():
    # Named after the prompt, the photo was not counted as input, so the detection asked for was dropped (2026-11-27).
    read = analysis("I typed 'blue bicycle' and the app drew boxes around every one of them in my street photo. How?")
    assert dict(zip(read.task_ids, read.probabilities))["object_detection"] >= TUNING.question.asked_floor


@pytest.mark.parametrize(("question", "scale"), [
    # Each was read as no enlargement factor, so a fixed-scale model led one that takes any scale (2026-11-27).
    ("Please enlarge this scan of a zebra by a factor of 1.8 for my slides.", 1.8),
    ("I zoomed the tiny logo to 300% and the edges stayed clean. How?", 3.0),
    ("The app made my old avatar 250 percent larger without jagged edges. How?", 2.5),
    ("A 3-fold enlargement of my passport photo still looked natural. How?", 3.0),
    ("I used 4x on a small photo.", 4.0),
    # "1x" enlarges nothing, so the factor after it is the one asked for; none was read (2026-11-27).
    ("The zoom slider went from 1x up to 6x and my photo of a brick wall stayed crisp. How?", 6.0),
    # A half spelled out was no factor, so an in-between enlargement asked for no arbitrary-scale model (2026-11-27).
    ("Is there a tool that enlarges a picture by two and a half times and keeps the edges sharp?", 2.5),
    ("My logo has to be one and a half times bigger for the banner. What keeps it crisp?", 1.5),
])
def test_an_enlargement_factor_is_read_however_it_is_spelled(question, scale):
    read = analysis(question)
    assert read.scale == pytest.approx(scale)
    assert read.scale_text in question


@pytest.mark.parametrize("question", [
    "I'm 100% sure the photo is real. How does the AI know?",
    "What is a factor of safety when a bridge is designed?",
    "The model got 95% of the labels right on 3000 photos. How?",
    # "double" read as an enlargement, so super-resolution was cued (2026-11-27).
    "I photographed a double-decker bus and the app boxed it. How does it find the bus?",
    "Why do my scans show double edges after saving them with double compression?",
])
def test_a_number_that_is_no_enlargement_is_no_scale(question):
    assert analysis(question).scale is None


@pytest.mark.parametrize("question", [
    # Each was read as fixed-factor super-resolution: a size of the asker's choosing was no scale (2026-11-28).
    "Please upscale this logo to whatever dimensions the sign maker asks for, keeping the edges clean.",
    "I zoomed a scanned stamp to an unusual magnification for my catalogue and it still looked sharp. How?",
    "Enlarge this snapshot to a specific resolution I choose for my e-reader screen.",
])
def test_an_enlargement_to_a_size_of_the_askers_choosing_asks_for_any_scale(question):
    assert likeliest(question) == "arbitrary_scale_super_resolution"


@pytest.mark.parametrize("question", [
    "What is the exact size of the tumour in this scan?",
    "Can this detector spot cats in photos of any size?",
])
def test_a_size_named_where_nothing_is_enlarged_asks_for_no_scale(question):
    assert likeliest(question) != "arbitrary_scale_super_resolution"


@pytest.mark.parametrize(("question", "task"), [
    # Each was read as the task of the symptom, 'blurry' or 'dim', not of its cause (2026-11-28).
    ("My photos of the harbour at noon are blurry because of noise. Please make the boats and the water crisp again.",
     "denoising"),
    ("The stadium shots at night look dim because of heavy compression. Please clean them up.", "jpeg_artifact_removal"),
])
def test_a_defect_named_as_the_cause_of_another_names_the_task(question, task):
    assert likeliest(question) == task


@pytest.mark.parametrize(("question", "task"), [
    ("My vacation shots are dark and blurry due to camera shake. Please sharpen them.", "deblurring"),
    ("My scanned stamp looks blurry due to its low resolution; please enlarge it 4x.", "super_resolution"),
])
def test_a_cause_of_the_same_task_or_an_action_keeps_its_reading(question, task):
    assert likeliest(question) == task


def test_a_covered_part_of_a_face_resembles_inpainting_examples_enough_for_its_cues_to_count():
    # No inpainting example was about a face, so a marked hole in a portrait resembled face restoration so much more
    # that "hole" and "damaged" no longer counted for inpainting (beyond the cue gap) (2026-11-27).
    read = analysis("A coffee stain covers my grandfather's mouth in this portrait and I've marked it. "
                    "Please rebuild that part of his face.")
    similarity = dict(zip(read.task_ids, read.similarities))
    assert max(similarity.values()) - similarity["inpainting"] <= TUNING.question.cue_gap


@pytest.mark.parametrize(("question", "task", "phrase"), [
    ("Could you make this old snapshot of my grandmother's rose garden bigger for a frame?", "super_resolution", "make bigger"),
    ("My scan of the concert ticket is tiny; can you blow it up without jagged letters?", "super_resolution", "blow up"),
    ("There's a hole where the price tag was in this shelf photo; please fill it in.", "inpainting", "fill in"),
    ("Please read the attached poem aloud in a calm voice.", "text_to_speech", "read aloud"),
])
def test_a_verb_phrase_split_by_its_object_is_still_its_cue(question, task, phrase):
    # "make this old snapshot ... bigger", "blow it up": the object stands between the verb and its particle or result.
    found = analysis(question)
    assert phrase in found.cues.get(task, ()), found.cues
    assert found.top(1)[0][0] == task


@pytest.mark.parametrize("question", [
    "My nephew merged a cartoon rocket into our garden photo, and an app made its shading match the sunset. How?",
    "I photoshopped the new sneakers onto this runner's picture but they look too bright. Can AI fix the tone?",
    "A designer added a teapot into my kitchen shot and the tool matched its warm light. What does it change?",
])
def test_placing_something_into_a_picture_is_compositing(question):
    # "merged a cartoon rocket into our garden photo": a verb of placing keeps its object before its goal, as a
    # particle verb does, and the user placing something into a picture made a composite (2026-11-28).
    found = analysis(question)
    assert "harmonization" in found.cues, found.cues
    assert found.top(1)[0][0] == "harmonization"


@pytest.mark.parametrize("question", [
    "Can a tool widen the brightness range of my beach snapshot so both the glaring sand and the shaded dunes keep detail?",
    "The snowy slope in my ski photo came out pure white where the sun hit it. How does software bring the texture back?",
])
def test_a_range_of_brightness_or_a_pure_white_area_is_high_dynamic_range(question):
    # "brightness" alone says nothing about which end is lost (it was read as low light); a range of brightness, or
    # highlights burnt to pure white, is what the HDR examples describe (2026-11-28).
    assert analysis(question).top(1)[0][0] == "hdr_reconstruction"


@pytest.mark.parametrize("question", [
    "Please say this line in a warm, cheerful voice: 'Heavy rain is expected tonight, so bring an umbrella and drive slowly.'",
    "Read this out for our shop's answering machine: 'We are closed tonight because of the dark and foggy weather.'",
])
def test_a_quoted_passage_handed_over_names_no_task(question):
    # "read this sentence ...: 'Hello, the weather is sunny today.'" was read as weather removal (2026-11-28).
    found = analysis(question)
    assert not {"weather_removal", "low_light_enhancement"} & set(found.cues), found.cues


@pytest.mark.parametrize(("question", "task"), [
    ("I asked the editor to 'turn my garden photo into a mosaic painting' and it did. How?", "style_transfer"),
    ("I asked 'how many dogs are on the sofa?' about my photo and it answered two. How does it know?",
     "visual_question_answering"),
])
def test_a_quoted_request_or_question_still_names_its_task(question, task):
    assert analysis(question).top(1)[0][0] == task


def test_as_before_a_clause_is_when_not_what_comes_out():
    # "captions showed the announcements as they were spoken" was read as text turned into speech (2026-11-28).
    found = analysis("At the airport, live captions showed the gate announcements as they were spoken, despite the "
                     "noisy hall. How does AI recognize speech so fast and turn it into text?")
    assert found.direction != ("text", "audio")
    assert found.top(1)[0][0] != "text_to_speech"


@pytest.mark.parametrize(("question", "phrase"), [
    ("I cut my hair out of frustration and now the selfie looks odd. Can AI tell?", "cut out"),
    ("How does AI merge many photos into one 3D scene?", "merged into"),
    ("We fill the order forms in the back office; can a tool read them?", "fill in"),
    ("Make sure the sign in this photo is readable, then tell me what it says.", "make bigger"),
])
def test_a_preposition_or_a_far_word_makes_no_split_verb_phrase(question, phrase):
    assert all(phrase not in phrases for phrases in analysis(question).cues.values())


@pytest.mark.parametrize("question", [
    "Summarize this email from my landlord in three bullet points.",
    "Please sort these customer reviews into happy and unhappy ones.",
    "Can you pull every company name out of this contract?",
    "I gave it my grandmother's letter and it listed every person she mentions.",
    "Researcher: translate these survey responses from Portuguese.",
])
def test_a_document_handed_to_the_machine_is_text_data(question):
    assert "text" in analysis(question).modalities


@pytest.mark.parametrize("question", [
    "My landlord sent this letter saying the rent goes up next month. Is that even legal?",
    "Is it rude to reply-all to this email thread if I'm just saying thanks?",
    "Should I mention this negative review from a former client when I pitch to new ones?",
    # The email comes out; none is in hand.
    "Can you write a polite email declining a wedding invitation?",
])
def test_a_document_a_person_is_asked_about_names_no_data(question):
    assert analysis(question).modalities == ()


def test_a_document_named_with_another_kind_of_data_is_that_kind():
    assert analysis("Please transcribe this voice message from my dentist.").modalities == ("audio",)


def test_request_verbs_are_learned_from_the_example_requests():
    verbs = default_engine().taxonomy.request_verbs
    assert {"summarize", "translate", "enlarge", "remove", "transcribe"} <= verbs
    assert not verbs & {"is", "how", "can", "should", "this"}


def test_a_named_language_says_what_the_content_is_in_not_that_it_is_translated():
    # "in Spanish" was a machine-translation cue and outweighed the transcript asked for (2026-11-27).
    assert likeliest("Type out everything that was said in this 40-minute voice memo from my doctor's appointment. "
                     "Some of it is in Spanish.") == "speech_recognition"


def test_a_request_to_translate_is_still_machine_translation():
    assert likeliest("Please translate this letter from my pen pal into English.") == "machine_translation"


@pytest.mark.parametrize(("question", "task", "phrase"), [
    ("Here is a picture of my garden shed at dusk; can you make it brighter?", "text_to_image", "picture of"),
    ("Please sort my sound effects folder into rain, doors and footsteps.", "text_to_audio", "sound effect"),
    ("Can you turn my drawing of a fox into a 3D model?", "text_to_image", "draw"),
])
def test_a_cue_that_only_names_data_in_hand_is_no_cue_for_a_task_that_does_not_take_it(question, task, phrase):
    assert phrase not in analysis(question).cues.get(task, ())


@pytest.mark.parametrize(("question", "task", "phrase"), [
    ("Create a picture of a lighthouse at dawn with gulls overhead.", "text_to_image", "picture of"),
    ("Convert this text to speech for my podcast intro.", "text_to_speech", "text to speech"),
    ("Please read this paragraph aloud in a calm voice.", "text_to_speech", "read aloud"),
])
def test_a_cue_naming_data_not_in_hand_or_data_its_task_takes_still_counts(question, task, phrase):
    assert phrase in analysis(question).cues.get(task, ())


@pytest.mark.parametrize(("question", "modality"), [
    ("Can software outline the tumour on these CT scans automatically?", "image"),
    ("Please sort these holiday snapshots by who is in them.", "image"),
    ("Can it take the hiss out of my old podcasts?", "audio"),
])
def test_a_data_word_names_its_kind_in_the_plural_too(question, modality):
    assert modality in analysis(question).modalities


def test_speeches_in_the_plural_are_no_sound_since_they_are_as_often_texts():
    assert "audio" not in analysis("Which themes come up most in these political speeches?").modalities



def test_what_goes_in_is_read_outside_a_typed_prompt():
    assert analysis("I asked for 'a foggy photo of a harbour at dawn' and got exactly that mood. How?").given == ("text",)


def test_a_shot_is_a_picture():
    assert "image" in analysis("My only shot of the parade is shaky. Can AI steady it?").modalities


@pytest.mark.parametrize("question", [
    "Make a movie-style portrait of a lighthouse keeper in a storm, with dramatic backlight.",
    "Generate a video-game-style picture of a dragon circling a castle.",
])
def test_a_data_word_joined_to_the_next_by_a_hyphen_is_a_style_not_data(question):
    assert "video" not in analysis(question).modalities
    assert likeliest(question) == "text_to_image"


@pytest.mark.parametrize(("question", "direction"), [
    # 'from' named no direction, so a picture asked of words alone read as the fog and blur in its scene (2026-11-27).
    ("Which app could make a gloomy, foggy harbour picture from words alone, with dark water and a blurry lighthouse?",
     ("text", "image")),
    ("I need a short spoken greeting from the text of our shop's opening hours, in a calm voice.", ("text", "audio")),
    # 'from' joins only the data word right before it: the image here comes from a photo, and '3D' is none.
    ("Can AI make a stereo 3D image from one photo by guessing depth?", None),
])
def test_the_data_word_after_from_is_what_goes_in(question, direction):
    assert analysis(question).direction == direction


@pytest.mark.parametrize(("question", "direction"), [
    # Data in hand asked for as another kind, further on in the sentence than a clause's span (2026-11-28: the memo
    # read as text-to-speech in a blind request).
    ("Here's a voice memo I recorded on a windy street on my way home; please write out everything I said as text.",
     ("audio", "text")),
    ("Read my two-page bedtime story for the children out loud in a calm voice, and save it for me as an audio file.",
     ("text", "audio")),
    # Asked for as the same kind, or in another sentence, it names no direction.
    ("Here's my old photo of the harbour that my father took before the war; please turn it into a watercolour picture.",
     None),
    ("This is my voice memo from the long meeting this morning. I need the minutes written out as text.", None),
])
def test_data_in_hand_asked_for_as_another_kind_later_in_the_sentence_goes_in(question, direction):
    assert analysis(question).direction == direction


@pytest.mark.parametrize(("question", "task", "refused"), [
    # "not just a rough box" cued detection, the very thing the user turns down, over the outline asked for (2026-11-27).
    ("As a beekeeper I want an app that traces the exact outline of every hive and person in my yard photos, not just "
     "a rough box around them. Is that possible?", "segmentation", "object_detection"),
    ("My doorbell camera now tells me 'a man is waving' instead of just 'person detected'. How does it tell what "
     "someone is doing?", "action_recognition", "object_detection"),
])
def test_what_follows_rather_than_or_instead_of_is_turned_down_and_cues_no_task(question, task, refused):
    read = analysis(question)
    assert read.top(1)[0][0] == task
    assert refused not in read.cues


@pytest.mark.parametrize("question", [
    # "type the description" and "type some words" named no typed prompt (only "typed a/my ... description" did), so
    # 'description' cued captioning and no text went in (2026-11-27).
    "For our club newsletter I'd like to type the description of a lighthouse at dusk and have a new picture made. "
    "What does that?",
    "I run a cafe and want to type some words like latte art heart foam and get an illustration for the menu.",
    # Nor did "made from a short description", so the scene's fog and grain named the task (2026-11-27).
    "My neighbour's poster shows a foggy harbour at night in grainy black and white, and she says it was made from a "
    "short description. How is that done?",
    # Nor did "from this description" or "from these descriptions": 'description' cued captioning and 'painting-style'
    # style transfer (2026-11-28).
    "I need an image from this description for our flyer: three kids flying kites on a green hill.",
    "Could I get a painting-style image from these descriptions of our village square in autumn?",
])
def test_typing_a_description_or_making_from_one_hands_over_text(question):
    read = analysis(question)
    assert read.text_input and likeliest(question) == "text_to_image"
