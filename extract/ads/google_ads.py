"""Google Ads API (v17): campaigns, ad groups, daily campaign performance and click ids (gclid).

Queries are GAQL through `googleAds:searchStream` (one response per query, all rows). Daily
performance and click_view are requested for a window that reaches back `lookback_days` into
days already loaded (Google restates recent days), and merged on (campaign, date) and gclid.
Money stays in the account's currency as cost_micros. click_view allows one day per query.

Authentication: OAuth refresh-token flow (GOOGLE_ADS_CLIENT_ID, GOOGLE_ADS_CLIENT_SECRET,
GOOGLE_ADS_REFRESH_TOKEN) plus GOOGLE_ADS_DEVELOPER_TOKEN; the account in GOOGLE_ADS_CUSTOMER_ID
(and GOOGLE_ADS_LOGIN_CUSTOMER_ID for a manager account).
"""

from collections.abc import Iterator
from datetime import date

import dlt
from dlt.sources.helpers import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests import HTTPError

from extract.ads.windows import days, remember_last_day, report_window
from extract.common.credentials import ConnectorConfigError, env_or_default, require_env
from extract.common.pages import http_error, pages_with_context

SOURCE = "google_ads"
API_VERSION = "v17"
CREDENTIALS = ("GOOGLE_ADS_CLIENT_ID, GOOGLE_ADS_CLIENT_SECRET, GOOGLE_ADS_REFRESH_TOKEN, "
               "GOOGLE_ADS_DEVELOPER_TOKEN")
INITIAL_DAY = date(2020, 1, 1)

CAMPAIGNS = ("SELECT campaign.id, campaign.name, campaign.advertising_channel_type, campaign.status, "
             "campaign.start_date, campaign.end_date, customer.id, customer.currency_code FROM campaign")
AD_GROUPS = "SELECT ad_group.id, ad_group.name, ad_group.status, campaign.id FROM ad_group"
DAILY = ("SELECT segments.date, campaign.id, campaign.name, metrics.cost_micros, metrics.impressions, "
         "metrics.clicks, metrics.conversions, customer.id, customer.currency_code FROM campaign "
         "WHERE segments.date BETWEEN '{start}' AND '{end}'")
CLICKS = ("SELECT click_view.gclid, segments.date, campaign.id, ad_group.id FROM click_view "
          "WHERE segments.date = '{day}'")


def google_ads_source(lookback_days: int = 3, initial_day: date = INITIAL_DAY, today: date | None = None,
                      describe_only: bool = False):
    """The source; credentials are read (and a token obtained) unless it only describes its tables."""
    base_url = env_or_default("GOOGLE_ADS_API_BASE_URL", "https://googleads.googleapis.com")
    if describe_only:
        customer, headers, token = "0", {}, ""
    else:
        customer = require_env("GOOGLE_ADS_CUSTOMER_ID", "the Google Ads account (10 digits, no dashes)")
        headers = {"developer-token": require_env("GOOGLE_ADS_DEVELOPER_TOKEN", "the API developer token")}
        login_customer = env_or_default("GOOGLE_ADS_LOGIN_CUSTOMER_ID", "")
        if login_customer:
            headers["login-customer-id"] = login_customer
        token = _access_token()

    @dlt.source(name=SOURCE)
    def source():
        client = RESTClient(base_url=base_url, headers=headers, auth=BearerTokenAuth(token=token))
        stream = f"/{API_VERSION}/customers/{customer}/googleAds:searchStream"

        def rows(query: str, label: str) -> Iterator[list[dict]]:
            return pages_with_context(_search_stream(client, stream, query), SOURCE, label, CREDENTIALS)

        @dlt.resource(name="campaigns", primary_key="campaign__id", write_disposition="merge")
        def campaigns():
            yield from rows(CAMPAIGNS, "campaigns")

        @dlt.resource(name="ad_groups", primary_key="ad_group__id", write_disposition="merge")
        def ad_groups():
            yield from rows(AD_GROUPS, "ad groups")

        @dlt.resource(name="campaign_daily", primary_key=["campaign__id", "segments__date"], write_disposition="merge")
        def campaign_daily():
            start, end = report_window(initial_day, lookback_days, today)
            newest = None
            for page in rows(DAILY.format(start=start, end=end), f"daily performance {start}..{end}"):
                newest = max([newest or "", *(r["segments"]["date"] for r in page)])
                yield page
            if newest:
                remember_last_day(date.fromisoformat(newest))

        @dlt.resource(name="click_view", primary_key="click_view__gclid", write_disposition="merge")
        def click_view():
            start, end = report_window(initial_day, lookback_days, today)
            for day in days(start, end):
                for page in rows(CLICKS.format(day=day), f"clicks of {day}"):
                    if page:
                        yield page
                        remember_last_day(day)

        return [campaigns, ad_groups, campaign_daily, click_view]

    return source()


def _search_stream(client: RESTClient, path: str, query: str) -> Iterator[list[dict]]:
    """searchStream answers one JSON array of result batches."""
    response = client.post(path, json={"query": query})
    response.raise_for_status()
    for batch in response.json():
        yield batch.get("results", [])


def _access_token() -> str:
    """Exchange the refresh token for an access token (one-line errors name the variables)."""
    token_url = env_or_default("GOOGLE_ADS_TOKEN_URL", "https://oauth2.googleapis.com/token")
    data = {"grant_type": "refresh_token",
            "client_id": require_env("GOOGLE_ADS_CLIENT_ID", "the OAuth client id"),
            "client_secret": require_env("GOOGLE_ADS_CLIENT_SECRET", "the OAuth client secret"),
            "refresh_token": require_env("GOOGLE_ADS_REFRESH_TOKEN", "a refresh token with the adwords scope")}
    try:
        return requests.post(token_url, data=data).json()["access_token"]
    except HTTPError as exc:
        if exc.response is not None and exc.response.status_code in (400, 401):
            raise ConnectorConfigError(f"Google refused the OAuth refresh ({exc.response.status_code}): "
                                       f"check {CREDENTIALS}") from None
        raise http_error(exc, SOURCE, "OAuth token", 1, CREDENTIALS) from None
