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
