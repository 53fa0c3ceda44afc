"""Acceptance tests of the ad-platform connectors against the local Google, Meta and LinkedIn Ads
APIs serving a demo world: full extraction, idempotent reruns, restated days, new days only,
faults, credentials and secrecy."""

import logging
from datetime import date, timedelta

import dlt
import duckdb
import pytest

from demo_world.vendor_apis.base import LocalApiServer
from demo_world.vendor_apis.google_ads import GoogleAdsApi
from demo_world.vendor_apis.linkedin_ads import LinkedInAdsApi
from demo_world.vendor_apis.meta_ads import MetaAdsApi
from demo_world.world import generate_world
from extract.ads.google_ads import google_ads_source
from extract.ads.linkedin_ads import linkedin_ads_source
from extract.ads.meta_ads import meta_ads_source
from extract.common.credentials import ConnectorConfigError
from orchestration.dlt_runs import actionable_cause
from orchestration.settings import temporary_env

SECRET = "ad-platform-secret-5d1e"
START = date(2024, 11, 1)


def _google(world):
    api = GoogleAdsApi.from_world(world, client_id="cid", client_secret=SECRET, refresh_token=SECRET,
                                  developer_token="dev-" + SECRET)
    env = {"GOOGLE_ADS_CLIENT_ID": "cid", "GOOGLE_ADS_CLIENT_SECRET": SECRET, "GOOGLE_ADS_REFRESH_TOKEN": SECRET,
           "GOOGLE_ADS_DEVELOPER_TOKEN": "dev-" + SECRET, "GOOGLE_ADS_CUSTOMER_ID": api.customer_id}
    return api, env, lambda url: {"GOOGLE_ADS_API_BASE_URL": url, "GOOGLE_ADS_TOKEN_URL": f"{url}/token"}


def _meta(world):
    api = MetaAdsApi.from_world(world, access_token=SECRET)
    return api, {"META_ACCESS_TOKEN": SECRET, "META_AD_ACCOUNT_ID": api.account_id}, \
        lambda url: {"META_API_BASE_URL": url}


def _linkedin(world):
    api = LinkedInAdsApi.from_world(world, access_token=SECRET)
    return api, {"LINKEDIN_ACCESS_TOKEN": SECRET, "LINKEDIN_AD_ACCOUNT_ID": api.account_id}, \
        lambda url: {"LINKEDIN_API_BASE_URL": url}


# platform: (API factory, source factory, daily table, cost column as loaded, served cost column)
PLATFORMS = {
    "google_ads": (_google, google_ads_source, "campaign_daily", "metrics__cost_micros", "cost_micros"),
    "meta_ads": (_meta, meta_ads_source, "insights_daily", "spend", "spend"),
    "linkedin_ads": (_linkedin, linkedin_ads_source, "ad_analytics_daily", "cost_in_local_currency",
                     "cost_in_local_currency"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("ads") / "world"
    generate_world(path, seed=31, scale=0.03)
    return path


@pytest.fixture(params=list(PLATFORMS))
def platform(request, world, tmp_path):
    name = request.param
    make_api, make_source, table, cost, served_cost = PLATFORMS[name]
    api, env, addresses = make_api(world)
    with LocalApiServer(api) as server, temporary_env({**env, **addresses(server.base_url)}):
        pipeline = dlt.pipeline(pipeline_name=f"{name}_test", dataset_name=f"raw_{name}",
                                destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                                pipelines_dir=str(tmp_path / "dlt"))
        yield Platform(name, api, make_source, pipeline, table, cost, served_cost, env)


class Platform:
    def __init__(self, name, api, make_source, pipeline, table, cost, served_cost, env):
        self.name, self.api, self.make_source, self.pipeline = name, api, make_source, pipeline
        self.table, self.cost, self.served_cost, self.env = table, cost, served_cost, env

    def extract(self, today=None):
        source = self.make_source(initial_day=START, today=today or self.api.today)
        return self.pipeline.run(source, loader_file_format="parquet")

    def query(self, sql):
        with duckdb.connect(self.pipeline.destination_client().config.credentials.database, read_only=True) as con:
            return con.execute(sql).fetchall()

    def loaded_total(self):
        return self.query(f"SELECT count(*), round(sum(cast({self.cost} AS DOUBLE)), 2) "
                          f"FROM raw_{self.name}.{self.table}")[0]

    def served_total(self):
        served = self.api.served_rows()
        return len(served), round(float(served[self.served_cost].astype(float).sum()), 2)


def test_full_extraction_equals_what_was_served(platform):
    platform.extract()
    assert platform.loaded_total() == platform.served_total()
    campaigns = platform.query(f"SELECT count(*) FROM raw_{platform.name}.campaigns")[0][0]
    assert campaigns > 0


def test_rerun_is_idempotent(platform):
    platform.extract()
    first = platform.loaded_total()
    platform.extract()
    assert platform.loaded_total() == first


def test_restated_days_replace_the_old_values(platform):
    platform.extract()
    before = platform.loaded_total()
    assert platform.api.restate(days=2, factor=1.5) > 0
    platform.extract()
    after = platform.loaded_total()
    assert after[0] == before[0]  # same rows: replaced, not added
    assert after == platform.served_total()
    assert after[1] > before[1]


def test_a_later_run_reads_only_the_new_days_and_the_lookback(platform):
    last = platform.api.today - timedelta(days=1)
    platform.api.hide_days_after(last - timedelta(days=10))
    platform.extract()
    assert platform.loaded_total() == platform.served_total()
    platform.api.requests.clear()
    platform.api.advance_days(5)
    platform.extract()
    assert platform.loaded_total() == platform.served_total()
    requested = " ".join(path for _, path, _ in platform.api.requests)
    assert START.isoformat() not in requested and f"year:{START.year},month:{START.month}" not in requested


def test_rate_limits_and_server_errors_are_retried(platform):
    platform.api.faults.fail_next(429, count=1, retry_after="1")
    platform.api.faults.fail_next(503, count=1)
    platform.extract()
    statuses = [status for _, _, status in platform.api.requests]
    assert 429 in statuses and 503 in statuses
    assert platform.loaded_total() == platform.served_total()


def test_missing_credential_names_the_variable(platform):
    variable = next(name for name in platform.env if "TOKEN" in name or "SECRET" in name)
    with temporary_env({variable: ""}):
        with pytest.raises(ConnectorConfigError, match=f"^{variable} is not set"):
            platform.make_source()


def test_wrong_credential_is_one_line_and_never_logged(platform, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-" + SECRET
    variable = next(name for name in platform.env if "TOKEN" in name or "SECRET" in name)
    with temporary_env({variable: wrong}):
        with pytest.raises(Exception) as failure:
            platform.extract()
    message = str(actionable_cause(failure.value) or failure.value)
    assert "\n" not in message.strip() and wrong not in message
    assert wrong not in caplog.text and SECRET not in caplog.text


def test_secrets_never_reach_logs_or_the_warehouse(platform, caplog):
    caplog.set_level(logging.DEBUG)
    platform.extract()
    assert SECRET not in caplog.text and SECRET not in str(platform.pipeline.last_trace)
    state = platform.query(f"SELECT * FROM raw_{platform.name}._dlt_pipeline_state")
    assert SECRET not in str(state)


def test_money_keeps_each_platform_currency(platform):
    platform.extract()
    if platform.name == "meta_ads":
        currencies = platform.query("SELECT DISTINCT account_currency FROM raw_meta_ads.insights_daily")
        assert currencies == [("EUR",)]
    elif platform.name == "google_ads":
        currencies = platform.query("SELECT DISTINCT customer__currency_code FROM raw_google_ads.campaign_daily")
        assert currencies == [("USD",)]


DAILY_REQUEST = {"google_ads": "campaign WHERE segments.date BETWEEN", "meta_ads": "/insights",
                 "linkedin_ads": "adAnalytics"}


def test_truncated_report_fails_clearly_and_the_rerun_completes(platform):
    platform.api.faults.truncate(DAILY_REQUEST[platform.name], request_number=1)
    with pytest.raises(Exception) as failure:
        platform.extract()
    message = str(actionable_cause(failure.value))
    assert message.startswith(platform.name) and "not valid JSON" in message
    platform.extract()
    assert platform.loaded_total() == platform.served_total()
