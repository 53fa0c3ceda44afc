"""Assembles the code location: assets, checks, jobs, schedules and resources."""

import dagster as dg
from dagster_dlt import DagsterDltResource

from orchestration.alerts import alert_on_run_failure
from orchestration.checks import suite_checks
from orchestration.dbt_assets import build_dbt_assets, dbt_resource
from orchestration.demo_assets import demo_world
from orchestration.extract_assets import build_extract_assets
from orchestration.jobs import daily_refresh, refresh_warehouse
from orchestration.publish_assets import publish_assets
from orchestration.reports import kpi_summary
from orchestration.settings import WarehouseResource, check_crm, crm_from_env, home_from_env


def build_definitions(home: str | None = None, crm: str | None = None,
                      loggers: dict[str, dg.LoggerDefinition] | None = None) -> dg.Definitions:
    """Definitions for one deployment: its working folder and CRM (default: from the environment)."""
    crm = check_crm(crm or crm_from_env())
    return dg.Definitions(
        assets=[demo_world, *build_extract_assets(crm), build_dbt_assets(crm), kpi_summary, *publish_assets()],
        asset_checks=suite_checks,
        jobs=[refresh_warehouse],
        schedules=[daily_refresh],
        sensors=[alert_on_run_failure],
        resources={
            "warehouse": WarehouseResource(home=home or home_from_env(), crm=crm),
            "dlt_loader": DagsterDltResource(),
            "dbt": dbt_resource(crm),
        },
        loggers=loggers,
    )


defs = build_definitions()
