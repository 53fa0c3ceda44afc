"""Jobs and schedules that data engineers operate."""

from __future__ import annotations

import dagster as dg

from orchestration.demo_assets import DEMO_WORLD_KEY

# Everything but the demo world: extract, build, validate, report. The world is the stand-in for
# the vendors' systems, regenerated only on demand.
refresh_warehouse = dg.define_asset_job(
    name="refresh_warehouse",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(DEMO_WORLD_KEY),
    description="Extract every source, build the dbt models, validate the KPI tables, write reports.",
)

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_warehouse,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Refresh the warehouse every day at 05:00 UTC (turn on in the UI or with `dagster schedule start`).",
)
