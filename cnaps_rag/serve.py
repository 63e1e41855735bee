"""The HTTP service: cnaps_rag's answers for other apps, and a page for people (the ``serve`` extra).

``create_app()`` builds a FastAPI app over one Engine; ``run()`` serves it with uvicorn.
- ``POST /answer`` ``{question, sources?, catalog?, k?}``, ``POST /prompt`` ``{text}`` → an Answer;
- ``POST /retrieve`` ``{question, k?}`` → ranked Hits; ``POST /verify`` (an Answer) → a Verification;
- ``POST /render`` ``{answer, format}`` → the answer as Markdown, text or HTML;
- ``GET /healthz``; ``GET /`` the page (``web/``); the OpenAPI schema at ``/openapi.json``.

Errors map as the command line's exit codes do, through the one ``errors.outcome``: bad input is
422 with a one-line ``detail``, an unreachable store 503, anything else 500 with a one-line
``detail`` (the traceback goes to the server's log, never to the client). An abstention is an
answer: 200 with ``abstained: true``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Iterator, Literal, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from .answering.model import Answer, Format
from .answering.verify import Verification
from .engine import Engine, default_engine
from .errors import CnapsError, InputError, outcome
from .ranking import Hit
from .sources import Source
from .tuning import LIMITS
from .version import __version__

log = logging.getLogger("cnaps_rag")
WEB = Path(__file__).resolve().parent / "web"
# The largest request body read: a prompt document at the limit, every character at UTF-8's widest.
MAX_BODY_BYTES = 4 * LIMITS.max_prompt_chars
_ENV_CATALOG, _ENV_STORE = "CNAPS_RAG_SERVE_CATALOG", "CNAPS_RAG_SERVE_STORE"
_POLL_SECONDS = 1 / 100  # how often a starting background server is checked
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


class AnswerRequest(BaseModel):
    """A question, answered from the given sources, else from served catalog files, else from the server's default."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="the lay question")
    sources: list[Source] | None = Field(None, description="answer only from these sources (cnaps_rag.Source objects)")
    catalog: list[str] | None = Field(None, description="catalog files among those the server serves (as given to "
                                                        "--catalog, or their file names); default: all of them")
    k: int | None = Field(None, description="how many sources the answer considers (default: the tuning's)")


class PromptRequest(BaseModel):
    """A prompt document in the reference format."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="the whole prompt document")


class RetrieveRequest(BaseModel):
    """A question to rank the served sources for."""

    model_config = ConfigDict(extra="forbid")

    question: str
    k: int | None = Field(10, description="how many hits (null: all)")


class RenderRequest(BaseModel):
    """An answer (as /answer returned it) and the format to render it in."""

    model_config = ConfigDict(extra="forbid")

    answer: Answer
    format: Format = "markdown"


class Rendered(BaseModel):
    """An answer rendered as Markdown, plain text or an HTML fragment."""

    format: Format
    text: str


class Health(BaseModel):
    """The service is up: its version, this worker's process id, and the default index it answers from."""

    status: Literal["ok"]
    version: str
    worker: int
    sources: int
    store: str
    factory: str
    generation: int | None = None


class Problem(BaseModel):
    """An error: one line saying what was wrong and where, and the error's class."""

    detail: str
    error: str


class Service:
    """What the app answers from: an Engine and the catalog files it serves (none: the corpus)."""

    def __init__(self, engine: Engine, catalog: Sequence[str] | None) -> None:
        self.engine = engine
        self.catalog = [str(c) for c in catalog or ()]
        self._names = {name: path for path in self.catalog for name in (path, Path(path).name)}

    def catalogs(self, requested: Sequence[str] | None) -> list[str] | None:
        """The served files a request names (InputError for any other file); None means the corpus."""
        if requested is None:
            return self.catalog or None
        if not self.catalog:
            raise InputError("this server answers from its corpus; it serves no catalog files, so leave out 'catalog'")
        unknown = [c for c in requested if c not in self._names]
        if unknown or not requested:
            served = ", ".join(Path(c).name for c in self.catalog)
            raise InputError(f"catalog {unknown[0] if unknown else '[]'!r} is not served here; this server serves: {served}")
        return list(dict.fromkeys(self._names[c] for c in requested))

    def default_index(self):  # -> SourceIndex
        """The index answers come from by default (opened, built or reloaded as the engine's rules say)."""
        return self.engine.catalog_index(self.catalog) if self.catalog else self.engine.corpus_index()


def create_app(*, catalog: Sequence[str] | None = None, store: str | None = None, engine: Engine | None = None,
               warm: bool = True) -> FastAPI:
    """The FastAPI app over ``engine`` (default: the process's, with ``store`` if given), serving ``catalog`` files.

    With ``warm`` the default index is opened (or built) and the model loaded before the first request.
    """
    service = Service((engine or default_engine()).variant(store=store), catalog)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:
            service.default_index()
            service.engine.embedder.encode(["warm up"])
        yield

    app = FastAPI(title="cnaps_rag", version=__version__, lifespan=lifespan,
                  description="Grounded three-part answers to lay questions about AI models, from the supplied sources only.")
    app.state.service = service
    errors = {422: {"model": Problem}, 503: {"model": Problem}, 500: {"model": Problem}}

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next):
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY_BYTES):
            return _problem(413, f"the request body is {size} bytes; the limit is {MAX_BODY_BYTES:,}", "InputError")
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.exception_handler(CnapsError)
    async def cnaps_error(request: Request, exc: CnapsError) -> JSONResponse:
        return _problem(outcome(exc)[1], str(exc), type(exc).__name__)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(422, _validation_line(exc.errors()), "InputError")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _problem(outcome(exc)[1], f"internal error ({type(exc).__name__}); the server's log has the details",
                        type(exc).__name__)

    @app.post("/answer", response_model=Answer, responses=errors, summary="Answer a question")
    def answer(body: AnswerRequest) -> Answer:
        if body.sources is not None and body.catalog is not None:
            raise InputError("give 'sources' or 'catalog', not both")
        return service.engine.answer(body.question, body.sources, catalog=service.catalogs(body.catalog), k=body.k)

    @app.post("/prompt", response_model=Answer, responses=errors, summary="Answer a reference-format prompt document")
    def prompt(body: PromptRequest) -> Answer:
        return service.engine.answer_prompt(body.text)

    @app.post("/retrieve", response_model=list[Hit], responses=errors, summary="Rank the served sources for a question")
    def retrieve(body: RetrieveRequest) -> list[Hit]:
        return service.engine.retrieve(body.question, None, body.k, catalog=service.catalogs(None))

    @app.post("/verify", response_model=Verification, responses=errors, summary="Re-check an answer's grounding")
    def verify(body: Answer) -> Verification:
        return _consistent(lambda: service.engine.verify(body))

    @app.post("/render", response_model=Rendered, responses=errors, summary="Render an answer")
    def render(body: RenderRequest) -> Rendered:
        return Rendered(format=body.format, text=_consistent(lambda: body.answer.render(body.format)))

    @app.get("/healthz", response_model=Health, responses=errors, summary="Liveness and the default index")
    def healthz() -> Health:
        index = service.default_index()
        return Health(status="ok", version=__version__, worker=os.getpid(), sources=len(index),
                      store=index.manifest.store, factory=index.manifest.factory,
                      generation=getattr(index.store, "generation", None))

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=WEB), name="static")
    return app


def _problem(status: int, detail: str, error: str) -> JSONResponse:
    line = " ".join(detail.split())
    return JSONResponse(Problem(detail=line, error=error).model_dump(), status_code=status)


def _validation_line(errors: Sequence[dict]) -> str:
    """Pydantic's errors as one line: where (``body.sources.0.id``) and what, then how many more."""
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def _consistent(action):
    """Run ``action`` on a client's answer; an answer citing a source it does not list is bad input, not a crash."""
    try:
        return action()
    except KeyError as exc:
        raise InputError(f"the answer is inconsistent: {exc.args[0] if exc.args else exc}") from None


@contextmanager
def serving(app: FastAPI, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of ``host`` in a background thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="cnaps-rag-serve", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the server stopped while starting (see the log above)")
        time.sleep(_POLL_SECONDS)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join()


def app_from_environment() -> FastAPI:
    """The app each ``serve --workers N`` process builds, configured by the parent through the environment."""
    catalog = json.loads(os.environ.get(_ENV_CATALOG) or "null")
    return create_app(catalog=catalog, store=os.environ.get(_ENV_STORE) or None)


def run(*, host: str = "127.0.0.1", port: int = 8000, catalog: Sequence[str] | None = None, store: str | None = None,
        workers: int = 1) -> None:
    """Serve until interrupted. The index is opened (or built, once) before any worker starts."""
    import uvicorn

    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if not 0 < port < 65536:
        raise InputError(f"--port must be between 1 and 65535, got {port}")
    service = Service(default_engine().variant(store=store), catalog)
    service.default_index()  # a bad catalog or an unreachable store fails here, in one line
    if workers == 1:
        uvicorn.run(create_app(catalog=catalog, store=store), host=host, port=port, log_level="warning")
        return
    os.environ[_ENV_CATALOG] = json.dumps(service.catalog or None)
    os.environ[_ENV_STORE] = store or ""
    uvicorn.run("cnaps_rag.serve:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
