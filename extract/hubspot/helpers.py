"""HubSpot specifics dlt does not know: search windowing past 10,000 results, property lists,
history and association batch reads, and how HubSpot timestamps compare."""

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Request, Response

from extract.common.pages import PageError
from extract.hubspot.settings import singular


def iso_to_millis(value: str | int | float | None) -> int:
    """HubSpot's search filters take epoch milliseconds."""
    if value is None:
        return 0
    if isinstance(value, int | float):
        return int(value)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


class WindowedSearchPaginator(JSONResponseCursorPaginator):
    """Pages a search sorted by a last-modified property; before the 10,000-result cap it
    starts a new search window from the last value seen (>=), so any volume can be read.

    Records at the window boundary come twice; the merge on `id` (and dlt's incremental
    de-duplication) keeps one.
    """

    def __init__(self, modified_property: str, page_size: int, cap: int):
        super().__init__(cursor_path="paging.next.after", cursor_body_path="after")
        self.modified_property = modified_property
        self.page_size = page_size
        self.cap = cap
        self._window_start: int | None = None
        self._window_value_seen: int | None = None
        self._last_seen: int | None = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        if data:
            last = data[-1].get("properties", {}).get(self.modified_property) or data[-1].get("updatedAt")
            self._last_seen = iso_to_millis(last)
        if self._next_reference is not None and int(self._next_reference) + self.page_size > self.cap:
            if self._last_seen == self._window_value_seen:
                raise PageError(f"more than {self.cap} records share {self.modified_property} = "
                                f"{self._last_seen}; HubSpot search cannot page through them")
            self._window_start = self._window_value_seen = self._last_seen
            self._next_reference = "0"

    def update_request(self, request: Request) -> None:
        super().update_request(request)
        if self._window_start is not None:
            for group in request.json.get("filterGroups", []):
                for f in group.get("filters", []):
                    if f.get("propertyName") == self.modified_property and f.get("operator") == "GTE":
                        f["value"] = str(self._window_start)
            request.json.pop("after", None)
            self._window_start = None


def all_property_names(client: RESTClient, object_type: str) -> list[str]:
    """Every property HubSpot has for the object type (new ones included: schema drift)."""
    response = client.get(f"/crm/v3/properties/{object_type}")
    response.raise_for_status()
    return sorted(p["name"] for p in response.json().get("results", []))


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def read_history(client: RESTClient, object_type: str, ids: list[str], properties: tuple[str, ...],
                 key: str, batch: int) -> Iterator[list[dict]]:
    """Pages of rows, one per property change of the given records, newest and oldest alike."""
    for part in chunks(ids, batch):
        response = client.post(f"/crm/v3/objects/{object_type}/batch/read", json={
            "inputs": [{"id": i} for i in part], "properties": [], "propertiesWithHistory": list(properties)})
        response.raise_for_status()
        yield [{key: record["id"], "property": prop, "value": change.get("value"),
                "timestamp": change.get("timestamp"), "source_type": change.get("sourceType")}
               for record in response.json().get("results", [])
               for prop, changes in (record.get("propertiesWithHistory") or {}).items()
               for change in changes]


def read_associations(client: RESTClient, from_type: str, from_label: str, to_type: str, ids: list[str],
                      batch: int) -> Iterator[list[dict]]:
    """Pages of links from the given records to another object type (207: some had none)."""
    to_label = singular(to_type)
    for part in chunks(ids, batch):
        response = client.post(f"/crm/v4/associations/{from_type}/{to_type}/batch/read",
                               json={"inputs": [{"id": i} for i in part]})
        if response.status_code not in (200, 207):
            response.raise_for_status()
        yield [{"from_object_type": from_label, "from_id": str(result["from"]["id"]),
                "to_object_type": to_label, "to_id": str(target["toObjectId"]),
                "association_type": f"{from_label}_to_{to_label}"}
               for result in response.json().get("results", [])
               for target in result.get("to", [])]
