"""The installed version of cnaps_rag, read from package metadata (pyproject.toml is the one source)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cnaps-rag")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
