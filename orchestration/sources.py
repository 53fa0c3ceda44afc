"""Every system the warehouse extracts, and how a run builds its dlt source.

`describe` builds the source only to list its tables (no credential read, no request made), for
the asset definitions; `build` builds it for a run, reading credentials from the environment.
Web events and the file drop read folders or buckets: WEB_EVENTS_URL and FILE_DROP_URL, which
default to the demo world's folders under the deployment's working folder.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

from extract.ads.google_ads import google_ads_source
from extract.ads.linkedin_ads import linkedin_ads_source
from extract.ads.meta_ads import meta_ads_source
from extract.file_drop.source import file_drop_source
from extract.hubspot.source import hubspot_source
from extract.mailchimp.source import mailchimp_source
from extract.salesforce.auth import SalesforceSession
from extract.salesforce.source import salesforce_source
from extract.web_events.source import web_events_source
from orchestration.settings import WarehouseResource

WEB_EVENTS_URL = "WEB_EVENTS_URL"
FILE_DROP_URL = "FILE_DROP_URL"


@dataclass(frozen=True)
class SourceSpec:
    name: str
    describe: Callable[[], object]
    build: Callable[[WarehouseResource], object]


def _folder(variable: str, warehouse: WarehouseResource, default: str) -> str:
    return os.environ.get(variable, "").strip() or str(warehouse.world_dir / default)


CRM_SOURCES = {
    "hubspot": SourceSpec("hubspot", lambda: hubspot_source(access_token="describes-tables-only"),
                          lambda _w: hubspot_source()),
    "salesforce": SourceSpec(
        "salesforce", lambda: salesforce_source(session=SalesforceSession("describes-tables-only", "http://unused")),
        lambda _w: salesforce_source()),
}

MARKETING_SOURCES = [
    SourceSpec("mailchimp", lambda: mailchimp_source(describe_only=True), lambda _w: mailchimp_source()),
    SourceSpec("google_ads", lambda: google_ads_source(describe_only=True), lambda _w: google_ads_source()),
    SourceSpec("meta_ads", lambda: meta_ads_source(describe_only=True), lambda _w: meta_ads_source()),
    SourceSpec("linkedin_ads", lambda: linkedin_ads_source(describe_only=True), lambda _w: linkedin_ads_source()),
    SourceSpec("web", lambda: web_events_source("."),
               lambda w: web_events_source(_folder(WEB_EVENTS_URL, w, "web/events"))),
    SourceSpec("file_drop", lambda: file_drop_source("."),
               lambda w: file_drop_source(_folder(FILE_DROP_URL, w, "file_drop"))),
]


def sources_for(crm: str) -> list[SourceSpec]:
    return [CRM_SOURCES[crm], *MARKETING_SOURCES]
