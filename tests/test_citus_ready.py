"""The schema can be distributed by organization (Citus) as it stands: checked on the real catalog.

After schema.sql is applied, every table in the public schema is either the tenant root
(`organizations`, distributed by `id`), a tenant table (distributed by `org_id`, co-located with
the root), or one of the few global tables named in REFERENCE_TABLES (copied to every node). The
rules are the ones at the top of schema.sql; a table someone adds that breaks them fails here
with the table and the rule in the message. The README's Citus calls are generated from the same
catalog, so the README cannot fall behind the schema either.

Also: schema.sql applied to a database made by the schema before `global_names` claims the
existing names and drops the old global unique indexes; applied again, it changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse
from uuid import uuid4

import asyncpg
import pytest

from app.database import apply_schema

ROOT = Path(__file__).resolve().parents[1]
TENANT_ROOT = "organizations"
# Global tables: Citus reference tables. Few, small, rarely written; say why for each.
REFERENCE_TABLES = {
    "plans": "the plan catalog: three rows, read by every request's plan check",
    "global_names": "names unique across organizations (login e-mails, API key prefixes, slugs)",
    "login_failures": "failed sign-ins by e-mail and client address, before any organization is known",
}


async def _tables(connection: asyncpg.Connection) -> dict[str, set[str]]:
    rows = await connection.fetch(
        """
        SELECT c.relname, array_agg(a.attname::text) AS columns
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        GROUP BY c.relname
        """
    )
    return {row["relname"]: set(row["columns"]) for row in rows}


async def _unique_keys(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every unique index (primary keys and unique constraints included) with its key columns."""
    return await connection.fetch(
        """
        SELECT t.relname AS table_name, i.relname AS index_name, x.indisprimary AS is_primary,
               ARRAY(SELECT a.attname::text FROM unnest(x.indkey) AS k (attnum)
                     JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum) AS columns
        FROM pg_index x
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
        WHERE x.indisunique
        """
    )


async def _foreign_keys(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every foreign key as (table, columns) -> (table, columns), columns in key order."""
    return await connection.fetch(
        """
        SELECT c.conname, src.relname AS source, dst.relname AS target,
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k (attnum, i)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.i) AS source_columns,
               ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k (attnum, i)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.i) AS target_columns
        FROM pg_constraint c
        JOIN pg_class src ON src.oid = c.conrelid
        JOIN pg_class dst ON dst.oid = c.confrelid
        JOIN pg_namespace n ON n.oid = src.relnamespace AND n.nspname = 'public'
        WHERE c.contype = 'f'
        """
    )


@pytest.fixture(scope="module")
async def catalog(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


def _distribution_column(table: str) -> str:
    return "id" if table == TENANT_ROOT else "org_id"


async def test_every_table_is_the_root_a_tenant_table_or_a_named_reference_table(catalog: asyncpg.Connection) -> None:
    tables = await _tables(catalog)
    assert TENANT_ROOT in tables
    missing = sorted(set(REFERENCE_TABLES) - set(tables))
    assert not missing, f"REFERENCE_TABLES names tables that do not exist: {missing}"
    unclassified = sorted(t for t, columns in tables.items() if t != TENANT_ROOT and "org_id" not in columns and t not in REFERENCE_TABLES)
    assert not unclassified, (
        f"tables without org_id: {unclassified}. A tenant-owned table needs org_id (schema.sql rule 1); "
        "a global one must be added to REFERENCE_TABLES in tests/test_citus_ready.py with its reason"
    )
    tenant_in_reference = sorted(t for t in REFERENCE_TABLES if "org_id" in tables[t])
    assert not tenant_in_reference, f"reference tables with an org_id column (tenant data?): {tenant_in_reference}"
    nullable = await catalog.fetch(
        """
        SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        WHERE a.attname = 'org_id' AND NOT a.attnotnull AND c.relkind IN ('r', 'p')
        """
    )
    assert not nullable, f"org_id must be NOT NULL: {[r['relname'] for r in nullable]}"


async def test_every_tenant_table_has_a_primary_key_and_unique_keys_that_include_the_distribution_column(
    catalog: asyncpg.Connection,
) -> None:
    tables = await _tables(catalog)
    tenant_tables = {t for t in tables if t not in REFERENCE_TABLES}
    keys = await _unique_keys(catalog)
    with_primary = {key["table_name"] for key in keys if key["is_primary"]}
    assert not sorted(tenant_tables - with_primary), f"tenant tables without a primary key: {sorted(tenant_tables - with_primary)}"
    offending = sorted(
        f"{key['table_name']}.{key['index_name']} {key['columns']}"
        for key in keys
        if key["table_name"] in tenant_tables and _distribution_column(key["table_name"]) not in key["columns"]
    )
    assert not offending, (
        f"unique keys without the distribution column (schema.sql rules 2 and 5): {offending}. "
        "Put org_id in the key, or claim a name unique across organizations in global_names"
    )


async def test_every_foreign_key_between_tenant_tables_includes_org_id_on_both_sides(catalog: asyncpg.Connection) -> None:
    offending = []
    for key in await _foreign_keys(catalog):
        source, target = key["source"], key["target"]
        description = f"{key['conname']}: {source} {key['source_columns']} -> {target} {key['target_columns']}"
        if source in REFERENCE_TABLES:
            if target not in REFERENCE_TABLES:
                offending.append(f"{description} (a reference table cannot point at distributed data)")
            continue
        if target in REFERENCE_TABLES:
            continue  # distributed -> reference: allowed as it is
        pairs = list(zip(key["source_columns"], key["target_columns"], strict=True))
        if (_distribution_column(source), _distribution_column(target)) not in pairs:
            offending.append(description)
    assert not offending, f"foreign keys that do not match org_id to org_id (schema.sql rule 3): {offending}"


async def citus_calls(connection: asyncpg.Connection) -> list[str]:
    """The calls that distribute this schema: reference tables, the root, then tenant tables in
    foreign-key order (a referenced table is distributed first), alphabetical among equals."""
    tables = await _tables(connection)
    references = sorted(REFERENCE_TABLES)
    depends: dict[str, set[str]] = {t: set() for t in tables if t not in REFERENCE_TABLES}
    for key in await _foreign_keys(connection):
        if key["source"] in depends and key["target"] in depends and key["source"] != key["target"]:
            depends[key["source"]].add(key["target"])
    order: list[str] = [TENANT_ROOT]  # every table is co-located with it, so it comes first
    del depends[TENANT_ROOT]
    while depends:
        ready = sorted(t for t, needs in depends.items() if needs <= set(order))
        assert ready, f"foreign-key cycle among {sorted(depends)}"
        order.append(ready[0])
        del depends[ready[0]]
    calls = [f"SELECT create_reference_table('{t}');" for t in references]
    for table in order:
        if table == TENANT_ROOT:
            calls.append(f"SELECT create_distributed_table('{table}', 'id');")
        else:
            calls.append(f"SELECT create_distributed_table('{table}', 'org_id', colocate_with => '{TENANT_ROOT}');")
    return calls


async def test_the_readme_lists_the_citus_calls_for_this_schema(catalog: asyncpg.Connection) -> None:
    expected = "\n".join(await citus_calls(catalog))
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"```sql\n(-- Citus: distribute by organization[^\n]*\n.*?)```", readme, re.S)
    assert match, "README.md lacks the ```sql block starting with '-- Citus: distribute by organization'"
    listed = "\n".join(line for line in match.group(1).splitlines() if line.startswith("SELECT create_"))
    assert listed == expected, f"README's Citus calls are out of date; for this schema they are:\n{expected}"


# ---- applying schema.sql to a database of the schema before global_names --------------------------


@pytest.fixture
async def scratch_database(database_url: str) -> AsyncIterator[str]:
    name = f"citus_ready_{uuid4().hex[:10]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlparse(database_url)._replace(path=f"/{name}").geturl()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _make_it_old(connection: asyncpg.Connection) -> None:
    """What the schema before global_names left: the global unique indexes, no claims, no triggers."""
    await connection.execute(
        """
        DROP TRIGGER organizations_slug_claim ON organizations;
        DROP TRIGGER users_email_claim ON users;
        DROP TRIGGER api_keys_prefix_claim ON api_keys;
        DROP TABLE global_names;
        DROP INDEX organizations_slug_idx;
        ALTER TABLE organizations ADD CONSTRAINT organizations_slug_key UNIQUE (slug);
        CREATE UNIQUE INDEX users_email_key ON users (lower(email));
        CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix);
        """
    )


async def _schema_state(connection: asyncpg.Connection) -> list[tuple[str, str]]:
    return [
        (row["kind"], row["name"])
        for row in await connection.fetch("SELECT kind, name FROM global_names ORDER BY kind, name")
    ]


async def test_applying_the_schema_to_an_old_database_claims_its_names_and_stays_idempotent(scratch_database: str) -> None:
    await apply_schema(scratch_database)
    connection = await asyncpg.connect(scratch_database)
    try:
        await _make_it_old(connection)
        org = await connection.fetchval("INSERT INTO organizations (name, slug, plan) VALUES ('Old', 'old-org', 'pro') RETURNING id")
        await connection.execute(
            "INSERT INTO users (org_id, email, name, role) VALUES ($1, 'Ada@Example.test', 'Ada', 'admin')", org
        )
        await connection.execute(
            "INSERT INTO api_keys (org_id, name, prefix, secret_hash, scopes) VALUES ($1, 'k', 'hd_0ld', 'x', '{admin}')", org
        )

        await apply_schema(scratch_database)
        claimed = await _schema_state(connection)
        assert claimed == [("api-key-prefix", "hd_0ld"), ("organization-slug", "old-org"), ("user-email", "ada@example.test")]
        for old in ("organizations_slug_key", "users_email_key", "api_keys_prefix_key"):
            assert await connection.fetchval("SELECT to_regclass($1)", old) is None, old

        # The global rule still holds, now through the claims: another org cannot take the e-mail.
        other = await connection.fetchval("INSERT INTO organizations (name, slug, plan) VALUES ('New', 'new-org', 'pro') RETURNING id")
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(
                "INSERT INTO users (org_id, email, name, role) VALUES ($1, 'ada@EXAMPLE.test', 'Imposter', 'admin')", other
            )
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute("UPDATE organizations SET slug = 'old-org' WHERE id = $1", other)

        # Applied again: nothing changes.
        before = await _schema_state(connection)
        await apply_schema(scratch_database)
        assert await _schema_state(connection) == before
    finally:
        await connection.close()


async def test_names_are_claimed_released_and_renamed_with_their_rows(db: asyncpg.Pool) -> None:
    slug = f"claim-{uuid4().hex[:8]}"
    email = f"Grace-{uuid4().hex[:8]}@Example.test"
    org = await db.fetchval("INSERT INTO organizations (name, slug, plan) VALUES ('Claims', $1, 'pro') RETURNING id", slug)
    user = await db.fetchval(
        "INSERT INTO users (org_id, email, name, role) VALUES ($1, $2, 'Grace', 'agent') RETURNING id", org, email
    )

    async def owner(kind: str, name: str) -> object:
        return await db.fetchval("SELECT owner_org_id FROM global_names WHERE kind = $1 AND name = $2", kind, name)

    assert await owner("organization-slug", slug) == org
    assert await owner("user-email", email.lower()) == org
    await db.execute("UPDATE users SET email = $3 WHERE org_id = $1 AND id = $2", org, user, "renamed-" + email)
    assert await owner("user-email", email.lower()) is None
    assert await owner("user-email", "renamed-" + email.lower()) == org
    # The old address is free again, for anyone.
    other = await db.fetchval("INSERT INTO organizations (name, slug, plan) VALUES ('Other', $1, 'pro') RETURNING id", slug + "-2")
    await db.execute("INSERT INTO users (org_id, email, name, role) VALUES ($1, $2, 'Grace 2', 'agent')", other, email)
    await db.execute("DELETE FROM organizations WHERE id = ANY($1::uuid[])", [org, other])
    assert await owner("organization-slug", slug) is None
    assert await owner("user-email", "renamed-" + email.lower()) is None
    assert await owner("user-email", email.lower()) is None
