"""Errors cnaps_rag raises on purpose: each says what was wrong, where, and how to fix it."""

from __future__ import annotations


class CnapsError(Exception):
    """Base class for every error cnaps_rag raises deliberately."""


class InputError(CnapsError, ValueError):
    """The caller supplied something unusable: a question, a prompt, a source, an option."""


class PromptError(InputError):
    """A prompt document could not be parsed; ``line`` is 1-based, or None for the whole text."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class CorpusError(InputError):
    """A corpus or catalog file holds a bad record; the message names the file, the record and the field."""


class ModelError(CnapsError):
    """The embedding model is missing, unreadable, or its weights do not match the expected hash."""


class IndexFormatError(CnapsError):
    """A persisted index cannot be used and cannot be rebuilt automatically (e.g. written by a newer format)."""


class CorruptIndex(CnapsError):
    """A saved index file is missing, truncated or altered (it is rebuilt, never searched)."""


class StaleIndex(CnapsError):
    """A saved index does not match the current corpus, model, taxonomy or recipe (rebuild it)."""


class StoreError(CnapsError):
    """The database that holds the indexes cannot be reached or refused an operation (named without its password)."""


class GroundingError(CnapsError):
    """An answer could not be made to pass verification (a bug: please report it with the input)."""


# The one mapping from what went wrong to what a front door says: the CLI's exit code and the HTTP status.
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_ABSTAINED = 0, 1, 2, 3


def outcome(exc: BaseException) -> tuple[int, int]:
    """(exit code, HTTP status) for an exception: bad input is 2 / 422, an unreachable store 1 / 503, any other failure 1 / 500."""
    if isinstance(exc, (InputError, ModelError, IndexFormatError)):
        return EXIT_BAD_INPUT, 422
    if isinstance(exc, StoreError):
        return EXIT_FAILED, 503
    return EXIT_FAILED, 500
