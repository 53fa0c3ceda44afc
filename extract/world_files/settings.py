"""The tables each demo-world system exports, with their keys and the file they come from.

The CRM (HubSpot or Salesforce) is not read from files: its connector reads the local API that
serves the world's CRM files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: tuple[str, ...]
    description: str
    path: str = ""  # relative to the system's folder; defaults to <name>.parquet

    @property
    def file(self) -> str:
        return self.path or f"{self.name}.parquet"


SYSTEMS: dict[str, list[TableSpec]] = {
    "mailchimp": [
        TableSpec("lists", ("id",), "Audiences"),
        TableSpec("members", ("id",), "Audience members (id = MD5 of the lower-cased address)"),
        TableSpec("campaigns", ("id",), "Regular and automation campaigns"),
        TableSpec("email_activity", ("campaign_id", "email_id", "action", "timestamp"),
                  "Per-recipient sends, opens, clicks, bounces and unsubscribes"),
    ],
    "google_ads": [
        TableSpec("campaigns", ("campaign__id",), "Campaigns"),
        TableSpec("ad_groups", ("ad_group__id",), "Ad groups"),
        TableSpec("campaign_daily", ("campaign__id", "segments__date"), "Daily campaign performance"),
        TableSpec("click_view", ("click_view__gclid",), "Clicks with their gclid"),
    ],
    "meta_ads": [
        TableSpec("campaigns", ("id",), "Campaigns"),
        TableSpec("insights_daily", ("campaign_id", "date_start"), "Daily campaign insights"),
    ],
    "linkedin_ads": [
        TableSpec("campaign_groups", ("id",), "Campaign groups"),
        TableSpec("campaigns", ("id",), "Campaigns"),
        TableSpec("ad_analytics_daily", ("pivot_values", "date_range__start__year", "date_range__start__month",
                                         "date_range__start__day"), "Daily campaign analytics"),
    ],
    "web": [
        TableSpec("events", ("message_id",), "Segment-spec page, track and identify events", path="events"),
    ],
}
