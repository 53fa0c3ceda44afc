"""The local HubSpot API: shapes, paging, search, batch reads, associations, mutations, limits and faults.

Tests talk HTTP to the API over one small world and check what they got against the world's
hubspot/*.parquet files. Tests that only read share one server; tests that change data, limits or
faults get a fresh `HubSpotApi`, so nothing leaks between them.
"""

import json
import time

import pandas as pd
import pytest
import requests

from demo_world.vendor_apis.base import LocalApiServer
from demo_world.vendor_apis.hubspot import HubSpotApi
from demo_world.vendor_apis.hubspot_data import iso_to_ms
from demo_world.world import generate_world

TOKEN = "pat-test-0000-local-only"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("hubspot_api") / "world"
    generate_world(path, seed=7, scale=0.05)
    return path


@pytest.fixture(scope="module")
def files(world):
    return {name: pd.read_parquet(world / "hubspot" / f"{name}.parquet") for name in (
        "contacts", "companies", "deals", "engagements", "associations", "contact_property_history",
        "lifecycle_stages", "deal_pipeline_stages", "owners")}


@pytest.fixture(scope="module")
def reader(world):
    """One server for the tests that only read (a server takes half a second to stop)."""
    with LocalApiServer(HubSpotApi.from_world(world, access_token=TOKEN, seed=1)) as server:
        yield server.base_url


@pytest.fixture
def api(world):
    """A fresh API for tests that change data, limits or faults."""
    return HubSpotApi.from_world(world, access_token=TOKEN, seed=1)


@pytest.fixture
def url(api):
    with LocalApiServer(api) as server:
        yield server.base_url


# A new connection per call (no requests.Session): on a kept-alive connection base.py's server
# answers each request ~40 ms late (headers and body go out in separate writes: Nagle + delayed ACK).
def get(url, path, **params):
    return requests.get(url + path, params=params, headers=AUTH, timeout=10)


def post(url, path, body):
    return requests.post(url + path, json=body, headers=AUTH, timeout=10)


def walk_list(url, path, **params):
    ids, after = [], None
    while True:
        reply = get(url, path, **params, **({"after": after} if after else {}))
        assert reply.status_code == 200, reply.text
        ids += [r["id"] for r in reply.json()["results"]]
        after = reply.json().get("paging", {}).get("next", {}).get("after")
        if after is None:
            return ids


def search_all(url, object_type, body, limit=200):
    ids, after, total = [], 0, None
    while after is not None:
        reply = post(url, f"/crm/v3/objects/{object_type}/search", {**body, "limit": limit, "after": after})
        assert reply.status_code == 200, reply.text
        total = reply.json()["total"]
        ids += reply.json()["results"]
        after = reply.json().get("paging", {}).get("next", {}).get("after")
    return ids, total


def live_ids(frame):
    return sorted(frame.loc[~frame["archived"], "id"], key=int)


def test_missing_or_wrong_token_answers_401_without_echoing_it(reader):
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}):
        reply = requests.get(reader + "/crm/v3/objects/contacts", headers=headers, timeout=10)
        assert reply.status_code == 401
        body = reply.json()
        assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
        assert body["message"].startswith("Authentication credentials not found.")
        assert body["correlationId"]
        assert TOKEN not in reply.text and TOKEN not in json.dumps(dict(reply.headers))


def test_list_paging_walks_every_live_contact_once_in_id_order(url, api, files):
    first = get(url, "/crm/v3/objects/contacts", limit=100).json()
    link = first["paging"]["next"]["link"]
    assert link.startswith(url) and f"after={first['paging']['next']['after']}" in link
    second = requests.get(link, headers=AUTH, timeout=10).json()
    assert int(second["results"][0]["id"]) > int(first["results"][-1]["id"])

    ids = walk_list(url, "/crm/v3/objects/contacts", limit=100)
    assert ids == live_ids(files["contacts"])
    assert set(ids) == api.served_ids("contacts") and len(ids) == api.object_count("contacts")
    assert len(get(url, "/crm/v3/objects/contacts", limit=500).json()["results"]) == 100  # capped, as HubSpot does


def test_engagements_are_split_by_type(reader, files):
    engagements = files["engagements"]
    for object_type, kind in (("calls", "CALL"), ("meetings", "MEETING"), ("emails", "EMAIL")):
        assert walk_list(reader, f"/crm/v3/objects/{object_type}", limit=100) == sorted(
            engagements.loc[engagements["type"] == kind, "id"], key=int)
    assert get(reader, "/crm/v3/objects/notes").json() == {"results": []}


def test_properties_selection_and_defaults(reader, files):
    contacts = files["contacts"].set_index("id")
    reply = get(reader, "/crm/v3/objects/contacts", limit=50, properties="email,jobtitle").json()
    for item in reply["results"]:
        row = contacts.loc[item["id"]]
        assert set(item["properties"]) == {"email", "jobtitle", "createdate", "lastmodifieddate", "hs_object_id"}
        assert item["properties"]["jobtitle"] == (None if pd.isna(row["properties__jobtitle"])
                                                  else row["properties__jobtitle"])
        assert item["properties"]["lastmodifieddate"] == item["updatedAt"] == row["updated_at"]
        assert item["properties"]["hs_object_id"] == item["id"]
        assert item["createdAt"] == row["created_at"] and item["archived"] is False
    # repeated parameter, and a property nobody has: no key, no error
    repeated = requests.get(reader + "/crm/v3/objects/deals", headers=AUTH, timeout=10,
                            params=[("properties", "dealstage"), ("properties", "amount,no_such_property")])
    assert set(repeated.json()["results"][0]["properties"]) == {
        "dealstage", "amount", "createdate", "hs_lastmodifieddate", "hs_object_id"}
    default = get(reader, "/crm/v3/objects/contacts", limit=1).json()["results"][0]["properties"]
    assert set(default) == {"email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id"}


def test_archived_listing_holds_exactly_the_deleted_objects(reader, files):
    for object_type in ("contacts", "deals"):
        frame = files[object_type]
        archived = frame[frame["archived"]].set_index("id")
        assert len(archived) > 0
        listed = []
        for item in get(reader, f"/crm/v3/objects/{object_type}", limit=100, archived="true").json()["results"]:
            assert item["archived"] is True and item["archivedAt"] == archived.loc[item["id"], "archived_at"]
            listed.append(item["id"])
        assert listed == sorted(archived.index, key=int)
        assert not set(listed) & set(walk_list(reader, f"/crm/v3/objects/{object_type}", limit=100))


def test_search_modified_since_ascending(reader, files):
    contacts = files["contacts"][~files["contacts"]["archived"]]
    cutoff = contacts["updated_at"].sort_values().iloc[len(contacts) // 2]
    expected = contacts[contacts["updated_at"] >= cutoff]
    body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                           "value": str(iso_to_ms(cutoff))}]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["email", "lifecyclestage"]}
    results, total = search_all(reader, "contacts", body, limit=100)
    assert total == len(results) == len(expected)
    assert {r["id"] for r in results} == set(expected["id"])
    stamps = [(r["properties"]["lastmodifieddate"], int(r["id"])) for r in results]
    assert stamps == sorted(stamps)  # by date, ties by id
    assert all(isinstance(v, str) for r in results for v in r["properties"].values() if v is not None)
    # the same instant as ISO text, and descending order
    iso = {**body, "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                                  "value": cutoff}]}],
           "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}]}
    descending, _ = search_all(reader, "contacts", iso)
    assert [r["properties"]["lastmodifieddate"] for r in descending] == sorted(
        (r["properties"]["lastmodifieddate"] for r in results), reverse=True)


def test_search_operators_and_filter_groups(reader, files):
    deals = files["deals"][~files["deals"]["archived"]]

    def ids(*groups, object_type="deals"):
        results, total = search_all(reader, object_type, {"filterGroups": [{"filters": list(g)} for g in groups]})
        assert total == len(results)
        return {r["id"] for r in results}

    stage = deals["properties__dealstage"]
    assert ids([{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]) == set(
        deals.loc[stage == "closedwon", "id"])
    assert ids([{"propertyName": "dealstage", "operator": "NEQ", "value": "closedwon"}]) == set(
        deals.loc[stage != "closedwon", "id"])
    assert ids([{"propertyName": "dealstage", "operator": "IN", "values": ["closedwon", "closedlost"]}]) == set(
        deals.loc[stage.isin(["closedwon", "closedlost"]), "id"])
    amount = pd.to_numeric(deals["properties__amount"])
    assert ids([{"propertyName": "amount", "operator": "BETWEEN", "value": "1000", "highValue": 20000}]) == set(
        deals.loc[amount.between(1000, 20000), "id"])
    held = amount.dropna().iloc[0]  # objects without the property are not equal to it either
    assert ids([{"propertyName": "amount", "operator": "NEQ", "value": str(held)}]) == set(
        deals.loc[amount != held, "id"])
    assert ids([{"propertyName": "dealstage", "operator": "NOT_IN", "values": ["closedwon", "closedlost"]}]) == set(
        deals.loc[~stage.isin(["closedwon", "closedlost"]), "id"])
    assert ids([{"propertyName": "amount", "operator": "NOT_HAS_PROPERTY"}]) == set(deals.loc[amount.isna(), "id"])
    assert ids([{"propertyName": "amount", "operator": "HAS_PROPERTY"}]) == set(deals.loc[amount.notna(), "id"])
    created = deals["created_at"].sort_values().iloc[len(deals) // 3]
    # two groups are OR'ed, the filters inside one AND'ed
    assert ids([{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"},
                {"propertyName": "createdate", "operator": "LT", "value": created}],
               [{"propertyName": "amount", "operator": "GT", "value": 50000}]) == set(
        deals.loc[((stage == "closedwon") & (deals["created_at"] < created)) | (amount > 50000), "id"])
    by_amount, _ = search_all(reader, "deals", {"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}],
                                                "properties": ["amount"]})
    amounts = [r["properties"]["amount"] for r in by_amount]
    held_count = int(amount.notna().sum())
    assert [float(a) for a in amounts[:held_count]] == sorted(amount.dropna(), reverse=True)
    assert amounts[held_count:] == [None] * int(amount.isna().sum())  # objects without the property come last
    bad = post(reader, "/crm/v3/objects/deals/search", {"filterGroups": [{"filters": [
        {"propertyName": "no_such_property", "operator": "EQ", "value": "x"}]}]})
    assert bad.status_code == 400 and bad.json()["category"] == "VALIDATION_ERROR"


def test_search_cannot_page_past_the_result_cap(url, api, monkeypatch):
    assert HubSpotApi.SEARCH_RESULT_CAP == 10_000
    beyond = post(url, "/crm/v3/objects/emails/search", {"limit": 200, "after": 9_900})
    assert beyond.status_code == 400
    body = beyond.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR" and body["correlationId"]
    assert post(url, "/crm/v3/objects/emails/search", {"limit": 201}).status_code == 400

    monkeypatch.setattr(HubSpotApi, "SEARCH_RESULT_CAP", 250)
    assert api.object_count("emails") > 250
    after, served = 0, 0
    while True:  # an unbounded walk stops with a 400 at the cap
        reply = post(url, "/crm/v3/objects/emails/search", {"limit": 100, "after": after})
        if reply.status_code != 200:
            break
        served += len(reply.json()["results"])
        after = int(reply.json()["paging"]["next"]["after"])
    assert reply.status_code == 400 and served == 200


def test_batch_read_with_property_history(reader, files):
    history = files["contact_property_history"]
    changed = history[history["property"] == "lifecyclestage"]["contact_id"].value_counts()
    ids = list(changed[changed >= 3].index[:5])
    reply = post(reader, "/crm/v3/objects/contacts/batch/read", {
        "inputs": [{"id": i} for i in ids], "properties": ["lifecyclestage"],
        "propertiesWithHistory": ["lifecyclestage"]})
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "COMPLETE" and body["startedAt"] and body["completedAt"]
    assert [r["id"] for r in body["results"]] == ids
    for item in body["results"]:
        kept = history[(history["contact_id"] == item["id"]) & (history["property"] == "lifecyclestage")]
        got = item["propertiesWithHistory"]["lifecyclestage"]
        assert [(h["value"], h["timestamp"], h["sourceType"]) for h in got] == list(
            zip(kept["value"], kept["timestamp"], kept["source_type"], strict=True))[::-1]
        assert got[0]["value"] == item["properties"]["lifecyclestage"]

    partial = post(reader, "/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": ids[0]}, {"id": "1"}]})
    assert partial.status_code == 207
    assert [r["id"] for r in partial.json()["results"]] == [ids[0]]
    assert partial.json()["errors"][0]["context"]["ids"] == ["1"]
    too_many = post(reader, "/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": str(i)} for i in range(101)]})
    assert too_many.status_code == 400


def test_associations_batch_read_agrees_with_the_files(reader, files):
    assoc = files["associations"]
    live_contacts = set(live_ids(files["contacts"]))
    expected = assoc[(assoc["association_type"] == "contact_to_company") & assoc["from_id"].isin(live_contacts)]
    got = {}
    ids = sorted(live_contacts, key=int)
    for start in range(0, len(ids), 1000):
        reply = post(reader, "/crm/v4/associations/contacts/companies/batch/read",
                     {"inputs": [{"id": i} for i in ids[start:start + 1000]]})
        assert reply.status_code in (200, 207)
        for item in reply.json()["results"]:
            for to in item["to"]:
                assert isinstance(to["toObjectId"], int)
                assert {t["typeId"] for t in to["associationTypes"]} == {1, 279}
                got.setdefault(item["from"]["id"], set()).add(str(to["toObjectId"]))
    assert got == expected.groupby("from_id")["to_id"].apply(set).to_dict()

    engagements = files["engagements"]
    calls = engagements.loc[engagements["type"] == "CALL", "id"].tolist()[:200]
    reply = post(reader, "/crm/v4/associations/calls/contacts/batch/read", {"inputs": [{"id": i} for i in calls]})
    pairs = {(r["from"]["id"], str(t["toObjectId"]), t["associationTypes"][0]["typeId"])
             for r in reply.json()["results"] for t in r["to"]}
    want = assoc[(assoc["association_type"] == "engagement_to_contact") & assoc["from_id"].isin(calls)
                 & assoc["to_id"].isin(live_contacts)]
    assert pairs == {(f, t, 194) for f, t in zip(want["from_id"], want["to_id"], strict=True)}
    assert post(reader, "/crm/v4/associations/contacts/companies/batch/read",
                {"inputs": [{"id": "1"}]}).status_code == 207


def test_update_bumps_updated_at_and_shows_in_a_later_search(url, api):
    contact_id = sorted(api.served_ids("contacts"), key=int)[10]
    since = api.now_ms
    body = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GT",
                                           "value": since}]}],
            "sorts": ["hs_lastmodifieddate"], "properties": ["lifecyclestage", "jobtitle", "hs_lastmodifieddate"]}
    assert search_all(url, "contacts", body) == ([], 0)  # nothing changed since the world's as-of date
    api.advance(3600)
    api.update_object("contacts", contact_id, {"lifecyclestage": "customer", "jobtitle": "CFO"})
    results, total = search_all(url, "contacts", body)  # the next poll sees the change
    assert total == 1 and results[0]["id"] == contact_id
    item = results[0]
    assert iso_to_ms(item["updatedAt"]) == since + 3_600_000
    assert item["properties"]["hs_lastmodifieddate"] == item["properties"]["lastmodifieddate"] == item["updatedAt"]
    assert item["properties"]["lifecyclestage"] == "customer" and item["properties"]["jobtitle"] == "CFO"
    read = post(url, "/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": contact_id}],
                                                             "propertiesWithHistory": ["lifecyclestage"]})
    newest = read.json()["results"][0]["propertiesWithHistory"]["lifecyclestage"][0]
    assert newest["value"] == "customer" and newest["timestamp"] == item["updatedAt"]


def test_create_object_is_listed_and_searchable(url, api):
    before = max(api.served_ids("deals"), key=int)
    new_id = api.create_object("deals", {"dealname": "Fresh deal", "dealstage": "closedwon", "amount": 1200})
    assert int(new_id) > int(before)
    listed = get(url, f"/crm/v3/objects/deals/{new_id}", properties="dealname,amount,hs_is_closed_won").json()
    assert listed["properties"]["dealname"] == "Fresh deal" and listed["properties"]["amount"] == "1200"
    assert listed["properties"]["hs_is_closed_won"] == "true"
    found, _ = search_all(url, "deals", {"filterGroups": [{"filters": [
        {"propertyName": "dealname", "operator": "EQ", "value": "fresh deal"}]}]})
    assert [r["id"] for r in found] == [new_id]


def test_merge_contacts(url, api, files):
    contacts = files["contacts"].set_index("id")
    assoc = files["associations"]
    company_of = assoc[assoc["association_type"] == "contact_to_company"].set_index("from_id")["to_id"]
    live = api.served_ids("contacts")
    earlier = contacts["properties__hs_merged_object_ids"].dropna()
    merged = next(i for i in earlier.index if i in live and i in company_of)  # was a merge survivor itself
    primary = next(i for i in sorted(live, key=int) if i in company_of and i not in earlier
                   and company_of[i] != company_of[merged])
    api.advance(60)
    api.merge_contacts(primary, merged)

    assert merged not in walk_list(url, "/crm/v3/objects/contacts", limit=100)
    assert merged not in walk_list(url, "/crm/v3/objects/contacts", limit=100, archived="true")
    assert merged not in {r["id"] for r in search_all(url, "contacts", {})[0]}
    assert post(url, "/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": merged}]}).status_code == 207
    item = get(url, f"/crm/v3/objects/contacts/{primary}", properties="hs_merged_object_ids",
               associations="companies").json()
    assert item["properties"]["hs_merged_object_ids"].split(";") == sorted(
        {merged, *earlier[merged].split(";")}, key=int)
    assert iso_to_ms(item["updatedAt"]) == api.now_ms
    assert {r["id"] for r in item["associations"]["companies"]["results"]} == {company_of[primary],
                                                                               company_of[merged]}
    assert api.object_count("contacts") == len(live) - 1


def test_archive_object(url, api):
    contact_id = sorted(api.served_ids("contacts"), key=int)[3]
    assert contact_id in {r["id"] for r in search_all(url, "contacts", {})[0]}
    api.advance(120)
    api.archive_object("contacts", contact_id)
    assert contact_id not in walk_list(url, "/crm/v3/objects/contacts", limit=100)
    assert contact_id not in {r["id"] for r in search_all(url, "contacts", {})[0]}
    archived = {r["id"]: r for r in get(url, "/crm/v3/objects/contacts", limit=100,
                                        archived="true").json()["results"]}
    assert archived[contact_id]["archived"] is True
    assert iso_to_ms(archived[contact_id]["archivedAt"]) == api.now_ms
    assert contact_id in api.served_ids("contacts", archived=True)


def test_schema_drift_add_and_remove_property(url, api):
    api.add_property("contacts", "favorite_color", value_for_all="teal")
    api.remove_property("contacts", "jobtitle")
    names = {p["name"] for p in get(url, "/crm/v3/properties/contacts").json()["results"]}
    assert "favorite_color" in names and "jobtitle" not in names
    assert get(url, "/crm/v3/properties/contacts/jobtitle").status_code == 404
    reply = get(url, "/crm/v3/objects/contacts", limit=5, properties="favorite_color,jobtitle")
    assert reply.status_code == 200
    for item in reply.json()["results"]:
        assert item["properties"]["favorite_color"] == "teal" and "jobtitle" not in item["properties"]


def test_owners_pipelines_and_property_options(reader, files):
    owners = get(reader, "/crm/v3/owners", limit=4)
    first = owners.json()["results"][0]
    assert {"id", "email", "firstName", "lastName", "userId", "teams"} <= set(first)
    assert first["teams"][0]["primary"] is True
    assert walk_list(reader, "/crm/v3/owners", limit=4) == files["owners"]["id"].tolist()

    pipeline = get(reader, "/crm/v3/pipelines/deals").json()["results"][0]
    assert pipeline["id"] == "default" and pipeline["archived"] is False
    assert [s["id"] for s in pipeline["stages"]] == files["deal_pipeline_stages"]["id"].tolist()
    assert pipeline["stages"][0]["metadata"] == {"probability": "0.2", "isClosed": "false"}

    props = {p["name"]: p for p in get(reader, "/crm/v3/properties/contacts").json()["results"]}
    stages = files["lifecycle_stages"]
    assert [(o["value"], o["label"], o["displayOrder"]) for o in props["lifecyclestage"]["options"]] == list(
        zip(stages["id"], stages["label"], stages["display_order"], strict=True))
    columns = {c.removeprefix("properties__") for c in files["contacts"].columns if c.startswith("properties__")}
    assert columns | {"hs_object_id", "hs_lastmodifieddate"} <= set(props)
    assert props["lastmodifieddate"]["type"] == "datetime"
    deal_props = {p["name"]: p for p in get(reader, "/crm/v3/properties/deals").json()["results"]}
    assert [o["value"] for o in deal_props["dealstage"]["options"]] == [s["id"] for s in pipeline["stages"]]
    assert get(reader, "/crm/v3/objects/widgets").status_code == 404
    assert get(reader, "/crm/v3/nothing/here").json()["status"] == "error"


def test_rate_limit_headers_and_secondly_limit(url, api):
    first, second = get(url, "/crm/v3/owners"), get(url, "/crm/v3/owners")
    for reply in (first, second):
        for header in ("X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining",
                       "X-HubSpot-RateLimit-Interval-Milliseconds", "X-HubSpot-RateLimit-Max",
                       "X-HubSpot-RateLimit-Remaining"):
            assert reply.headers[header].isdigit()
    assert int(second.headers["X-HubSpot-RateLimit-Remaining"]) == int(
        first.headers["X-HubSpot-RateLimit-Remaining"]) - 1
    assert int(second.headers["X-HubSpot-RateLimit-Daily-Remaining"]) < int(
        first.headers["X-HubSpot-RateLimit-Daily-Remaining"])

    api.requests_per_second = 3
    statuses = [get(url, "/crm/v3/owners") for _ in range(8)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and statuses[0].status_code == 200
    assert limited[0].headers["Retry-After"] == "1"
    assert limited[0].json()["policyName"] == "SECONDLY" and limited[0].json()["errorType"] == "RATE_LIMIT"
    assert "X-HubSpot-RateLimit-Remaining" in limited[0].headers
    time.sleep(1.1)
    assert get(url, "/crm/v3/owners").status_code == 200


def test_injected_faults_reach_the_client(url, api):
    api.faults.fail_next(429, retry_after="7", path_contains="/search")
    throttled = post(url, "/crm/v3/objects/contacts/search", {})
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert post(url, "/crm/v3/objects/contacts/search", {}).status_code == 200

    api.faults.fail_next(503, count=2)
    assert [get(url, "/crm/v3/objects/contacts").status_code for _ in range(3)] == [503, 503, 200]

    api.faults.truncate("/crm/v3/objects/contacts")
    cut = get(url, "/crm/v3/objects/contacts", limit=20)
    assert cut.status_code == 200
    with pytest.raises(ValueError):
        cut.json()
    assert len(get(url, "/crm/v3/objects/contacts", limit=20).json()["results"]) == 20
