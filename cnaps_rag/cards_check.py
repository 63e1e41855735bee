"""Checking the card library the way a card author needs: every problem as a sentence to fix.

Used by ``cnaps-rag cards check`` and the tests; the library itself is ``cards``.
"""

from __future__ import annotations

import argparse
import fnmatch
from typing import Iterable

from .cards import CardLibrary
from .errors import EXIT_BAD_INPUT, EXIT_OK
from .naming import carries_token


def check_cards(library: CardLibrary, task_ids: Iterable[str]) -> list[str]:
    """Every problem a card author should fix, as sentences; empty when the library is sound.

    Checks: tasks exist in the taxonomy; no two cards share a pattern, GitHub key, Hugging Face
    repository or arXiv id; every pattern matches a known name; every variant token occurs in a
    known name; every known name resolves to its own card (catalog names: ``check_catalog``).
    """
    problems: list[str] = []
    tasks = set(task_ids)
    owners: dict[tuple[str, str], str] = {}
    for card in library.cards:
        for task in card.tasks:
            if task not in tasks:
                problems.append(f"card {card.id}: unknown task {task!r}")
        for stage in card.stages:
            if stage.tasks and not stage.branch:
                problems.append(f"card {card.id}: stage {stage.id!r} names tasks but is no branch")
            if stage.why and not stage.branch:
                problems.append(f"card {card.id}: stage {stage.id!r} says why it works but is no branch "
                                "(a mechanism of the whole model goes in why_it_works)")
            for task in stage.tasks:
                if task not in card.tasks:
                    problems.append(f"card {card.id}: branch {stage.branch!r} names task {task!r}, not one of the card's tasks")
        keys = [("pattern", p.lower()) for p in card.patterns] + [("github", k) for k in card.github_keys]
        keys += [("huggingface", h.lower()) for h in card.huggingface] + [("arxiv", a) for a in card.arxiv]
        keys += [("name", n.lower()) for n in card.known_names]
        for key in keys:
            if key in owners and owners[key] != card.id:
                problems.append(f"card {card.id}: {key[0]} {key[1]!r} is also claimed by card {owners[key]}")
            owners.setdefault(key, card.id)
        names = [n.lower() for n in card.known_names]
        for pattern in card.patterns:
            if names and not any(fnmatch.fnmatchcase(n, pattern.lower()) for n in names):
                problems.append(f"card {card.id}: pattern {pattern!r} matches none of its known_names")
        for variant in card.variants:
            # The same rule that reads a name's variants: a whole word or hyphenated run, not part of a longer word.
            if not any(carries_token(n, variant.token) for n in names):
                problems.append(f"card {card.id}: variant token {variant.token!r} stands as a word in none of its known_names")
            for task in variant.tasks:
                if task not in card.tasks:
                    problems.append(f"card {card.id}: variant {variant.token!r} names task {task!r}, not one of the card's tasks")
        for name in card.known_names:
            resolved = library.resolve(name)
            if resolved is None or resolved[0].id != card.id:
                other = resolved[0].id if resolved else "no card"
                problems.append(f"card {card.id}: its known name {name!r} resolves to {other}")
    return problems


def check_catalog(library: CardLibrary, sources: Iterable) -> list[str]:
    """Every catalog model that resolves to no card, or to two cards equally, as sentences."""
    problems = []
    for source in sources:
        if source.kind != "model":
            continue
        matches = library.matches(source.name, paper_url=source.paper_url, github_url=source.github_url,
                                  links=[link.url for link in source.links])
        if not matches:
            problems.append(f"catalog model {source.name!r} resolves to no card")
        elif len(matches) > 1 and matches[0].strength == matches[1].strength:
            problems.append(f"catalog model {source.name!r} matches {matches[0].card_id} and {matches[1].card_id} equally")
    return problems


def cards_command(args: argparse.Namespace) -> int:
    """``cnaps-rag cards check|show``: prints the findings; exit 2 when the library has problems."""
    from .engine import default_engine

    engine = default_engine()
    library = engine.cards
    if args.action == "show":
        matches = library.matches(args.name, paper_url=args.paper, github_url=args.github)
        if not matches:
            print(f"{args.name}: no card; answers describe it from its own summary, or by its name only")
            return EXIT_OK
        card = library.by_id[matches[0].card_id]
        print(f"{args.name} -> card {card.id} ({card.name}): {matches[0].describe()}")
        print(f"  tasks: {', '.join(card.tasks)}")
        print(f"  stages: {' -> '.join(s.name for s in card.stages)}")
        print(f"  gist: {card.gist}")
        for other in matches[1:]:
            print(f"  also matched, less specifically: card {other.card_id} ({other.describe()})")
        return EXIT_OK
    problems = check_cards(library, engine.taxonomy.ids)
    if args.catalog:
        from .ingest import load_catalog

        problems += check_catalog(library, load_catalog(args.catalog).sources)
    for problem in problems:
        print(problem)
    print(f"{len(library)} cards, {len(problems)} problems")
    return EXIT_BAD_INPUT if problems else EXIT_OK
