"""Small text utilities shared by lexical scoring, task cues and grounding checks."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
_SUFFIXES = ("ings", "ing", "edly", "ed", "ers", "er", "ies", "es", "s", "ly", "e", "y")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does doing done for from had has have how i if in into is it its
    it's just like me my of on or our out so some such than that the their them then there these they this those to too up
    us was we were what when where which while who why will with would you your yours about after again all also am any
    because before being both each even ever few get got how's i'm i've more most much no nor not now off once only other
    over own same should still very way what's ai model models image images photo photos picture pictures""".split()
)
_SCALE_TOKEN = re.compile(r"x(\d{1,2})|(\d{1,2})x")


def normalize(text: str) -> str:
    """Lowercase, NFKC-fold and spell the multiplication sign as x, so '4×' and '4x' meet."""
    text = unicodedata.normalize("NFKC", text).replace("×", "x").replace("’", "'").replace("‘", "'")
    return text.lower()


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A deliberately crude suffix stripper: enough to make 'enlarged', 'enlarge' and 'enlarging' meet.

    Scale tokens are canonicalised too, so 'x4' in a model name meets '4x' in a question.
    """
    scale = _SCALE_TOKEN.fullmatch(word)
    if scale:
        return f"{scale.group(1) or scale.group(2)}x"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou0123456789":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lowercase word tokens of ``text`` (numbers and 'x4'-style tokens included)."""
    return _WORD.findall(normalize(text))


def stems(text: str, drop_stopwords: bool = False) -> list[str]:
    """Stemmed word tokens, optionally without stopwords."""
    return [stem(w) for w in words(text) if not (drop_stopwords and w in STOPWORDS)]


@lru_cache(maxsize=4096)
def numbers(text: str) -> frozenset[str]:
    """Every number written in digits in ``text``, canonicalised ('4.0' -> '4', '08' -> '8')."""
    return frozenset(canonical_number(raw) for raw in re.findall(r"\d+(?:\.\d+)?", unicodedata.normalize("NFKC", text)))


@lru_cache(maxsize=4096)
def stem_set(text: str) -> frozenset[str]:
    """The distinct stems of a (source) text, without stopwords; cached, as sources are read again and again."""
    return frozenset(stems(text, drop_stopwords=True))


def canonical_number(raw: str) -> str:
    """'4.0' -> '4', '08' -> '8', '2.50' -> '2.5'."""
    if "." in raw:
        raw = raw.rstrip("0").rstrip(".")
    return raw.lstrip("0") or "0"


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences on terminal punctuation followed by a capital, digit or quote."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])", text)
    return [p.strip() for p in parts if p.strip()]


# Words that already determine a noun phrase: "the corrected text", "two overlapping photos", "a 3D object".
_DETERMINERS = frozenset(
    "a an the this that these those its their his her your my our one two three several many some any every each".split())
# Where a noun phrase's head ends: "past values| of a series", "pictures| of normal items, and ...".
_HEAD_END = re.compile(r",| of | and | with | to | in | for | by | per |\s*\(")


def with_article(phrase: str) -> str:
    """The phrase with the indefinite article it takes: 'a low-resolution image', 'an artifact-free image';
    none for a phrase that has its own determiner ('the corrected text', 'two photos') or a plural head
    ('keypoint skeletons', 'past values of a series')."""
    words = phrase.split()
    if not words or words[0].lower() in _DETERMINERS:
        return phrase
    head = _HEAD_END.split(phrase, maxsplit=1)[0].split() or words
    last = head[-1].lower()
    if last.endswith("s") and not last.endswith(("ss", "us", "is")):
        return phrase
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase
