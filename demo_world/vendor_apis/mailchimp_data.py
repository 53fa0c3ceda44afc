"""The in-memory email platform behind the local Mailchimp API: a world's mailchimp/*.parquet, indexed.

Members are kept by id with one sorted index of (last_changed, id), so a page of members (all of
them, or those changed since a date) is a bisect and a slice. Activity is grouped by campaign and,
within a campaign, by recipient, so an email-activity, sent-to or unsubscribed page touches only
that campaign's rows. Timestamps are held as Mailchimp writes them, `2025-01-15T22:41:09+00:00`
(UTC, whole seconds; "" when there is none): in that one fixed-width form, comparing strings
compares instants, which keeps date filters cheap.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

EVENT_ACTIONS = ("open", "click", "bounce")  # what reports/{id}/email-activity lists
MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
# The answers of Mailchimp's unsubscribe survey, as the unsubscribed report spells them.
UNSUBSCRIBE_REASONS = ("None given", "No longer interested", "Did not signup for list", "Spammy content",
                       "Inappropriate content")
ADMIN_UNSUBSCRIBE = "N/A (Unsubscribed by an admin)"
ACTIVITY_COLUMNS = ["campaign_id", "email_id", "action", "type", "timestamp", "url"]


# ----- time ----------------------------------------------------------------------------------------


def mc_time(moment: dt.datetime) -> str:
    """A datetime as Mailchimp writes it: 2025-01-15T22:41:09+00:00."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_time(value: str | dt.datetime) -> str:
    """Any ISO 8601 instant or date (UTC when no offset is given) in Mailchimp's form; ValueError if not one."""
    if isinstance(value, dt.datetime):
        return mc_time(value)
    text = str(value).strip()
    if len(text) > 19 and text[-6] == " " and text[-5:-3].isdigit():
        text = text[:-6] + "+" + text[-5:]  # an unencoded "+00:00" arrives as " 00:00"
    return mc_time(dt.datetime.fromisoformat(text))


def _world_time(text: str | None) -> str:
    """The world's `2025-01-15T22:41:09.000Z` (whole seconds) in Mailchimp's form; "" for none."""
    return text[:19] + "+00:00" if text else ""


def _hash_pick(key: str, choices: tuple[str, ...]) -> str:
    return choices[int(hashlib.md5(key.encode()).hexdigest()[:8], 16) % len(choices)]


def subscriber_hash(email: str) -> str:
    """A member's id: the MD5 of its lower-cased address."""
    return hashlib.md5(email.lower().encode()).hexdigest()


# ----- records -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Member:
    id: str
    email_address: str
    unique_email_id: str
    email_type: str
    status: str
    list_id: str
    merge_fields: dict[str, str]  # only the fields that have a value; the others render as ""
    source: str
    timestamp_signup: str
    timestamp_opt: str
    last_changed: str
    unsubscribe_reason: str = ""
    language: str = ""
    vip: bool = False
    campaigns_sent: int = 0  # counters behind `stats`, kept in step by the activity mutations
    campaigns_opened: int = 0
    campaigns_clicked: int = 0

    @property
    def order_key(self) -> tuple[str, str]:
        return (self.last_changed, self.id)


@dataclass(slots=True, frozen=True)
class Event:
    timestamp: str
    action: str  # open, click or bounce
    bounce_type: str | None = None
    url: str | None = None


@dataclass(slots=True, frozen=True)
class Unsubscribe:
    email_id: str
    timestamp: str
    reason: str


@dataclass
class CampaignActivity:
    """One campaign's recipients: when each was sent to, their events, and who unsubscribed."""

    sent: dict[str, str] = field(default_factory=dict)  # email id -> sent time, in sending order
    # email id -> its open/click/bounce events, oldest first. Recipients are in the order of their
    # first event, so one who opens again keeps its place and a new one comes last: offset paging
    # stays stable while activity accrues.
    events: dict[str, list[Event]] = field(default_factory=dict)
    unsubscribes: list[Unsubscribe] = field(default_factory=list)
    opens: int = 0
    clicks: int = 0
    openers: int = 0
    clickers: int = 0

    def add_event(self, email_id: str, event: Event) -> tuple[bool, bool]:
        """Files an event; says whether it is this recipient's first open, first click."""
        held = self.events.setdefault(email_id, [])
        first_open = event.action == "open" and not any(e.action == "open" for e in held)
        first_click = event.action == "click" and not any(e.action == "click" for e in held)
        bisect.insort(held, event, key=lambda e: e.timestamp)
        self.opens += event.action == "open"
        self.clicks += event.action == "click"
        self.openers += first_open
        self.clickers += first_click
        return first_open, first_click

    def row_count(self, actions: tuple[str, ...]) -> int:
        count = len(self.sent) if "sent" in actions else 0
        count += len(self.unsubscribes) if "unsubscribe" in actions else 0
        wanted = set(actions)
        return count + sum(1 for held in self.events.values() for e in held if e.action in wanted)


@dataclass
class Campaign:
    id: str
    web_id: int
    type: str
    create_time: str
    send_time: str
    status: str
    list_id: str
    subject_line: str
    title: str
    google_analytics: str
    activity: CampaignActivity = field(default_factory=CampaignActivity)

    @property
    def emails_sent(self) -> int:
        return len(self.activity.sent)


# ----- the store -----------------------------------------------------------------------------------


class MailchimpData:
    """Lists, members, campaigns and activity, with the indexes the API pages through."""

    def __init__(self, lists: list[dict], members: dict[str, Member], campaigns: dict[str, Campaign],
                 seed: int = 0):
        self.lists = lists
        self.members = members
        self.campaigns = campaigns  # in creation order
        self.merge_fields: dict[str, str] = {"FNAME": "", "LNAME": ""}  # tag -> value of members without one
        self.version = 0  # bumped by every change: filtered views are cached per version
        self._order = sorted(m.order_key for m in members.values())
        self._rng = random.Random(f"{seed}:mailchimp-ids")

    @classmethod
    def load(cls, world_dir: str | Path, seed: int = 0) -> MailchimpData:
        folder = Path(world_dir) / "mailchimp"
        lists = pq.read_table(folder / "lists.parquet").to_pylist()
        members = _load_members(pq.read_table(folder / "members.parquet").to_pydict())
        campaigns = _load_campaigns(pq.read_table(folder / "campaigns.parquet").to_pydict())
        activity = pq.ParquetFile(folder / "email_activity.parquet")
        # In batches, and only the columns needed: the full file as Python lists is ~1 GB at scale 1.
        for batch in activity.iter_batches(batch_size=65_536, columns=ACTIVITY_COLUMNS):
            _load_activity(batch.to_pydict(), campaigns, members)
        _default_unsubscribe_reasons(members)
        return cls(lists, members, campaigns, seed)

    # ----- members ---------------------------------------------------------------------------------

    def member_ids(self, since: str | None = None, before: str | None = None) -> list[str]:
        """Member ids in (last_changed, id) order, changed strictly after `since` and before `before`."""
        start = bisect.bisect_right(self._order, (since, "\U0010ffff")) if since else 0
        end = bisect.bisect_left(self._order, (before, "")) if before else len(self._order)
        return [member_id for _, member_id in self._order[start:max(start, end)]]

    def touch(self, member: Member, when: str) -> None:
        """Moves a member to its new place in the last_changed index."""
        old = member.order_key
        at = bisect.bisect_left(self._order, old)
        if at < len(self._order) and self._order[at] == old:
            del self._order[at]
        member.last_changed = when
        bisect.insort(self._order, member.order_key)
        self.version += 1

    def insert_member(self, member: Member) -> None:
        self.members[member.id] = member
        bisect.insort(self._order, member.order_key)
        self.version += 1

    def new_hex_id(self, length: int, taken: object) -> str:
        """A fresh random id (seeded, so runs repeat) not already in `taken`."""
        while True:
            candidate = f"{self._rng.getrandbits(4 * length):0{length}x}"
            if candidate not in taken:  # type: ignore[operator]
                return candidate

    # ----- campaigns -------------------------------------------------------------------------------

    def add_event(self, campaign: Campaign, email_id: str, event: Event) -> None:
        first_open, first_click = campaign.activity.add_event(email_id, event)
        member = self.members.get(email_id)
        if member is not None:
            member.campaigns_opened += first_open
            member.campaigns_clicked += first_click
        self.version += 1

    def add_campaign(self, campaign: Campaign) -> None:
        self.campaigns[campaign.id] = campaign
        for email_id in campaign.activity.sent:
            self.members[email_id].campaigns_sent += 1
        self.version += 1


def web_id(hex_id: str) -> int:
    """Mailchimp's numeric id for the web app, stable for an object."""
    return int(hex_id[:7], 16)


def _load_members(columns: dict[str, list]) -> dict[str, Member]:
    members = {}
    for i, member_id in enumerate(columns["id"]):
        merge = {tag: columns[col][i] for tag, col in (("FNAME", "merge_fields__fname"),
                                                       ("LNAME", "merge_fields__lname")) if columns[col][i]}
        members[member_id] = Member(
            id=member_id, email_address=columns["email_address"][i], unique_email_id=columns["unique_email_id"][i],
            email_type=columns["email_type"][i], status=columns["status"][i], list_id=columns["list_id"][i],
            merge_fields=merge, source=columns["source"][i],
            timestamp_signup=_world_time(columns["timestamp_signup"][i]),
            timestamp_opt=_world_time(columns["timestamp_opt"][i]),
            last_changed=_world_time(columns["last_changed"][i]))
    return members


def _load_campaigns(columns: dict[str, list]) -> dict[str, Campaign]:
    campaigns = [Campaign(
        id=cid, web_id=web_id(cid), type=columns["type"][i], create_time=_world_time(columns["create_time"][i]),
        send_time=_world_time(columns["send_time"][i]), status=columns["status"][i],
        list_id=columns["recipients__list_id"][i], subject_line=columns["settings__subject_line"][i],
        title=columns["settings__title"][i], google_analytics=columns["tracking__google_analytics"][i] or "",
    ) for i, cid in enumerate(columns["id"])]
    campaigns.sort(key=lambda c: (c.create_time, c.id))
    return {c.id: c for c in campaigns}


def _load_activity(columns: dict[str, list], campaigns: dict[str, Campaign], members: dict[str, Member]) -> None:
    """Files a batch of activity rows (oldest first in the file) under their campaigns and recipients."""
    rows = zip(columns["campaign_id"], columns["email_id"], columns["action"], columns["type"],
               columns["timestamp"], columns["url"], strict=True)
    for campaign_id, email_id, action, bounce_type, stamp, url in rows:
        activity = campaigns[campaign_id].activity
        member = members[email_id]
        email_id = member.id  # one string object per member, however many rows name it
        when = _world_time(stamp)
        if action == "sent":
            activity.sent[email_id] = when
            member.campaigns_sent += 1
        elif action == "unsubscribe":
            reason = _hash_pick(campaign_id + email_id, UNSUBSCRIBE_REASONS)
            activity.unsubscribes.append(Unsubscribe(email_id, when, reason))
            if member.status == "unsubscribed":
                member.unsubscribe_reason = reason
        else:
            first_open, first_click = activity.add_event(email_id, Event(
                when, action, bounce_type if action == "bounce" else None, url if action == "click" else None))
            member.campaigns_opened += first_open
            member.campaigns_clicked += first_click


def _default_unsubscribe_reasons(members: dict[str, Member]) -> None:
    """Members unsubscribed outside a campaign were unsubscribed by an admin, as far as Mailchimp knows."""
    for member in members.values():
        if member.status == "unsubscribed" and not member.unsubscribe_reason:
            member.unsubscribe_reason = ADMIN_UNSUBSCRIBE
