"""``cnaps-rag bench --serve``: a bounded load test of ``cnaps-rag serve`` on loopback.

It starts the service in a child process (``--workers`` as given, the mini catalog), then sends
``POST /answer`` with lay questions from 1, 8 and 32 concurrent clients, each with its own
keep-alive connection, and reports requests/s, p50/p95 latency and errors per level. Traffic goes
to 127.0.0.1 only; every level stops after a fixed number of requests or a time cap, whichever
comes first, and the server is stopped at the end.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import CnapsError, InputError
from .files import default_corpus_dir
from .index.pg_store import redact

QUESTIONS = (
    "How does AI brighten a dark photo?",
    "A 4x-enlarged thumbnail came out sharp and free of noise. How?",
    "My old scanned photo is blurry, can AI sharpen it?",
    "How can I remove the background from a product photo?",
    "Can AI turn my voice memo into text?",
    "How do apps make a photo look like a painting?",
    "How does my phone blur the background behind a face?",
    "How long should I boil an egg?",
)
LEVELS = (1, 8, 32)
_START_SECONDS = 300  # the server must answer /healthz within this
_LEVEL_SECONDS = 120  # no level runs longer than this
_POLL_SECONDS = 1 / 5


def run_serve_benchmark(quick: bool = False, workers: int = 2, levels: Sequence[int] = LEVELS,
                        catalog: str | os.PathLike[str] | None = None, store: str | None = None) -> str:
    """Load-test a fresh ``cnaps-rag serve`` (its index in ``store`` when given); returns a Markdown table."""
    import httpx

    per_client = 4 if quick else 25
    catalog = Path(catalog) if catalog is not None else default_corpus_dir() / "catalog" / "mini_catalog.json"
    if not catalog.is_file():
        raise InputError(f"{catalog}: no such catalog file for the load test")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # not a pipe: a chatty server must never block on a full one
    command = [sys.executable, "-m", "cnaps_rag", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--catalog", str(catalog)] + (["--store", store] if store else [])
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        _wait_until_up(httpx, url, server, log)
        with httpx.Client(base_url=url, timeout=_LEVEL_SECONDS) as warm:
            for question in QUESTIONS:  # every worker's first answers are slower (caches)
                warm.post("/answer", json={"question": question})
        rows = [_level(httpx, url, clients, per_client) for clients in levels]
    finally:
        server.terminate()
        try:
            server.wait(timeout=_LEVEL_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    where = f" --store {redact(store)}" if store else ""
    lines = [
        f"`cnaps-rag serve --workers {workers} --catalog {catalog.name}{where}` on 127.0.0.1, POST /answer, "
        f"{len(QUESTIONS)} lay questions in turn; {os.cpu_count()} cores, Python {platform.python_version()}, "
        "load generator on the same machine",
        "",
        "| concurrent clients | requests | errors | requests/s | p50 latency | p95 latency |",
        "|---|---|---|---|---|---|",
    ]
    for clients, count, errors, rate, p50, p95 in rows:
        lines.append(f"| {clients} | {count} | {errors} | {rate:.1f} | {p50:.0f} ms | {p95:.0f} ms |")
    return "\n".join(lines)


def _level(httpx, url: str, clients: int, per_client: int) -> tuple[int, int, int, float, float, float]:
    deadline = time.monotonic() + _LEVEL_SECONDS
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(i: int) -> None:
        with httpx.Client(base_url=url, timeout=_LEVEL_SECONDS) as http:
            for j in range(per_client):
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    ok = http.post("/answer", json={"question": QUESTIONS[(i + j) % len(QUESTIONS)]}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    errors[0] += not ok

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return (clients, len(latencies), errors[0], len(latencies) / wall, float(np.percentile(ms, 50)),
            float(np.percentile(ms, 95)))


def _wait_until_up(httpx, url: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise CnapsError(f"`cnaps-rag serve` exited with {server.returncode}: "
                             f"{log.read().decode(errors='replace').strip()[-300:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=_START_SECONDS).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(_POLL_SECONDS)
    raise CnapsError(f"`cnaps-rag serve` did not answer /healthz within {_START_SECONDS} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
