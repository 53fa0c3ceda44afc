"""Publishing the validated marts for BI tools, so readers never see a half-built table.

DuckDB: the pipeline builds in the working file (warehouse.duckdb); after the data-quality gate
passes, the BI-facing schemas are copied into a new file next to the published one, which then
replaces it with one atomic rename. A reader that has the published file open keeps reading the
file it opened (the old one stays alive until it closes it); a new connection opens the new one.
When the gate fails, nothing is published and the last good file stays.

Postgres (optional, REVENUE_WAREHOUSE_POSTGRES_URL): the published file's schemas are loaded into
`<schema>__next` schemas, granted to the BI role, then swapped in with two renames per schema in
one transaction; readers see the old or the new schema, never a mix or an empty table.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

# Schemas BI tools read: the marts (pseudonymous: hashed emails, masked names) and the reference
# seeds. Raw, staging, intermediate, restricted (clear PII), quarantine and data-quality tables
# are never published to BI.
BI_SCHEMAS = ("core", "kpi", "reference")
PUBLICATION_SCHEMA = "publication"  # one row: which run and data date the published file holds
POSTGRES_URL_ENV = "REVENUE_WAREHOUSE_POSTGRES_URL"
BI_ROLE_ENV = "REVENUE_WAREHOUSE_BI_ROLE"
BI_PASSWORD_ENV = "REVENUE_WAREHOUSE_BI_PASSWORD"
DEFAULT_BI_ROLE = "bi_reader"


@dataclass(frozen=True)
class Publication:
    run_id: str
    published_at: datetime
    data_date: str | None
    tables: int
    rows: int
    seconds: float


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas=BI_SCHEMAS) -> list[tuple[str, str]]:
    """(schema, table) of the base tables of `schemas` in an attached catalog."""
    placeholders = ", ".join("?" for _ in schemas)
    return con.execute(f"""
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_catalog = ? AND table_schema IN ({placeholders}) AND table_type = 'BASE TABLE'
        ORDER BY table_schema, table_name""", [catalog, *schemas]).fetchall()


def data_date(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    """The latest day the marts hold: the latest touch, stage entry or opportunity activity."""
    value = con.execute(f"""
        SELECT greatest(
            (SELECT max(cast(touched_at AS DATE)) FROM {catalog}.core.fct_touchpoints),
            (SELECT max(cast(coalesce(closed_at, created_at) AS DATE)) FROM {catalog}.core.fct_opportunities))
    """).fetchone()[0]
    return str(value) if value else None


def publish_duckdb(working: Path, published: Path, run_id: str) -> Publication:
    """Copy the BI schemas of the working file into a new file and swap it in atomically."""
    started = time.monotonic()
    published.parent.mkdir(parents=True, exist_ok=True)
    staged = published.with_name(f".{published.name}.{uuid.uuid4().hex}.tmp")
    rows = 0
    try:
        with duckdb.connect(str(staged)) as con:
            con.execute("SET enable_progress_bar = false")  # keeps the run log readable
            con.execute(f"ATTACH '{working}' AS working (READ_ONLY)")
            tables = published_tables(con, "working")
            for schema in BI_SCHEMAS:
                con.execute(f"CREATE SCHEMA {schema}")
            for schema, table in tables:
                con.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM working.{schema}.{table}")
                rows += con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
            publication = Publication(run_id=run_id, published_at=datetime.now(UTC).replace(microsecond=0),
                                      data_date=data_date(con, "working"), tables=len(tables), rows=rows,
                                      seconds=0.0)
            con.execute(f"CREATE SCHEMA {PUBLICATION_SCHEMA}")
            con.execute(f"""CREATE TABLE {PUBLICATION_SCHEMA}.publication AS
                            SELECT ? AS run_id, cast(? AS TIMESTAMP) AS published_at, cast(? AS DATE) AS data_date,
                                   ? AS tables, ? AS row_count""",
                        [run_id, publication.published_at.replace(tzinfo=None), publication.data_date,
                         len(tables), rows])
            con.execute("DETACH working")
            con.execute("CHECKPOINT")
        # read-only for everyone: BI tools open it read-only, and nobody writes into a publication
        os.chmod(staged, 0o444)
        os.replace(staged, published)  # atomic: a new connection sees the old file or the new one
    finally:
        staged.unlink(missing_ok=True)
        Path(f"{staged}.wal").unlink(missing_ok=True)
    return replace(publication, seconds=round(time.monotonic() - started, 2))
