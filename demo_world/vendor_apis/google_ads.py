"""A local Google Ads API (v17, REST) serving a demo world's google_ads/ files.

What a connector meets at Google, on 127.0.0.1:
- the OAuth 2.0 token endpoint, `POST /token` with the refresh_token grant, handing out Bearer
  tokens that expire (`expire_access_tokens()` ends them early), and Google's OAuth error bodies;
- `POST /v17/customers/{id}/googleAds:searchStream` (a JSON array of batches) and
  `POST /v17/customers/{id}/googleAds:search` (pages of a fixed size chained by nextPageToken; v17
  rejects `pageSize`), with the `developer-token` header and an optional `login-customer-id`;
- a GAQL subset: SELECT fields FROM campaign | ad_group | click_view, WHERE conditions joined by
  AND (segments.date BETWEEN / = / > / >= / < / <= / DURING, and =, !=, <, >, IN, NOT IN on other
  fields), ORDER BY, LIMIT. Rows nest by resource in camelCase with int64 values as strings and the
  resource's resourceName, as Google's JSON does; metrics with segments.date give a row per
  campaign and day, without it they add up over the date filter; click_view needs a single day;
- Google's error body {"error": {code, message, status, details: [GoogleAdsFailure]}}.
Money stays in the account's currency (USD) as cost_micros. Days, restatements and faults: see
ad_days.py and base.py.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd

from demo_world.vendor_apis.ad_days import AdCalendar, AdDaysMixin, DailyTable, to_date
from demo_world.vendor_apis.base import Request, Response, VendorApi
from demo_world.world import read_manifest

API_VERSION = "v17"
SCOPE = "https://www.googleapis.com/auth/adwords"
FIXED_PAGE_SIZE = 10_000  # v17 serves search pages of 10,000 rows; stream batches are as large
_ROUTE = re.compile(r"^/(v\d+)/customers/([^/]+)/googleAds:(search|searchStream)$")
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# ----- the fields the local API knows, by resource -------------------------------------------------

INT64 = {"campaign.id", "ad_group.id", "customer.id", "metrics.cost_micros", "metrics.impressions",
         "metrics.clicks"}
DOUBLE = {"metrics.conversions"}
CAMPAIGN = {"campaign.resource_name", "campaign.id", "campaign.name", "campaign.status",
            "campaign.advertising_channel_type", "campaign.start_date", "campaign.end_date"}
CUSTOMER = {"customer.resource_name", "customer.id", "customer.currency_code"}
AD_GROUP = {"ad_group.resource_name", "ad_group.id", "ad_group.name", "ad_group.status", "ad_group.campaign"}
CLICK_VIEW = {"click_view.resource_name", "click_view.gclid"}
METRICS = {"metrics.cost_micros", "metrics.impressions", "metrics.clicks", "metrics.conversions"}
SEGMENTS = {"segments.date"}
RESOURCE_FIELDS = {
    "campaign": CAMPAIGN | CUSTOMER | METRICS | SEGMENTS,
    "ad_group": AD_GROUP | CAMPAIGN | CUSTOMER,  # the world has no ad-group metrics
    "click_view": CLICK_VIEW | AD_GROUP | CAMPAIGN | CUSTOMER | SEGMENTS | {"metrics.clicks"},
}
KNOWN_FIELDS = CAMPAIGN | CUSTOMER | AD_GROUP | CLICK_VIEW | METRICS | SEGMENTS
ENUMS = {
    "campaign.status": {"ENABLED", "PAUSED", "REMOVED", "UNKNOWN", "UNSPECIFIED"},
    "ad_group.status": {"ENABLED", "PAUSED", "REMOVED", "UNKNOWN", "UNSPECIFIED"},
    "campaign.advertising_channel_type": {"SEARCH", "DISPLAY", "SHOPPING", "VIDEO", "MULTI_CHANNEL", "LOCAL",
                                          "SMART", "PERFORMANCE_MAX", "DEMAND_GEN", "UNKNOWN", "UNSPECIFIED"},
}
DURING = ("TODAY", "YESTERDAY", "LAST_7_DAYS", "LAST_14_DAYS", "LAST_30_DAYS", "THIS_MONTH", "LAST_MONTH")


class GoogleAdsError(Exception):
    """A failure answered in Google's shape: HTTP status, RPC status, and one GoogleAdsError."""

    def __init__(self, http: int, status: str, kind: str, code: str, message: str, top: str | None = None):
        super().__init__(message)
        self.http, self.status, self.kind, self.code, self.message = http, status, kind, code, message
        self.top = top  # the RPC-level message, when it differs from the GoogleAdsError's


def _query_error(code: str, message: str) -> GoogleAdsError:
    return GoogleAdsError(400, "INVALID_ARGUMENT", "queryError", code, message)


# ----- the world's google_ads/ files ------------------------------------------------------------------


def _gaql_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """dlt's flattened names back to GAQL field names: campaign__id -> campaign.id."""
    return frame.rename(columns=lambda c: c.replace("__", "."))


@dataclass
class GoogleAdsData:
    customer_id: str
    currency: str
    campaigns: pd.DataFrame  # one row per campaign, columns named by GAQL field
    ad_groups: pd.DataFrame
    calendar: AdCalendar
    daily: DailyTable  # segments.date, campaign.id, metrics.*
    clicks: DailyTable  # click_view rows with segments.date, campaign.id, ad_group.id

    @classmethod
    def load(cls, world_dir: str | Path) -> GoogleAdsData:
        folder = Path(world_dir) / "google_ads"
        manifest = read_manifest(world_dir)
        calendar = AdCalendar(to_date(manifest["window_start"]), to_date(manifest["as_of"]))
        campaigns = _gaql_columns(pd.read_parquet(folder / "campaigns.parquet"))
        customer_id = str(campaigns["customer.id"].iloc[0])
        currency = str(campaigns["customer.currency_code"].iloc[0])
        campaigns["customer.id"] = campaigns["customer.id"].astype("int64")
        campaigns["customer.resource_name"] = f"customers/{customer_id}"
        prefix = f"customers/{customer_id}"
        campaigns["campaign.resource_name"] = [f"{prefix}/campaigns/{i}" for i in campaigns["campaign.id"]]
        ad_groups = _gaql_columns(pd.read_parquet(folder / "ad_groups.parquet"))
        ad_groups["ad_group.resource_name"] = [f"{prefix}/adGroups/{i}" for i in ad_groups["ad_group.id"]]
        ad_groups["ad_group.campaign"] = [f"{prefix}/campaigns/{i}" for i in ad_groups["campaign.id"]]
        daily = _gaql_columns(pd.read_parquet(folder / "campaign_daily.parquet"))
        daily = daily[["segments.date", "campaign.id", *sorted(METRICS)]]
        clicks = _gaql_columns(pd.read_parquet(folder / "click_view.parquet"))
        clicks["click_view.resource_name"] = f"{prefix}/clickViews/" + clicks["segments.date"] + "~" + clicks[
            "click_view.gclid"]
        clicks["metrics.clicks"] = 1
        return cls(customer_id, currency, campaigns, ad_groups, calendar, DailyTable(daily, "segments.date", calendar),
                   DailyTable(clicks, "segments.date", calendar))


# ----- GAQL ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>!=|>=|<=|=|>|<|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""", re.X)


@dataclass
class Literal:
    kind: str  # string, number or word (an enum constant or a DURING range)
    text: str


@dataclass
class Condition:
    field: str
    operator: str  # =, !=, >, >=, <, <=, IN, NOT IN, BETWEEN, DURING
    values: list[Literal]


@dataclass
class Gaql:
    fields: list[str]
    resource: str
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None


def parse_gaql(text: str) -> Gaql:
    """Parses the GAQL subset the local API serves; raises GoogleAdsError (queryError) otherwise."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        position, text = 0, text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                if text[position] in "'\"":
                    raise _query_error("STRING_NOT_TERMINATED", "Error in query: a string is not terminated.")
                snippet = text[position:position + 20]
                raise _query_error("UNEXPECTED_INPUT", f"Error in query: unexpected input {snippet}.")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
            while position < len(text) and text[position].isspace():
                position += 1
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _query_error("UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query.")
        self.at += 1
        return token

    def keyword(self, *words: str) -> bool:
        """Consumes the keywords if they come next (case-insensitive)."""
        ahead = self.tokens[self.at:self.at + len(words)]
        if len(ahead) == len(words) and all(kind == "word" and text.upper() == word
                                            for (kind, text), word in zip(ahead, words, strict=True)):
            self.at += len(words)
            return True
        return False

    def name(self) -> str:
        kind, text = self.take()
        if kind != "word":
            raise _query_error("UNEXPECTED_INPUT", f"Error in query: expected a field name, got {text}.")
        return text

    def parse(self) -> Gaql:
        if not self.keyword("SELECT"):
            raise _query_error("EXPECTED_SELECT", "Error in query: SELECT is missing.")
        fields = [self.name()]
        while self.peek() == ("op", ","):
            self.take()
            fields.append(self.name())
        if not self.keyword("FROM"):
            raise _query_error("EXPECTED_FROM", "Error in query: FROM clause is missing.")
        query = Gaql(fields, self.name())
        if self.keyword("WHERE"):
            query.conditions.append(self.condition())
            while self.keyword("AND"):
                query.conditions.append(self.condition())
        if self.keyword("ORDER"):
            if not self.keyword("BY"):
                raise _query_error("EXPECTED_BY", "Error in query: expected BY after ORDER.")
            while True:
                name = self.name()
                descending = self.keyword("DESC")
                if not descending:
                    self.keyword("ASC")
                query.order.append((name, descending))
                if self.peek() != ("op", ","):
                    break
                self.take()
        if self.keyword("LIMIT"):
            kind, text = self.take()
            if kind != "number" or not text.isdigit():
                raise _query_error("BAD_LIMIT_VALUE", f"Error in query: invalid LIMIT value {text}.")
            if int(text) < 1:
                raise _query_error("LIMIT_VALUE_TOO_LOW", "Error in query: LIMIT must be at least 1.")
            query.limit = int(text)
        if self.keyword("PARAMETERS"):  # e.g. include_drafts=true: nothing to change here
            self.at = len(self.tokens)
        if self.peek() is not None:
            raise _query_error("UNEXPECTED_INPUT", f"Error in query: unexpected input {self.peek()[1]}.")
        return query

    def condition(self) -> Condition:
        name = self.name()
        if self.keyword("BETWEEN"):
            low = self.literal()
            if not self.keyword("AND"):
                raise _query_error("EXPECTED_AND", "Error in query: expected AND between values with BETWEEN.")
            return Condition(name, "BETWEEN", [low, self.literal()])
        if self.keyword("NOT", "IN"):
            return Condition(name, "NOT IN", self.values_list())
        if self.keyword("IN"):
            return Condition(name, "IN", self.values_list())
        if self.keyword("DURING"):
            return Condition(name, "DURING", [self.literal()])
        kind, text = self.take()
        if kind != "op" or text not in ("=", "!=", ">", ">=", "<", "<="):
            raise _query_error("BAD_OPERATOR", f"Error in query: invalid operator {text}.")
        return Condition(name, text, [self.literal()])

    def values_list(self) -> list[Literal]:
        if self.take() != ("op", "("):
            raise _query_error("EXPECTED_LIST", "Error in query: the IN operator needs a list of values.")
        values = [self.literal()]
        while self.peek() == ("op", ","):
            self.take()
            values.append(self.literal())
        if self.take() != ("op", ")"):
            raise _query_error("EXPECTED_LIST", "Error in query: the list of values is not closed.")
        return values

    def literal(self) -> Literal:
        kind, text = self.take()
        if kind == "string":
            return Literal("string", re.sub(r"\\(.)", r"\1", text[1:-1]))
        if kind in ("number", "word"):
            return Literal(kind, text)
        raise _query_error("BAD_VALUE", f"Error in query: invalid value {text}.")


# ----- running a query over the data -------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class QueryRunner:
    """Answers a parsed GAQL query from GoogleAdsData: the rows as Google's JSON objects."""

    def __init__(self, data: GoogleAdsData, click_view_days_kept: int | None):
        self.data = data
        self.click_view_days_kept = click_view_days_kept

    def run(self, query: Gaql) -> tuple[list[dict], str]:
        """The result rows and the fieldMask."""
        available = RESOURCE_FIELDS.get(query.resource)
        if available is None:
            raise _query_error("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                               f"Error in query: invalid resource type '{query.resource}' in the FROM clause.")
        wanted = [*query.fields, *(c.field for c in query.conditions), *(f for f, _ in query.order)]
        for name in wanted:
            self._check_field(query.resource, name, available)
        since, until = self._date_bounds(query)
        frame = self._frame(query, since, until)
        for condition in query.conditions:
            if condition.field != "segments.date":
                frame = frame[self._mask(frame, condition)]
        if query.order:
            frame = frame.sort_values([f for f, _ in query.order], ascending=[not d for _, d in query.order],
                                      kind="stable")
        if query.limit is not None:
            frame = frame.head(query.limit)
        selected = list(dict.fromkeys(query.fields))
        return self._rows(frame, selected), ",".join(".".join(_camel(p) for p in f.split(".")) for f in selected)

    def _check_field(self, resource: str, name: str, available: set[str]) -> None:
        if name in available:
            return
        if name not in KNOWN_FIELDS:
            raise _query_error("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if name.startswith("metrics."):
            raise _query_error("PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                               f"Cannot select or filter on the following metrics: '{name}' (could not support "
                               f"requested resources: '{resource}').")
        if name.startswith("segments."):
            raise _query_error("PROHIBITED_SEGMENT_IN_SELECT_OR_WHERE_CLAUSE",
                               f"Cannot select or filter on the following segments: '{name}' (could not support "
                               f"requested resources: '{resource}').")
        raise _query_error("PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                           f"Cannot select fields from the following resource: '{name.split('.')[0]}', since the "
                           f"resource is incompatible with the resource in FROM clause: '{resource}'.")

    def _date_bounds(self, query: Gaql) -> tuple[dt.date | None, dt.date | None]:
        since: dt.date | None = None
        until: dt.date | None = None
        one_day = dt.timedelta(days=1)
        for condition in query.conditions:
            if condition.field != "segments.date":
                continue
            op = condition.operator
            if op == "DURING":
                low, high = self._during(condition.values[0])
            elif op == "BETWEEN":
                low, high = _date(condition.values[0]), _date(condition.values[1])
            elif op in ("=", ">=", ">", "<=", "<"):
                day = _date(condition.values[0])
                low = {"=": day, ">=": day, ">": day + one_day}.get(op)
                high = {"=": day, "<=": day, "<": day - one_day}.get(op)
            else:
                raise _query_error("BAD_OPERATOR", f"Error in query: operator {op} is not supported on segments.date.")
            since = low if since is None else (max(since, low) if low else since)
            until = high if until is None else (min(until, high) if high else until)
        if since is not None and until is not None and since > until:
            raise _query_error("DATE_RANGE_TOO_NARROW",
                               "Filters on date/week/month/quarter have a start date after end date.")
        selects_date = "segments.date" in query.fields or any(f == "segments.date" for f, _ in query.order)
        if selects_date and (since is None or until is None):
            raise _query_error("EXPECTED_FILTERS_ON_DATE_RANGE",
                               "Missing filters on date related fields: a query selecting segments.date needs a "
                               "finite date range in the WHERE clause.")
        if query.resource == "click_view":
            if since is None or since != until:
                raise GoogleAdsError(400, "INVALID_ARGUMENT", "clickViewError", "EXPECTED_FILTER_ON_A_SINGLE_DAY",
                                     "Missing filter on a single day: click_view queries must filter segments.date "
                                     "to one day.")
            kept = self.click_view_days_kept
            if kept is not None and since < self.data.calendar.today - dt.timedelta(days=kept):
                raise GoogleAdsError(400, "INVALID_ARGUMENT", "clickViewError", "DATE_TOO_OLD",
                                     f"The requested date is too old: click_view keeps the last {kept} days.")
        return since, until

    def _during(self, value: Literal) -> tuple[dt.date, dt.date]:
        today = self.data.calendar.today
        name = value.text.upper()
        if name not in DURING:
            raise _query_error("INVALID_VALUE_WITH_DURING_OPERATOR",
                               f"Error in query: unsupported DURING range {value.text}; use one of "
                               f"{', '.join(DURING)}.")
        if name == "TODAY":
            return today, today
        if name == "YESTERDAY":
            return today - dt.timedelta(days=1), today - dt.timedelta(days=1)
        if name.startswith("LAST_") and name.endswith("_DAYS"):
            days = int(name.split("_")[1])
            return today - dt.timedelta(days=days), today - dt.timedelta(days=1)
        first = today.replace(day=1)
        if name == "THIS_MONTH":
            return first, today
        last_month_end = first - dt.timedelta(days=1)
        return last_month_end.replace(day=1), last_month_end

    def _frame(self, query: Gaql, since: dt.date | None, until: dt.date | None) -> pd.DataFrame:
        data = self.data
        if query.resource == "click_view":
            frame = data.clicks.visible(since, until)
            frame = frame.merge(data.ad_groups.drop(columns=["campaign.id"]), on="ad_group.id", how="left")
            return frame.merge(data.campaigns, on="campaign.id", how="left")
        if query.resource == "ad_group":
            return data.ad_groups.merge(data.campaigns, on="campaign.id", how="left")
        used = {*query.fields, *(c.field for c in query.conditions), *(f for f, _ in query.order)}
        if not used & (METRICS | SEGMENTS):
            return data.campaigns
        daily = data.daily.visible(since, until)
        if not {*query.fields, *(f for f, _ in query.order)} & SEGMENTS:
            # Metrics without segments.date add up over the date filter, one row per campaign.
            daily = daily.groupby("campaign.id", as_index=False, sort=True)[sorted(METRICS)].sum()
        return daily.merge(data.campaigns, on="campaign.id", how="left")

    def _mask(self, frame: pd.DataFrame, condition: Condition) -> pd.Series:
        column = frame[condition.field]
        values = [self._value(condition.field, v) for v in condition.values]
        op = condition.operator
        if op in ("IN", "NOT IN"):
            hit = column.isin(values)
            return hit if op == "IN" else ~hit
        if op in ("BETWEEN", "DURING"):
            if op == "DURING" or len(values) != 2:
                raise _query_error("BAD_OPERATOR", f"Error in query: {op} is only supported on segments.date.")
            return (column >= values[0]) & (column <= values[1])
        compare = {"=": column.__eq__, "!=": column.__ne__, ">": column.__gt__, ">=": column.__ge__,
                   "<": column.__lt__, "<=": column.__le__}[op]
        return compare(values[0])

    def _value(self, name: str, literal: Literal) -> object:
        if name in INT64:
            try:
                return int(literal.text)
            except ValueError:
                raise _query_error("BAD_NUMBER", f"Error in query: {literal.text} is not a number for {name}.") \
                    from None
        if name in DOUBLE:
            try:
                return float(literal.text)
            except ValueError:
                raise _query_error("BAD_NUMBER", f"Error in query: {literal.text} is not a number for {name}.") \
                    from None
        if name in ENUMS and literal.text not in ENUMS[name]:
            raise _query_error("BAD_ENUM_CONSTANT", f"Error in query: invalid enum constant {literal.text} "
                                                    f"for {name}.")
        return literal.text

    def _rows(self, frame: pd.DataFrame, selected: list[str]) -> list[dict]:
        # Each resource with a selected field carries its resourceName, as Google's rows do.
        resources = [f.split(".")[0] for f in selected if f.split(".")[0] not in ("metrics", "segments")]
        named = [f"{r}.resource_name" for r in dict.fromkeys(resources)]
        columns = list(dict.fromkeys([*named, *selected]))
        plan = [(_camel(c.split(".")[0]), _camel(c.split(".")[1]),
                 "int64" if c in INT64 else "double" if c in DOUBLE else "text") for c in columns]
        rows = []
        for values in frame[columns].itertuples(index=False, name=None):
            row: dict = {}
            for (resource, attribute, kind), value in zip(plan, values, strict=True):
                if kind == "int64":
                    value = str(int(value))
                elif kind == "double":
                    value = float(value)
                row.setdefault(resource, {})[attribute] = value
            rows.append(row)
        return rows


def _date(literal: Literal) -> dt.date:
    if literal.kind == "string" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", literal.text):
        try:
            return dt.date.fromisoformat(literal.text)
        except ValueError:
            pass
    raise _query_error("INVALID_DATE_FORMAT", f"Error in query: invalid date {literal.text!r}; dates are "
                                              "'YYYY-MM-DD'.")


# ----- the HTTP API ---------------------------------------------------------------------------------


class GoogleAdsApi(AdDaysMixin, VendorApi):
    """Answers Google Ads REST requests from a world's google_ads/ files (see module docstring)."""

    RESTATED = {"metrics.cost_micros": 10_000, "metrics.impressions": 1, "metrics.clicks": 1,
                "metrics.conversions": 0.01}
    TOKEN_LIFETIME_SECONDS = 3599

    def __init__(self, data: GoogleAdsData, client_id: str, client_secret: str, refresh_token: str,
                 developer_token: str, login_customer_id: str | None = None, seed: int = 0):
        super().__init__(seed)
        self.data = data
        self.calendar = data.calendar
        self.daily = data.daily
        self.customer_id = data.customer_id
        self.currency = data.currency
        self._client_id, self._client_secret = client_id, client_secret
        self._refresh_token, self._developer_token = refresh_token, developer_token
        self._manager_id = login_customer_id  # a manager account the client may log in through
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self._rng = random.Random(f"{seed}:google-ads")
        self.stream_batch_size = FIXED_PAGE_SIZE  # tests lower these to see batches and pages
        self.search_page_size = FIXED_PAGE_SIZE
        self.click_view_days_kept: int | None = None  # Google keeps 90 days of clicks; None serves all

    @classmethod
    def from_world(cls, world_dir: str | Path, client_id: str, client_secret: str, refresh_token: str,
                   developer_token: str, login_customer_id: str | None = None, seed: int = 0) -> GoogleAdsApi:
        return cls(GoogleAdsData.load(world_dir), client_id, client_secret, refresh_token, developer_token,
                   login_customer_id, seed)

    # ----- helpers for tests ----------------------------------------------------------------------

    def served_rows(self, since: dt.date | str | None = None, until: dt.date | str | None = None) -> pd.DataFrame:
        """The campaign-day rows served now: campaign_id, date, cost_micros (USD), impressions, clicks,
        conversions."""
        with self._lock:
            frame = self.daily.visible(since, until)
            return pd.DataFrame({
                "campaign_id": frame["campaign.id"].astype(str).to_numpy(),
                "date": frame["segments.date"].to_numpy(),
                "cost_micros": frame["metrics.cost_micros"].to_numpy(),
                "impressions": frame["metrics.impressions"].to_numpy(),
                "clicks": frame["metrics.clicks"].to_numpy(),
                "conversions": frame["metrics.conversions"].to_numpy(),
            })

    def served_clicks(self, since: dt.date | str | None = None, until: dt.date | str | None = None) -> pd.DataFrame:
        """The click_view rows served now: gclid, date, campaign_id, ad_group_id."""
        with self._lock:
            frame = self.data.clicks.visible(since, until)
            return pd.DataFrame({"gclid": frame["click_view.gclid"].to_numpy(),
                                 "date": frame["segments.date"].to_numpy(),
                                 "campaign_id": frame["campaign.id"].astype(str).to_numpy(),
                                 "ad_group_id": frame["ad_group.id"].astype(str).to_numpy()})

    def expire_access_tokens(self) -> None:
        """Every access token expires now, as they do after an hour: clients must refresh."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)  # known but expired: OAUTH_TOKEN_EXPIRED

    def throttle_reply(self) -> tuple[int, dict]:
        """Google's reply when quota runs out, for `api.faults.fail_next(status, body=body)`."""
        return 429, _error_body(429, "RESOURCE_EXHAUSTED", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED",
                                "Too many requests. Retry in 30 seconds.", API_VERSION, self._request_id())

    # ----- HTTP -------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.rstrip("/") == "/token":
            if request.method != "POST":
                return Response(405, {"error": "invalid_request", "error_description": "Use POST."})
            return self._token(request)
        route = _ROUTE.match(request.path)
        if route is None:
            return self._error(GoogleAdsError(404, "NOT_FOUND", "requestError", "RESOURCE_NOT_FOUND",
                                              f"The requested URL {request.path} was not found on this server."))
        version, customer_id, method = route.groups()
        request_id = self._request_id()
        try:
            if request.method != "POST":
                raise GoogleAdsError(405, "UNIMPLEMENTED", "requestError", "UNKNOWN",
                                     f"Method {request.method} is not supported; use POST.")
            self._authorize(request, customer_id)
            body = _json_body(request)
            text = body.get("query")
            if not isinstance(text, str) or not text.strip():
                raise GoogleAdsError(400, "INVALID_ARGUMENT", "requestError", "REQUIRED_FIELD_MISSING",
                                     "Required field 'query' was not present.")
            query = parse_gaql(text)
            if method == "searchStream":
                return self._stream(query, request_id)
            return self._search(query, text, body, request_id)
        except GoogleAdsError as exc:
            return self._error(exc, version, request_id)

    def _authorize(self, request: Request, customer_id: str) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GoogleAdsError(401, "UNAUTHENTICATED", "authenticationError", "AUTHENTICATION_ERROR",
                                 "Authentication of the request failed.",
                                 "Request is missing required authentication credential. Expected OAuth 2 access "
                                 "token, login cookie or other valid authentication credential. See "
                                 "https://developers.google.com/identity/sign-in/web/devconsole-project.")
        expiry = self._tokens.get(token.strip())
        if expiry is None or expiry <= time.monotonic():
            code, detail = (("OAUTH_TOKEN_EXPIRED", "The OAuth access token has expired.") if expiry is not None
                            else ("OAUTH_TOKEN_INVALID", "The OAuth access token is invalid."))
            raise GoogleAdsError(401, "UNAUTHENTICATED", "authenticationError", code, detail,
                                 "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                                 "login cookie or other valid authentication credential. See "
                                 "https://developers.google.com/identity/sign-in/web/devconsole-project.")
        developer_token = request.headers.get("developer-token")
        if not developer_token:
            raise GoogleAdsError(400, "INVALID_ARGUMENT", "requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING",
                                 "developer-token parameter is missing.")
        if not hmac.compare_digest(developer_token.encode(), self._developer_token.encode()):
            raise GoogleAdsError(403, "PERMISSION_DENIED", "authorizationError", "DEVELOPER_TOKEN_PROHIBITED",
                                 "Developer token is not allowed with the project sent in the request.")
        if not customer_id.isdigit():
            raise GoogleAdsError(400, "INVALID_ARGUMENT", "requestError", "INVALID_CUSTOMER_ID",
                                 f"Invalid customer ID '{customer_id}'.")
        login = request.headers.get("login-customer-id")
        allowed = {self.customer_id, *([self._manager_id] if self._manager_id else [])}
        if customer_id != self.customer_id or (login is not None and login.replace("-", "") not in allowed):
            raise GoogleAdsError(403, "PERMISSION_DENIED", "authorizationError", "USER_PERMISSION_DENIED",
                                 "User doesn't have permission to access customer. Note: If you're accessing a "
                                 "client customer, the manager's customer id must be set in the 'login-customer-id' "
                                 "header. See https://developers.google.com/google-ads/api/docs/concepts/"
                                 "call-structure#cid")

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "refresh_token":
            return Response(400, {"error": "unsupported_grant_type",
                                  "error_description": "Invalid grant_type: use refresh_token."})
        if not form.get("client_id") or not form.get("client_secret"):
            return Response(400, {"error": "invalid_request", "error_description": "Could not determine client ID "
                                                                                   "from request."})
        if not (hmac.compare_digest(form["client_id"].encode(), self._client_id.encode())
                and hmac.compare_digest(form["client_secret"].encode(), self._client_secret.encode())):
            return Response(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if not hmac.compare_digest(form.get("refresh_token", "").encode(), self._refresh_token.encode()):
            return Response(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        token = "ya29." + "".join(self._rng.choices(_ID_CHARS, k=120))
        self._tokens[token] = time.monotonic() + self.TOKEN_LIFETIME_SECONDS
        return Response(200, {"access_token": token, "expires_in": self.TOKEN_LIFETIME_SECONDS, "scope": SCOPE,
                              "token_type": "Bearer"})

    def _runner(self) -> QueryRunner:
        return QueryRunner(self.data, self.click_view_days_kept)

    def _stream(self, query: Gaql, request_id: str) -> Response:
        rows, mask = self._runner().run(query)
        size = self.stream_batch_size
        batches = [{"results": rows[i:i + size], "fieldMask": mask, "requestId": request_id}
                   for i in range(0, len(rows), size)]
        return Response(200, batches or [{"fieldMask": mask, "requestId": request_id}],
                        {"request-id": request_id})

    def _search(self, query: Gaql, text: str, body: dict, request_id: str) -> Response:
        if body.get("pageSize") not in (None, 0):
            raise GoogleAdsError(400, "INVALID_ARGUMENT", "requestError", "PAGE_SIZE_NOT_SUPPORTED",
                                 f"Setting the page size is not supported. Search Responses will have fixed page "
                                 f"size of '{FIXED_PAGE_SIZE}' rows.")
        offset = _decode_page_token(body.get("pageToken"), text)
        rows, mask = self._runner().run(query)
        if offset > len(rows):
            raise GoogleAdsError(400, "INVALID_ARGUMENT", "requestError", "INVALID_PAGE_TOKEN", "Invalid page token.")
        end = offset + self.search_page_size
        reply: dict = {"results": rows[offset:end], "fieldMask": mask, "requestId": request_id}
        if not reply["results"]:
            del reply["results"]  # proto3 JSON leaves out an empty list
        if end < len(rows):
            reply["nextPageToken"] = _encode_page_token(end, text)
        if body.get("returnTotalResultsCount"):
            reply["totalResultsCount"] = str(len(rows))
        return Response(200, reply, {"request-id": request_id})

    def _request_id(self) -> str:
        return "".join(self._rng.choices(_ID_CHARS, k=22))

    def _error(self, exc: GoogleAdsError, version: str = API_VERSION, request_id: str | None = None) -> Response:
        request_id = request_id or self._request_id()
        return Response(exc.http, _error_body(exc.http, exc.status, exc.kind, exc.code, exc.message, version,
                                              request_id, exc.top), {"request-id": request_id})


# ----- reply and request helpers -------------------------------------------------------------------

_TOP_MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission",
    429: "Resource has been exhausted (e.g. check quota).",
}


def _error_body(http: int, status: str, kind: str, code: str, message: str, version: str, request_id: str,
                top: str | None = None) -> dict:
    top = top or _TOP_MESSAGES.get(http, message)
    return {"error": {"code": http, "message": top, "status": status, "details": [{
        "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
        "errors": [{"errorCode": {kind: code}, "message": message}],
        "requestId": request_id,
    }]}}


def _json_body(request: Request) -> dict:
    try:
        body = request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GoogleAdsError(400, "INVALID_ARGUMENT", "requestError", "UNKNOWN",
                             "Invalid JSON payload received: the body must be a JSON object.")
    return body


def _query_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def _encode_page_token(offset: int, text: str) -> str:
    """Opaque to clients: the next row and the query it belongs to (a token only fits its query)."""
    return base64.urlsafe_b64encode(json.dumps([offset, _query_key(text)]).encode()).decode().rstrip("=")


def _decode_page_token(token: object, text: str) -> int:
    if not token:
        return 0
    try:
        offset, key = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))
        if key == _query_key(text) and isinstance(offset, int) and offset >= 0:
            return offset
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        pass
    raise GoogleAdsError(400, "INVALID_ARGUMENT", "requestError", "INVALID_PAGE_TOKEN", "Invalid page token.")
