"""Throughput of every connector against the local vendor APIs (and folders) of a demo world.

    python benchmarks/bench_connectors.py [--scale 1] [--crms hubspot salesforce]

For each CRM: generate a world under a temporary working folder, serve its APIs, and run each
source's full extraction into a fresh DuckDB file, printing records loaded, the time of each dlt
step and records per second end to end. The marketing sources are measured with the first CRM.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import dlt

from demo_world.vendor_apis.serve import local_vendor_apis
from demo_world.world import generate_world
from orchestration.settings import WarehouseResource, temporary_env
from orchestration.sources import CRM_SOURCES, MARKETING_SOURCES, SourceSpec


def measure(spec: SourceSpec, warehouse: WarehouseResource, requests_before: int, api) -> None:
    pipeline = dlt.pipeline(pipeline_name=f"bench_{spec.name}", dataset_name=f"raw_{spec.name}",
                            destination=dlt.destinations.duckdb(str(warehouse.root / f"{spec.name}.duckdb")),
                            pipelines_dir=str(warehouse.root / "dlt"))
    started = time.monotonic()
    pipeline.extract(spec.build(warehouse), loader_file_format="parquet")
    extracted = time.monotonic()
    pipeline.normalize()
    normalized = time.monotonic()
    pipeline.load()
    loaded = time.monotonic()
    rows = sum(n for table, n in pipeline.last_trace.last_normalize_info.row_counts.items()
               if not table.startswith("_dlt"))
    requests = f"{len(api.requests) - requests_before:>6,}" if api is not None else "  file"
    total = loaded - started
    print(f"{spec.name:<13} {rows:>9,} records {requests} requests  extract {extracted - started:5.1f}s  "
          f"normalize {normalized - extracted:5.1f}s  load {loaded - normalized:5.1f}s  "
          f"total {total:5.1f}s  {rows / total:>8,.0f} records/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--crms", nargs="+", default=list(CRM_SOURCES), choices=list(CRM_SOURCES))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-connectors-"))
    try:
        for position, crm in enumerate(args.crms):
            warehouse = WarehouseResource(home=str(root / crm), crm=crm)
            generate_world(warehouse.world_dir, seed=42, scale=args.scale, crm=crm)
            with local_vendor_apis(warehouse.world_dir) as apis, temporary_env(apis.env):
                specs = [CRM_SOURCES[crm]] + (MARKETING_SOURCES if position == 0 else [])
                for spec in specs:
                    api = apis.apis.get(spec.name)
                    measure(spec, warehouse, len(api.requests) if api else 0, api)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
