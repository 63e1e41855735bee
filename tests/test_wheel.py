"""An installed wheel carries its templates and default corpus, and answers away from the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("cnaps_rag-*.whl")
    return path


def test_the_wheel_ships_templates_corpus_and_taxonomy(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"cnaps_rag/answering/templates/answer.md.j2", "cnaps_rag/answering/templates/answer.txt.j2",
            "cnaps_rag/answering/templates/answer.html.j2", "cnaps_rag/_corpus/sources/reference.json",
            "cnaps_rag/_corpus/tasks.json", "cnaps_rag/_corpus/cards/swinir.json"} <= names


@pytest.mark.slow  # about 20 s: installs the wheel into a fresh environment and builds its index there
def test_an_installed_wheel_answers_from_its_bundled_corpus(wheel, tmp_path):
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    code = ("import cnaps_rag, pathlib; a = cnaps_rag.answer('A 4x-enlarged thumbnail came out clean. How?'); "
            "print(pathlib.Path(cnaps_rag.__file__).parent.parent.name, a.references[0].source.id, a.abstained)")
    # The installed copy comes first on the path, and the checkout is nowhere near the working directory.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(target), "CNAPS_RAG_INDEX": str(tmp_path / "idx")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["site", "restoration-swinir-jpeg40", "False"]
