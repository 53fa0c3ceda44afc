"""Acceptance tests of the HubSpot connector against the local HubSpot API serving a demo world:
full extraction, idempotent reruns, incremental changes, faults, credentials and schema drift."""

import logging

import dlt
import duckdb
import pytest

from demo_world.vendor_apis.base import LocalApiServer
from demo_world.vendor_apis.hubspot import HubSpotApi
from demo_world.world import generate_world
from extract.common.credentials import ConnectorConfigError
from extract.hubspot import settings as hubspot_settings
from extract.hubspot.settings import HubSpotSettings
from extract.hubspot.source import hubspot_source
from orchestration.dlt_runs import actionable_cause

TOKEN = "pat-na1-test-token-7f3c9a"
OBJECTS = ["contacts", "companies", "deals", "calls", "meetings", "emails"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("hs") / "world"
    generate_world(path, seed=21, scale=0.03)
    return path


@pytest.fixture
def api(world):
    api = HubSpotApi.from_world(world, access_token=TOKEN)
    with LocalApiServer(api) as server:
        api.base_url = server.base_url
        yield api


@pytest.fixture
def pipeline(tmp_path):
    return dlt.pipeline(pipeline_name="hubspot_test", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_hubspot", pipelines_dir=str(tmp_path / "dlt"))


def extract(pipeline, api, token=TOKEN):
    return pipeline.run(hubspot_source(HubSpotSettings(base_url=api.base_url), access_token=token))


def query(pipeline, sql):
    with duckdb.connect(_db_path(pipeline), read_only=True) as con:
        return con.execute(sql).fetchall()


def _db_path(pipeline):
    return pipeline.destination_client().config.credentials.database


def loaded_rows(pipeline, table):
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return counts.get(table, 0)


def ids(pipeline, table, where="true"):
    return {row[0] for row in query(pipeline, f"SELECT id FROM raw_hubspot.{table} WHERE {where}")}


def test_full_extraction_equals_what_was_served(api, pipeline):
    extract(pipeline, api)
    for obj in OBJECTS:
        served = api.served_ids(obj) | api.served_ids(obj, archived=True)
        assert ids(pipeline, obj) == served, obj
        assert ids(pipeline, obj, "archived") == api.served_ids(obj, archived=True), obj
    merged = query(pipeline, "SELECT count(*) FROM raw_hubspot.contacts "
                             "WHERE properties__hs_merged_object_ids IS NOT NULL")
    assert merged[0][0] > 0
    links = query(pipeline, "SELECT count(*) FROM raw_hubspot.contact_associations")[0][0]
    assert links > 0
    history = query(pipeline, "SELECT count(DISTINCT contact_id) FROM raw_hubspot.contact_property_history")[0][0]
    assert history > 0
    for table in ("owners", "deal_pipeline_stages", "lifecycle_stages"):
        assert query(pipeline, f"SELECT count(*) FROM raw_hubspot.{table}")[0][0] > 0


def test_second_run_without_changes_adds_nothing(api, pipeline):
    extract(pipeline, api)
    before = {obj: query(pipeline, f"SELECT count(*) FROM raw_hubspot.{obj}")[0][0] for obj in OBJECTS}
    extract(pipeline, api)
    for obj in OBJECTS:
        assert loaded_rows(pipeline, obj) == 0, obj
        assert query(pipeline, f"SELECT count(*) FROM raw_hubspot.{obj}")[0][0] == before[obj]


def test_incremental_run_picks_up_exactly_the_changes(api, pipeline):
    extract(pipeline, api)
    api.advance(3600)
    contacts = sorted(api.served_ids("contacts"))[:5]
    api.update_object("contacts", contacts[0], {"jobtitle": "Chief Pipeline Officer"})
    api.update_object("contacts", contacts[1], {"lifecyclestage": "customer"})
    api.merge_contacts(contacts[2], contacts[3])
    deal = sorted(api.served_ids("deals"))[0]
    api.archive_object("deals", deal)
    new_company = api.create_object("companies", {"name": "Brand New Co", "domain": "brandnew.example"})

    extract(pipeline, api)

    assert loaded_rows(pipeline, "contacts") == 3  # two updates and the merge survivor
    assert loaded_rows(pipeline, "deals") == 1
    assert loaded_rows(pipeline, "companies") == 1
    title = query(pipeline, f"SELECT properties__jobtitle FROM raw_hubspot.contacts WHERE id = '{contacts[0]}'")
    assert title == [("Chief Pipeline Officer",)]
    merged_ids = query(pipeline, "SELECT properties__hs_merged_object_ids FROM raw_hubspot.contacts "
                                 f"WHERE id = '{contacts[2]}'")[0][0]
    assert contacts[3] in merged_ids.split(";")
    assert query(pipeline, f"SELECT archived FROM raw_hubspot.deals WHERE id = '{deal}'") == [(True,)]
    assert new_company in ids(pipeline, "companies")
    stages = query(pipeline, "SELECT value FROM raw_hubspot.contact_property_history "
                             f"WHERE contact_id = '{contacts[1]}' AND property = 'lifecyclestage'")
    assert ("customer",) in stages


def test_search_windows_past_the_result_cap(api, pipeline, monkeypatch):
    """With a cap of 400 results per search, contacts still arrive complete, in several windows."""
    monkeypatch.setattr(hubspot_settings, "SEARCH_RESULT_CAP", 400)
    monkeypatch.setattr("extract.hubspot.source.SEARCH_RESULT_CAP", 400)
    monkeypatch.setattr(HubSpotApi, "SEARCH_RESULT_CAP", 400)
    extract(pipeline, api)
    served = api.served_ids("contacts") | api.served_ids("contacts", archived=True)
    assert len(served) > 800
    assert ids(pipeline, "contacts") == served
    assert query(pipeline, "SELECT count(*) - count(DISTINCT id) FROM raw_hubspot.contacts") == [(0,)]


def test_rate_limits_and_server_errors_are_retried(api, pipeline):
    api.faults.fail_next(429, count=2, path_contains="/search", retry_after="1")
    api.faults.fail_next(503, count=1, path_contains="/crm/v3/objects/deals")
    extract(pipeline, api)
    statuses = [status for _, _, status in api.requests]
    assert statuses.count(429) == 2 and statuses.count(503) == 1
    assert ids(pipeline, "deals") == api.served_ids("deals") | api.served_ids("deals", archived=True)


def test_truncated_page_fails_clearly_keeps_the_cursor_and_the_rerun_has_no_gaps(api, pipeline):
    extract(pipeline, api)
    cursor_before = _cursor(pipeline, "contacts")
    api.advance(3600)
    changed = sorted(api.served_ids("contacts"))[:450]
    for contact_id in changed:
        api.update_object("contacts", contact_id, {"jobtitle": "Updated"})
    api.faults.truncate("/crm/v3/objects/contacts/search", request_number=2)

    with pytest.raises(Exception) as failure:
        extract(pipeline, api)
    message = str(actionable_cause(failure.value))
    assert "contacts" in message and "page 2" in message and "not valid JSON" in message
    assert _cursor(pipeline, "contacts") == cursor_before

    extract(pipeline, api)
    updated = query(pipeline, "SELECT count(*) FROM raw_hubspot.contacts WHERE properties__jobtitle = 'Updated'")
    assert updated == [(len(changed),)]
    assert query(pipeline, "SELECT count(*) - count(DISTINCT id) FROM raw_hubspot.contacts") == [(0,)]


def _cursor(pipeline, resource):
    state = pipeline.state["sources"]["hubspot"]["resources"][resource]["incremental"]
    return next(iter(state.values()))["last_value"]


def test_missing_token_names_the_variable(api, monkeypatch):
    monkeypatch.delenv(hubspot_settings.TOKEN_VARIABLE, raising=False)
    with pytest.raises(ConnectorConfigError, match="^HUBSPOT_ACCESS_TOKEN is not set"):
        hubspot_source(HubSpotSettings(base_url=api.base_url))


def test_wrong_token_is_one_line_naming_the_variable_not_the_value(api, pipeline, caplog):
    wrong = "pat-na1-wrong-token-123"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as failure:
        extract(pipeline, api, token=wrong)
    message = str(actionable_cause(failure.value))
    assert "HUBSPOT_ACCESS_TOKEN" in message and "\n" not in message
    assert wrong not in message and wrong not in caplog.text and wrong not in str(failure.value)


def test_the_token_never_reaches_logs_or_the_warehouse(api, pipeline, caplog):
    caplog.set_level(logging.DEBUG)
    extract(pipeline, api)
    assert TOKEN not in caplog.text
    assert TOKEN not in str(pipeline.last_trace)
    with duckdb.connect(_db_path(pipeline), read_only=True) as con:
        state = con.execute("SELECT state FROM raw_hubspot._dlt_pipeline_state").fetchall()
    assert all(TOKEN not in str(row) for row in state)


def test_schema_drift_new_property_becomes_a_column_and_a_removed_one_does_not_break(api, pipeline):
    extract(pipeline, api)
    api.advance(60)
    api.add_property("contacts", "favorite_channel", value_for_all=None)
    api.add_property("contacts", "never_filled", value_for_all=None)
    contact = sorted(api.served_ids("contacts"))[0]
    api.update_object("contacts", contact, {"favorite_channel": "webinar"})
    api.remove_property("contacts", "jobtitle")
    extract(pipeline, api)
    value = query(pipeline, f"SELECT properties__favorite_channel FROM raw_hubspot.contacts WHERE id = '{contact}'")
    assert value == [("webinar",)]
    # A property no record has a value for still becomes a column (models can rely on it).
    assert query(pipeline, "SELECT count(properties__never_filled) FROM raw_hubspot.contacts") == [(0,)]
