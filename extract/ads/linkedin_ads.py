"""LinkedIn Marketing API (versioned REST): campaign groups, campaigns, daily campaign analytics.

Analytics come from `adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY` over a window
reaching back `lookback_days` into days already loaded, requested in slices of `slice_days`
(LinkedIn answers at most 15,000 elements per request); the connector adds `campaign_urn` and
`date` to each row and merges on them. Cost stays in the account's currency.

Authentication: an OAuth access token in LINKEDIN_ACCESS_TOKEN; the ad account id in
LINKEDIN_AD_ACCOUNT_ID.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator, SinglePagePaginator

from extract.ads.windows import remember_last_day, report_window
from extract.common.credentials import env_or_default, require_env
from extract.common.pages import pages_with_context

SOURCE = "linkedin_ads"
CREDENTIALS = "LINKEDIN_ACCESS_TOKEN"
API_VERSION = "202405"
ANALYTICS_FIELDS = "dateRange,pivotValues,costInLocalCurrency,costInUsd,impressions,clicks,oneClickLeads"


def linkedin_ads_source(lookback_days: int = 3, slice_days: int = 60, initial_day: date = date(2020, 1, 1),
                        today: date | None = None, describe_only: bool = False):
    base_url = env_or_default("LINKEDIN_API_BASE_URL", "https://api.linkedin.com")
    if describe_only:
        token, account = "", "0"
    else:
        token = require_env("LINKEDIN_ACCESS_TOKEN", "an OAuth token with r_ads_reporting")
        account = require_env("LINKEDIN_AD_ACCOUNT_ID", "the ad account id (digits)")
    headers = {"LinkedIn-Version": API_VERSION, "X-Restli-Protocol-Version": "2.0.0"}

    @dlt.source(name=SOURCE, max_table_nesting=1)
    def source():
        client = RESTClient(base_url=base_url, headers=headers, auth=BearerTokenAuth(token=token))

        def searched(path: str, label: str) -> Iterator[list[dict]]:
            paginator = JSONResponseCursorPaginator(cursor_path="metadata.nextPageToken", cursor_param="pageToken")
            raw = client.paginate(path, params={"q": "search", "pageSize": 100}, paginator=paginator,
                                  data_selector="elements")
            return pages_with_context(raw, SOURCE, label, CREDENTIALS)

        @dlt.resource(name="campaign_groups", primary_key="id", write_disposition="merge")
        def campaign_groups():
            yield from searched(f"/rest/adAccounts/{account}/adCampaignGroups", "campaign groups")

        @dlt.resource(name="campaigns", primary_key="id", write_disposition="merge")
        def campaigns():
            yield from searched(f"/rest/adAccounts/{account}/adCampaigns", "campaigns")

        @dlt.resource(name="ad_analytics_daily", primary_key=["campaign_urn", "date"], write_disposition="merge")
        def ad_analytics_daily():
            start, end = report_window(initial_day, lookback_days, today)
            newest = None
            while start <= end:
                stop = min(end, start + timedelta(days=slice_days - 1))
                url = _analytics_url(account, start, stop)
                raw = client.paginate(url, paginator=SinglePagePaginator(), data_selector="elements")
                for page in pages_with_context(raw, SOURCE, f"analytics {start}..{stop}", CREDENTIALS):
                    rows = [_keyed(row) for row in page]
                    newest = max([newest or "", *(row["date"] for row in rows)])
                    yield rows
                start = stop + timedelta(days=1)
            if newest:
                remember_last_day(date.fromisoformat(newest))

        return [campaign_groups, campaigns, ad_analytics_daily]

    return source()


def _analytics_url(account: str, start: date, end: date) -> str:
    """Rest.li 2.0 query: structural characters stay literal, only the URN is encoded."""
    def day(d: date) -> str:
        return f"(year:{d.year},month:{d.month},day:{d.day})"

    urn = quote(f"urn:li:sponsoredAccount:{account}", safe="")
    return (f"/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY"
            f"&dateRange=(start:{day(start)},end:{day(end)})&accounts=List({urn})&fields={ANALYTICS_FIELDS}")


def _keyed(row: dict) -> dict:
    start = row["dateRange"]["start"]
    return {**row, "campaign_urn": (row.get("pivotValues") or [None])[0],
            "date": date(start["year"], start["month"], start["day"]).isoformat()}
