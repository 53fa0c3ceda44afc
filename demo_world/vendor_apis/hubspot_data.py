"""The in-memory CRM behind the local HubSpot API: a world's hubspot/*.parquet, loaded and indexed.

Each object type is an `ObjectTable`: records by id plus two sorted id lists (live, archived), so a
list page is a bisect and a slice rather than a scan. Associations are kept in both directions,
keyed by (from type, to type) and from id. Timestamps are kept as the files spell them, ISO 8601
with milliseconds and a `Z` (`2025-01-15T22:41:09.000Z`): in that one format, comparing strings
compares instants, which keeps date filters cheap.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

CRM_TYPES = ("contacts", "companies", "deals")
ENGAGEMENT_TYPES = {"CALL": "calls", "MEETING": "meetings", "EMAIL": "emails"}
EMPTY_TYPES = ("notes", "tasks")  # served, but the world has none
ACTIVITY_TYPES = tuple(ENGAGEMENT_TYPES.values()) + EMPTY_TYPES  # activities share one id sequence
OBJECT_TYPES = CRM_TYPES + ACTIVITY_TYPES

# HubSpot accepts singular names and object type ids in paths as well.
ALIASES = {
    "contact": "contacts", "0-1": "contacts", "company": "companies", "0-2": "companies",
    "deal": "deals", "0-3": "deals", "call": "calls", "0-48": "calls", "meeting": "meetings",
    "0-47": "meetings", "email": "emails", "0-49": "emails", "note": "notes", "0-46": "notes",
    "task": "tasks", "0-27": "tasks", **{t: t for t in OBJECT_TYPES},
}

# Properties HubSpot computes from the record itself; they cannot be set or removed.
DERIVED = {
    "contacts": ("hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"),
    "default": ("hs_object_id", "createdate", "hs_lastmodifieddate"),
    "engagement": ("hs_object_id", "createdate", "hs_createdate", "hs_lastmodifieddate"),
}
# Properties whose changes are kept as history (the world's history files hold these).
TRACKED = frozenset({"lifecyclestage", "dealstage", "mql_disposition", "mql_rejection_reason"})

# Enumerations whose options are the distinct values the world holds (stages and owners get theirs
# from the reference tables).
ENUMERATIONS = frozenset({
    "lifecyclestage", "dealstage", "pipeline", "hubspot_owner_id", "hs_lead_status", "hs_analytics_source",
    "lead_source", "mql_disposition", "mql_rejection_reason", "industry", "dealtype", "deal_currency_code",
    "closed_lost_reason", "hs_direction", "hs_meeting_outcome",
})
TYPE_OVERRIDES = {"hs_merged_object_ids": "string", "hs_object_id": "number"}
GROUPS = {"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation",
          "calls": "call", "meetings": "meeting", "emails": "email", "notes": "note", "tasks": "task"}
EMPTY_TYPE_PROPERTIES = {"notes": ("hs_timestamp", "hs_note_body", "hubspot_owner_id"),
                         "tasks": ("hs_timestamp", "hs_task_subject", "hs_task_status", "hubspot_owner_id")}
FIELD_TYPES = {"string": "text", "number": "number", "datetime": "date", "date": "date",
               "bool": "booleancheckbox", "enumeration": "select"}
LABELS = {
    "hs_object_id": "Record ID", "createdate": "Create Date", "hs_createdate": "Create Date",
    "lastmodifieddate": "Last Modified Date", "hs_lastmodifieddate": "Last Modified Date",
    "email": "Email", "firstname": "First Name", "lastname": "Last Name", "jobtitle": "Job Title",
    "lifecyclestage": "Lifecycle Stage", "hs_lead_status": "Lead Status", "hubspot_owner_id": "Owner",
    "hs_analytics_source": "Original Source", "hs_analytics_source_data_1": "Original Source Drill-Down 1",
    "hs_merged_object_ids": "Merged Record IDs", "dealname": "Deal Name", "dealstage": "Deal Stage",
    "closedate": "Close Date", "hs_timestamp": "Activity date", "numberofemployees": "Number of Employees",
    "deal_currency_code": "Currency", "hs_is_closed_won": "Is Closed Won", "hs_is_closed": "Is Deal Closed?",
}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def ms_to_iso(ms: int) -> str:
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_to_ms(text: str) -> int:
    stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return round(stamp.timestamp() * 1000)


def to_instant(value: object) -> str:
    """An instant given as epoch milliseconds (number or digits) or ISO text, in the canonical ISO form."""
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        return ms_to_iso(int(value))
    if isinstance(value, str):
        return ms_to_iso(iso_to_ms(value.strip()))
    raise ValueError(f"not a date: {value!r}")


def id_key(record_id: str) -> int:
    return int(record_id)


@dataclass
class PropertyDef:
    name: str
    type: str  # HubSpot's property types: string, number, datetime, date, bool, enumeration
    label: str
    group: str
    options: list[dict] = field(default_factory=list)
    derived: bool = False

    def as_json(self) -> dict:
        return {
            "name": self.name, "label": self.label, "type": self.type,
            "fieldType": FIELD_TYPES.get(self.type, "text"), "description": "", "groupName": self.group,
            "options": self.options, "displayOrder": -1, "calculated": self.derived, "externalOptions": False,
            "hasUniqueValue": self.name == "hs_object_id", "hidden": False, "hubspotDefined": True,
            "formField": not self.derived, "archived": False,
            "modificationMetadata": {"archivable": not self.derived, "readOnlyDefinition": True,
                                     "readOnlyValue": self.derived},
        }


class Record:
    """One CRM object. `props` is sparse: a property without a value has no key."""

    __slots__ = ("id", "created_at", "updated_at", "archived_at", "props", "merged_into", "set_at")

    def __init__(self, record_id: str, created_at: str, updated_at: str, props: dict[str, str]):
        self.id = record_id
        self.created_at = created_at
        self.updated_at = updated_at
        self.archived_at: str | None = None
        self.props = props
        self.merged_into: str | None = None
        self.set_at: dict[str, str] = {}  # when a mutation last set an untracked property

    @property
    def live(self) -> bool:
        return self.archived_at is None and self.merged_into is None


class ObjectTable:
    """Records of one object type, with sorted id lists for paging and a version for search caches."""

    def __init__(self, name: str, schema: dict[str, PropertyDef]):
        self.name = name
        self.schema = schema
        self.records: dict[str, Record] = {}
        self.history: dict[str, dict[str, list[tuple[str | None, str, str]]]] = {}  # oldest first
        self._live: list[int] = []
        self._archived: list[int] = []
        self.max_id = 0  # new records take the next id
        self.version = 0

    @property
    def derived(self) -> tuple[str, ...]:
        if self.name == "contacts":
            return DERIVED["contacts"]
        return DERIVED["engagement" if self.name in ACTIVITY_TYPES else "default"]

    def value(self, record: Record, name: str) -> str | None:
        if name == "hs_object_id":
            return record.id
        if name in ("createdate", "hs_createdate"):
            return record.created_at
        if name in ("hs_lastmodifieddate", "lastmodifieddate") and name in self.derived:
            return record.updated_at
        return record.props.get(name)

    def index_all(self) -> None:
        """Builds the sorted id lists once, after loading."""
        self._live = sorted(id_key(r.id) for r in self.records.values() if r.live)
        self._archived = sorted(id_key(r.id) for r in self.records.values() if r.archived_at and not r.merged_into)
        self.max_id = max((id_key(i) for i in self.records), default=0)

    def ids(self, archived: bool = False) -> list[int]:
        return self._archived if archived else self._live

    def page(self, archived: bool, start: int, limit: int) -> tuple[list[Record], int | None]:
        """Up to `limit` records with id >= start, and the id the next page starts at (None at the end)."""
        ids = self.ids(archived)
        at = bisect.bisect_left(ids, start)
        chunk = ids[at:at + limit]
        following = ids[at + limit] if at + limit < len(ids) else None
        return [self.records[str(i)] for i in chunk], following

    def add(self, record: Record) -> None:
        self.records[record.id] = record
        bisect.insort(self._live, id_key(record.id))
        self.max_id = max(self.max_id, id_key(record.id))
        self.version += 1

    def drop_from_live(self, record: Record) -> None:
        key = id_key(record.id)
        at = bisect.bisect_left(self._live, key)
        if at < len(self._live) and self._live[at] == key:
            del self._live[at]
        if record.archived_at and not record.merged_into:
            bisect.insort(self._archived, key)
        self.version += 1

    def history_of(self, record: Record, name: str) -> list[tuple[str | None, str, str]]:
        """(value, timestamp, sourceType) changes of a property, oldest first."""
        kept = self.history.get(record.id, {}).get(name)
        if kept:
            return kept
        current = self.value(record, name)
        if current is None:
            return []
        when = record.set_at.get(name) or (record.updated_at if name in self.derived else record.created_at)
        return [(current, when, "CALCULATED" if name in self.derived else "CRM_UI")]


class Associations:
    """Links between objects, in both directions: (from type, to type) -> from id -> {to id: primary}."""

    def __init__(self) -> None:
        self.links: dict[tuple[str, str], dict[str, dict[str, bool]]] = {}

    def add(self, from_type: str, from_id: str, to_type: str, to_id: str, primary: bool = False) -> None:
        self.links.setdefault((from_type, to_type), {}).setdefault(from_id, {})[to_id] = primary
        self.links.setdefault((to_type, from_type), {}).setdefault(to_id, {})[from_id] = primary

    def targets(self, from_type: str, from_id: str, to_type: str) -> dict[str, bool]:
        return self.links.get((from_type, to_type), {}).get(from_id, {})

    def move(self, object_type: str, old_id: str, new_id: str) -> None:
        """Re-points every link of one object to another (a merge); the survivor keeps its primaries."""
        for (from_type, to_type), by_id in list(self.links.items()):
            if from_type != object_type or old_id not in by_id:
                continue
            moved = by_id.pop(old_id)
            has_primary = any(by_id.get(new_id, {}).values())
            for to_id, primary in moved.items():
                self.links[(to_type, from_type)].get(to_id, {}).pop(old_id, None)
                if to_id not in by_id.get(new_id, {}):
                    self.add(object_type, new_id, to_type, to_id, primary=primary and not has_primary)


@dataclass
class CrmData:
    tables: dict[str, ObjectTable]
    associations: Associations
    owners: list[dict]
    pipeline: dict
    lifecycle_stages: list[dict]
    as_of_ms: int

    @classmethod
    def load(cls, world_dir: str | Path, as_of_ms: int) -> CrmData:
        folder = Path(world_dir) / "hubspot"
        owners = pq.read_table(folder / "owners.parquet").to_pylist()
        stages = pq.read_table(folder / "deal_pipeline_stages.parquet").to_pylist()
        lifecycle = pq.read_table(folder / "lifecycle_stages.parquet").to_pylist()
        tables: dict[str, ObjectTable] = {}
        for name in CRM_TYPES:
            tables[name] = _load_table(name, pq.read_table(folder / f"{name}.parquet").to_pydict())
        engagements = pq.read_table(folder / "engagements.parquet").to_pydict()
        for kind, name in ENGAGEMENT_TYPES.items():
            keep = [i for i, t in enumerate(engagements["type"]) if t == kind]
            columns = {k: [v[i] for i in keep] for k, v in engagements.items() if k != "type"}
            tables[name] = _load_table(name, columns)
        for name in EMPTY_TYPES:
            tables[name] = _load_table(name, {"id": [], **{f"properties__{p}": [] for p in
                                                           EMPTY_TYPE_PROPERTIES[name]}})
        _load_history(tables["contacts"], pq.read_table(folder / "contact_property_history.parquet").to_pydict(),
                      "contact_id")
        _load_history(tables["deals"], pq.read_table(folder / "deal_property_history.parquet").to_pydict(),
                      "deal_id")
        engagement_type = {i: ENGAGEMENT_TYPES[t] for i, t in zip(engagements["id"], engagements["type"], strict=True)}
        associations = _load_associations(pq.read_table(folder / "associations.parquet").to_pydict(), engagement_type)
        data = cls(tables, associations, owners, _pipeline(stages), lifecycle, as_of_ms)
        data._attach_options()
        for table in tables.values():
            table.index_all()
        return data

    def _attach_options(self) -> None:
        """Enumeration options: stages from the reference tables, owners by name, else the values held."""
        life = [{"label": s["label"], "value": s["id"], "displayOrder": s["display_order"], "hidden": False}
                for s in self.lifecycle_stages]
        deal_stages = [{"label": s["label"], "value": s["id"], "displayOrder": s["displayOrder"], "hidden": False}
                       for s in self.pipeline["stages"]]
        owners = [{"label": f"{o['first_name']} {o['last_name']}", "value": o["id"], "displayOrder": i,
                   "hidden": False} for i, o in enumerate(self.owners)]
        for table in self.tables.values():
            for prop in table.schema.values():
                if prop.name == "lifecyclestage":
                    prop.options = life
                elif prop.name == "dealstage":
                    prop.options = deal_stages
                elif prop.name == "hubspot_owner_id":
                    prop.options = owners
                elif prop.type == "bool":
                    prop.options = [{"label": label, "value": value, "displayOrder": i, "hidden": False}
                                    for i, (label, value) in enumerate([("True", "true"), ("False", "false")])]
                elif prop.type == "enumeration":
                    held = sorted({r.props[prop.name] for r in table.records.values() if prop.name in r.props})
                    prop.options = [{"label": v, "value": v, "displayOrder": i, "hidden": False}
                                    for i, v in enumerate(held)]


def _infer_type(name: str, values: list) -> str:
    if name in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[name]
    if name in ENUMERATIONS:
        return "enumeration"
    held = [v for v in values if v is not None]
    if not held:
        return "string"
    if all(v in ("true", "false") for v in held):
        return "bool"
    if all(_ISO_DATETIME.match(v) for v in held):
        return "datetime"
    if all(_ISO_DATE.match(v) for v in held):
        return "date"
    try:
        [float(v) for v in held]
    except ValueError:
        return "string"
    return "number"


def new_property(object_type: str, name: str, prop_type: str, derived: bool = False) -> PropertyDef:
    label = LABELS.get(name) or name.replace("hs_", "").replace("_", " ").capitalize()
    return PropertyDef(name, prop_type, label, GROUPS[object_type], derived=derived)


def _load_table(name: str, columns: dict[str, list]) -> ObjectTable:
    table = ObjectTable(name, {})
    derived = table.derived
    for prop in derived:
        table.schema[prop] = new_property(name, prop, "number" if prop == "hs_object_id" else "datetime", True)
    prop_columns = {k[len("properties__"):]: v for k, v in columns.items() if k.startswith("properties__")}
    for prop, values in prop_columns.items():
        if prop not in derived:
            table.schema[prop] = new_property(name, prop, _infer_type(prop, values))
    stored = [(p, v) for p, v in prop_columns.items() if p not in derived]
    n = len(columns["id"])
    archived_at = columns.get("archived_at") or [None] * n
    for i in range(n):
        props = {p: values[i] for p, values in stored if values[i] is not None}
        record = Record(columns["id"][i], columns["created_at"][i], columns["updated_at"][i], props)
        if columns["archived"][i]:
            record.archived_at = archived_at[i] or record.updated_at
        table.records[record.id] = record
    return table


def _load_history(table: ObjectTable, columns: dict[str, list], id_column: str) -> None:
    for record_id, prop, value, stamp, source in zip(columns[id_column], columns["property"], columns["value"],
                                                     columns["timestamp"], columns["source_type"], strict=True):
        table.history.setdefault(record_id, {}).setdefault(prop, []).append((value, stamp, source))


def _load_associations(columns: dict[str, list], engagement_type: dict[str, str]) -> Associations:
    plural = {"contact": "contacts", "company": "companies", "deal": "deals"}
    associations = Associations()
    for from_type, from_id, to_type, to_id in zip(columns["from_object_type"], columns["from_id"],
                                                  columns["to_object_type"], columns["to_id"], strict=True):
        source = engagement_type[from_id] if from_type == "engagement" else plural[from_type]
        target = plural[to_type]
        # A contact's or deal's first company is its primary one (the world gives each at most one).
        primary = target == "companies" and not associations.targets(source, from_id, target)
        associations.add(source, from_id, target, to_id, primary)
    return associations


def _pipeline(stages: list[dict]) -> dict:
    return {
        "id": stages[0]["pipeline_id"] if stages else "default",
        "label": stages[0]["pipeline_label"] if stages else "Sales Pipeline",
        "displayOrder": 0,
        "stages": [{"id": s["id"], "label": s["label"], "displayOrder": s["display_order"],
                    "metadata": {"probability": s["metadata__probability"], "isClosed": s["metadata__is_closed"]}}
                   for s in stages],
    }
