"""The local Salesforce REST API: OAuth, SOQL paging and filters, queryAll, describe, limits, faults."""

import datetime as dt

import duckdb
import pytest
import requests

from demo_world.vendor_apis.base import LocalApiServer
from demo_world.vendor_apis.salesforce import SalesforceApi
from demo_world.world import WorldError, generate_world

CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD = "demo-client", "s3cret-value", "etl@tallyhouse.example", "pa55word"
DATA = "/services/data/v59.0"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return generate_world(tmp_path_factory.mktemp("sfapi") / "world", seed=11, scale=0.02, crm="salesforce").path


@pytest.fixture
def api(world):
    return SalesforceApi.from_world(world, CLIENT_ID, CLIENT_SECRET, username=USERNAME, password=PASSWORD)


@pytest.fixture
def server(api):
    with LocalApiServer(api) as srv:
        yield srv


class Client:
    """What a connector does: log in, then GET with the bearer token."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()
        token = self.session.post(f"{base_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).json()
        self.session.headers["Authorization"] = f"Bearer {token['access_token']}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=10, **kwargs)

    def soql(self, q: str, all_rows: bool = False, batch: int | None = None) -> requests.Response:
        headers = {"Sforce-Query-Options": f"batchSize={batch}"} if batch else {}
        return self.get(f"{DATA}/{'queryAll' if all_rows else 'query'}", params={"q": q}, headers=headers)

    def walk(self, q: str, all_rows: bool = False, batch: int | None = None) -> list[dict]:
        body = self.soql(q, all_rows, batch).json()
        records = body["records"]
        while not body["done"]:
            body = self.get(body["nextRecordsUrl"]).json()
            records += body["records"]
        return records


@pytest.fixture
def client(server):
    return Client(server.base_url)


def _file(world, sobject):
    return duckdb.sql(f"SELECT * FROM '{world}/salesforce/{sobject}.parquet'").df()


def test_client_credentials_and_password_grants_issue_tokens(server, api):
    url = f"{server.base_url}/services/oauth2/token"
    grants = [{"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
              {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
               "username": USERNAME, "password": PASSWORD}]
    for form in grants:
        reply = requests.post(url, data=form)
        body = reply.json()
        assert reply.status_code == 200, body
        assert body["token_type"] == "Bearer" and body["instance_url"] == server.base_url
        assert set(body) >= {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
        assert body["id"].startswith(f"{server.base_url}/id/00D")
        assert body["issued_at"] == str(int(api.now.timestamp() * 1000))
        assert CLIENT_SECRET not in reply.text and PASSWORD not in reply.text
        ok = requests.get(f"{server.base_url}{DATA}/sobjects",
                          headers={"Authorization": f"Bearer {body['access_token']}"})
        assert ok.status_code == 200


def test_bad_credentials_are_refused_without_echoing_secrets(server):
    url = f"{server.base_url}/services/oauth2/token"
    bad_secret = requests.post(url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                          "client_secret": "wrong-secret"})
    assert bad_secret.status_code == 400
    assert bad_secret.json() == {"error": "invalid_client", "error_description": "invalid client credentials"}
    bad_password = requests.post(url, data={"grant_type": "password", "client_id": CLIENT_ID,
                                            "client_secret": CLIENT_SECRET, "username": USERNAME,
                                            "password": "wrong-password"})
    assert bad_password.status_code == 400 and bad_password.json()["error"] == "invalid_grant"
    for reply in (bad_secret, bad_password):
        assert "wrong-" not in reply.text and CLIENT_SECRET not in reply.text


def test_requests_without_a_valid_token_get_401(server, api):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        reply = requests.get(f"{server.base_url}{DATA}/query", params={"q": "SELECT Id FROM Lead"}, headers=headers)
        assert reply.status_code == 401
        assert reply.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    client = Client(server.base_url)
    assert client.soql("SELECT Id FROM Lead").status_code == 200
    api.revoke_tokens()  # sessions expire: a client must log in again
    assert client.soql("SELECT Id FROM Lead").status_code == 401


def test_paging_with_next_records_url_returns_every_record_once(client, api, world):
    first = client.soql("SELECT Id, Email FROM Lead", batch=200).json()
    assert first["done"] is False and len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith(f"{DATA}/query/01g") and first["nextRecordsUrl"].endswith("-200")
    records = client.walk("SELECT Id, Email FROM Lead", batch=200)
    ids = [r["Id"] for r in records]
    leads = _file(world, "Lead")
    assert len(ids) == len(set(ids)) == first["totalSize"]
    assert set(ids) == set(leads.loc[~leads["IsDeleted"], "Id"]) == api.served_ids("Lead")
    assert records[0]["attributes"] == {"type": "Lead", "url": f"{DATA}/sobjects/Lead/{ids[0]}"}
    assert list(records[0]) == ["attributes", "Id", "Email"]
    # Without the header a page holds 2000 records.
    tasks = client.soql("SELECT Id FROM Task").json()
    assert len(tasks["records"]) == min(2000, tasks["totalSize"]) and tasks["totalSize"] > 2000


def test_where_on_system_modstamp_returns_exactly_the_later_records(client, world):
    contacts = _file(world, "Contact")
    cut = sorted(contacts["SystemModstamp"])[len(contacts) // 2]
    expected = set(contacts.loc[(contacts["SystemModstamp"] > cut) & ~contacts["IsDeleted"], "Id"])
    moment = dt.datetime.strptime(cut, "%Y-%m-%dT%H:%M:%S.000+0000")
    for literal in (moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    cut, (moment - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S-02:00")):
        records = client.walk(f"SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp > {literal}")
        assert {r["Id"] for r in records} == expected, literal
        assert all(r["SystemModstamp"] > cut for r in records)
    ordered = client.walk(f"SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp >= {cut} "
                          "ORDER BY SystemModstamp DESC, Id LIMIT 5")
    stamps = [r["SystemModstamp"] for r in ordered]
    assert len(stamps) == 5 and stamps == sorted(stamps, reverse=True) and stamps[0] == contacts["SystemModstamp"].max()


def test_conditions_and_values_serialize_as_salesforce_does(client, world):
    opps = _file(world, "Opportunity")
    won = client.walk("SELECT Id, Amount, IsWon, CloseDate, CreatedDate, Loss_Reason__c FROM Opportunity "
                      "WHERE IsWon = true AND CurrencyIsoCode = 'usd' AND Amount > 1000")
    expected = opps[opps["IsWon"] & (opps["CurrencyIsoCode"] == "USD") & (opps["Amount"] > 1000) & ~opps["IsDeleted"]]
    assert {r["Id"] for r in won} == set(expected["Id"]) and won
    record = won[0]
    assert record["IsWon"] is True and isinstance(record["Amount"], float) and record["Loss_Reason__c"] is None
    assert len(record["CloseDate"]) == 10 and record["CreatedDate"].endswith(".000+0000")
    missing = client.walk("SELECT Id FROM Opportunity WHERE Amount = null")
    assert {r["Id"] for r in missing} == set(opps.loc[opps["Amount"].isna() & ~opps["IsDeleted"], "Id"])
    some = list(opps["Id"][:3])
    listed = client.walk(f"SELECT Id FROM Opportunity WHERE Id IN ('{some[0]}', '{some[1]}', '{some[2]}')")
    assert {r["Id"] for r in listed} == set(opps.loc[opps["Id"].isin(some) & ~opps["IsDeleted"], "Id"])
    count = client.soql("SELECT COUNT() FROM Opportunity WHERE IsClosed = false").json()
    assert count["totalSize"] == int((~opps["IsClosed"] & ~opps["IsDeleted"]).sum()) and count["records"] == []


def test_query_all_also_returns_deleted_records(client, world):
    leads = _file(world, "Lead")
    deleted = set(leads.loc[leads["IsDeleted"], "Id"])
    assert deleted
    live = {r["Id"] for r in client.walk("SELECT Id FROM Lead")}
    everything = {r["Id"]: r for r in client.walk("SELECT Id, IsDeleted, MasterRecordId FROM Lead", all_rows=True)}
    assert not live & deleted and set(everything) == live | deleted
    only_deleted = client.walk("SELECT Id FROM Lead WHERE IsDeleted = true", all_rows=True)
    assert {r["Id"] for r in only_deleted} == deleted
    assert client.walk("SELECT Id FROM Lead WHERE IsDeleted = true") == []
    assert any(everything[i]["MasterRecordId"] for i in deleted)  # merged-away leads name their master


def test_merge_deletes_the_merged_record_and_bumps_both(client, api):
    before = api.now
    master, merged = sorted(api.served_ids("Account"))[:2]
    api.advance(60)
    api.merge_records("Account", master, merged)
    stamp = api.now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    since = before.strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = client.walk(f"SELECT Id, IsDeleted, MasterRecordId, SystemModstamp FROM Account "
                          f"WHERE SystemModstamp > {since}", all_rows=True)
    assert {r["Id"]: (r["IsDeleted"], r["MasterRecordId"], r["SystemModstamp"]) for r in changed} == {
        master: (False, None, stamp), merged: (True, master, stamp)}
    visible = client.walk(f"SELECT Id FROM Account WHERE SystemModstamp > {since}")
    assert [r["Id"] for r in visible] == [master]
    assert merged not in api.served_ids("Account") and merged in api.served_ids("Account", include_deleted=True)
    with pytest.raises(ValueError):
        api.merge_records("Opportunity", *sorted(api.served_ids("Opportunity"))[:2])


def test_updates_creates_and_deletes_show_in_incremental_queries_and_history(client, api):
    since = api.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    api.advance(5)
    lead = sorted(api.served_ids("Lead"))[0]
    api.update_record("Lead", lead, {"Lifecycle_Stage__c": "SQL", "Status": "Working - Contacted"})
    new_id = api.create_record("Lead", {"LastName": "Newman", "Company": "Acme", "Status": "Open - Not Contacted"})
    assert new_id.startswith("00Q") and len(new_id) == 18
    opp = client.walk("SELECT Id, StageName FROM Opportunity WHERE IsClosed = false LIMIT 1")[0]
    api.update_record("Opportunity", opp["Id"], {"StageName": "Closed Won"})
    gone = sorted(api.served_ids("Contact"))[0]
    api.delete_record("Contact", gone)

    changed = {r["Id"] for r in client.walk(f"SELECT Id FROM Lead WHERE SystemModstamp > {since}")}
    assert changed == {lead, new_id}
    history = client.walk(f"SELECT Field, OldValue, NewValue FROM LeadHistory WHERE LeadId = '{lead}' "
                          f"AND CreatedDate > {since}")
    assert {r["Field"] for r in history} <= {"Lifecycle_Stage__c", "Status"}
    assert {"Field": "Lifecycle_Stage__c", "NewValue": "SQL"}.items() <= next(
        r for r in history if r["Field"] == "Lifecycle_Stage__c").items()
    won = client.walk(f"SELECT Id, StageName, IsWon, IsClosed FROM Opportunity WHERE Id = '{opp['Id']}'")[0]
    assert (won["StageName"], won["IsWon"], won["IsClosed"]) == ("Closed Won", True, True)
    stage_rows = client.walk(f"SELECT StageName FROM OpportunityHistory WHERE OpportunityId = '{opp['Id']}' "
                             f"AND CreatedDate > {since}")
    assert [r["StageName"] for r in stage_rows] == ["Closed Won"]
    assert gone not in {r["Id"] for r in client.walk(f"SELECT Id FROM Contact WHERE SystemModstamp > {since}")}
    assert [r["Id"] for r in client.walk(f"SELECT Id FROM Contact WHERE SystemModstamp > {since}", all_rows=True)
            ] == [gone]


def test_describe_lists_every_field_including_schema_drift(client, api):
    describe = client.get(f"{DATA}/sobjects/Lead/describe").json()
    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["name"] == "Lead" and describe["keyPrefix"] == "00Q"
    assert {"Id", "Email", "IsConverted", "Lifecycle_Stage__c", "SystemModstamp"} <= set(fields)
    assert fields["SystemModstamp"]["type"] == "datetime" and fields["IsConverted"]["type"] == "boolean"
    assert fields["ConvertedContactId"]["referenceTo"] == ["Contact"]
    status_values = [v["value"] for v in fields["Status"]["picklistValues"]]
    assert status_values == ["Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                             "Closed - Not Converted"]
    assert set(fields["Status"]["picklistValues"][0]) == {"value", "label", "active", "defaultValue"}

    api.add_field("Lead", "Lead_Score__c", 0)
    api.remove_field("Lead", "Title")
    after = {f["name"]: f for f in client.get(f"{DATA}/sobjects/Lead/describe").json()["fields"]}
    assert after["Lead_Score__c"]["type"] == "int" and "Title" not in after
    rows = client.walk("SELECT Id, Lead_Score__c FROM Lead LIMIT 3")
    assert [r["Lead_Score__c"] for r in rows] == [0, 0, 0]
    gone = client.soql("SELECT Id, Title FROM Lead")
    assert gone.status_code == 400 and gone.json()[0]["errorCode"] == "INVALID_FIELD"
    objects = {o["name"]: o for o in client.get(f"{DATA}/sobjects").json()["sobjects"]}
    assert {"Lead", "Contact", "Account", "Opportunity", "OpportunityHistory", "Task", "Event",
            "CampaignMember", "LeadHistory", "User"} <= set(objects)
    assert all(o["queryable"] for o in objects.values())


def test_bad_queries_get_salesforce_error_bodies(client):
    cases = {
        "SELECT Id, Nonsense__c FROM Lead": "INVALID_FIELD",
        "SELECT Id FROM Leed": "INVALID_TYPE",
        "SELECT Id FROM Lead WHERE": "MALFORMED_QUERY",
        "SELECT Id FROM Lead WHERE CreatedDate > '2025-01-01'": "INVALID_FIELD",
        "SELECT Id FROM Lead WHERE Email = 'a' OR Email = 'b'": "MALFORMED_QUERY",
    }
    for soql, code in cases.items():
        reply = client.soql(soql)
        body = reply.json()
        assert reply.status_code == 400, soql
        assert isinstance(body, list) and body[0]["errorCode"] == code and body[0]["message"], soql
    assert "Nonsense__c" in client.soql("SELECT Id, Nonsense__c FROM Lead").json()[0]["message"]
    stale = client.get(f"{DATA}/query/01gXXXXXXXXXXXXXXX-2000")
    assert stale.status_code == 400 and stale.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_limit_header_counts_calls_and_rate_limit_answers_403(client, api):
    usages = []
    for _ in range(3):
        reply = client.get(f"{DATA}/sobjects")
        usages.append(reply.headers["Sforce-Limit-Info"])
    assert usages == [f"api-usage={n}/15000" for n in (1, 2, 3)]
    assert client.soql("SELECT Bad FROM Lead").headers["Sforce-Limit-Info"] == "api-usage=4/15000"
    api.requests_per_second = 2
    statuses = [client.get(f"{DATA}/sobjects").status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [403, 403]
    refused = client.get(f"{DATA}/sobjects")
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert "Sforce-Limit-Info" in refused.headers


def test_injected_faults_reach_the_client(client, api):
    api.faults.fail_next(429, retry_after="3", path_contains="/query")
    throttled = client.soql("SELECT Id FROM Lead")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert "Sforce-Limit-Info" in throttled.headers
    assert client.soql("SELECT Id FROM Lead").status_code == 200  # the retry goes through

    api.faults.fail_next(503, path_contains="/query")
    assert client.soql("SELECT Id FROM Lead").status_code == 503

    first = client.soql("SELECT Id FROM Lead", batch=200).json()
    api.faults.truncate(first["nextRecordsUrl"])
    cut = client.get(first["nextRecordsUrl"])
    with pytest.raises(ValueError):
        cut.json()
    again = client.get(first["nextRecordsUrl"]).json()  # the locator survives a failed read
    assert len(again["records"]) == 200


def test_from_world_refuses_a_hubspot_world(small_world):
    with pytest.raises(WorldError, match="not Salesforce"):
        SalesforceApi.from_world(small_world, CLIENT_ID, CLIENT_SECRET)


def test_clock_defaults_to_the_worlds_as_of_date(api):
    assert api.now == dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    assert api.advance(90) == dt.datetime(2026, 11, 1, 0, 1, 30, tzinfo=dt.timezone.utc)
