"""Throughput of the CRM connectors against the local vendor APIs serving a demo world.

    python benchmarks/bench_connectors.py [--scale 1] [--crms hubspot salesforce]

For each CRM: generate a world, serve it, run a full extraction into a fresh DuckDB file, and
print records loaded, the time of each dlt step and records per second end to end.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import dlt

from demo_world.vendor_apis.serve import local_crm_api
from demo_world.world import generate_world
from extract.hubspot.source import hubspot_source
from extract.salesforce.source import salesforce_source
from orchestration.settings import temporary_env

SOURCES = {"hubspot": hubspot_source, "salesforce": salesforce_source}


def measure(crm: str, scale: float, root: Path) -> None:
    world = root / f"world-{crm}"
    generate_world(world, seed=42, scale=scale, crm=crm)
    with local_crm_api(world) as apis, temporary_env(apis.env):
        destination = dlt.destinations.duckdb(str(root / f"{crm}.duckdb"))
        pipeline = dlt.pipeline(pipeline_name=f"bench_{crm}", destination=destination, dataset_name=f"raw_{crm}",
                                pipelines_dir=str(root / "dlt"))
        started = time.monotonic()
        pipeline.extract(SOURCES[crm](), loader_file_format="parquet")
        extracted = time.monotonic()
        pipeline.normalize()
        normalized = time.monotonic()
        pipeline.load()
        loaded = time.monotonic()
        requests = len(apis.apis[crm].requests)
    rows = sum(n for table, n in pipeline.last_trace.last_normalize_info.row_counts.items()
               if not table.startswith("_dlt"))
    total = loaded - started
    print(f"{crm:<11} {rows:>9,} records {requests:>6,} requests  extract {extracted - started:5.1f}s  "
          f"normalize {normalized - extracted:5.1f}s  load {loaded - normalized:5.1f}s  "
          f"total {total:5.1f}s  {rows / total:>8,.0f} records/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--crms", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-connectors-"))
    try:
        for crm in args.crms:
            measure(crm, args.scale, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
