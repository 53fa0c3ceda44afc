"""Great Expectations suites as blocking Dagster asset checks on the tables they validate.

A failing suite fails its check with ERROR severity; because the checks are blocking, nothing
downstream of the table (reports, publishing) runs in that run. The check's metadata names each
failed expectation with its observed value and a sample of failing rows.
"""


import json

import dagster as dg
import duckdb

from expectations.runner import ValidationOutcome, load_suite, suite_names, validate_dataframe
from orchestration.settings import DUCKDB_POOL, WarehouseResource


def read_table(warehouse: WarehouseResource, table: str):
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        return con.sql(f"SELECT * FROM {table}").df()


def outcome_metadata(outcome: ValidationOutcome) -> dict:
    meta = {
        "suite": outcome.suite,
        "table": outcome.table,
        "rows_validated": outcome.rows,
        "expectations_evaluated": outcome.evaluated,
        "expectations_failed": len(outcome.failed),
        "summary": outcome.summary(),
    }
    if outcome.failed:
        lines = ["| expectation | column | observed | failing rows |", "|---|---|---|---|"]
        lines += [f"| {f.expectation} | {f.column or ''} | {json.dumps(f.observed_value)} "
                  f"| {f.unexpected_count or ''} |"
                  for f in outcome.failed]
        meta["failed_expectations"] = dg.MetadataValue.md("\n".join(lines))
        meta["sample_failing_rows"] = dg.MetadataValue.json(
            {f"{f.expectation}:{f.column or 'table'}": f.failing_rows for f in outcome.failed})
    return meta


def _suite_check(suite_name: str) -> dg.AssetChecksDefinition:
    suite = load_suite(suite_name)
    asset_key = dg.AssetKey(suite.table.split("."))  # dbt assets are keyed schema/model

    # In the warehouse pool: DuckDB refuses even a read-only open while another process writes.
    @dg.asset_check(asset=asset_key, name=f"gx_{suite_name}", blocking=True, pool=DUCKDB_POOL,
                    description=f"Great Expectations suite expectations/suites/{suite_name}.json")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        outcome = validate_dataframe(suite, read_table(warehouse, suite.table))
        return dg.AssetCheckResult(passed=outcome.success, severity=dg.AssetCheckSeverity.ERROR,
                                   metadata=outcome_metadata(outcome))

    return _check


suite_checks = [_suite_check(name) for name in suite_names()]
