"""Publishing a built warehouse, timed, and how long readers wait meanwhile.

A reader in another process (as a BI tool would be) runs a small KPI query in a loop against the
published DuckDB file, then against Postgres, before and during each publish; the script prints
each publish's time and the readers' query latencies (median, p99, max) before and during it.

    python benchmarks/bench_publish.py --workdir warehouse-demo [--repeat 3]

The workdir must hold a built working warehouse (run the demo first). Postgres is a throwaway
server (Debian's postgresql package); without it only DuckDB is measured.
"""

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

QUERY = """SELECT month, sum(pipeline_created_amount), sum(bookings_amount)
           FROM kpi.kpi_pipeline GROUP BY month ORDER BY month"""


def _duckdb_reader(path: str, stop, out):
    import duckdb

    con = duckdb.connect(path, read_only=True)  # opened once, held through the publish
    while not stop.is_set():
        started = time.monotonic()
        con.execute(QUERY).fetchall()
        out.put((started, time.monotonic() - started))
    con.close()


def _postgres_reader(url: str, stop, out):
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        while not stop.is_set():
            started = time.monotonic()
            con.execute(QUERY).fetchall()
            out.put((started, time.monotonic() - started))


def _latencies(samples, start, end):
    inside = [latency for begun, latency in samples if start <= begun <= end]
    if not inside:
        return "no query"
    inside.sort()
    p99 = inside[min(len(inside) - 1, int(len(inside) * 0.99))]
    return (f"{len(inside)} queries, median {statistics.median(inside) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {inside[-1] * 1000:.1f} ms")


def _measure(reader, target, publish, repeat: int):
    stop, out = multiprocessing.Event(), multiprocessing.Queue()
    process = multiprocessing.Process(target=reader, args=(target, stop, out))
    process.start()
    time.sleep(2)
    baseline_end = time.monotonic()
    windows = []
    for _ in range(repeat):
        started = time.monotonic()
        result = publish()
        windows.append((started, time.monotonic(), result))
        time.sleep(1)
    stop.set()
    samples = []
    while process.is_alive() or not out.empty():
        try:
            samples.append(out.get(timeout=0.5))
        except Exception:  # noqa: BLE001 (queue.Empty)
            if not process.is_alive():
                break
    process.join()
    print(f"  readers before publishing: {_latencies(samples, 0, baseline_end)}")
    for number, (start, end, result) in enumerate(windows, 1):
        print(f"  publish {number}: {end - start:.2f}s {result}")
        print(f"    readers during it: {_latencies(samples, start, end)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from orchestration.publish import publish_duckdb
    from orchestration.settings import WarehouseResource

    warehouse = WarehouseResource(home=str(Path(args.workdir).resolve()))
    published = warehouse.published_path
    first = publish_duckdb(warehouse.duckdb_path, published, "bench")
    print(f"published {first.tables} tables, {first.rows:,} rows ({published.stat().st_size / 1e6:.0f} MB)")

    print("DuckDB (a reader holds the published file open):")
    _measure(_duckdb_reader, str(published),
             lambda: f"({publish_duckdb(warehouse.duckdb_path, published, 'bench').seconds:.2f}s in publish_duckdb)",
             args.repeat)

    from postgres_server import postgres_bin, throwaway_postgres

    if postgres_bin() is None:
        print("Postgres: skipped (no PostgreSQL server binaries)")
        return
    from orchestration.publish_postgres import publish_postgres

    with throwaway_postgres() as url:
        publish_postgres(published, url)
        print("Postgres (a reader keeps one connection):")
        _measure(_postgres_reader, url, lambda: publish_postgres(published, url), args.repeat)


if __name__ == "__main__":
    main()
