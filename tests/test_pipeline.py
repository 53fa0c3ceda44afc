"""The thin path end to end: world -> raw -> dbt -> checked KPI table -> report."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import build_definitions

FX_SEED = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "fx_rates.csv"
KPI = dg.AssetKey(["kpi", "kpi_pipeline"])
GX_CHECK = dg.AssetCheckKey(KPI, "gx_kpi_pipeline")


def test_full_run_succeeds_and_builds_the_kpi_table(built_home):
    home, result, _ = built_home
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {dg.AssetKey(["raw_hubspot", "deals"]), dg.AssetKey(["core", "fct_opportunities"]),
            dg.AssetKey(["core", "dim_person"]), KPI, dg.AssetKey("kpi_summary")} <= materialized
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows, months, segments = con.execute(
            "SELECT count(*), count(DISTINCT month), count(DISTINCT segment) FROM kpi.kpi_pipeline").fetchall()[0]
    assert (months, segments) == (24, 4) and rows == months * segments


def test_gx_check_and_dbt_tests_ran_and_passed(built_home):
    _, result, _ = built_home
    evaluations = {e.asset_check_key: e for e in result.get_asset_check_evaluations()}
    assert evaluations[GX_CHECK].passed
    assert evaluations[GX_CHECK].metadata["expectations_evaluated"].value >= 10
    dbt_checks = [k for k in evaluations if k.name.startswith(("unique_", "not_null_"))]
    assert len(dbt_checks) >= 5 and all(evaluations[k].passed for k in dbt_checks)


def test_kpi_table_reconciles_with_the_extracted_deals(built_home):
    """Counts and money in the KPI table equal what was extracted (deleted deals excluded)."""
    home, _, _ = built_home
    world = home / "world"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        kpi = con.execute("""SELECT sum(opportunities_created), sum(deals_won), sum(deals_lost),
                                    round(sum(bookings_amount), 2) FROM kpi.kpi_pipeline""").fetchall()[0]
        raw = con.execute(f"""
            WITH d AS (SELECT * FROM '{world}/hubspot/deals.parquet' WHERE NOT archived),
                 fx AS (SELECT * FROM read_csv('{FX_SEED}'))
            SELECT count(*),
                   count(*) FILTER (WHERE properties__hs_is_closed_won = 'true'),
                   count(*) FILTER (WHERE properties__hs_is_closed = 'true' AND properties__hs_is_closed_won = 'false'),
                   round(sum(CASE WHEN properties__hs_is_closed_won = 'true'
                             THEN cast(properties__amount AS DECIMAL(28, 6)) / fx.units_per_usd END), 2)
            FROM d JOIN fx ON fx.currency = d.properties__deal_currency_code""").fetchall()[0]
        loaded = con.execute("SELECT count(*) FROM raw_hubspot.deals").fetchall()[0][0]
        truth = con.execute(f"SELECT count(*) FROM '{world}/truth/opportunities.parquet'").fetchall()[0][0]
    assert kpi[:3] == raw[:3]
    assert float(kpi[3]) == pytest.approx(float(raw[3]), abs=0.05)
    assert loaded == truth  # nothing lost between the source and raw


def test_kpi_summary_report_is_written_from_the_validated_table(built_home):
    home, _, _ = built_home
    summary = json.loads((home / "reports" / "kpi_summary.json").read_text())
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        won = con.execute("""SELECT sum(deals_won) FROM kpi.kpi_pipeline
                             WHERE month > (SELECT max(month) FROM kpi.kpi_pipeline) - INTERVAL 12 MONTH
                          """).fetchall()[0][0]
    assert summary["deals_won"] == won
    assert summary["reporting_currency"] == "USD"
    assert 0 < summary["win_rate"] < 1


def _validate_and_report(home):
    """Run only the blocking check and what is downstream of the KPI table."""
    job = dg.define_asset_job(
        "validate_and_report",
        selection=dg.AssetSelection.checks(GX_CHECK) | dg.AssetSelection.assets("kpi_summary"))
    defs = dg.Definitions.merge(build_definitions(str(home)), dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("validate_and_report").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


@pytest.mark.parametrize("corruption, expected", [
    ("INSERT INTO kpi.kpi_pipeline SELECT * FROM kpi.kpi_pipeline LIMIT 1",
     "expect_compound_columns_to_be_unique"),
    ("UPDATE kpi.kpi_pipeline SET win_rate = 1.25 "
     "WHERE month = (SELECT max(month) FROM kpi.kpi_pipeline)",
     "expect_column_values_to_be_between on win_rate"),
    ("UPDATE kpi.kpi_pipeline SET bookings_amount = -1 "
     "WHERE month = (SELECT min(month) FROM kpi.kpi_pipeline)",
     "expect_column_values_to_be_between on bookings_amount"),
])
def test_corrupted_kpi_table_fails_the_check_and_blocks_the_report(built_home, tmp_path, corruption, expected):
    home, _, _ = built_home
    corrupted = tmp_path / "home"
    corrupted.mkdir()
    (corrupted / "warehouse.duckdb").write_bytes((home / "warehouse.duckdb").read_bytes())
    with duckdb.connect(str(corrupted / "warehouse.duckdb")) as con:
        con.execute(corruption)

    result = _validate_and_report(corrupted)

    assert not result.success
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.asset_check_key == GX_CHECK)
    assert not evaluation.passed
    assert expected in evaluation.metadata["summary"].value
    assert "sample_failing_rows" in evaluation.metadata
    assert not any(e.asset_key == dg.AssetKey("kpi_summary") for e in result.get_asset_materialization_events())
    assert not (corrupted / "reports" / "kpi_summary.json").exists()


def test_clean_table_passes_and_the_report_follows(built_home, tmp_path):
    home, _, _ = built_home
    copy = tmp_path / "home"
    copy.mkdir()
    (copy / "warehouse.duckdb").write_bytes((home / "warehouse.duckdb").read_bytes())
    result = _validate_and_report(copy)
    assert result.success
    assert (copy / "reports" / "kpi_summary.json").exists()


def test_extraction_from_a_missing_folder_fails_with_a_clear_message(tmp_path):
    defs = build_definitions(str(tmp_path))
    job = dg.define_asset_job("extract_web", selection=dg.AssetSelection.groups("raw_web"))
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    result = defs.resolve_job_def("extract_web").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "web events folder" in message and "does not exist (set WEB_EVENTS_URL)" in message


def test_a_salesforce_company_gets_the_same_checked_kpi_table(built_salesforce_home):
    home, result, _ = built_salesforce_home
    assert result.success
    evaluations = {e.asset_check_key: e for e in result.get_asset_check_evaluations()}
    assert evaluations[GX_CHECK].passed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {dg.AssetKey(["raw_salesforce", "opportunity"]), dg.AssetKey(["staging", "stg_salesforce__leads"]),
            KPI} <= materialized
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        kpi = con.execute("SELECT sum(opportunities_created), sum(deals_won) FROM kpi.kpi_pipeline").fetchall()
        raw = con.execute("""SELECT count(*), count(*) FILTER (WHERE is_won)
                             FROM raw_salesforce.opportunity WHERE NOT is_deleted""").fetchall()
        people = con.execute("""SELECT count(*) FROM core.bridge_person_source_record
                                WHERE record_type IN ('lead', 'contact') AND NOT is_merged_away""").fetchall()[0][0]
        records = con.execute("""SELECT (SELECT count(*) FROM raw_salesforce.lead)
                                      + (SELECT count(*) FROM raw_salesforce.contact)""").fetchall()[0][0]
    assert kpi == raw
    assert people == records  # every lead and contact maps to a person, deleted ones flagged


def test_raw_table_materializations_carry_row_counts_and_cursors(built_home):
    _, result, _ = built_home
    events = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    contacts = events[dg.AssetKey(["raw_hubspot", "contacts"])]
    assert contacts["rows_loaded"].value > 0
    assert contacts["cursor"].value.startswith("20")
    assert contacts["dagster/table_name"].value == "raw_hubspot.contacts"


@pytest.mark.parametrize("built", ["built_home", "built_salesforce_home"])
def test_no_secret_reaches_run_events_or_metadata(built, request):
    _, result, secrets = request.getfixturevalue(built)
    assert secrets
    text = "\n".join(str(event) for event in result.all_events)
    for secret in secrets:
        assert secret not in text
