"""The model card library: it checks clean, resolves without mis-firing, and its cards drive answers."""

from __future__ import annotations

import pytest
from conftest import CATALOG_159, needs_dataset, reference_prompt

from cnaps_rag import CardLibrary, answer_prompt, default_engine, load_catalog, verify
from cnaps_rag.cards_check import check_cards, check_catalog

ENGINE = default_engine()
LIBRARY = ENGINE.cards


def prompt(question: str, name: str, paper: str | None = None, github: str | None = None) -> str:
    return reference_prompt(question, [(name, paper, github)])


def test_the_library_checks_clean_against_the_taxonomy():
    assert len(LIBRARY) >= 120
    assert check_cards(LIBRARY, ENGINE.taxonomy.ids) == []


@needs_dataset
def test_every_cnaps_catalog_model_resolves_to_exactly_one_card():
    sources = load_catalog([CATALOG_159]).sources
    assert check_catalog(LIBRARY, sources) == []
    assert all(LIBRARY.backing(s) is not None for s in sources if s.kind == "model")


@pytest.mark.parametrize(("name", "expected"), [
    ("SISR-Any-LTE-SwinIR", "lte"),                      # a SwinIR backbone inside LTE is LTE, not SwinIR
    ("SISR-RCAN-it-2x", "rcan-it"),                     # the longer pattern wins over SISR-RCAN-*
    ("SISR-RCAN-4x", "rcan"),
    ("Segmentation-HuggingFace-facebook-maskformer-swin-base-coco", "maskformer"),
    ("ObjDet-HuggingFace-valentinafeve-yolos-fashionpedia", "yolos-fashionpedia"),
    ("Restoration-SwinIR-Jpeg40", "swinir"),
    ("openai/whisper-large-v3", "whisper"),
])
def test_conflicting_names_resolve_to_the_more_specific_card(name, expected):
    card, _ = LIBRARY.resolve(name)
    assert card.id == expected


@pytest.mark.parametrize("name", ["WhisperSpeech", "SISR", "Model", "resnet-50-finetuned-on-my-cats-by-someone"])
def test_a_shared_word_or_prefix_is_not_enough_to_match(name):
    found = LIBRARY.resolve(name)
    assert found is None or found[0].id not in {"whisper", "swinir"} or name.lower().startswith(found[0].id)


def test_a_github_subpath_matches_only_its_own_family():
    bart = LIBRARY.resolve("my-summarizer", github_url="https://github.com/facebookresearch/fairseq/tree/main/examples/bart")
    assert bart is not None and bart[0].id == "bart" and bart[1].kind == "github"
    assert LIBRARY.resolve("my-asr", github_url="https://github.com/facebookresearch/fairseq") is None


def _every_card_name():
    return [(card.id, card.known_names[0]) for card in LIBRARY.cards if card.known_names]


def _one_card_per_task():
    seen, out = set(), []
    for card_id, name in _every_card_name():
        task = LIBRARY.by_id[card_id].tasks[0]
        if task not in seen:
            seen.add(task)
            out.append((card_id, name))
    return out


@pytest.mark.parametrize(("card_id", "name"), _one_card_per_task(), ids=lambda v: str(v))
def test_a_listed_model_without_summary_gets_its_cards_stage_graph(card_id, name):
    _assert_card_graph(card_id, name)


@pytest.mark.slow
@pytest.mark.parametrize(("card_id", "name"), _every_card_name(), ids=lambda v: str(v))
def test_every_card_gives_its_stage_graph_to_a_name_only_model(card_id, name):
    _assert_card_graph(card_id, name)


def _assert_card_graph(card_id: str, name: str) -> None:
    card = LIBRARY.by_id[card_id]
    task = ENGINE.taxonomy.get(card.tasks[0])
    result = answer_prompt(prompt(f"How does AI do {task.name} so well?", name))
    assert not result.abstained, result.abstain_reason
    (flow, *_) = result.workflow
    assert flow.coverage == "card" and flow.card == (card.title or card.name)
    stages = [n for n in flow.nodes if n.kind not in ("input", "output")]
    assert len(stages) >= min(3, len(card.stages)) and flow.nodes[0].kind == "input" and flow.nodes[-1].kind == "output"
    assert [n.label for n in stages] == [s.name for s in _checkpoint_stages(card, name)]


def _input_sentence(result) -> str:
    """Part 2's one input step: what the model takes and what the user supplies."""
    (text,) = [n.statement.text for flow in result.workflow for n in flow.nodes if n.kind == "input"]
    return text


def _checkpoint_stages(card, name: str):
    """The card's stages as drawn for ``name``: a checkpoint fine-tuned for one mode leaves out the other modes."""
    return card.as_source().card.for_checkpoint(name).stages


LAY = [
    ("My scratched wedding photo got a hole filled in so well nobody notices. How?", "Inpainting-LatentDiffusion", "latent-diffusion"),
    ("How did an app turn a short voice memo into typed text?", "openai/whisper-small", "whisper"),
    ("A karaoke app removed the singer from my favourite song. How does it separate the voice?", "htdemucs", "demucs"),
    ("I clicked on my dog in a photo and the app cut him out perfectly. How?", "facebook/sam-vit-huge", "segment-anything"),
    ("How can a single photo of a room tell how far away each wall is?", "depth-anything/Depth-Anything-V2-Small-hf", "depth-anything-v2"),
    ("My old black and white family picture came back in colour. How?", "Colorization-DISCO-rand", "disco-colorization"),
    ("I typed 'a castle at dusk, oil painting' and got a picture. How?", "Txt2Img-StableDiffusionV1-ToonYou", "stable-diffusion-v1"),
    ("The app made my 30 fps clip look smooth like 120 fps. How?", "RIFE", "rife"),
    ("A website turned my long article into three sentences. How?", "Txt2Txt-HuggingFace-facebook-bart-large-cnn", "bart"),
    ("My phone read the text of a menu in a photo. How?", "microsoft/trocr-base-printed", "trocr"),
    ("Our interview recording came back marked with who was speaking at each minute. How?", "pyannote/speaker-diarization-3.1", "pyannote"),
    ("My recorded song came out in a completely different singer's voice, same tune. How?", "so-vits-svc-4.1", "so-vits-svc"),
    ("A tool read two thousand product reviews and marked each one happy or unhappy. How?", "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "distilbert"),
    ("The dubbed film had the actor's mouth moving to the new language. How?", "Wav2Lip", "wav2lip"),
    ("My laptop logs me in when it sees my face. How does it know it is me?", "facenet-pytorch", "facenet"),
    ("I described a function in a comment and the editor wrote the code for it. How?", "codellama/CodeLlama-7b-hf", "code-llama"),
    ("I played a tune on my piano and the app gave me a MIDI file of exactly the notes I played. How?", "spotify/basic-pitch", "basic-pitch"),
    ("I gave the app one photo of the harbour and got back a few seconds of video with the boats rocking. How?",
     "stabilityai/stable-video-diffusion-img2vid-xt", "stable-video-diffusion"),
    ("How does a computer work out which way every pixel moved between two frames of my video?", "RAFT", "raft"),
    ("Our inspection camera marks scratches on metal parts although it only ever saw good ones. How?", "PatchCore", "patchcore"),
    ("How does an AI predict the shape a protein folds into from its string of amino acids?", "AlphaFold2", "alphafold"),
    ("The phone line checked that the caller's voice matched the sample I enrolled last year. How?",
     "speechbrain/spkrec-ecapa-voxceleb", "ecapa-tdnn"),
    ("A website shows faces of people who are not real, a new one each time I reload. How are they made?", "StyleGAN2", "stylegan"),
    ("How can an AI tell from my voice alone that I am upset rather than calm?", "emotion2vec/emotion2vec_plus_large", "emotion2vec"),
    ("How does a neural network predict next week's wind and temperature for the whole planet in a minute?", "GraphCast", "graphcast"),
    ("The camera in my online class shows whether each student looks bored, happy or puzzled from their face. How?", "HSEmotion", "hsemotion"),
    ("My bookshop website suggests the next book a reader will want from the order of their past purchases. How?", "SASRec", "sasrec"),
    ("A chemistry app guessed from a molecule's SMILES string whether it will dissolve in water. How?",
     "ibm/MoLFormer-XL-both-10pct", "molformer"),
    ("Our lab's software came up with brand-new drug-like compounds that score well against our target. How does it invent them?",
     "REINVENT4", "reinvent4"),
    ("A program read long runs of the letters A, C, G and T and marked the stretches that switch genes on. How?",
     "zhihan1996/DNABERT-2-117M", "dnabert-2"),
    ("I put dots on my skateboard in a video and they stayed stuck to it in every frame, even behind my leg. How?", "CoTracker", "cotracker"),
    ("I typed a question about my football league table and it answered with the team that won most games. How?",
     "microsoft/tapex-large-finetuned-wtq", "tapex"),
    ("From a spreadsheet of customer details an AI predicted which customers will cancel, with no training run on my side. How?",
     "TabPFN", "tabpfn"),
    ("My angry email full of swear words came back reworded politely, with the same complaint in it. How?", "s-nlp/bart-base-detox", "paradetox-bart"),
]


@pytest.mark.parametrize(("question", "name", "card_id"), LAY, ids=[c for _, _, c in LAY])
def test_lay_questions_get_the_cards_stages_and_gist(question, name, card_id):
    resolved = LIBRARY.resolve(name)
    assert resolved is not None and resolved[0].id == card_id, name
    card = resolved[0]
    result = answer_prompt(prompt(question, name))
    assert verify(result).ok, verify(result).problems
    flow = result.workflow[0]
    assert [n.statement.text for n in flow.nodes if n.kind not in ("input", "output")] == [
        s.text for s in _checkpoint_stages(card, name)]
    why = result.references[0].why
    assert why.text.startswith("What it does:") and why.evidence[0].quote == card.gist.rstrip(".")
    assert result.task.task_ids[0] in card.tasks


@pytest.mark.parametrize(("name", "task"), [
    ("dslim/bert-base-NER", "named_entity_recognition"),
    ("distilbert-base-uncased-finetuned-sst-2-english", "text_classification"),
    ("deepset/roberta-base-squad2", "question_answering"),
    ("facebook/bart-large-mnli", "text_classification"),
    ("facebook/bart-large-cnn", "text_summarization"),
    ("THUDM/CogVideoX-2b", "video_generation"),
    # Two tokens that name tasks: the later one, the fine-tuned mode, decides over the size or backbone.
    ("THUDM/CogVideoX-5b-I2V", "image_to_video"),
    ("facebook/detr-resnet-50-panoptic", "segmentation"),
    ("Doubiiu/DynamiCrafter_512_Interp", "frame_interpolation"),
])
def test_a_variant_token_narrows_the_family_to_its_checkpoints_task(name, task):
    result = answer_prompt(prompt("How does this model work?", name))
    assert [h.labels for h in result.hits if h.source.name == name] == [(task,)]
    assert not any("also built for" in s.text for s in result.task.statements)


def test_an_image_to_video_checkpoint_is_read_as_animating_the_picture_it_is_given():
    result = answer_prompt(prompt("I gave it one photo of my cat and got back a short clip of her turning her head. How?",
                                  "THUDM/CogVideoX-5b-I2V"))
    assert verify(result).ok, verify(result).problems
    assert result.task.task_ids[0] == "image_to_video"


def test_a_family_name_without_such_a_token_keeps_all_of_the_cards_tasks():
    result = answer_prompt(prompt("How does this model work?", "bert-base-uncased"))
    assert set(result.hits[0].labels) == set(LIBRARY.by_id["bert"].tasks)


@pytest.mark.parametrize(("card_id", "part", "key", "value", "said"), [
    ("bert", "variants", "token", "NER", "variant 'NER'"),
    ("stable-diffusion-v1", "stages", "id", "init_image", "branch 'image-to-image'"),
])
def test_a_variant_or_a_branch_may_name_only_tasks_of_its_own_card(card_id, part, key, value, said):
    card = LIBRARY.by_id[card_id]
    changed = tuple(p.model_copy(update={"tasks": ("speech_recognition",)}) if getattr(p, key) == value else p
                    for p in getattr(card, part))
    library = CardLibrary([card.model_copy(update={part: changed})])
    assert check_cards(library, ENGINE.taxonomy.ids) == [
        f"card {card_id}: {said} names task 'speech_recognition', not one of the card's tasks"]


@pytest.mark.parametrize("token", ["n", "-s-"])
def test_a_variant_token_must_stand_as_a_word_in_a_name_the_card_knows(token):
    # "n" is inside "yolov8n" and "-s-" inside "audioldm-s-full" but neither stands as a word there, so no name would
    # ever carry them; 17 such tokens passed the check before it used the resolver's own rule (2026-11-27).
    card = LIBRARY.by_id["ultralytics-yolo"]
    variants = (*card.variants, card.variants[0].model_copy(update={"token": token}))
    assert check_cards(CardLibrary([card.model_copy(update={"variants": variants})]), ENGINE.taxonomy.ids) == [
        f"card ultralytics-yolo: variant token {token!r} stands as a word in none of its known_names"]


def test_only_a_branch_may_name_the_tasks_it_serves():
    card = LIBRARY.by_id["stable-diffusion-v1"]
    stages = tuple(s.model_copy(update={"tasks": ("text_to_image",)}) if s.id == "decode" else s for s in card.stages)
    assert check_cards(CardLibrary([card.model_copy(update={"stages": stages})]), ENGINE.taxonomy.ids) == [
        "card stable-diffusion-v1: stage 'decode' names tasks but is no branch"]


def test_only_a_branch_may_say_why_its_mode_works():
    card = LIBRARY.by_id["swinir"]
    stages = tuple(s.model_copy(update={"why": "Shifted windows let every patch see its neighbours."})
                   if s.id == "deep" else s for s in card.stages)
    assert check_cards(CardLibrary([card.model_copy(update={"stages": stages})]), ENGINE.taxonomy.ids) == [
        "card swinir: stage 'deep' says why it works but is no branch (a mechanism of the whole model goes in "
        "why_it_works)"]


@pytest.fixture(scope="module")
def retouch_answer():
    return answer_prompt(reference_prompt(
        "Please retouch this portrait of our new colleague with warm tones and soft lighting for the staff page.",
        [("SISR-HAN-3x", None, None), ("Txt2Img-StableDiffusionV1-Realisian", None, None)]))


def test_a_photo_retouched_from_a_written_request_is_the_image_to_image_mode_of_a_stable_diffusion_checkpoint(
        retouch_answer):
    assert verify(retouch_answer).ok, verify(retouch_answer).problems
    assert retouch_answer.task.task_ids[0] == "instruction_image_editing"
    assert retouch_answer.references[0].source.name == "Txt2Img-StableDiffusionV1-Realisian"
    assert [r.role for r in retouch_answer.references] == ["recommended model", "tangential"]
    notes = [n.text for flow in retouch_answer.workflow for n in flow.notes]
    assert any("the image-to-image branch applies" in n for n in notes), notes


def test_part_one_explains_a_mode_by_the_stage_the_card_says_serves_the_task(retouch_answer):
    first = retouch_answer.task.statements[0].text
    assert first.startswith("How it does this: for image-to-image, the starting picture is encoded"), first


@pytest.mark.parametrize(("question", "name", "supplied"), [
    ("Please retouch this portrait with warm tones and soft lighting.", "Txt2Img-StableDiffusionV1-Realisian",
     "; you may also supply a starting image and a strength value"),
    ("Please read this sentence aloud in a calm voice: 'Welcome back.'", "suno/bark", "; you may also supply a voice preset"),
])
def test_what_the_user_may_add_is_said_as_optional_once(question, name, supplied):
    result = answer_prompt(prompt(question, name))
    text = _input_sentence(result)
    assert supplied in text and "supply optionally" not in text
    assert verify(result).ok, verify(result).problems


def test_a_checkpoint_fine_tuned_for_another_task_is_not_made_the_subject_of_a_question_its_family_could_answer():
    result = answer_prompt(prompt("I pasted two hundred customer reviews and the tool marked each one as positive or "
                                  "negative. How does it judge the mood?", "dslim/bert-base-NER"))
    assert [r.role for r in result.references] == ["tangential"]


@pytest.mark.parametrize(("question", "name", "drawn", "left_out"), [
    ("It read my paragraph aloud in a natural voice. How?", "microsoft/speecht5_tts",
     "Spectrogram output and vocoder", "Text output"),
    ("A caption appeared under my holiday photo saying 'a dog on the beach'. How?",
     "Salesforce/blip-image-captioning-large", "Caption decoding", "Answer decoder"),
    ("I showed it a photo of my kitchen and asked how many mugs are on the shelf; it said three. How?",
     "Salesforce/blip-vqa-base", "Answer decoder", "Caption decoding"),
    ("It sorted my photos into dogs and cats. How?", "yolov8n-cls", "Classification head", "Neck"),
    ("It drew a box around each car in my street photo. How?", "facebook/detr-resnet-50", "Prediction heads", "Mask head"),
    ("It outlined every car, the road and the sky in my street photo, each pixel given to one of them. How?",
     "facebook/detr-resnet-50-panoptic", "Mask head", "none"),
])
def test_a_checkpoint_fine_tuned_for_one_mode_draws_only_that_modes_branch(question, name, drawn, left_out):
    result = answer_prompt(prompt(question, name))
    assert verify(result).ok, verify(result).problems
    labels = [n.label for n in result.workflow[0].nodes]
    assert drawn in labels and left_out not in labels, labels
    assert not any(n.branch for n in result.workflow[0].nodes), "a single remaining mode is no alternative"


def test_a_family_name_without_a_mode_token_keeps_every_branch():
    result = answer_prompt(prompt("It answered a question about my photo. How?", "BLIP"))
    branches = {n.branch for n in result.workflow[0].nodes if n.branch}
    assert branches == {"captioning", "question answering"}


@pytest.mark.parametrize(("question", "name", "said", "unsaid"), [
    ("I showed it a photo of my kitchen and asked how many mugs are on the shelf; it said three. How?",
     "Salesforce/blip-vqa-base", "a written question about the image", "the first words of a caption"),
    ("A caption appeared under my holiday photo saying 'a dog on the beach'. How?",
     "Salesforce/blip-image-captioning-base", "the first words of a caption", "a written question"),
    ("I painted over my ex in a beach photo and the sand and sea filled in. How?",
     "black-forest-labs/FLUX.1-Fill-dev", "a black-and-white mask", "an edit instruction"),
])
def test_a_one_mode_checkpoint_asks_only_for_what_its_mode_takes(question, name, said, unsaid):
    result = answer_prompt(prompt(question, name))
    text = _input_sentence(result)
    assert said in text and unsaid not in text, text
    assert verify(result).ok, verify(result).problems


@pytest.mark.parametrize(("card_id", "name", "kept"), [
    ("bert", "dslim/bert-base-NER", ()),  # its card's question input is "for question answering"
    ("bart", "facebook/bart-large-cnn", ()),  # the candidate labels are "for zero-shot classification"
    ("roberta", "deepset/roberta-base-squad2", ("the question to be answered from the passage, for question answering",)),
    ("insightface", "inswapper_128", ("for face swapping, a photo of the source person whose identity should appear in "
                                      "the target photo",)),
])
def test_a_checkpoint_is_asked_only_for_what_its_own_branches_use(card_id, name, kept):
    assert LIBRARY.by_id[card_id].as_source().card.for_checkpoint(name).user_inputs == kept


MODE_WHY = "predicts only the difference between the degraded and the clean picture"


def _swinir_part_one(question: str, name: str) -> str:
    result = answer_prompt(reference_prompt(question, [(name, None, None), ("Inpainting-CTSDG-Places2", None, None)]))
    assert verify(result).ok, verify(result).problems
    return " ".join(s.text for s in result.task.statements)


def test_why_a_mode_works_is_not_said_for_a_task_of_another_mode():
    part_one = _swinir_part_one("Please make this small photo of our harbour four times larger.",
                                "SISR-SwinIR-Classical-DF2K-64-M-4x")
    assert "How it does this: self-attention inside local windows" in part_one
    assert MODE_WHY not in part_one


def test_why_a_mode_works_opens_an_answer_about_the_task_the_mode_serves():
    part_one = _swinir_part_one("My night photo is grainy. How can AI remove the noise without smearing detail?",
                                "Denoise-SwinIR-Noise25")
    assert part_one.startswith(f"How it does this: for denoising and JPEG repair the network {MODE_WHY[:8]}")


def test_why_a_mode_works_is_said_beside_the_main_task_when_the_question_also_asks_for_its_task(seed_text):
    part_one = " ".join(s.text for s in answer_prompt(seed_text).task.statements)
    assert "self-attention inside local windows" in part_one and MODE_WHY in part_one
