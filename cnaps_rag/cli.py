"""The ``cnaps-rag`` command line: ask, prompt, index build/info, eval and bench.

Exit codes: 0 answered, 2 bad input (a one-line message on stderr, no traceback), 3 abstained
(the supplied sources do not cover the question), 1 anything else that went wrong.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Sequence

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_ABSTAINED = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnaps-rag",
        description="Grounded three-part answers to lay questions about AI models, from the supplied sources only.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def output_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=("markdown", "text", "json", "html"), default="markdown",
                       help="how to print the answer (default: markdown)")

    ask = sub.add_parser("ask", help="answer a question from the corpus or from catalog files")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--catalog", nargs="+", metavar="FILE", help="catalog file(s) to recommend models from")
    ask.add_argument("-k", type=int, default=5, help="how many sources to list (default: 5)")
    output_options(ask)

    prompt = sub.add_parser("prompt", help="answer a prompt document in the reference format (FILE, or - for stdin)")
    prompt.add_argument("file", help="the prompt file, or - to read standard input")
    output_options(prompt)

    index = sub.add_parser("index", help="build or inspect a persisted index")
    index_sub = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (("build", "build (or rebuild) the index"), ("info", "show what an index holds and whether it is fresh")):
        p = index_sub.add_parser(name, help=text)
        p.add_argument("--catalog", nargs="+", metavar="FILE", help="index these catalog files instead of the corpus")
        p.add_argument("--corpus", metavar="DIR", help="index this corpus directory instead of the bundled one")
        p.add_argument("--index", metavar="DIR", help="where the index lives (default: chosen from the inputs)")
        if name == "build":
            p.add_argument("--factory", default="auto",
                           help="FAISS index factory: auto (exact up to 20,000 sources, HNSW32 above), Flat, HNSW32, IVF1024,Flat …")

    ev = sub.add_parser("eval", help="evaluate recommendation quality against the plain dense retriever")
    ev.add_argument("--catalog", nargs="+", metavar="FILE", required=True, help="catalog file(s)")
    ev.add_argument("--queries", required=True, metavar="FILE", help="JSON list of {Model Unique Name, Query*} objects")
    ev.add_argument("--json", metavar="OUT", help="write per-question results to this JSON file")

    bench = sub.add_parser("bench", help="run the performance benchmark and print the table")
    bench.add_argument("--quick", action="store_true", help="a small, fast run (the CI smoke test)")
    bench.add_argument("--scale", type=int, default=100_000, help="sources in the synthetic scale test (default 100000)")
    bench.add_argument("--ann-vectors", type=int, default=1_000_000, help="vectors in the approximate-index recall test")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("cnaps-rag: %(message)s"))
    logger = logging.getLogger("cnaps_rag")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # transformers draws a weight-loading bar on stderr; a command line prints only its own messages.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    from .errors import CnapsError, InputError, ModelError

    try:
        return _run(args)
    except (InputError, ModelError) as exc:
        print(f"cnaps-rag: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CnapsError as exc:
        print(f"cnaps-rag: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("cnaps-rag: interrupted", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(handler)


def _run(args: argparse.Namespace) -> int:
    if args.command == "ask":
        from .answering import answer

        if args.question is None and args.catalog:
            # `ask --catalog FILE… "question"`: the list option swallowed the question; take it back.
            args.question = args.catalog.pop()
        if args.question is None or (args.catalog is not None and not args.catalog):
            from .errors import InputError

            raise InputError("ask needs a question (and, with --catalog, at least one catalog file before it)")

        return _print_answer(answer(args.question, catalog=args.catalog, k=args.k), args.format)
    if args.command == "prompt":
        from .answering import answer_prompt

        return _print_answer(answer_prompt(_read_text(args.file)), args.format)
    if args.command == "index":
        return _index(args)
    if args.command == "eval":
        from .evaluation import evaluate, write_results

        report = evaluate(args.catalog, args.queries)
        print(report.table())
        for line in report.skipped:
            print(f"skipped: {line}", file=sys.stderr)
        if args.json:
            write_results(report, args.json)
            print(f"per-question results written to {args.json}", file=sys.stderr)
        return EXIT_OK
    if args.command == "bench":
        from .bench import run_benchmark

        print(run_benchmark(quick=args.quick, scale=args.scale, ann_vectors=args.ann_vectors))
        return EXIT_OK
    raise AssertionError(args.command)


def _print_answer(result, fmt: str) -> int:
    if fmt == "json":
        text = result.model_dump_json(indent=2)
    elif fmt == "text":
        text = result.to_text()
    elif fmt == "html":
        text = result.to_html()
    else:
        text = result.to_markdown()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_ABSTAINED if result.abstained else EXIT_OK


def _read_text(name: str) -> str:
    from .errors import InputError

    if name == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(name)
        if not path.is_file():
            raise InputError(f"{name}: no such file")
        data = path.read_bytes()
        where = name
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None


class _Progress:
    """Progress on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if self.enabled:
            rate = done / max(time.perf_counter() - self.started, 1e-9)
            end = "\n" if done >= total else ""
            print(f"\r{self.label}: {done}/{total} ({rate:.0f}/s)", end=end, file=sys.stderr, flush=True)


def _index(args: argparse.Namespace) -> int:
    from .store import catalog_index, corpus_index

    if args.catalog and args.corpus:
        from .errors import InputError

        raise InputError("give --catalog or --corpus, not both")
    if args.action == "build":
        progress = _Progress("embedding sources")
        if args.catalog:
            from .catalog import load_catalog

            for problem in load_catalog(args.catalog).problems:
                print(f"cnaps-rag: note: {problem}", file=sys.stderr)
            index = catalog_index(args.catalog, rebuild=True, progress=progress, directory=args.index, factory=args.factory)
        else:
            index = corpus_index(args.corpus, rebuild=True, progress=progress, directory=args.index, factory=args.factory)
        m = index.manifest
        print(f"built {m.count} sources ({m.factory}, dimension {m.dimension}) in {m.build_seconds:.1f} s")
        return EXIT_OK
    index = catalog_index(args.catalog, directory=args.index) if args.catalog else corpus_index(args.corpus, directory=args.index)
    m = index.manifest
    info = {"directory": str(index.path) if index.path else None, **m.model_dump(mode="json", exclude={"ids"})}
    info["first_ids"] = list(m.ids[:5])
    print(json.dumps(info, indent=2))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
