"""The ``cnaps-rag`` command line: ask, prompt, index build/info, eval, serve and bench.

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

from .errors import EXIT_ABSTAINED, EXIT_OK, outcome

EXIT_CODES = "exit status: 0 answered, 2 bad input (one line on stderr), 3 abstained, 1 anything else"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnaps-rag",
        description="Grounded three-part answers to lay questions about AI models, from the supplied sources only.",
        epilog=EXIT_CODES,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def output_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=("markdown", "text", "json", "html"), default="markdown",
                       help="how to print the answer (default: markdown)")

    def store_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", metavar="URI", help="keep indexes in this PostgreSQL + pgvector database "
                       "(postgresql://user@host:5432/db; password from PGPASSWORD) instead of on disk")

    ask = sub.add_parser("ask", help="answer a question from the corpus or from catalog files")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--catalog", nargs="+", metavar="FILE", help="catalog file(s) to recommend models from")
    ask.add_argument("-k", type=int, default=5, help="how many sources to list (default: 5)")
    output_options(ask)
    store_option(ask)

    prompt = sub.add_parser("prompt", help="answer a prompt document in the reference format (FILE, or - for stdin)")
    prompt.add_argument("file", help="the prompt file, or - to read standard input")
    prompt.add_argument("--catalog", nargs="+", metavar="FILE",
                        help="your catalog: fills in the summaries of listed models that come with name and links only")
    output_options(prompt)

    index = sub.add_parser("index", help="build or inspect a persisted index")
    index_sub = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (("build", "build (or rebuild) the index"), ("info", "show what an index holds and whether it is fresh")):
        p = index_sub.add_parser(name, help=text)
        p.add_argument("--catalog", nargs="+", metavar="FILE", help="index these catalog files instead of the corpus")
        p.add_argument("--corpus", metavar="DIR", help="index this corpus directory instead of the bundled one")
        p.add_argument("--index", metavar="DIR", help="where the index lives (default: chosen from the inputs; "
                       "with --store, its last part names the index in the database)")
        store_option(p)
        if name == "build":
            p.add_argument("--factory", default="auto",
                           help="FAISS index factory: auto (exact up to 20,000 sources, HNSW32 above), Flat, HNSW32, IVF1024,Flat …")

    ev = sub.add_parser("eval", help="evaluate recommendation quality against the plain dense retriever")
    ev.add_argument("--catalog", nargs="+", metavar="FILE", help="catalog file(s)")
    ev.add_argument("--queries", nargs="+", metavar="FILE",
                    help="JSON list of {Model Unique Name, Query*} objects (with --prompts: one prompt set per file)")
    ev.add_argument("--json", metavar="OUT", help="write per-question (per-prompt) results to this JSON file")
    store_option(ev)
    ev.add_argument("--prompts", action="store_true",
                    help="evaluate answers to reference-format prompts built from --catalog and --queries, and --logged")
    ev.add_argument("--logged", metavar="DIR", help="with --prompts: a directory of logged prompts (*.json, query_text)")
    ev.add_argument("--seed", type=int, default=0,
                    help="with --prompts: the seed of the prompt construction; with --cv: of the fold assignment (default 0)")
    ev.add_argument("--cv", type=int, metavar="K",
                    help="K-fold cross-validation grouped by model family: tune on K-1 folds, score the held-out one; "
                         "further --queries files are scored with the numbers tuned on all of the first")
    ev.add_argument("--write-prompts", metavar="DIR",
                    help="with --prompts: write the prompts as DIR/<set>/<NNN-target>.txt for `cnaps-rag prompt`, and stop")

    serve = sub.add_parser("serve", help="serve answers over HTTP (POST /answer, /prompt, /retrieve, /verify; page at /)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--catalog", nargs="+", metavar="FILE", help="catalog file(s) to recommend models from")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1; share indexes with --store)")
    store_option(serve)

    cards = sub.add_parser("cards", help="check the model card library, or show which card a model name resolves to")
    cards_sub = cards.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = cards_sub.add_parser("check", help="schema, duplicates, patterns, stage graphs, variant tokens")
    check.add_argument("--catalog", nargs="+", metavar="FILE", help="also check that every model of these catalogs resolves")
    show = cards_sub.add_parser("show", help="which card a model resolves to, and why")
    show.add_argument("name", help="the model's name as a recommender lists it")
    show.add_argument("--paper", metavar="URL", help="its paper link, if listed")
    show.add_argument("--github", metavar="URL", help="its GitHub link, if listed")

    bench = sub.add_parser("bench", help="run the performance benchmark and print the table")
    bench.add_argument("--quick", action="store_true", help="a small, fast run (the CI smoke test)")
    bench.add_argument("--serve", action="store_true",
                       help="load-test `cnaps-rag serve` on loopback with 1, 8 and 32 concurrent clients instead")
    bench.add_argument("--workers", type=int, default=2, help="with --serve: server worker processes (default 2)")
    store_option(bench)
    bench.add_argument("--scale", type=int, default=100_000, help="sources in the synthetic scale test (default 100000)")
    bench.add_argument("--ann-vectors", type=int, default=1_000_000, help="vectors in the approximate-index recall test")
    for each in (*sub.choices.values(), *index_sub.choices.values(), *cards_sub.choices.values()):
        each.epilog = EXIT_CODES
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("cnaps-rag: %(message)s"))
    logger = logging.getLogger("cnaps_rag")
    logger.addHandler(handler)
    previous_level = logger.level  # restored on the way out: main() may run inside a longer process
    logger.setLevel(logging.INFO)
    # transformers draws a weight-loading bar on stderr; a command line prints only its own messages.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    from .errors import CnapsError

    try:
        code = _run(args)
        # A piped stdout is block-buffered: flush here, so a reader that went away is met inside this try, not at exit.
        sys.stdout.flush()
        return code
    except CnapsError as exc:
        print(f"cnaps-rag: error: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        return outcome(exc)[0]
    except KeyboardInterrupt:
        print("cnaps-rag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as the docs of ``signal`` advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def _run(args: argparse.Namespace) -> int:
    if args.command == "ask":
        from .engine import default_engine

        if args.question is None and args.catalog:
            # `ask --catalog FILE… "question"`: the list option swallowed the question; take it back.
            args.question = args.catalog.pop()
        if args.question is None or (args.catalog is not None and not args.catalog):
            from .errors import InputError

            raise InputError("ask needs a question (and, with --catalog, at least one catalog file before it)")

        engine = default_engine().variant(store=args.store)
        _check_argument(args.question, "the question")
        return _print_answer(engine.answer(args.question, catalog=args.catalog, k=args.k), args.format)
    if args.command == "prompt":
        from .engine import answer_prompt

        from .ingest import parse_prompt

        where = "standard input" if args.file == "-" else args.file
        return _print_answer(answer_prompt(parse_prompt(_read_text(args.file), where=where), catalog=args.catalog),
                             args.format)
    if args.command == "index":
        return _index(args)
    if args.command == "eval":
        from .evaluation import evaluate, write_results

        if args.cv is not None:
            return _eval_cv(args)
        if args.prompts:
            return _eval_prompts(args)
        if not args.catalog or not args.queries or len(args.queries) != 1 or args.logged or args.write_prompts:
            from .errors import InputError

            raise InputError("eval needs --catalog FILE… and one --queries FILE "
                             "(--logged, --write-prompts and several --queries files go with --prompts)")
        if args.json:
            _check_writable(Path(args.json))
        report = evaluate(args.catalog, args.queries[0], store=args.store)
        print(report.table())
        for line in report.skipped:
            print(f"skipped: {line}", file=sys.stderr)
        if args.json:
            write_results(report, args.json)
            print(f"per-question results written to {args.json}", file=sys.stderr)
        return EXIT_OK
    if args.command == "serve":
        from .serve import run

        run(host=args.host, port=args.port, catalog=args.catalog, store=args.store, workers=args.workers)
        return EXIT_OK
    if args.command == "bench" and args.serve:
        from .serve_bench import run_serve_benchmark

        print(run_serve_benchmark(quick=args.quick, workers=args.workers, store=args.store))
        return EXIT_OK
    if args.command == "cards":
        from .cards_check import cards_command

        return cards_command(args)
    if args.command == "bench":
        from .bench import run_benchmark

        print(run_benchmark(quick=args.quick, scale=args.scale, ann_vectors=args.ann_vectors))
        return EXIT_OK
    raise AssertionError(args.command)


def _print_answer(result, fmt: str) -> int:
    from .answering.render import render

    text = render(result, fmt)  # JSON too goes through the link policy
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_ABSTAINED if result.abstained else EXIT_OK


def _eval_cv(args: argparse.Namespace) -> int:
    """``eval --cv K``: family-grouped cross-validation of catalog recommendation."""
    from .crossval import cross_validate, write_report
    from .engine import default_engine
    from .errors import InputError

    if not args.catalog or not args.queries or args.prompts or args.logged or args.write_prompts:
        raise InputError("eval --cv K needs --catalog FILE… and --queries FILE… "
                         "(--prompts, --logged and --write-prompts do not go with --cv)")
    if args.json:
        _check_writable(Path(args.json))
    report = cross_validate(args.catalog, args.queries[0], args.cv, seed=args.seed, further=args.queries[1:],
                            engine=default_engine().variant(store=args.store))
    print(report.table())
    for line in report.skipped + [f"{s.path}: {line}" for s in report.further for line in s.skipped]:
        print(f"skipped: {line}", file=sys.stderr)
    if args.json:
        write_report(report, args.json)
        print(f"folds, tuned numbers and metrics written to {args.json}", file=sys.stderr)
    return EXIT_OK


def _eval_prompts(args: argparse.Namespace) -> int:
    """``eval --prompts``: build (or read) the prompt sets, then write them out or answer and score them."""
    from .prompt_eval import evaluate_prompts, prompt_sets, write_prompt_results, write_prompts

    if args.json:
        _check_writable(Path(args.json))
    sets, skipped = prompt_sets(args.catalog, args.queries, args.logged, seed=args.seed)
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    if args.write_prompts:
        count = write_prompts(sets, args.write_prompts)
        print(f"{count} prompts written under {args.write_prompts}; answer one with `cnaps-rag prompt FILE`")
        return EXIT_OK
    report = evaluate_prompts(sets, skipped=skipped, progress=_Progress("answering prompts"))
    print(report.table())
    if args.json:
        write_prompt_results(report, args.json)
        print(f"per-prompt results written to {args.json}", file=sys.stderr)
    return EXIT_OK


def _check_writable(path: Path) -> None:
    """Fail before a long run rather than after it when its output cannot be written."""
    from .errors import InputError

    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; name a file to write the results to")
    if not parent.is_dir():
        raise InputError(f"{path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{path}: not writable")


def _check_argument(value: str, what: str) -> None:
    """A command-line argument with bytes that are not UTF-8 (Python keeps them as lone surrogates) is bad input."""
    from .errors import InputError

    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = ord(value[exc.start])
        byte = f"byte 0x{char - 0xDC00:02x}" if 0xDC80 <= char <= 0xDCFF else f"U+{char:04X}"
        raise InputError(f"{what} is not UTF-8 text ({byte} at character {exc.start + 1}); "
                         "pass it in UTF-8 (check the terminal's encoding)") from None


def _read_text(name: str) -> str:
    from .errors import InputError

    if name == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(name)
        if path.is_dir():
            raise InputError(f"{name}: is a directory, not a prompt file")
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
    from .engine import default_engine
    from .errors import InputError

    if args.catalog and args.corpus:
        raise InputError("give --catalog or --corpus, not both")
    engine = default_engine().variant(store=args.store)
    default_target, files = engine.index_location(args.catalog, args.corpus)
    target = Path(args.index) if args.index else default_target
    if args.action == "build":
        if args.catalog:
            from .ingest import load_catalog

            for problem in load_catalog(args.catalog).problems:
                print(f"cnaps-rag: note: {problem}", file=sys.stderr)
        progress = _Progress("embedding sources")
        # On disk the index is written below; in a database, building it is storing it (one transaction).
        options = dict(rebuild=True, progress=progress, directory=target, factory=args.factory, save=bool(args.store))
        index = engine.catalog_index(args.catalog, **options) if args.catalog else engine.corpus_index(args.corpus, **options)
        where = engine.database.where(target.name) if args.store else index.save(target)
        m = index.manifest
        print(f"built {m.count} sources ({m.factory}, dimension {m.dimension}) in {m.build_seconds:.1f} s at {where}")
        return EXIT_OK
    return _index_info(engine, target, files, args.store)


def _index_info(engine, target: Path, files: list[Path], store: str | None = None) -> int:
    """What a saved index holds and whether it is fresh; reads only, never builds or writes."""
    from .errors import CnapsError, InputError
    from .index import hash_inputs, read_manifest
    from .index.manifest import staleness

    try:
        manifest = engine.database.read_manifest(target.name) if store else read_manifest(target)
    except CnapsError as exc:
        raise InputError(f"{exc}; build it with `cnaps-rag index build`") from None
    reason = staleness(manifest, model=engine.embedder.identity, taxonomy=engine.taxonomy, recipe=engine.tuning.index,
                       corpus_sha256=None, inputs=hash_inputs(files), cards_sha256=engine.cards.fingerprint)
    info = {"directory": engine.database.where(target.name) if store else str(target), "fresh": reason is None, "stale_because": reason,
            **manifest.model_dump(mode="json", exclude={"ids"}), "first_ids": list(manifest.ids[:5])}
    print(json.dumps(info, indent=2))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
