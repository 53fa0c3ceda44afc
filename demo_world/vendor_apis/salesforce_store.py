"""The data behind the local Salesforce API: SObject tables loaded from a world, and the SOQL subset.

Each table keeps one numpy object array of plain Python values per field plus an Id index, so a
query filters with vectorized comparisons and a page is serialized by slicing, at scale 1 too
(about 50k people and 160k activities). Tables load lazily: a test that only reads leads never
pays for tasks.

SOQL subset: SELECT f1, f2 | COUNT() FROM Obj [WHERE cond AND cond ...] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n], where a condition compares a field with a literal of
the field's type (datetime `2025-01-01T00:00:00Z`, date `2025-01-01`, 'quoted string', number,
true/false, null) with = != <> < <= > >=, or is `field IN ('a', 'b')`. Errors carry Salesforce's
error codes (MALFORMED_QUERY, INVALID_TYPE, INVALID_FIELD).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from demo_world.render.salesforce import KEY_PREFIXES, PROBABILITY, REFERENCES, SCHEMA, STAGES, sf_ids

TEXT_TYPES = {"id", "reference", "string", "picklist", "email", "url", "textarea", "anyType", "phone"}
NUMBER_TYPES = {"int", "double", "currency", "percent"}
SYSTEM_FIELDS = {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"}
READ_ONLY = SYSTEM_FIELDS | {"MasterRecordId", "IsConverted", "ConvertedDate", "ConvertedAccountId",
                             "ConvertedContactId", "ConvertedOpportunityId", "IsClosed", "IsWon", "Name"}
REQUIRED = {"LastName", "Company", "StageName", "CloseDate", "Status", "Username", "Email"}
HISTORY_OBJECTS = {"LeadHistory", "ContactHistory", "OpportunityHistory"}
TRACKED_FIELDS = {"Lead": ("Lifecycle_Stage__c", "Status", "Disposition__c"), "Contact": ("Lifecycle_Stage__c",)}
MERGEABLE = {"Lead", "Contact", "Account"}
_CLOSED = {name: (name.startswith("Closed"), name == "Closed Won") for name, *_ in STAGES}


class SoqlError(Exception):
    """A query Salesforce would refuse: HTTP 400 with [{"message", "errorCode"}]."""

    def __init__(self, error_code: str, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def sf_datetime(moment: dt.datetime) -> str:
    """A datetime as Salesforce returns it: 2025-01-01T10:00:00.000+0000 (UTC)."""
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


# ---------------------------------------------------------------------------------------------
# SOQL parsing
# ---------------------------------------------------------------------------------------------

@dataclass
class Condition:
    field: str
    op: str  # = != < <= > >= IN
    literal: object  # a _Literal, or a list of them for IN


@dataclass
class _Literal:
    kind: str  # string, datetime, date, number, boolean, null
    value: object


@dataclass
class Query:
    sobject: str
    fields: list[str]  # empty for COUNT()
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool, bool]] = field(default_factory=list)  # field, descending, nulls_first
    limit: int | None = None
    offset: int = 0


_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<sobject>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?(?:\s+OFFSET\s+(?P<offset>\d+))?\s*$", re.I | re.S)
_CONDITION = re.compile(r"^\s*(?P<field>\w+)\s*(?P<op>!=|<>|<=|>=|=|<|>|\bIN\b)\s*(?P<value>.+?)\s*$", re.I | re.S)
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})$", re.I)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_STRING = re.compile(r"^'((?:[^'\\]|\\.)*)'$", re.S)
_SPLIT_AND = re.compile(r"\s+AND\s+", re.I)


def parse_soql(text: str) -> Query:
    """The query's parts; names are checked later, against the object."""
    match = _QUERY.match(text or "")
    if not match:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token in query: {_excerpt(text)}")
    fields_text = match["fields"].strip()
    count = fields_text.replace(" ", "").upper() == "COUNT()"
    fields = [] if count else [f.strip() for f in fields_text.split(",")]
    if any(not re.fullmatch(r"\w+", f) for f in fields):
        bad = next(f for f in fields if not re.fullmatch(r"\w+", f))
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{bad}' (only plain field names are supported)")
    query = Query(sobject=match["sobject"], fields=fields, count=count)
    if match["where"]:
        query.conditions = [_condition(part) for part in _split_conditions(match["where"])]
    if match["order"]:
        query.order_by = [_order_item(item) for item in match["order"].split(",")]
    query.limit = int(match["limit"]) if match["limit"] else None
    query.offset = int(match["offset"]) if match["offset"] else 0
    return query


def _excerpt(text: str | None) -> str:
    return (text or "")[:80]


def _split_conditions(where: str) -> list[str]:
    """Split on AND outside quoted strings; OR, NOT, LIKE and parentheses are outside the subset."""
    masked = re.sub(r"'(?:[^'\\]|\\.)*'", lambda m: "\0" * len(m.group()), where)  # same length, no words
    no_lists = re.sub(r"\bIN\s*\([^()]*\)", "", masked, flags=re.I)
    if re.search(r"\bOR\b|\bNOT\b|\bLIKE\b|[()]", no_lists, re.I):
        raise SoqlError("MALFORMED_QUERY", f"unsupported condition in: {where.strip()} (use AND of comparisons)")
    parts, start = [], 0
    for m in _SPLIT_AND.finditer(masked):
        parts.append(where[start:m.start()])
        start = m.end()
    parts.append(where[start:])
    return parts


def _condition(text: str) -> Condition:
    match = _CONDITION.match(text)
    if not match:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: {text.strip()}")
    op = match["op"].upper()
    op = "!=" if op == "<>" else op
    if op == "IN":
        inner = re.fullmatch(r"\((.*)\)", match["value"].strip(), re.S)
        if not inner:
            raise SoqlError("MALFORMED_QUERY", f"expecting a list in parentheses after IN: {text.strip()}")
        items = re.findall(r"'(?:[^'\\]|\\.)*'|[^,\s]+", inner.group(1))
        return Condition(match["field"], op, [_literal(item) for item in items])
    return Condition(match["field"], op, _literal(match["value"]))


def _literal(token: str) -> _Literal:
    token = token.strip()
    if m := _STRING.match(token):
        return _Literal("string", re.sub(r"\\(.)", r"\1", m.group(1)))
    if token.lower() in ("true", "false"):
        return _Literal("boolean", token.lower() == "true")
    if token.lower() == "null":
        return _Literal("null", None)
    if m := _DATETIME.match(token):
        zone = m.group(4).upper()
        zone = "+00:00" if zone == "Z" else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
        moment = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{m.group(3) or ''}{zone}")
        return _Literal("datetime", sf_datetime(moment))
    if _DATE.match(token):
        return _Literal("date", token)
    if _NUMBER.match(token):
        return _Literal("number", float(token))
    raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{token}'")


def _order_item(text: str) -> tuple[str, bool, bool]:
    words = text.split()
    if not words or not re.fullmatch(r"\w+", words[0]):
        raise SoqlError("MALFORMED_QUERY", f"unexpected token in ORDER BY: {text.strip()}")
    rest = " ".join(words[1:]).upper()
    descending = rest.startswith("DESC")
    if rest not in ("", "ASC", "DESC", "ASC NULLS FIRST", "ASC NULLS LAST", "DESC NULLS FIRST", "DESC NULLS LAST"):
        raise SoqlError("MALFORMED_QUERY", f"unexpected token in ORDER BY: {text.strip()}")
    # Salesforce's defaults: ascending puts nulls first, descending puts them last.
    nulls_first = rest.endswith("NULLS FIRST") or (not descending and not rest.endswith("NULLS LAST"))
    return words[0], descending, nulls_first


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}


class SObjectTable:
    """One SObject's records: a column per field and an Id -> position index."""

    def __init__(self, name: str, types: dict[str, str], columns: dict[str, np.ndarray]):
        self.name = name
        self.types = dict(types)
        self.columns = columns
        self.index = {record_id: i for i, record_id in enumerate(columns["Id"])}
        self._by_lower = {f.lower(): f for f in self.types}

    def __len__(self) -> int:
        return len(self.columns["Id"])

    @classmethod
    def from_parquet(cls, name: str, path: Path) -> SObjectTable:
        table = pq.read_table(path)
        types = {f: SCHEMA.get(name, {}).get(f, "string") for f in table.column_names}
        columns = {}
        for f in table.column_names:
            col = table.column(f)
            if types[f] in TEXT_TYPES or types[f] in ("datetime", "date"):
                columns[f] = col.to_numpy(zero_copy_only=False).astype(object)  # str or None, C-speed
            else:
                columns[f] = np.array(col.to_pylist() + [None], dtype=object)[:-1]  # keeps ints int, nulls None
        return cls(name, types, columns)

    def field(self, name: str) -> str:
        """The field's API name (SOQL names are case-insensitive)."""
        canonical = self._by_lower.get(name.lower())
        if canonical is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{self.name}'. If you are "
                            "attempting to use a custom field, be sure to append the '__c' after the custom field "
                            "name. Please reference your WSDL or the describe call for the appropriate names.")
        return canonical

    def select(self, query: Query, include_deleted: bool) -> np.ndarray:
        """Positions of the matching records in result order."""
        n = len(self)
        mask = np.ones(n, dtype=bool)
        if not include_deleted:
            mask &= ~np.asarray(self.columns["IsDeleted"], dtype=bool)
        for cond in query.conditions:
            mask &= self._mask(cond)
        positions = np.flatnonzero(mask)
        if query.order_by:
            positions = self._ordered(positions, query.order_by)
        positions = positions[query.offset:]
        return positions if query.limit is None else positions[: query.limit]

    def _mask(self, cond: Condition) -> np.ndarray:
        name = self.field(cond.field)
        kind = self.types[name]
        col = self.columns[name]
        present = pd.notna(col)
        if cond.op == "IN":
            values = [self._value(name, kind, lit) for lit in cond.literal]
            if kind in TEXT_TYPES:
                wanted = {v.lower() for v in values if v is not None}
                return present & pd.Series(col).str.lower().isin(wanted).to_numpy()
            return present & pd.Series(col).isin([v for v in values if v is not None]).to_numpy()
        value = self._value(name, kind, cond.literal)
        if value is None:
            if cond.op not in ("=", "!="):
                raise SoqlError("INVALID_FIELD", f"invalid operator on null for field '{name}'")
            return ~present if cond.op == "=" else present
        out = np.zeros(len(col), dtype=bool)
        values = col[present]
        if kind in TEXT_TYPES and cond.op in ("=", "!="):
            # SOQL compares text case-insensitively.
            out[present] = pd.Series(values).str.lower().to_numpy() == value.lower()
            return out if cond.op == "=" else ~out
        out[present] = np.asarray(_COMPARE[cond.op](values, value), dtype=bool)
        if cond.op == "!=":
            out |= ~present  # SOQL's != keeps records where the field is null
        return out

    def _value(self, name: str, kind: str, lit: _Literal):
        if lit.kind == "null":
            return None
        expected = ("datetime" if kind == "datetime" else "date" if kind == "date" else "boolean"
                    if kind == "boolean" else "number" if kind in NUMBER_TYPES else "string")
        if lit.kind != expected:
            quoted = "be enclosed in quotes" if expected == "string" else "not be enclosed in quotes"
            label = {"datetime": "dateTime"}.get(expected, expected)
            raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{name}' must be of type "
                                             f"{label} and should {quoted}")
        if expected == "number" and kind == "int":
            return int(lit.value) if float(lit.value).is_integer() else lit.value
        return lit.value

    def _ordered(self, positions: np.ndarray, order_by) -> np.ndarray:
        keys, ascending = {}, []
        for i, (name, descending, nulls_first) in enumerate(order_by):
            name = self.field(name)
            values = pd.Series(self.columns[name][positions], dtype=object)
            if self.types[name] in TEXT_TYPES:
                values = values.str.lower()
            present = values.notna().to_numpy()
            # The null flag sorts first, in the direction that puts nulls where asked.
            keys[f"n{i}"] = present if nulls_first != descending else ~present
            keys[f"v{i}"] = values.to_numpy()
            ascending += [not descending, not descending]
        frame = pd.DataFrame(keys)
        order = frame.sort_values(list(keys), ascending=ascending, kind="stable", na_position="last").index
        return positions[order.to_numpy()]

    def records(self, positions: np.ndarray, fields: list[str], version: str) -> list[dict]:
        """Records as the REST API returns them, attributes first."""
        ids = self.columns["Id"][positions].tolist()
        values = [self.columns[f][positions].tolist() for f in fields]
        url = f"/services/data/v{version}/sobjects/{self.name}/"
        out = []
        for i, record_id in enumerate(ids):
            record = {"attributes": {"type": self.name, "url": url + record_id}}
            for f, column in zip(fields, values, strict=True):
                record[f] = column[i]
            out.append(record)
        return out

    def get(self, record_id: str, field_name: str):
        return self.columns[field_name][self.index[record_id]]

    def set(self, record_id: str, values: dict) -> None:
        pos = self.index[record_id]
        for name, value in values.items():
            self.columns[self.field(name)][pos] = value

    def append(self, values: dict) -> None:
        for name in self.types:
            self.columns[name] = np.append(self.columns[name], np.array([values.get(name)], dtype=object))
        self.index[values["Id"]] = len(self) - 1

    def add_field(self, name: str, kind: str, value) -> None:
        self.types[name] = kind
        self.columns[name] = np.full(len(self), value, dtype=object)
        self._by_lower[name.lower()] = name

    def remove_field(self, name: str) -> None:
        name = self.field(name)
        del self.types[name], self.columns[name], self._by_lower[name.lower()]


# ---------------------------------------------------------------------------------------------
# The org
# ---------------------------------------------------------------------------------------------

class SalesforceStore:
    """Every SObject of a Salesforce world, with the mutations tests make and the history they leave."""

    def __init__(self, folder: Path, seed: int):
        self.folder = Path(folder)
        self.seed = seed
        self.object_names = [name for name in SCHEMA if (self.folder / f"{name}.parquet").exists()]
        self._tables: dict[str, SObjectTable] = {}
        self._by_lower = {name.lower(): name for name in self.object_names}
        self._next_number: dict[str, int] = {}
        path = self.folder / "picklist_values.parquet"
        self.picklists = pq.read_table(path).to_pandas() if path.exists() else pd.DataFrame(
            columns=["sobject", "field", "value", "label", "is_active", "sort_order"])

    def table(self, name: str) -> SObjectTable:
        canonical = self._by_lower.get(name.lower())
        if canonical is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{name}' is not supported. If you are attempting to "
                            "use a custom object, be sure to append the '__c' after the entity name. Please "
                            "reference your WSDL or the describe call for the appropriate names.")
        if canonical not in self._tables:
            self._tables[canonical] = SObjectTable.from_parquet(canonical, self.folder / f"{canonical}.parquet")
        return self._tables[canonical]

    def run(self, soql: str, include_deleted: bool) -> tuple[SObjectTable, Query, np.ndarray]:
        query = parse_soql(soql)
        table = self.table(query.sobject)
        query.fields = [table.field(f) for f in query.fields]
        return table, query, table.select(query, include_deleted)

    def describe(self, name: str) -> dict:
        table = self.table(name)
        lists = self.picklists[self.picklists["sobject"] == table.name]
        fields = []
        for f, kind in table.types.items():
            values = []
            if kind == "picklist":
                own = lists[lists["field"] == f].sort_values("sort_order")
                if len(own):
                    values = [{"value": v, "label": label, "active": bool(active), "defaultValue": False}
                              for v, label, active in own[["value", "label", "is_active"]].itertuples(index=False)]
                else:  # picklists the org never exported: the values in use
                    used = sorted({v for v in table.columns[f] if v is not None})
                    values = [{"value": v, "label": v, "active": True, "defaultValue": False} for v in used]
            fields.append({
                "name": f, "type": kind, "label": _label(f), "custom": f.endswith("__c"),
                "nillable": kind not in ("id", "boolean") and f not in SYSTEM_FIELDS and f not in REQUIRED,
                "updateable": table.name not in HISTORY_OBJECTS and f not in READ_ONLY,
                "createable": table.name not in HISTORY_OBJECTS and f not in READ_ONLY,
                "referenceTo": ([table.name] if f == "MasterRecordId" else REFERENCES.get(f, []))
                if kind == "reference" else [],
                "picklistValues": values,
            })
        return {"name": table.name, "label": _label(table.name), "keyPrefix": KEY_PREFIXES[table.name],
                "queryable": True, "retrieveable": True, "replicateable": True, "custom": False,
                "createable": table.name not in HISTORY_OBJECTS, "updateable": table.name not in HISTORY_OBJECTS,
                "deletable": table.name not in HISTORY_OBJECTS, "mergeable": table.name in MERGEABLE,
                "fields": fields}

    # --- mutations -------------------------------------------------------------------------

    def new_id(self, sobject: str) -> str:
        table = self.table(sobject)
        number = self._next_number.get(sobject, len(table))
        while True:
            candidate = sf_ids(sobject, [number], self.seed)[0]
            number += 1
            if candidate not in table.index:
                self._next_number[sobject] = number
                return candidate

    def create(self, sobject: str, values: dict, stamp: str) -> str:
        table = self.table(sobject)
        record = {table.field(k): v for k, v in values.items()}
        record_id = self.new_id(table.name)
        record.update({"Id": record_id, "IsDeleted": False, "CreatedDate": stamp, "LastModifiedDate": stamp,
                       "SystemModstamp": stamp})
        if table.name == "Opportunity" and "StageName" in record:
            record.update(self._stage_effects(record["StageName"], record))
        table.append(record)
        if table.name in TRACKED_FIELDS:
            self._log_history(table.name, record_id, "created", None, None, stamp)
        if table.name == "Opportunity":
            self._log_stage(table, record_id, stamp)
        return record_id

    def update(self, sobject: str, record_id: str, values: dict, stamp: str) -> None:
        table = self.table(sobject)
        self._require(table, record_id)
        values = {table.field(k): v for k, v in values.items()}
        before = {f: table.get(record_id, f) for f in values}
        if table.name == "Opportunity" and "StageName" in values:
            values.update(self._stage_effects(values["StageName"], values))
        table.set(record_id, {**values, "LastModifiedDate": stamp, "SystemModstamp": stamp})
        for f in TRACKED_FIELDS.get(table.name, ()):
            if f in values and values[f] != before[f]:
                self._log_history(table.name, record_id, f, before[f], values[f], stamp)
        if table.name == "Opportunity" and "StageName" in values and values["StageName"] != before["StageName"]:
            self._log_stage(table, record_id, stamp)

    def delete(self, sobject: str, record_id: str, stamp: str) -> None:
        table = self.table(sobject)
        self._require(table, record_id)
        table.set(record_id, {"IsDeleted": True, "LastModifiedDate": stamp, "SystemModstamp": stamp})

    def merge(self, sobject: str, master_id: str, merged_id: str, stamp: str) -> None:
        table = self.table(sobject)
        if table.name not in MERGEABLE:
            raise ValueError(f"Salesforce merges only {', '.join(sorted(MERGEABLE))}, not {table.name}")
        if master_id == merged_id:
            raise ValueError("a record cannot be merged into itself")
        for record_id in (master_id, merged_id):
            self._require(table, record_id)
            if table.get(record_id, "IsDeleted"):
                raise ValueError(f"{record_id} is deleted")
        table.set(master_id, {"LastModifiedDate": stamp, "SystemModstamp": stamp})
        table.set(merged_id, {"IsDeleted": True, "MasterRecordId": master_id, "LastModifiedDate": stamp,
                              "SystemModstamp": stamp})

    @staticmethod
    def _require(table: SObjectTable, record_id: str) -> None:
        if record_id not in table.index:
            raise KeyError(f"no {table.name} with Id {record_id}")

    @staticmethod
    def _stage_effects(stage: str, values: dict) -> dict:
        """Salesforce derives probability and the closed/won flags from the stage."""
        closed, won = _CLOSED.get(stage, (False, False))
        effects = {"IsClosed": closed, "IsWon": won}
        if "Probability" not in values:
            effects["Probability"] = float(PROBABILITY.get(stage, 0))
        return effects

    def _log_history(self, sobject: str, record_id: str, field_name: str, old, new, stamp: str) -> None:
        history = f"{sobject}History"
        if history not in self.object_names:
            return
        parent = "LeadId" if sobject == "Lead" else "ContactId"
        self.table(history).append({
            "Id": self.new_id(history), "IsDeleted": False, parent: record_id, "Field": field_name,
            "DataType": "Text" if field_name == "created" else "Picklist", "OldValue": old, "NewValue": new,
            "CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp})

    def _log_stage(self, opps: SObjectTable, record_id: str, stamp: str) -> None:
        if "OpportunityHistory" not in self.object_names:
            return
        amount, probability = opps.get(record_id, "Amount"), opps.get(record_id, "Probability")
        expected = None if amount is None or probability is None else round(amount * probability / 100, 2)
        self.table("OpportunityHistory").append({
            "Id": self.new_id("OpportunityHistory"), "IsDeleted": False, "OpportunityId": record_id,
            "StageName": opps.get(record_id, "StageName"), "Amount": amount, "ExpectedRevenue": expected,
            "Probability": probability, "CloseDate": opps.get(record_id, "CloseDate"),
            "CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp})


def field_type_of(value) -> str:
    """The Salesforce type a field added for schema drift gets, from its value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def _label(name: str) -> str:
    """A field label from its API name: Lifecycle_Stage__c -> Lifecycle Stage, FirstName -> First Name."""
    base = name[:-3] if name.endswith("__c") else name
    base = base.replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", base).strip()
