"""The package's shape: no import cycle, small documented modules, numbers in tuning.py, signals matching weights."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from pydantic import BaseModel

import cnaps_rag
from cnaps_rag.ranking.signals import SIGNALS
from cnaps_rag.tuning import TUNING, Weights

PACKAGE = Path(cnaps_rag.__file__).resolve().parent
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "_corpus" not in p.parts)
MAX_LINES = 400


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """Modules of cnaps_rag that ``path`` imports at run time, lazy imports included, TYPE_CHECKING blocks excluded."""
    module = _name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("cnaps_rag"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).is_file() or _is_package(sub) else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("cnaps_rag")}
    found.discard(module)
    return found


def test_there_is_no_import_cycle_lazy_imports_included():
    graph = {_name(p): _imports(p) for p in MODULES}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == "cnaps_rag":  # the lazy top-level re-export list, which imports nothing eagerly
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_is_small_and_says_what_it_is_for(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name} has {len(text.splitlines())} lines"
    assert (ast.get_docstring(ast.parse(text)) or "").strip(), f"{path.name} has no module docstring"


def test_every_signal_has_a_weight_and_every_weight_a_signal():
    assert list(SIGNALS) == list(Weights.model_fields)


def test_every_tuning_number_has_a_reason():
    def fields(model):
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                yield from fields(value)
            else:
                yield name, field

    missing = [name for name, field in fields(TUNING) if not (field.description or "").strip()]
    assert not missing, missing


_ALLOWED_FLOATS = {0.0, 1.0, -1.0, 0.5}


def test_no_hand_set_fraction_lives_outside_tuning():
    """Fractions are tuned numbers; they belong in tuning.py (maths constants in the BERT port excepted)."""
    offenders = []
    for path in MODULES:
        if path.name in {"tuning.py", "bert.py", "bench.py"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                if node.value not in _ALLOWED_FLOATS and abs(node.value) >= 1e-5:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value}")
    assert not offenders, offenders


def test_a_changed_index_recipe_number_makes_saved_indexes_stale(tmp_path, caplog):
    from cnaps_rag import Engine, Source, default_engine

    base = default_engine()
    corpus = tmp_path / "corpus"
    (corpus / "sources").mkdir(parents=True)
    (corpus / "sources" / "a.json").write_text(Source(
        id="a", kind="model", name="Denoise-A-Noise15", summary="Removes noise from photos.").model_dump_json())
    (corpus / "tasks.json").write_text((base.corpus_dir / "tasks.json").read_text())
    first = Engine(embedder=base.embedder, corpus_dir=corpus).corpus_index(directory=tmp_path / "idx")
    changed = TUNING.model_copy(update={"index": TUNING.index.model_copy(update={"expansion_weight": 0.9})})
    assert changed.index.fingerprint != TUNING.index.fingerprint
    with caplog.at_level(logging.INFO, logger="cnaps_rag"):
        second = Engine(embedder=base.embedder, corpus_dir=corpus, tuning=changed).corpus_index(directory=tmp_path / "idx")
    assert "the index recipe in tuning.py changed" in caplog.text
    assert second.manifest.recipe == changed.index.fingerprint != first.manifest.recipe
