"""Where a deployment keeps its files, chosen by the environment in one place.

REVENUE_WAREHOUSE_HOME is the working folder (default: ./warehouse-demo) and
REVENUE_WAREHOUSE_CRM the CRM the company runs (hubspot, the default, or salesforce). Under the
working folder:
    world/             the demo world the demo loads (the vendors' systems stand-in)
    warehouse.duckdb   the working warehouse file the pipeline builds
    published/         warehouse.duckdb: the validated copy BI tools read, swapped in atomically
    reports/           KPI summary, the Great Expectations Data Docs (reports/data_docs/) and other reports
    quality/           the data-quality gate's Great Expectations project and volume history
    .dlt/              the loaders' pipeline state
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

HOME_ENV = "REVENUE_WAREHOUSE_HOME"
CRM_ENV = "REVENUE_WAREHOUSE_CRM"  # read by dbt_project.yml too
SUPPORTED_CRMS = ("hubspot", "salesforce")
DUCKDB_ENV = "REVENUE_WAREHOUSE_DUCKDB"  # read by the dbt profile
DEFAULT_HOME = "warehouse-demo"
DUCKDB_POOL = "duckdb_warehouse"  # one writer at a time: DuckDB allows a single writing process


def home_from_env() -> str:
    return str(Path(os.environ.get(HOME_ENV, DEFAULT_HOME)).resolve())


def crm_from_env() -> str:
    return check_crm(os.environ.get(CRM_ENV, "").strip().lower() or "hubspot")


def check_crm(crm: str) -> str:
    if crm not in SUPPORTED_CRMS:
        raise ValueError(f"{CRM_ENV} must be one of {', '.join(SUPPORTED_CRMS)}, got {crm!r}")
    return crm


class WarehouseResource(dg.ConfigurableResource):
    """Paths and CRM of one warehouse deployment."""

    home: str
    crm: str = "hubspot"

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
    def published_path(self) -> Path:
        """The validated copy BI tools open (read-only); replaced atomically by each publish."""
        return self.root / "published" / "warehouse.duckdb"

    @property
    def quality_dir(self) -> Path:
        return self.root / "quality"

    @property
    def data_docs_dir(self) -> Path:
        return self.reports_dir / "data_docs"

    @property
    def dlt_dir(self) -> Path:
        return self.root / ".dlt"

    def dbt_env(self) -> dict[str, str]:
        return {DUCKDB_ENV: str(self.duckdb_path), CRM_ENV: self.crm}


@contextmanager
def temporary_env(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block (dbt and the connectors read the environment)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
