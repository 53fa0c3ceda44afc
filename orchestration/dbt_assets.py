"""The dbt project as Dagster assets: models, seeds and their tests (as asset checks).

Which models exist depends on the CRM (dbt_project.yml enables that CRM's staging), so each CRM
gets its own parsed manifest under target/<crm>/.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.settings import CRM_ENV, DUCKDB_POOL, WarehouseResource, temporary_env

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
# The dbt installed beside this Python, so runs work without an activated virtualenv.
_BESIDE_PYTHON = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_BESIDE_PYTHON) if _BESIDE_PYTHON.exists() else (shutil.which("dbt") or "dbt")


def dbt_project_for(crm: str) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=Path("target") / crm)


def dbt_resource(crm: str) -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project_for(crm), dbt_executable=DBT_EXECUTABLE)


def ensure_manifest(crm: str) -> Path:
    """Parse the project for this CRM when its manifest is missing or older than any project file."""
    project = dbt_project_for(crm)
    manifest = project.manifest_path
    newest = max(p.stat().st_mtime for p in DBT_PROJECT_DIR.rglob("*")
                 if p.suffix in {".sql", ".yml", ".csv", ".md"} and "target" not in p.parts)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        subprocess.run([DBT_EXECUTABLE, "parse", "--quiet", "--target-path", str(project.target_path)],
                       cwd=DBT_PROJECT_DIR, env={**os.environ, CRM_ENV: crm, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
                       check=True, capture_output=True)
    return manifest


class LayeredTranslator(DagsterDbtTranslator):
    """dbt sources map to the raw tables the loaders produce; models are grouped by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if dbt_resource_props["resource_type"] == "snapshot":
            return "snapshots"
        if len(fqn) > 2 and fqn[1] in ("staging", "intermediate"):
            return fqn[1]
        return fqn[-2] if len(fqn) > 2 else "dbt"


def generate_docs(crm: str, warehouse: WarehouseResource) -> Path:
    """`dbt docs generate --static` into reports/dbt_docs/: one HTML file (static_index.html) with
    every model, column description, test, exposure and the catalog of the built warehouse."""
    out = warehouse.reports_dir / "dbt_docs"
    out.mkdir(parents=True, exist_ok=True)
    parsed = dbt_project_for(crm).manifest_path.parent
    for name in ("manifest.json", "partial_parse.msgpack"):  # start from the parse already made
        if (parsed / name).exists():
            shutil.copy(parsed / name, out / name)
    subprocess.run([DBT_EXECUTABLE, "docs", "generate", "--static", "--no-compile", "--quiet",
                    "--target-path", str(out), "--log-path", str(out / "logs")],
                   cwd=DBT_PROJECT_DIR, check=True, capture_output=True,
                   env={**os.environ, **warehouse.dbt_env(), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)})
    return out / "static_index.html"


@cache
def build_dbt_assets(crm: str) -> dg.AssetsDefinition:
    @dbt_assets(manifest=ensure_manifest(crm), dagster_dbt_translator=LayeredTranslator(), pool=DUCKDB_POOL,
                name=f"dbt_models_{crm}")
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        # dbt reads the warehouse path and the CRM from the environment (profiles.yml, dbt_project.yml).
        with temporary_env(warehouse.dbt_env()):
            yield from dbt.cli(["build"], context=context).stream()

    return dbt_models
