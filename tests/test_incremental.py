"""The incremental touchpoint build gives what a full refresh gives, late events included, and the
identity graph's convergence test catches too few propagation passes.

Each test works on a copy of the warehouse the pipeline built and runs dbt on it directly."""

import os
import shutil
import subprocess

import duckdb
import pytest

from orchestration.dbt_assets import DBT_EXECUTABLE, DBT_PROJECT_DIR

LATE_WINDOW = "INTERVAL 20 DAY"  # the events received in the last 20 days arrive in a second load
TOUCH_COLUMNS = "touchpoint_id, person_id, touched_at, touch_type, channel, campaign_id, source_record_id"


def dbt(warehouse, target, *args, check=True) -> subprocess.CompletedProcess:
    env = {**os.environ, "REVENUE_WAREHOUSE_DUCKDB": str(warehouse), "REVENUE_WAREHOUSE_CRM": "hubspot",
           "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    return subprocess.run([DBT_EXECUTABLE, *args, "--target-path", str(target), "--log-path", str(target / "logs")],
                          cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=check)


def touchpoints(warehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"SELECT {TOUCH_COLUMNS} FROM core.fct_touchpoints ORDER BY touchpoint_id").fetchall()


@pytest.fixture(scope="module")
def first_load(built_home, tmp_path_factory):
    """A warehouse as it stood before the last 20 days of web events arrived, built in full."""
    home, result, _ = built_home
    assert result.success
    folder = tmp_path_factory.mktemp("incremental")
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(home / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"""CREATE TABLE raw_web.events_later AS SELECT * FROM raw_web.events
                        WHERE received_at::TIMESTAMPTZ > (SELECT max(received_at::TIMESTAMPTZ) FROM raw_web.events)
                                                         - {LATE_WINDOW}""")
        con.execute("DELETE FROM raw_web.events WHERE message_id IN (SELECT message_id FROM raw_web.events_later)")
    dbt(warehouse, folder / "target", "run", "--full-refresh")
    return folder, warehouse


def second_load(first_load, name: str, *dbt_args: str):
    """The later events arrive; dbt runs incrementally (with extra args); returns the warehouse."""
    folder, warehouse = first_load
    copy = folder / f"{name}.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        late = con.execute("""SELECT count(*) FROM raw_web.events_later
                              WHERE timestamp::TIMESTAMPTZ < (SELECT max(received_at::TIMESTAMPTZ)
                                                               FROM raw_web.events)""").fetchall()[0][0]
        con.execute("INSERT INTO raw_web.events SELECT * FROM raw_web.events_later")
    assert late > 0, "the second load must hold events that happened before the first load ended"
    dbt(copy, folder / f"target_{name}", "run", *dbt_args)
    return copy


def test_an_incremental_run_equals_a_full_refresh(first_load):
    folder, _ = first_load
    incremental = second_load(first_load, "incremental")
    built_incrementally = touchpoints(incremental)
    dbt(incremental, folder / "target_full", "run", "--full-refresh")
    assert built_incrementally == touchpoints(incremental)


def test_late_events_outside_the_lookback_are_missed(first_load):
    """The same second load with no lookback loses the late events: the lookback is what lands them."""
    folder, _ = first_load
    without_lookback = second_load(first_load, "no_lookback", "--vars", "{event_lookback_days: 0}")
    built = touchpoints(without_lookback)
    dbt(without_lookback, folder / "target_full_0", "run", "--full-refresh")
    assert built != touchpoints(without_lookback)


def test_too_few_propagation_passes_fail_the_convergence_test(first_load):
    folder, warehouse = first_load
    args = ["--select", "int_identity__components", "--vars", "{identity_label_propagation_passes: 1}"]
    failing = dbt(warehouse, folder / "target_passes", "build", *args, check=False)
    assert failing.returncode != 0 and "labels_converged" in failing.stdout
