"""The demo world with Salesforce as its CRM: same company, Salesforce's shapes, the same mess."""

import re

import duckdb
import pytest

from demo_world.render.salesforce import KEY_PREFIXES, SCHEMA
from demo_world.world import WorldError, generate_world, read_manifest
from tests.conftest import TEST_SCALE, folder_digest

OBJECTS = ["User", "Account", "Lead", "Contact", "Opportunity", "OpportunityHistory", "OpportunityContactRole",
           "Campaign", "CampaignMember", "Task", "Event", "LeadHistory", "ContactHistory"]
NON_CRM = ["mailchimp", "google_ads", "meta_ads", "linkedin_ads", "web"]
CRM_FREE_TRUTH = ["persons", "accounts", "touch_channels", "stage_dates", "lead_dispositions", "campaigns"]
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def casesafe(id15: str) -> str:
    """Salesforce's 15 -> 18 character id: one letter per five characters saying which are upper case."""
    suffix = ""
    for i in range(3):
        flags = sum(1 << j for j, ch in enumerate(id15[5 * i:5 * i + 5]) if "A" <= ch <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[flags]
    return id15 + suffix


@pytest.fixture(scope="module")
def sf_world(tmp_path_factory):
    return generate_world(tmp_path_factory.mktemp("sf") / "world", seed=7, scale=TEST_SCALE, crm="salesforce").path


@pytest.fixture(scope="module")
def db(sf_world):
    con = duckdb.connect()
    for name in OBJECTS:
        con.execute(f"""CREATE VIEW "{name}" AS SELECT * FROM '{sf_world}/salesforce/{name}.parquet'""")
    for name in ["person_records", "account_records", "opportunities", "shared_identifiers"]:
        con.execute(f"CREATE VIEW truth_{name} AS SELECT * FROM '{sf_world}/truth/{name}.parquet'")
    return con


def one(db, sql):
    return db.sql(sql).fetchall()[0]


def test_same_seed_gives_identical_salesforce_files(sf_world, tmp_path):
    again = generate_world(tmp_path / "again", seed=7, scale=TEST_SCALE, crm="salesforce").path
    assert folder_digest(again / "salesforce") == folder_digest(sf_world / "salesforce")
    assert folder_digest(again / "truth") == folder_digest(sf_world / "truth")


def test_unknown_crm_is_refused(tmp_path):
    with pytest.raises(WorldError, match="crm must be one of hubspot, salesforce"):
        generate_world(tmp_path / "w", seed=1, scale=0.01, crm="pipedrive")


def test_manifest_names_the_crm(sf_world, small_world):
    manifest = read_manifest(sf_world)
    assert manifest["crm"] == "salesforce"
    assert manifest["source_systems"][0] == "salesforce" and "hubspot" not in manifest["source_systems"]
    assert manifest["row_counts"]["salesforce/Lead.parquet"] > 0
    assert not (sf_world / "hubspot").exists()
    assert read_manifest(small_world)["crm"] == "hubspot"


def test_other_systems_do_not_depend_on_the_crm(sf_world, small_world):
    for folder in NON_CRM:
        assert folder_digest(sf_world / folder) == folder_digest(small_world / folder), folder
    for name in CRM_FREE_TRUTH:
        path = f"truth/{name}.parquet"
        assert (sf_world / path).read_bytes() == (small_world / path).read_bytes(), name


def test_files_have_the_rest_api_shape(sf_world, db):
    for name in OBJECTS:
        columns = [c[0] for c in db.sql(f'DESCRIBE "{name}"').fetchall()]
        assert columns == list(SCHEMA[name]), name
        assert {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"} <= set(columns)
        for field, kind in SCHEMA[name].items():
            values = [v for (v,) in db.sql(f'SELECT DISTINCT "{field}" FROM "{name}" WHERE "{field}" IS NOT NULL '
                                           "LIMIT 50").fetchall()]
            if kind == "datetime":
                assert all(DATETIME.match(v) for v in values), (name, field, values[:3])
            elif kind == "date":
                assert all(DATE.match(v) for v in values), (name, field, values[:3])
            elif kind == "boolean":
                assert all(isinstance(v, bool) for v in values), (name, field)
            elif kind in ("currency", "percent", "int"):
                assert all(isinstance(v, (int, float)) for v in values), (name, field)
    assert (sf_world / "salesforce" / "picklist_values.parquet").exists()


def test_ids_are_salesforce_ids(db):
    for name in OBJECTS:
        ids = [i for (i,) in db.sql(f'SELECT Id FROM "{name}"').fetchall()]
        assert len(ids) == len(set(ids)) > 0, name
        assert all(len(i) == 18 and i.startswith(KEY_PREFIXES[name]) and casesafe(i[:15]) == i for i in ids), name


def test_truth_and_source_agree(db):
    missing_in_files, missing_in_truth, accounts_off, opps_off = one(db, """
        WITH people AS (SELECT Id FROM Lead UNION ALL SELECT Id FROM Contact)
        SELECT
          (SELECT count(*) FROM truth_person_records WHERE source_system = 'salesforce'
             AND source_record_id NOT IN (SELECT Id FROM people)),
          (SELECT count(*) FROM people WHERE Id NOT IN (
             SELECT source_record_id FROM truth_person_records UNION ALL
             SELECT source_record_id FROM truth_shared_identifiers WHERE source_system = 'salesforce')),
          (SELECT count(*) FROM Account a FULL JOIN truth_account_records t ON t.source_record_id = a.Id
             WHERE a.Id IS NULL OR t.source_record_id IS NULL OR a.IsDeleted <> t.is_merged_away),
          (SELECT count(*) FROM Opportunity o FULL JOIN truth_opportunities t ON t.source_record_id = o.Id
             WHERE o.Id IS NULL OR t.source_record_id IS NULL OR o.CurrencyIsoCode <> t.currency
                OR o.IsWon <> t.is_won OR (o.Amount IS NOT NULL AND o.Amount <> t.amount))
    """)
    assert (missing_in_files, missing_in_truth, accounts_off, opps_off) == (0, 0, 0, 0)
    systems = {s for (s,) in db.sql("SELECT DISTINCT source_system FROM truth_person_records").fetchall()}
    assert systems == {"salesforce", "mailchimp", "web", "google_ads"}
    # A converted lead and its contact are records of the same person.
    mismatched = one(db, """
        SELECT count(*) FROM Lead l
        JOIN truth_person_records tl ON tl.source_record_id = l.Id
        JOIN truth_person_records tc ON tc.source_record_id = l.ConvertedContactId
        WHERE l.IsConverted AND tl.true_person_id <> tc.true_person_id""")[0]
    assert mismatched == 0


def test_converted_leads_point_to_existing_records(db):
    converted, to_opportunity, broken = one(db, """
        SELECT count(*), count(ConvertedOpportunityId),
               count(*) FILTER (WHERE ConvertedContactId NOT IN (SELECT Id FROM Contact)
                                   OR ConvertedAccountId NOT IN (SELECT Id FROM Account)
                                   OR ConvertedDate IS NULL OR Status <> 'Closed - Converted'
                                   OR (ConvertedOpportunityId IS NOT NULL
                                       AND ConvertedOpportunityId NOT IN (SELECT Id FROM Opportunity)))
        FROM Lead WHERE IsConverted""")
    assert converted > 0 and to_opportunity > 0 and broken == 0
    assert one(db, "SELECT count(*) FROM Lead WHERE NOT IsConverted AND ConvertedContactId IS NOT NULL")[0] == 0
    off_account = one(db, """SELECT count(*) FROM Lead l JOIN Contact c ON c.Id = l.ConvertedContactId
                             WHERE l.IsConverted AND c.AccountId <> l.ConvertedAccountId""")[0]
    assert off_account == 0


def test_opportunity_history_ends_in_the_current_stage(db):
    without, off = one(db, """
        WITH last AS (SELECT OpportunityId, arg_max(StageName, CreatedDate) AS stage FROM OpportunityHistory
                      GROUP BY 1)
        SELECT count(*) FILTER (WHERE l.stage IS NULL), count(*) FILTER (WHERE l.stage <> o.StageName)
        FROM Opportunity o LEFT JOIN last l ON l.OpportunityId = o.Id""")
    assert without == 0 and off == 0
    assert one(db, "SELECT count(DISTINCT StageName) FROM OpportunityHistory")[0] >= 6


def test_the_world_has_the_mess_real_orgs_have(db):
    for name in ["Lead", "Contact", "Account"]:
        merged, dangling = one(db, f"""
            SELECT count(*), count(*) FILTER (WHERE NOT IsDeleted OR MasterRecordId NOT IN (SELECT Id FROM "{name}"))
            FROM "{name}" WHERE MasterRecordId IS NOT NULL""")
        assert merged > 0 and dangling == 0, name
    for name in ["Lead", "Contact", "Opportunity"]:
        master = "MasterRecordId IS NULL AND " if name != "Opportunity" else ""
        assert one(db, f'SELECT count(*) FROM "{name}" WHERE {master} IsDeleted')[0] > 0, name
    no_first, no_email, no_title = one(db, """SELECT count(*) FILTER (WHERE FirstName IS NULL),
        count(*) FILTER (WHERE Email IS NULL), count(*) FILTER (WHERE Title IS NULL) FROM Lead""")
    assert no_first > 0 and no_email > 0 and no_title > 0
    assert one(db, "SELECT count(*) FROM Opportunity WHERE Amount IS NULL")[0] > 0
    assert one(db, "SELECT count(DISTINCT CurrencyIsoCode) FROM Opportunity")[0] >= 4
    assert one(db, "SELECT count(DISTINCT Type) FROM Opportunity")[0] == 3
    duplicated_people = one(db, """SELECT count(*) FROM (SELECT true_person_id FROM truth_person_records
                                   WHERE source_system = 'salesforce' GROUP BY 1 HAVING count(*) > 2)""")[0]
    assert duplicated_people > 0
    assert one(db, "SELECT count(*) FROM truth_shared_identifiers WHERE source_system = 'salesforce'")[0] > 0


def test_references_resolve(db):
    checks = {
        "WhoId": """SELECT count(*) FROM (SELECT WhoId FROM Task UNION ALL SELECT WhoId FROM Event)
                    WHERE WhoId IS NOT NULL AND WhoId NOT IN (SELECT Id FROM Lead UNION ALL SELECT Id FROM Contact)""",
        "WhatId": """SELECT count(*) FROM (SELECT WhatId FROM Task UNION ALL SELECT WhatId FROM Event)
                     WHERE WhatId IS NOT NULL AND WhatId NOT IN (SELECT Id FROM Opportunity)""",
        "OwnerId": """SELECT count(*) FROM (SELECT OwnerId FROM Lead UNION ALL SELECT OwnerId FROM Contact
                      UNION ALL SELECT OwnerId FROM Opportunity UNION ALL SELECT OwnerId FROM Account
                      UNION ALL SELECT OwnerId FROM Task) WHERE OwnerId NOT IN (SELECT Id FROM "User")""",
        "members": """SELECT count(*) FROM CampaignMember WHERE (LeadId IS NULL AND ContactId IS NULL)
                      OR CampaignId NOT IN (SELECT Id FROM Campaign) OR LeadId NOT IN (SELECT Id FROM Lead)
                      OR ContactId NOT IN (SELECT Id FROM Contact)""",
        "roles": """SELECT count(*) FROM OpportunityContactRole WHERE ContactId NOT IN (SELECT Id FROM Contact)
                    OR OpportunityId NOT IN (SELECT Id FROM Opportunity)""",
        "accounts": """SELECT count(*) FROM (SELECT AccountId FROM Contact UNION ALL SELECT AccountId FROM Opportunity)
                       WHERE AccountId NOT IN (SELECT Id FROM Account)""",
    }
    assert {k: one(db, sql)[0] for k, sql in checks.items()} == dict.fromkeys(checks, 0)
    assert one(db, "SELECT count(*) FROM OpportunityContactRole WHERE IsPrimary")[0] > 0
    assert one(db, "SELECT count(*) FROM CampaignMember WHERE ContactId IS NOT NULL AND LeadId IS NOT NULL")[0] > 0


def test_field_history_agrees_with_current_values(db):
    for name, parent, fields in [("Lead", "LeadId", ["Lifecycle_Stage__c", "Status", "Disposition__c"]),
                                 ("Contact", "ContactId", ["Lifecycle_Stage__c"])]:
        for field in fields:
            changes, off = one(db, f"""
                WITH last AS (SELECT {parent} AS id, arg_max(NewValue, CreatedDate) AS value FROM {name}History
                              WHERE Field = '{field}' GROUP BY 1)
                SELECT count(*), count(*) FILTER (WHERE r."{field}" IS DISTINCT FROM l.value)
                FROM last l JOIN "{name}" r ON r.Id = l.id""")
            assert changes > 0 and off == 0, (name, field)
    assert one(db, "SELECT count(*) FROM LeadHistory WHERE OldValue = NewValue")[0] == 0
    assert one(db, "SELECT count(*) FROM LeadHistory WHERE Field = 'leadConverted'")[0] == one(
        db, "SELECT count(*) FROM Lead WHERE IsConverted")[0]


def test_picklists_cover_the_values_in_use(sf_world, db):
    db.execute(f"CREATE OR REPLACE VIEW picklists AS SELECT * FROM '{sf_world}/salesforce/picklist_values.parquet'")
    for sobject, field, active_only in [("Lead", "Status", True), ("Opportunity", "StageName", True),
                                        ("Lead", "Lifecycle_Stage__c", True), ("Contact", "Lifecycle_Stage__c", True)]:
        unknown = one(db, f"""SELECT count(*) FROM "{sobject}" WHERE "{field}" IS NOT NULL AND "{field}" NOT IN (
            SELECT value FROM picklists WHERE sobject = '{sobject}' AND field = '{field}'
            AND (is_active OR NOT {active_only}))""")[0]
        assert unknown == 0, (sobject, field)
    stages = [v for (v,) in db.sql("""SELECT value FROM picklists WHERE sobject = 'Opportunity'
                                       AND field = 'StageName' ORDER BY sort_order""").fetchall()]
    assert stages[:2] == ["Prospecting", "Qualification"] and stages[-2:] == ["Closed Won", "Closed Lost"]
