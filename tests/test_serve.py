"""The HTTP service: every endpoint, every error class the way the CLI maps it, and 32 concurrent clients."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import MINI_CATALOG, SEED

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")
httpx = pytest.importorskip("httpx", reason="httpx is not installed: pip install -e '.[serve]'")

from fastapi.testclient import TestClient  # noqa: E402

from cnaps_rag import Answer, Engine, Hit, default_engine  # noqa: E402
from cnaps_rag.errors import (CorpusError, CorruptIndex, GroundingError, IndexFormatError, InputError,  # noqa: E402
                              ModelError, PromptError, StoreError, outcome)
from cnaps_rag.serve import MAX_BODY_BYTES, create_app, serving  # noqa: E402

QUESTION = "How does AI brighten a dark photo?"


@pytest.fixture(scope="module")
def client() -> TestClient:
    """The app over the mini catalog, as `cnaps-rag serve --catalog corpus/catalog/mini_catalog.json` serves it."""
    with TestClient(create_app(catalog=[str(MINI_CATALOG)]), raise_server_exceptions=False) as c:
        yield c


def one_line_problem(response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert "\n" not in body["detail"] and "Traceback" not in body["detail"]
    return body["detail"]


# --- endpoints --------------------------------------------------------------------------------


def test_answer_returns_the_answer_model_the_library_returns(client):
    response = client.post("/answer", json={"question": QUESTION})
    assert response.status_code == 200
    served = Answer.model_validate_json(response.content)
    direct = default_engine().answer(QUESTION, catalog=[str(MINI_CATALOG)])
    assert served == direct
    assert not served.abstained


def test_answer_from_supplied_sources_uses_only_them(client):
    sources = [{"id": "lowlight-a", "kind": "model", "name": "LowLight-Enhance-A",
                "summary": "Brightens photos taken in the dark and removes the noise that comes with it.",
                "github_url": "https://github.com/example/lowlight-a"}]
    response = client.post("/answer", json={"question": QUESTION, "sources": sources})
    assert response.status_code == 200
    assert [r["source"]["id"] for r in response.json()["references"]] == ["lowlight-a"]


def test_answer_picks_a_served_catalog_by_file_name(client):
    by_name = client.post("/answer", json={"question": QUESTION, "catalog": [MINI_CATALOG.name]})
    default = client.post("/answer", json={"question": QUESTION})
    assert by_name.status_code == 200 and by_name.json() == default.json()


def test_prompt_answers_the_reference_prompt_with_swinir_first(client):
    response = client.post("/prompt", json={"text": SEED.read_text(encoding="utf-8")})
    assert response.status_code == 200
    answer = response.json()
    assert answer["references"][0]["source"]["name"] == "Restoration-SwinIR-Jpeg40"
    assert answer["abstained"] is False


def test_retrieve_returns_ranked_hits_with_their_components(client):
    response = client.post("/retrieve", json={"question": QUESTION, "k": 3})
    assert response.status_code == 200
    hits = [Hit.model_validate(h) for h in response.json()]
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits == default_engine().retrieve(QUESTION, k=3, catalog=[str(MINI_CATALOG)])
    assert {"dense", "lexical", "task"} <= set(hits[0].components)


def test_verify_rechecks_an_answer_it_served(client):
    answer = client.post("/prompt", json={"text": SEED.read_text(encoding="utf-8")}).json()
    response = client.post("/verify", json=answer)
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["urls_checked"] > 0


def test_verify_reports_a_quote_the_sources_never_said(client):
    answer = client.post("/prompt", json={"text": SEED.read_text(encoding="utf-8")}).json()
    statement = next(s for s in answer["task"]["statements"] if any(e["origin"] == "source" for e in s["evidence"]))
    evidence = next(e for e in statement["evidence"] if e["origin"] == "source")
    evidence["quote"] = "a sentence no source ever wrote"
    response = client.post("/verify", json=answer)
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert any("a sentence no source ever wrote" in p for p in response.json()["problems"])


def test_render_gives_the_markdown_with_its_mermaid_flowchart(client):
    answer = client.post("/prompt", json={"text": SEED.read_text(encoding="utf-8")}).json()
    response = client.post("/render", json={"answer": answer, "format": "markdown"})
    assert response.status_code == 200
    assert response.json()["text"] == Answer.model_validate(answer).to_markdown()
    assert "```mermaid\nflowchart" in response.json()["text"]


def test_healthz_names_the_worker_and_the_index(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["store"] == "faiss" and body["sources"] > 20


def test_the_page_and_its_scripts_are_served_with_a_strict_content_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path in ("/static/app.js", "/static/style.css", "/static/vendor/mermaid/mermaid.min.js",
                 "/static/vendor/mermaid/LICENSE"):
        assert client.get(path).status_code == 200, path


def test_the_openapi_schema_lists_every_endpoint_with_its_models(client):
    schema = client.get("/openapi.json").json()
    assert {"/answer", "/prompt", "/retrieve", "/verify", "/render", "/healthz"} <= set(schema["paths"])
    ok = schema["paths"]["/answer"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/Answer")
    assert "422" in schema["paths"]["/answer"]["post"]["responses"]


# --- errors: one mapping for both front doors ---------------------------------------------------


@pytest.mark.parametrize("error, codes", [
    (InputError("x"), (2, 422)), (PromptError("x"), (2, 422)), (CorpusError("x"), (2, 422)),
    (ModelError("x"), (2, 422)), (IndexFormatError("x"), (2, 422)), (StoreError("x"), (1, 503)),
    (CorruptIndex("x"), (1, 500)), (GroundingError("x"), (1, 500)), (RuntimeError("x"), (1, 500)),
])
def test_every_error_class_maps_to_one_exit_code_and_one_status(error, codes):
    assert outcome(error) == codes


def test_an_abstention_is_an_answer_not_an_error(client):
    response = client.post("/answer", json={"question": "How long should I boil an egg?"})
    assert response.status_code == 200 and response.json()["abstained"] is True


def test_bad_input_is_422_with_the_libraries_one_line_message(client):
    detail = one_line_problem(client.post("/answer", json={"question": "   "}), 422, "InputError")
    assert detail.startswith("the question is empty")
    assert "k must be at least 1" in one_line_problem(client.post("/answer", json={"question": QUESTION, "k": 0}),
                                                      422, "InputError")


def test_a_request_that_does_not_fit_the_schema_is_422_naming_the_field(client):
    assert one_line_problem(client.post("/answer", json={}), 422, "InputError") == "body.question: Field required"
    detail = one_line_problem(client.post("/answer", json={"question": QUESTION, "sources": [{"id": "Bad Id"}]}),
                              422, "InputError")
    assert detail.startswith("body.sources.0.")
    bad_json = client.post("/answer", content=b'{"question": ', headers={"content-type": "application/json"})
    assert "JSON" in one_line_problem(bad_json, 422, "InputError")


def test_a_prompt_without_a_question_is_a_prompt_error(client):
    detail = one_line_problem(client.post("/prompt", json={"text": "Model: X\nPaper: None\n"}), 422, "PromptError")
    assert "question" in detail


def test_only_served_catalogs_can_be_named(client):
    detail = one_line_problem(client.post("/answer", json={"question": QUESTION, "catalog": ["/etc/passwd"]}),
                              422, "InputError")
    assert "'/etc/passwd' is not served here" in detail and MINI_CATALOG.name in detail


def test_an_answer_citing_a_source_it_does_not_list_is_bad_input(client):
    answer = client.post("/prompt", json={"text": SEED.read_text(encoding="utf-8")}).json()
    answer["task"]["statements"][0]["sources"] = ["not-listed"]
    assert "not-listed" in one_line_problem(client.post("/verify", json=answer), 422, "InputError")


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    response = client.post("/prompt", content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "the limit is" in response.json()["detail"]


def test_a_broken_served_catalog_is_a_corpus_error(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[{"Model Unique Name": ""}]', encoding="utf-8")
    with TestClient(create_app(catalog=[str(broken)], warm=False), raise_server_exceptions=False) as c:
        detail = one_line_problem(c.post("/answer", json={"question": QUESTION}), 422, "CorpusError")
    assert "broken.json" in detail


def test_an_index_from_a_newer_cnaps_rag_is_an_index_format_error(tmp_path):
    catalog = tmp_path / "newer.json"
    catalog.write_bytes(MINI_CATALOG.read_bytes())
    engine = Engine(embedder=default_engine().embedder)
    directory, _ = engine.index_location([catalog])
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text(json.dumps({"format_version": 99}), encoding="utf-8")
    with TestClient(create_app(catalog=[str(catalog)], engine=engine, warm=False), raise_server_exceptions=False) as c:
        detail = one_line_problem(c.post("/answer", json={"question": QUESTION}), 422, "IndexFormatError")
    assert "newer cnaps_rag" in detail


def test_an_unreachable_store_is_503_without_its_password(tmp_path):
    store = "postgresql://cnaps:s3cret@127.0.0.1:1/nowhere"
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    app = create_app(catalog=[str(MINI_CATALOG)], store=store, warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        detail = one_line_problem(c.post("/answer", json={"question": QUESTION}), 503, "StoreError")
    assert "cannot connect" in detail and "s3cret" not in detail


def test_an_unexpected_failure_is_500_with_one_line_and_no_traceback():
    app = create_app(warm=False)

    def broken() -> dict:
        raise ZeroDivisionError("division by zero in a route")

    app.add_api_route("/broken", broken)  # a route that fails the way a bug would
    with TestClient(app, raise_server_exceptions=False) as c:
        detail = one_line_problem(c.get("/broken"), 500, "ZeroDivisionError")
    assert "division by zero" not in detail


# --- concurrency --------------------------------------------------------------------------------


def test_32_concurrent_clients_get_the_answers_one_client_gets():
    questions = [QUESTION, "My old scanned photo is blurry, can AI sharpen it?", "How can I remove the background "
                 "from a product photo?", "Can AI turn my voice memo into text?"]
    engine = default_engine()
    expected = {q: engine.answer(q, catalog=[str(MINI_CATALOG)]).model_dump(mode="json") for q in questions}
    with serving(create_app(catalog=[str(MINI_CATALOG)])) as url:

        def client_run(i: int) -> list[tuple[str, int, dict]]:
            with httpx.Client(base_url=url, timeout=120) as http:
                out = []
                for j in range(2):
                    q = questions[(i + j) % len(questions)]
                    r = http.post("/answer", json={"question": q})
                    out.append((q, r.status_code, r.json()))
                return out

        with ThreadPoolExecutor(max_workers=32) as pool:
            results = [r for batch in pool.map(client_run, range(32)) for r in batch]
    assert len(results) == 64
    assert all(status == 200 for _, status, _ in results)
    assert all(body == expected[q] for q, _, body in results)


@pytest.mark.slow
def test_the_load_test_reports_1_8_and_32_clients_with_no_errors():
    from cnaps_rag.serve_bench import run_serve_benchmark

    table = run_serve_benchmark(quick=True)
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in table.splitlines() if line[:3] in ("| 1", "| 8", "| 3")]
    assert [r[0] for r in rows] == ["1", "8", "32"]
    assert all(r[2] == "0" and float(r[3]) > 0 for r in rows), table
