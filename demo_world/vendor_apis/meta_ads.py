"""A local Meta Marketing API (Graph API v19.0) serving a demo world's meta_ads/ files.

What a connector meets at Meta, on 127.0.0.1:
- the access token as the `access_token` parameter or `Authorization: Bearer`, and Graph's error
  bodies {"error": {message, type, code, error_subcode, fbtrace_id}} (190 for a bad token);
- `GET /v19.0/act_{id}` and `GET /v19.0/act_{id}/campaigns?fields=...`, cursor-paged with
  `paging.cursors.before/after` and a `next` link on every page but the last (the link leaves the
  token out: this API never echoes a secret, so clients send it again);
- insights at campaign or account level, daily (`time_increment=1`), monthly or over the whole
  range, for a `time_range` or `date_preset`: synchronously with `GET .../insights`, or as an async
  report run (`POST .../insights` -> report_run_id, `GET /{id}` until async_status is
  "Job Completed", then `GET /{id}/insights`), values as Meta sends them (numbers as strings,
  `actions` listing the action types that happened);
- the `X-Business-Use-Case-Usage` header (and `x-fb-ads-insights-throttle` on insights) counting
  calls against `calls_per_hour`.
Money stays in the account's currency (EUR) as `spend` text. Days, restatements and faults: see
ad_days.py and base.py.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import random
import re
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pandas as pd

from demo_world.vendor_apis.ad_days import AdCalendar, AdDaysMixin, DailyTable, to_date
from demo_world.vendor_apis.base import Request, Response, VendorApi
from demo_world.world import read_manifest

GRAPH_VERSION = "v19.0"
DEFAULT_LIMIT, MAX_LIMIT = 25, 5000
_PATH = re.compile(r"^/(v\d+\.\d+)/(.+?)/?$")
CAMPAIGN_FIELDS = ("id", "name", "objective", "status", "effective_status", "configured_status", "start_time",
                   "stop_time", "account_id")
ACCOUNT_FIELDS = ("id", "account_id", "currency", "timezone_name")
INSIGHT_FIELDS = ("account_id", "account_currency", "campaign_id", "campaign_name", "spend", "impressions", "clicks",
                  "actions", "ctr", "cpc", "cpm", "date_start", "date_stop")
DEFAULT_INSIGHT_FIELDS = ("impressions", "spend")
DATE_PRESETS = ("today", "yesterday", "last_3d", "last_7d", "last_14d", "last_28d", "last_30d", "last_90d",
                "this_month", "last_month", "maximum")
IGNORED_INSIGHT_PARAMS = ("action_breakdowns", "action_attribution_windows", "use_account_attribution_setting",
                          "use_unified_attribution_setting", "action_report_time")
OBJECT_MISSING = ("Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to "
                  "missing permissions, or does not support this operation. Please read the Graph API "
                  "documentation at https://developers.facebook.com/docs/graph-api")


class GraphError(Exception):
    def __init__(self, message: str, code: int, error_type: str = "OAuthException", subcode: int | None = None,
                 http: int = 400):
        super().__init__(message)
        self.message, self.code, self.error_type, self.subcode, self.http = message, code, error_type, subcode, http


def _param_error(message: str) -> GraphError:
    return GraphError(f"(#100) {message}", 100)


# ----- the world's meta_ads/ files --------------------------------------------------------------------


@dataclass
class MetaAdsData:
    account_id: str  # numeric, without "act_"
    currency: str
    campaigns: list[dict]  # as the world lists them
    calendar: AdCalendar
    insights: DailyTable  # date, campaign_id, campaign_name, spend_cents, impressions, clicks, leads

    @classmethod
    def load(cls, world_dir: str | Path) -> MetaAdsData:
        folder = Path(world_dir) / "meta_ads"
        manifest = read_manifest(world_dir)
        calendar = AdCalendar(to_date(manifest["window_start"]), to_date(manifest["as_of"]))
        campaigns = pd.read_parquet(folder / "campaigns.parquet")
        raw = pd.read_parquet(folder / "insights_daily.parquet")
        account_id = str(raw["account_id"].iloc[0] if len(raw) else campaigns["account_id"].iloc[0])
        currency = str(raw["account_currency"].iloc[0]) if len(raw) else "EUR"
        # Money as whole cents so restatements and sums stay exact; Meta's text comes back on the way out.
        daily = pd.DataFrame({
            "date": raw["date_start"].astype(str),
            "campaign_id": raw["campaign_id"].astype(str),
            "campaign_name": raw["campaign_name"].astype(str),
            "spend_cents": (raw["spend"].astype(float) * 100).round().astype("int64"),
            "impressions": raw["impressions"].astype("int64"),
            "clicks": raw["clicks"].astype("int64"),
            "leads": [_action_value(actions, "lead") for actions in raw["actions"]],
        })
        daily["leads"] = daily["leads"].astype("int64")
        records = campaigns.to_dict("records")
        return cls(account_id.removeprefix("act_"), currency, records, calendar, DailyTable(daily, "date", calendar))


def _action_value(actions, action_type: str) -> int:
    for action in actions if actions is not None else []:
        if action["action_type"] == action_type:
            return int(float(action["value"]))
    return 0


def _money(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _ratio(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


# ----- insights requests --------------------------------------------------------------------------------


@dataclass
class InsightsQuery:
    level: str  # account or campaign
    increment: str  # "1" (daily), "monthly" or "all_days"
    since: dt.date
    until: dt.date
    fields: list[str]
    campaign_ids: set[str] | None  # from `filtering` on campaign.id


def parse_insights_query(params: dict[str, str], calendar: AdCalendar) -> InsightsQuery:
    """Reads Meta's insights parameters; raises GraphError (#100) for what Meta would refuse."""
    level = params.get("level", "account")
    if level not in ("account", "campaign"):
        raise _param_error(f"level must be one of: account, campaign (the local API has no {level} level)")
    increment = params.get("time_increment", "all_days")
    if increment not in ("1", "monthly", "all_days"):
        raise _param_error("time_increment must be 1, monthly or all_days")
    if params.get("breakdowns"):
        raise _param_error("breakdowns are not served by the local API")
    if params.get("time_ranges"):
        raise _param_error("time_ranges is not served by the local API; ask for one time_range")
    since, until = _time_range(params, calendar)
    fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()] or list(DEFAULT_INSIGHT_FIELDS)
    for name in fields:
        if name not in INSIGHT_FIELDS:
            raise _param_error(f"{name} is not valid for fields param. please check "
                               "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all "
                               "valid values")
    return InsightsQuery(level, increment, since, until, fields, _campaign_filter(params.get("filtering")))


def _time_range(params: dict[str, str], calendar: AdCalendar) -> tuple[dt.date, dt.date]:
    text = params.get("time_range")
    if text is None and ("time_range[since]" in params or "time_range[until]" in params):
        text = json.dumps({"since": params.get("time_range[since]"), "until": params.get("time_range[until]")})
    if text is not None:
        try:
            span = json.loads(text)
            since, until = dt.date.fromisoformat(span["since"]), dt.date.fromisoformat(span["until"])
        except (ValueError, TypeError, KeyError):
            raise _param_error("Param time_range must be a JSON object with since and until dates "
                               "(YYYY-MM-DD)") from None
        if since > until:
            raise _param_error("time_range: since must not be after until")
        return since, until
    return _preset(params.get("date_preset", "last_30d"), calendar)


def _preset(name: str, calendar: AdCalendar) -> tuple[dt.date, dt.date]:
    today = calendar.today
    yesterday = today - dt.timedelta(days=1)
    if name not in DATE_PRESETS:
        raise _param_error(f"date_preset must be one of the following values: {', '.join(DATE_PRESETS)}")
    if name == "today":
        return today, today
    if name == "yesterday":
        return yesterday, yesterday
    if name == "maximum":
        return calendar.first_day, yesterday
    first = today.replace(day=1)
    if name == "this_month":
        return first, today
    if name == "last_month":
        end = first - dt.timedelta(days=1)
        return end.replace(day=1), end
    days = int(name[len("last_"):-1])
    return today - dt.timedelta(days=days), yesterday


def _campaign_filter(text: str | None) -> set[str] | None:
    if not text:
        return None
    try:
        rules = json.loads(text)
        ids: set[str] | None = None
        for rule in rules:
            if rule["field"] not in ("campaign.id", "campaign_id") or rule["operator"] not in ("IN", "EQUAL"):
                raise ValueError(rule["field"])
            values = rule["value"] if isinstance(rule["value"], list) else [rule["value"]]
            wanted = {str(v) for v in values}
            ids = wanted if ids is None else ids & wanted
        return ids
    except (ValueError, TypeError, KeyError):
        raise _param_error("filtering: the local API filters on campaign.id with IN or EQUAL only") from None


def insights_frame(table: DailyTable, query: InsightsQuery) -> pd.DataFrame:
    """The insights rows a query asks for, before they are written out as Meta's JSON."""
    frame = table.visible(query.since, query.until)
    if query.campaign_ids is not None:
        frame = frame[frame["campaign_id"].isin(query.campaign_ids)]
    frame = frame.assign(date_start=frame["date"], date_stop=frame["date"])
    if query.increment == "monthly":
        month = frame["date"].str[:7]
        frame = frame.assign(date_start=[max(f"{m}-01", query.since.isoformat()) for m in month],
                             date_stop=[min(_month_end(m), query.until.isoformat()) for m in month])
    elif query.increment == "all_days":
        frame = frame.assign(date_start=query.since.isoformat(), date_stop=query.until.isoformat())
    keys = ["date_start", "date_stop"] + (["campaign_id", "campaign_name"] if query.level == "campaign" else [])
    metrics = ["spend_cents", "impressions", "clicks", "leads"]
    if query.increment == "1" and query.level == "campaign":
        return frame[[*keys, *metrics]].reset_index(drop=True)
    return frame.groupby(keys, sort=True, as_index=False)[metrics].sum()


def _month_end(month: str) -> str:
    first = dt.date.fromisoformat(f"{month}-01")
    return ((first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)).isoformat()


def render_insights(frame: pd.DataFrame, fields: list[str], account_id: str, currency: str) -> list[dict]:
    """Rows as Meta writes them: numbers as strings, actions that happened, the dates last."""
    rows = []
    for record in frame.to_dict("records"):
        spend, impressions, clicks = int(record["spend_cents"]), int(record["impressions"]), int(record["clicks"])
        values = {
            "account_id": account_id, "account_currency": currency,
            "campaign_id": record.get("campaign_id"), "campaign_name": record.get("campaign_name"),
            "spend": _money(spend), "impressions": str(impressions), "clicks": str(clicks),
            "ctr": _ratio(clicks / impressions * 100) if impressions else None,
            "cpc": _ratio(spend / 100 / clicks) if clicks else None,
            "cpm": _ratio(spend / 100 / impressions * 1000) if impressions else None,
        }
        actions = [{"action_type": kind, "value": str(count)}
                   for kind, count in (("link_click", clicks), ("lead", int(record["leads"]))) if count]
        row: dict = {}
        for name in fields:
            if name == "actions":
                if actions:
                    row["actions"] = actions
            elif name not in ("date_start", "date_stop") and values.get(name) is not None:
                row[name] = values[name]
        row["date_start"], row["date_stop"] = record["date_start"], record["date_stop"]
        rows.append(row)
    return rows


# ----- async report runs -----------------------------------------------------------------------------


@dataclass
class ReportRun:
    id: str
    query: InsightsQuery
    time_ref: int
    will_fail: bool
    polls: int = 0
    status: str = "Job Not Started"
    percent: int = 0
    time_completed: int | None = None
    result: pd.DataFrame | None = None  # the rows as of completion


# ----- the HTTP API ----------------------------------------------------------------------------------


class MetaAdsApi(AdDaysMixin, VendorApi):
    """Answers Graph API requests from a world's meta_ads/ files (see module docstring)."""

    RESTATED = {"spend_cents": 1, "impressions": 1, "clicks": 1, "leads": 1}

    def __init__(self, data: MetaAdsData, access_token: str, seed: int = 0):
        super().__init__(seed)
        self.data = data
        self.calendar = data.calendar
        self.daily = data.insights
        self.account_id = data.account_id
        self.currency = data.currency
        self._access_token = access_token
        self._rng = random.Random(f"{seed}:meta-ads")
        self.polls_to_complete = 2  # status polls until an async report run is "Job Completed"
        self.calls_per_hour = 1000  # what X-Business-Use-Case-Usage measures call_count against
        self._reports: dict[str, ReportRun] = {}
        self._failing_reports = 0
        self._calls: dict[str, deque[float]] = {"ads_management": deque(), "ads_insights": deque()}

    @classmethod
    def from_world(cls, world_dir: str | Path, access_token: str, seed: int = 0) -> MetaAdsApi:
        return cls(MetaAdsData.load(world_dir), access_token, seed)

    # ----- helpers for tests ---------------------------------------------------------------------

    def served_rows(self, since: dt.date | str | None = None, until: dt.date | str | None = None) -> pd.DataFrame:
        """The campaign-day rows served now: campaign_id, date, spend (EUR text), impressions, clicks, leads."""
        with self._lock:
            frame = self.daily.visible(since, until)
            return pd.DataFrame({
                "campaign_id": frame["campaign_id"].to_numpy(), "date": frame["date"].to_numpy(),
                "spend": [_money(int(c)) for c in frame["spend_cents"]],
                "impressions": frame["impressions"].to_numpy(), "clicks": frame["clicks"].to_numpy(),
                "leads": frame["leads"].to_numpy(),
            })

    def fail_next_reports(self, count: int = 1) -> None:
        """The next `count` async report runs end as "Job Failed"."""
        with self._lock:
            self._failing_reports += count

    def throttle_reply(self) -> tuple[int, dict]:
        """Meta's reply when an ad account is throttled, for `api.faults.fail_next(status, body=body)`."""
        return 400, self._error_body(GraphError(
            "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more info, "
            "please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-insights.",
            80000, subcode=2446079), transient=True)

    # ----- HTTP ----------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        params = {k: v[0] for k, v in request.query.items()}
        if request.method == "POST" and request.body:
            params.update({k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()})
        headers: dict[str, str] = {}
        try:
            match = _PATH.match(request.path)
            if match is None:
                raise GraphError(f"Unknown path components: {request.path}", 2500)
            self._authorize(request, params)
            parts = match.group(2).split("/")
            kind = "ads_insights" if parts[-1] == "insights" or parts[0].isdigit() else "ads_management"
            headers = self._usage_headers(kind)  # counted once authorized, failed or not
            return Response(200, self._route(request, parts, params), headers)
        except GraphError as exc:
            return Response(exc.http, self._error_body(exc), headers)

    def _route(self, request: Request, parts: list[str], params: dict[str, str]) -> dict:
        node, edge = parts[0], "/".join(parts[1:])
        if node.startswith("act_"):
            if node != f"act_{self.account_id}":
                raise GraphError(OBJECT_MISSING.format(method=request.method.lower(), id=node), 100,
                                 "GraphMethodException", 33)
            if edge == "" and request.method == "GET":
                return self._account(params)
            if edge == "campaigns" and request.method == "GET":
                return self._campaigns(request, params)
            if edge == "insights" and request.method == "GET":
                query = parse_insights_query(params, self.calendar)
                return self._page(request, insights_frame(self.daily, query), query.fields, params)
            if edge == "insights" and request.method == "POST":
                return self._start_report(params)
        elif node in self._reports and request.method == "GET":
            if edge == "":
                return self._report_status(self._reports[node])
            if edge == "insights":
                return self._report_results(request, self._reports[node], params)
        elif node.isdigit() and request.method == "GET":
            raise GraphError(OBJECT_MISSING.format(method="get", id=node), 100, "GraphMethodException", 33)
        raise GraphError(f"Unknown path components: /{edge or node}", 2500)

    def _authorize(self, request: Request, params: dict[str, str]) -> None:
        token = params.get("access_token")
        scheme, _, header_token = request.headers.get("authorization", "").partition(" ")
        if token is None and scheme.lower() in ("bearer", "oauth"):
            token = header_token.strip()
        if not token:
            raise GraphError("An access token is required to request this resource.", 104)
        if not hmac.compare_digest(token.encode(), self._access_token.encode()):
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190)

    def _account(self, params: dict[str, str]) -> dict:
        fields = _fields(params, ACCOUNT_FIELDS, ("id",), "AdAccount")
        values = {"id": f"act_{self.account_id}", "account_id": self.account_id, "currency": self.currency,
                  "timezone_name": "Etc/UTC"}
        return {name: values[name] for name in fields}

    def _campaigns(self, request: Request, params: dict[str, str]) -> dict:
        fields = _fields(params, CAMPAIGN_FIELDS, ("id",), "Campaign")
        statuses = _json_list(params.get("effective_status"), "effective_status")
        rows = []
        for campaign in self.data.campaigns:
            if statuses is not None and campaign["status"] not in statuses:
                continue
            values = {**campaign, "account_id": self.account_id, "effective_status": campaign["status"],
                      "configured_status": campaign["status"]}
            rows.append({name: values[name] for name in fields})
        return self._page_rows(request, rows, params)

    def _page(self, request: Request, frame: pd.DataFrame, fields: list[str], params: dict[str, str]) -> dict:
        """One page of an insights result: only that page's rows are written out."""
        start, stop = _window(params, len(frame))
        rows = render_insights(frame.iloc[start:stop], fields, self.account_id, self.currency)
        return self._paged(request, rows, start, stop, len(frame), params)

    def _page_rows(self, request: Request, rows: list[dict], params: dict[str, str]) -> dict:
        start, stop = _window(params, len(rows))
        return self._paged(request, rows[start:stop], start, stop, len(rows), params)

    def _paged(self, request: Request, page: list[dict], start: int, stop: int, total: int,
               params: dict[str, str]) -> dict:
        if not page:
            return {"data": []}
        paging: dict = {"cursors": {"before": _cursor(start), "after": _cursor(stop - 1)}}
        # The links repeat the request without its token: a secret is never written back.
        kept = {k: v for k, v in params.items() if k not in ("access_token", "after", "before")}
        base = f"http://{request.headers.get('host', '127.0.0.1')}{request.path}"
        if start > 0:
            paging["previous"] = f"{base}?{urlencode({**kept, 'before': _cursor(start)})}"
        if stop < total:
            paging["next"] = f"{base}?{urlencode({**kept, 'after': _cursor(stop - 1)})}"
        return {"data": page, "paging": paging}

    # ----- async report runs -----------------------------------------------------------------------------

    def _start_report(self, params: dict[str, str]) -> dict:
        query = parse_insights_query(params, self.calendar)  # bad parameters fail now, as at Meta
        report_id = str(self._rng.randrange(10**15, 10**16))
        will_fail = self._failing_reports > 0
        self._failing_reports -= int(will_fail)
        self._reports[report_id] = ReportRun(report_id, query, int(time.time()), will_fail)
        return {"report_run_id": report_id}

    def _report_status(self, run: ReportRun) -> dict:
        run.polls += 1
        if run.status not in ("Job Completed", "Job Failed"):
            if run.polls >= self.polls_to_complete:
                run.time_completed = int(time.time())
                if run.will_fail:
                    run.status, run.percent = "Job Failed", 0
                else:
                    run.status, run.percent = "Job Completed", 100
                    run.result = insights_frame(self.daily, run.query).copy()
            elif run.polls == 1 and self.polls_to_complete > 2:
                run.status, run.percent = "Job Not Started", 0
            else:
                run.status, run.percent = "Job Running", int(100 * run.polls / self.polls_to_complete)
        reply = {"id": run.id, "account_id": self.account_id, "time_ref": run.time_ref,
                 "async_status": run.status, "async_percent_completion": run.percent,
                 "date_start": run.query.since.isoformat(), "date_stop": run.query.until.isoformat(),
                 "is_running": run.status in ("Job Not Started", "Job Running")}
        if run.time_completed is not None:
            reply["time_completed"] = run.time_completed
        return reply

    def _report_results(self, request: Request, run: ReportRun, params: dict[str, str]) -> dict:
        if run.status == "Job Failed":
            raise GraphError("Error accessing adreport job.", 2601)
        if run.result is None:
            raise _param_error(f"The report run {run.id} has not completed yet (async_status: {run.status}); poll "
                               f"/{run.id} until it is Job Completed")
        return self._page(request, run.result, run.query.fields, params)

    # ----- replies ---------------------------------------------------------------------------------------

    def _usage_headers(self, kind: str) -> dict[str, str]:
        """Meta's business use case usage: percent of the hourly allowance used, per use case."""
        now = time.monotonic()
        calls = self._calls[kind]
        calls.append(now)
        while calls and calls[0] <= now - 3600:
            calls.popleft()
        used = min(100, round(100 * len(calls) / self.calls_per_hour))
        usage = {"type": kind, "call_count": used, "total_cputime": used, "total_time": used,
                 "estimated_time_to_regain_access": 0 if used < 100 else 60, "ads_api_access_tier": "standard_access"}
        headers = {"X-Business-Use-Case-Usage": json.dumps({self.account_id: [usage]})}
        if kind == "ads_insights":
            headers["x-fb-ads-insights-throttle"] = json.dumps({"app_id_util_pct": 0, "acc_id_util_pct": used,
                                                                "ads_api_access_tier": "standard_access"})
        return headers

    def _error_body(self, exc: GraphError, transient: bool = False) -> dict:
        error: dict = {"message": exc.message, "type": exc.error_type, "code": exc.code}
        if exc.subcode is not None:
            error["error_subcode"] = exc.subcode
        if transient:
            error["is_transient"] = True
        error["fbtrace_id"] = "".join(self._rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                        "0123456789_-", k=23))
        return {"error": error}


# ----- parameter helpers -------------------------------------------------------------------------------


def _fields(params: dict[str, str], allowed: tuple[str, ...], default: tuple[str, ...], node_type: str) -> list[str]:
    fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()] or list(default)
    for name in fields:
        if name not in allowed:
            raise _param_error(f"Tried accessing nonexisting field ({name}) on node type ({node_type})")
    return list(dict.fromkeys(fields))


def _json_list(text: str | None, name: str) -> set[str] | None:
    if not text:
        return None
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, list):
        raise _param_error(f"Param {name} must be a JSON array")
    return {str(v) for v in values}


def _limit(params: dict[str, str]) -> int:
    text = params.get("limit")
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isdigit() or int(text) < 1:
        raise _param_error("Param limit must be a positive integer")
    return min(int(text), MAX_LIMIT)


def _window(params: dict[str, str], total: int) -> tuple[int, int]:
    """Rows [start, stop) of the page an after/before cursor and limit ask for."""
    limit = _limit(params)
    if params.get("after"):
        start = _position(params["after"]) + 1
        return start, min(start + limit, total)
    if params.get("before"):
        stop = min(_position(params["before"]), total)
        return max(0, stop - limit), stop
    return 0, min(limit, total)


def _cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def _position(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if text.startswith("cursor:") and text[7:].isdigit():
            return int(text[7:])
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise _param_error("The cursor is invalid; pass the one the previous page gave")
