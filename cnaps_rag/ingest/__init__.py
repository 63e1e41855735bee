"""Getting sources in: corpus and catalog files, the CNAPS catalog schema, and prompt documents."""

from .loaders import Catalog, deduplicate, load_catalog, load_sources
from .prompt import ParsedPrompt, parse_prompt

__all__ = ["Catalog", "ParsedPrompt", "deduplicate", "load_catalog", "load_sources", "parse_prompt"]
