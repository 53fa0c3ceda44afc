"""Acceptance tests of the Mailchimp connector against the local Mailchimp API serving a demo
world: full extraction, idempotent reruns, incremental changes, faults, credentials, secrecy."""

import logging

import dlt
import duckdb
import pytest

from demo_world.vendor_apis.base import LocalApiServer
from demo_world.vendor_apis.mailchimp import MailchimpApi
from demo_world.world import generate_world
from extract.common.credentials import ConnectorConfigError
from extract.mailchimp.source import mailchimp_source
from orchestration.dlt_runs import actionable_cause

KEY = "0123456789abcdef0123456789abcdef-us21"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("mc") / "world"
    generate_world(path, seed=41, scale=0.03)
    return path


@pytest.fixture
def api(world):
    api = MailchimpApi.from_world(world, api_key=KEY)
    with LocalApiServer(api) as server:
        api.base_url = server.base_url
        yield api


@pytest.fixture
def pipeline(tmp_path):
    return dlt.pipeline(pipeline_name="mc_test", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_mailchimp", pipelines_dir=str(tmp_path / "dlt"))


def extract(pipeline, api, key=KEY):
    return pipeline.run(mailchimp_source(api_key=key, base_url=api.base_url), loader_file_format="parquet")


def query(pipeline, sql):
    with duckdb.connect(pipeline.destination_client().config.credentials.database, read_only=True) as con:
        return con.execute(sql).fetchall()


def activity_counts(pipeline) -> dict[str, int]:
    return dict(query(pipeline, "SELECT action, count(*) FROM raw_mailchimp.email_activity GROUP BY 1"))


def test_full_extraction_equals_what_was_served(api, pipeline):
    extract(pipeline, api)
    members = {row[0] for row in query(pipeline, "SELECT id FROM raw_mailchimp.members")}
    assert members == api.served_ids("members")
    campaigns = {row[0] for row in query(pipeline, "SELECT id FROM raw_mailchimp.campaigns")}
    assert campaigns == api.served_ids("campaigns")
    served = {action: sum(api.activity_counts(actions=(action,)).values())
              for action in ("sent", "open", "click", "bounce", "unsubscribe")}
    loaded = activity_counts(pipeline)
    assert loaded == {action: count for action, count in served.items() if count}
    assert loaded["sent"] > loaded["open"] > loaded["click"] > 0


def test_rerun_adds_nothing(api, pipeline):
    extract(pipeline, api)
    members_before = query(pipeline, "SELECT count(*) FROM raw_mailchimp.members")
    activity_before = activity_counts(pipeline)
    extract(pipeline, api)
    assert pipeline.last_trace.last_normalize_info.row_counts.get("members", 0) == 0
    assert query(pipeline, "SELECT count(*) FROM raw_mailchimp.members") == members_before
    assert activity_counts(pipeline) == activity_before


def test_incremental_run_picks_up_the_changes(api, pipeline):
    extract(pipeline, api)
    before = activity_counts(pipeline)
    api.advance(3600)
    subscribed = sorted(api.served_ids("members"))
    api.update_member(subscribed[0], {"FNAME": "Renamed"})
    campaign = sorted(api.served_ids("campaigns"))[0]
    recipient = sorted(api.served_ids("sent-to", campaign))[0]
    api.add_activity(campaign, recipient, "click")

    extract(pipeline, api)

    assert pipeline.last_trace.last_normalize_info.row_counts.get("members") == 1
    assert query(pipeline, f"SELECT merge_fields__fname FROM raw_mailchimp.members WHERE id = '{subscribed[0]}'") \
        == [("Renamed",)]
    assert activity_counts(pipeline)["click"] == before["click"] + 1


def test_rate_limits_and_server_errors_are_retried(api, pipeline):
    api.faults.fail_next(429, count=1, path_contains="/members", retry_after="1")
    api.faults.fail_next(503, count=1, path_contains="/email-activity")
    extract(pipeline, api)
    statuses = [status for _, _, status in api.requests]
    assert 429 in statuses and 503 in statuses
    members = {row[0] for row in query(pipeline, "SELECT id FROM raw_mailchimp.members")}
    assert members == api.served_ids("members")


def test_truncated_page_fails_clearly_and_the_rerun_completes(api, pipeline):
    api.faults.truncate("/members", request_number=1)
    with pytest.raises(Exception) as failure:
        extract(pipeline, api)
    assert "mailchimp members: page 1 is not valid JSON" in str(actionable_cause(failure.value))
    extract(pipeline, api)
    members = {row[0] for row in query(pipeline, "SELECT id FROM raw_mailchimp.members")}
    assert members == api.served_ids("members")
    assert query(pipeline, "SELECT count(*) - count(DISTINCT id) FROM raw_mailchimp.members") == [(0,)]


def test_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("MAILCHIMP_API_KEY", raising=False)
    with pytest.raises(ConnectorConfigError, match="^MAILCHIMP_API_KEY is not set"):
        mailchimp_source()


def test_wrong_key_is_one_line_naming_the_variable_and_never_logged(api, pipeline, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "fedcba9876543210fedcba9876543210-us21"
    with pytest.raises(Exception) as failure:
        extract(pipeline, api, key=wrong)
    message = str(actionable_cause(failure.value))
    assert "MAILCHIMP_API_KEY" in message and "\n" not in message and wrong not in message
    assert wrong not in caplog.text


def test_the_key_never_reaches_logs_or_the_warehouse(api, pipeline, caplog):
    caplog.set_level(logging.DEBUG)
    extract(pipeline, api)
    assert KEY not in caplog.text and KEY not in str(pipeline.last_trace)
    assert KEY not in str(query(pipeline, "SELECT * FROM raw_mailchimp._dlt_pipeline_state"))
