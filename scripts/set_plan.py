"""Change an organization's plan (operators only; org admins cannot change what they pay for).

    python -m scripts.set_plan acme pro
    python -m scripts.set_plan acme pro --limit 2000      # override the plan's quota
    python -m scripts.set_plan acme business --plan-limit # back to the plan's own quota

Uses DATABASE_URL, or the embedded development database when it is unset.
"""

from __future__ import annotations

import argparse
import sys

import asyncpg

from app.cli import run_database_command


async def set_plan(database_url: str, slug: str, plan: str, limit: int | None, reset_limit: bool) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        plans = [row["name"] for row in await connection.fetch("SELECT name FROM plans ORDER BY name")]
        if plan not in plans:
            raise ValueError(f"unknown plan {plan!r}; plans are: {', '.join(plans)}")
        row = await connection.fetchrow(
            """
            UPDATE organizations SET
                plan = $2,
                ai_operations_limit = CASE WHEN $4 THEN NULL ELSE COALESCE($3, ai_operations_limit) END,
                updated_at = now()
            WHERE slug = $1
            RETURNING name, plan, ai_operations_limit
            """,
            slug,
            plan,
            limit,
            reset_limit,
        )
        if row is None:
            raise ValueError(f"no organization with slug {slug!r}")
        quota = "the plan's quota" if row["ai_operations_limit"] is None else f"{row['ai_operations_limit']} operations"
        return f"{row['name']} is now on the {row['plan']} plan ({quota})"
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slug")
    parser.add_argument("plan")
    quota = parser.add_mutually_exclusive_group()
    quota.add_argument("--limit", type=int, help="AI operations per period for this organization")
    quota.add_argument("--plan-limit", action="store_true", help="drop the override: use the plan's quota")
    arguments = parser.parse_args(argv)
    if arguments.limit is not None and arguments.limit < 0:
        parser.error("--limit must be 0 or more")
    return run_database_command(
        lambda _settings, url: set_plan(url, arguments.slug, arguments.plan, arguments.limit, arguments.plan_limit)
    )


if __name__ == "__main__":
    sys.exit(main())
