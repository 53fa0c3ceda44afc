"""Where a deployment keeps its files, chosen by the environment in one place.

REVENUE_WAREHOUSE_HOME is the working folder (default: ./warehouse-demo). Under it:
    world/             the demo world the demo loads (the vendors' systems stand-in)
    warehouse.duckdb   the warehouse file the pipeline builds
    reports/           KPI summary and other reports
    .dlt/              the loaders' pipeline state
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

HOME_ENV = "REVENUE_WAREHOUSE_HOME"
DUCKDB_ENV = "REVENUE_WAREHOUSE_DUCKDB"  # read by the dbt profile
DEFAULT_HOME = "warehouse-demo"
DUCKDB_POOL = "duckdb_warehouse"  # one writer at a time: DuckDB allows a single writing process


def home_from_env() -> str:
    return str(Path(os.environ.get(HOME_ENV, DEFAULT_HOME)).resolve())


class WarehouseResource(dg.ConfigurableResource):
    """Paths of one warehouse deployment."""

    home: str

    @property
    def root(self) -> Path:
        return Path(self.home)

    @property
    def world_dir(self) -> Path:
        return self.root / "world"

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def dlt_dir(self) -> Path:
        return self.root / ".dlt"

    def dbt_env(self) -> dict[str, str]:
        return {DUCKDB_ENV: str(self.duckdb_path)}
