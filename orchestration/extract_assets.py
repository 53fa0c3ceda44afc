"""Extraction assets: one Dagster asset per raw table, one dlt pipeline per source system.

The demo world stands in for the vendors' systems: its export files are loaded by dlt into
`raw_<system>` schemas of the warehouse. Asset keys are `raw_<system>/<table>`, exactly the
warehouse table they produce, which is also how the dbt sources map onto them.
"""


import tempfile
from pathlib import Path

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from demo_world.world import WorldError, generate_world, read_manifest
from extract.world_files.settings import SYSTEMS
from extract.world_files.source import world_system_source
from orchestration.settings import DUCKDB_POOL, WarehouseResource

DEMO_WORLD_KEY = dg.AssetKey("demo_world")


class DemoWorldConfig(dg.Config):
    seed: int = 42
    scale: float = 1.0


@dg.asset(key=DEMO_WORLD_KEY, group_name="demo", kinds={"python"},
          description="A simulated B2B company's source systems (CRM, email, ads, web) with ground truth.")
def demo_world(context: dg.AssetExecutionContext, config: DemoWorldConfig,
               warehouse: WarehouseResource) -> dg.MaterializeResult:
    summary = generate_world(warehouse.world_dir, seed=config.seed, scale=config.scale, progress=context.log.info)
    return dg.MaterializeResult(metadata={
        "seed": config.seed, "scale": config.scale, "path": str(summary.path),
        "rows": sum(summary.row_counts.values()),
    })


class RawTableTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        system = data.resource.source_name
        return super().get_asset_spec(data).replace_attributes(
            key=dg.AssetKey([f"raw_{system}", data.resource.name]),
            group_name=f"raw_{system}",
            deps=[DEMO_WORLD_KEY],
            description=f"{system} {data.resource.name}, loaded as delivered into raw_{system}.",
        )


def world_pipeline(system: str, duckdb_path: Path, pipelines_dir: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"world_{system}",
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name=f"raw_{system}",
        pipelines_dir=str(pipelines_dir),
    )


def _extract_assets(system: str) -> dg.AssetsDefinition:
    # The source and pipeline given to the decorator only describe the assets; each run builds
    # its own against the deployment's paths.
    spec_dir = Path(tempfile.gettempdir()) / "revenue_warehouse_dlt_specs"

    @dlt_assets(
        dlt_source=world_system_source(system, "."),
        dlt_pipeline=world_pipeline(system, spec_dir / "spec.duckdb", spec_dir),
        name=f"extract_{system}",
        dagster_dlt_translator=RawTableTranslator(),
        pool=DUCKDB_POOL,
    )
    def _assets(context: dg.AssetExecutionContext, dlt_loader: DagsterDltResource,
                warehouse: WarehouseResource):
        try:
            read_manifest(warehouse.world_dir)
        except WorldError as exc:
            raise dg.Failure(f"{exc} (materialize demo_world or run `revenue-warehouse generate`)") from exc
        dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
        yield from dlt_loader.run(
            context=context,
            dlt_source=world_system_source(system, warehouse.world_dir),
            dlt_pipeline=world_pipeline(system, warehouse.duckdb_path, warehouse.dlt_dir),
        )

    return _assets


extract_assets = [_extract_assets(system) for system in SYSTEMS]
