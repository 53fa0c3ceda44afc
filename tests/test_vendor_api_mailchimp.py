"""The local Mailchimp API: auth, paging, filters, reports, limits, faults and mutations.

Tests talk HTTP to the API over one small world and check what they got against the world's
mailchimp/*.parquet files. Tests that only read share one server; tests that change data, limits or
faults get a fresh `MailchimpApi`, so nothing leaks between them.
"""

import base64
import hashlib
import json
import threading
import time
import uuid

import pandas as pd
import pytest
import requests

from demo_world.vendor_apis.base import LocalApiServer
from demo_world.vendor_apis.mailchimp import MailchimpApi
from demo_world.world import generate_world

KEY = "0123456789abcdef0123456789abcdef-us21"
AUTH = {"Authorization": f"Bearer {KEY}"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("mailchimp_api") / "world"
    generate_world(path, seed=7, scale=0.05)
    return path


@pytest.fixture(scope="module")
def files(world):
    return {name: pd.read_parquet(world / "mailchimp" / f"{name}.parquet")
            for name in ("lists", "members", "campaigns", "email_activity")}


@pytest.fixture(scope="module")
def list_id(files):
    return files["lists"]["id"].iloc[0]


@pytest.fixture(scope="module")
def reader(world):
    """One server for the tests that only read (a server takes half a second to stop)."""
    with LocalApiServer(MailchimpApi.from_world(world, api_key=KEY, seed=1)) as server:
        yield server.base_url


@pytest.fixture
def api(world):
    """A fresh API for tests that change data, limits or faults."""
    return MailchimpApi.from_world(world, api_key=KEY, seed=1)


@pytest.fixture
def url(api):
    with LocalApiServer(api) as server:
        yield server.base_url


# A new connection per call (no requests.Session): on a kept-alive connection base.py's server
# answers each request ~40 ms late (Nagle + delayed ACK).
def get(url, path, **params):
    return requests.get(url + path, params=params, headers=AUTH, timeout=10)


def walk(url, path, key, count=1000, **params):
    """Every item of a collection, by offset; checks total_items on each page."""
    items, offset, total = [], 0, None
    while True:
        reply = get(url, path, count=count, offset=offset, **params)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert total in (None, body["total_items"])
        total = body["total_items"]
        items += body[key]
        offset += count
        if offset >= total:
            assert len(items) == total
            return items


def mc(stamp):
    """The world's 2025-01-15T22:41:09.000Z as Mailchimp writes it: 2025-01-15T22:41:09+00:00."""
    return None if stamp is None or pd.isna(stamp) else stamp[:19] + "+00:00"


def text(value):
    return "" if value is None or pd.isna(value) else value


def rows_of(frame, campaign_id, *actions):
    return frame[(frame["campaign_id"] == campaign_id) & frame["action"].isin(actions)]


def test_wrong_or_missing_key_answers_401_problem_without_echoing_it(reader):
    basic = lambda user, key: "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": basic("anystring", "wrong-us21")},
                    {"Authorization": KEY}, {"Authorization": basic(KEY, "")}):
        reply = requests.get(reader + "/3.0/lists", headers=headers, timeout=10)
        assert reply.status_code == 401
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        body = reply.json()
        assert set(body) == PROBLEM_KEYS
        assert body["type"] == "https://mailchimp.com/developer/marketing/docs/errors/"
        assert body["title"] == "API Key Invalid" and body["status"] == 401
        assert body["detail"] == ("Your API key may be invalid, or you've attempted to access the wrong "
                                  "datacenter.")
        uuid.UUID(body["instance"])
        assert KEY not in reply.text and KEY not in json.dumps(dict(reply.headers))
    # Basic with any user name and the key as password, or the key as a Bearer token
    for headers in ({"Authorization": basic("anystring", KEY)}, {"Authorization": basic("me", KEY)}, AUTH):
        assert requests.get(reader + "/3.0/lists", headers=headers, timeout=10).status_code == 200
    assert requests.get(reader + "/3.0/lists", auth=("x", KEY), timeout=10).status_code == 200


def test_lists(reader, files, list_id):
    body = get(reader, "/3.0/lists").json()
    assert body["total_items"] == 1 and [lst["id"] for lst in body["lists"]] == [list_id]
    lst = body["lists"][0]
    members = files["members"]
    assert lst["name"] == files["lists"]["name"].iloc[0]
    assert lst["date_created"] == mc(files["lists"]["date_created"].iloc[0])
    assert lst["stats"]["member_count"] == (members["status"] == "subscribed").sum()  # Mailchimp: subscribed only
    assert lst["stats"]["unsubscribe_count"] == (members["status"] == "unsubscribed").sum()
    assert lst["stats"]["cleaned_count"] == (members["status"] == "cleaned").sum()


def test_offset_paging_walks_every_member_once_in_a_stable_order(reader, api, files, list_id):
    path = f"/3.0/lists/{list_id}/members"
    members = walk(reader, path, "members", count=100)
    frame = files["members"]
    assert len(members) == len(frame) == api.member_count()
    assert [m["id"] for m in members] == list(frame.sort_values(["last_changed", "id"])["id"])
    assert {m["id"] for m in members} == api.served_ids("members")
    assert get(reader, path).json()["total_items"] == len(frame)
    assert len(get(reader, path).json()["members"]) == 10  # Mailchimp's default count

    rows = frame.set_index("id")
    for m in members:
        row = rows.loc[m["id"]]
        assert m["email_address"] == row["email_address"] and m["unique_email_id"] == row["unique_email_id"]
        assert m["status"] == row["status"] and m["list_id"] == list_id and m["source"] == row["source"]
        assert m["merge_fields"] == {"FNAME": text(row["merge_fields__fname"]),
                                     "LNAME": text(row["merge_fields__lname"])}
        assert m["timestamp_opt"] == mc(row["timestamp_opt"]) and m["last_changed"] == mc(row["last_changed"])
        assert m["timestamp_signup"] == text(mc(row["timestamp_signup"]))
        assert m["email_type"] == "html" and set(m["stats"]) == {"avg_open_rate", "avg_click_rate"}
        assert ("unsubscribe_reason" in m) == (m["status"] == "unsubscribed")

    for status in ("subscribed", "unsubscribed", "cleaned"):
        got = walk(reader, path, "members", status=status)
        assert {m["id"] for m in got} == set(frame.loc[frame["status"] == status, "id"])
    one = members[5]
    assert get(reader, f"{path}/{one['id']}").json()["id"] == one["id"]
    by_address = get(reader, f"{path}/{one['email_address'].upper()}").json()
    assert by_address["id"] == one["id"]  # the subscriber hash is of the lower-cased address


def test_since_last_changed_filters_strictly_after(reader, files, list_id):
    frame = files["members"]
    cut = frame["last_changed"].sort_values().iloc[len(frame) // 2]
    got = walk(reader, f"/3.0/lists/{list_id}/members", "members", since_last_changed=mc(cut))
    assert {m["id"] for m in got} == set(frame.loc[frame["last_changed"] > cut, "id"])
    # any ISO 8601 spelling of the instant
    same = get(reader, f"/3.0/lists/{list_id}/members", since_last_changed=cut, count=1).json()
    assert same["total_items"] == len(got)
    bad = get(reader, f"/3.0/lists/{list_id}/members", since_last_changed="yesterday")
    assert bad.status_code == 400 and bad.json()["title"] == "Invalid Resource"


def test_update_member_shows_up_in_since_last_changed(url, api, list_id):
    path = f"/3.0/lists/{list_id}/members"
    since = api.now.isoformat()
    assert get(url, path, since_last_changed=since).json()["total_items"] == 0  # nothing after the as-of date
    ids = sorted(api.served_ids("members"))
    api.advance(3600)
    api.update_member(ids[3], {"FNAME": "Zed", "email_type": "text"})
    api.advance(60)
    api.unsubscribe(ids[7])
    got = walk(url, path, "members", since_last_changed=since)
    assert [m["id"] for m in got] == [ids[3], ids[7]]  # in last_changed order
    assert got[0]["merge_fields"]["FNAME"] == "Zed" and got[0]["email_type"] == "text"
    assert got[0]["last_changed"] == "2026-11-01T01:00:00+00:00"
    assert got[1]["status"] == "unsubscribed" and got[1]["last_changed"] == "2026-11-01T01:01:00+00:00"
    assert got[1]["unsubscribe_reason"]
    assert [m["id"] for m in walk(url, path, "members")][-2:] == [ids[3], ids[7]]  # moved to the end
    with pytest.raises(ValueError):
        api.update_member(ids[3], {"email_address": "new@example.com"})


def test_email_activity_matches_the_world_file(reader, api, files):
    activity = files["email_activity"]
    campaigns = files["campaigns"]["id"]
    for campaign_id in campaigns:
        emails = walk(reader, f"/3.0/reports/{campaign_id}/email-activity", "emails", count=100)
        expected = rows_of(activity, campaign_id, "open", "click", "bounce")
        assert len(emails) == expected["email_id"].nunique()  # one element per recipient with activity
        got = sorted((e["email_id"], e["email_address"], a["action"], a.get("type"), a["timestamp"], a.get("url"))
                     for e in emails for a in e["activity"])
        want = sorted((r.email_id, r.email_address, r.action, None if pd.isna(r.type) else r.type, mc(r.timestamp),
                       None if pd.isna(r.url) else r.url) for r in expected.itertuples())
        assert got == want
        assert all(e["campaign_id"] == campaign_id and e["list_is_active"] is True for e in emails)
        assert all("ip" in a and ("url" in a) == (a["action"] == "click") for e in emails for a in e["activity"])
        assert api.activity_counts()[campaign_id] == len(expected)
        assert {e["email_id"] for e in emails} == api.served_ids("email-activity", campaign_id)


def test_email_activity_since_keeps_only_later_events(reader, files):
    activity = files["email_activity"]
    events = activity[activity["action"].isin(["open", "click", "bounce"])]
    campaign_id = events["campaign_id"].value_counts().index[0]
    expected = rows_of(events, campaign_id, "open", "click", "bounce")
    # Cut at the first event of a recipient with later ones too: its element must lose the older event.
    spans = expected.groupby("email_id")["timestamp"].agg(["min", "max"])
    split = spans[spans["min"] < spans["max"]].sort_values("min")
    cut = split["min"].iloc[len(split) // 2]
    emails = walk(reader, f"/3.0/reports/{campaign_id}/email-activity", "emails", since=mc(cut))
    later = expected[expected["timestamp"] > cut]
    assert 0 < len(later) < len(expected)
    assert {e["email_id"] for e in emails} == set(later["email_id"])  # recipients with nothing later are gone
    assert sorted((e["email_id"], a["timestamp"]) for e in emails for a in e["activity"]) == sorted(
        zip(later["email_id"], later["timestamp"].map(mc), strict=True))


def test_sent_to_equals_the_sent_rows_with_bounce_status(reader, files):
    activity = files["email_activity"]
    emails_sent = files["campaigns"].set_index("id")["emails_sent"]
    for campaign_id in files["campaigns"]["id"]:
        rows = walk(reader, f"/3.0/reports/{campaign_id}/sent-to", "sent_to")
        sent = rows_of(activity, campaign_id, "sent")
        assert sorted(r["email_id"] for r in rows) == sorted(sent["email_id"])
        assert len(rows) == emails_sent[campaign_id]
        bounces = rows_of(activity, campaign_id, "bounce").set_index("email_id")["type"].to_dict()
        opens = rows_of(activity, campaign_id, "open").groupby("email_id")["timestamp"]
        counts, last = opens.size().to_dict(), opens.max().to_dict()
        for r in rows:
            assert r["status"] == bounces.get(r["email_id"], "sent")
            assert r["open_count"] == counts.get(r["email_id"], 0)
            assert r["last_open"] == (mc(last[r["email_id"]]) if r["email_id"] in last else "")
            assert {"absplit_group", "gmt_offset", "email_address"} <= set(r)


def test_unsubscribed_report(reader, files):
    activity = files["email_activity"]
    seen = 0
    for campaign_id in files["campaigns"]["id"]:
        rows = walk(reader, f"/3.0/reports/{campaign_id}/unsubscribed", "unsubscribes")
        want = rows_of(activity, campaign_id, "unsubscribe")
        assert sorted((r["email_id"], r["email_address"], r["timestamp"]) for r in rows) == sorted(
            zip(want["email_id"], want["email_address"], want["timestamp"].map(mc), strict=True))
        assert all(r["reason"] and r["campaign_id"] == campaign_id for r in rows)
        seen += len(rows)
    assert seen == (activity["action"] == "unsubscribe").sum() > 0


def test_campaigns_list_filters_and_nests(reader, api, files, list_id):
    frame = files["campaigns"]
    campaigns = walk(reader, "/3.0/campaigns", "campaigns", count=10)
    assert sorted(c["id"] for c in campaigns) == sorted(frame["id"]) and len(campaigns) == api.campaign_count()
    assert [c["create_time"] for c in campaigns] == sorted(c["create_time"] for c in campaigns)
    rows = frame.set_index("id")
    for c in campaigns:
        row = rows.loc[c["id"]]
        assert c["settings"]["subject_line"] == row["settings__subject_line"]
        assert c["settings"]["title"] == row["settings__title"]
        assert c["recipients"]["list_id"] == list_id
        assert c["tracking"]["google_analytics"] == row["tracking__google_analytics"]
        assert c["emails_sent"] == row["emails_sent"] and c["type"] == row["type"]
        assert c["create_time"] == mc(row["create_time"]) and c["send_time"] == text(mc(row["send_time"]))
    cut = frame["send_time"].dropna().sort_values().iloc[40]
    since = walk(reader, "/3.0/campaigns", "campaigns", since_send_time=mc(cut), status="sent")
    assert {c["id"] for c in since} == set(frame.loc[frame["send_time"] > cut, "id"])
    created = walk(reader, "/3.0/campaigns", "campaigns", since_create_time=mc(cut))
    assert {c["id"] for c in created} == set(frame.loc[frame["create_time"] > cut, "id"])
    automations = walk(reader, "/3.0/campaigns", "campaigns", type="automation")
    assert {c["id"] for c in automations} == set(frame.loc[frame["type"] == "automation", "id"])
    assert get(reader, "/3.0/campaigns", status="save").json()["total_items"] == 0


def test_fields_and_exclude_fields(reader, list_id):
    path = f"/3.0/lists/{list_id}/members"
    body = get(reader, path, count=3, fields="members.id,members.merge_fields.FNAME,total_items").json()
    assert set(body) == {"members", "total_items"}
    assert all(set(m) == {"id", "merge_fields"} and set(m["merge_fields"]) == {"FNAME"} for m in body["members"])
    trimmed = get(reader, path, count=2, exclude_fields="members.stats,members.location,list_id").json()
    assert "list_id" not in trimmed and trimmed["members"]
    assert all("stats" not in m and "location" not in m and "email_address" in m for m in trimmed["members"])


def test_bad_requests_and_unknown_paths_are_problems(reader, list_id):
    too_many = get(reader, f"/3.0/lists/{list_id}/members", count=1001)
    assert too_many.status_code == 400 and too_many.json()["title"] == "Invalid Resource"
    assert too_many.headers["Content-Type"].startswith("application/problem+json")
    assert too_many.json()["errors"][0]["field"] == "count"
    assert len(get(reader, f"/3.0/lists/{list_id}/members", count=1000).json()["members"]) > 10
    assert get(reader, "/3.0/campaigns", count=-1).status_code == 400
    for path in ("/3.0/nothing", "/3.0/reports/0000000000/email-activity", "/3.0/lists/0000000000/members",
                 "/3.0/campaigns/0000000000", "/2.0/lists"):
        reply = get(reader, path)
        assert reply.status_code == 404 and reply.json()["title"] == "Resource Not Found", path
        assert set(reply.json()) == PROBLEM_KEYS
    posted = requests.post(reader + "/3.0/lists", json={}, headers=AUTH, timeout=10)
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET"


def test_requests_per_second_answers_429_with_retry_after(url, api):
    api.requests_per_second = 3
    replies = [get(url, "/3.0/ping") for _ in range(8)]
    limited = [r for r in replies if r.status_code == 429]
    assert limited and replies[0].status_code == 200
    assert limited[0].headers["Retry-After"] == "1"
    assert limited[0].json()["title"] == "Too Many Requests" and limited[0].json()["status"] == 429
    time.sleep(1.1)
    assert get(url, "/3.0/ping").status_code == 200


def test_more_than_the_simultaneous_limit_answers_429(url, api):
    api.max_simultaneous = 1
    first = []
    with api._lock:  # hold the data lock: the first request waits inside the API
        waiting = threading.Thread(target=lambda: first.append(get(url, "/3.0/lists")))
        waiting.start()
        deadline = time.monotonic() + 5
        while api.in_flight < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        second = get(url, "/3.0/lists")
    waiting.join(10)
    assert second.status_code == 429 and "simultaneous" in second.json()["detail"]
    assert "Retry-After" in second.headers
    assert first[0].status_code == 200 and api.in_flight == 0


def test_injected_faults_reach_the_client(url, api, list_id):
    path = f"/3.0/lists/{list_id}/members"
    api.faults.fail_next(503, path_contains="/members")
    failed = get(url, path)
    assert failed.status_code == 503 and failed.json()["status"] == 503
    assert failed.headers["Content-Type"].startswith("application/problem+json")
    assert get(url, path).status_code == 200
    api.faults.fail_next(429, retry_after="7")
    throttled = get(url, "/3.0/campaigns")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    api.faults.truncate("email-activity")
    campaign_id = sorted(api.served_ids("campaigns"))[0]
    cut = get(url, f"/3.0/reports/{campaign_id}/email-activity")
    with pytest.raises(ValueError):
        cut.json()
    assert get(url, f"/3.0/reports/{campaign_id}/email-activity").json()["campaign_id"] == campaign_id
    api.faults.random_5xx_rate = 1.0
    assert get(url, "/3.0/lists").status_code == 503
    api.faults.clear()
    assert get(url, "/3.0/lists").status_code == 200
    assert [status for _, _, status in api.requests].count(503) == 2


def test_add_member_and_member_field(url, api, list_id):
    path = f"/3.0/lists/{list_id}/members"
    before = api.member_count()
    since = api.now.isoformat()
    api.advance(10)
    new_id = api.add_member("New.Person@Example.com", {"FNAME": "New", "LNAME": "Person"})
    assert new_id == hashlib.md5(b"new.person@example.com").hexdigest()  # of the lower-cased address
    with pytest.raises(ValueError):
        api.add_member("new.person@example.com")
    got = walk(url, path, "members", since_last_changed=since)
    assert [m["id"] for m in got] == [new_id]
    assert got[0]["merge_fields"] == {"FNAME": "New", "LNAME": "Person"} and got[0]["status"] == "subscribed"
    assert got[0]["timestamp_opt"] == got[0]["last_changed"] == "2026-11-01T00:00:10+00:00"
    assert get(url, path).json()["total_items"] == before + 1 == api.member_count()

    tag = api.add_member_field("company")
    assert tag == "COMPANY"
    members = walk(url, path, "members")
    assert all(m["merge_fields"]["COMPANY"] == "" for m in members)  # on every member
    assert get(url, path, since_last_changed=api.now.isoformat()).json()["total_items"] == 0  # not a change
    api.update_member(new_id, {"COMPANY": "Acme"})
    assert get(url, f"{path}/{new_id}").json()["merge_fields"]["COMPANY"] == "Acme"
    assert "COMPANY" in {f["tag"] for f in get(url, f"/3.0/lists/{list_id}/merge-fields").json()["merge_fields"]}


def test_add_activity_send_campaign_and_unsubscribe_show_up(url, api, files):
    frame = files["campaigns"]
    campaign_id = frame["id"].iloc[-6]  # the last newsletter
    recipient = sorted(api.served_ids("sent-to", campaign_id))[0]
    counts = api.activity_counts()
    since = api.now.isoformat()
    api.advance(120)
    api.add_activity(campaign_id, recipient, "open")
    api.add_activity(campaign_id, recipient, "click")
    assert api.activity_counts()[campaign_id] == counts[campaign_id] + 2
    emails = walk(url, f"/3.0/reports/{campaign_id}/email-activity", "emails", since=since)
    assert [(e["email_id"], [a["action"] for a in e["activity"]]) for e in emails] == [
        (recipient, ["open", "click"])]
    assert "mc_cid=" + campaign_id in emails[0]["activity"][1]["url"]
    sent_to = {r["email_id"]: r for r in walk(url, f"/3.0/reports/{campaign_id}/sent-to", "sent_to")}
    assert sent_to[recipient]["last_open"] == "2026-11-01T00:02:00+00:00"
    outsider = min(api.served_ids("members") - api.served_ids("sent-to", campaign_id))
    with pytest.raises(ValueError):
        api.add_activity(campaign_id, outsider, "open")  # never sent this campaign
    with pytest.raises(KeyError):
        api.add_activity(campaign_id, "0" * 32, "open")

    members = files["members"]
    subscribed = sorted(members.loc[members["status"] == "subscribed", "id"])[:3]
    api.advance(60)
    new_campaign = api.send_campaign("Launch news", "We launched", subscribed)
    assert new_campaign in api.served_ids("campaigns") and api.campaign_count() == len(frame) + 1
    listed = walk(url, "/3.0/campaigns", "campaigns", since_send_time=since)
    assert [c["id"] for c in listed] == [new_campaign]
    assert listed[0]["emails_sent"] == 3 and listed[0]["settings"]["title"] == "Launch news"
    assert listed[0]["send_time"] == "2026-11-01T00:03:00+00:00"
    assert {r["email_id"] for r in walk(url, f"/3.0/reports/{new_campaign}/sent-to", "sent_to")} == set(subscribed)

    api.advance(60)
    api.unsubscribe(subscribed[0], campaign_id=new_campaign)
    unsubscribes = walk(url, f"/3.0/reports/{new_campaign}/unsubscribed", "unsubscribes")
    assert [(u["email_id"], u["timestamp"]) for u in unsubscribes] == [(subscribed[0], "2026-11-01T00:04:00+00:00")]
    member = get(url, f"/3.0/lists/{listed[0]['recipients']['list_id']}/members/{subscribed[0]}").json()
    assert member["status"] == "unsubscribed"

    api.add_activity(new_campaign, subscribed[1], "bounce", bounce_type="hard")
    assert {r["email_id"]: r["status"] for r in walk(url, f"/3.0/reports/{new_campaign}/sent-to", "sent_to")}[
        subscribed[1]] == "hard"
    member = get(url, f"/3.0/lists/{listed[0]['recipients']['list_id']}/members/{subscribed[1]}").json()
    assert member["status"] == "cleaned"  # a hard bounce cleans the address
