"""The Category-Architecture-Variant naming convention of model catalogs, parsed.

``Restoration-SwinIR-Jpeg40`` is the SwinIR architecture in the Restoration category, variant
Jpeg40 (JPEG quality 40); ``SISR-CARN-M-4x`` is CARN-M for super-resolution at scale 4;
``Denoise-SwinIR-Noise25`` denoises at noise level 25. Names that are prose (paper titles) parse
to no category at all.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from .tasks import Setting

_SCALE = re.compile(r"^(?:x(\d{1,2})|(\d{1,2})x)$", re.IGNORECASE)


class ModelName(BaseModel):
    """What a convention-following model name says: category, architecture, variant tokens and settings."""

    model_config = ConfigDict(frozen=True)

    raw: str
    category: str | None = None
    architecture: str | None = None
    variant: tuple[str, ...] = ()
    scale: int | None = None
    levels: dict[str, int] = {}
    meanings: tuple[tuple[str, str], ...] = ()

    @property
    def follows_convention(self) -> bool:
        """True when the name looked like Category-Architecture[-Variant]."""
        return self.category is not None

    def settings(self) -> list[tuple[str, str]]:
        """(token, meaning) for each setting the name encodes, e.g. ('Jpeg40', 'JPEG quality 40')."""
        return list(self.meanings)

    @property
    def setting_tokens(self) -> frozenset[str]:
        """The variant tokens that are settings (scales and released levels: 'x4', 'jpeg40'), lower case: they have
        their own scores and notes, while the other tokens name a version a card describes ('DeHaze')."""
        return frozenset(token.lower() for token, _ in self.meanings)


def parse_model_name(name: str, categories: Iterable[str] = (), settings: Iterable["Setting"] = ()) -> ModelName:
    """Parse ``name``; ``categories`` lists multi-token category labels to recognise (e.g. 'SISR Any'),
    ``settings`` the taxonomy's released-level settings whose tokens the variant may carry (Jpeg40)."""
    raw = name.strip()
    if not raw or re.search(r"\s", raw) or "-" not in raw:
        return ModelName(raw=raw)
    tokens = [t for t in raw.split("-") if t]
    if len(tokens) < 2 or not re.match(r"^[A-Za-z][A-Za-z0-9]*$", tokens[0]):
        return ModelName(raw=raw)
    known = {c.lower().replace(" ", "-") for c in categories}
    take = 1
    for n in range(len(tokens) - 1, 1, -1):
        if "-".join(tokens[:n]).lower() in known:
            take = n
            break
    category = "-".join(tokens[:take])
    rest = tokens[take:]
    if rest and rest[0].lower() == "huggingface":
        rest = rest[1:]
        architecture = "/".join(rest[:2]) if len(rest) >= 2 else (rest[0] if rest else None)
        variant: list[str] = []
    else:
        architecture = rest[0] if rest else None
        variant = rest[1:]
    scale = None
    levels: dict[str, int] = {}
    meanings: list[tuple[str, str]] = []
    known_settings = list(settings)
    for token in variant:
        if (m := _SCALE.match(token)) is not None:
            scale = int(m.group(1) or m.group(2))
            meanings.append((token, f"scale {scale}"))
            continue
        for setting in known_settings:
            if (m := setting.pattern.match(token)) is not None:
                levels[setting.name] = int(m.group(1))
                meanings.append((token, f"{setting.meaning} {m.group(1)}"))
                break
    return ModelName(raw=raw, category=category, architecture=architecture, variant=tuple(variant),
                     scale=scale, levels=levels, meanings=tuple(meanings))


def name_words(name: str) -> str:
    """A name split into words for embedding and lexical matching: 'SISR-CARN-M-4x' -> 'SISR CARN M 4x'."""
    spaced = re.sub(r"[-_/]+", " ", name)
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", spaced)
    return re.sub(r"\s+", " ", spaced).strip()


def token_end(name: str, token: str) -> int:
    """Where ``token`` ends in ``name`` as a whole word or hyphenated run (its last occurrence), or -1 when
    ``name`` does not carry it (see ``carries_token``)."""
    found = list(re.finditer(rf"(?<![a-z0-9]){re.escape(token.lower())}(?![a-z0-9])", name.lower()))
    return found[-1].end() if found else -1


def carries_token(name: str, token: str) -> bool:
    """True when ``token`` stands in ``name`` as a whole word or hyphenated run (``sst-2`` in
    ``distilbert-base-uncased-finetuned-sst-2-english``, ``NER`` in ``dslim/bert-base-NER``), not
    inside a longer word (``Real`` is not in ``RealESRGAN``). Case does not matter."""
    return token_end(name, token) >= 0
