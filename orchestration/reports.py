"""Reports built from validated KPI tables (they run only after the blocking checks pass)."""


import json

import dagster as dg
import duckdb

from orchestration.checks import validated_tables
from orchestration.settings import DUCKDB_POOL, WarehouseResource

KPI_TABLE = "kpi.kpi_pipeline"
SUMMARY_FILE = "kpi_summary.json"


def kpi_summary_from(con: duckdb.DuckDBPyConnection) -> dict:
    """Last twelve months of pipeline and bookings (all segments), from the KPI table."""
    rows = con.execute(f"""
        WITH recent AS (
            SELECT * FROM {KPI_TABLE}
            WHERE month > (SELECT max(month) FROM {KPI_TABLE}) - INTERVAL 12 MONTH
        )
        SELECT min(month), max(month), sum(opportunities_created), sum(pipeline_created_amount),
               sum(deals_won), sum(deals_lost), sum(bookings_amount), max(reporting_currency)
        FROM recent""").fetchall()
    first, last, created, pipeline, won, lost, bookings, currency = rows[0]
    return {
        "period_start": str(first),
        "period_end": str(last),
        "reporting_currency": currency,
        "opportunities_created": int(created or 0),
        "pipeline_created": round(float(pipeline or 0), 2),
        "deals_won": int(won or 0),
        "deals_lost": int(lost or 0),
        "bookings": round(float(bookings or 0), 2),
        "win_rate": round(won / (won + lost), 4) if (won or 0) + (lost or 0) else None,
    }


# Downstream of every table a blocking data-quality check guards: one failed check stops it.
@dg.asset(deps=validated_tables, group_name="reports", kinds={"json"}, pool=DUCKDB_POOL,
          description="The KPI summary the demo prints: last twelve months of pipeline and bookings.")
def kpi_summary(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        summary = kpi_summary_from(con)
    warehouse.reports_dir.mkdir(parents=True, exist_ok=True)
    path = warehouse.reports_dir / SUMMARY_FILE
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return dg.MaterializeResult(metadata={**summary, "path": str(path)})
