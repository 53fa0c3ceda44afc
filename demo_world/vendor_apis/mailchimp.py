"""A local Mailchimp Marketing API (v3.0) serving a demo world's email platform.

`MailchimpApi.from_world(world_dir, api_key)` loads the world's mailchimp/ files (see
mailchimp_data.py); `LocalApiServer(api)` serves it. What a connector meets, as on Mailchimp:
- HTTP Basic auth (any user name, the API key as password) or `Authorization: Bearer <key>`;
- GET /3.0/lists, /lists/{id}, /lists/{id}/members (+ /{subscriber_hash}), /lists/{id}/merge-fields,
  /campaigns, /campaigns/{id}, /reports/{id}/email-activity, /reports/{id}/sent-to and
  /reports/{id}/unsubscribed, paged by `count` (default 10, at most 1000) and `offset`, with
  `total_items`, the `since_*`/`before_*` filters, and `fields` / `exclude_fields` (dot notation);
- errors as `application/problem+json` (type, title, status, detail, instance), injected faults
  included; 429 past 10 simultaneous requests, or past `api.requests_per_second` when set.
Tests change the account through `update_member`, `add_member`, `unsubscribe`, `add_activity`,
`send_campaign` and `add_member_field`, stamped with the clock `api.now`, which starts at the world's
as-of date and moves only when set or `advance()`d. `served_ids` and the counts say what is served.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from demo_world.render.mailchimp import SITE
from demo_world.vendor_apis.base import FaultPlan, Request, Response, VendorApi
from demo_world.vendor_apis.mailchimp_data import (
    ADMIN_UNSUBSCRIBE,
    EVENT_ACTIONS,
    MEMBER_STATUSES,
    Campaign,
    CampaignActivity,
    Event,
    MailchimpData,
    Member,
    Unsubscribe,
    mc_time,
    parse_time,
    subscriber_hash,
    web_id,
)
from demo_world.world import read_manifest

ERROR_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"
PROBLEM_JSON = "application/problem+json; charset=utf-8"
TITLES = {400: "Invalid Resource", 401: "API Key Invalid", 403: "Forbidden", 404: "Resource Not Found",
          405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error",
          502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
AUTH_DETAIL = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
NOT_FOUND_DETAIL = "The requested resource could not be found."
INVALID_DETAIL = "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
CAMPAIGN_STATUSES = ("save", "paused", "schedule", "sending", "sent", "canceled", "canceling", "archived")
LIST_CONTACT = {"company": "Tallyhouse", "address1": "1 Harbour Street", "address2": "", "city": "Portland",
                "state": "OR", "zip": "97204", "country": "US", "phone": ""}
FROM_NAME, FROM_EMAIL = "Tallyhouse", "newsletter@tallyhouse.example"


class ApiError(Exception):
    def __init__(self, status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}


def problem(status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    """An error reply in Mailchimp's shape (RFC 7807 problem details)."""
    body: dict = {"type": ERROR_DOC, "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
                  "instance": str(uuid.uuid4())}
    if errors:
        body["errors"] = errors
    return Response(status, body, {"Content-Type": PROBLEM_JSON, **(headers or {})})


class _ProblemFaults(FaultPlan):
    """Injected faults answer in problem+json too, as Mailchimp's own errors do (bodies given by a test stay)."""

    def before(self, request: Request) -> Response | None:
        response = super().before(request)
        if response is not None and isinstance(response.body, dict) and set(response.body) == {"message"}:
            return problem(response.status, response.body["message"], headers=response.headers)
        return response


class MailchimpApi(VendorApi):
    MAX_COUNT = 1000
    DEFAULT_COUNT = 10
    VIEW_CACHE_SIZE = 64

    def __init__(self, data: MailchimpData, api_key: str, seed: int = 0, now: dt.datetime | None = None):
        super().__init__(seed)
        if not api_key:
            raise ValueError("an API key is required (Mailchimp's look like <32 hex digits>-us21)")
        self.faults = _ProblemFaults(seed)
        self.data = data
        self._api_key = api_key
        self._now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        self.requests_per_second: float | None = None  # set to enforce a rate (429 when exceeded)
        self.max_simultaneous: int | None = 10  # Mailchimp's limit on connections open at once
        self._rate_lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._in_flight = 0
        # Filtered id lists by query and data version: later pages of the same query are slices.
        self._views: OrderedDict[tuple, list] = OrderedDict()
        self._routes: list[tuple[re.Pattern, Callable[..., Response]]] = [
            (re.compile(r"/3\.0/ping"), self._ping),
            (re.compile(r"/3\.0/lists"), self._lists),
            (re.compile(r"/3\.0/lists/(\w+)"), self._list),
            (re.compile(r"/3\.0/lists/(\w+)/members"), self._members),
            (re.compile(r"/3\.0/lists/(\w+)/members/([^/]+)"), self._member),
            (re.compile(r"/3\.0/lists/(\w+)/merge-fields"), self._merge_fields),
            (re.compile(r"/3\.0/campaigns"), self._campaigns),
            (re.compile(r"/3\.0/campaigns/(\w+)"), self._campaign),
            (re.compile(r"/3\.0/reports/(\w+)/email-activity"), self._email_activity),
            (re.compile(r"/3\.0/reports/(\w+)/sent-to"), self._sent_to),
            (re.compile(r"/3\.0/reports/(\w+)/unsubscribed"), self._unsubscribed),
        ]

    @classmethod
    def from_world(cls, world_dir: str | Path, api_key: str, seed: int = 0) -> MailchimpApi:
        as_of = dt.datetime.fromisoformat(read_manifest(world_dir)["as_of"])
        return cls(MailchimpData.load(world_dir, seed), api_key, seed, now=as_of)

    # ----- clock -------------------------------------------------------------------------------

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

    def _stamp(self) -> str:
        return mc_time(self._now)

    @property
    def in_flight(self) -> int:
        """Requests being answered (or waiting their turn) right now: what `max_simultaneous` limits."""
        return self._in_flight

    # ----- HTTP --------------------------------------------------------------------------------

    def respond(self, request: Request) -> tuple[Response, bytes]:
        """Enforces the simultaneous-request and per-second limits before answering."""
        now = time.monotonic()
        with self._rate_lock:
            self._recent.append(now)
            while self._recent[0] <= now - 1:
                self._recent.popleft()
            if self.max_simultaneous is not None and self._in_flight >= self.max_simultaneous:
                limited = f"You have exceeded the limit of {self.max_simultaneous} simultaneous connections."
            elif self.requests_per_second is not None and len(self._recent) > self.requests_per_second:
                limited = f"You have exceeded the limit of {self.requests_per_second:g} requests per second."
            else:
                limited = None
                self._in_flight += 1
        if limited is not None:
            response = problem(429, limited, headers={"Retry-After": "1"})
            return response, response.encoded()
        try:
            return super().respond(request)
        finally:
            with self._rate_lock:
                self._in_flight -= 1

    def handle(self, request: Request) -> Response:
        if not self._authorized(request):
            return problem(401, AUTH_DETAIL)
        path = request.path.rstrip("/")
        for pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if request.method != "GET":
                return problem(405, "The requested method and resource are not compatible. See the Allow header "
                                    "for this resource's available methods.", headers={"Allow": "GET"})
            try:
                return handler(request, *(unquote(g) for g in match.groups()))
            except ApiError as exc:
                return problem(exc.status, exc.detail, exc.errors, exc.headers)
            except Exception as exc:  # a bug in the fake should look like a vendor 500, loudly
                return problem(500, f"internal error: {type(exc).__name__}: {exc}")
        return problem(404, NOT_FOUND_DETAIL)

    def _authorized(self, request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":  # any user name, the key as password
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            _, colon, key = decoded.partition(":")
            if not colon:
                return False
        elif scheme.lower() == "bearer":
            key = credentials.strip()
        else:
            return False
        return hmac.compare_digest(key.encode(), self._api_key.encode())

    def _reply(self, request: Request, body: dict) -> Response:
        return Response(200, select_fields(body, _csv(request, "fields"), _csv(request, "exclude_fields")))

    def _view(self, key: tuple, build: Callable[[], list]) -> list:
        """A filtered list, built once per query and data version."""
        key = (*key, self.data.version)
        if key in self._views:
            self._views.move_to_end(key)
            return self._views[key]
        view = self._views[key] = build()
        if len(self._views) > self.VIEW_CACHE_SIZE:
            self._views.popitem(last=False)
        return view

    def _page(self, request: Request, rows: list) -> list:
        count = _int_param(request, "count", self.DEFAULT_COUNT)
        if count > self.MAX_COUNT:
            raise ApiError(400, INVALID_DETAIL, [{"field": "count", "message": "Count must be 1000 or less."}])
        offset = _int_param(request, "offset", 0)
        return rows[offset:offset + count]

    # ----- lists and members -------------------------------------------------------------------

    def _ping(self, request: Request) -> Response:
        return Response(200, {"health_status": "Everything's Chimpy!"})

    def _lists(self, request: Request) -> Response:
        lists = self.data.lists
        return self._reply(request, {"lists": [self._list_json(lst) for lst in self._page(request, lists)],
                                     "total_items": len(lists),
                                     "constraints": {"may_create": True, "max_instances": 1,
                                                     "current_total_instances": len(lists)}})

    def _list(self, request: Request, list_id: str) -> Response:
        return self._reply(request, self._list_json(self._find_list(list_id)))

    def _members(self, request: Request, list_id: str) -> Response:
        self._find_list(list_id)
        status = request.param("status") or None
        if status is not None and status not in MEMBER_STATUSES:
            raise ApiError(400, INVALID_DETAIL, [{"field": "status", "message": f"Invalid status {status!r}"}])
        since, before = _time_param(request, "since_last_changed"), _time_param(request, "before_last_changed")
        since_opt = _time_param(request, "since_timestamp_opt")
        before_opt = _time_param(request, "before_timestamp_opt")

        def build() -> list[str]:
            members = self.data.members
            ids = [i for i in self.data.member_ids(since, before) if members[i].list_id == list_id]
            if status is not None:
                ids = [i for i in ids if members[i].status == status]
            if since_opt or before_opt:
                ids = [i for i in ids if (not since_opt or members[i].timestamp_opt > since_opt)
                       and (not before_opt or members[i].timestamp_opt < before_opt)]
            return ids

        ids = self._view(("members", list_id, status, since, before, since_opt, before_opt), build)
        return self._reply(request, {"members": [self._member_json(self.data.members[i])
                                                 for i in self._page(request, ids)],
                                     "list_id": list_id, "total_items": len(ids)})

    def _member(self, request: Request, list_id: str, key: str) -> Response:
        self._find_list(list_id)
        member = self.data.members.get(subscriber_hash(key) if "@" in key else key.lower())
        if member is None or member.list_id != list_id:
            raise ApiError(404, NOT_FOUND_DETAIL)
        return self._reply(request, self._member_json(member))

    def _merge_fields(self, request: Request, list_id: str) -> Response:
        self._find_list(list_id)
        fields = [{"merge_id": n + 1, "tag": tag, "name": tag.title(), "type": "text", "required": False,
                   "default_value": default, "public": True, "display_order": n + 2, "options": {"size": 25},
                   "help_text": "", "list_id": list_id}
                  for n, (tag, default) in enumerate(self.data.merge_fields.items())]
        return self._reply(request, {"merge_fields": self._page(request, fields), "list_id": list_id,
                                     "total_items": len(fields)})

    def _find_list(self, list_id: str) -> dict:
        for lst in self.data.lists:
            if lst["id"] == list_id:
                return lst
        raise ApiError(404, NOT_FOUND_DETAIL)

    def _list_json(self, lst: dict) -> dict:
        stats = self._view(("list_stats", lst["id"]), lambda: [self._list_stats(lst["id"])])[0]
        return {"id": lst["id"], "web_id": web_id(lst["id"]), "name": lst["name"], "contact": LIST_CONTACT,
                "permission_reminder": "You signed up for Tallyhouse news on our website.",
                "use_archive_bar": True, "campaign_defaults": {"from_name": FROM_NAME, "from_email": FROM_EMAIL,
                                                               "subject": "", "language": "en"},
                "notify_on_subscribe": "", "notify_on_unsubscribe": "",
                "date_created": parse_time(lst["date_created"]), "list_rating": 3, "email_type_option": False,
                "subscribe_url_short": f"https://eepurl.com/{lst['id'][:6]}",
                "subscribe_url_long": f"https://tallyhouse.us21.list-manage.com/subscribe?id={lst['id']}",
                "beamer_address": "", "visibility": "pub", "double_optin": False,
                "has_welcome": False, "marketing_permissions": False, "modules": [], "stats": stats}

    def _list_stats(self, list_id: str) -> dict:
        members = [m for m in self.data.members.values() if m.list_id == list_id]
        by_status = {s: sum(1 for m in members if m.status == s) for s in ("subscribed", "unsubscribed", "cleaned")}
        campaigns = [c for c in self.data.campaigns.values() if c.list_id == list_id]
        return {"member_count": by_status["subscribed"], "unsubscribe_count": by_status["unsubscribed"],
                "cleaned_count": by_status["cleaned"], "campaign_count": len(campaigns),
                "campaign_last_sent": max((c.send_time for c in campaigns), default=""),
                "merge_field_count": len(self.data.merge_fields),
                "last_sub_date": max((m.timestamp_opt for m in members if m.status == "subscribed"), default=""),
                "last_unsub_date": max((m.last_changed for m in members if m.status == "unsubscribed"), default="")}

    def _member_json(self, m: Member) -> dict:
        merge = {tag: m.merge_fields.get(tag, default) for tag, default in self.data.merge_fields.items()}
        open_rate = round(m.campaigns_opened / m.campaigns_sent, 4) if m.campaigns_sent else 0
        click_rate = round(m.campaigns_clicked / m.campaigns_sent, 4) if m.campaigns_sent else 0
        out = {
            "id": m.id, "email_address": m.email_address, "unique_email_id": m.unique_email_id,
            "contact_id": hashlib.md5(f"contact:{m.id}".encode()).hexdigest(),
            "full_name": f"{merge.get('FNAME', '')} {merge.get('LNAME', '')}".strip(), "web_id": web_id(m.id),
            "email_type": m.email_type, "status": m.status, "consents_to_one_to_one_messaging": True,
            "merge_fields": merge, "stats": {"avg_open_rate": open_rate, "avg_click_rate": click_rate},
            "ip_signup": "", "timestamp_signup": m.timestamp_signup, "ip_opt": "", "timestamp_opt": m.timestamp_opt,
            "member_rating": min(5, 2 + (m.campaigns_opened > 0) + (m.campaigns_clicked > 0) + (open_rate > 0.5)),
            "last_changed": m.last_changed, "language": m.language, "vip": m.vip, "email_client": "",
            "location": {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "",
                         "timezone": "", "region": ""},
            "source": m.source, "tags_count": 0, "tags": [], "list_id": m.list_id,
        }
        if m.status == "unsubscribed":
            out["unsubscribe_reason"] = m.unsubscribe_reason
        return out

    # ----- campaigns ---------------------------------------------------------------------------

    def _campaigns(self, request: Request) -> Response:
        status, kind, list_id = request.param("status") or None, request.param("type") or None, request.param("list_id")
        if status is not None and status not in CAMPAIGN_STATUSES:
            raise ApiError(400, INVALID_DETAIL, [{"field": "status", "message": f"Invalid status {status!r}"}])
        bounds = {name: _time_param(request, name) for name in (
            "since_send_time", "before_send_time", "since_create_time", "before_create_time")}
        sort_field = request.param("sort_field") or "create_time"
        if sort_field not in ("create_time", "send_time"):
            raise ApiError(400, INVALID_DETAIL, [{"field": "sort_field", "message": "Use create_time or send_time."}])
        descending = (request.param("sort_dir") or "ASC").upper() == "DESC"

        def keep(c: Campaign) -> bool:
            send, create = c.send_time, c.create_time
            return ((status is None or c.status == status) and (kind is None or c.type == kind)
                    and (not list_id or c.list_id == list_id)
                    and (not bounds["since_send_time"] or (send != "" and send > bounds["since_send_time"]))
                    and (not bounds["before_send_time"] or (send != "" and send < bounds["before_send_time"]))
                    and (not bounds["since_create_time"] or create > bounds["since_create_time"])
                    and (not bounds["before_create_time"] or create < bounds["before_create_time"]))

        def build() -> list[Campaign]:
            chosen = [c for c in self.data.campaigns.values() if keep(c)]
            return sorted(chosen, key=lambda c: (getattr(c, sort_field), c.id), reverse=descending)

        key = ("campaigns", status, kind, list_id, *bounds.values(), sort_field, descending)
        campaigns = self._view(key, build)
        return self._reply(request, {"campaigns": [self._campaign_json(c) for c in self._page(request, campaigns)],
                                     "total_items": len(campaigns)})

    def _campaign(self, request: Request, campaign_id: str) -> Response:
        return self._reply(request, self._campaign_json(self._find_campaign(campaign_id)))

    def _find_campaign(self, campaign_id: str) -> Campaign:
        campaign = self.data.campaigns.get(campaign_id)
        if campaign is None:
            raise ApiError(404, NOT_FOUND_DETAIL)
        return campaign

    def _campaign_json(self, c: Campaign) -> dict:
        a = c.activity
        sent = c.emails_sent
        list_name = next((lst["name"] for lst in self.data.lists if lst["id"] == c.list_id), "")
        return {
            "id": c.id, "web_id": c.web_id, "type": c.type, "create_time": c.create_time,
            "archive_url": f"https://mailchi.mp/tallyhouse/{c.id}",
            "long_archive_url": f"https://us21.campaign-archive.com/?u=tallyhouse&id={c.id}",
            "status": c.status, "emails_sent": sent, "send_time": c.send_time, "content_type": "template",
            "needs_block_refresh": False, "resendable": False,
            "recipients": {"list_id": c.list_id, "list_is_active": True, "list_name": list_name,
                           "segment_text": "", "recipient_count": sent},
            "settings": {"subject_line": c.subject_line, "preview_text": "", "title": c.title,
                         "from_name": FROM_NAME, "reply_to": FROM_EMAIL, "use_conversation": False,
                         "to_name": "*|FNAME|*", "folder_id": "", "authenticate": True, "auto_footer": False,
                         "inline_css": False, "auto_tweet": False, "fb_comments": False, "timewarp": False,
                         "template_id": 0, "drag_and_drop": True},
            "tracking": {"opens": True, "html_clicks": True, "text_clicks": False, "goal_tracking": False,
                         "ecomm360": False, "google_analytics": c.google_analytics, "clicktale": ""},
            "report_summary": {"opens": a.opens, "unique_opens": a.openers,
                               "open_rate": round(a.openers / sent, 4) if sent else 0,
                               "clicks": a.clicks, "subscriber_clicks": a.clickers,
                               "click_rate": round(a.clickers / sent, 4) if sent else 0},
            "delivery_status": {"enabled": False},
        }

    # ----- reports -----------------------------------------------------------------------------

    def _email_activity(self, request: Request, campaign_id: str) -> Response:
        campaign = self._find_campaign(campaign_id)
        since = _time_param(request, "since")
        events = campaign.activity.events
        # Recipients are listed only if something happened to them after `since`.
        recipients = self._view(("activity", campaign_id, since), lambda: [
            e for e, held in events.items() if not since or held[-1].timestamp > since])
        emails = []
        for email_id in self._page(request, recipients):
            activity = [_event_json(e, email_id) for e in events[email_id] if not since or e.timestamp > since]
            emails.append({"campaign_id": campaign_id, "list_id": campaign.list_id, "list_is_active": True,
                           "email_id": email_id, "email_address": self._address(email_id), "activity": activity})
        return self._reply(request, {"emails": emails, "campaign_id": campaign_id, "total_items": len(recipients)})

    def _sent_to(self, request: Request, campaign_id: str) -> Response:
        campaign = self._find_campaign(campaign_id)
        activity = campaign.activity
        recipients = self._view(("sent_to", campaign_id), lambda: list(activity.sent))
        rows = []
        for email_id in self._page(request, recipients):
            held = activity.events.get(email_id, [])
            opens = [e.timestamp for e in held if e.action == "open"]
            bounces = {e.bounce_type for e in held if e.action == "bounce"}
            rows.append({"email_id": email_id, "email_address": self._address(email_id),
                         "merge_fields": self._merge_of(email_id), "vip": False,
                         "status": "hard" if "hard" in bounces else "soft" if bounces else "sent",
                         "open_count": len(opens), "last_open": max(opens, default=""), "absplit_group": "",
                         "gmt_offset": 0, "campaign_id": campaign_id, "list_id": campaign.list_id,
                         "list_is_active": True})
        return self._reply(request, {"sent_to": rows, "campaign_id": campaign_id, "total_items": len(recipients)})

    def _unsubscribed(self, request: Request, campaign_id: str) -> Response:
        campaign = self._find_campaign(campaign_id)
        unsubscribes = campaign.activity.unsubscribes
        rows = [{"email_id": u.email_id, "email_address": self._address(u.email_id),
                 "merge_fields": self._merge_of(u.email_id), "vip": False, "timestamp": u.timestamp,
                 "reason": u.reason, "campaign_id": campaign_id, "list_id": campaign.list_id, "list_is_active": True}
                for u in self._page(request, unsubscribes)]
        return self._reply(request, {"unsubscribes": rows, "campaign_id": campaign_id,
                                     "total_items": len(unsubscribes)})

    def _address(self, email_id: str) -> str:
        member = self.data.members.get(email_id)
        return member.email_address if member else ""

    def _merge_of(self, email_id: str) -> dict:
        member = self.data.members.get(email_id)
        held = member.merge_fields if member else {}
        return {tag: held.get(tag, default) for tag, default in self.data.merge_fields.items()}

    # ----- Python-side changes, for tests and the demo -----------------------------------------

    def update_member(self, member_id: str, fields: dict) -> None:
        """Sets member fields (merge fields by tag, or `merge_fields`; status, email_type, source, language,
        vip) and bumps last_changed to the clock."""
        with self._lock:
            member = self._py_member(member_id)
            self._apply(member, fields)
            self.data.touch(member, self._stamp())

    def add_member(self, email: str, fields: dict | None = None) -> str:
        """Adds a subscribed member (opted in now); returns its id, the MD5 of the lower-cased address."""
        with self._lock:
            member_id = subscriber_hash(email)
            if member_id in self.data.members:
                raise ValueError(f"{email} is already a list member")
            now = self._stamp()
            unique_ids = {m.unique_email_id for m in self.data.members.values()}
            member = Member(id=member_id, email_address=email, unique_email_id=self.data.new_hex_id(10, unique_ids),
                            email_type="html", status="subscribed", list_id=self.data.lists[0]["id"], merge_fields={},
                            source="API - Generic", timestamp_signup="", timestamp_opt=now, last_changed=now)
            self._apply(member, fields or {})
            self.data.insert_member(member)
            return member_id

    def unsubscribe(self, member_id: str, campaign_id: str | None = None, reason: str | None = None) -> None:
        """Unsubscribes a member; with a campaign, from that campaign's link (it shows in its report)."""
        with self._lock:
            member = self._py_member(member_id)
            now = self._stamp()
            if campaign_id is not None:
                campaign = self._py_campaign(campaign_id)
                if member_id not in campaign.activity.sent:
                    raise ValueError(f"campaign {campaign_id} was not sent to {member_id}")
                reason = reason or "None given"
                campaign.activity.unsubscribes.append(Unsubscribe(member_id, now, reason))
            member.status = "unsubscribed"
            member.unsubscribe_reason = reason or ADMIN_UNSUBSCRIBE
            self.data.touch(member, now)

    def add_activity(self, campaign_id: str, email_id: str, action: str, timestamp: str | dt.datetime | None = None,
                     url: str | None = None, bounce_type: str = "hard") -> None:
        """A new open, click or bounce (or unsubscribe) by a recipient of a sent campaign, at the clock's time
        unless given. A hard bounce cleans the member, as Mailchimp does."""
        if action == "unsubscribe":
            self.unsubscribe(email_id, campaign_id)
            return
        if action not in EVENT_ACTIONS:
            raise ValueError(f"action must be one of {EVENT_ACTIONS + ('unsubscribe',)}, not {action!r}")
        if action == "bounce" and bounce_type not in ("hard", "soft"):
            raise ValueError(f"bounce_type must be hard or soft, not {bounce_type!r}")
        with self._lock:
            campaign = self._py_campaign(campaign_id)
            member = self._py_member(email_id)
            if email_id not in campaign.activity.sent:
                raise ValueError(f"campaign {campaign_id} was not sent to {email_id}")
            when = parse_time(timestamp) if timestamp is not None else self._stamp()
            if action == "click" and url is None:
                tag = campaign.google_analytics or campaign.id
                url = (f"{SITE}/blog/{tag}?utm_source=mailchimp&utm_medium=email&utm_campaign={tag}"
                       f"&mc_cid={campaign.id}&mc_eid={member.unique_email_id}")
            self.data.add_event(campaign, email_id, Event(when, action, bounce_type if action == "bounce" else None,
                                                          url if action == "click" else None))
            if action == "bounce" and bounce_type == "hard" and member.status != "cleaned":
                member.status = "cleaned"
                self.data.touch(member, self._stamp())

    def send_campaign(self, title: str, subject: str, recipients: list[str]) -> str:
        """A regular campaign created and sent now to subscribed members; returns its id."""
        with self._lock:
            for member_id in recipients:
                if self._py_member(member_id).status != "subscribed":
                    raise ValueError(f"member {member_id} is not subscribed")
            campaign_id = self.data.new_hex_id(10, self.data.campaigns)
            now = self._stamp()
            activity = CampaignActivity(sent=dict.fromkeys(recipients, now))
            tag = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            self.data.add_campaign(Campaign(
                id=campaign_id, web_id=web_id(campaign_id), type="regular", create_time=now, send_time=now,
                status="sent", list_id=self.data.lists[0]["id"], subject_line=subject, title=title,
                google_analytics=tag, activity=activity))
            return campaign_id

    def add_member_field(self, name: str, value_for_all: str = "") -> str:
        """Schema drift: a new merge field (tag upper-cased, as Mailchimp does) on every member; returns the tag.
        last_changed is left alone."""
        tag = name.upper()
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,9}", tag):
            raise ValueError(f"merge field tags are up to 10 letters, digits or _, not {name!r}")
        with self._lock:
            if tag in self.data.merge_fields:
                raise ValueError(f"the list already has a merge field {tag}")
            self.data.merge_fields[tag] = value_for_all
            self.data.version += 1
            return tag

    def served_ids(self, resource: str, campaign_id: str | None = None) -> set[str]:
        """Ids the API lists now: lists, members, campaigns; or, for one campaign, the email ids of its
        email-activity, sent-to or unsubscribed report."""
        with self._lock:
            if resource in ("lists", "members", "campaigns"):
                held = {"lists": [lst["id"] for lst in self.data.lists], "members": self.data.members,
                        "campaigns": self.data.campaigns}[resource]
                return set(held)
            if campaign_id is None:
                raise ValueError(f"{resource!r} is a report: say which campaign")
            activity = self._py_campaign(campaign_id).activity
            if resource == "email-activity":
                return set(activity.events)
            if resource == "sent-to":
                return set(activity.sent)
            if resource == "unsubscribed":
                return {u.email_id for u in activity.unsubscribes}
        raise KeyError(f"unknown resource {resource!r}")

    def member_count(self, status: str | None = None) -> int:
        with self._lock:
            return sum(1 for m in self.data.members.values() if status is None or m.status == status)

    def campaign_count(self) -> int:
        with self._lock:
            return len(self.data.campaigns)

    def activity_counts(self, actions: tuple[str, ...] = EVENT_ACTIONS) -> dict[str, int]:
        """Activity rows per campaign, as the world file counts them (`actions` may include sent, unsubscribe)."""
        with self._lock:
            return {cid: c.activity.row_count(tuple(actions)) for cid, c in self.data.campaigns.items()}

    def _py_member(self, member_id: str) -> Member:
        member = self.data.members.get(member_id)
        if member is None:
            raise KeyError(f"no member {member_id}")
        return member

    def _py_campaign(self, campaign_id: str) -> Campaign:
        campaign = self.data.campaigns.get(campaign_id)
        if campaign is None:
            raise KeyError(f"no campaign {campaign_id}")
        return campaign

    def _apply(self, member: Member, fields: dict) -> None:
        merge = dict(fields.get("merge_fields") or {})
        for key, value in fields.items():
            if key == "merge_fields":
                continue
            if key == key.upper() and key in self.data.merge_fields:  # merge tags are upper case, fields not
                merge[key] = value
            elif key == "status":
                if value not in MEMBER_STATUSES:
                    raise ValueError(f"status must be one of {MEMBER_STATUSES}, not {value!r}")
                if value == "unsubscribed" and member.status != "unsubscribed":
                    member.unsubscribe_reason = ADMIN_UNSUBSCRIBE
                member.status = value
            elif key == "email_type":
                if value not in ("html", "text"):
                    raise ValueError(f"email_type must be html or text, not {value!r}")
                member.email_type = value
            elif key in ("source", "language"):
                setattr(member, key, str(value))
            elif key == "vip":
                member.vip = bool(value)
            elif key in ("email_address", "id"):
                raise ValueError("a new address is a new member (its id is the address's MD5): use add_member")
            else:
                raise ValueError(f"unknown member field {key!r} (add merge fields with add_member_field)")
        for tag, value in merge.items():
            tag = tag.upper()
            if tag not in self.data.merge_fields:
                raise ValueError(f"no merge field {tag} (add it with add_member_field)")
            if value is None or value == "":
                member.merge_fields.pop(tag, None)
            else:
                member.merge_fields[tag] = str(value)


# ----- request parsing and shaping -----------------------------------------------------------------


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.param(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ApiError(400, INVALID_DETAIL, [{"field": name, "message": f"{name} must be a non-negative integer"}])
    return value


def _time_param(request: Request, name: str) -> str | None:
    raw = request.param(name)
    if not raw:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise ApiError(400, INVALID_DETAIL, [{"field": name, "message": "Use ISO 8601 time format, e.g. "
                                                                        "2015-10-21T15:41:36+00:00."}]) from None


def _csv(request: Request, name: str) -> list[str] | None:
    names = [p.strip() for v in request.query.get(name, []) for p in v.split(",") if p.strip()]
    return names or None


def _event_json(event: Event, email_id: str) -> dict:
    out: dict = {"action": event.action, "timestamp": event.timestamp}
    if event.action == "bounce":
        out["type"] = event.bounce_type
    if event.action == "click":
        out["url"] = event.url
    # One documentation-range address per recipient: the world records no IPs.
    out["ip"] = "" if event.action == "bounce" else f"198.51.100.{int(email_id[:2], 16) % 254 + 1}"
    return out


def _path_tree(paths: list[str]) -> dict:
    """Dot paths as a tree; True marks a path taken whole."""
    tree: dict = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for i, part in enumerate(parts):
            if node.get(part) is True:
                break
            if i == len(parts) - 1:
                node[part] = True
            else:
                node = node.setdefault(part, {})
    return tree


def select_fields(body: object, fields: list[str] | None, exclude: list[str] | None) -> object:
    """Applies Mailchimp's `fields` and `exclude_fields` (dot notation, through lists) to a reply body."""
    if fields:
        body = _keep(body, _path_tree(fields))
    if exclude:
        body = _drop(body, _path_tree(exclude))
    return body


def _keep(node: object, tree: dict | bool) -> object:
    if tree is True:
        return node
    if isinstance(node, list):
        return [_keep(item, tree) for item in node]
    if isinstance(node, dict):
        return {k: _keep(v, tree[k]) for k, v in node.items() if k in tree}  # type: ignore[index]
    return node


def _drop(node: object, tree: dict) -> object:
    if isinstance(node, list):
        return [_drop(item, tree) for item in node]
    if isinstance(node, dict):
        return {k: (v if k not in tree else _drop(v, tree[k])) for k, v in node.items() if tree.get(k) is not True}
    return node
