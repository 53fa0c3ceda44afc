"""Extraction assets: one Dagster asset per raw table, one dlt pipeline per source system.

The CRM (HubSpot or Salesforce, per deployment) is read through its API connector; the other
systems of the demo world (email, ads, web) are still loaded from the world's export files.
Asset keys are `raw_<system>/<table>`, exactly the warehouse table they produce, which is also
how the dbt sources map onto them.
"""

import tempfile
from pathlib import Path

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from demo_world.world import WorldError, read_manifest
from extract.hubspot.source import hubspot_source
from extract.salesforce.auth import SalesforceSession
from extract.salesforce.source import salesforce_source
from extract.world_files.settings import SYSTEMS
from extract.world_files.source import world_system_source
from orchestration.demo_assets import DEMO_WORLD_KEY
from orchestration.dlt_runs import run_with_cursors
from orchestration.settings import DUCKDB_POOL, WarehouseResource

# The sources and pipelines given to the decorators only describe the assets (no request is
# made and no credential read); each run builds its own against the deployment.
_SPEC_DIR = Path(tempfile.gettempdir()) / "revenue_warehouse_dlt_specs"
_SPEC_SOURCES = {
    "hubspot": lambda: hubspot_source(access_token="describes-assets-only"),
    "salesforce": lambda: salesforce_source(session=SalesforceSession("describes-assets-only", "http://unused")),
}
_RUN_SOURCES = {"hubspot": hubspot_source, "salesforce": salesforce_source}


class RawTableTranslator(DagsterDltTranslator):
    def __init__(self, from_demo_world: bool):
        self.from_demo_world = from_demo_world

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        system = data.resource.source_name
        return super().get_asset_spec(data).replace_attributes(
            key=dg.AssetKey([f"raw_{system}", data.resource.name]),
            group_name=f"raw_{system}",
            deps=[DEMO_WORLD_KEY] if self.from_demo_world else [],
            description=f"{system} {data.resource.name}, loaded as delivered into raw_{system}.",
        )


def raw_pipeline(system: str, duckdb_path: Path, pipelines_dir: Path) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name=f"raw_{system}", destination=dlt.destinations.duckdb(str(duckdb_path)),
                        dataset_name=f"raw_{system}", pipelines_dir=str(pipelines_dir))


def _world_file_assets(system: str) -> dg.AssetsDefinition:
    @dlt_assets(dlt_source=world_system_source(system, "."),
                dlt_pipeline=raw_pipeline(system, _SPEC_DIR / "spec.duckdb", _SPEC_DIR),
                name=f"extract_{system}", dagster_dlt_translator=RawTableTranslator(from_demo_world=True),
                pool=DUCKDB_POOL)
    def _assets(context: dg.AssetExecutionContext, dlt_loader: DagsterDltResource, warehouse: WarehouseResource):
        try:
            read_manifest(warehouse.world_dir)
        except WorldError as exc:
            raise dg.Failure(f"{exc} (materialize demo_world or run `revenue-warehouse generate`)") from exc
        dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
        yield from dlt_loader.run(context=context, dlt_source=world_system_source(system, warehouse.world_dir),
                                  dlt_pipeline=raw_pipeline(system, warehouse.duckdb_path, warehouse.dlt_dir))

    return _assets


def _crm_assets(crm: str) -> dg.AssetsDefinition:
    @dlt_assets(dlt_source=_SPEC_SOURCES[crm](), dlt_pipeline=raw_pipeline(crm, _SPEC_DIR / "spec.duckdb", _SPEC_DIR),
                name=f"extract_{crm}", dagster_dlt_translator=RawTableTranslator(from_demo_world=False),
                pool=DUCKDB_POOL)
    def _assets(context: dg.AssetExecutionContext, dlt_loader: DagsterDltResource, warehouse: WarehouseResource):
        try:
            source = _RUN_SOURCES[crm]()  # reads the credentials: a missing one is a one-line error
        except Exception as exc:
            raise dg.Failure(description=str(exc)) from None
        yield from run_with_cursors(context, dlt_loader, source,
                                    raw_pipeline(crm, warehouse.duckdb_path, warehouse.dlt_dir))

    return _assets


def build_extract_assets(crm: str) -> list[dg.AssetsDefinition]:
    return [_crm_assets(crm)] + [_world_file_assets(system) for system in SYSTEMS]
