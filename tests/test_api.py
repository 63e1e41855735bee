"""The public API: every exported name resolves, lazily, to the object its module defines."""

from __future__ import annotations

import importlib

import pytest

import cnaps_rag


def test_all_lists_exactly_the_lazily_exported_names():
    assert set(cnaps_rag.__all__) == set(cnaps_rag._WHERE) | {"__version__"}


def test_every_exported_name_resolves_to_a_documented_object():
    undocumented = []
    for name in sorted(cnaps_rag._WHERE):
        value = getattr(cnaps_rag, name)
        module = importlib.import_module(f"cnaps_rag.{cnaps_rag._WHERE[name]}")
        assert value is getattr(module, name), name
        if not (getattr(value, "__doc__", None) or "").strip():
            undocumented.append(name)
    assert not undocumented, f"exported without a docstring: {undocumented}"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        cnaps_rag.nope  # noqa: B018


def test_the_version_comes_from_package_metadata():
    from importlib.metadata import version

    assert cnaps_rag.__version__ == version("cnaps-rag")
