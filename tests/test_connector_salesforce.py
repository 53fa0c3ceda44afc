"""Acceptance tests of the Salesforce connector against the local Salesforce API serving a demo
world: full extraction, idempotent reruns, incremental changes, faults, credentials, drift."""

import logging

import dlt
import duckdb
import pytest

from demo_world.vendor_apis.base import LocalApiServer
from demo_world.vendor_apis.salesforce import SalesforceApi
from demo_world.world import generate_world
from extract.common.credentials import ConnectorConfigError
from extract.salesforce.auth import login_from_env
from extract.salesforce.settings import OBJECTS, SalesforceSettings
from extract.salesforce.source import salesforce_source
from orchestration.dlt_runs import actionable_cause
from orchestration.settings import temporary_env

CLIENT_ID, CLIENT_SECRET = "3MVG9-test-client", "s3cr3t-client-value-91f2"
CORE = {"Lead": "lead", "Contact": "contact", "Account": "account", "Opportunity": "opportunity"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("sf") / "world"
    generate_world(path, seed=21, scale=0.03, crm="salesforce")
    return path


@pytest.fixture
def api(world):
    api = SalesforceApi.from_world(world, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                   username="ops@tallyhouse.example", password="hunter2-token")
    with LocalApiServer(api) as server:
        api.base_url = server.base_url
        with temporary_env({"SALESFORCE_LOGIN_URL": server.base_url, "SALESFORCE_CLIENT_ID": CLIENT_ID,
                          "SALESFORCE_CLIENT_SECRET": CLIENT_SECRET}):
            yield api


@pytest.fixture
def pipeline(tmp_path):
    return dlt.pipeline(pipeline_name="sf_test", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_salesforce", pipelines_dir=str(tmp_path / "dlt"))


def extract(pipeline, api, batch_size=500):
    return pipeline.run(salesforce_source(SalesforceSettings(login_url=api.base_url, batch_size=batch_size)),
                        loader_file_format="parquet")


def query(pipeline, sql):
    with duckdb.connect(pipeline.destination_client().config.credentials.database, read_only=True) as con:
        return con.execute(sql).fetchall()


def ids(pipeline, table, where="true"):
    return {row[0] for row in query(pipeline, f"SELECT id FROM raw_salesforce.{table} WHERE {where}")}


def loaded_rows(pipeline, table):
    return pipeline.last_trace.last_normalize_info.row_counts.get(table, 0)


def _cursor(pipeline, table):
    state = pipeline.state["sources"]["salesforce"]["resources"][table]["incremental"]
    return next(iter(state.values()))["last_value"]


def test_full_extraction_equals_what_was_served_deleted_and_merged_included(api, pipeline):
    extract(pipeline, api)
    for sobject in OBJECTS:
        served = api.served_ids(sobject.name, include_deleted=True)
        assert ids(pipeline, sobject.table) == served, sobject.name
    for sobject, table in CORE.items():
        deleted = api.served_ids(sobject, include_deleted=True) - api.served_ids(sobject)
        assert ids(pipeline, table, "is_deleted") == deleted, sobject
    merged = query(pipeline, "SELECT count(*) FROM raw_salesforce.lead WHERE master_record_id IS NOT NULL")
    assert merged[0][0] > 0
    assert query(pipeline, "SELECT count(*) FROM raw_salesforce.picklist_values WHERE field = 'StageName'")[0][0] >= 8


def test_second_run_without_changes_adds_nothing(api, pipeline):
    extract(pipeline, api)
    before = {s.table: query(pipeline, f"SELECT count(*) FROM raw_salesforce.{s.table}")[0][0] for s in OBJECTS}
    extract(pipeline, api)
    for sobject in OBJECTS:
        assert loaded_rows(pipeline, sobject.table) == 0, sobject.name
        assert query(pipeline, f"SELECT count(*) FROM raw_salesforce.{sobject.table}")[0][0] == before[sobject.table]


def test_incremental_run_picks_up_exactly_the_changes(api, pipeline):
    extract(pipeline, api)
    api.advance(3600)
    leads = sorted(api.served_ids("Lead"))
    api.update_record("Lead", leads[0], {"Title": "Chief Pipeline Officer"})
    api.delete_record("Lead", leads[1])
    api.merge_records("Lead", leads[2], leads[3])
    opportunity = sorted(api.served_ids("Opportunity"))[0]
    api.update_record("Opportunity", opportunity, {"StageName": "Closed Won"})
    new_account = api.create_record("Account", {"Name": "Brand New Co"})

    extract(pipeline, api)

    assert loaded_rows(pipeline, "lead") == 4  # the update, the deletion, the merge's two sides
    assert loaded_rows(pipeline, "account") == 1
    assert loaded_rows(pipeline, "opportunity") == 1
    assert loaded_rows(pipeline, "opportunity_history") >= 1
    assert query(pipeline, f"SELECT title FROM raw_salesforce.lead WHERE id = '{leads[0]}'") == [
        ("Chief Pipeline Officer",)]
    assert query(pipeline, f"SELECT is_deleted FROM raw_salesforce.lead WHERE id = '{leads[1]}'") == [(True,)]
    assert query(pipeline, f"SELECT is_deleted, master_record_id FROM raw_salesforce.lead WHERE id = '{leads[3]}'") \
        == [(True, leads[2])]
    assert query(pipeline, f"SELECT is_won FROM raw_salesforce.opportunity WHERE id = '{opportunity}'") == [(True,)]
    assert new_account in ids(pipeline, "account")


def test_rate_limits_and_server_errors_are_retried(api, pipeline):
    api.faults.fail_next(429, count=2, path_contains="/queryAll", retry_after="1")
    api.faults.fail_next(503, count=1, path_contains="/describe")
    extract(pipeline, api)
    statuses = [status for _, _, status in api.requests]
    assert statuses.count(429) == 2 and statuses.count(503) == 1
    assert ids(pipeline, "opportunity") == api.served_ids("Opportunity", include_deleted=True)


def test_truncated_page_fails_clearly_keeps_the_cursor_and_the_rerun_has_no_gaps(api, pipeline):
    extract(pipeline, api)
    cursor_before = _cursor(pipeline, "lead")
    api.advance(3600)
    changed = sorted(api.served_ids("Lead"))[:700]
    for lead_id in changed:
        api.update_record("Lead", lead_id, {"Title": "Updated"})
    api.faults.truncate("FROM Lead ", request_number=1)  # the first page of the lead query

    with pytest.raises(Exception) as failure:
        extract(pipeline, api, batch_size=200)
    message = str(actionable_cause(failure.value))
    assert "salesforce Lead: page 1 is not valid JSON" in message
    assert _cursor(pipeline, "lead") == cursor_before

    extract(pipeline, api, batch_size=200)
    assert query(pipeline, "SELECT count(*) FROM raw_salesforce.lead WHERE title = 'Updated'") == [(len(changed),)]
    assert query(pipeline, "SELECT count(*) - count(DISTINCT id) FROM raw_salesforce.lead") == [(0,)]


def test_username_password_flow(api, pipeline):
    with temporary_env({"SALESFORCE_USERNAME": "ops@tallyhouse.example", "SALESFORCE_PASSWORD": "hunter2-token"}):
        session = login_from_env()
    assert session.instance_url == api.base_url
    with temporary_env({"SALESFORCE_USERNAME": "ops@tallyhouse.example", "SALESFORCE_PASSWORD": "wrong"}):
        with pytest.raises(ConnectorConfigError, match="SALESFORCE_PASSWORD"):
            login_from_env()


def test_missing_variable_is_named(api, monkeypatch):
    monkeypatch.delenv("SALESFORCE_CLIENT_SECRET")
    with pytest.raises(ConnectorConfigError, match="^SALESFORCE_CLIENT_SECRET is not set"):
        login_from_env()


def test_wrong_secret_is_one_line_naming_variables_not_values(api, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-secret-55aa"
    with temporary_env({"SALESFORCE_CLIENT_SECRET": wrong}):
        with pytest.raises(ConnectorConfigError) as failure:
            login_from_env()
    message = str(failure.value)
    assert "SALESFORCE_CLIENT_SECRET" in message and "\n" not in message
    assert wrong not in message and wrong not in caplog.text


def test_secrets_never_reach_logs_or_the_warehouse(api, pipeline, caplog):
    caplog.set_level(logging.DEBUG)
    extract(pipeline, api)
    secrets = [CLIENT_SECRET, *api._tokens]  # the access tokens the local API issued during the run
    assert len(secrets) > 1
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in str(pipeline.last_trace)
    with duckdb.connect(pipeline.destination_client().config.credentials.database, read_only=True) as con:
        state = str(con.execute("SELECT * FROM raw_salesforce._dlt_pipeline_state").fetchall())
    assert CLIENT_SECRET not in state


def test_schema_drift_new_field_becomes_a_column_and_a_removed_one_does_not_break(api, pipeline):
    extract(pipeline, api)
    api.advance(60)
    api.add_field("Lead", "Favorite_Channel__c")
    lead = sorted(api.served_ids("Lead"))[0]
    api.update_record("Lead", lead, {"Favorite_Channel__c": "webinar"})
    api.remove_field("Lead", "Title")
    extract(pipeline, api)
    assert query(pipeline, f"SELECT favorite_channel__c FROM raw_salesforce.lead WHERE id = '{lead}'") == [
        ("webinar",)]
