"""What a card says about a source: its stages, its released variants, and how it applies to one checkpoint.

A card describes a model family; a checkpoint's name may narrow it to one mode (``dslim/bert-base-NER`` tags names,
``bart-large-mnli`` judges entailment). This module holds that narrowing: which tasks a checkpoint does, which
branches and user inputs it keeps, and which variant describes it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .naming import carries_token, token_end


class Stage(BaseModel):
    """One processing stage of a model, in the card author's words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    text: str = Field(min_length=1)
    kind: Literal["pre", "model", "post"] = "model"
    id: str | None = None
    after: tuple[str, ...] | None = None
    branch: str | None = None
    tasks: tuple[str, ...] = ()
    why: str | None = None  # for a branch: why this mode works

    def other_mode(self, tasks: set[str]) -> bool:
        """True for a branch of another mode: it serves tasks, none of them in ``tasks``."""
        return bool(self.branch and self.tasks and not tasks & set(self.tasks))


class Variant(BaseModel):
    """What one released variant of a model does, keyed by a token of its name (``Jpeg40``, ``x4``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str = Field(min_length=1)
    text: str = Field(min_length=1)
    tasks: tuple[str, ...] = ()


class Card(BaseModel):
    """Structured facts about a model, written by a person from its paper and repository."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str | None = None
    tasks: tuple[str, ...] = ()
    input: str | None = None
    output: str | None = None
    stages: tuple[Stage, ...] = ()
    variants: tuple[Variant, ...] = ()
    facts: tuple[str, ...] = ()
    library_id: str | None = None
    gist: str | None = None
    why_it_works: tuple[str, ...] = ()
    user_inputs: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # the model's name and aliases: a sentence opening with one keeps its capital

    def variants_in(self, name: str) -> tuple[Variant, ...]:
        """The variants whose token a model of this name carries (``NER`` in ``dslim/bert-base-NER``,
        ``Jpeg40`` in ``Restoration-SwinIR-Jpeg40``)."""
        return tuple(v for v in self.variants if carries_token(name, v.token))

    def tasks_for(self, name: str) -> tuple[str, ...]:
        """The card's tasks that a model of this name does: a variant token naming some of them
        (``NER``, ``sst-2``) narrows the family's tasks to those; otherwise all of them.

        When several tokens name tasks, the one latest in the name decides: names put the base or size
        first and the fine-tuned mode last (``CogVideoX-5b-I2V`` is image-to-video, not both).
        """
        return tuple(dict.fromkeys(t for v in self._mode_variants(name) for t in v.tasks)) or self.tasks

    def _mode_variants(self, name: str) -> list[Variant]:
        """The variants that say the checkpoint's mode: of those naming tasks, the ones latest in the name."""
        naming = [(token_end(name, v.token), v) for v in self.variants_in(name) if v.tasks]
        last = max((end for end, _ in naming), default=-1)
        return [v for end, v in naming if end == last]

    def mode_text(self, name: str) -> str | None:
        """The variant text of a checkpoint narrowed away from the task the gist describes (``bart-large-mnli``
        judges entailment; BART's gist writes summaries), else None."""
        modes = self._mode_variants(name)
        narrowed = {t for v in modes for t in v.tasks}  # what ``tasks_for`` gives when a mode variant is carried
        return max(v.text for v in modes) if modes and self.tasks and self.tasks[0] not in narrowed else None

    def for_checkpoint(self, name: str) -> "Card":
        """The card as it applies to the checkpoint ``name``: when a variant token narrows its tasks
        (``speecht5_tts``), the branches that serve none of them, and the stages fed only by them, are
        left out, and a single remaining branch is drawn as the plain path it then is; so are the user
        inputs meant for other modes. A card whose branches leave nothing for the checkpoint (no branch
        for its task) keeps all its stages."""
        tasks = set(self.tasks_for(name))
        if tasks == set(self.tasks):
            return self
        card = self.model_copy(update={"user_inputs": self._inputs_for(name)})
        return card._stages_for(tasks)

    def _inputs_for(self, name: str) -> tuple[str, ...]:
        """What the user supplies to the checkpoint ``name``: an input that names a mode token ("for Fill, a
        mask") belongs to the checkpoints carrying one of the tokens it names, and one that names a branch serving
        none of its tasks ("the question ..., for question answering" for a NER checkpoint) to none."""
        modes, tasks = [v.token for v in self.variants if v.tasks], set(self.tasks_for(name))
        carried = {v.token for v in self.variants_in(name)}
        others = [s.branch.lower() for s in self.stages if s.other_mode(tasks)]
        named = [({t for t in modes if carries_token(text, t)}, text) for text in self.user_inputs]
        return tuple(text for tokens, text in named if (not tokens or tokens & carried)
                     and not any(branch in text.lower() for branch in others))

    def _stages_for(self, tasks: set[str]) -> "Card":
        """The card without the branches that serve none of ``tasks`` (see ``for_checkpoint``)."""
        ids = [self.stage_id(position) for position in range(len(self.stages))]
        parents = [self.stage_parents(position) for position in range(len(self.stages))]
        dropped: set[str] = set()
        for position, stage in enumerate(self.stages):
            if stage.other_mode(tasks) or all(p in dropped for p in parents[position]):
                dropped.add(ids[position])
        # A stage that fed only dropped stages (the -cls model skips the detector's neck) goes too.
        for position in reversed(range(len(self.stages))):
            fed = {ids[child] for child in range(len(self.stages)) if ids[position] in parents[child]}
            if fed and fed <= dropped:
                dropped.add(ids[position])
        kept = [position for position in range(len(self.stages)) if ids[position] not in dropped]
        if not any(self.stages[position].kind == "model" for position in kept):
            return self
        single = len({self.stages[position].branch for position in kept if self.stages[position].branch}) < 2
        stages = tuple(self.stages[position].model_copy(update={
            "id": ids[position], "after": tuple(p for p in parents[position] if p not in dropped),
            **({"branch": None, "tasks": ()} if single else {})}) for position in kept)
        return self.model_copy(update={"stages": stages})

    def branches_serving(self, *task_ids: str | None) -> tuple[Stage, ...]:
        """The branch stages (alternative modes) the card says serve any of ``task_ids``, in card order."""
        return tuple(s for s in self.stages if s.branch and set(task_ids) & set(s.tasks))

    def stage_id(self, position: int) -> str:
        """The id of stage ``position``: its own, else 'stage' and its 1-based position."""
        return self.stages[position].id or f"stage{position + 1}"

    def stage_parents(self, position: int) -> tuple[str, ...]:
        """Ids of what feeds stage ``position``: its ``after``, else the stage before it, else 'input'."""
        stage = self.stages[position]
        if stage.after is not None:
            return stage.after
        if position == 0:
            return ("input",)
        return (self.stage_id(position - 1),)
