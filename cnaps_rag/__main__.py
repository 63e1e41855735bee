"""``python -m cnaps_rag`` runs the command line."""

from .cli import main

raise SystemExit(main())
