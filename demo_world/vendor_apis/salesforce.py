"""A local Salesforce REST API (v59.0) serving a demo world generated with crm="salesforce".

What a connector meets in a real org, on 127.0.0.1:
- OAuth 2.0 token endpoint (client credentials or username-password flow) and Bearer tokens;
- SOQL through /query and /queryAll (queryAll also returns deleted and merged-away records), pages
  of 2000 (or the `Sforce-Query-Options: batchSize=N` asked for) chained by nextRecordsUrl;
- /sobjects and /sobjects/<Obj>/describe for discovering objects and fields (schema drift shows);
- error bodies `[{"message", "errorCode"}]`, the `Sforce-Limit-Info: api-usage=N/15000` header on every
  reply, an optional requests-per-second limit answering 403 REQUEST_LIMIT_EXCEEDED, and the faults
  of `VendorApi` (429 with Retry-After, 5xx, truncated bodies) through `api.faults`.
Tests change the org through `create_record`, `update_record`, `delete_record`, `merge_records`,
`add_field` and `remove_field`, stamped with the settable clock `api.now`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
import re
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

from demo_world.render.salesforce import KEY_PREFIXES, sf_ids
from demo_world.vendor_apis.base import Request, Response, VendorApi
from demo_world.vendor_apis.salesforce_store import (
    SalesforceStore,
    SObjectTable,
    SoqlError,
    field_type_of,
    sf_datetime,
)
from demo_world.world import WorldError, read_manifest

API_VERSION = "59.0"
DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
MAX_OPEN_CURSORS = 200  # older query locators expire, as Salesforce's do
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
_DATA_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)?$")


@dataclass
class _Cursor:
    table: SObjectTable
    fields: list[str]
    positions: np.ndarray
    batch: int


class SalesforceApi(VendorApi):
    """Answers Salesforce REST requests from a world's salesforce/ files (see module docstring)."""

    def __init__(self, store: SalesforceStore, client_id: str, client_secret: str, username: str | None = None,
                 password: str | None = None, seed: int = 0, now: dt.datetime | None = None):
        super().__init__(seed)
        self.store = store
        self._client_id, self._client_secret = client_id, client_secret
        self._username, self._password = username, password
        self._now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        self.requests_per_second: float | None = None  # set to enforce a rate limit (403 when exceeded)
        self.daily_limit = 15000
        self.api_usage = 0
        self._recent: deque[float] = deque()
        self._tokens: set[str] = set()
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._cursor_count = 0
        self._rng = random.Random(f"{seed}:salesforce-tokens")
        self.org_id = sf_ids("Organization", [0], store.seed)[0]
        self.user_id = sf_ids("User", [0], store.seed)[0]  # the integration user the connector logs in as

    @classmethod
    def from_world(cls, world_dir: str | Path, client_id: str, client_secret: str, username: str | None = None,
                   password: str | None = None, seed: int = 0) -> SalesforceApi:
        manifest = read_manifest(world_dir)
        if manifest.get("crm") != "salesforce":
            raise WorldError(f"{world_dir} runs {manifest.get('crm', 'hubspot')}, not Salesforce; "
                             "generate it with crm='salesforce'")
        store = SalesforceStore(Path(world_dir) / "salesforce", seed=manifest["seed"])
        as_of = dt.datetime.fromisoformat(manifest["as_of"])
        return cls(store, client_id, client_secret, username, password, seed=seed, now=as_of)

    # --- clock -----------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return self._now

    @now.setter
    def now(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        self._now = moment.astimezone(dt.timezone.utc)

    def advance(self, seconds: float) -> dt.datetime:
        self._now += dt.timedelta(seconds=seconds)
        return self._now

    # --- changes tests make to the org ---------------------------------------------------------

    def create_record(self, sobject: str, fields: dict) -> str:
        with self._lock:
            return self.store.create(sobject, fields, sf_datetime(self._now))

    def update_record(self, sobject: str, record_id: str, fields: dict) -> None:
        """Changes fields, bumps LastModifiedDate/SystemModstamp and writes field history."""
        with self._lock:
            self.store.update(sobject, record_id, fields, sf_datetime(self._now))

    def delete_record(self, sobject: str, record_id: str) -> None:
        """IsDeleted = true: from now on only queryAll returns the record."""
        with self._lock:
            self.store.delete(sobject, record_id, sf_datetime(self._now))

    def merge_records(self, sobject: str, master_id: str, merged_id: str) -> None:
        """The merged record is deleted with MasterRecordId = the master; both are bumped."""
        with self._lock:
            self.store.merge(sobject, master_id, merged_id, sf_datetime(self._now))

    def add_field(self, sobject: str, name: str, value_for_all=None) -> None:
        with self._lock:
            table = self.store.table(sobject)
            if name.lower() in (f.lower() for f in table.types):
                raise ValueError(f"{table.name} already has a field {name}")
            table.add_field(name, field_type_of(value_for_all), value_for_all)

    def remove_field(self, sobject: str, name: str) -> None:
        with self._lock:
            table = self.store.table(sobject)
            if table.field(name) in ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"):
                raise ValueError(f"{name} is a system field")
            table.remove_field(name)

    def served_ids(self, sobject: str, include_deleted: bool = False) -> set[str]:
        """The ids a full query (or queryAll) of the object returns."""
        with self._lock:
            table = self.store.table(sobject)
            deleted = np.asarray(table.columns["IsDeleted"], dtype=bool)
            ids = table.columns["Id"] if include_deleted else table.columns["Id"][~deleted]
            return set(ids.tolist())

    def revoke_tokens(self) -> None:
        """Expire every session, as an admin or a session timeout would: clients must log in again."""
        with self._lock:
            self._tokens.clear()

    # --- HTTP ----------------------------------------------------------------------------------

    def respond(self, request: Request) -> tuple[Response, bytes]:
        response, payload = super().respond(request)
        # Every reply, faults included, tells the client how much of the daily allowance is used.
        response.headers.setdefault("Sforce-Limit-Info", f"api-usage={self.api_usage}/{self.daily_limit}")
        return response, payload

    def handle(self, request: Request) -> Response:
        if request.path.rstrip("/") == "/services/oauth2/token":
            if request.method != "POST":
                return _not_allowed(request, "POST")
            return self._token(request)
        if request.path.rstrip("/") == "/services/data":
            return Response(200, [{"label": "Winter '24", "url": f"/services/data/v{API_VERSION}",
                                   "version": API_VERSION}])
        match = _DATA_PATH.match(request.path)
        if not match:
            return _error(404, "NOT_FOUND", "The requested resource does not exist")
        if not self._authorized(request):
            return _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if self._over_limit():
            return _error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        self.api_usage += 1
        if request.method != "GET":
            return _not_allowed(request, "GET,HEAD")
        try:
            return self._route(request, match["version"], (match["rest"] or "/").rstrip("/"))
        except SoqlError as exc:
            return _error(400, exc.error_code, exc.message)

    def _route(self, request: Request, version: str, rest: str) -> Response:
        parts = rest.strip("/").split("/") if rest else []
        if parts and parts[0] in ("query", "queryAll"):
            if len(parts) == 1:
                return self._query(request, version, include_deleted=parts[0] == "queryAll")
            if len(parts) == 2:
                return self._next_page(parts[1], version)
        if parts == ["sobjects"]:
            return Response(200, self._sobjects(version))
        if len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe":
            return Response(200, self.store.describe(parts[1]))
        if len(parts) == 3 and parts[0] == "sobjects":
            return self._retrieve(parts[1], parts[2], version)
        if parts == ["limits"]:
            return Response(200, {"DailyApiRequests": {"Max": self.daily_limit,
                                                       "Remaining": self.daily_limit - self.api_usage}})
        if not parts:
            return Response(200, {"sobjects": f"/services/data/v{version}/sobjects",
                                  "query": f"/services/data/v{version}/query",
                                  "queryAll": f"/services/data/v{version}/queryAll"})
        return _error(404, "NOT_FOUND", "The requested resource does not exist")

    # --- auth ----------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if grant not in ("client_credentials", "password"):
            return Response(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        if not (hmac.compare_digest(form.get("client_id", ""), self._client_id)
                and hmac.compare_digest(form.get("client_secret", ""), self._client_secret)):
            return Response(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        if grant == "password" and not (
                self._username is not None and self._password is not None
                and hmac.compare_digest(form.get("username", ""), self._username)
                and hmac.compare_digest(form.get("password", ""), self._password)):
            return Response(400, {"error": "invalid_grant", "error_description": "authentication failure"})
        token = f"{self.org_id[:15]}!AQ" + "".join(self._rng.choices(_TOKEN_CHARS, k=96))
        self._tokens.add(token)
        instance_url = f"http://{request.headers.get('host', '127.0.0.1')}"
        identity = f"{instance_url}/id/{self.org_id}/{self.user_id}"
        issued_at = str(int(self._now.timestamp() * 1000))
        # Salesforce signs id + issued_at with the client secret so clients can check the reply.
        signature = base64.b64encode(hmac.new(self._client_secret.encode(), (identity + issued_at).encode(),
                                              hashlib.sha256).digest()).decode()
        return Response(200, {"access_token": token, "instance_url": instance_url, "id": identity,
                              "token_type": "Bearer", "issued_at": issued_at, "signature": signature})

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() in ("bearer", "oauth") and token.strip() in self._tokens

    def _over_limit(self) -> bool:
        if self.api_usage >= self.daily_limit:
            return True
        if self.requests_per_second is None:
            return False
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.requests_per_second:
            return True
        self._recent.append(now)
        return False

    # --- query ---------------------------------------------------------------------------------

    def _query(self, request: Request, version: str, include_deleted: bool) -> Response:
        soql = request.param("q")
        if not soql:
            raise SoqlError("MALFORMED_QUERY", "A query string (q) is required")
        table, query, positions = self.store.run(soql, include_deleted)
        if query.count:
            return Response(200, {"totalSize": int(len(positions)), "done": True, "records": []})
        cursor = _Cursor(table, query.fields, positions, _batch_size(request.headers.get("sforce-query-options")))
        self._cursor_count += 1
        locator = sf_ids("QueryLocator", [self._cursor_count], self.store.seed)[0]
        self._cursors[locator] = cursor
        while len(self._cursors) > MAX_OPEN_CURSORS:
            self._cursors.popitem(last=False)
        return Response(200, self._page(locator, cursor, 0, version))

    def _next_page(self, locator_and_offset: str, version: str) -> Response:
        locator, _, offset = locator_and_offset.partition("-")
        cursor = self._cursors.get(locator)
        if cursor is None or not offset.isdigit() or int(offset) > len(cursor.positions):
            return _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        # Kept until evicted, so a client may fetch a page again after a failed read.
        return Response(200, self._page(locator, cursor, int(offset), version))

    def _page(self, locator: str, cursor: _Cursor, offset: int, version: str) -> dict:
        end = min(offset + cursor.batch, len(cursor.positions))
        body = {"totalSize": int(len(cursor.positions)), "done": end >= len(cursor.positions)}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        body["records"] = cursor.table.records(cursor.positions[offset:end], cursor.fields, version)
        return body

    def _sobjects(self, version: str) -> dict:
        return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
            {"name": name, "label": name, "keyPrefix": KEY_PREFIXES[name], "queryable": True,
             "retrieveable": True, "replicateable": True, "custom": False,
             "urls": {"sobject": f"/services/data/v{version}/sobjects/{name}",
                      "describe": f"/services/data/v{version}/sobjects/{name}/describe"}}
            for name in self.store.object_names]}

    def _retrieve(self, sobject: str, record_id: str, version: str) -> Response:
        table = self.store.table(sobject)
        if record_id not in table.index:
            return _error(404, "NOT_FOUND", "The requested resource does not exist")
        if table.get(record_id, "IsDeleted"):
            return _error(404, "ENTITY_IS_DELETED", "entity is deleted")
        positions = np.array([table.index[record_id]])
        return Response(200, table.records(positions, list(table.types), version)[0])


def _batch_size(header: str | None) -> int:
    """Sforce-Query-Options: batchSize=N, which Salesforce keeps between 200 and 2000."""
    match = re.search(r"batchSize\s*=\s*(\d+)", header or "", re.I)
    return DEFAULT_BATCH if not match else min(max(int(match.group(1)), MIN_BATCH), MAX_BATCH)


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, [{"message": message, "errorCode": code}])


def _not_allowed(request: Request, allowed: str) -> Response:
    return _error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}")
