"""Every hand-set number of cnaps_rag, named, with a line on what it does, in one place.

``Tuning`` holds what shapes results: the fusion weights, the question analysis, the variant
fit, the abstention thresholds and how an answer is assembled. Its ``index`` part (``IndexRecipe``)
shapes what is stored in an index, so its fingerprint is written into every index manifest: change
one of those numbers and saved indexes are rebuilt. ``Limits`` bounds inputs and resources; it
changes no result and is not fingerprinted.

Numbers marked *tuned* were set on the CNAPS Query1 questions and are re-fit per fold by
``cnaps-rag eval --cv``; the others are design choices whose reason is given.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Weights(_Frozen):
    """How much each ranking signal counts in the fused score (*tuned*; see ``ranking.signals``)."""

    dense: float = Field(1.0, description="cosine of question and source vectors; the reference scale")
    lexical: float = Field(2.4, description="BM25 normalised by the question's total idf (exact names, 'x4', 'JPEG')")
    task: float = Field(0.2, description="question task probabilities dotted with the source's task affinities")
    direction: float = Field(0.5, description="the source's labelled task turns what the question gives into what it asks for (or the reverse)")
    name: float = Field(0.5, description="the question names the source (distinctive name token)")
    variant: float = Field(0.2, description="settings in the source's name (x4, Jpeg40) fit the question")
    prior: float = Field(0.1, description="log family size: breaks near-ties toward families a catalog covers widely")
    model: float = Field(0.2, description="fixed bonus for models over papers: the product recommends models")


class QuestionTuning(_Frozen):
    """How a question becomes a probability over tasks."""

    task_temperature: float = Field(0.08, description="softmax temperature on question-task cosine (*tuned*)")
    cue_weight: float = Field(4.0, description="logit added by a saturated cue match (1 - exp(-cue score)) (*tuned*)")
    scale_cue: float = Field(4.0, description="cue score an enlargement factor ('4x') gives its tasks")
    defect_share: float = Field(0.25, description="share of its weight a defect cue ('blocky') keeps for its task when the question names another task's action ('enlarged'), as the defect describes the input; 0 and 0.25 tie on catalog Query1 (0.804) and 0.5 loses one, and 0.25 keeps a defect some evidence (*tuned*)")
    text_input_bonus: float = Field(2.0, description="logit added to text-input tasks when the question quotes a typed prompt or asks, with no data in hand, for something to be made from its own description")
    quoted_content_words: int = Field(3, description="a quoted passage this many words long or longer, neither a question nor a request, is content handed over ('Hello, the weather is sunny today.'), so its words name no task; two-word terms ('memory bank', 'dog barking') are what the question is about")
    separable_object: int = Field(8, description="most words between the two words of a separable verb phrase ('make this small photo of my cat bigger', 'blow it up'): an object noun phrase, not a clause")
    direction_span: int = Field(60, description="most characters between two data words that a direction ('my voice memo ... into text') may join: a clause, not the whole question")
    direction_bonus: float = Field(2.0, description="logit added to tasks turning the modality the question names into the one it asks for")
    cue_gap: float = Field(0.12, description="a cue other than an action counts only for tasks whose example similarity is within this of the best task's: 0.08 and 0.12 tie on the blind well-known prompts (43/50 vs 38/50 without), 0.12 leaves the rewritten prompts unchanged; the CV is flat")
    phrase_length_bonus: float = Field(0.5, description="extra cue weight per extra word: longer phrases are more specific")
    keyword_discount: float = Field(0.8, description="technical keywords count a little less than lay cues in a question")
    max_scale: float = Field(100.0, description="largest enlargement factor read from a question; beyond is not a zoom")
    asked_floor: float = Field(0.1, description="a task counts as asked when its probability reaches this")
    asked_top: int = Field(4, description="at most this many asked tasks are considered")
    example_neighbours: int = Field(3, description="a task's similarity is the mean of its this-many nearest example questions")


class IndexRecipe(_Frozen):
    """What goes into a stored index; its fingerprint is part of every index manifest."""

    expansion_weight: float = Field(1.0, description="weight of the task-expansion embedding added to a source's content embedding")
    card_io_in_vector: bool = Field(True, description="a curated card's input and output (lay words) join a summary in a source's vector: cross-validated category@1 on Query1 0.802 -> 0.809, blind catalog files +8 questions")
    expansion_cues: int = Field(8, description="lay cues of each labelled task written into the expansion text")
    task_text_cues: int = Field(12, description="cues in a task's own embedding text")
    task_text_keywords: int = Field(8, description="keywords in a task's own embedding text")
    source_temperature: float = Field(0.04, description="softmax temperature of source-task cosine for affinities")
    labelled_dense_share: float = Field(0.3, description="share of the dense task guess kept beside a source's labels")
    keyword_rate: float = Field(0.6, description="saturation rate of keyword evidence for unlabelled sources")
    keyword_share: float = Field(0.3, description="weight of keyword evidence in an unlabelled source's affinity: half the whole-summary dense guess's, so one cue word in a title (\"Denoising\" Diffusion) does not make a paper about that task")
    dense_share: float = Field(0.6, description="weight of the dense task guess in an unlabelled source's affinity")
    auto_exact_limit: int = Field(20_000, description="'auto' index: exact search up to this many sources, HNSW32 above")
    hnsw_ef_search: int = Field(128, description="HNSW search breadth: recall over speed (0.90 recall@10 on real embeddings)")
    ivf_nprobe: int = Field(32, description="IVF lists probed per query: recall 1.000 on the synthetic 1M set")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of these numbers: a changed number makes saved indexes stale."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class RankingTuning(_Frozen):
    """How candidates are gathered and read."""

    exhaustive_limit: int = Field(4096, description="indexes up to this size are scored in full, no shortlist")
    candidates: int = Field(256, description="shortlist size from each of dense search, rare words and names")
    rare_df: float = Field(0.05, description="a word in at most this share of sources is 'rare' for the shortlist")
    batch: int = Field(128, description="questions embedded per batch in rank_many")
    hit_task_floor: float = Field(0.3, description="a source's task affinity must reach this to be listed as its task")
    bm25_k1: float = Field(1.2, description="BM25 term-frequency saturation (the usual value)")
    bm25_b: float = Field(0.75, description="BM25 length normalisation (the usual value)")


class VariantTuning(_Frozen):
    """How well the settings in a model's name fit the question, in [-1, 1]."""

    scale_match: float = Field(0.6, description="score for the asked enlargement factor; its negative for another factor")
    setting_base: float = Field(0.4, description="score of a setting exactly at the level the question's wording suggests")
    setting_spread: float = Field(100.0, description="a level this far from the target loses the whole base score")
    decisive_lead: float = Field(0.5, description="a variant whose fit beats a sibling's by this much (a quarter of the fit's [-1, 1] range) is ranked above it whatever their other signals say")
    condition_scale: float = Field(4.0, description="variant score lost per unit of cosine by which the question meets a variant's card description worse than its best sibling's")


class ScopeTuning(_Frozen):
    """When a source bears on a question (calibrated on 264 labelled in- and out-of-scope questions)."""

    dense_threshold: float = Field(0.42, description="cosine at which a source is plainly about the question")
    task_threshold: float = Field(0.2, description="task match that makes a source relevant when the question has task cues")
    task_dense_floor: float = Field(0.15, description="below this cosine no task match makes a source relevant")
    example_threshold: float = Field(0.5, description="similarity of a question to its likeliest task's nearest example questions that makes a source of that task relevant without cue words: above all 60 everyday questions written to calibrate it (tests/data/scope.json 'everyday'; highest 0.476)")


class AnswerTuning(_Frozen):
    """How an answer is assembled."""

    k: int = Field(5, description="sources considered by the recommender for one answer")
    max_workflows: int = Field(2, description="at most this many models get a part-2 workflow")
    max_papers: int = Field(2, description="at most this many relevant papers are recommended beside the models")
    quote_max_chars: int = Field(400, description="longest sentence quoted as a reason")
    gist_max_chars: int = Field(300, description="longest sentence quoted as a source's gist")
    type_max_chars: int = Field(70, description="longest input or output type a workflow box shows; a longer one is cut at a clause or word")
    question_spans: int = Field(5, description="at most this many of the question's own phrases are quoted")
    family_share: float = Field(0.8, description="a task only the model's family card names counts this much of a labelled one")
    table_floor: float = Field(0.005, description="a listed model's task is plausible for the question (and the model its subject) from this probability; calibrated on the reference out-of-scope questions, whose listed models score below 0.0005")
    tangential_ratio: float = Field(0.25, description="a listed model fitting less than this share of the best one is tangential")
    ask_similarity: float = Field(0.4, description="without cue words, a question asks for a task only this similar to it")
    variant_lead_overlap: int = Field(2, description="content words a variant's card description shares with the question for it to open part 1 ('impressionist', 'soft' for an ImpressionismOil checkpoint): one shared word is chance")


class Tuning(_Frozen):
    """All numbers that shape results; ``Tuning()`` is the shipped setting."""

    weights: Weights = Weights()
    question: QuestionTuning = QuestionTuning()
    index: IndexRecipe = IndexRecipe()
    ranking: RankingTuning = RankingTuning()
    variants: VariantTuning = VariantTuning()
    scope: ScopeTuning = ScopeTuning()
    answer: AnswerTuning = AnswerTuning()


class Limits(_Frozen):
    """Bounds on inputs and resources; they change no result, only what is accepted and what is kept."""

    max_question_chars: int = Field(20_000, description="a question longer than this is a document, not a question")
    max_source_chars: int = Field(20_000, description="a source whose text (name, summary, card) is longer is refused at the edge")
    max_name_chars: int = Field(1_000, description="a source name or id longer than this is refused (paper titles run to ~300)")
    max_url_chars: int = Field(4_096, description="a supplied link longer than this is refused (browsers cut near 2,000-8,000)")
    max_json_depth: int = Field(64, description="JSON nested deeper is refused before parsing; catalogs and cards are ~5 deep")
    max_prompt_chars: int = Field(2_000_000, description="a prompt document longer than this is refused before parsing")
    max_sources: int = Field(1_000, description="sources one prompt or one answer() call may list")
    max_batch: int = Field(100_000, description="questions one answer_many() call may take")
    in_memory_vectors: int = Field(20_000, description="loaded indexes up to this size keep vectors in memory")
    embedding_cache: int = Field(4096, description="recently embedded texts kept per embedder")
    numpy_token_budget: int = Field(1024, description="tokens per NumPy BERT batch: bigger temporaries cost page faults")
    auto_numpy_max_texts: int = Field(64, description="up to this many texts the NumPy engine wins (no torch import)")


TUNING = Tuning()
LIMITS = Limits()


class CrossValidation(_Frozen):
    """How ``cnaps-rag eval --cv`` searches the *tuned* numbers on the training folds; changes no answer.

    Candidates are the shipped value times each factor, so the search follows the shipped setting.
    """

    weight_factors: tuple[float, ...] = Field(
        (0.0, 0.5, 1.0, 1.5, 2.0, 3.0), description="candidate fusion weights, as multiples of the shipped weight")
    fixed_weights: tuple[str, ...] = Field(
        ("dense",), description="weights not searched: dense is the reference scale the others are relative to")
    question_parameters: tuple[str, ...] = Field(
        ("task_temperature", "cue_weight", "defect_share"), description="QuestionTuning numbers searched beside the weights")
    question_factors: tuple[float, ...] = Field(
        (0.5, 0.75, 1.0, 1.5, 2.0), description="candidate question-analysis numbers, as multiples of the shipped value")
    min_gain: float = Field(0.01, description="a number moves only when the training objective gains more than this share of its maximum: smaller gains on ~120 questions are noise")
    rounds: int = Field(3, description="coordinate-descent sweeps over all numbers at most (stops early when none moves)")


CROSS_VALIDATION = CrossValidation()
