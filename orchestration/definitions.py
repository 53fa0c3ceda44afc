"""Assembles the code location: assets, checks, jobs, schedules and resources."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from orchestration.checks import suite_checks
from orchestration.dbt_assets import dbt_models, dbt_resource
from orchestration.extract_assets import demo_world, extract_assets
from orchestration.jobs import daily_refresh, refresh_warehouse
from orchestration.reports import kpi_summary
from orchestration.settings import WarehouseResource, home_from_env


def build_definitions(home: str | None = None,
                      loggers: dict[str, dg.LoggerDefinition] | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[demo_world, *extract_assets, dbt_models, kpi_summary],
        asset_checks=suite_checks,
        jobs=[refresh_warehouse],
        schedules=[daily_refresh],
        resources={
            "warehouse": WarehouseResource(home=home or home_from_env()),
            "dlt_loader": DagsterDltResource(),
            "dbt": dbt_resource(),
        },
        loggers=loggers,
    )


defs = build_definitions()
