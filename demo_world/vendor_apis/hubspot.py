"""A local HubSpot CRM API (v3 objects, search and batch read; v4 associations) serving a demo world.

`HubSpotApi.from_world(world_dir, access_token)` loads the world's hubspot/ files (see
hubspot_data.py); `LocalApiServer(api)` serves it. Replies follow HubSpot's shapes: cursor paging
on lists, offset paging and the 10,000-result cap on search, 207 with `errors` on partial batch
reads, the `X-HubSpot-RateLimit-*` headers, and HubSpot's error bodies. Tests change the data
through the Python methods (create, update, archive, merge, schema drift); changes are stamped
with `api.now_ms`, a clock that starts at the world's as-of date and moves only by `advance()`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import random
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from demo_world.vendor_apis.base import Request, Response, VendorApi
from demo_world.vendor_apis.hubspot_data import (
    ACTIVITY_TYPES,
    ALIASES,
    TRACKED,
    CrmData,
    ObjectTable,
    PropertyDef,
    Record,
    iso_to_ms,
    ms_to_iso,
    new_property,
    to_instant,
)
from demo_world.world import read_manifest

# What a list or search returns without `properties`, and what it returns whatever was asked.
DEFAULT_PROPERTIES = {
    "contacts": ("email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id"),
    "companies": ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
    "deals": ("dealname", "amount", "closedate", "pipeline", "dealstage", "createdate", "hs_lastmodifieddate",
              "hs_object_id"),
}
ENGAGEMENT_DEFAULTS = ("hs_timestamp", "hs_createdate", "hs_lastmodifieddate", "hs_object_id")
ALWAYS = {"contacts": ("createdate", "lastmodifieddate", "hs_object_id"),
          "engagement": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
          "default": ("createdate", "hs_lastmodifieddate", "hs_object_id")}
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "calls": "call",
            "meetings": "meeting", "emails": "email", "notes": "note", "tasks": "task"}
# v3 association names (meetings are "meeting_event" there) and HubSpot's HUBSPOT_DEFINED type ids:
# (from, to) -> (v3 name, unlabeled type id, "Primary" type id or None).
ASSOCIATION_TYPES = {
    ("contacts", "companies"): ("contact_to_company", 279, 1),
    ("companies", "contacts"): ("company_to_contact", 280, 2),
    ("deals", "companies"): ("deal_to_company", 341, 5),
    ("companies", "deals"): ("company_to_deal", 342, 6),
    ("deals", "contacts"): ("deal_to_contact", 3, None),
    ("contacts", "deals"): ("contact_to_deal", 4, None),
    ("calls", "contacts"): ("call_to_contact", 194, None),
    ("contacts", "calls"): ("contact_to_call", 193, None),
    ("calls", "deals"): ("call_to_deal", 206, None),
    ("deals", "calls"): ("deal_to_call", 205, None),
    ("emails", "contacts"): ("email_to_contact", 198, None),
    ("contacts", "emails"): ("contact_to_email", 197, None),
    ("emails", "deals"): ("email_to_deal", 210, None),
    ("deals", "emails"): ("deal_to_email", 209, None),
    ("meetings", "contacts"): ("meeting_event_to_contact", 200, None),
    ("contacts", "meetings"): ("contact_to_meeting_event", 199, None),
    ("meetings", "deals"): ("meeting_event_to_deal", 212, None),
    ("deals", "meetings"): ("deal_to_meeting_event", 211, None),
}
FREE_TEXT = {"contacts": ("email", "firstname", "lastname", "company"), "companies": ("name", "domain"),
             "deals": ("dealname",)}
LINK_PARAMS = ("limit", "properties", "propertiesWithHistory", "associations", "archived")
AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
                "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
SEARCH_OPERATORS = {"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                    "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR", **extra):
        super().__init__(message)
        self.status, self.message, self.category, self.extra = status, message, category, extra


class HubSpotApi(VendorApi):
    SEARCH_RESULT_CAP = 10_000  # HubSpot will not page a search past this many results
    SEARCH_MAX_LIMIT = 200
    LIST_MAX_LIMIT = 100
    HISTORY_MAX_LIMIT = 50  # lists asking for propertiesWithHistory page by 50 at most
    BATCH_READ_MAX = 100
    ASSOCIATIONS_BATCH_MAX = 1000
    ASSOCIATIONS_PAGE = 500  # associated ids per input before `paging`
    RATE_LIMIT_MAX = 100  # requests per interval: HubSpot's private-app burst limit
    RATE_LIMIT_INTERVAL_MS = 10_000
    DAILY_LIMIT = 500_000
    SEARCH_CACHE_SIZE = 32

    def __init__(self, data: CrmData, access_token: str, seed: int = 0):
        super().__init__(seed)
        self.data = data
        self._access_token = access_token
        self.now_ms: int = data.as_of_ms
        self.requests_per_second: float | None = None
        self._rng = random.Random(seed)
        self._rate_lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._daily_count = 0
        # Search results (sorted ids) by query and table version: later pages of a search are slices.
        self._search_cache: OrderedDict[tuple, list[str]] = OrderedDict()
        obj = r"/crm/v3/objects/([\w-]+)"
        self._routes: list[tuple[str, re.Pattern, Callable[..., Response]]] = [
            ("GET", re.compile(obj), self._list_objects),
            ("POST", re.compile(obj + "/search"), self._search),
            ("POST", re.compile(obj + "/batch/read"), self._batch_read),
            ("GET", re.compile(obj + r"/(\d+)"), self._get_object),
            ("POST", re.compile(r"/crm/v4/associations/([\w-]+)/([\w-]+)/batch/read"), self._associations),
            ("GET", re.compile(r"/crm/v3/owners"), self._owners),
            ("GET", re.compile(r"/crm/v3/pipelines/deals"), self._pipelines),
            ("GET", re.compile(r"/crm/v3/pipelines/deals/([\w-]+)"), self._pipeline),
            ("GET", re.compile(r"/crm/v3/properties/([\w-]+)"), self._properties),
            ("GET", re.compile(r"/crm/v3/properties/([\w-]+)/(\w+)"), self._property),
        ]

    @classmethod
    def from_world(cls, world_dir: str | Path, access_token: str, seed: int = 0) -> HubSpotApi:
        as_of = iso_to_ms(read_manifest(world_dir)["as_of"])
        return cls(CrmData.load(world_dir, as_of), access_token, seed)

    # ----- clock -------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        self.now_ms += round(seconds * 1000)

    def _now(self) -> str:
        return ms_to_iso(self.now_ms)

    # ----- HTTP --------------------------------------------------------------------------------

    def respond(self, request: Request) -> tuple[Response, bytes]:
        """Counts the request, enforces `requests_per_second`, and puts the rate headers on every reply."""
        now = time.monotonic()
        with self._rate_lock:
            self._recent.append(now)
            while self._recent[0] <= now - self.RATE_LIMIT_INTERVAL_MS / 1000:
                self._recent.popleft()
            self._daily_count += 1
            last_second = 0
            for stamp in reversed(self._recent):
                if stamp <= now - 1:
                    break
                last_second += 1
            headers = {
                "X-HubSpot-RateLimit-Daily": str(self.DAILY_LIMIT),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.DAILY_LIMIT - self._daily_count)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.RATE_LIMIT_INTERVAL_MS),
                "X-HubSpot-RateLimit-Max": str(self.RATE_LIMIT_MAX),
                "X-HubSpot-RateLimit-Remaining": str(max(0, self.RATE_LIMIT_MAX - len(self._recent))),
            }
        if self.requests_per_second is not None and last_second > self.requests_per_second:
            response = Response(429, {"status": "error", "message": "You have reached your secondly limit.",
                                      "errorType": "RATE_LIMIT", "correlationId": self._correlation_id(),
                                      "policyName": "SECONDLY"}, {"Retry-After": "1"})
            payload = response.encoded()
        else:
            response, payload = super().respond(request)
        response.headers = {**headers, **response.headers}
        return response, payload

    def handle(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._error(ApiError(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION"))
        path = request.path.rstrip("/")
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                try:
                    return handler(request, *match.groups())
                except ApiError as exc:
                    return self._error(exc)
        return self._error(ApiError(404, f"No route for {request.method} {path}", "OBJECT_NOT_FOUND"))

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                   self._access_token.encode())

    def _correlation_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _error(self, exc: ApiError) -> Response:
        body = {"status": "error", "message": exc.message, "correlationId": self._correlation_id(),
                "category": exc.category, **exc.extra}
        return Response(exc.status, body)

    # ----- objects -----------------------------------------------------------------------------

    def _list_objects(self, request: Request, object_type: str) -> Response:
        table = self._table(object_type)
        with_history = _csv(request.query.get("propertiesWithHistory")) or []
        limit = _limit(request.param("limit"), 10, self.HISTORY_MAX_LIMIT if with_history else self.LIST_MAX_LIMIT,
                       cap=True)
        records, following = table.page(_flag(request.param("archived")), _decode_cursor(request.param("after")),
                                        limit)
        properties = self._selected(table, _csv(request.query.get("properties")))
        associations = _csv(request.query.get("associations")) or []
        body: dict = {"results": [self._object_json(table, r, properties, with_history, associations)
                                  for r in records]}
        if following is not None:
            after = _encode_cursor(following)
            body["paging"] = {"next": {"after": after, "link": self._link(request, after)}}
        return Response(200, body)

    def _get_object(self, request: Request, object_type: str, object_id: str) -> Response:
        table = self._table(object_type)
        record = self._find(table, object_id, _flag(request.param("archived")))
        if record is None:
            raise ApiError(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                           context={"id": [object_id]})
        properties = self._selected(table, _csv(request.query.get("properties")))
        return Response(200, self._object_json(table, record, properties,
                                               _csv(request.query.get("propertiesWithHistory")) or [],
                                               _csv(request.query.get("associations")) or []))

    def _batch_read(self, request: Request, object_type: str) -> Response:
        table = self._table(object_type)
        body = _body(request)
        inputs = body.get("inputs") or []
        if len(inputs) > self.BATCH_READ_MAX:
            raise ApiError(400, f"Batch input cannot exceed {self.BATCH_READ_MAX} inputs, got {len(inputs)}")
        if body.get("idProperty") not in (None, "hs_object_id"):
            raise ApiError(400, "idProperty is not supported by the local API; read by hs_object_id")
        started = self._now()
        properties = self._selected(table, body.get("properties") or None)
        with_history = body.get("propertiesWithHistory") or []
        archived = bool(body.get("archived", False))
        results, missing = [], []
        for object_id in dict.fromkeys(str(i.get("id")) for i in inputs):
            record = self._find(table, object_id, archived)
            if record is None:
                missing.append(object_id)
            else:
                results.append(self._object_json(table, record, properties, with_history, []))
        reply: dict = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self._now()}
        if not missing:
            return Response(200, reply)
        kind = SINGULAR[table.name].upper()
        reply.update(numErrors=1, errors=[{
            "status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing},
            "message": f"Could not get some {kind} objects, they may be deleted or not exist. "
                       "Check that ids are valid.",
        }])
        return Response(207, reply)

    def _find(self, table: ObjectTable, object_id: str, archived: bool) -> Record | None:
        record = table.records.get(object_id)
        if record is None or record.merged_into or (record.archived_at is not None) != archived:
            return None
        return record

    def _selected(self, table: ObjectTable, requested: list[str] | None) -> list[str]:
        """Property names to return: the defaults, or what was asked plus what HubSpot always adds."""
        if requested is None:
            names = DEFAULT_PROPERTIES.get(table.name, ENGAGEMENT_DEFAULTS)
        else:
            names = [*requested, *ALWAYS[_kind(table.name)]]
        return [n for n in dict.fromkeys(names) if n in table.schema]

    def _object_json(self, table: ObjectTable, record: Record, properties: list[str], with_history: list[str],
                     associations: list[str]) -> dict:
        out: dict = {"id": record.id, "properties": {p: table.value(record, p) for p in properties},
                     "createdAt": record.created_at, "updatedAt": record.updated_at,
                     "archived": record.archived_at is not None}
        if record.archived_at is not None:
            out["archivedAt"] = record.archived_at
        if with_history:
            out["propertiesWithHistory"] = {
                p: [{"value": v, "timestamp": t, "sourceType": s} for v, t, s in reversed(table.history_of(record, p))]
                for p in with_history if p in table.schema}
        linked = {}
        for name in associations:
            to_type = ALIASES.get(name)
            results = self._v3_associations(table.name, record.id, to_type) if to_type else []
            if results:
                linked[to_type] = {"results": results}
        if linked:
            out["associations"] = linked
        return out

    def _live_targets(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, bool]]:
        """Associated live objects of a type, by id, with whether each link is the primary one."""
        to_table = self.data.tables[to_type]
        targets = self.data.associations.targets(from_type, from_id, to_type)
        return sorted(((i, p) for i, p in targets.items() if to_table.records[i].live), key=lambda t: int(t[0]))

    def _v3_associations(self, from_type: str, from_id: str, to_type: str) -> list[dict]:
        spec = ASSOCIATION_TYPES.get((from_type, to_type))
        if spec is None:
            return []
        name, _, primary_type = spec
        results = []
        for to_id, primary in self._live_targets(from_type, from_id, to_type):
            if primary_type is None:
                results.append({"id": to_id, "type": name})
            else:  # as HubSpot does: a primary link is listed twice, labeled and unlabeled
                if primary:
                    results.append({"id": to_id, "type": name})
                results.append({"id": to_id, "type": f"{name}_unlabeled"})
        return results

    # ----- search ------------------------------------------------------------------------------

    def _search(self, request: Request, object_type: str) -> Response:
        table = self._table(object_type)
        body = _body(request)
        limit = _limit(body.get("limit"), 10, self.SEARCH_MAX_LIMIT)
        offset = _offset(body.get("after"))
        if offset + limit > self.SEARCH_RESULT_CAP:
            raise ApiError(400, f"Search results are limited to {self.SEARCH_RESULT_CAP}: 'after' ({offset}) plus "
                                f"'limit' ({limit}) goes past that. Narrow the search, e.g. by a date range.")
        ids = self._search_ids(table, body)
        properties = self._selected(table, body.get("properties") or None)
        reply: dict = {"total": len(ids), "results": [self._object_json(table, table.records[i], properties, [], [])
                                                      for i in ids[offset:offset + limit]]}
        if offset + limit < len(ids):
            reply["paging"] = {"next": {"after": str(offset + limit)}}
        return Response(200, reply)

    def _search_ids(self, table: ObjectTable, body: dict) -> list[str]:
        groups = body.get("filterGroups") or []
        sorts = body.get("sorts") or []
        query = body.get("query")
        key = (table.name, table.version, json.dumps([groups, sorts, query], sort_keys=True, default=str))
        if key in self._search_cache:
            self._search_cache.move_to_end(key)
            return self._search_cache[key]
        if len(groups) > 5 or sum(len(g.get("filters") or []) for g in groups) > 25:
            raise ApiError(400, "A search may have up to 5 filterGroups and 25 filters in all")
        compiled = [[_compile_filter(table, f) for f in g.get("filters") or []] for g in groups]
        records = [table.records[str(i)] for i in table.ids(archived=False)]
        if compiled:
            records = [r for r in records if any(all(f(r) for f in group) for group in compiled)]
        if query:
            needle = str(query).casefold()
            fields = FREE_TEXT.get(table.name, ())
            records = [r for r in records if any(needle in (r.props.get(f) or "").casefold() for f in fields)
                       or needle == r.id]
        for sort in reversed(sorts):  # stable sorts, last key first
            name, descending = (sort, False) if isinstance(sort, str) else (
                sort.get("propertyName"), str(sort.get("direction", "ASCENDING")).upper().startswith("DESC"))
            records = _sorted(table, records, name, descending)
        ids = [r.id for r in records]
        self._search_cache[key] = ids
        if len(self._search_cache) > self.SEARCH_CACHE_SIZE:
            self._search_cache.popitem(last=False)
        return ids

    # ----- associations, owners, pipelines, properties ----------------------------------------

    def _associations(self, request: Request, from_name: str, to_name: str) -> Response:
        from_type, to_type = self._table(from_name).name, self._table(to_name).name
        inputs = _body(request).get("inputs") or []
        if len(inputs) > self.ASSOCIATIONS_BATCH_MAX:
            raise ApiError(400, f"Batch input cannot exceed {self.ASSOCIATIONS_BATCH_MAX} inputs, got {len(inputs)}")
        started = self._now()
        spec = ASSOCIATION_TYPES.get((from_type, to_type))
        results, errors = [], []
        for item in inputs:
            from_id = str(item.get("id"))
            record = self.data.tables[from_type].records.get(from_id)
            targets = self._live_targets(from_type, from_id, to_type) if record and record.live and spec else []
            if not targets:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                               "context": {"fromObjectId": [from_id]},
                               "message": f"No {SINGULAR[to_type]} is associated with "
                                          f"{SINGULAR[from_type]} {from_id}."})
                continue
            offset = _offset(item.get("after"))
            chunk = targets[offset:offset + self.ASSOCIATIONS_PAGE]
            entry: dict = {"from": {"id": from_id}, "to": [
                {"toObjectId": int(to_id), "associationTypes": _v4_types(spec, primary)} for to_id, primary in chunk]}
            if offset + self.ASSOCIATIONS_PAGE < len(targets):
                entry["paging"] = {"next": {"after": str(offset + self.ASSOCIATIONS_PAGE), "link": None}}
            results.append(entry)
        reply: dict = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self._now()}
        if errors:
            reply.update(numErrors=len(errors), errors=errors)
        return Response(207 if errors else 200, reply)

    def _owners(self, request: Request) -> Response:
        limit = _limit(request.param("limit"), 100, 500, cap=True)
        start = _decode_cursor(request.param("after"))
        owners = [] if _flag(request.param("archived")) else self.data.owners
        if request.param("email"):
            owners = [o for o in owners if o["email"].casefold() == request.param("email").casefold()]
        teams = {name: str(1000 + i) for i, name in enumerate(sorted({o["teams__name"] for o in self.data.owners}))}
        results = [{
            "id": o["id"], "email": o["email"], "type": "PERSON", "firstName": o["first_name"],
            "lastName": o["last_name"], "userId": 50_000_000 + int(o["id"]),
            "userIdIncludingInactive": 50_000_000 + int(o["id"]), "createdAt": o["created_at"],
            "updatedAt": o["updated_at"], "archived": False,
            "teams": [{"id": teams[o["teams__name"]], "name": o["teams__name"], "primary": True}],
        } for o in owners[start:start + limit]]
        body: dict = {"results": results}
        if start + limit < len(owners):
            after = _encode_cursor(start + limit)
            body["paging"] = {"next": {"after": after, "link": self._link(request, after)}}
        return Response(200, body)

    def _pipeline_json(self) -> dict:
        stamp = self.data.owners[0]["created_at"] if self.data.owners else ms_to_iso(self.data.as_of_ms)
        pipeline = self.data.pipeline
        stages = [{**s, "createdAt": stamp, "updatedAt": stamp, "archived": False,
                   "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"} for s in pipeline["stages"]]
        return {"id": pipeline["id"], "label": pipeline["label"], "displayOrder": pipeline["displayOrder"],
                "stages": stages, "createdAt": stamp, "updatedAt": stamp, "archived": False}

    def _pipelines(self, request: Request) -> Response:
        return Response(200, {"results": [self._pipeline_json()]})

    def _pipeline(self, request: Request, pipeline_id: str) -> Response:
        if pipeline_id != self.data.pipeline["id"]:
            raise ApiError(404, f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND")
        return Response(200, self._pipeline_json())

    def _properties(self, request: Request, object_type: str) -> Response:
        table = self._table(object_type)
        return Response(200, {"results": [self._property_json(p) for p in table.schema.values()]})

    def _property(self, request: Request, object_type: str, name: str) -> Response:
        prop = self._table(object_type).schema.get(name)
        if prop is None:
            raise ApiError(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
        return Response(200, self._property_json(prop))

    def _property_json(self, prop: PropertyDef) -> dict:
        stamp = ms_to_iso(self.data.as_of_ms)
        return {**prop.as_json(), "createdAt": stamp, "updatedAt": stamp}

    # ----- helpers -----------------------------------------------------------------------------

    def _table(self, name: str) -> ObjectTable:
        canonical = ALIASES.get(name)
        if canonical is None:
            raise ApiError(404, f"Unable to infer object type from: {name}", "OBJECT_NOT_FOUND")
        return self.data.tables[canonical]

    def _link(self, request: Request, after: str) -> str:
        # Rebuilt from the paging parameters only, so nothing else the caller sent is echoed.
        params = [(k, v) for k in LINK_PARAMS for v in request.query.get(k, [])] + [("after", after)]
        return f"http://{request.headers.get('host', '127.0.0.1')}{request.path}?{urlencode(params)}"

    # ----- Python-side changes, for tests and the demo -----------------------------------------

    def create_object(self, object_type: str, properties: dict | None = None) -> str:
        """Adds a live object stamped with the clock; returns its id (the type's next id)."""
        with self._lock:
            table = self._py_table(object_type)
            siblings = ACTIVITY_TYPES if table.name in ACTIVITY_TYPES else (table.name,)
            new_id = str(max(self.data.tables[t].max_id for t in siblings) + 1)
            now = self._now()
            record = Record(new_id, now, now, {})
            self._set(table, record, properties or {}, now)
            table.add(record)
            return new_id

    def update_object(self, object_type: str, object_id: str, properties: dict,
                      source_type: str = "CRM_UI") -> None:
        """Sets properties (None clears one) and bumps updatedAt; tracked properties gain a history entry."""
        with self._lock:
            table, record = self._py_record(object_type, object_id)
            now = self._now()
            self._set(table, record, properties, now, source_type)
            record.updated_at = now
            table.version += 1

    def archive_object(self, object_type: str, object_id: str) -> None:
        """Deletes an object the HubSpot way: gone from lists and search, listed with archived=true."""
        with self._lock:
            table, record = self._py_record(object_type, object_id)
            record.archived_at = record.updated_at = self._now()
            table.drop_from_live(record)

    def merge_contacts(self, primary_id: str, merged_id: str) -> None:
        """Merges a contact into another: the merged one disappears, its id and links go to the primary."""
        with self._lock:
            table, primary = self._py_record("contacts", primary_id)
            _, merged = self._py_record("contacts", merged_id)
            if primary is merged:
                raise ValueError("cannot merge a contact into itself")
            ids = {merged.id, *_split_ids(primary.props.get("hs_merged_object_ids")),
                   *_split_ids(merged.props.get("hs_merged_object_ids"))}
            now = self._now()
            primary.props["hs_merged_object_ids"] = ";".join(sorted(ids, key=int))
            primary.set_at["hs_merged_object_ids"] = now
            primary.updated_at = now
            merged.merged_into = primary.id
            table.drop_from_live(merged)
            self.data.associations.move("contacts", merged.id, primary.id)

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Links two objects (unlabeled), e.g. a created deal to its company."""
        with self._lock:
            source, _ = self._py_record(from_type, from_id)
            target, _ = self._py_record(to_type, to_id)
            if (source.name, target.name) not in ASSOCIATION_TYPES:
                raise ValueError(f"no association type from {source.name} to {target.name}")
            self.data.associations.add(source.name, str(from_id), target.name, str(to_id))
            source.version += 1
            target.version += 1

    def add_property(self, object_type: str, name: str, value_for_all: object = None,
                     property_type: str = "string") -> None:
        """Schema drift: a new property, optionally set on every object (updatedAt is left alone)."""
        with self._lock:
            table = self._py_table(object_type)
            if name in table.schema:
                raise ValueError(f"{table.name} already has a property {name!r}")
            prop = table.schema[name] = new_property(table.name, name, property_type)
            if value_for_all is not None:
                value = _coerce(prop, value_for_all)
                for record in table.records.values():
                    record.props[name] = value
            table.version += 1

    def remove_property(self, object_type: str, name: str) -> None:
        """Schema drift: the property and its values are gone; asking for it gives no key, not an error."""
        with self._lock:
            table = self._py_table(object_type)
            prop = table.schema.get(name)
            if prop is None:
                raise KeyError(f"{table.name} has no property {name!r}")
            if prop.derived:
                raise ValueError(f"{name!r} is computed by HubSpot and cannot be removed")
            del table.schema[name]
            for record in table.records.values():
                record.props.pop(name, None)
                record.set_at.pop(name, None)
            for changes in table.history.values():
                changes.pop(name, None)
            table.version += 1

    def served_ids(self, object_type: str, archived: bool = False) -> set[str]:
        """Ids the API lists now (live ones, or archived ones with archived=True)."""
        with self._lock:
            return {str(i) for i in self._py_table(object_type).ids(archived)}

    def object_count(self, object_type: str, archived: bool = False) -> int:
        with self._lock:
            return len(self._py_table(object_type).ids(archived))

    def _py_table(self, object_type: str) -> ObjectTable:
        if object_type not in ALIASES:
            raise KeyError(f"unknown object type {object_type!r}")
        return self.data.tables[ALIASES[object_type]]

    def _py_record(self, object_type: str, object_id: str) -> tuple[ObjectTable, Record]:
        table = self._py_table(object_type)
        record = table.records.get(str(object_id))
        if record is None or not record.live:
            raise KeyError(f"no live {SINGULAR[table.name]} {object_id}")
        return table, record

    def _set(self, table: ObjectTable, record: Record, properties: dict, now: str,
             source_type: str = "CRM_UI") -> None:
        for name, raw in properties.items():
            prop = table.schema.get(name)
            if prop is None:
                raise ValueError(f"{table.name} has no property {name!r} (add it with add_property)")
            if prop.derived:
                raise ValueError(f"{name!r} is computed by HubSpot and cannot be set")
            value = _coerce(prop, raw)
            if name in TRACKED:
                history = table.history.setdefault(record.id, {})
                if name not in history:  # keep the value it had before this first tracked change
                    history[name] = list(table.history_of(record, name))
                history[name].append((value, now, source_type))
            else:
                record.set_at[name] = now
            if value is None:
                record.props.pop(name, None)
            else:
                record.props[name] = value
            self._follow_up(table, record, name, value, now)

    def _follow_up(self, table: ObjectTable, record: Record, name: str, value: str | None, now: str) -> None:
        """Properties HubSpot keeps in step: stage entry dates, and a deal's closed flags."""
        entered = f"hs_v2_date_entered_{value}"
        if name == "lifecyclestage" and entered in table.schema:
            record.props[entered] = now
        if name == "dealstage" and table.name == "deals":
            stage = next((s for s in self.data.pipeline["stages"] if s["id"] == value), None)
            closed = stage is not None and stage["metadata"]["isClosed"] == "true"
            won = closed and float(stage["metadata"]["probability"]) >= 1.0
            for flag, on in (("hs_is_closed", closed), ("hs_is_closed_won", won)):
                if flag in table.schema:
                    record.props[flag] = "true" if on else "false"


# ----- request parsing ---------------------------------------------------------------------------


def _kind(object_type: str) -> str:
    if object_type == "contacts":
        return "contacts"
    return "engagement" if object_type in ACTIVITY_TYPES else "default"


def _csv(values: list[str] | None) -> list[str] | None:
    """A repeatable comma-separated parameter; None when it was not given."""
    names = [p.strip() for v in values or [] for p in v.split(",") if p.strip()]
    return names or None


def _flag(value: str | None) -> bool:
    return str(value).lower() == "true"


def _limit(value: object, default: int, maximum: int, cap: bool = False) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"limit must be an integer, got {value!r}") from None
    if limit < 1:
        raise ApiError(400, f"limit must be at least 1, got {limit}")
    if limit > maximum:
        if cap:  # list endpoints quietly serve their maximum
            return maximum
        raise ApiError(400, f"limit must be at most {maximum}, got {limit}")
    return limit


def _offset(value: object) -> int:
    if value is None or value == "":
        return 0
    try:
        offset = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"'after' must be the offset from the previous page, got {value!r}") from None
    if offset < 0:
        raise ApiError(400, f"'after' must not be negative, got {offset}")
    return offset


def _encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def _decode_cursor(value: str | None) -> int:
    if not value:
        return 0
    try:
        return int(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiError(400, f"Invalid 'after' cursor {value!r}; pass the one the previous page gave") from None


def _body(request: Request) -> dict:
    try:
        body = request.json()
    except ValueError:
        raise ApiError(400, "Invalid input JSON: the request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid input JSON: the request body must be a JSON object")
    return body


def _split_ids(value: str | None) -> list[str]:
    return [i for i in (value or "").split(";") if i]


def _v4_types(spec: tuple, primary: bool) -> list[dict]:
    _, unlabeled, primary_type = spec
    types = [{"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None}]
    if primary and primary_type is not None:
        types.insert(0, {"category": "HUBSPOT_DEFINED", "typeId": primary_type, "label": "Primary"})
    return types


# ----- values: coercion, filters, sorting --------------------------------------------------------


def _coerce(prop: PropertyDef, value: object) -> str | None:
    """A value as HubSpot stores it: a string, dates in the canonical ISO form."""
    if value is None:
        return None
    if prop.type == "datetime":
        return to_instant(value)
    if prop.type == "date":
        return value if isinstance(value, str) and len(value) == 10 else to_instant(value)[:10]
    text = str(value).lower() if prop.type == "bool" else str(value)
    if prop.type == "bool" and text not in ("true", "false"):
        raise ValueError(f"{value!r} is not a valid bool for {prop.name!r}")
    if prop.type == "number":
        try:
            float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid number for {prop.name!r}") from None
    return text


def _comparable(prop: PropertyDef) -> Callable[[object], object]:
    """Turns a stored value, or a filter's value, into something that compares as HubSpot compares."""
    if prop.type == "number":
        return lambda v: float(v)  # type: ignore[arg-type]
    if prop.type == "datetime":
        return lambda v: v if isinstance(v, str) and len(v) == 24 and v.endswith("Z") else to_instant(v)
    if prop.type == "date":
        return lambda v: v if isinstance(v, str) and len(v) == 10 else to_instant(v)[:10]
    return lambda v: str(v).casefold()


def _compile_filter(table: ObjectTable, spec: dict) -> Callable[[Record], bool]:
    name = spec.get("propertyName")
    operator = str(spec.get("operator", "EQ")).upper()
    prop = table.schema.get(name)  # type: ignore[arg-type]
    if prop is None:
        raise ApiError(400, f"Property \"{name}\" does not exist on {table.name}", "VALIDATION_ERROR")
    if operator not in SEARCH_OPERATORS:
        raise ApiError(400, f"Unsupported filter operator {operator!r}")
    value_of = table.value
    comparable = _comparable(prop)

    def stored(record: Record):
        raw = value_of(record, name)
        if raw is None:
            return None
        try:
            return comparable(raw)
        except (TypeError, ValueError):
            return None

    if operator == "HAS_PROPERTY":
        return lambda r: value_of(r, name) is not None
    if operator == "NOT_HAS_PROPERTY":
        return lambda r: value_of(r, name) is None
    try:
        if operator in ("IN", "NOT_IN"):
            wanted = {comparable(v) for v in spec.get("values") or []}
            if operator == "IN":
                return lambda r: stored(r) in wanted
            return lambda r: stored(r) not in wanted
        if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            token = str(spec.get("value", "")).strip("*").casefold()
            hit = lambda r: token in str(value_of(r, name) or "").casefold()
            return hit if operator == "CONTAINS_TOKEN" else (lambda r: not hit(r))
        target = comparable(spec.get("value"))
        high = comparable(spec.get("highValue")) if operator == "BETWEEN" else None
    except (TypeError, ValueError):
        raise ApiError(400, f"Filter value for {name!r} is not a valid {prop.type}") from None
    tests: dict[str, Callable[[object], bool]] = {
        "EQ": lambda v: v == target, "NEQ": lambda v: v != target, "GT": lambda v: v > target,
        "GTE": lambda v: v >= target, "LT": lambda v: v < target, "LTE": lambda v: v <= target,
        "BETWEEN": lambda v: target <= v <= high,
    }
    test = tests[operator]
    if operator == "NEQ":  # an object without the property is not equal to anything
        return lambda r: (v := stored(r)) is None or test(v)
    return lambda r: (v := stored(r)) is not None and test(v)


def _sorted(table: ObjectTable, records: list[Record], name: str | None, descending: bool) -> list[Record]:
    prop = table.schema.get(name)  # type: ignore[arg-type]
    if prop is None:
        raise ApiError(400, f"Cannot sort on \"{name}\": no such property on {table.name}")
    comparable = _comparable(prop)
    keyed, missing = [], []
    for record in records:
        raw = table.value(record, name)  # type: ignore[arg-type]
        try:
            keyed.append((comparable(raw), record)) if raw is not None else missing.append(record)
        except (TypeError, ValueError):
            missing.append(record)
    keyed.sort(key=lambda pair: pair[0], reverse=descending)  # stable: ties stay in id order
    return [r for _, r in keyed] + missing  # objects without the property come last
