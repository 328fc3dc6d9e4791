"""Embed every ticket (and article) of an organization that lacks a current embedding.

    python -m scripts.backfill_embeddings --org acme
    python -m scripts.backfill_embeddings --org 6f1c...-uuid --batch-size 128 --no-articles

The work is app.assist.backfill's; this is its command line. Uses DATABASE_URL, or the embedded
development database when it is unset.
"""

from __future__ import annotations

import argparse
import sys

from app.assist.backfill import backfill
from app.assist.embedding_refresh import BACKFILL_BATCH_SIZE
from app.cli import run_database_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", required=True, help="the organization's slug or id")
    parser.add_argument("--batch-size", type=int, default=BACKFILL_BATCH_SIZE, help="texts per embedding call")
    parser.add_argument("--no-articles", action="store_true", help="tickets only")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.batch_size <= 2048:
        parser.error("--batch-size must be between 1 and 2048")
    return run_database_command(
        lambda settings, url: backfill(settings, url, arguments.org, arguments.batch_size, articles=not arguments.no_articles)
    )


if __name__ == "__main__":
    sys.exit(main())
