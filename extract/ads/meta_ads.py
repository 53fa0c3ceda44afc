"""Meta (Facebook) Marketing API (Graph v19.0): campaigns and daily campaign insights.

Insights come from an asynchronous report job (POST .../insights, poll the report run until
"Job Completed", then page its results by `paging.next`) over a window that reaches back
`lookback_days` into days already loaded (Meta restates recent days as conversions arrive);
rows are merged on (campaign_id, date_start). Spend stays in the ad account's currency.

Authentication: a system-user access token in META_ACCESS_TOKEN; the ad account (digits, without
`act_`) in META_AD_ACCOUNT_ID.
"""

import json
import time
from collections.abc import Iterator
from datetime import date

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import HTTPError, JSONDecodeError

from extract.ads.windows import remember_last_day, report_window
from extract.common.credentials import env_or_default, require_env
from extract.common.pages import PageError, http_error, pages_with_context

SOURCE = "meta_ads"
API_VERSION = "v19.0"
CREDENTIALS = "META_ACCESS_TOKEN"
INSIGHT_FIELDS = "campaign_id,campaign_name,spend,impressions,clicks,actions,account_currency,date_start,date_stop"
CAMPAIGN_FIELDS = "id,name,objective,status,start_time,stop_time"
POLL_SECONDS = 0.5
JOB_TIMEOUT_SECONDS = 600


def meta_ads_source(lookback_days: int = 7, initial_day: date = date(2020, 1, 1), today: date | None = None,
                    describe_only: bool = False):
    base_url = env_or_default("META_API_BASE_URL", "https://graph.facebook.com")
    if describe_only:
        token, account = "", "act_0"
    else:
        token = require_env("META_ACCESS_TOKEN", "a system-user token with ads_read")
        account = "act_" + require_env("META_AD_ACCOUNT_ID", "the ad account id (digits)").removeprefix("act_")

    @dlt.source(name=SOURCE, max_table_nesting=1)
    def source():
        client = RESTClient(base_url=f"{base_url.rstrip('/')}/{API_VERSION}", auth=BearerTokenAuth(token=token))

        def pages(path: str, label: str, params: dict) -> Iterator[list[dict]]:
            raw = client.paginate(path, params=params, paginator=JSONLinkPaginator(next_url_path="paging.next"),
                                  data_selector="data")
            return pages_with_context(raw, SOURCE, label, CREDENTIALS, (400, 401))

        @dlt.resource(name="campaigns", primary_key="id", write_disposition="merge")
        def campaigns():
            yield from pages(f"/{account}/campaigns", "campaigns", {"fields": CAMPAIGN_FIELDS, "limit": 500})

        @dlt.resource(name="insights_daily", primary_key=["campaign_id", "date_start"], write_disposition="merge")
        def insights_daily():
            start, end = report_window(initial_day, lookback_days, today)
            try:
                run_id = _start_report(client, account, start, end)
            except HTTPError as exc:
                raise http_error(exc, SOURCE, f"insights report {start}..{end}", 1, CREDENTIALS, (400, 401)) from None
            except JSONDecodeError as exc:
                raise PageError(f"{SOURCE} insights report {start}..{end}: the job reply is not valid JSON "
                                f"({exc.msg}); the cursor was kept, rerun to resume") from None
            newest = None
            for page in pages(f"/{run_id}/insights", f"insights {start}..{end}", {"limit": 500}):
                newest = max([newest or "", *(row["date_start"] for row in page)])
                yield page
            if newest:
                remember_last_day(date.fromisoformat(newest))

        return [campaigns, insights_daily]

    return source()


def _start_report(client: RESTClient, account: str, start: date, end: date) -> str:
    """Start an async insights job and wait until it completes; returns the report run id."""
    params = {"level": "campaign", "time_increment": 1, "fields": INSIGHT_FIELDS,
              "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()})}
    run_id = client.post(f"/{account}/insights", params=params).json()["report_run_id"]
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while True:
        status = client.get(f"/{run_id}").json()
        if status.get("async_status") == "Job Completed":
            return run_id
        if status.get("async_status") in ("Job Failed", "Job Skipped") or time.monotonic() > deadline:
            raise PageError(f"{SOURCE} insights {start}..{end}: report job {run_id} ended as "
                            f"{status.get('async_status', 'unknown')!r}")
        time.sleep(POLL_SECONDS)
