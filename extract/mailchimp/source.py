"""Mailchimp Marketing API (v3.0): audiences, members, campaigns and per-recipient activity.

Built on dlt's REST client with offset paging (`count`/`offset`/`total_items`):
- lists: every audience, merged on id;
- members: per audience, incremental on `last_changed` (`since_last_changed`), merged on id;
- campaigns: every sent campaign (regular and automation), merged on id;
- email_activity: one row per recipient action, the shape of the demo world's export:
  opens, clicks and bounces from `reports/{id}/email-activity` (since the last activity seen,
  minus an hour so late-indexed events are caught; the merge on
  (campaign_id, email_id, action, timestamp) removes the overlap), sends from
  `reports/{id}/sent-to` for campaigns sent since the last run (a send has no per-recipient time
  in the API: it takes the campaign's send time, or for an automation its creation time),
  unsubscribes from `reports/{id}/unsubscribed`.

Authentication: the API key in MAILCHIMP_API_KEY (HTTP Basic); the data centre comes from the
key's suffix (`...-us21`) unless MAILCHIMP_API_BASE_URL points elsewhere.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

from extract.common.credentials import env_or_default, require_env
from extract.common.pages import pages_with_context

SOURCE = "mailchimp"
KEY_VARIABLE = "MAILCHIMP_API_KEY"
BASE_URL_VARIABLE = "MAILCHIMP_API_BASE_URL"
PAGE_SIZE = 1000  # Mailchimp's maximum `count`
ACTIVITY_OVERLAP = timedelta(hours=1)
EPOCH = "1970-01-01T00:00:00+00:00"


def mailchimp_source(api_key: str | None = None, base_url: str | None = None, describe_only: bool = False):
    if describe_only:
        key, base = "", "http://describes-tables-only"
    else:
        key = api_key or require_env(KEY_VARIABLE, "create an API key in Mailchimp (Account > Extras > API keys)")
        base = base_url or env_or_default(BASE_URL_VARIABLE, "") or _datacenter_url(key)

    @dlt.source(name=SOURCE, max_table_nesting=1)
    def source():
        client = RESTClient(base_url=f"{base.rstrip('/')}/3.0", auth=HttpBasicAuth("revenue-warehouse", key))
        campaigns = _campaigns(client)
        return [_lists(client), _members(client), campaigns, _email_activity(client, campaigns)]

    return source()


def _datacenter_url(key: str) -> str:
    if "-" not in key:
        raise ValueError(f"{KEY_VARIABLE} does not end with a data centre (like -us21); "
                         f"set {BASE_URL_VARIABLE} or use the full key")
    return f"https://{key.rsplit('-', 1)[1]}.api.mailchimp.com"


def _pages(client: RESTClient, path: str, selector: str, obj: str, params: dict | None = None):
    paginator = OffsetPaginator(limit=PAGE_SIZE, limit_param="count", offset_param="offset",
                                total_path="total_items")
    pages = client.paginate(path, params=params or {}, paginator=paginator, data_selector=selector)
    return pages_with_context(pages, SOURCE, obj, KEY_VARIABLE)


def _lists(client: RESTClient):
    @dlt.resource(name="lists", primary_key="id", write_disposition="merge")
    def lists() -> Iterator[list[dict]]:
        yield from _pages(client, "/lists", "lists", "lists")

    return lists


def _members(client: RESTClient):
    @dlt.resource(name="members", primary_key="id", write_disposition="merge")
    def members(last_changed=dlt.sources.incremental("last_changed", initial_value=EPOCH)) -> Iterator[list[dict]]:
        for page in _pages(client, "/lists", "lists", "lists"):
            for audience in page:
                yield from _pages(client, f"/lists/{audience['id']}/members", "members", "members",
                                  {"since_last_changed": last_changed.start_value})

    return members


def _campaigns(client: RESTClient):
    @dlt.resource(name="campaigns", primary_key="id", write_disposition="merge")
    def campaigns() -> Iterator[list[dict]]:
        yield from _pages(client, "/campaigns", "campaigns", "campaigns", {"status": "sent"})

    return campaigns


def _email_activity(client: RESTClient, campaigns):
    @dlt.transformer(data_from=campaigns, name="email_activity", write_disposition="merge",
                     primary_key=["campaign_id", "email_id", "action", "timestamp"])
    def email_activity(page: list[dict]) -> Iterator[list[dict]]:
        state = dlt.current.resource_state()
        since = _minus(state.get("activity_since", EPOCH), ACTIVITY_OVERLAP)
        sends_since = state.get("sends_since", EPOCH)
        newest = state.get("activity_since", EPOCH)
        for campaign in page:
            cid = campaign["id"]
            for emails in _pages(client, f"/reports/{cid}/email-activity", "emails", f"email activity of {cid}",
                                 {"since": since}):
                rows = [_activity_row(email, action) for email in emails for action in email.get("activity", [])]
                newest = max([newest, *(r["timestamp"] for r in rows if r["timestamp"])])
                yield rows
            sent_at = campaign.get("send_time")
            if not sent_at or sent_at >= sends_since:
                for sent in _pages(client, f"/reports/{cid}/sent-to", "sent_to", f"sends of {cid}"):
                    yield [_sent_row(cid, campaign, row) for row in sent]
            for unsubscribes in _pages(client, f"/reports/{cid}/unsubscribed", "unsubscribes",
                                       f"unsubscribes of {cid}"):
                yield [_unsubscribe_row(cid, campaign, row) for row in unsubscribes]
        state["activity_since"] = newest
        sent_times = [c["send_time"] for c in page if c.get("send_time")]
        state["sends_since"] = max([sends_since, *sent_times])

    return email_activity


def _activity_row(email: dict, action: dict) -> dict:
    return {"campaign_id": email["campaign_id"], "list_id": email.get("list_id"), "email_id": email["email_id"],
            "email_address": email.get("email_address"), "action": action["action"], "type": action.get("type"),
            "timestamp": action.get("timestamp"), "url": action.get("url")}


def _sent_row(campaign_id: str, campaign: dict, row: dict) -> dict:
    return {"campaign_id": campaign_id, "list_id": (campaign.get("recipients") or {}).get("list_id"),
            "email_id": row["email_id"], "email_address": row.get("email_address"), "action": "sent",
            "type": None, "timestamp": campaign.get("send_time") or campaign.get("create_time"), "url": None}


def _unsubscribe_row(campaign_id: str, campaign: dict, row: dict) -> dict:
    return {"campaign_id": campaign_id, "list_id": row.get("list_id"), "email_id": row["email_id"],
            "email_address": row.get("email_address"), "action": "unsubscribe", "type": None,
            "timestamp": row.get("timestamp"), "url": None}


def _minus(iso: str, delta: timedelta) -> str:
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) - delta).isoformat()
