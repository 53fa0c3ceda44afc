"""Salesforce source (REST API) built on dlt's REST client, link paginator and incremental cursors.

Every SObject in settings.OBJECTS is read with SOQL through `queryAll` (so deleted and merged
records arrive with IsDeleted = true and MasterRecordId) ordered by its cursor field
(SystemModstamp, or CreatedDate for field history), incremental from the last value loaded,
paged by `nextRecordsUrl`, and merged on Id. Fields come from each object's describe at the start
of a run unless configured. `picklist_values` holds the lead status, opportunity stage and
lifecycle stage picklists.
"""

from collections.abc import Iterator

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import HTTPError

from extract.common.credentials import env_or_default
from extract.common.pages import http_error, pages_with_context
from extract.salesforce.auth import SalesforceSession, login_from_env
from extract.salesforce.settings import (
    API_VERSION,
    CREDENTIAL_VARIABLES,
    DEFAULT_LOGIN_URL,
    LOGIN_URL_VARIABLE,
    OBJECTS,
    PICKLISTS,
    SKIPPED_FIELD_TYPES,
    SalesforceSettings,
    SObject,
)

SOURCE = "salesforce"
AUTH_STATUSES = (401,)
DATA_PATH = f"/services/data/{API_VERSION}"


def settings_from_env() -> SalesforceSettings:
    return SalesforceSettings(login_url=env_or_default(LOGIN_URL_VARIABLE, DEFAULT_LOGIN_URL))


def salesforce_source(settings: SalesforceSettings | None = None, session: SalesforceSession | None = None):
    """The Salesforce dlt source. Without a session it logs in with the environment's credentials
    (a missing variable or a refused login is a one-line error naming the variables)."""
    settings = settings or settings_from_env()
    session = session or login_from_env()

    @dlt.source(name=SOURCE, max_table_nesting=0)
    def source():
        client = RESTClient(base_url=session.instance_url, auth=BearerTokenAuth(token=session.access_token),
                            headers={"Sforce-Query-Options": f"batchSize={settings.batch_size}"})
        return [_sobject_resource(client, settings, sobject) for sobject in OBJECTS] + [_picklists(client)]

    return source()


def soql_datetime(value: str) -> str:
    """SOQL datetime literal (unquoted, UTC) from an ISO string as Salesforce returns it."""
    text = str(value).replace("+0000", "Z").replace("+00:00", "Z")
    return text if text.endswith("Z") else text + "Z"


def _describe(client: RESTClient, name: str) -> dict:
    try:
        response = client.get(f"{DATA_PATH}/sobjects/{name}/describe")
        response.raise_for_status()
    except HTTPError as exc:
        raise http_error(exc, SOURCE, f"{name} describe", 1, CREDENTIAL_VARIABLES, AUTH_STATUSES) from None
    return response.json()


# Salesforce field types that load as something other than text (dates stay ISO text in raw).
_DLT_TYPES = {"boolean": "bool", "double": "double", "currency": "double", "percent": "double", "int": "bigint"}


def _fields(client: RESTClient, settings: SalesforceSettings, sobject: SObject) -> dict[str, str]:
    """Field name -> dlt data type of the fields to read."""
    if settings.fields.get(sobject.name):
        return {name: "text" for name in settings.fields[sobject.name]}
    described = _describe(client, sobject.name)["fields"]
    return {f["name"]: _DLT_TYPES.get(f.get("type"), "text") for f in described
            if f.get("type") not in SKIPPED_FIELD_TYPES}


def _sobject_resource(client: RESTClient, settings: SalesforceSettings, sobject: SObject):
    @dlt.resource(name=sobject.table, primary_key="Id", write_disposition="merge")
    def read_sobject(
        modstamp=dlt.sources.incremental(sobject.cursor_field, initial_value=settings.initial_modstamp),
    ) -> Iterator[list[dict]]:
        fields = _fields(client, settings, sobject)
        # >= and not >: records sharing the last timestamp are re-read, the merge keeps one.
        soql = (f"SELECT {', '.join(fields)} FROM {sobject.name} "
                f"WHERE {sobject.cursor_field} >= {soql_datetime(modstamp.start_value)} "
                f"ORDER BY {sobject.cursor_field} ASC, Id ASC")
        pages = client.paginate(f"{DATA_PATH}/queryAll", params={"q": soql},
                                paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"),
                                data_selector="records")
        # Every field is a column even when no record of this run has a value (e.g. MasterRecordId).
        hints = dlt.mark.make_hints(columns={name: {"name": name, "data_type": data_type, "nullable": True}
                                             for name, data_type in fields.items()})
        first = True
        for page in pages_with_context(pages, SOURCE, sobject.name, CREDENTIAL_VARIABLES, AUTH_STATUSES):
            yield dlt.mark.with_hints(page, hints) if first else page
            first = False

    return read_sobject


def _picklists(client: RESTClient):
    @dlt.resource(name="picklist_values", primary_key=["sobject", "field", "value"], write_disposition="replace")
    def picklist_values() -> Iterator[dict]:
        for sobject, field_name in PICKLISTS:
            described = {f["name"]: f for f in _describe(client, sobject)["fields"]}
            for order, value in enumerate(described.get(field_name, {}).get("picklistValues", [])):
                yield {"sobject": sobject, "field": field_name, "value": value["value"], "label": value.get("label"),
                       "is_active": value.get("active", True), "sort_order": order}

    return picklist_values
