"""A local LinkedIn Marketing API (versioned REST, Rest.li 2.0) serving a demo world's linkedin_ads/ files.

What a connector meets at LinkedIn, on 127.0.0.1:
- Bearer tokens, the `LinkedIn-Version: YYYYMM` header (missing: 400 VERSION_MISSING) and
  `X-Restli-Protocol-Version: 2.0.0` for Rest.li 2.0 query syntax; LinkedIn's error bodies
  {"status", "serviceErrorCode", "code", "message"};
- `GET /rest/adAccounts/{id}`, and the `q=search` finders `GET /rest/adAccounts/{id}/adCampaignGroups`
  and `.../adCampaigns` with `pageSize` and `pageToken` paging (`metadata.nextPageToken`, absent
  on the last page) and an optional `search=(status:(values:List(ACTIVE)))`;
- `GET /rest/adAnalytics?q=analytics` with pivot CAMPAIGN / CAMPAIGN_GROUP / ACCOUNT, timeGranularity
  DAILY / MONTHLY / YEARLY / ALL, `dateRange=(start:(year:..,month:..,day:..),end:(...))`, the
  `accounts` / `campaigns` / `campaignGroups` facets as `List(urn%3Ali%3A...)`, and `fields`; no
  paging, and a request that would return more than 15,000 elements fails as at LinkedIn.
Rest.li 2.0 values are parsed from the raw query string: parentheses, colons and commas are
structure only when sent unencoded, as LinkedIn reads them. Money stays in the account's currency
as `costInLocalCurrency` text. Days, restatements and faults: see ad_days.py and base.py.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_plus

import pandas as pd

from demo_world.vendor_apis.ad_days import AdCalendar, AdDaysMixin, DailyTable, to_date
from demo_world.vendor_apis.base import Request, Response, VendorApi
from demo_world.world import read_manifest

ACCOUNT_URN = "urn:li:sponsoredAccount:"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
GROUP_URN = "urn:li:sponsoredCampaignGroup:"
ANALYTICS_FIELDS = {"dateRange": None, "pivotValues": None, "costInLocalCurrency": "cost_local_cents",
                    "costInUsd": "cost_usd_cents", "impressions": "impressions", "clicks": "clicks",
                    "oneClickLeads": "one_click_leads"}
DEFAULT_ANALYTICS_FIELDS = ("impressions", "clicks")  # what LinkedIn returns when `fields` is left out
MAX_FIELDS = 20
PIVOTS = {"CAMPAIGN": "campaign_id", "CAMPAIGN_GROUP": "group_id", "ACCOUNT": "account"}
GRANULARITIES = ("DAILY", "MONTHLY", "YEARLY", "ALL")
_VERSION = re.compile(r"^(\d{4})(\d{2})(\.\d{2})?$")
_ROUTES = [
    ("account", re.compile(r"^/rest/adAccounts/([^/]+)$")),
    ("groups", re.compile(r"^/rest/adAccounts/([^/]+)/adCampaignGroups$")),
    ("group", re.compile(r"^/rest/adAccounts/([^/]+)/adCampaignGroups/([^/]+)$")),
    ("campaigns", re.compile(r"^/rest/adAccounts/([^/]+)/adCampaigns$")),
    ("campaign", re.compile(r"^/rest/adAccounts/([^/]+)/adCampaigns/([^/]+)$")),
    ("analytics", re.compile(r"^/rest/adAnalytics$")),
]


class LinkedInError(Exception):
    def __init__(self, status: int, code: str, message: str, service_code: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.service_code = status, code, message, service_code

    def body(self) -> dict:
        body: dict = {"status": self.status}
        if self.service_code is not None:
            body["serviceErrorCode"] = self.service_code
        return {**body, "code": self.code, "message": self.message}


def _bad(message: str) -> LinkedInError:
    return LinkedInError(400, "ILLEGAL_ARGUMENT", message)


# ----- Rest.li 2.0 query syntax ---------------------------------------------------------------------


def query_params(raw_query: str) -> dict[str, str]:
    """Parameters by name with their values still URL-encoded (Rest.li reads structure from them)."""
    params: dict[str, str] = {}
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            params.setdefault(unquote_plus(key), value)
    return params


def parse_restli(raw: str) -> object:
    """A Rest.li 2.0 value: `(k:v,...)` is a dict, `List(a,b)` a list, anything else decoded text."""
    value, end = _restli_value(raw, 0, "")
    if end != len(raw):
        raise ValueError(f"unexpected {raw[end:end + 10]!r}")
    return value


def _restli_value(text: str, at: int, stops: str) -> tuple[object, int]:
    if text.startswith("List(", at):
        return _restli_items(text, at + 5)
    if text.startswith("(", at):
        return _restli_object(text, at + 1)
    end = at
    while end < len(text) and text[end] not in stops:
        if text[end] in "()":
            raise ValueError("unbalanced parentheses")
        end += 1
    return unquote(text[at:end]), end


def _restli_items(text: str, at: int) -> tuple[list, int]:
    items: list = []
    if text.startswith(")", at):
        return items, at + 1
    while True:
        item, at = _restli_value(text, at, ",)")
        items.append(item)
        if at >= len(text):
            raise ValueError("List( is not closed")
        at += 1
        if text[at - 1] == ")":
            return items, at


def _restli_object(text: str, at: int) -> tuple[dict, int]:
    obj: dict = {}
    if text.startswith(")", at):
        return obj, at + 1
    while True:
        colon = text.find(":", at)
        if colon < 0 or any(c in text[at:colon] for c in "(),"):
            raise ValueError("expected key:value")
        key = unquote(text[at:colon])
        obj[key], at = _restli_value(text, colon + 1, ",)")
        if at >= len(text):
            raise ValueError("( is not closed")
        at += 1
        if text[at - 1] == ")":
            return obj, at


# ----- the world's linkedin_ads/ files ----------------------------------------------------------------


@dataclass
class LinkedInAdsData:
    account_id: str
    currency: str
    groups: list[dict]  # API elements
    campaigns: list[dict]  # API elements
    calendar: AdCalendar
    analytics: DailyTable  # date, campaign_id, group_id, *_cents, impressions, clicks, one_click_leads

    @property
    def account_urn(self) -> str:
        return ACCOUNT_URN + self.account_id

    @classmethod
    def load(cls, world_dir: str | Path) -> LinkedInAdsData:
        folder = Path(world_dir) / "linkedin_ads"
        manifest = read_manifest(world_dir)
        calendar = AdCalendar(to_date(manifest["window_start"]), to_date(manifest["as_of"]))
        groups = pd.read_parquet(folder / "campaign_groups.parquet")
        campaigns = pd.read_parquet(folder / "campaigns.parquet")
        raw = pd.read_parquet(folder / "ad_analytics_daily.parquet")
        account_urn = str(campaigns["account"].iloc[0])
        currency = str(campaigns["daily_budget__currency_code"].iloc[0])
        campaign_ids = [int(str(p[0]).removeprefix(CAMPAIGN_URN)) for p in raw["pivot_values"]]
        group_of = {int(c["id"]): int(c["campaign_group"].removeprefix(GROUP_URN))
                    for c in campaigns.to_dict("records")}
        daily = pd.DataFrame({
            "date": [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(
                raw["date_range__start__year"], raw["date_range__start__month"], raw["date_range__start__day"],
                strict=True)],
            "campaign_id": pd.Series(campaign_ids, dtype="int64"),
            "group_id": pd.Series([group_of[c] for c in campaign_ids], dtype="int64"),
            # Money as whole cents so restatements and sums stay exact.
            "cost_local_cents": (raw["cost_in_local_currency"].astype(float) * 100).round().astype("int64"),
            "cost_usd_cents": (raw["cost_in_usd"].astype(float) * 100).round().astype("int64"),
            "impressions": raw["impressions"].astype("int64"),
            "clicks": raw["clicks"].astype("int64"),
            "one_click_leads": raw["one_click_leads"].astype("int64"),
        })
        daily["account"] = account_urn
        peak = daily.groupby("campaign_id")["cost_local_cents"].max().to_dict()
        campaign_elements = [{
            "account": account_urn, "campaignGroup": c["campaign_group"], "id": int(c["id"]), "name": c["name"],
            "status": c["status"], "type": c["type"], "costType": c["cost_type"],
            "runSchedule": {"start": int(c["run_schedule__start"]), "end": int(c["run_schedule__end"])},
            # The world has no budgets: the smallest multiple of 10 no day's spend went over.
            "dailyBudget": {"currencyCode": c["daily_budget__currency_code"],
                            "amount": f"{max(10, 10 * math.ceil(peak.get(int(c['id']), 0) / 1000)):.2f}"},
            "locale": {"country": "US", "language": "en"}, "test": False,
        } for c in campaigns.to_dict("records")]
        group_elements = []
        for g in groups.to_dict("records"):
            members = [c for c in campaign_elements if c["campaignGroup"] == f"{GROUP_URN}{g['id']}"]
            element = {"account": g["account"], "id": int(g["id"]), "name": g["name"], "status": g["status"],
                       "test": False}
            if members:
                element["runSchedule"] = {"start": min(c["runSchedule"]["start"] for c in members),
                                          "end": max(c["runSchedule"]["end"] for c in members)}
            group_elements.append(element)
        return cls(account_urn.removeprefix(ACCOUNT_URN), currency, group_elements, campaign_elements, calendar,
                   DailyTable(daily, "date", calendar))


def _money(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _date_json(day: dt.date) -> dict:
    return {"year": day.year, "month": day.month, "day": day.day}


# ----- the HTTP API ----------------------------------------------------------------------------------


class LinkedInAdsApi(AdDaysMixin, VendorApi):
    """Answers LinkedIn Marketing API requests from a world's linkedin_ads/ files (see module docstring)."""

    RESTATED = {"cost_local_cents": 1, "cost_usd_cents": 1, "impressions": 1, "clicks": 1, "one_click_leads": 1}
    DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000

    def __init__(self, data: LinkedInAdsData, access_token: str, seed: int = 0):
        super().__init__(seed)
        self.data = data
        self.calendar = data.calendar
        self.daily = data.analytics
        self.account_id = data.account_id
        self.account_urn = data.account_urn
        self.currency = data.currency
        self._access_token = access_token
        self.max_elements = 15_000  # adAnalytics answers at most this many elements

    @classmethod
    def from_world(cls, world_dir: str | Path, access_token: str, seed: int = 0) -> LinkedInAdsApi:
        return cls(LinkedInAdsData.load(world_dir), access_token, seed)

    # ----- helpers for tests ---------------------------------------------------------------------

    def served_rows(self, since: dt.date | str | None = None, until: dt.date | str | None = None) -> pd.DataFrame:
        """The campaign-day rows served now: campaign_id, date, cost_in_local_currency (text),
        cost_in_usd (text), impressions, clicks, one_click_leads."""
        with self._lock:
            frame = self.daily.visible(since, until)
            return pd.DataFrame({
                "campaign_id": frame["campaign_id"].astype(str).to_numpy(), "date": frame["date"].to_numpy(),
                "cost_in_local_currency": [_money(int(c)) for c in frame["cost_local_cents"]],
                "cost_in_usd": [_money(int(c)) for c in frame["cost_usd_cents"]],
                "impressions": frame["impressions"].to_numpy(), "clicks": frame["clicks"].to_numpy(),
                "one_click_leads": frame["one_click_leads"].to_numpy(),
            })

    def throttle_reply(self) -> tuple[int, dict]:
        """LinkedIn's reply when a daily limit is reached, for `api.faults.fail_next(status, body=body)`."""
        return 429, LinkedInError(429, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION DAY limit for "
                                  "calls to this resource is reached.", 101).body()

    # ----- HTTP ----------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        params = query_params(request.raw_query)
        try:
            self._authorize(request)
            self._check_headers(request, params)
            path = request.path.rstrip("/")
            for name, pattern in _ROUTES:
                match = pattern.match(path)
                if match:
                    if request.method != "GET":
                        raise LinkedInError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed here")
                    return Response(200, getattr(self, f"_{name}")(params, *match.groups()))
            raise LinkedInError(404, "NOT_FOUND", "No virtual resource found")
        except LinkedInError as exc:
            return Response(exc.status, exc.body())

    def _authorize(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise LinkedInError(401, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token", 65604)
        if not hmac.compare_digest(token.strip().encode(), self._access_token.encode()):
            raise LinkedInError(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)

    def _check_headers(self, request: Request, params: dict[str, str]) -> None:
        version = request.headers.get("linkedin-version")
        if not version:
            raise LinkedInError(400, "VERSION_MISSING", "A version must be present. Please specify a version by "
                                                        "adding the LinkedIn-Version header.")
        match = _VERSION.match(version)
        if not match or not (2023 <= int(match.group(1)) and 1 <= int(match.group(2)) <= 12):
            raise LinkedInError(426, "NONEXISTENT_VERSION", f"Requested version {version} is not active")
        restli = request.headers.get("x-restli-protocol-version")
        if restli != "2.0.0" and any("(" in value for value in params.values()):
            raise _bad("Invalid query parameters passed to request: Rest.li 2.0 syntax needs the "
                       "X-Restli-Protocol-Version: 2.0.0 header")

    def _own_account(self, account_id: str) -> None:
        if unquote(account_id).removeprefix(ACCOUNT_URN) != self.account_id:
            raise LinkedInError(403, "ACCESS_DENIED", f"Not enough permissions to access: adAccounts "
                                                      f"{unquote(account_id)}", 100)

    # ----- account, campaign groups, campaigns ---------------------------------------------------------

    def _account(self, params: dict[str, str], account_id: str) -> dict:
        self._own_account(account_id)
        return {"id": int(self.account_id), "name": "Tallyhouse", "currency": self.currency, "status": "ACTIVE",
                "type": "BUSINESS", "test": False, "reference": "urn:li:organization:0"}

    def _groups(self, params: dict[str, str], account_id: str) -> dict:
        self._own_account(account_id)
        return self._search(params, self.data.groups, {"status", "id", "name", "test"})

    def _campaigns(self, params: dict[str, str], account_id: str) -> dict:
        self._own_account(account_id)
        return self._search(params, self.data.campaigns, {"status", "id", "name", "test", "campaignGroup", "type"})

    def _group(self, params: dict[str, str], account_id: str, group_id: str) -> dict:
        return self._one(account_id, group_id, self.data.groups, "adCampaignGroup")

    def _campaign(self, params: dict[str, str], account_id: str, campaign_id: str) -> dict:
        return self._one(account_id, campaign_id, self.data.campaigns, "adCampaign")

    def _one(self, account_id: str, element_id: str, elements: list[dict], kind: str) -> dict:
        self._own_account(account_id)
        for element in elements:
            if str(element["id"]) == element_id:
                return element
        raise LinkedInError(404, "NOT_FOUND", f"{kind} {element_id} does not exist")

    def _search(self, params: dict[str, str], elements: list[dict], searchable: set[str]) -> dict:
        if unquote(params.get("q", "")) != "search":
            raise _bad("Invalid query parameters passed to request: the finder is q=search")
        size = _int_param(params, "pageSize", self.DEFAULT_PAGE_SIZE)
        if not 1 <= size <= self.MAX_PAGE_SIZE:
            raise _bad(f"pageSize must be between 1 and {self.MAX_PAGE_SIZE}")
        matching = [e for e in elements if _matches(e, _search_spec(params.get("search"), searchable))]
        order = unquote(params.get("sortOrder", "ASCENDING"))
        if order not in ("ASCENDING", "DESCENDING"):
            raise _bad("sortOrder must be ASCENDING or DESCENDING")
        matching.sort(key=lambda e: e["id"], reverse=order == "DESCENDING")
        start = _decode_page_token(params.get("pageToken"))
        metadata = {}
        if start + size < len(matching):
            metadata["nextPageToken"] = _encode_page_token(start + size)
        return {"elements": matching[start:start + size], "metadata": metadata}

    # ----- ad analytics ---------------------------------------------------------------------------------

    def _analytics(self, params: dict[str, str]) -> dict:
        if unquote(params.get("q", "")) != "analytics":
            raise _bad("Invalid query parameters passed to request: the local API serves q=analytics")
        pivot = unquote(params.get("pivot", ""))
        if pivot not in PIVOTS:
            raise _bad(f"pivot must be one of {', '.join(PIVOTS)}")
        granularity = unquote(params.get("timeGranularity", ""))
        if granularity not in GRANULARITIES:
            raise _bad(f"timeGranularity must be one of {', '.join(GRANULARITIES)}")
        start, end = self._date_range(params.get("dateRange"))
        fields = [unquote(f) for f in params.get("fields", "").split(",") if f] or list(DEFAULT_ANALYTICS_FIELDS)
        if len(fields) > MAX_FIELDS:
            raise _bad(f"At most {MAX_FIELDS} fields can be requested at once")
        unknown = [f for f in fields if f not in ANALYTICS_FIELDS]
        if unknown:
            raise _bad(f"Invalid field(s) requested: {', '.join(unknown)}")
        frame = self._facet_rows(params, start, end)
        frame = _periods(frame, granularity, start, end)
        key = PIVOTS[pivot]
        metrics = [c for c in ANALYTICS_FIELDS.values() if c]
        grouped = frame.groupby(["period_start", "period_end", key], sort=True, as_index=False)[metrics].sum()
        if len(grouped) > self.max_elements:
            raise _bad(f"Request would return {len(grouped)} elements, more than the limit of {self.max_elements}; "
                       "narrow the date range, use a coarser timeGranularity or fewer facets")
        prefix = {"campaign_id": CAMPAIGN_URN, "group_id": GROUP_URN, "account": ""}[key]
        elements = []
        for record in grouped.to_dict("records"):
            values = {"dateRange": {"start": _date_json(record["period_start"]),
                                    "end": _date_json(record["period_end"])},
                      "pivotValues": [f"{prefix}{record[key]}"],
                      "costInLocalCurrency": _money(int(record["cost_local_cents"])),
                      "costInUsd": _money(int(record["cost_usd_cents"])),
                      "impressions": int(record["impressions"]), "clicks": int(record["clicks"]),
                      "oneClickLeads": int(record["one_click_leads"])}
            elements.append({name: values[name] for name in dict.fromkeys(fields)})
        return {"elements": elements, "paging": {"count": 10, "start": 0, "links": []}}

    def _date_range(self, raw: str | None) -> tuple[dt.date, dt.date]:
        if raw is None:
            raise _bad("dateRange is required: dateRange=(start:(year:2025,month:1,day:1))")
        try:
            value = parse_restli(raw)
            if not isinstance(value, dict) or set(value) - {"start", "end"} or "start" not in value:
                raise ValueError("dateRange needs start and may have end")
            start = _restli_date(value["start"])
            # An open end runs to the last day served (a start after it simply finds no rows).
            end = _restli_date(value["end"]) if "end" in value else max(start, self.calendar.last_visible_day)
        except (ValueError, TypeError, KeyError) as exc:
            raise _bad(f"Invalid value for param dateRange ({exc}): send it as Rest.li 2.0, "
                       "dateRange=(start:(year:2025,month:1,day:1),end:(year:2025,month:1,day:31)), "
                       "with the parentheses, colons and commas not URL-encoded") from None
        if end < start:
            raise _bad("dateRange: end must not be before start")
        return start, end

    def _facet_rows(self, params: dict[str, str], start: dt.date, end: dt.date) -> pd.DataFrame:
        facets = {}
        for name, prefix in (("accounts", ACCOUNT_URN), ("campaigns", CAMPAIGN_URN), ("campaignGroups", GROUP_URN)):
            if name in params:
                try:
                    values = parse_restli(params[name])
                except ValueError as exc:
                    raise _bad(f"Invalid value for param {name} ({exc})") from None
                if not isinstance(values, list) or not all(isinstance(v, str) and v.startswith(prefix)
                                                           for v in values):
                    raise _bad(f"Invalid value for param {name}: send List({prefix}...) with URL-encoded URNs")
                facets[name] = [v.removeprefix(prefix) for v in values]
        if not facets:
            raise _bad("At least one of the facets accounts, campaigns or campaignGroups is required")
        for account in facets.get("accounts", []):
            self._own_account(account)
        frame = self.daily.visible(start, end)
        if "campaigns" in facets:
            frame = frame[frame["campaign_id"].astype(str).isin(facets["campaigns"])]
        if "campaignGroups" in facets:
            frame = frame[frame["group_id"].astype(str).isin(facets["campaignGroups"])]
        return frame


# ----- helpers ----------------------------------------------------------------------------------------


def _restli_date(value: object) -> dt.date:
    if not isinstance(value, dict) or set(value) != {"year", "month", "day"}:
        raise ValueError("a date is (year:YYYY,month:M,day:D)")
    return dt.date(int(value["year"]), int(value["month"]), int(value["day"]))


def _periods(frame: pd.DataFrame, granularity: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Adds each row's reporting period (period_start, period_end), clipped to the date range."""
    days = pd.to_datetime(frame["date"]).dt.date
    if granularity == "DAILY":
        return frame.assign(period_start=days, period_end=days)
    if granularity == "ALL":
        return frame.assign(period_start=start, period_end=end)
    if granularity == "MONTHLY":
        firsts = [d.replace(day=1) for d in days]
        lasts = [(f + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1) for f in firsts]
    else:  # YEARLY
        firsts = [d.replace(month=1, day=1) for d in days]
        lasts = [f.replace(month=12, day=31) for f in firsts]
    return frame.assign(period_start=[max(f, start) for f in firsts], period_end=[min(e, end) for e in lasts])


def _search_spec(raw: str | None, searchable: set[str]) -> dict[str, set[str]]:
    """search=(status:(values:List(ACTIVE,PAUSED)),test:false) as {field: accepted values}."""
    if not raw:
        return {}
    try:
        spec = parse_restli(raw)
        if not isinstance(spec, dict):
            raise ValueError("search is (field:(values:List(...)),...)")
        accepted: dict[str, set[str]] = {}
        for name, value in spec.items():
            if name not in searchable:
                raise ValueError(f"cannot search on {name}")
            values = value if isinstance(value, str) else value["values"]
            accepted[name] = {str(v) for v in (values if isinstance(values, list) else [values])}
        return accepted
    except (ValueError, TypeError, KeyError) as exc:
        raise _bad(f"Invalid value for param search ({exc})") from None


def _matches(element: dict, spec: dict[str, set[str]]) -> bool:
    for name, accepted in spec.items():
        value = element.get(name)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text not in accepted:
            return False
    return True


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    text = unquote(params.get(name, ""))
    if text == "":
        return default
    if not text.isdigit():
        raise _bad(f"{name} must be a number")
    return int(text)


def _encode_page_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"page:{position}".encode()).decode().rstrip("=")


def _decode_page_token(token: str | None) -> int:
    if not token:
        return 0
    token = unquote(token)
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("page:") and text[5:].isdigit():
            return int(text[5:])
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise _bad("Invalid pageToken; pass the nextPageToken of the previous page")
