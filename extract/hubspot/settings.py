"""What the HubSpot connector reads: objects, their last-modified property, history, links."""

from dataclasses import dataclass, field

DEFAULT_BASE_URL = "https://api.hubapi.com"
TOKEN_VARIABLE = "HUBSPOT_ACCESS_TOKEN"
BASE_URL_VARIABLE = "HUBSPOT_API_BASE_URL"

SEARCH_PAGE_SIZE = 200  # HubSpot's maximum for search
LIST_PAGE_SIZE = 100  # HubSpot's maximum for list endpoints
SEARCH_RESULT_CAP = 10_000  # a search cannot page past this many results
HISTORY_BATCH = 50  # batch read with propertiesWithHistory accepts at most 50 ids
ASSOCIATION_BATCH = 1000


def singular(object_type: str) -> str:
    """HubSpot's object type in the singular, as association labels spell it (companies -> company)."""
    return object_type[:-3] + "y" if object_type.endswith("ies") else object_type.removesuffix("s")


@dataclass(frozen=True)
class CrmObject:
    name: str  # HubSpot's object type in the URL
    table: str  # raw table it lands in
    modified_property: str = "hs_lastmodifieddate"
    history_properties: tuple[str, ...] = ()
    history_table: str | None = None
    history_key: str | None = None
    associations: tuple[str, ...] = ()  # object types whose links are read
    engagement_type: str | None = None  # calls/meetings/emails share the engagements table
    association_from: str | None = None  # how the links table names this object type

    @property
    def from_type(self) -> str:
        return self.association_from or singular(self.name)


ENGAGEMENT_ASSOCIATIONS = ("contacts", "deals")
OBJECTS: list[CrmObject] = [
    CrmObject("contacts", "contacts", modified_property="lastmodifieddate",
              history_properties=("lifecyclestage", "mql_disposition", "mql_rejection_reason"),
              history_table="contact_property_history", history_key="contact_id", associations=("companies",)),
    CrmObject("companies", "companies"),
    CrmObject("deals", "deals", history_properties=("dealstage",), history_table="deal_property_history",
              history_key="deal_id", associations=("companies", "contacts")),
    CrmObject("calls", "engagements", associations=ENGAGEMENT_ASSOCIATIONS, engagement_type="CALL",
              association_from="engagement"),
    CrmObject("meetings", "engagements", associations=ENGAGEMENT_ASSOCIATIONS, engagement_type="MEETING",
              association_from="engagement"),
    CrmObject("emails", "engagements", associations=ENGAGEMENT_ASSOCIATIONS, engagement_type="EMAIL",
              association_from="engagement"),
    CrmObject("notes", "engagements", associations=ENGAGEMENT_ASSOCIATIONS, engagement_type="NOTE",
              association_from="engagement"),
    CrmObject("tasks", "engagements", associations=ENGAGEMENT_ASSOCIATIONS, engagement_type="TASK",
              association_from="engagement"),
]


@dataclass(frozen=True)
class HubSpotSettings:
    base_url: str = DEFAULT_BASE_URL
    # Properties to request per object; an object not listed gets every property HubSpot has,
    # read from the properties API at the start of the run (so new properties become columns).
    properties: dict[str, list[str]] = field(default_factory=dict)
    initial_modified_at: str = "1970-01-01T00:00:00Z"
