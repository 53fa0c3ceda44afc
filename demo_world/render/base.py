"""Shared plumbing for the renderers: an in-memory DuckDB with id and time macros, and writers.

The simulation works in numbers; the renderers turn them into each system's own ids, strings and
timestamps with SQL, which is fast and keeps the formatting rules in one readable place.
Files are written with pyarrow from fully ordered results, so the same seed gives the same bytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class Renderer:
    def __init__(self, seed: int, out_dir: Path):
        self.seed = seed
        self.out_dir = out_dir
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")  # the CLI prints its own progress
        # Big worlds spill to disk instead of exhausting memory; the folder is removed on close.
        self.spill_dir = out_dir / ".render_tmp"
        self.con.execute(f"SET temp_directory = '{self.spill_dir}'")
        self.con.execute("SET memory_limit = '4GB'")
        self.row_counts: dict[str, int] = {}
        for macro in _MACROS:
            self.con.execute(macro.replace("{seed}", str(int(seed))))

    def register(self, name: str, df: pd.DataFrame) -> None:
        self.con.register(name, df)

    def table(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def write_parquet(self, rel_path: str, sql: str) -> pa.Table:
        table = self.table(sql)
        path = self.out_dir / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        self.row_counts[rel_path] = table.num_rows
        return table

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.spill_dir, ignore_errors=True)


_MACROS = [
    # ISO 8601 in UTC with milliseconds, as REST APIs return it; NULL for missing (-1) times.
    """CREATE MACRO iso(t) AS CASE WHEN t IS NULL OR t < 0 THEN NULL
       ELSE strftime(make_timestamp(t::BIGINT * 1000000), '%Y-%m-%dT%H:%M:%S.000Z') END""",
    """CREATE MACRO ts(t) AS CASE WHEN t IS NULL OR t < 0 THEN NULL
       ELSE make_timestamp(t::BIGINT * 1000000) END""",
    "CREATE MACRO day_of(t) AS strftime(make_timestamp(t::BIGINT * 1000000), '%Y-%m-%d')",
    # A stable pseudo-random hex string for any (kind, number): same seed, same ids.
    "CREATE MACRO hexid(kind, n, len) AS substr(md5('{seed}:' || kind || ':' || n::VARCHAR), 1, len)",
    """CREATE MACRO uuid_of(kind, n) AS (
       substr(md5('{seed}:' || kind || ':' || n::VARCHAR), 1, 8) || '-' ||
       substr(md5('{seed}:' || kind || ':' || n::VARCHAR), 9, 4) || '-4' ||
       substr(md5('{seed}:' || kind || ':' || n::VARCHAR), 14, 3) || '-a' ||
       substr(md5('{seed}:' || kind || ':' || n::VARCHAR), 18, 3) || '-' ||
       substr(md5('{seed}:' || kind || ':' || n::VARCHAR), 21, 12))""",
]
