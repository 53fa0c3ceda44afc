"""Dagster assets that publish the validated warehouse and draw the KPI report from it.

`published_warehouse` depends on every table a blocking data-quality check guards, so a failed
check stops it and the last good publication stays. The Postgres publication and the KPI report
read the published file, never the working one.
"""

import os

import dagster as dg

from orchestration.checks import validated_tables
from orchestration.dbt_assets import generate_docs
from orchestration.kpi_report import REPORT_FILE, write_report
from orchestration.publish import POSTGRES_URL_ENV, publish_duckdb
from orchestration.settings import DUCKDB_POOL, WarehouseResource

PUBLISHED = dg.AssetKey("published_warehouse")


@dg.asset(key=PUBLISHED, deps=validated_tables, group_name="publish", kinds={"duckdb"}, pool=DUCKDB_POOL,
          description="The validated marts (core, kpi, reference) in a read-only DuckDB file for BI tools, "
                      "swapped in atomically after every check passed.")
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    publication = publish_duckdb(warehouse.duckdb_path, warehouse.published_path, context.run.run_id)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(warehouse.published_path)),
        "data_date": publication.data_date, "tables": publication.tables, "rows": publication.rows,
        "publish_seconds": publication.seconds})


@dg.asset(deps=[PUBLISHED], group_name="publish", kinds={"postgres"},
          description=f"The published marts swapped into Postgres (when {POSTGRES_URL_ENV} is set).")
def postgres_publication(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.publish_postgres import publish_postgres  # psycopg: only where Postgres is used

    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not url:
        raise dg.Failure(f"{POSTGRES_URL_ENV} is not set: there is no Postgres to publish to")
    timings = publish_postgres(warehouse.published_path, url)
    return dg.MaterializeResult(metadata=timings)


@dg.asset(deps=[PUBLISHED], group_name="reports", kinds={"html"},
          description="The KPI report: one static HTML file with the scorecard, funnel, pipeline, channels, "
                      "attribution and retention, drawn from the published warehouse.")
def kpi_report(warehouse: WarehouseResource) -> dg.MaterializeResult:
    path = write_report(warehouse.published_path, warehouse.reports_dir / REPORT_FILE)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


@dg.asset(deps=[PUBLISHED], group_name="reports", kinds={"dbt"}, pool=DUCKDB_POOL,
          description="dbt's documentation site (every mart, column, test and exposure, with the lineage) "
                      "as one HTML file: reports/dbt_docs/static_index.html.")
def dbt_docs(warehouse: WarehouseResource) -> dg.MaterializeResult:
    path = generate_docs(warehouse.crm, warehouse)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


def publish_assets() -> list[dg.AssetsDefinition]:
    """The Postgres publication only where a Postgres is configured."""
    assets = [published_warehouse, kpi_report, dbt_docs]
    if os.environ.get(POSTGRES_URL_ENV, "").strip():
        assets.append(postgres_publication)
    return assets
