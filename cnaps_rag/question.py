"""What a question says about tasks: a probability per task, the cue phrases that fired, the scale asked for.

A lay question rarely names its task ("my thumbnail came out sharp at 4x"). Its probabilities
come from the taxonomy's cue phrases and from embedding similarity to each task's description
and example questions, with the numbers in ``tuning.QuestionTuning``.
"""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel, ConfigDict

from .causes import weigh_causes
from .cues import CueMatcher
from .scale import asks_any_scale, question_scale
from .text import stems, words
from .tasks import SENTENCE_OPENING, Taxonomy
from .tuning import TUNING, QuestionTuning

# "I typed “a castle at dusk”": a quoted phrase handed to the AI means the input is text. A straight single quote
# opens a quote only after a space and before a letter ("typed 'a castle'", not "typed my friend's").
_QUOTED_INPUT = re.compile(
    r"\b(?:typed|typing|type|wrote|write|writing|entered|enter|asked for|requested|request|prompted|put in|gave it|input|used the prompt)"
    r"\b[^\"“‘'.?!]{0,25}(?:[\"“‘]|(?<=\s)'(?=\w))",
    re.IGNORECASE,
)

# "Who actually wrote 'Self-Reliance'?" asks who the author was: nothing was handed over.
_ASKS_WHO = re.compile(r"(?:^|[.!?]\s+)who\s+(?:\w+\s+)?$", re.IGNORECASE)


def _typed_prompt(question: str) -> re.Match[str] | None:
    """Where the question hands a quoted prompt over ("I typed 'a castle at dusk'"), if it does."""
    typed = _QUOTED_INPUT.search(question)
    return None if typed is None or _ASKS_WHO.search(question[:typed.start()]) else typed


# The quoted text itself: what the user typed describes the content, not the task ("a grainy photo at night").
_QUOTED_SPAN = re.compile(r"[\"“][^\"“”]{1,300}[\"”]|‘[^‘’]{1,300}’|(?<!\w)'[^'\n]{1,300}'(?!\w)")


def _quoted_content_blanked(text: str, taxonomy: Taxonomy, tuning: QuestionTuning) -> str:
    """``text`` with its quoted content blanked: a quoted passage of ``quoted_content_words`` or more words is what the
    user hands over (a sentence to read out, an idea for a picture, 'a lighthouse at night'), so its words name no
    task. A short term ('embedding'), a quoted question ('what colour is the sofa?') and a quoted request ('turn it
    into a mosaic painting') still say what is asked."""
    def blank(match: re.Match[str]) -> str:
        quoted = words(match.group(0))
        asked = (len(quoted) < tuning.quoted_content_words or "?" in match.group(0)
                 or quoted[0] in taxonomy.request_verbs)
        return match.group(0) if asked else " " * len(match.group(0))
    return _QUOTED_SPAN.sub(blank, text)


# "traced each cow's outline, not just a rough box", "sends 'person climbing fence' instead of just 'person detected'":
# what follows a contrast, to the end of its clause, is what the user does not ask for, so it holds no cue.
_CONTRAST = re.compile(r"\b(?:rather\s+than|instead\s+of|not\s+just|as\s+opposed\s+to)\b[^,.;:!?]*", re.IGNORECASE)

# "turn my voice memo into text", "from a photo to a 3D model", "uploaded a photo and got back a short
# clip": the direction a question asks for. The connective governs the second data word, so at most two
# words ("to written text", "received a short clip") stand between them; "a photo to twice its size so
# that the small text" names no direction.
_INTO = re.compile(r"\b(?:into|to|as(?!\s+(?:i|you|he|she|it|we|they)\b)|back|got|get|gets|received|receive|returned)\b"
                   r"(?:\s+[\w-]+){0,2}\s*$", re.IGNORECASE)
# "a picture from words alone", "the 3D chair I made from a sentence": the second data word, after 'from' and at most
# two words, is what goes in, and the first, at most four words before 'from' in the same clause, what comes out.
_FROM = re.compile(r"^(?:\s+[\w'-]+){0,4}\s+from(?:\s+[\w'-]+){0,2}\s*$", re.IGNORECASE)

# "I wrote 'make my hair red' on a selfie", "typed 'how many candles?' beside a birthday photo": data the typed prompt
# was written on or about, right after it, was in hand, like data named before the prompt. At most two words ("on my
# old selfie") stand between them.
_WRITTEN_ON = re.compile(r"^[\s,]*(?:on|onto|over|beside|next\s+to|alongside|about|under)(?:\s+[\w'-]+){0,2}\s*$",
                         re.IGNORECASE)

# Data in hand: "this photo", "my old recordings", "the attached scan", "here's a picture". Not "that picture": as often
# it is the one that came out.
_IN_HAND = re.compile(
    r"\b(?:this|these|my|our|your|his|her|their|attached|uploaded|here's an?|here is an?|here are)"
    r"\s+(?:[\w'-]+\s+){0,2}$",
    re.IGNORECASE,
)


# A request: a sentence that opens with a request verb ("Summarize this email", "Please sort these reviews",
# "Researcher: outline ..."), or asks "can you ..." or "can it ..." with one.
_OPENING = re.compile(SENTENCE_OPENING + r"(?:(?:can|could|would|will)\s+(?:you|it)\s+(?:please\s+)?)?([a-z]+)\b",
                      re.IGNORECASE)
# Something handed to the machine the question calls "it" ("I gave it the minutes", "I fed it my diary"), or how "it"
# works ("How does it tell ...").
_HANDED_TO_IT = re.compile(r"\b(?:gave|give|fed|feed|handed|showed|passed|pasted|uploaded|dropped)\s+it\b"
                           r"|\bhow\s+(?:does|did|do|can|could|would|will)\s+it\b", re.IGNORECASE)


def hands_over(question: str, taxonomy: Taxonomy) -> bool:
    """True when the question addresses a machine: it names one ("the app"), requests something of it with a verb
    the taxonomy's example requests open with ("Summarize this email", "Can you sort these reviews"), or says what
    was handed to "it"."""
    return (names_a_machine(question, taxonomy) or _HANDED_TO_IT.search(question) is not None
            or any(m.group(1).lower() in taxonomy.request_verbs for m in _OPENING.finditer(question)))


def _data_words(text: str, taxonomy: Taxonomy) -> list[tuple[int, int, str]]:
    """(start, end, modality) of every taxonomy modality word in ``text``, documents aside; a word counts in its
    plain plural too ("MRI scans", "my voice memos"), but not in '-es' ("speeches" are as often texts as sounds). A
    word joined to the next by a hyphen names a style or a kind of tool, not data ("a movie-style portrait", "a
    photo-real look", "picture-making apps")."""
    documents = {d.lower() for d in taxonomy.documents}
    return list(dict.fromkeys((m.start(), m.end(), modality) for modality, name, pattern in taxonomy.modality_patterns
                              for m in pattern.finditer(text)
                              # a plural the taxonomy lists as a document ('articles') is read as one (modality_words)
                              if m.group(0).lower() == name.lower() or m.group(0).lower() not in documents))


def modality_words(question: str, taxonomy: Taxonomy) -> list[tuple[int, int, str]]:
    """(start, end, modality) of every taxonomy modality word in the question ('photo' -> image), in order.

    A document ("this email", "my contract") names text only when it is in hand and the question hands it over
    (``hands_over``): "Is this clause in my lease legal?" asks a person, "Summarize this lease" a machine. One
    named with another kind of data ("voice message", "video review") is that kind's."""
    words = _data_words(question, taxonomy)
    documents = [m for pattern in taxonomy.document_patterns for m in pattern.finditer(question)]
    if documents and hands_over(question, taxonomy):
        ends = {end for _, end, _ in words}
        handed = [m.end() for m in _HANDED_TO_IT.finditer(question)]
        words += [(m.start(), m.end(), "text") for m in documents if m.start() - 1 not in ends
                  and (_IN_HAND.search(question[:m.start()]) or any(
                      end <= m.start() and _one_sentence(question[end:m.start()]) for end in handed))]
    return sorted(words)


def names_a_machine(question: str, taxonomy: Taxonomy) -> bool:
    """True when the question names the kind of machine it is about ("the app", "an AI tool")."""
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", question, re.IGNORECASE) for word in taxonomy.machines)


def _one_sentence(between: str) -> bool:
    """True when no sentence ends in ``between``: a direction, or a document handed to "it", joins words of one
    sentence."""
    return re.search(r"[.?!]", between) is None


def question_direction(question: str, words: list[tuple[int, int, str]],
                       span: int = TUNING.question.direction_span) -> tuple[str, str] | None:
    """(input modality, output modality) when the question says it turns one into another, else None.

    Reads the question's modality ``words`` (``modality_words``) in order: a modality word, then
    'into'/'to'/'as' at most two words before a different modality word later in the same sentence
    ("my voice memo ... into text"), or 'from' between a data word and the next one, which goes in
    ("a picture from words alone").
    """
    for i, (_, end, first) in enumerate(words):
        for j, (start, _, second) in enumerate(words[i + 1:], start=i + 1):
            between = question[end:start]
            if second == first or not _one_sentence(between) or len(between) > span:
                continue
            if _INTO.search(between):
                return first, second
            # 'from' joins a data word only to the one right before it: in "a stereo 3D image from one photo" the
            # image comes from the photo, and '3D' is no output.
            if j == i + 1 and _FROM.match(between):
                return second, first
    return None


def held_direction(question: str, words: list[tuple[int, int, str]]) -> tuple[str, str] | None:
    """(held kind, asked kind) when data the question says is in hand ("Here's a voice memo") is asked for later in
    the same sentence as another kind of data ("...; please write out everything I said as text"), however long the
    clause between: what is in hand is what goes in, so ``direction_span`` need not join the two."""
    for _, end, held in _held_words(question, words):
        for later, _, asked in words:
            between = question[end:later]
            if later > end and asked != held and _one_sentence(between) and _INTO.search(between):
                return held, asked
    return None


def _held_data(question: str, typed: re.Match[str] | None, words: list[tuple[int, int, str]]) -> frozenset[str]:
    """The kinds of data (not text) in hand beside a typed prompt: named before it ("I took a photo and typed 'how
    many bottles?'"), what it was written on ("... on a selfie") or data the question says is in hand ("... around
    those things in my kitchen photo"). The input is that data with the typed text, not what comes out. None without
    a typed prompt."""
    if typed is None:
        return frozenset()
    prompt = _QUOTED_SPAN.match(question, typed.end() - 1)
    after = prompt.end() if prompt is not None else None
    in_hand = _in_hand(question, words)
    return frozenset(m for start, _, m in words if m != "text" and (
        start < typed.start() or (after is not None and start >= after and _WRITTEN_ON.match(question[after:start]))
        or m in in_hand))


def _naming_held_data(text: str, found: list[tuple[int, str, float]], matcher: CueMatcher,
                      taxonomy: Taxonomy) -> list[tuple[int, str, float]]:
    """``found`` less the cue matches that only name data in hand, for tasks that do not take that kind of data.

    In "Here's a tiny picture of my nephew's poster; please make it larger" the cue 'picture of' names the picture the
    user holds, not one to be made from text, and 'draw' read from "my crayon drawing" names a drawing. A cue names the
    held word when it opens with that word, or names no data at all: 'read aloud' in "Read this paragraph aloud" names
    no audio in hand, and 'text to speech' in "Convert this text to speech" names the text it takes."""
    kept = list(found)
    for start, end, modality in _held_words(text, _data_words(text, taxonomy)):
        remaining = matcher.match(text[:start] + " " * (end - start) + text[end:])
        held = stems(text[start:end])
        for match in found:
            if match in remaining:
                remaining.remove(match)
                continue
            named = _data_words(match[1], taxonomy)
            if named and (named[0][0] > 0 or stems(match[1][:named[0][1]]) != held):
                continue
            if modality not in taxonomy.tasks[match[0]].inputs and match in kept:
                kept.remove(match)
    return kept


def _held_words(question: str, words: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The data ``words`` that the question says are in hand, wherever it names them ("boxes around the mugs in my
    kitchen photo")."""
    return [word for word in words if _IN_HAND.search(question[:word[0]])]


def _in_hand(question: str, words: list[tuple[int, int, str]]) -> frozenset[str]:
    """The kinds of data the question says are in hand (``_held_words``)."""
    return frozenset(m for _, _, m in _held_words(question, words))


# "Create a gloomy portrait of a violinist in a foggy alley": a request, in the question's own words, to make
# something new is itself a typed prompt when no data is in hand ("foggy" asks for no fog to be removed, and "paint me
# a stormy sea" for no photo to be restyled); so is the user's own description ("I described a misty forest", "here's
# my rough description", "I wrote a simple description of my dream kitchen") and the user's own unquoted request ("I
# asked for a sports car in a studio"), typed ("type the description", "typing a few words") or made from ("created
# from short descriptions"). A verb of picture-making ("paint", "draw") says a picture comes out.
_DESCRIBED = re.compile(
    r"(?:^|(?<=[.!?;:]))\s*(?:(?:please|now|could you|can you|would you)\s+)?"
    r"(?:(?P<picture>paint|draw|illustrate|sketch)|create|make|generate|design|render|produce|imagine|compose)\s+"
    r"(?:me\s+|us\s+)?(?:a|an|some|several|one|two|three|four|five|six)\b"
    r"|\b(?:I|we)\s+described\b|\bby\s+describing\b|\b(?:my|our)\s+(?:\w+\s+)?description\b"
    r"|\b(?:I|we)\s+(?:wrote|gave|used)\s+(?:it\s+)?(?:a|an|my|our)\s+(?:[\w-]+,?\s+){0,2}(?:description|prompt)\b"
    r"|\b(?:type[sd]?|typing|enter(?:s|ed|ing)?|put\s+in)\s+(?:a|an|the|my|our|his|her|their|some)\s+(?:[\w-]+,?\s+){0,2}"
    r"(?:description|prompt|sentence|phrase|words)s?\b"
    r"|\bfrom\s+(?:(?:a|an|the|this|these|my|our|some|written|typed|short|simple)\s+){0,2}(?:description|prompt|sentence)s?\b"
    r"|\b(?:I|we)\s+asked\s+(?:it\s+|the\s+\w+\s+)?for\s+(?:a|an|some)\b",
    re.IGNORECASE,
)
_PICTURE = "image"  # the taxonomy modality a picture-making verb's request gives


def _described_request(question: str, words: list[tuple[int, int, str]]) -> re.Match[str] | None:
    """The request to make something from a description in the question itself, or the mention of the user's own
    description, when no data the question names is in hand; None otherwise. Text in hand ("my aunt typed") is
    the description itself."""
    return None if _in_hand(question, words) - {"text"} else _DESCRIBED.search(question)


class QuestionAnalysis(BaseModel):
    """What a question says about tasks: a probability per task, the cues that fired, the scale asked for."""

    model_config = ConfigDict(frozen=True)

    question: str
    task_ids: tuple[str, ...]
    probabilities: tuple[float, ...]
    similarities: tuple[float, ...]
    cues: dict[str, tuple[str, ...]]
    scale: float | None = None
    scale_text: str | None = None
    text_input: bool = False
    direction: tuple[str, str] | None = None
    modalities: tuple[str, ...] = ()
    names_a_machine: bool = False  # it says "AI", "app", "tool"... (``Taxonomy.machines``)
    # What goes in, when the question says so beyond doubt: a typed prompt or the user's own request that names no
    # other data outside its quotes ("I asked for 'a blurry, dreamy shot'"). Other data named beside a prompt may
    # be what went in or what came out ("I wrote 'make it candy art' and the photo exploded with colour"), so then
    # nothing is said. Empty otherwise.
    given: tuple[str, ...] = ()
    # Tasks whose defects the question names beside another task's action ("a grainy photo enlarged 4x"), with
    # the probability each would have had without that action: a second task the question may ask for.
    input_defects: dict[str, float] = {}

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable tasks with their probabilities."""
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(self.task_ids[i], float(self.probabilities[i])) for i in order]

    def asks_for(self, task_id: str, floor: float) -> bool:
        """True when the question asks for the task: its probability reaches ``floor``, or would have without
        another task's action when the question names its defects ("enlarge a grainy photo": denoising)."""
        probability = self.probabilities[self.task_ids.index(task_id)]
        return probability >= floor or self.input_defects.get(task_id, 0.0) >= floor

    def asks_for_scale(self, scale: float | None) -> bool:
        """True when the question asks for an enlargement factor and ``scale`` (from a model's name) is it."""
        return self.scale is not None and scale is not None and abs(self.scale - scale) < 1e-6

    @property
    def has_cues(self) -> bool:
        """True when the question speaks in task terms: a taxonomy phrase, an enlargement factor or a quoted prompt."""
        return any(self.cues.values()) or self.scale is not None or self.text_input


def analyze_question(question: str, taxonomy: Taxonomy, question_vector: np.ndarray, task_vectors: np.ndarray,
                     tuning: QuestionTuning = TUNING.question) -> QuestionAnalysis:
    """Score every task for ``question`` from its cue phrases and its embedding similarity to each task."""
    similarities = taxonomy.task_similarity(task_vectors @ question_vector, tuning.example_neighbours)
    matcher = taxonomy.matcher(tuning)
    typed = _typed_prompt(question)
    words = modality_words(question, taxonomy)
    described = _described_request(question, words) if typed is None else None
    text_input = typed is not None or described is not None
    # A typed prompt's own words are content ("a grainy photo at night"), so cues and data kinds are
    # read from the rest of the question.
    own_words = _QUOTED_SPAN.sub(" ", question) if typed is not None else question
    held = _held_data(question, typed, words)
    asked_words = _CONTRAST.sub(lambda m: " " * len(m.group(0)), _quoted_content_blanked(own_words, taxonomy, tuning))
    found = _naming_held_data(asked_words, matcher.match(asked_words), matcher, taxonomy)
    # "blurred due to noise": the cause names the task, and its symptom's cue counts little (``causes``).
    found, causes = weigh_causes(asked_words, found, matcher, taxonomy, tuning.defect_share)
    if text_input:
        # The input is the prompt and the data in hand beside it, so only tasks needing nothing more can be asked:
        # "why did it lean so dark?" about a picture made from a typed prompt asks for no dark photo to be brightened.
        askable = taxonomy.needs_only_mask(held)
        found = [match for match in found if askable[match[0]]]
    scale, scale_text = question_scale(question, tuning.max_scale)
    logits = similarities / tuning.task_temperature
    direction = question_direction(question, words, tuning.direction_span) or held_direction(question, words)
    pictured = described is not None and described.group("picture") is not None
    # A quoted prompt is text handed over, whether or not a data word says so ("my request for 'a girl in a garden'"),
    # and a request to paint or draw names a picture ("Paint a sunrise over a lily pond").
    modalities = tuple(dict.fromkeys([*(modality for _, _, modality in words), *(["text"] if typed else []),
                                      *([_PICTURE] if pictured else [])]))
    own = words if own_words is question else modality_words(own_words, taxonomy)
    named_in_prompt = {m for _, _, m in words} - {m for _, _, m in own}  # data words only inside the typed prompt
    if text_input:
        logits = logits + tuning.text_input_bonus * taxonomy.typed_input_mask(held)
    made = {m for _, _, m in own if m != "text"} - held
    if direction is None and text_input and len(made) == 1:
        # "I typed 'a castle at dusk' and got a picture": the typed prompt goes in, the one other kind of
        # data the question names, and did not name as given before it, comes out.
        direction = ("text", made.pop())
    elif direction is None and not made and pictured:
        direction = ("text", _PICTURE)
    if direction is not None:
        logits = logits + tuning.direction_bonus * taxonomy.direction_mask(*direction)
    # A size of the asker's choosing beside an enlargement asks for any scale ("scaled it to a custom resolution").
    chosen_size = asks_any_scale(question, scale, any(taxonomy.tasks[column].scales for column, _, _ in found))

    def probabilities_of(matches: list[tuple[int, str, float]]) -> np.ndarray:
        # Cues are a prior beside the example vote, not a veto over it: a cue phrase counts only for tasks
        # whose examples the question also resembles, so "how far" in a question about how far every
        # pixel moved between two frames does not make it depth estimation.
        # An action the question says was done ("I enlarged ...") is no such word, nor a defect named as the cause
        # of another ("due to noise"): it counts however far the question's examples are.
        action = [phrase in taxonomy.tasks[c].actions or (c, phrase) in causes for c, phrase, _ in matches]
        acts = matcher.total([m for m, a in zip(matches, action) if a])
        rest = matcher.total([m for m, a in zip(matches, action) if not a])
        cue_scores = acts + rest * (similarities.max() - similarities <= tuning.cue_gap)
        if scale is not None:
            cue_scores = cue_scores + tuning.scale_cue * taxonomy.scale_cue_mask(scale)
        if chosen_size:
            cue_scores = cue_scores + tuning.scale_cue * taxonomy.any_scale_mask
        scored = logits + tuning.cue_weight * (1.0 - np.exp(-cue_scores))
        out = np.exp(scored - scored.max())
        return out / out.sum()

    probabilities = probabilities_of(found)
    # Action before condition: when the question says what was done ("enlarged ... by 3x"), the defects it
    # names of other tasks ("heavily compressed") describe its input and count for little in which task
    # leads; what those tasks would have without the action is kept, for a second task the question asks for.
    acted = taxonomy.acted_on(found, scale)
    defects = [not acted[column] and phrase in taxonomy.tasks[column].defects for column, phrase, _ in found]
    input_defects: dict[str, float] = {}
    if acted.any() and any(defects):
        input_defects = {taxonomy.ids[column]: float(probabilities[column])
                         for (column, _, _), defect in zip(found, defects) if defect}
        probabilities = probabilities_of([(column, phrase, weight * tuning.defect_share if defect else weight)
                                          for (column, phrase, weight), defect in zip(found, defects)])
    cues: dict[str, list[str]] = {}
    for column, phrase, _ in found:
        bucket = cues.setdefault(taxonomy.ids[column], [])
        if phrase not in bucket:
            bucket.append(phrase)
    return QuestionAnalysis(
        question=question,
        task_ids=tuple(taxonomy.ids),
        probabilities=tuple(float(p) for p in probabilities),
        similarities=tuple(float(s) for s in similarities),
        cues={k: tuple(v) for k, v in cues.items()},
        scale=scale,
        scale_text=scale_text,
        text_input=text_input,
        direction=direction,
        modalities=modalities,
        input_defects=input_defects,
        names_a_machine=names_a_machine(question, taxonomy),
        # What goes in is read outside a typed prompt: "I asked for 'a blurry, dreamy shot of city lights'" hands over
        # text only, although its words name a picture.
        given=("text",) if text_input and set(modalities) - named_in_prompt <= {"text"} else (),
    )
