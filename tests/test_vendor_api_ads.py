"""The local ad platform APIs (Google Ads, Meta, LinkedIn): auth, shapes, paging, days, restatements, faults.

Tests talk HTTP to each API over one small world and check what they got against the world's
google_ads/, meta_ads/ and linkedin_ads/ files. Tests that only read share one server per platform;
tests that hide days, restate or inject faults get a fresh API, so nothing leaks between them.
The day-related tests run once per platform through a small adapter (`Platform`) that fetches the
campaign-day rows over HTTP the way each vendor's client would.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import pytest
import requests

from demo_world.vendor_apis.base import LocalApiServer, VendorApi
from demo_world.vendor_apis.google_ads import GoogleAdsApi
from demo_world.vendor_apis.linkedin_ads import LinkedInAdsApi, parse_restli
from demo_world.vendor_apis.meta_ads import MetaAdsApi
from demo_world.world import generate_world

GOOGLE = {"client_id": "1234-local.apps.googleusercontent.com", "client_secret": "GOCSPX-local-secret-0001",
          "refresh_token": "1//local-refresh-token-0001", "developer_token": "local-developer-token-01"}
META_TOKEN = "EAAlocal-meta-token-0001"
LINKEDIN_TOKEN = "AQVlocal-linkedin-token-0001"
SECRETS = [*GOOGLE.values(), META_TOKEN, LINKEDIN_TOKEN]
LINKEDIN_HEADERS = {"Authorization": f"Bearer {LINKEDIN_TOKEN}", "LinkedIn-Version": "202405",
                    "X-Restli-Protocol-Version": "2.0.0"}
DAILY_COLUMNS = ["campaign_id", "date", "cost", "impressions", "clicks"]
MAX_PAGES = 200  # a paging walk longer than this has lost its place


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("ads_api") / "world"
    generate_world(path, seed=7, scale=0.05)
    return path


def no_secret_in(reply: requests.Response) -> bool:
    text = reply.text + json.dumps(dict(reply.headers))
    return not any(secret in text for secret in SECRETS)


# ----- Google helpers ---------------------------------------------------------------------------------


def google_token(url: str) -> str:
    reply = requests.post(url + "/token", data={"grant_type": "refresh_token", **{
        k: GOOGLE[k] for k in ("client_id", "client_secret", "refresh_token")}}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


def google_post(url: str, method: str, body: dict, token: str | None = None, customer: str = "4821736650",
                **headers) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or google_token(url)}",
               "developer-token": GOOGLE["developer_token"], **headers}
    return requests.post(f"{url}/v17/customers/{customer}/googleAds:{method}", json=body, headers=headers,
                         timeout=10)


def google_rows(url: str, query: str, token: str | None = None) -> list[dict]:
    reply = google_post(url, "searchStream", {"query": query}, token)
    assert reply.status_code == 200, reply.text
    return [row for batch in reply.json() for row in batch.get("results", [])]


def google_failure(reply: requests.Response) -> tuple[str, str]:
    """(kind, code) of the single GoogleAdsError in a Google error body."""
    error = reply.json()["error"]
    assert error["code"] == reply.status_code and error["status"] and error["message"]
    detail = error["details"][0]
    assert detail["@type"] == "type.googleapis.com/google.ads.googleads.v17.errors.GoogleAdsFailure"
    [failure] = detail["errors"]
    assert failure["message"]
    [(kind, code)] = failure["errorCode"].items()
    return kind, code


# ----- Meta helpers -----------------------------------------------------------------------------------


def meta_walk(first_url: str, params: dict | None = None) -> list[dict]:
    """Follows `paging.next` to the end; the links carry no token, so it goes in the header."""
    rows, url = [], first_url
    headers = {"Authorization": f"Bearer {META_TOKEN}"}
    for _ in range(MAX_PAGES):
        if not url:
            return rows
        reply = requests.get(url, params=params, headers=headers, timeout=10)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        rows += body["data"]
        url, params = body.get("paging", {}).get("next"), None
        if url:
            assert "access_token" not in url
    raise AssertionError(f"paging did not end within {MAX_PAGES} pages")


def meta_insight_params(since: str, until: str, **extra) -> dict:
    return {"level": "campaign", "time_increment": "1", "time_range": json.dumps({"since": since, "until": until}),
            "fields": "campaign_id,campaign_name,spend,impressions,clicks,actions,account_currency,date_start,"
                      "date_stop", "limit": "50", **extra}


def lead_count(row: dict) -> int:
    return sum(int(a["value"]) for a in row.get("actions", []) if a["action_type"] == "lead")


# ----- LinkedIn helpers -------------------------------------------------------------------------------


def restli_range(since: str, until: str | None = None) -> str:
    start = dt.date.fromisoformat(since)
    text = f"(start:(year:{start.year},month:{start.month},day:{start.day})"
    if until:
        end = dt.date.fromisoformat(until)
        text += f",end:(year:{end.year},month:{end.month},day:{end.day})"
    return text + ")"


def linkedin_analytics(url: str, query: str, headers: dict | None = None) -> requests.Response:
    # Built by hand, as LinkedIn clients do: Rest.li structure unencoded, URNs encoded.
    return requests.get(f"{url}/rest/adAnalytics?q=analytics&{query}", headers=headers or LINKEDIN_HEADERS,
                        timeout=10)


ACCOUNT_FACET = "accounts=List(urn%3Ali%3AsponsoredAccount%3A508812345)"
ANALYTICS_FIELDS = "fields=dateRange,pivotValues,costInLocalCurrency,costInUsd,impressions,clicks,oneClickLeads"


def linkedin_walk(url: str, path: str, page_size: int) -> tuple[list[dict], int]:
    elements, token, pages = [], None, 0
    while pages < MAX_PAGES:
        query = f"q=search&pageSize={page_size}" + (f"&pageToken={token}" if token else "")
        reply = requests.get(f"{url}{path}?{query}", headers=LINKEDIN_HEADERS, timeout=10)
        assert reply.status_code == 200, reply.text
        pages += 1
        elements += reply.json()["elements"]
        token = reply.json()["metadata"].get("nextPageToken")
        if token is None:
            return elements, pages
    raise AssertionError(f"paging did not end within {MAX_PAGES} pages")


# ----- one adapter per platform for the day and fault tests --------------------------------------------


def _google_fetch(url: str, since: str, until: str) -> pd.DataFrame:
    rows = google_rows(url, "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.impressions, "
                            f"metrics.clicks FROM campaign WHERE segments.date BETWEEN '{since}' AND '{until}'")
    return _frame([(r["campaign"]["id"], r["segments"]["date"], int(r["metrics"]["costMicros"]),
                    int(r["metrics"]["impressions"]), int(r["metrics"]["clicks"])) for r in rows])


def _google_files(world, since: str, until: str) -> pd.DataFrame:
    f = pd.read_parquet(world / "google_ads" / "campaign_daily.parquet")
    f = f[f["segments__date"].between(since, until)]
    return _frame(zip(f["campaign__id"].astype(str), f["segments__date"], f["metrics__cost_micros"].astype(int),
                      f["metrics__impressions"].astype(int), f["metrics__clicks"].astype(int), strict=True))


def _meta_fetch(url: str, since: str, until: str) -> pd.DataFrame:
    rows = meta_walk(f"{url}/v19.0/act_1029384756/insights", meta_insight_params(since, until))
    return _frame([(r["campaign_id"], r["date_start"], r["spend"], int(r["impressions"]), int(r["clicks"]))
                   for r in rows])


def _meta_files(world, since: str, until: str) -> pd.DataFrame:
    f = pd.read_parquet(world / "meta_ads" / "insights_daily.parquet")
    f = f[f["date_start"].between(since, until)]
    return _frame(zip(f["campaign_id"], f["date_start"], f["spend"], f["impressions"].astype(int),
                      f["clicks"].astype(int), strict=True))


def _linkedin_fetch(url: str, since: str, until: str) -> pd.DataFrame:
    reply = linkedin_analytics(url, f"pivot=CAMPAIGN&timeGranularity=DAILY&dateRange={restli_range(since, until)}"
                                    f"&{ACCOUNT_FACET}&{ANALYTICS_FIELDS}")
    assert reply.status_code == 200, reply.text
    rows = []
    for e in reply.json()["elements"]:
        start = e["dateRange"]["start"]
        assert e["dateRange"]["end"] == start
        rows.append((e["pivotValues"][0].removeprefix("urn:li:sponsoredCampaign:"),
                     f"{start['year']:04d}-{start['month']:02d}-{start['day']:02d}",
                     e["costInLocalCurrency"], e["impressions"], e["clicks"]))
    return _frame(rows)


def _linkedin_files(world, since: str, until: str) -> pd.DataFrame:
    f = pd.read_parquet(world / "linkedin_ads" / "ad_analytics_daily.parquet")
    dates = [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(
        f["date_range__start__year"], f["date_range__start__month"], f["date_range__start__day"], strict=True)]
    f = f.assign(date=dates)
    f = f[f["date"].between(since, until)]
    return _frame(zip([p[0].removeprefix("urn:li:sponsoredCampaign:") for p in f["pivot_values"]], f["date"],
                      f["cost_in_local_currency"], f["impressions"].astype(int), f["clicks"].astype(int),
                      strict=True))


def _frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=DAILY_COLUMNS)
    return frame.sort_values(["date", "campaign_id"]).reset_index(drop=True)


def _cost_units(cost) -> int:
    """Google's micros as they are; Meta's and LinkedIn's money text as cents."""
    return int(cost) if not isinstance(cost, str) else round(float(cost) * 100)


@dataclass
class Platform:
    name: str
    make: Callable[[object], VendorApi]
    fetch: Callable[[str, str, str], pd.DataFrame]  # base url, since, until -> campaign-day rows over HTTP
    files: Callable[[object, str, str], pd.DataFrame]  # the same rows from the world's files
    cost_column: str  # served_rows' cost column
    cost_quantum: int  # a restatement rounds cost to this many units
    probe: Callable[[str, str | None], requests.Response]  # one small authorized request (url, Google token)
    probe_path: str


PLATFORMS = [
    Platform("google", lambda w: GoogleAdsApi.from_world(w, **GOOGLE), _google_fetch, _google_files, "cost_micros",
             10_000, lambda url, token: google_post(url, "searchStream", {"query": "SELECT campaign.id FROM campaign"},
                                                    token=token), "googleAds:searchStream"),
    Platform("meta", lambda w: MetaAdsApi.from_world(w, META_TOKEN), _meta_fetch, _meta_files, "spend", 1,
             lambda url, _: requests.get(f"{url}/v19.0/act_1029384756/campaigns",
                                         params={"access_token": META_TOKEN}, timeout=10), "/campaigns"),
    Platform("linkedin", lambda w: LinkedInAdsApi.from_world(w, LINKEDIN_TOKEN), _linkedin_fetch, _linkedin_files,
             "cost_in_local_currency", 1,
             lambda url, _: requests.get(f"{url}/rest/adAccounts/508812345/adCampaigns?q=search", timeout=10,
                                         headers=LINKEDIN_HEADERS), "/adCampaigns"),
]


def served(api, platform: Platform, since: str, until: str) -> pd.DataFrame:
    rows = api.served_rows(since, until)
    return _frame(zip(rows["campaign_id"], rows["date"], rows[platform.cost_column], rows["impressions"].astype(int),
                      rows["clicks"].astype(int), strict=True))


@pytest.fixture(params=PLATFORMS, ids=lambda p: p.name)
def platform(request) -> Platform:
    return request.param


@pytest.fixture
def fresh(world, platform):
    """A fresh API of the platform on its own server: (platform, api, base url)."""
    api = platform.make(world)
    with LocalApiServer(api) as server:
        yield platform, api, server.base_url


@pytest.fixture(scope="module")
def google(world):
    api = GoogleAdsApi.from_world(world, **GOOGLE)
    with LocalApiServer(api) as server:
        yield api, server.base_url, google_token(server.base_url)


@pytest.fixture(scope="module")
def meta(world):
    api = MetaAdsApi.from_world(world, META_TOKEN)
    with LocalApiServer(api) as server:
        yield api, server.base_url


@pytest.fixture(scope="module")
def linkedin(world):
    api = LinkedInAdsApi.from_world(world, LINKEDIN_TOKEN)
    with LocalApiServer(api) as server:
        yield api, server.base_url


# ----- every platform: days, restatements, faults --------------------------------------------------------


def test_daily_metrics_for_a_range_equal_the_world_files(fresh, world):
    platform, api, url = fresh
    got = platform.fetch(url, "2025-03-01", "2025-03-31")
    expected = platform.files(world, "2025-03-01", "2025-03-31")
    assert len(got) > 31 and got["date"].min() == "2025-03-01" and got["date"].max() == "2025-03-31"
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(served(api, platform, "2025-03-01", "2025-03-31"), expected)
    assert got["cost"].map(_cost_units).sum() > 0  # money kept in the platform's own unit, not zeroed


def test_hidden_days_are_not_served_until_advanced(fresh, world):
    platform, api, url = fresh
    assert api.today == dt.date(2026, 11, 1)  # the world's as-of date
    api.hide_days_after("2025-06-10")
    assert api.today == dt.date(2025, 6, 11)
    got = platform.fetch(url, "2025-06-01", "2025-06-30")
    pd.testing.assert_frame_equal(got, platform.files(world, "2025-06-01", "2025-06-10"))
    assert served(api, platform, "2025-06-01", "2025-06-30")["date"].max() == "2025-06-10"

    assert api.advance_days(3) == dt.date(2025, 6, 13)
    pd.testing.assert_frame_equal(platform.fetch(url, "2025-06-01", "2025-06-30"),
                                  platform.files(world, "2025-06-01", "2025-06-13"))
    api.advance_days(10_000)  # never past the world's end
    assert api.today == dt.date(2026, 11, 1)


def test_restate_rewrites_the_last_days_and_only_those(fresh, world):
    platform, api, url = fresh
    api.hide_days_after("2025-06-10")
    before = platform.fetch(url, "2025-06-01", "2025-06-10")
    assert api.restate(3, factor=1.5) == (before["date"] >= "2025-06-08").sum()
    after = platform.fetch(url, "2025-06-01", "2025-06-10")

    old, new = before["date"] < "2025-06-08", after["date"] < "2025-06-08"
    pd.testing.assert_frame_equal(after[new], before[old])
    recent_before, recent_after = before[~old].reset_index(drop=True), after[~new].reset_index(drop=True)
    assert list(recent_after["campaign_id"]) == list(recent_before["campaign_id"])
    q = platform.cost_quantum
    assert [_cost_units(c) for c in recent_after["cost"]] == [
        round(_cost_units(c) * 1.5 / q) * q for c in recent_before["cost"]]
    assert list(recent_after["impressions"]) == [round(i * 1.5) for i in recent_before["impressions"]]
    assert list(recent_after["clicks"]) == [round(c * 1.5) for c in recent_before["clicks"]]
    assert (recent_after["impressions"] != recent_before["impressions"]).any()
    pd.testing.assert_frame_equal(served(api, platform, "2025-06-01", "2025-06-10"), after)

    api.advance_days(1)  # the next day arrives as reported, unrestated
    pd.testing.assert_frame_equal(platform.fetch(url, "2025-06-11", "2025-06-11"),
                                  platform.files(world, "2025-06-11", "2025-06-11"))


def test_injected_faults_reach_the_client(fresh):
    platform, api, url = fresh
    token = google_token(url) if platform.name == "google" else None

    def probe() -> requests.Response:
        return platform.probe(url, token)

    status, body = api.throttle_reply()
    api.faults.fail_next(status, body=body, retry_after="7", path_contains=platform.probe_path)
    throttled = probe()
    assert throttled.status_code == status and throttled.headers["Retry-After"] == "7"
    assert throttled.json() == body
    assert probe().status_code == 200

    api.faults.fail_next(503, path_contains=platform.probe_path)
    assert probe().status_code == 503
    api.faults.truncate(platform.probe_path)
    cut = probe()
    assert cut.status_code == 200
    with pytest.raises(ValueError):
        cut.json()
    api.faults.random_5xx_rate = 1.0
    assert probe().status_code == 503
    api.faults.clear()
    assert probe().status_code == 200
    assert (api.requests[-1][0], api.requests[-1][2]) == ("POST" if platform.name == "google" else "GET", 200)


# ----- Google Ads ------------------------------------------------------------------------------------------


def test_google_token_endpoint(google):
    _, url, _ = google
    form = {"grant_type": "refresh_token", **{k: GOOGLE[k] for k in ("client_id", "client_secret", "refresh_token")}}
    ok = requests.post(url + "/token", data=form, timeout=10)
    assert ok.status_code == 200
    assert set(ok.json()) == {"access_token", "expires_in", "scope", "token_type"}
    assert ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] > 0
    assert ok.json()["scope"] == "https://www.googleapis.com/auth/adwords"

    bad_grant = requests.post(url + "/token", data={**form, "refresh_token": "1//revoked"}, timeout=10)
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "invalid_grant"
    bad_client = requests.post(url + "/token", data={**form, "client_secret": "wrong"}, timeout=10)
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    bad_type = requests.post(url + "/token", data={**form, "grant_type": "password"}, timeout=10)
    assert bad_type.status_code == 400 and bad_type.json()["error"] == "unsupported_grant_type"
    for reply in (bad_grant, bad_client, bad_type):
        assert reply.json()["error_description"] and no_secret_in(reply)


def test_google_auth_failures_answer_in_googles_shape(google):
    api, url, token = google
    query = {"query": "SELECT campaign.id FROM campaign"}
    cases = [
        (google_post(url, "search", query, token="ya29.not-a-token"), 401, ("authenticationError",
                                                                            "OAUTH_TOKEN_INVALID")),
        (requests.post(f"{url}/v17/customers/4821736650/googleAds:search", json=query, timeout=10,
                       headers={"developer-token": GOOGLE["developer_token"]}), 401,
         ("authenticationError", "AUTHENTICATION_ERROR")),
        (requests.post(f"{url}/v17/customers/4821736650/googleAds:search", json=query, timeout=10,
                       headers={"Authorization": f"Bearer {token}"}), 400,
         ("requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING")),
        (google_post(url, "search", query, token=token, **{"developer-token": "someone-elses"}), 403,
         ("authorizationError", "DEVELOPER_TOKEN_PROHIBITED")),
        (google_post(url, "search", query, token=token, customer="1111111111"), 403,
         ("authorizationError", "USER_PERMISSION_DENIED")),
    ]
    for reply, status, failure in cases:
        assert reply.status_code == status, reply.text
        assert google_failure(reply) == failure
        assert no_secret_in(reply)
    assert cases[0][0].json()["error"]["status"] == "UNAUTHENTICATED"
    assert google_post(url, "search", query, token=token, **{"login-customer-id": "4821736650"}).status_code == 200


def test_google_expired_tokens_need_a_refresh(world):
    api = GoogleAdsApi.from_world(world, **GOOGLE)
    with LocalApiServer(api) as server:
        token = google_token(server.base_url)
        query = {"query": "SELECT campaign.id FROM campaign"}
        assert google_post(server.base_url, "search", query, token=token).status_code == 200
        api.expire_access_tokens()
        expired = google_post(server.base_url, "search", query, token=token)
        assert expired.status_code == 401 and google_failure(expired) == ("authenticationError",
                                                                          "OAUTH_TOKEN_EXPIRED")
        assert google_post(server.base_url, "search", query).status_code == 200  # a fresh token works


def test_google_campaigns_come_back_once_each_with_their_attributes(google, world):
    _, url, token = google
    reply = google_post(url, "searchStream", {"query": "SELECT campaign.id, campaign.name, campaign.status, "
                                                       "campaign.advertising_channel_type FROM campaign"}, token)
    [batch] = reply.json()
    assert batch["fieldMask"] == "campaign.id,campaign.name,campaign.status,campaign.advertisingChannelType"
    assert batch["requestId"] and reply.headers["request-id"] == batch["requestId"]
    files = pd.read_parquet(world / "google_ads" / "campaigns.parquet").set_index("campaign__id")
    got = [r["campaign"] for r in batch["results"]]
    assert sorted(c["id"] for c in got) == sorted(str(i) for i in files.index)
    for campaign in got:
        row = files.loc[int(campaign["id"])]
        assert campaign == {"resourceName": f"customers/4821736650/campaigns/{campaign['id']}",
                            "id": campaign["id"], "name": row["campaign__name"], "status": row["campaign__status"],
                            "advertisingChannelType": row["campaign__advertising_channel_type"]}


def test_google_money_is_micros_in_the_accounts_currency(google, world):
    _, url, token = google
    rows = google_rows(url, "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.impressions, "
                            "metrics.clicks, metrics.conversions, customer.currency_code FROM campaign "
                            "WHERE segments.date = '2025-02-14'", token)
    files = pd.read_parquet(world / "google_ads" / "campaign_daily.parquet")
    day = files[files["segments__date"] == "2025-02-14"].set_index("campaign__id")
    assert len(rows) == len(day) > 0
    for row in rows:
        metrics, expected = row["metrics"], day.loc[int(row["campaign"]["id"])]
        assert isinstance(metrics["costMicros"], str) and int(metrics["costMicros"]) == expected["metrics__cost_micros"]
        assert int(metrics["costMicros"]) % 10_000 == 0  # whole cents, never converted
        assert metrics["impressions"] == str(expected["metrics__impressions"])
        assert metrics["clicks"] == str(expected["metrics__clicks"])
        assert metrics["conversions"] == expected["metrics__conversions"] and isinstance(metrics["conversions"], float)
        assert row["customer"] == {"resourceName": "customers/4821736650", "currencyCode": "USD"}
        assert row["segments"] == {"date": "2025-02-14"}


def test_google_stream_batches_and_search_pages_agree(world):
    api = GoogleAdsApi.from_world(world, **GOOGLE)
    api.stream_batch_size, api.search_page_size = 500, 700  # v17's 10,000 would be one page here
    query = ("SELECT campaign.id, segments.date, metrics.cost_micros FROM campaign "
             "WHERE segments.date BETWEEN '2025-01-01' AND '2025-07-19' ORDER BY segments.date, campaign.id")
    with LocalApiServer(api) as server:
        url, token = server.base_url, google_token(server.base_url)
        total = len(api.served_rows("2025-01-01", "2025-07-19"))
        assert total > 1000 and total % 500 and total % 700

        def sizes(size: int) -> list[int]:
            return [size] * (total // size) + [total % size]

        batches = google_post(url, "searchStream", {"query": query}, token).json()
        assert [len(b["results"]) for b in batches] == sizes(500)
        assert {b["fieldMask"] for b in batches} == {"campaign.id,segments.date,metrics.costMicros"}
        streamed = [r for b in batches for r in b["results"]]

        pages, body = [], {"query": query, "returnTotalResultsCount": True}
        while len(pages) < MAX_PAGES:
            page = google_post(url, "search", body, token).json()
            pages.append(page)
            if "nextPageToken" not in page:
                break
            body = {"query": query, "pageToken": page["nextPageToken"]}
        assert [len(p["results"]) for p in pages] == sizes(700)
        assert pages[0]["totalResultsCount"] == str(total) and "totalResultsCount" not in pages[1]
        assert [r for p in pages for r in p["results"]] == streamed
        dates = [(r["segments"]["date"], int(r["campaign"]["id"])) for r in streamed]
        assert dates == sorted(dates) and len(set(dates)) == total

        sized = google_post(url, "search", {"query": query, "pageSize": 100}, token)
        assert sized.status_code == 400 and google_failure(sized) == ("requestError", "PAGE_SIZE_NOT_SUPPORTED")
        other = google_post(url, "search", {"query": "SELECT campaign.id FROM campaign",
                                            "pageToken": pages[0]["nextPageToken"]}, token)
        assert other.status_code == 400 and google_failure(other) == ("requestError", "INVALID_PAGE_TOKEN")


def test_google_metrics_without_date_add_up_and_filters_apply(google, world):
    _, url, token = google
    files = pd.read_parquet(world / "google_ads" / "campaign_daily.parquet")
    month = files[files["segments__date"].between("2025-04-01", "2025-04-30")]
    sums = month.groupby("campaign__id")[["metrics__cost_micros", "metrics__clicks"]].sum()
    rows = google_rows(url, "SELECT campaign.id, metrics.cost_micros, metrics.clicks FROM campaign WHERE "
                            "segments.date >= '2025-04-01' AND segments.date <= '2025-04-30'", token)
    assert {r["campaign"]["id"]: (int(r["metrics"]["costMicros"]), int(r["metrics"]["clicks"])) for r in rows} == {
        str(i): (int(c), int(k)) for i, (c, k) in sums.iterrows()}

    top = google_rows(url, "SELECT campaign.id, metrics.cost_micros FROM campaign WHERE segments.date BETWEEN "
                           "'2025-04-01' AND '2025-04-30' AND campaign.status IN ('ENABLED', 'PAUSED') "
                           "ORDER BY metrics.cost_micros DESC LIMIT 2", token)
    assert [r["campaign"]["id"] for r in top] == [str(i) for i in sums["metrics__cost_micros"].nlargest(2).index]
    one = google_rows(url, f"SELECT campaign.id FROM campaign WHERE campaign.id = {sums.index[0]}", token)
    assert [r["campaign"]["id"] for r in one] == [str(sums.index[0])]


def test_google_click_view_needs_a_single_day(google, world):
    _, url, token = google
    clicks = pd.read_parquet(world / "google_ads" / "click_view.parquet")
    day = clicks["segments__date"].value_counts().index[0]
    expected = clicks[clicks["segments__date"] == day]
    for condition in (f"segments.date = '{day}'", f"segments.date BETWEEN '{day}' AND '{day}'"):
        rows = google_rows(url, "SELECT click_view.gclid, segments.date, campaign.id, ad_group.id FROM click_view "
                                f"WHERE {condition}", token)
        assert sorted(r["clickView"]["gclid"] for r in rows) == sorted(expected["click_view__gclid"])
        assert {r["segments"]["date"] for r in rows} == {day}
        assert rows[0]["clickView"]["resourceName"].endswith(f"/clickViews/{day}~{rows[0]['clickView']['gclid']}")
    next_day = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    for where in (f"WHERE segments.date BETWEEN '{day}' AND '{next_day}'", f"WHERE segments.date >= '{day}'", ""):
        reply = google_post(url, "searchStream", {"query": f"SELECT click_view.gclid FROM click_view {where}"},
                            token)
        assert reply.status_code == 400
        assert google_failure(reply) == ("clickViewError", "EXPECTED_FILTER_ON_A_SINGLE_DAY")


def test_google_query_errors(google):
    _, url, token = google
    cases = {
        "SELECT campaign.budget_name FROM campaign": "UNRECOGNIZED_FIELD",
        "SELECT campaign.id FROM keyword_view_of_nothing": "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
        "SELECT campaign.id, segments.date, metrics.clicks FROM campaign": "EXPECTED_FILTERS_ON_DATE_RANGE",
        "SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2025-02-01' AND '2025-01-01'":
            "DATE_RANGE_TOO_NARROW",
        "SELECT campaign.id FROM campaign WHERE campaign.status = 'SLEEPING'": "BAD_ENUM_CONSTANT",
        "campaign.id FROM campaign": "EXPECTED_SELECT",
        "SELECT campaign.id campaign": "EXPECTED_FROM",
    }
    for query, code in cases.items():
        reply = google_post(url, "search", {"query": query}, token)
        assert reply.status_code == 400, query
        assert google_failure(reply) == ("queryError", code), query


# ----- Meta ----------------------------------------------------------------------------------------------


def test_meta_auth_failures_answer_in_graphs_shape(meta):
    _, url = meta
    campaigns = f"{url}/v19.0/act_1029384756/campaigns"
    for reply in (requests.get(campaigns, params={"access_token": "EAAwrong"}, timeout=10),
                  requests.get(campaigns, headers={"Authorization": "Bearer EAAwrong"}, timeout=10)):
        assert reply.status_code == 400
        error = reply.json()["error"]
        assert error["message"] == "Invalid OAuth access token - Cannot parse access token"
        assert error["type"] == "OAuthException" and error["code"] == 190 and error["fbtrace_id"]
        assert no_secret_in(reply) and "EAAwrong" not in reply.text
    missing = requests.get(campaigns, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 104
    other = requests.get(f"{url}/v19.0/act_42/campaigns", params={"access_token": META_TOKEN}, timeout=10)
    assert other.json()["error"]["code"] == 100 and other.json()["error"]["error_subcode"] == 33
    assert no_secret_in(other)


def test_meta_campaign_paging_walks_every_campaign_once(meta, world):
    _, url = meta
    first = requests.get(f"{url}/v19.0/act_1029384756/campaigns", timeout=10, params={
        "fields": "id,name,objective,status,start_time,stop_time", "limit": "4", "access_token": META_TOKEN}).json()
    assert len(first["data"]) == 4 and set(first["paging"]["cursors"]) == {"before", "after"}
    assert first["paging"]["next"].startswith(url) and "access_token" not in first["paging"]["next"]
    rows = meta_walk(f"{url}/v19.0/act_1029384756/campaigns",
                     {"fields": "id,name,objective,status,start_time,stop_time", "limit": "4"})
    files = pd.read_parquet(world / "meta_ads" / "campaigns.parquet")
    assert [r["id"] for r in rows] == list(files["id"]) and len({r["id"] for r in rows}) == len(files)
    assert rows == files[["id", "name", "objective", "status", "start_time", "stop_time"]].to_dict("records")
    last_page = requests.get(first["paging"]["next"].replace("limit=4", "limit=100"), timeout=10,
                             headers={"Authorization": f"Bearer {META_TOKEN}"}).json()
    assert "next" not in last_page["paging"] and "previous" in last_page["paging"]
    only_ids = requests.get(f"{url}/v19.0/act_1029384756/campaigns", params={"access_token": META_TOKEN},
                            timeout=10).json()["data"]
    assert all(set(r) == {"id"} for r in only_ids)  # Graph returns just ids unless fields are asked for


def test_meta_insights_values_as_meta_sends_them(meta, world):
    api, url = meta
    rows = meta_walk(f"{url}/v19.0/act_1029384756/insights", meta_insight_params("2025-05-01", "2025-05-31"))
    files = pd.read_parquet(world / "meta_ads" / "insights_daily.parquet")
    month = files[files["date_start"].between("2025-05-01", "2025-05-31")]
    assert len(rows) == len(month)
    for row, (_, expected) in zip(rows, month.iterrows(), strict=True):
        assert row["campaign_id"] == expected["campaign_id"] and row["date_start"] == row["date_stop"]
        assert row["spend"] == expected["spend"] and isinstance(row["impressions"], str)
        assert row["account_currency"] == "EUR"
        assert lead_count(row) == sum(int(a["value"]) for a in expected["actions"] if a["action_type"] == "lead")
        assert all(int(a["value"]) > 0 for a in row.get("actions", []))  # Meta lists what happened
    assert [r["spend"] for r in rows] == list(api.served_rows("2025-05-01", "2025-05-31")["spend"])

    whole = requests.get(f"{url}/v19.0/act_1029384756/insights", timeout=10, params={
        **meta_insight_params("2025-05-01", "2025-05-31"), "time_increment": "all_days", "level": "account",
        "fields": "spend,impressions,clicks", "access_token": META_TOKEN})
    [total] = whole.json()["data"]
    cents = round(month["spend"].astype(float).sum() * 100)
    assert total["spend"] == f"{cents // 100}.{cents % 100:02d}"
    assert (total["date_start"], total["date_stop"]) == ("2025-05-01", "2025-05-31")
    assert int(total["impressions"]) == month["impressions"].astype(int).sum()
    usage = json.loads(whole.headers["X-Business-Use-Case-Usage"])
    assert usage["1029384756"][0]["type"] == "ads_insights" and "call_count" in usage["1029384756"][0]


def test_meta_async_report_lifecycle(world):
    api = MetaAdsApi.from_world(world, META_TOKEN)
    api.polls_to_complete = 3
    params = meta_insight_params("2025-08-01", "2025-08-20")
    auth = {"Authorization": f"Bearer {META_TOKEN}"}
    with LocalApiServer(api) as server:
        url = server.base_url
        started = requests.post(f"{url}/v19.0/act_1029384756/insights", data=params, headers=auth, timeout=10)
        run_id = started.json()["report_run_id"]
        early = requests.get(f"{url}/v19.0/{run_id}/insights", headers=auth, timeout=10)
        assert early.status_code == 400 and early.json()["error"]["code"] == 100
        statuses = [requests.get(f"{url}/v19.0/{run_id}", headers=auth, timeout=10).json() for _ in range(4)]
        assert [s["async_status"] for s in statuses] == ["Job Not Started", "Job Running", "Job Completed",
                                                         "Job Completed"]
        assert statuses[2]["async_percent_completion"] == 100 and statuses[2]["id"] == run_id
        report = meta_walk(f"{url}/v19.0/{run_id}/insights", {"limit": "25"})
        sync = meta_walk(f"{url}/v19.0/act_1029384756/insights", params)
        assert report == sync and len(report) == len(api.served_rows("2025-08-01", "2025-08-20")) > 25

        api.fail_next_reports()
        failing = requests.post(f"{url}/v19.0/act_1029384756/insights", params={**params,
                                "access_token": META_TOKEN}, timeout=10).json()["report_run_id"]
        polls = [requests.get(f"{url}/v19.0/{failing}", headers=auth, timeout=10).json()["async_status"]
                 for _ in range(3)]
        assert polls[-1] == "Job Failed"
        failed = requests.get(f"{url}/v19.0/{failing}/insights", headers=auth, timeout=10)
        assert failed.status_code == 400 and failed.json()["error"]["code"] == 2601
        bad = requests.post(f"{url}/v19.0/act_1029384756/insights", headers=auth, timeout=10,
                            data={**params, "fields": "spend,nonsense"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == 100  # refused up front, no run


def test_meta_usage_header_counts_calls(world):
    api = MetaAdsApi.from_world(world, META_TOKEN)
    api.calls_per_hour = 10
    with LocalApiServer(api) as server:
        usages = []
        for _ in range(3):
            reply = requests.get(f"{server.base_url}/v19.0/act_1029384756/campaigns",
                                 params={"access_token": META_TOKEN}, timeout=10)
            usages.append(json.loads(reply.headers["X-Business-Use-Case-Usage"])["1029384756"][0]["call_count"])
        assert usages == [10, 20, 30]
        insights = requests.get(f"{server.base_url}/v19.0/act_1029384756/insights", timeout=10,
                                params={"access_token": META_TOKEN, "date_preset": "last_7d"})
        [usage] = json.loads(insights.headers["X-Business-Use-Case-Usage"])["1029384756"]
        assert (usage["type"], usage["call_count"]) == ("ads_insights", 10)  # each use case has its own budget
        assert json.loads(insights.headers["x-fb-ads-insights-throttle"])["acc_id_util_pct"] == 10


# ----- LinkedIn ------------------------------------------------------------------------------------------


def test_linkedin_auth_and_header_failures(linkedin):
    _, url = linkedin
    path = f"{url}/rest/adAccounts/508812345/adCampaigns?q=search"
    wrong = requests.get(path, headers={**LINKEDIN_HEADERS, "Authorization": "Bearer AQVwrong"}, timeout=10)
    assert wrong.status_code == 401
    assert wrong.json() == {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN",
                            "message": "Invalid access token"}
    empty = requests.get(path, headers={k: v for k, v in LINKEDIN_HEADERS.items() if k != "Authorization"},
                         timeout=10)
    assert empty.status_code == 401 and empty.json()["code"] == "EMPTY_ACCESS_TOKEN"
    unversioned = requests.get(path, headers={"Authorization": f"Bearer {LINKEDIN_TOKEN}"}, timeout=10)
    assert unversioned.status_code == 400 and unversioned.json()["code"] == "VERSION_MISSING"
    old = requests.get(path, headers={**LINKEDIN_HEADERS, "LinkedIn-Version": "2019"}, timeout=10)
    assert old.status_code == 426 and old.json()["code"] == "NONEXISTENT_VERSION"
    rest_li_1 = linkedin_analytics(url, f"pivot=CAMPAIGN&timeGranularity=ALL&dateRange="
                                        f"{restli_range('2025-01-01')}&{ACCOUNT_FACET}",
                                   {k: v for k, v in LINKEDIN_HEADERS.items() if k != "X-Restli-Protocol-Version"})
    assert rest_li_1.status_code == 400
    other = requests.get(f"{url}/rest/adAccounts/1/adCampaigns?q=search", headers=LINKEDIN_HEADERS, timeout=10)
    assert other.status_code == 403 and other.json()["code"] == "ACCESS_DENIED"
    for reply in (wrong, empty, unversioned, old, rest_li_1, other):
        assert no_secret_in(reply)


def test_linkedin_paging_walks_every_group_and_campaign_once(linkedin, world):
    _, url = linkedin
    campaigns, pages = linkedin_walk(url, "/rest/adAccounts/508812345/adCampaigns", page_size=5)
    files = pd.read_parquet(world / "linkedin_ads" / "campaigns.parquet").set_index("id")
    assert sorted(c["id"] for c in campaigns) == sorted(files.index) and pages == -(-len(files) // 5)
    for campaign in campaigns:
        row = files.loc[campaign["id"]]
        assert campaign["campaignGroup"] == row["campaign_group"] and campaign["status"] == row["status"]
        assert campaign["runSchedule"] == {"start": row["run_schedule__start"], "end": row["run_schedule__end"]}
        assert campaign["dailyBudget"]["currencyCode"] == "USD" and float(campaign["dailyBudget"]["amount"]) > 0
        assert (campaign["type"], campaign["costType"]) == (row["type"], row["cost_type"])
    groups, _ = linkedin_walk(url, "/rest/adAccounts/508812345/adCampaignGroups", page_size=3)
    group_files = pd.read_parquet(world / "linkedin_ads" / "campaign_groups.parquet")
    assert sorted(g["id"] for g in groups) == sorted(group_files["id"])
    active = requests.get(f"{url}/rest/adAccounts/508812345/adCampaigns?q=search&search=(status:(values:"
                          "List(ACTIVE)))", headers=LINKEDIN_HEADERS, timeout=10).json()["elements"]
    assert {c["id"] for c in active} == set(files.index[files["status"] == "ACTIVE"]) != set()


def test_linkedin_restli_date_range_and_granularities(linkedin, world):
    api, url = linkedin
    assert parse_restli("(start:(year:2025,month:1,day:1),end:(year:2025,month:1,day:31))") == {
        "start": {"year": "2025", "month": "1", "day": "1"}, "end": {"year": "2025", "month": "1", "day": "31"}}
    assert parse_restli("List(urn%3Ali%3AsponsoredAccount%3A1,urn%3Ali%3AsponsoredAccount%3A2)") == [
        "urn:li:sponsoredAccount:1", "urn:li:sponsoredAccount:2"]
    assert parse_restli("urn%3Ali%3Ax%3A1%2C2") == "urn:li:x:1,2"  # encoded commas are text, not structure

    month = _linkedin_files(world, "2025-01-01", "2025-01-31")
    monthly = linkedin_analytics(url, f"pivot=CAMPAIGN&timeGranularity=MONTHLY&dateRange="
                                      f"{restli_range('2025-01-01', '2025-01-31')}&{ACCOUNT_FACET}&{ANALYTICS_FIELDS}")
    elements = monthly.json()["elements"]
    assert {e["pivotValues"][0].removeprefix("urn:li:sponsoredCampaign:"): e["impressions"] for e in elements} == \
        month.groupby("campaign_id")["impressions"].sum().to_dict()
    assert all(e["dateRange"] == {"start": {"year": 2025, "month": 1, "day": 1},
                                  "end": {"year": 2025, "month": 1, "day": 31}} for e in elements)
    assert all(isinstance(e["costInLocalCurrency"], str) and isinstance(e["clicks"], int) for e in elements)

    defaults = linkedin_analytics(url, f"pivot=CAMPAIGN&timeGranularity=ALL&dateRange={restli_range('2026-10-01')}"
                                       f"&{ACCOUNT_FACET}").json()["elements"]
    assert all(set(e) == {"impressions", "clicks"} for e in defaults)  # without fields: the two counts
    assert sum(e["impressions"] for e in defaults) == int(api.served_rows("2026-10-01")["impressions"].sum())

    group = linkedin_analytics(url, "pivot=CAMPAIGN_GROUP&timeGranularity=ALL&dateRange="
                                    f"{restli_range('2025-01-01', '2025-01-31')}&{ANALYTICS_FIELDS}&campaignGroups="
                                    "List(urn%3Ali%3AsponsoredCampaignGroup%3A600000000)")
    [element] = group.json()["elements"]
    assert element["pivotValues"] == ["urn:li:sponsoredCampaignGroup:600000000"]

    encoded = requests.get(f"{url}/rest/adAnalytics", headers=LINKEDIN_HEADERS, timeout=10, params={
        "q": "analytics", "pivot": "CAMPAIGN", "timeGranularity": "DAILY",
        "dateRange": restli_range("2025-01-01", "2025-01-31"), "accounts": "List(urn:li:sponsoredAccount:508812345)"})
    assert "%28start%3A" in encoded.url  # requests' own encoding hides the Rest.li structure
    assert encoded.status_code == 400 and "dateRange" in encoded.json()["message"]
    no_facet = linkedin_analytics(url, f"pivot=CAMPAIGN&timeGranularity=DAILY&dateRange={restli_range('2025-01-01')}")
    assert no_facet.status_code == 400


def test_linkedin_refuses_more_elements_than_its_limit(world):
    api = LinkedInAdsApi.from_world(world, LINKEDIN_TOKEN)
    api.max_elements = 100  # LinkedIn's 15,000, scaled to a small world
    with LocalApiServer(api) as server:
        query = f"dateRange={restli_range('2025-01-01', '2025-06-30')}&{ACCOUNT_FACET}&pivot=CAMPAIGN"
        daily = linkedin_analytics(server.base_url, f"{query}&timeGranularity=DAILY")
        assert len(api.served_rows("2025-01-01", "2025-06-30")) > 100
        assert daily.status_code == 400 and "100" in daily.json()["message"]
        assert linkedin_analytics(server.base_url, f"{query}&timeGranularity=MONTHLY").status_code == 200
