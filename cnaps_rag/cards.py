"""The model knowledge library: curated cards, one file per model family, in ``corpus/cards/``.

A recommender usually lists a model by name and links only. A card is what cnaps_rag knows about
that model family, written by a person from its paper and official README: its tasks, what goes
in (including what the user supplies besides the data: a click, a mask, a prompt), what comes
out, its stages as a graph (alternative modes are branches), what each variant token in a model
name changes, a plain-words gist and the mechanisms that explain what users notice.

A card matches a listed model only on something specific to it: a name pattern, its GitHub
repository, its Hugging Face repository or its arXiv id. When several cards match, the most
specific match wins (see ``resolve``); ``cards_check`` finds the conflicts.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Iterable, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import CorpusError
from .files import default_corpus_dir, read_json
from .source_card import Card, Stage, Variant
from .sources import Source, arxiv_id, check_url


MatchKind = Literal["name", "pattern", "huggingface", "github", "arxiv"]

GIST_MAX_WORDS = 40  # the limit: a gist is read in one breath
PATTERN_MIN_LITERALS = 4  # a name pattern with fewer literal characters would match unrelated models
# How strongly each kind of match identifies a family; within a kind, longer literal text wins.
MATCH_STRENGTH: dict[str, int] = {"name": 5000, "pattern": 1000, "huggingface": 800, "github": 600, "arxiv": 400}
_ARXIV = re.compile(r"^\d{4}\.\d{4,5}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class CardStage(Stage):
    """One stage of a model's workflow, as a card author writes it: a ``Stage`` with an id that ``after`` (the stages,
    or ``input``, that feed it) can name, and texts that say something."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=10)
    tasks: tuple[str, ...] = Field((), description="for a branch: the tasks this mode serves (image-to-image for editing)")
    why: str | None = Field(None, min_length=10, description="for a branch: why this mode works, said in part 1 only "
                            "when the mode serves what the question asks (SwinIR's residual learning for denoising)")


class CardVariant(Variant):
    """What a token in a released model's name changes (``x4``, ``Jpeg40``, ``Noise25``, ``tiny``), as a card author
    writes it: a ``Variant`` whose text says something.

    ``tasks`` narrows the family's tasks for a checkpoint fine-tuned for some of them: ``NER``
    in ``dslim/bert-base-NER`` makes that BERT a named-entity tagger, not also a classifier.
    """

    text: str = Field(min_length=5)


class CardInput(BaseModel):
    """What goes into the model: the data, and what the user supplies besides it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data: str = Field(min_length=3)
    user: tuple[str, ...] = ()


class ModelCard(BaseModel):
    """Curated facts about one model family, each traceable to its paper or official README."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    title: str | None = None
    patterns: tuple[str, ...] = ()
    arxiv: tuple[str, ...] = ()
    paper_url: str | None = None
    github: tuple[str, ...] = ()
    huggingface: tuple[str, ...] = ()
    tasks: tuple[str, ...] = Field(min_length=1)
    input: CardInput
    output: str = Field(min_length=3)
    gist: str = Field(min_length=10)
    why_it_works: tuple[str, ...] = Field(min_length=1, max_length=3)
    stages: tuple[CardStage, ...] = Field(min_length=1)
    variants: tuple[CardVariant, ...] = ()
    facts: tuple[str, ...] = ()
    known_names: tuple[str, ...] = ()
    provenance: dict[str, str] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"must be lowercase letters, digits, '-' and '_', got {value!r}")
        return value

    @field_validator("arxiv")
    @classmethod
    def _check_arxiv(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _ARXIV.match(value):
                raise ValueError(f"an arXiv id looks like '2108.10257' (no version, no URL), got {value!r}")
        return values

    @field_validator("github", "paper_url")
    @classmethod
    def _check_urls(cls, value):  # type: ignore[no-untyped-def]
        for url in ([value] if isinstance(value, str) else list(value or ())):
            check_url(url)  # the same rule as a supplied source's links
        return value

    @field_validator("gist")
    @classmethod
    def _short_gist(cls, value: str) -> str:
        count = len(value.split())
        if count > GIST_MAX_WORDS:
            raise ValueError(f"a gist has at most {GIST_MAX_WORDS} words, this one has {count}")
        return value

    @field_validator("patterns")
    @classmethod
    def _specific_patterns(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if _literal_length(value) < PATTERN_MIN_LITERALS:
                raise ValueError(f"pattern {value!r} is not specific: it needs at least {PATTERN_MIN_LITERALS} literal characters")
        return values

    @model_validator(mode="after")
    def _graph(self) -> "ModelCard":
        ids = [s.id for s in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError(f"stage ids must be unique, got {ids}")
        if "input" in ids or "output" in ids:
            raise ValueError("'input' and 'output' are reserved; name the stages after what they do")
        known = {"input"}
        for stage in self.stages:
            for parent in self.parents(stage):
                if parent not in known:
                    raise ValueError(f"stage {stage.id!r} comes after {parent!r}, which is not an earlier stage or 'input'")
            known.add(stage.id)
        return self

    def parents(self, stage: CardStage) -> tuple[str, ...]:
        """The stages feeding ``stage``: its ``after``, else the stage listed before it (or the input)."""
        if stage.after is not None:
            return stage.after
        position = self.stages.index(stage)
        return ("input",) if position == 0 else (self.stages[position - 1].id,)

    def edges(self) -> list[tuple[str, str]]:
        """(from, to) over input, the stages and output; stages nothing follows feed the output."""
        out = [(parent, stage.id) for stage in self.stages for parent in self.parents(stage)]
        fed = {parent for parent, _ in out}
        out += [(stage.id, "output") for stage in self.stages if stage.id not in fed]
        return out

    def as_source(self) -> Source:
        """The card as a backing Source: cited through the listed model, never shown with links of its own."""
        card = Card(
            title=self.title or self.name, tasks=self.tasks, input=self.input.data, output=self.output,
            stages=tuple(Stage(**{**s.model_dump(), "after": self.parents(s)}) for s in self.stages),
            variants=tuple(Variant(**v.model_dump()) for v in self.variants),
            facts=self.facts, library_id=self.id, gist=self.gist, why_it_works=self.why_it_works,
            user_inputs=self.input.user, names=(self.name, *self.aliases),
        )
        return Source(id="card:" + self.id.replace("_", "-"), kind="model", name=self.name, card=card)

    @cached_property
    def github_keys(self) -> tuple[str, ...]:
        """The card's GitHub links as matching keys (owner/repo[/path], lowercase)."""
        return tuple(k for k in (github_key(u) for u in self.github) if k)


def _literal_length(pattern: str) -> int:
    return len(re.sub(r"\[[^\]]*\]|[*?]", "", pattern))


def github_key(url: str | None) -> str | None:
    """'https://github.com/Owner/Repo/tree/main/x' -> 'owner/repo/tree/main/x'; None for other hosts."""
    if not url:
        return None
    match = re.match(r"^https?://(?:www\.)?github\.com/([^?#]+?)(?:\.git)?/*(?:[?#].*)?$", url.strip(), re.IGNORECASE)
    return match.group(1).lower() if match else None


def huggingface_key(text: str | None) -> str | None:
    """'https://huggingface.co/openai/whisper-small' or 'openai/whisper-small' -> 'openai/whisper-small'."""
    if not text:
        return None
    match = re.match(r"^(?:https?://(?:www\.)?huggingface\.co/)?([\w.-]+/[\w.-]+)/?$", text.strip(), re.IGNORECASE)
    return match.group(1).lower() if match else None


class CardMatch(BaseModel):
    """Which card a model resolved to, on what evidence, and how strong that evidence is."""

    model_config = ConfigDict(frozen=True)

    card_id: str
    kind: MatchKind
    key: str
    strength: int

    def describe(self) -> str:
        """The match in words, for ``cards show`` and the answer's attribution."""
        return {
            "name": f"its name is listed in the card as {self.key!r}",
            "pattern": f"its name matches the card's pattern {self.key!r}",
            "huggingface": f"its Hugging Face repository is {self.key!r}",
            "github": f"its GitHub repository is {self.key!r}",
            "arxiv": f"its paper is arXiv {self.key}",
        }[self.kind]


class CardLibrary:
    """All cards, with lookup by what a listed model supplies (name, GitHub, Hugging Face, arXiv)."""

    def __init__(self, cards: Sequence[ModelCard]) -> None:
        self.cards = tuple(cards)
        self.by_id = {c.id: c for c in self.cards}
        self._sources: dict[str, Source] = {}

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 over every card: part of an index's identity, since cards shape what is indexed."""
        digest = hashlib.sha256()
        for card in sorted(self.cards, key=lambda c: c.id):
            digest.update(card.model_dump_json().encode())
        return digest.hexdigest()

    def backing(self, source: Source) -> "Source | None":
        """The backing Source of the card a listed model resolves to, or None (papers get no card)."""
        if source.kind != "model":
            return None
        found = self.resolve(source.name, paper_url=source.paper_url, github_url=source.github_url,
                             links=[link.url for link in source.links])
        if found is None:
            return None
        card = found[0]
        if card.id not in self._sources:
            self._sources[card.id] = card.as_source()
        return self._sources[card.id]

    def __len__(self) -> int:
        return len(self.cards)

    @cached_property
    def _lookup(self) -> dict[str, dict]:
        """Indexes over the cards: exact names, compiled patterns, repositories and arXiv ids."""
        names: dict[str, list[tuple[ModelCard, str]]] = {}
        github: dict[str, list[tuple[ModelCard, str]]] = {}
        huggingface: dict[str, list[tuple[ModelCard, str]]] = {}
        arxiv: dict[str, list[ModelCard]] = {}
        patterns = []
        for card in self.cards:
            for known in card.known_names:
                names.setdefault(known.lower(), []).append((card, known))
            for key in card.github_keys:
                github.setdefault(key, []).append((card, key))
            for repo in card.huggingface:
                huggingface.setdefault(repo.lower(), []).append((card, repo))
            for ident in card.arxiv:
                arxiv.setdefault(ident, []).append(card)
            for pattern in card.patterns:
                patterns.append((card, pattern, re.compile(fnmatch.translate(pattern.lower()))))
        return {"names": names, "github": github, "huggingface": huggingface, "arxiv": arxiv, "patterns": patterns}

    def matches(self, name: str, *, paper_url: str | None = None, github_url: str | None = None,
                links: Iterable[str] = ()) -> list[CardMatch]:
        """Every card that could describe this model, strongest evidence first."""
        lookup = self._lookup
        found: dict[str, CardMatch] = {}

        def offer(card: ModelCard, kind: MatchKind, key: str, extra: int) -> None:
            match = CardMatch(card_id=card.id, kind=kind, key=key, strength=MATCH_STRENGTH[kind] + extra)
            if card.id not in found or found[card.id].strength < match.strength:
                found[card.id] = match

        lowered = name.strip().lower()
        for card, known in lookup["names"].get(lowered, ()):
            offer(card, "name", known, len(known))
        for card, pattern, compiled in lookup["patterns"]:
            if compiled.match(lowered):
                offer(card, "pattern", pattern, _literal_length(pattern))
        wanted_hf = {k for k in (huggingface_key(u) for u in links) if k}
        if "/" in lowered and huggingface_key(lowered):
            wanted_hf.add(huggingface_key(lowered) or "")
        for repo in wanted_hf:
            for card, key in lookup["huggingface"].get(repo, ()):
                offer(card, "huggingface", key, len(key))
        wanted_github = github_key(github_url)
        if wanted_github:
            parts = wanted_github.split("/")
            for end in range(2, len(parts) + 1):
                prefix = "/".join(parts[:end])
                for card, key in lookup["github"].get(prefix, ()):
                    offer(card, "github", key, len(key))
        wanted_arxiv = arxiv_id(paper_url)
        if wanted_arxiv:
            for card in lookup["arxiv"].get(wanted_arxiv, ()):
                offer(card, "arxiv", wanted_arxiv, 0)
        return sorted(found.values(), key=lambda m: (-m.strength, m.card_id))

    def resolve(self, name: str, **supplied: object) -> tuple[ModelCard, CardMatch] | None:
        """The one card for a listed model (the most specific match), or None when no card fits."""
        matches = self.matches(name, **supplied)  # type: ignore[arg-type]
        if not matches:
            return None
        return self.by_id[matches[0].card_id], matches[0]


def default_cards_dir() -> Path:
    """``cards/`` of the default corpus."""
    return default_corpus_dir() / "cards"


def load_cards(directory: str | os.PathLike[str] | None = None) -> CardLibrary:
    """Load and validate every ``*.json`` card below ``directory`` (default: the corpus's ``cards/``)."""
    root = Path(directory) if directory is not None else default_cards_dir()
    if not root.is_dir():
        return CardLibrary([])
    cards: list[ModelCard] = []
    seen: dict[str, Path] = {}
    for file in sorted(p for p in root.rglob("*.json") if p.is_file()):
        data = read_json(file, "card file")
        try:
            card = ModelCard.model_validate(data)
        except ValidationError as exc:
            details = "; ".join(
                f"field '{'.'.join(map(str, e['loc'])) or 'card'}': {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
            )
            raise CorpusError(f"{file}: {details}") from None
        if card.id in seen:
            raise CorpusError(f"{file}: card id {card.id!r} is already used by {seen[card.id]}")
        seen[card.id] = file
        cards.append(card)
    return CardLibrary(cards)
