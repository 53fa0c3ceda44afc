"""HubSpot CRM source (API v3/v4) built on dlt's REST client, paginators and incremental cursors.

Tables (all in `raw_hubspot`):
- contacts, companies, deals, calls, meetings, emails, notes, tasks: incremental on the object's
  last-modified property through the search endpoint (windowed past 10,000 results), merged on
  `id`; archived (deleted) records are read from the list endpoint and arrive with
  `archived = true`; merged contacts are listed on the survivor in `hs_merged_object_ids`.
- contact_property_history, deal_property_history: every change of the tracked properties of the
  records read in this run (lifecycle stage, sales disposition, deal stage).
- <object>_associations: links of the records read in this run (contact→company, deal→company,
  deal→contact, engagement→contact/deal).
- owners, deal_pipeline_stages, lifecycle_stages: small reference tables, read in full.

Authentication: a private-app token in HUBSPOT_ACCESS_TOKEN; the base URL (for a local API or a
proxy) in HUBSPOT_API_BASE_URL.
"""

from collections.abc import Iterator

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_resources
from requests import HTTPError

from extract.common.credentials import env_or_default, require_env
from extract.common.pages import http_error, pages_with_context
from extract.hubspot import helpers
from extract.hubspot.settings import (
    ASSOCIATION_BATCH,
    BASE_URL_VARIABLE,
    DEFAULT_BASE_URL,
    HISTORY_BATCH,
    LIST_PAGE_SIZE,
    OBJECTS,
    SEARCH_PAGE_SIZE,
    SEARCH_RESULT_CAP,
    TOKEN_VARIABLE,
    CrmObject,
    HubSpotSettings,
    singular,
)

SOURCE = "hubspot"
AUTH_STATUSES = (401, 403)  # 403: the token lacks a scope


def settings_from_env() -> HubSpotSettings:
    return HubSpotSettings(base_url=env_or_default(BASE_URL_VARIABLE, DEFAULT_BASE_URL))


def hubspot_source(settings: HubSpotSettings | None = None, access_token: str | None = None):
    """The HubSpot dlt source; nothing is requested until it runs. The token defaults to
    HUBSPOT_ACCESS_TOKEN; without either, a one-line error names the variable."""
    settings = settings or settings_from_env()
    token = access_token or require_env(TOKEN_VARIABLE, "create a HubSpot private app and export its access token")

    @dlt.source(name=SOURCE, max_table_nesting=1)
    def source():
        client = _client(settings, token)
        resources = []
        for obj in OBJECTS:
            objects = _object_resource(client, settings, obj)
            resources.append(objects)
            if obj.history_properties:
                resources.append(_history_transformer(client, obj, objects))
            if obj.associations:
                resources.append(_associations_transformer(client, obj, objects))
        resources += _reference_resources(settings, client)
        return resources

    return source()


def _client(settings: HubSpotSettings, access_token: str) -> RESTClient:
    return RESTClient(base_url=settings.base_url, auth=BearerTokenAuth(token=access_token))


def _object_resource(client: RESTClient, settings: HubSpotSettings, obj: CrmObject):
    @dlt.resource(name=obj.name, primary_key="id", write_disposition="merge")
    def read_objects(
        updated_at=dlt.sources.incremental("updatedAt", initial_value=settings.initial_modified_at),
    ) -> Iterator[list[dict]]:
        properties = _properties_to_read(client, settings, obj)
        search = {
            "filterGroups": [{"filters": [{"propertyName": obj.modified_property, "operator": "GTE",
                                           "value": str(helpers.iso_to_millis(updated_at.start_value))}]}],
            "sorts": [{"propertyName": obj.modified_property, "direction": "ASCENDING"}],
            "properties": properties,
            "limit": SEARCH_PAGE_SIZE,
        }
        paginator = helpers.WindowedSearchPaginator(obj.modified_property, SEARCH_PAGE_SIZE, SEARCH_RESULT_CAP)
        pages = client.paginate(f"/crm/v3/objects/{obj.name}/search", method="POST", json=search,
                                paginator=paginator, data_selector="results")
        # Every requested property is a column, even when no record of this run has a value.
        hints = dlt.mark.make_hints(columns=_text_columns(["archived_at"] + [f"properties__{p}" for p in properties]))
        first = True
        for page in _tagged(pages_with_context(pages, SOURCE, obj.name, TOKEN_VARIABLE, AUTH_STATUSES), obj):
            yield dlt.mark.with_hints(page, hints) if first else page
            first = False
        # Deleted records leave search; HubSpot lists them apart, flagged archived.
        archived = client.paginate(
            f"/crm/v3/objects/{obj.name}",
            params={"archived": "true", "limit": LIST_PAGE_SIZE, "properties": ",".join(properties)},
            paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after"),
            data_selector="results")
        yield from _tagged(pages_with_context(archived, SOURCE, f"{obj.name} (archived)", TOKEN_VARIABLE,
                                              (401, 403)), obj)

    return read_objects


def _text_columns(names: list[str]) -> dict[str, dict]:
    return {name: {"name": name, "data_type": "text", "nullable": True} for name in names}


def _tagged(pages, obj: CrmObject) -> Iterator[list[dict]]:
    for page in pages:
        if obj.engagement_type:
            page = [{**record, "type": obj.engagement_type} for record in page]
        yield page


def _properties_to_read(client: RESTClient, settings: HubSpotSettings, obj: CrmObject) -> list[str]:
    if settings.properties.get(obj.name):
        return settings.properties[obj.name]
    try:
        return helpers.all_property_names(client, obj.name)
    except HTTPError as exc:
        raise http_error(exc, SOURCE, f"{obj.name} properties", 1, TOKEN_VARIABLE, AUTH_STATUSES) from None


def _history_transformer(client: RESTClient, obj: CrmObject, parent):
    @dlt.transformer(data_from=parent, name=obj.history_table, write_disposition="merge",
                     primary_key=[obj.history_key, "property", "timestamp", "value"])
    def history(page: list[dict]) -> Iterator[list[dict]]:
        ids = [record["id"] for record in page]
        yield from helpers.read_history(client, obj.name, ids, obj.history_properties, obj.history_key,
                                        HISTORY_BATCH)

    return history


def _associations_transformer(client: RESTClient, obj: CrmObject, parent):
    @dlt.transformer(data_from=parent, name=f"{singular(obj.name)}_associations", write_disposition="merge",
                     primary_key=["association_type", "from_id", "to_id"])
    def associations(page: list[dict]) -> Iterator[list[dict]]:
        ids = [record["id"] for record in page]
        for target in obj.associations:
            yield from helpers.read_associations(client, obj.name, obj.from_type, target, ids, ASSOCIATION_BATCH)

    return associations


def _reference_resources(settings: HubSpotSettings, client: RESTClient) -> list:
    """Owners, deal pipeline stages and lifecycle stages: small, read in full each run."""
    declared = rest_api_resources({
        "client": {"base_url": settings.base_url, "auth": client.auth},
        "resource_defaults": {"write_disposition": "replace"},
        "resources": [
            {"name": "owners", "primary_key": "id",
             "endpoint": {"path": "/crm/v3/owners", "params": {"limit": LIST_PAGE_SIZE},
                          "data_selector": "results",
                          "paginator": {"type": "cursor", "cursor_path": "paging.next.after",
                                        "cursor_param": "after"}}},
            {"name": "deal_pipeline_stages", "primary_key": ["pipeline_id", "id"],
             "endpoint": {"path": "/crm/v3/pipelines/deals", "data_selector": "results", "paginator": "single_page"},
             "processing_steps": [{"yield_map": _pipeline_stages}]},
            {"name": "lifecycle_stages", "primary_key": "id",
             "endpoint": {"path": "/crm/v3/properties/contacts", "data_selector": "results",
                          "paginator": "single_page"},
             "processing_steps": [{"yield_map": _lifecycle_stages}]},
        ],
    })
    return declared


def _pipeline_stages(pipeline: dict) -> Iterator[dict]:
    for stage in pipeline.get("stages", []):
        yield {"pipeline_id": pipeline["id"], "pipeline_label": pipeline.get("label"), "id": stage["id"],
               "label": stage.get("label"), "display_order": stage.get("displayOrder"),
               "metadata": stage.get("metadata", {})}


def _lifecycle_stages(prop: dict) -> Iterator[dict]:
    if prop.get("name") == "lifecyclestage":
        for option in prop.get("options", []):
            yield {"id": option["value"], "label": option.get("label"), "display_order": option.get("displayOrder")}
