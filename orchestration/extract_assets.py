"""Extraction assets: one Dagster asset per raw table, one dlt pipeline per source system.

Asset keys are `raw_<system>/<table>`, exactly the warehouse table they produce, which is also
how the dbt sources map onto them. Every source runs through the same wrapper: Parquet load
files, cursors and the warehouse table in the materialization metadata, one-line errors.
"""

import tempfile
from pathlib import Path

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from orchestration.dlt_runs import run_with_cursors
from orchestration.settings import DUCKDB_POOL, WarehouseResource
from orchestration.sources import SourceSpec, sources_for

# The pipelines given to the decorators only describe the assets; each run builds its own.
_SPEC_DIR = Path(tempfile.gettempdir()) / "revenue_warehouse_dlt_specs"


class RawTableTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        system = data.resource.source_name
        return super().get_asset_spec(data).replace_attributes(
            key=dg.AssetKey([f"raw_{system}", data.resource.name]),
            group_name=f"raw_{system}",
            deps=[],
            description=f"{system} {data.resource.name}, loaded as delivered into raw_{system}.",
        )


def raw_pipeline(system: str, duckdb_path: Path, pipelines_dir: Path) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name=f"raw_{system}", destination=dlt.destinations.duckdb(str(duckdb_path)),
                        dataset_name=f"raw_{system}", pipelines_dir=str(pipelines_dir))


def _extract_assets(spec: SourceSpec) -> dg.AssetsDefinition:
    @dlt_assets(dlt_source=spec.describe(), dlt_pipeline=raw_pipeline(spec.name, _SPEC_DIR / "spec.duckdb", _SPEC_DIR),
                name=f"extract_{spec.name}", dagster_dlt_translator=RawTableTranslator(), pool=DUCKDB_POOL)
    def _assets(context: dg.AssetExecutionContext, dlt_loader: DagsterDltResource, warehouse: WarehouseResource):
        try:
            source = spec.build(warehouse)  # reads credentials: a missing one is a one-line error
        except Exception as exc:
            raise dg.Failure(description=str(exc)) from None
        yield from run_with_cursors(context, dlt_loader, source,
                                    raw_pipeline(spec.name, warehouse.duckdb_path, warehouse.dlt_dir))

    return _assets


def build_extract_assets(crm: str) -> list[dg.AssetsDefinition]:
    return [_extract_assets(spec) for spec in sources_for(crm)]
