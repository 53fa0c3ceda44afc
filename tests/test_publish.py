"""Serving the warehouse: the published DuckDB file and its Postgres copy are swapped in whole,
only after the data-quality gate passes; readers keep working through a publish; the BI role
reads the published marts and nothing else; no published column holds a clear email or name."""

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time

import dagster as dg
import duckdb
import psycopg
import pytest
from postgres_server import ADMIN_PASSWORD, throwaway_postgres

from expectations.runner import DATA_DOCS_ENV
from orchestration.definitions import build_definitions
from orchestration.publish import BI_PASSWORD_ENV, BI_SCHEMAS, POSTGRES_URL_ENV, PUBLICATION_SCHEMA
from orchestration.publish_postgres import publish_postgres
from orchestration.settings import temporary_env

PUBLISHED = dg.AssetKey("published_warehouse")


def copy_home(built_home, tmp_path):
    home, result, _ = built_home
    assert result.success
    copy = tmp_path / "home"
    shutil.copytree(home, copy, ignore=shutil.ignore_patterns("world", ".dlt", "quality", "reports"))
    return copy


def validate_and_publish(home):
    """The gate, the publication and the report, as the refresh job runs them after the build."""
    defs = build_definitions(str(home))
    checks = [key for key in defs.resolve_asset_graph().asset_check_keys if key.name.startswith("gx_")]
    job = dg.define_asset_job("validate_and_publish", selection=dg.AssetSelection.checks(*checks)
                              | dg.AssetSelection.assets(PUBLISHED, "kpi_report"))
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    with temporary_env({DATA_DOCS_ENV: "off"}):  # the HTML is tested in test_data_quality
        return defs.resolve_job_def("validate_and_publish").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_run_published_only_the_bi_schemas_read_only(built_home):
    home, result, _ = built_home
    assert PUBLISHED in {e.asset_key for e in result.get_asset_materialization_events()}
    published = home / "published" / "warehouse.duckdb"
    assert not os.stat(published).st_mode & 0o222  # nobody writes into a publication
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {r[0] for r in con.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
        run_id, data_date = con.execute(f"SELECT run_id, data_date FROM {PUBLICATION_SCHEMA}.publication").fetchone()
        published_marts = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'kpi'").fetchone()[0]
    assert schemas == {*BI_SCHEMAS, PUBLICATION_SCHEMA}  # no raw, staging, intermediate, restricted, quarantine
    assert run_id == result.run_id and data_date is not None and published_marts >= 8


def test_no_published_column_holds_a_clear_email_or_name(built_home):
    home, _, _ = built_home
    published = home / "published" / "warehouse.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        con.execute(f"""CREATE TEMP TABLE clear AS
            SELECT DISTINCT lower(trim(v)) AS value FROM (
                SELECT unnest([work_email, personal_email, first_name || ' ' || last_name]) AS v
                FROM '{home}/world/truth/persons.parquet') WHERE v IS NOT NULL AND length(v) > 3""")
        assert con.execute("SELECT count(*) FROM clear").fetchone()[0] > 1000
        columns = con.execute("""SELECT table_schema, table_name, column_name FROM information_schema.columns
                                 WHERE data_type = 'VARCHAR'
                                   AND table_schema IN ('core', 'kpi', 'reference')""").fetchall()
        leaks = []
        for schema, table, column in columns:
            found = con.execute(f"""SELECT count(*) FROM {schema}.{table} t JOIN clear
                                    ON lower(trim(t."{column}")) = clear.value""").fetchone()[0]
            if found:
                leaks.append(f"{schema}.{table}.{column}")
        addresses = con.execute("SELECT count(*) FROM core.dim_person WHERE email_hash LIKE '%@%'").fetchone()[0]
    assert len(columns) > 50 and leaks == [] and addresses == 0


def test_a_reader_keeps_answering_through_a_publish_and_then_sees_the_new_data(built_home, tmp_path):
    home = copy_home(built_home, tmp_path)
    published = home / "published" / "warehouse.duckdb"
    reader = duckdb.connect(str(published), read_only=True)
    query = "SELECT count(*), sum(target_value) FROM kpi.kpi_scorecard"
    before = reader.execute(query).fetchone()
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:  # the next run's data
        con.execute("UPDATE kpi.kpi_scorecard SET target_value = target_value + 1 WHERE target_value IS NOT NULL")

    answers, errors, stop = [], [], threading.Event()

    def keep_reading():
        while not stop.is_set():
            try:
                answers.append(reader.cursor().execute(query).fetchone())
            except Exception as exc:  # noqa: BLE001 (any failure of the reader is the finding)
                errors.append(exc)

    thread = threading.Thread(target=keep_reading)
    thread.start()
    result = validate_and_publish(home)
    stop.set()
    thread.join()

    assert result.success and PUBLISHED in {e.asset_key for e in result.get_asset_materialization_events()}
    assert errors == [] and len(answers) > 10 and set(answers) == {before}  # the open file kept answering
    reader.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        after = fresh.execute(query).fetchone()
    assert after[0] == before[0] and after[1] > before[1]  # connecting again reads the new publication


def test_a_failed_gate_leaves_the_published_warehouse_and_report_as_they_were(built_home, tmp_path):
    home = copy_home(built_home, tmp_path)
    published = home / "published" / "warehouse.duckdb"
    assert validate_and_publish(home).success  # a good publication and report first
    report = home / "reports" / "kpi_report.html"
    good_file, good_report = digest(published), digest(report)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("UPDATE kpi.kpi_funnel SET conversion_rate_from_entry = 3 WHERE funnel_view = 'cohort'")

    result = validate_and_publish(home)

    assert not result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert PUBLISHED not in materialized and dg.AssetKey("kpi_report") not in materialized
    assert digest(published) == good_file and digest(report) == good_report


@pytest.fixture(scope="module")
def postgres():
    with throwaway_postgres() as url:
        yield url


def as_bi(url: str, password: str) -> str:
    return url.replace(f"postgres:{ADMIN_PASSWORD}@", f"bi_reader:{password}@")


def test_the_bi_role_reads_every_published_mart_and_nothing_else(built_home, postgres, tmp_path):
    home, _, _ = built_home
    password = "bi-secret-3c9d"
    env = {**os.environ, POSTGRES_URL_ENV: postgres, BI_PASSWORD_ENV: password}
    for _ in range(2):  # idempotent: a second run changes nothing and succeeds
        done = subprocess.run([sys.executable, "-m", "orchestration.cli", "create-bi-role"], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert password not in done.stdout + done.stderr
    publish_postgres(home / "published" / "warehouse.duckdb", postgres)
    with psycopg.connect(postgres, autocommit=True) as admin:  # what else a warehouse database holds
        for schema in ("raw_hubspot", "staging", "restricted"):
            admin.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            admin.execute(f"CREATE TABLE IF NOT EXISTS {schema}.secrets AS SELECT 'jane@example.com' AS email")
        published = admin.execute("""SELECT table_schema, table_name FROM information_schema.tables
                                     WHERE table_schema IN ('core', 'kpi', 'reference', 'publication')""").fetchall()
    assert len(published) >= 30

    with psycopg.connect(as_bi(postgres, password), autocommit=True) as bi:
        for schema, table in published:
            bi.execute(f'SELECT * FROM "{schema}"."{table}" LIMIT 1').fetchall()
        for statement in ["SELECT * FROM raw_hubspot.secrets", "SELECT * FROM staging.secrets",
                          "SELECT * FROM restricted.secrets",
                          "INSERT INTO kpi.kpi_pipeline (month, segment) VALUES ('2020-01-01', 'smb')",
                          "UPDATE kpi.kpi_scorecard SET target_value = 0", "DELETE FROM core.dim_person",
                          "CREATE TABLE kpi.mine (x int)", "CREATE TABLE public.mine (x int)",
                          "DROP TABLE kpi.kpi_pipeline"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(statement)


def test_a_postgres_reader_sees_the_old_or_the_new_marts_never_a_mix(built_home, postgres, tmp_path):
    home, _, _ = built_home
    first = home / "published" / "warehouse.duckdb"
    second = tmp_path / "second.duckdb"
    shutil.copy(first, second)
    os.chmod(second, 0o644)
    with duckdb.connect(str(second)) as con:  # the next publication: bookings doubled in both tables
        con.execute("UPDATE kpi.kpi_pipeline SET bookings_amount = bookings_amount * 2")
        con.execute("UPDATE kpi.kpi_scorecard SET actual_value = actual_value * 2 WHERE kpi_name = 'bookings'")
    publish_postgres(first, postgres)
    query = """SELECT (SELECT count(*) FROM kpi.kpi_pipeline), (SELECT sum(bookings_amount) FROM kpi.kpi_pipeline),
                      (SELECT sum(actual_value) FROM kpi.kpi_scorecard
                       WHERE kpi_name = 'bookings' AND segment = 'all')"""
    with psycopg.connect(postgres) as con:
        rows, old_bookings, _ = con.execute(query).fetchone()

    answers, errors, waits, stop = [], [], [], threading.Event()

    def keep_reading():
        with psycopg.connect(postgres, autocommit=True) as reader:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    answers.append(reader.execute(query).fetchone())
                except Exception as exc:  # noqa: BLE001
                    errors.append(exc)
                waits.append(time.monotonic() - started)

    thread = threading.Thread(target=keep_reading)
    thread.start()
    publish_postgres(second, postgres)
    time.sleep(0.2)
    stop.set()
    thread.join()

    assert errors == [] and len(answers) > 10 and rows > 0
    versions = []
    for count, pipeline_bookings, scorecard_bookings in answers:
        assert count == rows  # never an empty table
        assert float(pipeline_bookings) == pytest.approx(scorecard_bookings, rel=1e-9)  # never half old, half new
        versions.append(round(float(pipeline_bookings) / float(old_bookings)))
    assert set(versions) == {1, 2} and versions == sorted(versions)  # the old marts, then the new ones
    assert max(waits) < 5  # readers never wait on the load, only (briefly) on the swap
