"""Great Expectations suites as blocking Dagster asset checks on the tables they guard.

A failing suite fails its check with ERROR severity; because the checks are blocking, nothing
downstream of the table (the reports, publishing) runs in that run. The check's metadata names
each failed expectation with its observed value and a sample of failing rows, and links the
Great Expectations Data Docs page; a failure also posts an alert (orchestration.alerts).
"""

import json

import dagster as dg
import duckdb

from expectations.runner import (
    QualityWorkspace,
    SuiteFile,
    ValidationOutcome,
    batch_volume,
    freshness_expectation,
    load_suite,
    suite_names,
    volume_expectation,
)
from orchestration.alerts import check_failure_message, post_alert
from orchestration.settings import DUCKDB_POOL, WarehouseResource


def suite_asset_key(suite: SuiteFile) -> dg.AssetKey:
    return dg.AssetKey(suite.table.split("."))  # dbt assets are keyed schema/model


def read_batch(con: duckdb.DuckDBPyConnection, suite: SuiteFile):
    """The suite's batch and its dynamic expectations' inputs, read in one connection."""
    df = con.sql(suite.batch_query).df()
    reference = con.execute(suite.freshness["reference"]).fetchone()[0] if suite.freshness else None
    return df, reference


def run_suite(warehouse: WarehouseResource, suite: SuiteFile) -> ValidationOutcome:
    """Validate the suite on the warehouse as it is now; a passing run becomes the volume baseline."""
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        df, reference = read_batch(con, suite)
    workspace = QualityWorkspace(warehouse.quality_dir, warehouse.data_docs_dir)
    extra = [e for e in (freshness_expectation(suite, reference),
                         volume_expectation(suite, workspace.previous_volume(suite))) if e]
    outcome = workspace.validate(suite, df, extra)
    if outcome.success:
        workspace.record_volume(suite, batch_volume(suite, df))
    return outcome


def outcome_metadata(outcome: ValidationOutcome) -> dict:
    meta = {
        "suite": outcome.suite,
        "table": outcome.table,
        "rows_validated": outcome.rows,
        "expectations_evaluated": outcome.evaluated,
        "expectations_failed": len(outcome.failed),
        "summary": outcome.summary(),
    }
    if outcome.docs_page:
        meta["data_docs"] = dg.MetadataValue.path(outcome.docs_page)
    if outcome.failed:
        lines = ["| expectation | column | observed | failing rows |", "|---|---|---|---|"]
        lines += [f"| {f.expectation} | {f.column or ''} | {json.dumps(f.observed_value, default=str)} "
                  f"| {f.unexpected_count or ''} |"
                  for f in outcome.failed]
        meta["failed_expectations"] = dg.MetadataValue.md("\n".join(lines))
        meta["sample_failing_rows"] = dg.MetadataValue.json(
            {f"{f.expectation}:{f.column or 'table'}": f.failing_rows for f in outcome.failed})
    return meta


def _suite_check(suite_name: str) -> dg.AssetChecksDefinition:
    suite = load_suite(suite_name)

    # In the warehouse pool: DuckDB refuses even a read-only open while another process writes.
    @dg.asset_check(asset=suite_asset_key(suite), name=f"gx_{suite_name}", blocking=True, pool=DUCKDB_POOL,
                    description=f"Great Expectations suite expectations/suites/{suite_name}.json")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        outcome = run_suite(warehouse, suite)
        if not outcome.success:
            post_alert(check_failure_message(context.run.run_id, f"gx_{suite_name}", suite.table, outcome.summary(),
                                             [f.describe() for f in outcome.failed]))
        return dg.AssetCheckResult(passed=outcome.success, severity=dg.AssetCheckSeverity.ERROR,
                                   metadata=outcome_metadata(outcome))

    return _check


suite_checks = [_suite_check(name) for name in suite_names()]
validated_tables = sorted({suite_asset_key(load_suite(name)) for name in suite_names()}, key=str)
