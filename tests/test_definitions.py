"""The code location loads, and its assets, checks, jobs and schedules are the ones operators expect."""

import dagster as dg

from expectations.runner import suite_names
from extract.hubspot.source import hubspot_source
from extract.salesforce.auth import SalesforceSession
from extract.salesforce.source import salesforce_source
from orchestration.checks import validated_tables
from orchestration.definitions import build_definitions, defs
from orchestration.settings import DUCKDB_POOL
from orchestration.sources import MARKETING_SOURCES


def graph():
    return defs.resolve_asset_graph()


def test_definitions_load_with_the_expected_groups():
    groups = {graph().get(k).group_name for k in graph().get_all_asset_keys()}
    layers = {"demo", "reference", "staging", "intermediate", "core", "attribution", "kpi", "restricted",
              "snapshots", "reports", "raw_hubspot", "quarantine", "data_quality", "publish"}
    assert groups == layers | {f"raw_{spec.name}" for spec in MARKETING_SOURCES}


def test_every_extracted_table_is_one_asset_named_like_its_warehouse_table():
    keys = {k.to_user_string() for k in graph().get_all_asset_keys()}
    for spec in MARKETING_SOURCES:
        for table, resource in spec.describe().resources.items():
            if resource.selected:
                assert f"raw_{spec.name}/{table}" in keys
    for table in hubspot_source(access_token="unused").resources:
        assert f"raw_hubspot/{table}" in keys


def test_a_salesforce_deployment_has_salesforce_raw_tables_and_models():
    sf = build_definitions(home="unused", crm="salesforce").resolve_asset_graph()
    keys = {k.to_user_string() for k in sf.get_all_asset_keys()}
    for table in salesforce_source(session=SalesforceSession("unused", "http://unused")).resources:
        assert f"raw_salesforce/{table}" in keys
    assert "staging/stg_salesforce__opportunities" in keys
    assert not any(k.startswith(("raw_hubspot/", "staging/stg_hubspot")) for k in keys)
    assert dg.AssetKey(["raw_salesforce", "opportunity"]) in sf.get(
        dg.AssetKey(["staging", "stg_salesforce__opportunities"])).parent_keys


def test_lineage_runs_from_the_world_through_raw_and_staging_to_the_kpi_table():
    g = graph()
    assert g.get(dg.AssetKey(["raw_web", "events"])).parent_keys == set()  # a real source: no upstream
    assert dg.AssetKey(["raw_hubspot", "deals"]) in g.get(dg.AssetKey(["staging", "stg_hubspot__deals"])).parent_keys
    assert dg.AssetKey(["core", "fct_opportunities"]) in g.get(dg.AssetKey(["kpi", "kpi_pipeline"])).parent_keys
    # the report follows every table a blocking data-quality check guards
    assert g.get(dg.AssetKey("kpi_summary")).parent_keys == set(validated_tables)
    assert {dg.AssetKey(["kpi", "kpi_scorecard"]), dg.AssetKey(["core", "fct_touchpoints"]),
            dg.AssetKey(["data_quality", "dq_reconciliations"])} <= set(validated_tables)


def test_no_dangling_asset_keys():
    """A check or dependency on a key nobody produces would show as an external asset."""
    assert [k for k in graph().get_all_asset_keys() if graph().get(k).is_external] == []


def test_every_suite_is_a_blocking_check_and_dbt_tests_are_checks():
    g = graph()
    gx_checks = [k for k in g.asset_check_keys if k.name.startswith("gx_")]
    assert {k.name for k in gx_checks} == {f"gx_{name}" for name in suite_names()}
    assert len(gx_checks) >= 20 and all(g.get_check_spec(k).blocking for k in gx_checks)
    assert any(k.name == "unique_fct_opportunities_opportunity_id" for k in g.asset_check_keys)


def test_warehouse_writers_share_one_pool():
    g = graph()
    writers = [dg.AssetKey(["raw_web", "events"]), dg.AssetKey(["core", "fct_opportunities"]),
               dg.AssetKey("kpi_summary")]
    for key in writers:
        assert g.get(key).pools == {DUCKDB_POOL}


def test_run_failures_alert_through_a_sensor():
    assert defs.resolve_sensor_def("alert_on_run_failure").default_status == dg.DefaultSensorStatus.RUNNING


def test_daily_schedule_runs_the_refresh_job():
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "0 5 * * *"
    job = defs.resolve_job_def("refresh_warehouse")
    assert schedule.job_name == job.name
    selected = job.asset_layer.selected_asset_keys
    assert dg.AssetKey("demo_world") not in selected
    assert dg.AssetKey("kpi_summary") in selected
