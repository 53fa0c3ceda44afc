"""Publishing the validated marts to Postgres, for BI tools that speak Postgres.

The source is the published DuckDB file (validated by the data-quality gate), so Postgres never
holds numbers the gate has not passed. Each schema is loaded into `<schema>__next`, granted to the
BI role, then swapped in by renaming `<schema>` to `<schema>__previous` and `<schema>__next` to
`<schema>` in one transaction: a reader resolves a table name to the old or the new schema, never
a mix, and a query already running keeps its tables until it ends. The previous schemas are
dropped afterwards (waiting for such queries), or at the next publish. A failed load leaves the
live schemas untouched.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from orchestration.publish import BI_ROLE_ENV, BI_SCHEMAS, DEFAULT_BI_ROLE, PUBLICATION_SCHEMA, published_tables

# the BI role may read these; the publication table says which run and data date they hold
GRANTED_SCHEMAS = (*BI_SCHEMAS, PUBLICATION_SCHEMA)
LOCK_TIMEOUT = "5s"  # how long the swap waits for a lock before failing (and leaving the old schemas live)


def postgres_type(duckdb_type: str) -> str:
    """A DuckDB column type as Postgres spells it."""
    t = duckdb_type.upper()
    if t.startswith("DECIMAL"):
        return t.replace("DECIMAL", "numeric")
    return {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint",
            "HUGEINT": "numeric(38, 0)", "DOUBLE": "double precision", "FLOAT": "real", "BOOLEAN": "boolean",
            "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz",
            "UUID": "uuid"}.get(t, "text")


def bi_role() -> str:
    return os.environ.get(BI_ROLE_ENV, "").strip() or DEFAULT_BI_ROLE


def _role_exists(cur, role: str) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cur.fetchone() is not None


def publish_postgres(published_duckdb: Path, url: str) -> dict:
    """Load the published file's schemas into Postgres and swap them in; returns timings."""
    started = time.monotonic()
    schemas = GRANTED_SCHEMAS
    with duckdb.connect(str(published_duckdb), read_only=True) as source, \
            psycopg.connect(url, autocommit=False) as pg, tempfile.TemporaryDirectory() as scratch:
        tables = [t for t in published_tables(source, source.execute("SELECT current_database()").fetchone()[0],
                                              schemas)]
        with pg.cursor() as cur:
            for schema in schemas:
                cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"{schema}__next")))
                cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(f"{schema}__next")))
            rows = 0
            for schema, table in tables:
                rows += _copy_table(source, cur, schema, table, Path(scratch))
            role = bi_role()
            if _role_exists(cur, role):
                for schema in schemas:
                    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                        sql.Identifier(f"{schema}__next"), sql.Identifier(role)))
                    cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                        sql.Identifier(f"{schema}__next"), sql.Identifier(role)))
        pg.commit()
        loaded = time.monotonic()

        with pg.cursor() as cur:  # the swap: one short transaction
            cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            for schema in schemas:
                cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"{schema}__previous")))
                cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
                if cur.fetchone():
                    cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(schema), sql.Identifier(f"{schema}__previous")))
                cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(f"{schema}__next"), sql.Identifier(schema)))
        pg.commit()
        swapped = time.monotonic()

        with pg.cursor() as cur:  # waits for queries still reading the previous tables
            for schema in schemas:
                cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"{schema}__previous")))
        pg.commit()
    return {"tables": len(tables), "rows": rows, "load_seconds": round(loaded - started, 2),
            "swap_seconds": round(swapped - loaded, 3), "total_seconds": round(time.monotonic() - started, 2)}


def _copy_table(source: duckdb.DuckDBPyConnection, cur, schema: str, table: str, scratch: Path) -> int:
    columns = source.execute(f"DESCRIBE {schema}.{table}").fetchall()
    target = sql.Identifier(f"{schema}__next", table)
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(postgres_type(kind))) for name, kind, *_ in columns)))
    csv_path = scratch / f"{schema}.{table}.csv"
    source.execute(f"COPY (SELECT * FROM {schema}.{table}) TO '{csv_path}' (HEADER false, DELIMITER ',', QUOTE '\"')")
    with cur.copy(sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv)").format(target)) as copy, open(csv_path, "rb") as f:
        while chunk := f.read(1 << 20):
            copy.write(chunk)
    csv_path.unlink()
    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(target))
    return cur.fetchone()[0]


def create_bi_role(url: str, role: str, password: str) -> None:
    """Create (or update) the read-only BI role: it may connect and select the published schemas,
    and nothing else. Idempotent; later publishes grant it the new tables."""
    with psycopg.connect(url, autocommit=True) as pg, pg.cursor() as cur:
        if _role_exists(cur, role):
            cur.execute(sql.SQL("ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)))
        else:
            cur.execute(sql.SQL("CREATE ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)))
        cur.execute("SELECT current_database()")
        database = cur.fetchone()[0]
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(role)))
        cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(sql.Identifier(role)))
        for schema in GRANTED_SCHEMAS:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
            if cur.fetchone():
                cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                    sql.Identifier(schema), sql.Identifier(role)))
                cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                    sql.Identifier(schema), sql.Identifier(role)))
