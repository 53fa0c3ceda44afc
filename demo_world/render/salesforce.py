"""Salesforce (Sales Cloud) as the demo company's CRM holds it, for worlds generated with crm="salesforce".

It describes the same company as the HubSpot renderer: the same simulation and the same `CrmRecords`
(people, duplicates, merges, deletions, companies), told the way a Salesforce org stores them.
One Parquet file per SObject, columns named exactly as the API names the fields, values as the REST
API returns them: datetimes `2025-01-01T10:00:00.000+0000`, dates `2025-01-01`, numbers and booleans
typed, 18-character ids with the object's key prefix and the case-safe suffix.

How HubSpot-style CRM records become Salesforce records:
- a record created by a form fill, a list import or outbound prospecting is a Lead; one a rep adds
  to a deal is a Contact;
- a person's primary lead is converted when they reach SQL or an opportunity (at the opportunity when
  it opens within 30 days of the SQL, and then into it): the lead keeps IsConverted and the
  Converted*Id fields, a new Contact on the account carries on, and activities move to it;
- merges happen within one object (IsDeleted, MasterRecordId); a duplicate lead of someone who
  already has a contact is converted into that contact, which is how Salesforce users merge the two;
- deleted records stay with IsDeleted = true (only queryAll returns them); deleting a record deletes
  its activities, field history and campaign memberships with it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import rng_for
from demo_world.crm_records import COMPANY_ID_BASE, CrmRecords
from demo_world.messy_emails import normalize_like_crm
from demo_world.render.base import Renderer
from demo_world.render.truth import CrmTruth
from demo_world.simulation import Simulation, stage_events
from demo_world.vocab import FIRST_NAMES, LAST_NAMES

OUR_DOMAIN = "tallyhouse.example"

# ---------------------------------------------------------------------------------------------
# Ids
# ---------------------------------------------------------------------------------------------

KEY_PREFIXES = {
    "Account": "001", "Contact": "003", "User": "005", "Opportunity": "006", "OpportunityHistory": "008",
    "Lead": "00Q", "OpportunityContactRole": "00K", "Task": "00T", "Event": "00U", "CampaignMember": "00v",
    "Campaign": "701", "LeadHistory": "017", "ContactHistory": "017",
    # Not SObjects, but ids the API hands out too.
    "Organization": "00D", "QueryLocator": "01g",
}
_SHARED_PREFIX_BLOCK = {"ContactHistory": 1}  # objects sharing a key prefix count in separate blocks
_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)
_POD = "5e"  # the instance ("pod") characters every id of this org carries


def sf_ids(sobject: str, numbers, seed: int) -> np.ndarray:
    """18-character Salesforce ids for record numbers 0, 1, ... of an object (vectorized).

    Key prefix, pod, a reserved 0, nine base-62 digits of a seeded counter, then the case-safe suffix:
    one letter per five characters encoding which of them are upper case. Numbers in creation order
    give ids that sort in creation order, as Salesforce's do.
    """
    numbers = np.asarray(numbers, dtype=np.int64).reshape(-1)
    prefix = KEY_PREFIXES[sobject]
    h = zlib.crc32(f"{seed}:{prefix}".encode())
    counter = (1 + h % 40) * 62**5 + (h >> 8) % 62**4 + _SHARED_PREFIX_BLOCK.get(sobject, 0) * 10**8 + numbers
    digits = (counter[:, None] // 62 ** np.arange(8, -1, -1, dtype=np.int64)) % 62
    head = np.frombuffer((prefix + _POD + "0").encode(), dtype=np.uint8)
    codes = np.concatenate([np.broadcast_to(head, (len(numbers), 6)), _BASE62[digits]], axis=1)
    upper = ((codes >= ord("A")) & (codes <= ord("Z"))).reshape(-1, 3, 5)
    suffix = _SUFFIX[(upper * np.array([1, 2, 4, 8, 16])).sum(axis=2)]
    full = np.ascontiguousarray(np.concatenate([codes, suffix], axis=1), dtype=np.uint8)
    return full.view("S18").reshape(-1).astype(str).astype(object)


# ---------------------------------------------------------------------------------------------
# Schema: the fields of every object, in file order, with their Salesforce field types
# ---------------------------------------------------------------------------------------------

_STAMPS = "CreatedDate:datetime LastModifiedDate:datetime SystemModstamp:datetime"
_SCHEMA_TEXT = {
    "User": "Id:id IsDeleted:boolean Username:string Email:email FirstName:string LastName:string Name:string "
            "Title:string Department:string IsActive:boolean UserType:picklist",
    "Account": "Id:id IsDeleted:boolean MasterRecordId:reference Name:string Type:picklist Website:url "
               "Industry:picklist NumberOfEmployees:int BillingCountry:string CurrencyIsoCode:picklist "
               "OwnerId:reference Churn_Date__c:date",
    "Lead": "Id:id IsDeleted:boolean MasterRecordId:reference FirstName:string LastName:string Name:string "
            "Title:string Company:string Email:email Country:string LeadSource:picklist Status:picklist "
            "OwnerId:reference IsConverted:boolean ConvertedDate:date ConvertedAccountId:reference "
            "ConvertedContactId:reference ConvertedOpportunityId:reference Lifecycle_Stage__c:picklist "
            "MQL_Date__c:datetime SAL_Date__c:datetime SQL_Date__c:datetime Disposition__c:picklist "
            "Rejection_Reason__c:picklist Original_Source__c:picklist Original_Campaign__c:string",
    "Contact": "Id:id IsDeleted:boolean MasterRecordId:reference AccountId:reference FirstName:string "
               "LastName:string Name:string Title:string Email:email MailingCountry:string LeadSource:picklist "
               "OwnerId:reference Lifecycle_Stage__c:picklist MQL_Date__c:datetime SAL_Date__c:datetime "
               "SQL_Date__c:datetime Opportunity_Date__c:datetime Customer_Date__c:datetime "
               "Original_Source__c:picklist Original_Campaign__c:string",
    "Opportunity": "Id:id IsDeleted:boolean AccountId:reference Name:string Type:picklist StageName:picklist "
                   "Probability:percent Amount:currency CurrencyIsoCode:picklist CloseDate:date IsClosed:boolean "
                   "IsWon:boolean Loss_Reason__c:picklist OwnerId:reference",
    "OpportunityHistory": "Id:id IsDeleted:boolean OpportunityId:reference StageName:picklist Amount:currency "
                          "ExpectedRevenue:currency Probability:percent CloseDate:date",
    "OpportunityContactRole": "Id:id IsDeleted:boolean OpportunityId:reference ContactId:reference "
                              "Role:picklist IsPrimary:boolean",
    "Campaign": "Id:id IsDeleted:boolean Name:string Type:picklist Status:picklist IsActive:boolean "
                "StartDate:date EndDate:date UTM_Source__c:string UTM_Medium__c:string UTM_Campaign__c:string "
                "OwnerId:reference",
    "CampaignMember": "Id:id IsDeleted:boolean CampaignId:reference LeadId:reference ContactId:reference "
                      "Status:picklist HasResponded:boolean FirstRespondedDate:date",
    "Task": "Id:id IsDeleted:boolean Subject:string TaskSubtype:picklist Type:picklist Status:picklist "
            "Priority:picklist IsClosed:boolean ActivityDate:date CallType:picklist CallDurationInSeconds:int "
            "WhoId:reference WhatId:reference OwnerId:reference",
    "Event": "Id:id IsDeleted:boolean Subject:string StartDateTime:datetime EndDateTime:datetime "
             "ActivityDateTime:datetime ActivityDate:date DurationInMinutes:int WhoId:reference "
             "WhatId:reference OwnerId:reference",
    "LeadHistory": "Id:id IsDeleted:boolean LeadId:reference Field:picklist DataType:string OldValue:anyType "
                   "NewValue:anyType",
    "ContactHistory": "Id:id IsDeleted:boolean ContactId:reference Field:picklist DataType:string "
                      "OldValue:anyType NewValue:anyType",
}
SCHEMA: dict[str, dict[str, str]] = {
    name: dict(token.split(":") for token in f"{text} {_STAMPS}".split()) for name, text in _SCHEMA_TEXT.items()
}
# What each lookup field points to (MasterRecordId points to its own object).
REFERENCES = {
    "OwnerId": ["User"], "AccountId": ["Account"], "ConvertedAccountId": ["Account"], "ContactId": ["Contact"],
    "ConvertedContactId": ["Contact"], "LeadId": ["Lead"], "OpportunityId": ["Opportunity"],
    "ConvertedOpportunityId": ["Opportunity"], "CampaignId": ["Campaign"], "WhoId": ["Contact", "Lead"],
    "WhatId": ["Opportunity", "Account"],
}

# ---------------------------------------------------------------------------------------------
# Picklists
# ---------------------------------------------------------------------------------------------

# Canonical lifecycle stage -> (picklist value, label) of the custom Lifecycle_Stage__c field.
LIFECYCLE = {
    "subscriber": ("Subscriber", "Subscriber"), "lead": ("Lead", "Lead"),
    "mql": ("MQL", "Marketing Qualified Lead"), "sal": ("SAL", "Sales Accepted Lead"),
    "sql": ("SQL", "Sales Qualified Lead"), "opportunity": ("Opportunity", "Opportunity"),
    "customer": ("Customer", "Customer"), "churned": ("Former Customer", "Former Customer"),
}
LIFE_VALUE = {stage: value for stage, (value, _) in LIFECYCLE.items()}
OPEN, WORKING, CONVERTED, NOT_CONVERTED = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                                           "Closed - Not Converted")
LEAD_STATUSES = [OPEN, WORKING, CONVERTED, NOT_CONVERTED]
# Salesforce's standard sales process; the org switched off the two stages it never used.
# (StageName, probability, active, the simulation's HubSpot-style stage it stands for)
STAGES = [
    ("Prospecting", 10, True, "appointmentscheduled"), ("Qualification", 10, True, "qualifiedtobuy"),
    ("Needs Analysis", 20, True, None), ("Value Proposition", 50, True, "presentationscheduled"),
    ("Id. Decision Makers", 60, False, None), ("Perception Analysis", 70, False, None),
    ("Proposal/Price Quote", 75, True, "decisionmakerboughtin"), ("Negotiation/Review", 90, True, "contractsent"),
    ("Closed Won", 100, True, "closedwon"), ("Closed Lost", 0, True, "closedlost"),
]
STAGE_OF_HUBSPOT = {hs: name for name, _, _, hs in STAGES if hs}
PROBABILITY = {name: prob for name, prob, _, _ in STAGES}
OPPORTUNITY_TYPES = {"newbusiness": "New Business", "expansion": "Existing Customer - Upgrade",
                     "renewal": "Existing Customer - Renewal"}
LOSS_REASONS = {"price": "Price", "competitor": "Lost to Competitor", "no_decision": "No Decision",
                "timing": "Timing", "missing_feature": "Missing Feature", "churned": "Churned"}
REJECTION_REASONS = {"bad_fit": "Bad Fit", "no_budget": "No Budget", "student_or_job_seeker": "Student or Job Seeker",
                     "competitor": "Competitor", "duplicate": "Duplicate", "no_response": "No Response"}
LEAD_SOURCES = {"form": "Web", "import": "List Import", "sales_prospecting": "Outbound", "sales_deal": "Sales"}
ORIGINAL_SOURCES = {
    "paid_search": "Paid Search", "paid_social": "Paid Social", "retargeting": "Paid Social",
    "organic_search": "Organic Search", "referral": "Referrals", "direct": "Direct Traffic",
    "content": "Other Campaigns", "webinar": "Other Campaigns", "events": "Other Campaigns",
}
CAMPAIGN_TYPES = {"paid_search": "Advertisement", "paid_social": "Advertisement", "retargeting": "Banner Ads",
                  "webinar": "Webinar", "events": "Conference", "content": "Content"}
CONTACT_ROLES = ["Decision Maker", "Economic Buyer", "Evaluator", "Influencer", "Technical Buyer", "Business User"]
EMAIL_SUBJECTS = ["Email: Following up", "Email: Quick question", "Email: Resources you asked for",
                  "Email: Next steps", "Email: Checking in"]
MEETING_SUBJECTS = ["Discovery call", "Product demo", "Pricing review", "Check-in"]
TRACKED_FIELDS = {"Lead": ["Lifecycle_Stage__c", "Status", "Disposition__c"], "Contact": ["Lifecycle_Stage__c"]}

_MACROS = [
    # Salesforce's datetime and date formats; NULL for missing (-1) times.
    """CREATE OR REPLACE MACRO sfdt(t) AS CASE WHEN t IS NULL OR t < 0 THEN NULL
       ELSE strftime(make_timestamp(t::BIGINT * 1000000), '%Y-%m-%dT%H:%M:%S.000+0000') END""",
    """CREATE OR REPLACE MACRO sfdate(t) AS CASE WHEN t IS NULL OR t < 0 THEN NULL
       ELSE strftime(make_timestamp(t::BIGINT * 1000000), '%Y-%m-%d') END""",
]


def render_salesforce(r: Renderer, sim: Simulation, crm: CrmRecords) -> CrmTruth:
    """Writes salesforce/*.parquet; returns the id maps the truth files need."""
    rng = rng_for(sim.seed, "render_salesforce")
    for macro in _MACROS:
        r.con.execute(macro)
    seed = sim.seed
    users = _users(sim, seed)
    accounts = _accounts(rng, sim, crm, users, seed)
    opps = _opportunities(rng, sim, crm, users, seed)
    people = _people(rng, sim, crm, users, opps, seed)

    _write(r, "User", users.frame)
    _write(r, "Account", accounts)
    _write(r, "Lead", people.leads)
    _write(r, "Contact", people.contacts)
    _write(r, "Opportunity", opps)
    _write(r, "OpportunityHistory", _opportunity_history(sim, opps, seed))
    _write(r, "OpportunityContactRole", _contact_roles(rng, sim, opps, people, seed))
    campaigns = _campaigns(sim, users, seed)
    _write(r, "Campaign", campaigns)
    _write(r, "CampaignMember", _campaign_members(sim, crm, campaigns, people, seed))
    tasks, events = _activities(rng, sim, opps, users, people, seed)
    _write(r, "Task", tasks)
    _write(r, "Event", events)
    _write(r, "LeadHistory", people.lead_history)
    _write(r, "ContactHistory", people.contact_history)
    _write_picklists(r)

    person_records = pd.concat([
        pd.DataFrame({"source_record_id": people.leads["Id"].to_numpy(), "person_no": people.leads["person_no"],
                      "record_type": "lead", "shared": people.leads["shared"].to_numpy()}),
        pd.DataFrame({"source_record_id": people.contacts["Id"].to_numpy(),
                      "person_no": people.contacts["person_no"], "record_type": "contact", "shared": False}),
    ], ignore_index=True)
    account_records = pd.DataFrame({
        "source_record_id": accounts["Id"].to_numpy(), "account_no": accounts["account_no"].to_numpy(),
        "is_duplicate": accounts["is_duplicate"].to_numpy(), "is_merged_away": accounts["IsDeleted"].to_numpy(),
        "sort_key": np.arange(len(accounts)),
    })
    deals = sim.deals.deals.assign(source_record_id=opps["Id"].to_numpy(), sort_key=np.arange(len(opps)))
    return CrmTruth(system="salesforce", person_records=person_records, account_records=account_records, deals=deals)


# ---------------------------------------------------------------------------------------------
# Users, accounts, opportunities
# ---------------------------------------------------------------------------------------------

@dataclass
class _Users:
    frame: pd.DataFrame
    rep_ids: np.ndarray  # per simulation owner number, the User id
    automation_id: str  # the marketing automation user that owns unassigned leads and campaigns
    sdr_nos: np.ndarray  # owner numbers of the SDR team


def _users(sim: Simulation, seed: int) -> _Users:
    owners = sim.deals.owners
    n = len(owners)
    # Same names as the HubSpot owners: both CRMs describe the same sales team.
    first = np.asarray(FIRST_NAMES)[(np.arange(n) * 37 + 11) % len(FIRST_NAMES)]
    last = np.asarray(LAST_NAMES)[(np.arange(n) * 53 + 7) % len(LAST_NAMES)]
    ids = sf_ids("User", np.arange(n + 1), seed)
    login = np.char.lower((pd.Series(first) + "." + pd.Series(last)).to_numpy().astype(str)).astype(object)
    frame = pd.DataFrame({
        "Id": ids,
        "IsDeleted": False,
        "Username": np.r_[["integration@" + OUR_DOMAIN], login + "@" + OUR_DOMAIN],
        "Email": np.r_[["marketing-ops@" + OUR_DOMAIN], login + "@" + OUR_DOMAIN],
        "FirstName": np.r_[["Marketing"], first],
        "LastName": np.r_[["Automation"], last],
        "Title": np.r_[["Integration User"], owners["team"].to_numpy()],
        "Department": np.r_[["Marketing Operations"], owners["team"].to_numpy()],
        "IsActive": True,
        "UserType": "Standard",
        "CreatedDate": P.T0 - 400 * P.DAY,
        "LastModifiedDate": P.T0 - 400 * P.DAY,
        "SystemModstamp": P.T0 - 400 * P.DAY,
    })
    frame["Name"] = frame["FirstName"] + " " + frame["LastName"]
    sdr_nos = owners.index[owners["team"] == "Sales Development"].to_numpy()
    return _Users(frame=frame, rep_ids=ids[1:], automation_id=ids[0], sdr_nos=sdr_nos)


def _accounts(rng, sim: Simulation, crm: CrmRecords, users: _Users, seed: int) -> pd.DataFrame:
    """Every company record, merged-away duplicates included (IsDeleted, MasterRecordId)."""
    accounts = sim.population.accounts
    co = crm.companies.reset_index(drop=True)
    n = len(co)
    a = accounts.iloc[co["account_no"].to_numpy()]
    dup = co["is_duplicate"].to_numpy()

    def maybe(values, keep_share):
        return np.where(rng.random(n) < keep_share, values, None)

    ids = sf_ids("Account", co["company_id"].to_numpy() - COMPANY_ID_BASE, seed)
    variant = np.where(rng.random(n) < 0.5, a["name"].to_numpy() + ".", a["name"].str.upper().to_numpy())
    website = np.where(dup, np.where(rng.random(n) < 0.5, "www." + a["domain"].to_numpy(), None),
                       maybe(a["domain"].to_numpy(), 0.92))
    midpoints = {"1-10": 6, "11-50": 30, "51-200": 120, "201-1000": 450, "1001-5000": 2500, "5001+": 8000}
    employees = pd.array(np.where(rng.random(n) < 0.8, a["employees"].map(midpoints).to_numpy(), np.nan),
                         dtype="Int64")

    d = sim.deals.deals
    won = d[d["is_won"]].groupby("account_no")["closed_at"].min()
    churned = d[(d["deal_type"] == "renewal") & d["is_closed"] & ~d["is_won"]].groupby("account_no")["closed_at"].min()
    churn_at = churned.reindex(co["account_no"]).fillna(-1).to_numpy().astype(np.int64)
    is_customer = won.reindex(co["account_no"]).notna().to_numpy()
    kind = np.where(churn_at >= 0, "Former Customer", np.where(is_customer, "Customer", "Prospect"))

    merged = co["merged_into_id"].to_numpy() > 0
    master_row = np.where(merged, co["merged_into_id"].to_numpy() - COMPANY_ID_BASE, 0)
    bump = co[merged].groupby("merged_into_id")["merged_at"].max().reindex(co["company_id"]).fillna(-1).to_numpy()
    created = co["created_at"].to_numpy()
    # Type changes when the first deal is won and when the account churns: both touch the record.
    won_at = np.where(merged, -1, won.reindex(co["account_no"]).fillna(-1).to_numpy())
    modified = _stamp(created, co["merged_at"], bump, won_at, np.where(merged, -1, churn_at))
    return pd.DataFrame({
        "Id": ids,
        "IsDeleted": merged,
        "MasterRecordId": np.where(merged, ids[master_row], None),
        "Name": np.where(dup, variant, a["name"].to_numpy()),
        "Type": np.where(merged, "Prospect", kind),
        "Website": website,
        "Industry": maybe(a["industry"].to_numpy(), 0.85),
        "NumberOfEmployees": employees,
        "BillingCountry": maybe(a["country"].to_numpy(), 0.9),
        "CurrencyIsoCode": a["currency"].to_numpy(),
        "OwnerId": users.rep_ids[sim.deals.account_owner[co["account_no"].to_numpy()]],
        "Churn_Date__c": np.where(merged, -1, churn_at),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
        "account_no": co["account_no"].to_numpy(),
        "company_id": co["company_id"].to_numpy(),
        "is_duplicate": dup,
    })


def _account_id(company_ids: np.ndarray, seed: int) -> np.ndarray:
    """Account ids for company ids, None where there is none (NaN or negative)."""
    company_ids = np.asarray(company_ids, dtype=float)
    has = ~np.isnan(company_ids) & (company_ids > 0)
    out = np.full(len(company_ids), None, dtype=object)
    out[has] = sf_ids("Account", company_ids[has].astype(np.int64) - COMPANY_ID_BASE, seed)
    return out


def _opportunities(rng, sim: Simulation, crm: CrmRecords, users: _Users, seed: int) -> pd.DataFrame:
    accounts = sim.population.accounts
    d = sim.deals.deals
    n = len(d)
    name = accounts["name"].to_numpy()[d["account_no"].to_numpy()]
    year = pd.Series(d["close_at"].to_numpy().astype("datetime64[s]")).dt.year.astype(str).to_numpy()
    label = np.select([d["deal_type"] == "newbusiness", d["deal_type"] == "renewal"],
                      ["New Business", "Renewal " + year], "Expansion")
    hist = sim.deals.stage_history
    last_stage = hist.groupby("deal_no")["stage"].last().reindex(d["deal_no"]).fillna("appointmentscheduled")
    stage = last_stage.map(STAGE_OF_HUBSPOT).to_numpy()
    company = crm.deal_company.set_index("deal_no")["company_id"].reindex(d["deal_no"]).to_numpy()
    delete_at = d["created_at"].to_numpy() + rng.integers(1, 200, n) * P.DAY
    deleted = (rng.random(n) < 0.005) & (delete_at < P.T_END)
    deleted_at = np.where(deleted, delete_at, -1)
    last_change = hist.groupby("deal_no")["t"].max().reindex(d["deal_no"]).fillna(0).to_numpy().astype(np.int64)
    modified = np.maximum.reduce([d["created_at"].to_numpy(), last_change, deleted_at])
    return pd.DataFrame({
        "Id": sf_ids("Opportunity", np.arange(n), seed),
        "IsDeleted": deleted,
        "AccountId": _account_id(company, seed),
        "Name": name + " - " + label,
        "Type": d["deal_type"].map(OPPORTUNITY_TYPES).to_numpy(),
        "StageName": stage,
        "Probability": pd.Series(stage).map(PROBABILITY).to_numpy().astype(float),
        "Amount": np.where(d["amount_missing"].to_numpy(), np.nan, d["amount"].to_numpy()),
        "CurrencyIsoCode": d["currency"].to_numpy(),
        "CloseDate": d["close_at"].to_numpy(),
        "IsClosed": d["is_closed"].to_numpy(),
        "IsWon": d["is_won"].to_numpy(),
        "Loss_Reason__c": d["lost_reason"].map(LOSS_REASONS).to_numpy(),
        "OwnerId": users.rep_ids[d["owner_no"].to_numpy()],
        "CreatedDate": d["created_at"].to_numpy(),
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
        "deal_no": d["deal_no"].to_numpy(),
        "account_no": d["account_no"].to_numpy(),
        "deleted_at": deleted_at,
    })


def _opportunity_history(sim: Simulation, opps: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per stage the opportunity entered; the last one is its current stage."""
    h = sim.deals.stage_history.merge(
        opps[["deal_no", "Id", "Amount", "CloseDate", "IsDeleted", "deleted_at"]], on="deal_no")
    h = h.sort_values(["t", "Id"], kind="stable").reset_index(drop=True)
    stage = h["stage"].map(STAGE_OF_HUBSPOT)
    probability = stage.map(PROBABILITY).to_numpy().astype(float)
    stamp = np.maximum(h["t"].to_numpy(), h["deleted_at"].to_numpy())
    return pd.DataFrame({
        "Id": sf_ids("OpportunityHistory", np.arange(len(h)), seed),
        "IsDeleted": h["IsDeleted"].to_numpy(),
        "OpportunityId": h["Id"].to_numpy(),
        "StageName": stage.to_numpy(),
        "Amount": h["Amount"].to_numpy(),
        "ExpectedRevenue": np.round(h["Amount"].to_numpy() * probability / 100, 2),
        "Probability": probability,
        "CloseDate": h["CloseDate"].to_numpy(),
        "CreatedDate": h["t"].to_numpy(),
        "LastModifiedDate": stamp,
        "SystemModstamp": stamp,
    })


# ---------------------------------------------------------------------------------------------
# People: leads, contacts, conversions, merges, deletions and field history
# ---------------------------------------------------------------------------------------------

@dataclass
class _People:
    leads: pd.DataFrame
    contacts: pd.DataFrame
    lead_history: pd.DataFrame
    contact_history: pd.DataFrame
    who: pd.DataFrame  # per person: who_id (record activities hang on), who_created, who_deleted_at, contact_id
    record_final: pd.DataFrame  # per CRM record (contact_id): lead_id and contact_id it ends up as, deleted_at


def _people(rng, sim: Simulation, crm: CrmRecords, users: _Users, opps: pd.DataFrame, seed: int) -> _People:
    c = crm.contacts.reset_index(drop=True)
    n = len(c)
    n_persons = len(sim.population.persons)
    attrs = _person_attributes(rng, sim, c)
    is_lead = (c["origin"] != "sales_deal").to_numpy()
    created = c["created_at"].to_numpy()
    row_of = pd.Series(np.arange(n), index=c["contact_id"].to_numpy())

    # The person's primary record (the one sales works with) and when its lead converts.
    prim = pd.DataFrame({"person_no": np.flatnonzero(crm.person_contact_id >= 0)})
    prim["row"] = row_of.reindex(crm.person_contact_id[prim["person_no"]]).to_numpy()
    conv = _conversions(sim, crm, c, prim, opps)
    conv_t = np.full(n, np.iinfo(np.int64).max)  # when each record's own lead converts (never: max)
    conv_t[conv["row"]] = conv["t"]

    # Contacts: those reps add to deals, then one per converted lead, numbered in creation order.
    sales = np.flatnonzero(~is_lead)
    cc = crm.contact_company.set_index("contact_id")["company_id"]
    contacts = pd.DataFrame({
        "row": np.r_[sales, conv["row"].to_numpy()],
        "created": np.r_[created[sales], conv["t"].to_numpy()],
        "company": np.r_[cc.reindex(c["contact_id"].to_numpy()[sales]).to_numpy(), conv["company"].to_numpy()],
        "converted": np.r_[np.zeros(len(sales), bool), np.ones(len(conv), bool)],
    }).sort_values(["created", "row"], kind="stable").reset_index(drop=True)
    contacts["Id"] = sf_ids("Contact", np.arange(len(contacts)), seed)
    leads = pd.DataFrame({"row": np.flatnonzero(is_lead)})
    leads["Id"] = sf_ids("Lead", np.arange(len(leads)), seed)

    record_id = np.full(n, None, dtype=object)  # the record's own Lead or Contact id
    record_id[leads["row"]] = leads["Id"].to_numpy()
    own_contacts = contacts[~contacts["converted"]]
    record_id[own_contacts["row"]] = own_contacts["Id"].to_numpy()
    conv_contact = np.full(n, None, dtype=object)  # the contact a converted primary lead became
    converted_rows = contacts[contacts["converted"]]
    conv_contact[converted_rows["row"]] = converted_rows["Id"].to_numpy()
    contact_account = pd.Series(_account_id(contacts["company"].to_numpy(), seed), index=contacts["Id"].to_numpy())

    fate = _merges_and_deletions(c, is_lead, record_id, conv_contact, conv_t)
    deleted_at = pd.concat([fate.deleted_at, pd.Series(-1, index=contacts["Id"].to_numpy())])
    deleted_at = deleted_at[~deleted_at.index.duplicated(keep="first")]

    hist = _field_history(sim, c, prim, conv, record_id, conv_contact, leads, contacts, fate, seed)

    # Owners: the account's AE once the person is on a deal, an SDR while an MQL is worked, the AE
    # for outbound prospects, the marketing automation user for everyone else.
    acc = sim.population.persons["account_no"].to_numpy()[c["person_no"].to_numpy()]
    on_deal = np.isin(c["person_no"].to_numpy(), sim.deals.deal_persons["person_no"].to_numpy()) & (acc >= 0)
    ae = users.rep_ids[sim.deals.account_owner[np.maximum(acc, 0)]]
    sdr = users.rep_ids[users.sdr_nos[c["person_no"].to_numpy() % len(users.sdr_nos)]]
    has_mql = np.isin(c["person_no"].to_numpy(), sim.funnel.dispositions["person_no"].to_numpy())
    is_primary = np.zeros(n, bool)
    is_primary[prim["row"]] = True
    lead_owner = np.where(is_primary & has_mql, sdr,
                          np.where(((c["origin"] == "sales_prospecting").to_numpy() | on_deal) & (acc >= 0), ae,
                                   users.automation_id))
    contact_owner = np.where(on_deal, ae, lead_owner)

    lead_rows = _lead_frame(c, leads, attrs, lead_owner, conv, conv_contact, fate, hist, record_id,
                            contact_account, deleted_at)
    contact_rows = _contact_frame(contacts, attrs, contact_owner, fate, hist, deleted_at, seed,
                                  c["person_no"].to_numpy())

    # Activities move to the contact when a lead converts; deleting a record deletes them.
    who = pd.DataFrame({"person_no": np.arange(n_persons)})
    p_row = np.full(n_persons, -1)
    p_row[prim["person_no"]] = prim["row"]
    has = p_row >= 0
    rows = np.maximum(p_row, 0)
    who_id = np.where(has, np.where(pd.notna(conv_contact[rows]), conv_contact[rows], record_id[rows]), None)
    created_of = pd.concat([pd.Series(lead_rows["CreatedDate"].to_numpy(), index=lead_rows["Id"].to_numpy()),
                            pd.Series(contact_rows["CreatedDate"].to_numpy(), index=contact_rows["Id"].to_numpy())])
    who["who_id"] = who_id
    who["who_created"] = created_of.reindex(who_id).fillna(-1).to_numpy().astype(np.int64)
    who["who_deleted_at"] = deleted_at.reindex(who_id).fillna(-1).to_numpy().astype(np.int64)
    contact_of = np.where(has & ~is_lead[rows], record_id[rows], conv_contact[rows])
    who["contact_id"] = np.where(has, contact_of, None)

    return _People(leads=lead_rows, contacts=contact_rows, lead_history=hist.lead_history,
                   contact_history=hist.contact_history, who=who,
                   record_final=_record_final(c, lead_rows, contact_rows, record_id, fate))


def _person_attributes(rng, sim: Simulation, c: pd.DataFrame) -> pd.DataFrame:
    """Names, titles, companies as reps and forms typed them, with the gaps real CRMs have."""
    persons, accounts = sim.population.persons, sim.population.accounts
    n = len(c)
    person = c["person_no"].to_numpy()
    acc = persons["account_no"].to_numpy()[person]
    shared = c["shared"].to_numpy()

    def maybe(values, keep_share):
        return np.where(rng.random(n) < keep_share, values, None)

    first = np.where(shared, np.asarray(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)],
                     maybe(persons["first_name"].to_numpy()[person], 0.96))
    # LastName (and a lead's Company) are required: what is missing is typed as "[not provided]".
    last = np.where(shared, np.asarray(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)],
                    maybe(persons["last_name"].to_numpy()[person], 0.98))
    last = np.where(pd.isna(last), "[not provided]", last)
    company = np.where(acc >= 0, maybe(accounts["name"].to_numpy()[np.maximum(acc, 0)], 0.6), None)
    channel = pd.Series(np.asarray(P.CHANNEL_NAMES + [None], dtype=object)[c["channel"].to_numpy()])
    campaign = sim.catalog.campaigns["utm_campaign"].to_numpy()
    out = pd.DataFrame({
        "FirstName": first,
        "LastName": last,
        "Title": maybe(persons["job_title"].to_numpy()[person], 0.65),
        "Company": np.where(pd.isna(company), "[not provided]", company),
        "Email": c["email"].where(c["email"] != "", None).to_numpy(),
        "Country": np.where(acc >= 0, maybe(accounts["country"].to_numpy()[np.maximum(acc, 0)], 0.7), None),
        "LeadSource": c["origin"].map(LEAD_SOURCES).to_numpy(),
        "Original_Source__c": np.where(c["origin"] == "form", channel.map(ORIGINAL_SOURCES).to_numpy(), "Offline"),
        "Original_Campaign__c": np.where(c["campaign_no"] >= 0, campaign[np.maximum(c["campaign_no"], 0)], None),
    })
    out["Name"] = np.where(pd.isna(out["FirstName"]), out["LastName"], out["FirstName"] + " " + out["LastName"])
    return out


def _conversions(sim: Simulation, crm: CrmRecords, c: pd.DataFrame, prim: pd.DataFrame,
                 opps: pd.DataFrame) -> pd.DataFrame:
    """Primary leads that convert: when, onto which account, into which opportunity (or none)."""
    ev = stage_events(sim)
    first = ev[ev["stage"].isin(["sql", "opportunity"])].groupby(["person_no", "stage"])["t"].min().unstack()
    first = first.reindex(columns=["sql", "opportunity"])
    t_sql = first["sql"].reindex(prim["person_no"]).to_numpy()
    t_opp = first["opportunity"].reindex(prim["person_no"]).to_numpy()
    # Converted at the opportunity when it opens within 30 days of the SQL, at the SQL otherwise.
    at_opp = ~np.isnan(t_opp) & ~(t_sql < t_opp - 30 * P.DAY)
    t_conv = np.where(at_opp, t_opp, t_sql)

    d = sim.deals.deals
    nb = d.loc[d["deal_type"] == "newbusiness", ["deal_no"]]
    person_deal = sim.deals.deal_persons.merge(nb, on="deal_no").drop_duplicates("person_no")
    deal_no = person_deal.set_index("person_no")["deal_no"].reindex(prim["person_no"]).to_numpy()
    deal_no = np.where(at_opp & ~np.isnan(deal_no), deal_no, np.nan)
    deal_company = crm.deal_company.set_index("deal_no")["company_id"]
    contact_company = crm.contact_company.set_index("contact_id")["company_id"]
    original = crm.companies[~crm.companies["is_duplicate"]].set_index("account_no")["company_id"]
    acc = sim.population.persons["account_no"].to_numpy()[prim["person_no"]]
    row = prim["row"].to_numpy()
    company = deal_company.reindex(deal_no).to_numpy().astype(float)
    company = np.where(np.isnan(company), contact_company.reindex(c["contact_id"].to_numpy()[row]).to_numpy(), company)
    company = np.where(np.isnan(company), original.reindex(acc).to_numpy(), company)
    company_created = crm.companies.set_index("company_id")["created_at"].reindex(company).to_numpy()

    # A lead needs an account to convert; it converts after both exist, and never once deleted.
    created = c["created_at"].to_numpy()[row]
    t = np.maximum(np.maximum(t_conv, created + 60), company_created + 60)  # NaN stays NaN: no conversion
    archived = c["archived_at"].to_numpy()[row]
    ok = ((c["origin"].to_numpy()[row] != "sales_deal") & ~np.isnan(t) & (t < P.T_END)
          & ~((archived >= 0) & (archived <= t)))
    opp_of_deal = pd.Series(opps["Id"].to_numpy(), index=opps["deal_no"].to_numpy())
    out = pd.DataFrame({
        "person_no": prim["person_no"].to_numpy()[ok],
        "row": row[ok],
        "t": t[ok].astype(np.int64),
        "company": company[ok],
        "opportunity_id": opp_of_deal.reindex(deal_no[ok]).to_numpy(),
    })
    out["opportunity_id"] = out["opportunity_id"].astype(object).where(out["opportunity_id"].notna(), None)
    return out


@dataclass
class _Fate:
    deleted_at: pd.Series  # record id -> when deleted (merged away or deleted), -1 if live
    master: pd.Series  # merged-away record id -> the record it was merged into
    bumped_at: pd.Series  # record id -> latest merge it survived
    merged_into_contact: pd.DataFrame  # row, contact_id, t: duplicate leads converted into a contact


def _merges_and_deletions(c: pd.DataFrame, is_lead: np.ndarray, record_id: np.ndarray, conv_contact: np.ndarray,
                          conv_t: np.ndarray) -> _Fate:
    """HubSpot-style merges and archivals as Salesforce does them (merges only within one object)."""
    n = len(c)
    row_of = pd.Series(np.arange(n), index=c["contact_id"].to_numpy())
    x = np.flatnonzero(c["merged_into_id"].to_numpy() > 0)
    s = row_of.reindex(c["merged_into_id"].to_numpy()[x]).to_numpy()
    at = c["merged_at"].to_numpy()[x]
    # The survivor's contact when the merge happens: itself, or the contact its lead became.
    target = np.where(~is_lead[s], record_id[s], np.where(conv_t[s] <= at, conv_contact[s], None))
    has_target = pd.notna(target)
    lead_into_contact = is_lead[x] & has_target
    lead_merge = is_lead[x] & ~has_target
    contact_merge = ~is_lead[x] & has_target

    merged_rows = np.r_[x[lead_merge], x[contact_merge]]
    masters = np.r_[record_id[s[lead_merge]], target[contact_merge]]
    merged_at = np.r_[at[lead_merge], at[contact_merge]]
    deleted_at = pd.Series(-1, index=record_id[pd.notna(record_id)])
    deleted_at[record_id[merged_rows]] = merged_at

    # Archived records are deleted; a converted lead's contact is what gets deleted after conversion.
    arch = np.flatnonzero(c["archived_at"].to_numpy() >= 0)
    when = c["archived_at"].to_numpy()[arch]
    on_contact = conv_t[arch] < when
    victim = np.where(on_contact, conv_contact[arch], record_id[arch])
    archived = pd.Series(when, index=victim)

    bumped = pd.Series(np.r_[merged_at, at[lead_into_contact]],
                       index=np.r_[masters, target[lead_into_contact]]).groupby(level=0).max()
    return _Fate(
        deleted_at=pd.concat([deleted_at, archived]).groupby(level=0).max(),
        master=pd.Series(masters, index=record_id[merged_rows]),
        bumped_at=bumped,
        merged_into_contact=pd.DataFrame({"row": x[lead_into_contact], "contact_id": target[lead_into_contact],
                                          "t": at[lead_into_contact]}),
    )


@dataclass
class _History:
    lead_history: pd.DataFrame
    contact_history: pd.DataFrame
    current: pd.DataFrame  # record id -> Lifecycle_Stage__c, Status, Disposition__c, last_change
    stage_dates: pd.DataFrame  # record id x canonical stage -> last entry time
    rejection_reason: pd.Series  # lead id -> reason of the last verdict, when it was a rejection


def _field_history(sim: Simulation, c: pd.DataFrame, prim: pd.DataFrame, conv: pd.DataFrame,
                   record_id: np.ndarray, conv_contact: np.ndarray, leads: pd.DataFrame, contacts: pd.DataFrame,
                   fate: _Fate, seed: int) -> _History:
    """Lifecycle stage, lead status and disposition over time, as field history and current values."""
    n = len(c)
    created = c["created_at"].to_numpy()
    conv_t = np.full(n, np.iinfo(np.int64).max)
    conv_t[conv["row"]] = conv["t"]
    row_of_person = pd.Series(prim["row"].to_numpy(), index=prim["person_no"].to_numpy())
    is_primary = np.zeros(n, bool)
    is_primary[prim["row"]] = True

    # Lifecycle: records other than a person's primary one only hold the stage they were created at.
    default_stage = np.select([c["origin"] == "sales_deal", c["form_type"] == "newsletter"],
                              ["opportunity", "subscriber"], "lead")
    ev = stage_events(sim)
    ev = ev.assign(row=row_of_person.reindex(ev["person_no"]).to_numpy()).dropna(subset=["row"])
    row = ev["row"].to_numpy().astype(np.int64)
    ev = pd.DataFrame({"row": row, "t": np.maximum(ev["t"].to_numpy(), created[row]), "value": ev["stage"].to_numpy()})
    at_creation = ev[ev["t"] <= created[ev["row"]]].groupby("row")["value"].last()
    initial = default_stage.copy()
    initial[at_creation.index.to_numpy()] = at_creation.to_numpy()
    later = ev[ev["t"] > created[ev["row"]]]
    on_contact = later["t"].to_numpy() > conv_t[later["row"]]
    own = np.r_[leads["row"].to_numpy(), contacts.loc[~contacts["converted"], "row"].to_numpy()]
    life_init = pd.DataFrame({"rec": record_id[own], "t": created[own], "value": initial[own]})
    on_lead = later[~on_contact]
    life_events = pd.DataFrame({"rec": record_id[on_lead["row"].to_numpy()], "t": on_lead["t"].to_numpy(),
                                "value": on_lead["value"].to_numpy()})
    life_lead, lead_seq = _changes(life_init, life_events)
    # A converted lead's contact starts at the stage the lead had, then moves on.
    lead_stage = lead_seq.groupby("rec")["value"].last()
    conv_rows = conv["row"].to_numpy()
    contact_init = pd.DataFrame({"rec": conv_contact[conv_rows], "t": conv["t"].to_numpy(),
                                 "value": lead_stage.reindex(record_id[conv_rows]).to_numpy()})
    after = later[on_contact]
    contact_events = pd.DataFrame({"rec": conv_contact[after["row"].to_numpy()], "t": after["t"].to_numpy(),
                                   "value": after["value"].to_numpy()})
    life_contact, contact_seq = _changes(contact_init, contact_events)
    life = pd.concat([life_lead, life_contact], ignore_index=True)
    seq = pd.concat([lead_seq, contact_seq], ignore_index=True)

    # Stage dates: the last entry into each stage; a converted lead's dates carry over to its contact.
    carried = lead_seq.merge(pd.DataFrame({"rec": record_id[conv_rows], "contact": conv_contact[conv_rows]}), on="rec")
    dated = pd.concat([seq, carried.assign(rec=carried["contact"])[["rec", "t", "value"]]], ignore_index=True)
    stage_dates = dated.groupby(["rec", "value"])["t"].max().unstack()

    # Lead status and sales' verdict, on the primary lead until it converts.
    lead_rows = leads["row"].to_numpy()
    status_init = pd.DataFrame({
        "rec": record_id[lead_rows], "t": created[lead_rows],
        "value": np.where(c["origin"].to_numpy()[lead_rows] == "sales_prospecting", WORKING, OPEN)})
    d = sim.funnel.dispositions
    d = d.assign(row=row_of_person.reindex(d["person_no"]).to_numpy()).dropna(subset=["row"])
    d_row = d["row"].to_numpy().astype(np.int64)
    d_lead = np.isin(d_row, lead_rows)
    d, d_row = d[d_lead], d_row[d_lead]
    touched = d["first_touch_at"].to_numpy() >= 0
    decided = d["disposition_at"].to_numpy() >= 0
    recycled = later[(later["value"] == "lead").to_numpy() & ~on_contact & np.isin(later["row"], lead_rows)]
    into_contact = fate.merged_into_contact
    status_events = pd.concat([
        pd.DataFrame({"row": d_row[touched], "t": d["first_touch_at"].to_numpy()[touched], "value": WORKING}),
        pd.DataFrame({"row": d_row[decided], "t": d["disposition_at"].to_numpy()[decided],
                      "value": np.where(d["disposition"].to_numpy()[decided] == "rejected", NOT_CONVERTED, WORKING)}),
        pd.DataFrame({"row": recycled["row"].to_numpy(), "t": recycled["t"].to_numpy(), "value": OPEN}),
    ], ignore_index=True)
    status_events["t"] = np.maximum(status_events["t"].to_numpy(), created[status_events["row"]])
    status_events = status_events[status_events["t"].to_numpy() <= conv_t[status_events["row"]]]
    conversions = pd.DataFrame({"row": np.r_[conv_rows, into_contact["row"].to_numpy()],
                                "t": np.r_[conv["t"].to_numpy(), into_contact["t"].to_numpy()], "value": CONVERTED})
    status_events = pd.concat([status_events, conversions], ignore_index=True)
    status_events = pd.DataFrame({"rec": record_id[status_events["row"]], "t": status_events["t"],
                                  "value": status_events["value"], "order": status_events["value"] == CONVERTED})
    status, status_seq = _changes(status_init, status_events)

    verdict = pd.DataFrame({"rec": record_id[d_row[decided]], "t": np.maximum(d["disposition_at"].to_numpy()[decided],
                                                                             created[d_row[decided]]),
                            "value": np.where(d["disposition"].to_numpy()[decided] == "rejected", "Rejected",
                                              "Accepted"),
                            "reason": d["rejection_reason"].map(REJECTION_REASONS).to_numpy()[decided]})
    verdict = verdict[verdict["t"].to_numpy() <= conv_t[d_row[decided]]]
    disp_init = pd.DataFrame({"rec": record_id[lead_rows], "t": created[lead_rows], "value": ""})
    disposition, disp_seq = _changes(disp_init, verdict[["rec", "t", "value"]])
    last_verdict = verdict.sort_values("t", kind="stable").groupby("rec").last()
    rejection_reason = last_verdict["reason"].where(last_verdict["value"] == "Rejected")

    life = life.assign(Field="Lifecycle_Stage__c", OldValue=life["old"].map(LIFE_VALUE),
                       NewValue=life["new"].map(LIFE_VALUE))
    on_lead_record = life["rec"].isin(leads["Id"]).to_numpy()
    lead_changes = pd.concat([
        life[on_lead_record],
        status.assign(Field="Status", OldValue=status["old"], NewValue=status["new"]),
        disposition.assign(Field="Disposition__c", OldValue=disposition["old"].replace("", None),
                           NewValue=disposition["new"].replace("", None)),
    ], ignore_index=True)
    contact_changes = life[~on_lead_record]
    conversions_logged = pd.DataFrame({"rec": record_id[conversions["row"]], "t": conversions["t"].to_numpy()})

    last_change = pd.concat([life[["rec", "t"]], status[["rec", "t"]], disposition[["rec", "t"]],
                             conversions_logged]).groupby("rec")["t"].max()
    current = pd.DataFrame({
        "Lifecycle_Stage__c": seq.groupby("rec")["value"].last().map(LIFE_VALUE),
        "Status": status_seq.groupby("rec")["value"].last(),
        "Disposition__c": disp_seq.groupby("rec")["value"].last().replace("", None),
    })
    current["last_change"] = last_change.reindex(current.index).fillna(-1).astype(np.int64)
    return _History(
        lead_history=_history_rows("Lead", leads, created, lead_changes, conversions_logged, fate, seed),
        contact_history=_history_rows("Contact", contacts, None, contact_changes, None, fate, seed),
        current=current, stage_dates=stage_dates, rejection_reason=rejection_reason,
    )


def _changes(initial: pd.DataFrame, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A field's value over time per record: the value at creation, then events (rec, t, value[, order]).

    Returns the changes (rec, t, old, new), as field history records them (no row when the value
    stays the same), and the deduplicated sequence (rec, t, value) including the initial value.
    """
    rows = pd.concat([initial.assign(order=-1), events.assign(order=events.get("order", 0))], ignore_index=True)
    rows["order"] = rows["order"].astype(int)
    rows = rows.sort_values(["rec", "t", "order"], kind="stable").reset_index(drop=True)
    new_rec = (rows["rec"] != rows["rec"].shift(1)).to_numpy()
    same = (rows["value"].to_numpy() == rows["value"].shift(1).to_numpy()) & ~new_rec
    seq = rows[~same].reset_index(drop=True)
    first = (seq["rec"] != seq["rec"].shift(1)).to_numpy()
    old = seq["value"].shift(1)
    changes = pd.DataFrame({"rec": seq["rec"][~first], "t": seq["t"][~first], "old": old[~first],
                            "new": seq["value"][~first]}).reset_index(drop=True)
    return changes, seq[["rec", "t", "value"]]


def _history_rows(sobject: str, records: pd.DataFrame, created: np.ndarray | None, changes: pd.DataFrame,
                  conversions: pd.DataFrame | None, fate: _Fate, seed: int) -> pd.DataFrame:
    """LeadHistory / ContactHistory: a 'created' row per record, then field changes (and conversions)."""
    made = records["created"].to_numpy() if created is None else created[records["row"].to_numpy()]
    parts = [pd.DataFrame({"rec": records["Id"].to_numpy(), "t": made, "Field": "created", "DataType": "Text",
                           "OldValue": None, "NewValue": None, "k": 0})]
    parts.append(pd.DataFrame({"rec": changes["rec"].to_numpy(), "t": changes["t"].to_numpy(),
                               "Field": changes["Field"].to_numpy(), "DataType": "Picklist",
                               "OldValue": changes["OldValue"].to_numpy(), "NewValue": changes["NewValue"].to_numpy(),
                               "k": 1}))
    if conversions is not None:
        parts.append(pd.DataFrame({"rec": conversions["rec"].to_numpy(), "t": conversions["t"].to_numpy(),
                                   "Field": "leadConverted", "DataType": "Text", "OldValue": None, "NewValue": None,
                                   "k": 2}))
    h = pd.concat(parts, ignore_index=True)
    h = h.sort_values(["t", "rec", "k", "Field"], kind="stable").reset_index(drop=True)
    deleted_at = fate.deleted_at.reindex(h["rec"]).fillna(-1).to_numpy().astype(np.int64)
    stamp = np.maximum(h["t"].to_numpy(), deleted_at)
    parent = "LeadId" if sobject == "Lead" else "ContactId"
    return pd.DataFrame({
        "Id": sf_ids(f"{sobject}History", np.arange(len(h)), seed),
        "IsDeleted": deleted_at >= 0,
        parent: h["rec"].to_numpy(),
        "Field": h["Field"].to_numpy(),
        "DataType": h["DataType"].to_numpy(),
        "OldValue": h["OldValue"].to_numpy(),
        "NewValue": h["NewValue"].to_numpy(),
        "CreatedDate": h["t"].to_numpy(),
        "LastModifiedDate": stamp,
        "SystemModstamp": stamp,
    })


def _stamp(*times) -> np.ndarray:
    """LastModifiedDate / SystemModstamp: the latest of the given times (-1 or NaN for none)."""
    arrays = [np.nan_to_num(np.asarray(t, dtype=float), nan=-1.0) for t in times]
    return np.maximum.reduce(arrays).astype(np.int64)


def _lead_frame(c, leads, attrs, owner, conv, conv_contact, fate: _Fate, hist: _History, record_id,
                contact_account: pd.Series, deleted_at: pd.Series) -> pd.DataFrame:
    rows = leads["row"].to_numpy()
    ids = leads["Id"].to_numpy()
    a = attrs.iloc[rows]
    # Converted: the primary lead at SQL/opportunity, or a duplicate lead converted into a contact.
    into = fate.merged_into_contact
    converted = pd.DataFrame({
        "lead": np.r_[record_id[conv["row"]], record_id[into["row"]]],
        "t": np.r_[conv["t"].to_numpy(), into["t"].to_numpy()],
        "contact": np.r_[conv_contact[conv["row"]], into["contact_id"].to_numpy()],
        "opportunity": np.r_[conv["opportunity_id"].to_numpy(), np.full(len(into), None, dtype=object)],
    }).set_index("lead").reindex(ids)
    is_converted = converted["contact"].notna().to_numpy()
    contact = converted["contact"].to_numpy()
    account = np.where(is_converted, contact_account.reindex(contact).to_numpy(), None)
    opportunity = converted["opportunity"].to_numpy()
    # Converting onto an opportunity puts the contact on the opportunity's account.
    cur = hist.current.reindex(ids)
    dates = hist.stage_dates.reindex(index=ids, columns=list(LIFECYCLE))
    gone = deleted_at.reindex(ids).fillna(-1).to_numpy().astype(np.int64)
    created = c["created_at"].to_numpy()[rows]
    modified = _stamp(created, cur["last_change"], converted["t"], fate.bumped_at.reindex(ids), gone)
    return pd.DataFrame({
        "Id": ids,
        "IsDeleted": gone >= 0,
        "MasterRecordId": fate.master.reindex(ids).to_numpy(),
        "FirstName": a["FirstName"].to_numpy(),
        "LastName": a["LastName"].to_numpy(),
        "Name": a["Name"].to_numpy(),
        "Title": a["Title"].to_numpy(),
        "Company": a["Company"].to_numpy(),
        "Email": a["Email"].to_numpy(),
        "Country": a["Country"].to_numpy(),
        "LeadSource": a["LeadSource"].to_numpy(),
        "Status": cur["Status"].to_numpy(),
        "OwnerId": owner[rows],
        "IsConverted": is_converted,
        "ConvertedDate": converted["t"].fillna(-1).to_numpy().astype(np.int64),
        "ConvertedAccountId": account,
        "ConvertedContactId": contact,
        "ConvertedOpportunityId": opportunity,
        "Lifecycle_Stage__c": cur["Lifecycle_Stage__c"].to_numpy(),
        "MQL_Date__c": dates["mql"].fillna(-1).to_numpy().astype(np.int64),
        "SAL_Date__c": dates["sal"].fillna(-1).to_numpy().astype(np.int64),
        "SQL_Date__c": dates["sql"].fillna(-1).to_numpy().astype(np.int64),
        "Disposition__c": cur["Disposition__c"].to_numpy(),
        "Rejection_Reason__c": hist.rejection_reason.reindex(ids).to_numpy(),
        "Original_Source__c": a["Original_Source__c"].to_numpy(),
        "Original_Campaign__c": a["Original_Campaign__c"].to_numpy(),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
        "person_no": c["person_no"].to_numpy()[rows],
        "shared": c["shared"].to_numpy()[rows],
    })


def _contact_frame(contacts, attrs, owner, fate: _Fate, hist: _History, deleted_at: pd.Series,
                   seed: int, person_no: np.ndarray) -> pd.DataFrame:
    rows = contacts["row"].to_numpy()
    ids = contacts["Id"].to_numpy()
    a = attrs.iloc[rows]
    cur = hist.current.reindex(ids)
    dates = hist.stage_dates.reindex(index=ids, columns=list(LIFECYCLE))
    gone = deleted_at.reindex(ids).fillna(-1).to_numpy().astype(np.int64)
    created = contacts["created"].to_numpy()
    modified = _stamp(created, cur["last_change"], fate.bumped_at.reindex(ids), gone)
    return pd.DataFrame({
        "Id": ids,
        "IsDeleted": gone >= 0,
        "MasterRecordId": fate.master.reindex(ids).to_numpy(),
        "AccountId": _account_id(contacts["company"].to_numpy(), seed),
        "FirstName": a["FirstName"].to_numpy(),
        "LastName": a["LastName"].to_numpy(),
        "Name": a["Name"].to_numpy(),
        "Title": a["Title"].to_numpy(),
        "Email": a["Email"].to_numpy(),
        "MailingCountry": a["Country"].to_numpy(),
        "LeadSource": a["LeadSource"].to_numpy(),
        "OwnerId": owner[rows],
        "Lifecycle_Stage__c": cur["Lifecycle_Stage__c"].to_numpy(),
        "MQL_Date__c": dates["mql"].fillna(-1).to_numpy().astype(np.int64),
        "SAL_Date__c": dates["sal"].fillna(-1).to_numpy().astype(np.int64),
        "SQL_Date__c": dates["sql"].fillna(-1).to_numpy().astype(np.int64),
        "Opportunity_Date__c": dates["opportunity"].fillna(-1).to_numpy().astype(np.int64),
        "Customer_Date__c": dates["customer"].fillna(-1).to_numpy().astype(np.int64),
        "Original_Source__c": a["Original_Source__c"].to_numpy(),
        "Original_Campaign__c": a["Original_Campaign__c"].to_numpy(),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
        "person_no": person_no[rows],
    })


def _record_final(c: pd.DataFrame, leads: pd.DataFrame, contacts: pd.DataFrame, record_id: np.ndarray,
                  fate: _Fate) -> pd.DataFrame:
    """Per CRM record: the lead and the contact it ends up as after merges and conversions."""
    is_lead = (c["origin"] != "sales_deal").to_numpy()
    own = record_id
    followed = fate.master.reindex(own).to_numpy()
    final = np.where(pd.isna(followed), own, followed).astype(object)
    converted_to = pd.Series(leads["ConvertedContactId"].to_numpy(), index=leads["Id"].to_numpy())
    lead_id = np.where(is_lead, final, None)
    contact_id = np.where(is_lead, converted_to.reindex(final).to_numpy(), final)
    contact_id = np.where(pd.isna(contact_id), None, contact_id)
    gone = pd.concat([pd.Series(leads["SystemModstamp"].where(leads["IsDeleted"], -1).to_numpy(),
                                index=leads["Id"].to_numpy()),
                      pd.Series(contacts["SystemModstamp"].where(contacts["IsDeleted"], -1).to_numpy(),
                                index=contacts["Id"].to_numpy())])
    lead_conv = pd.Series(leads["ConvertedDate"].to_numpy(), index=leads["Id"].to_numpy())
    return pd.DataFrame({
        "contact_id": c["contact_id"].to_numpy(),
        "key": c["key"].to_numpy(),
        "created": c["created_at"].to_numpy(),
        "lead_id": lead_id,
        "contact_sf": contact_id,
        "deleted_at": gone.reindex(np.where(pd.notna(contact_id), contact_id, lead_id)).to_numpy(),
        "converted_at": np.where(is_lead, lead_conv.reindex(lead_id).fillna(-1).to_numpy(), -1).astype(np.int64),
    })


# ---------------------------------------------------------------------------------------------
# Buying committees, campaigns, activities
# ---------------------------------------------------------------------------------------------

def _contact_roles(rng, sim: Simulation, opps: pd.DataFrame, people: _People, seed: int) -> pd.DataFrame:
    dp = sim.deals.deal_persons.merge(opps[["deal_no", "Id", "CreatedDate", "deleted_at"]], on="deal_no")
    who = people.who
    dp = dp.assign(contact=who["contact_id"].to_numpy()[dp["person_no"].to_numpy()])
    dp = dp[dp["contact"].notna()]
    contact_info = people.contacts.set_index("Id")
    contact_created = contact_info["CreatedDate"].reindex(dp["contact"]).to_numpy()
    contact_gone = contact_info["SystemModstamp"].where(contact_info["IsDeleted"], -1).reindex(dp["contact"]).to_numpy()
    created = np.maximum(dp["CreatedDate"].to_numpy(), contact_created)
    dp = dp.assign(created=created, gone=np.maximum(dp["deleted_at"].to_numpy(), contact_gone))
    dp = dp.sort_values(["created", "Id", "person_no"], kind="stable").reset_index(drop=True)
    primary = ~dp.duplicated("Id")
    stamp = np.maximum(dp["created"].to_numpy(), dp["gone"].to_numpy())
    return pd.DataFrame({
        "Id": sf_ids("OpportunityContactRole", np.arange(len(dp)), seed),
        "IsDeleted": dp["gone"].to_numpy() >= 0,
        "OpportunityId": dp["Id"].to_numpy(),
        "ContactId": dp["contact"].to_numpy(),
        "Role": np.asarray(CONTACT_ROLES)[rng.integers(0, len(CONTACT_ROLES), len(dp))],
        "IsPrimary": primary.to_numpy(),
        "CreatedDate": dp["created"].to_numpy(),
        "LastModifiedDate": stamp,
        "SystemModstamp": stamp,
    })


def _campaigns(sim: Simulation, users: _Users, seed: int) -> pd.DataFrame:
    cat = sim.catalog.campaigns
    made = cat["start_at"].to_numpy() - 14 * P.DAY
    ended = cat["end_at"].to_numpy() <= P.T_END
    return pd.DataFrame({
        "Id": sf_ids("Campaign", cat["campaign_no"].to_numpy(), seed),
        "IsDeleted": False,
        "Name": cat["name"].to_numpy(),
        "Type": cat["channel"].map(CAMPAIGN_TYPES).fillna("Other").to_numpy(),
        "Status": np.where(ended, "Completed", "In Progress"),
        "IsActive": ~ended,
        "StartDate": cat["start_at"].to_numpy(),
        "EndDate": cat["end_at"].to_numpy() - P.DAY,
        "UTM_Source__c": cat["utm_source"].to_numpy(),
        "UTM_Medium__c": cat["utm_medium"].to_numpy(),
        "UTM_Campaign__c": cat["utm_campaign"].to_numpy(),
        "OwnerId": users.automation_id,
        "CreatedDate": made,
        "LastModifiedDate": np.minimum(cat["end_at"].to_numpy(), P.T_END - 1),
        "SystemModstamp": np.minimum(cat["end_at"].to_numpy(), P.T_END - 1),
    })


def _campaign_members(sim: Simulation, crm: CrmRecords, campaigns: pd.DataFrame, people: _People,
                      seed: int) -> pd.DataFrame:
    """A member per person record that responded (filled a form) on a campaign, the first fill counts."""
    t = sim.journeys.touches
    fills = t[t["is_form"] & (t["campaign_no"] >= 0)]
    rec = people.record_final
    rec = rec[rec["key"] != ""].set_index("key")
    key = normalize_like_crm(fills["form_email"])
    m = pd.DataFrame({
        "campaign": campaigns["Id"].to_numpy()[fills["campaign_no"].to_numpy()],
        "t": fills["t"].to_numpy(),
        "lead": rec["lead_id"].reindex(key).to_numpy(),
        "contact": rec["contact_sf"].reindex(key).to_numpy(),
        "record_created": rec["created"].reindex(key).to_numpy(),
        "gone": rec["deleted_at"].reindex(key).to_numpy(),
        "converted_at": rec["converted_at"].reindex(key).to_numpy(),
    })
    m = m[m["lead"].notna() | m["contact"].notna()]
    m["created"] = np.maximum(m["t"].to_numpy(), m["record_created"].to_numpy()).astype(np.int64) + 10
    m["who"] = m["contact"].where(m["contact"].notna(), m["lead"])
    m = m.sort_values(["created", "campaign", "who"], kind="stable").drop_duplicates(["campaign", "who"])
    m = m.reset_index(drop=True)
    gone = m["gone"].fillna(-1).to_numpy().astype(np.int64)
    # Converting a lead fills in ContactId on its memberships, which counts as a change.
    stamp = _stamp(m["created"], m["converted_at"].where(m["converted_at"] > m["created"], -1), gone)
    return pd.DataFrame({
        "Id": sf_ids("CampaignMember", np.arange(len(m)), seed),
        "IsDeleted": gone >= 0,
        "CampaignId": m["campaign"].to_numpy(),
        "LeadId": m["lead"].astype(object).where(m["lead"].notna(), None).to_numpy(),
        "ContactId": m["contact"].astype(object).where(m["contact"].notna(), None).to_numpy(),
        "Status": "Responded",
        "HasResponded": True,
        "FirstRespondedDate": m["created"].to_numpy(),
        "CreatedDate": m["created"].to_numpy(),
        "LastModifiedDate": stamp,
        "SystemModstamp": stamp,
    })


def _activities(rng, sim: Simulation, opps: pd.DataFrame, users: _Users, people: _People, seed: int):
    """Calls and emails as Tasks, meetings as Events, on the person's current record and deal."""
    e = sim.engagements
    n = len(e)
    who = people.who
    person = e["person_no"].to_numpy()
    t = e["t"].to_numpy()
    who_id = who["who_id"].to_numpy()[person]
    who_gone = who["who_deleted_at"].to_numpy()[person]
    # Deleting a record deletes its activities; one logged after the deletion has no one to hang on.
    cascade = (who_gone >= 0) & (t < who_gone)
    who_id = np.where((who_gone >= 0) & (t >= who_gone), None, who_id)
    opp_of_deal = pd.Series(opps["Id"].to_numpy(), index=opps["deal_no"].to_numpy())
    what = opp_of_deal.reindex(e["deal_no"]).to_numpy()
    what = np.where(pd.isna(what), None, what)
    owner = users.rep_ids[e["owner_no"].to_numpy()]
    stamp = np.where(cascade, who_gone, t)
    kind = e["type"].to_numpy()

    call_seconds = rng.integers(30, 1500, n)
    subject = np.asarray(EMAIL_SUBJECTS)[rng.integers(0, len(EMAIL_SUBJECTS), n)]
    is_task = kind != "MEETING"
    tk = np.flatnonzero(is_task)
    is_call = kind[tk] == "CALL"
    tasks = pd.DataFrame({
        "Id": sf_ids("Task", np.arange(len(tk)), seed),
        "IsDeleted": cascade[tk],
        "Subject": np.where(is_call, "Call", subject[tk]),
        "TaskSubtype": np.where(is_call, "Call", "Email"),
        "Type": np.where(is_call, "Call", "Email"),
        "Status": "Completed",
        "Priority": "Normal",
        "IsClosed": True,
        "ActivityDate": t[tk],
        "CallType": np.where(is_call, "Outbound", None),
        "CallDurationInSeconds": pd.array(np.where(is_call, call_seconds[tk], np.nan), dtype="Int64"),
        "WhoId": who_id[tk],
        "WhatId": what[tk],
        "OwnerId": owner[tk],
        "CreatedDate": t[tk],
        "LastModifiedDate": stamp[tk],
        "SystemModstamp": stamp[tk],
    })

    minutes = np.asarray([30, 45, 60])[rng.integers(0, 3, n)]
    booked = rng.integers(1, 72, n) * P.HOUR
    meeting_subject = np.asarray(MEETING_SUBJECTS)[rng.integers(0, len(MEETING_SUBJECTS), n)]
    ev = np.flatnonzero(~is_task)
    # Meetings are booked ahead, but not before the person's record existed.
    made = np.maximum(t[ev] - booked[ev], np.minimum(who["who_created"].to_numpy()[person[ev]], t[ev]))
    events = pd.DataFrame({
        "Id": sf_ids("Event", np.arange(len(ev)), seed),
        "IsDeleted": cascade[ev],
        "Subject": meeting_subject[ev],
        "StartDateTime": t[ev],
        "EndDateTime": t[ev] + minutes[ev] * 60,
        "ActivityDateTime": t[ev],
        "ActivityDate": t[ev],
        "DurationInMinutes": minutes[ev],
        "WhoId": who_id[ev],
        "WhatId": what[ev],
        "OwnerId": owner[ev],
        "CreatedDate": made,
        "LastModifiedDate": np.maximum(made, stamp[ev]),
        "SystemModstamp": np.maximum(made, stamp[ev]),
    })
    return tasks, events


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def _column(field: str, kind: str) -> str:
    q = f'"{field}"'
    if kind == "datetime":
        return f"sfdt({q}) AS {q}"
    if kind == "date":
        return f"sfdate({q}) AS {q}"
    cast = {"boolean": "BOOLEAN", "int": "BIGINT", "double": "DOUBLE", "currency": "DOUBLE",
            "percent": "DOUBLE"}.get(kind, "VARCHAR")
    return f"{q}::{cast} AS {q}"


def _write(r: Renderer, sobject: str, frame: pd.DataFrame) -> None:
    """One file per SObject: the schema's fields in order, formatted as the REST API returns them."""
    name = f"sf_{sobject.lower()}"
    r.register(name, frame)
    columns = ", ".join(_column(field, kind) for field, kind in SCHEMA[sobject].items())
    r.write_parquet(f"salesforce/{sobject}.parquet", f'SELECT {columns} FROM {name} ORDER BY "Id"')


def _picklists() -> pd.DataFrame:
    """The org's picklist values: sobject, field, value, label, is_active, sort_order."""
    lists = [
        ("Lead", "Status", [(s, s, True) for s in LEAD_STATUSES]),
        ("Opportunity", "StageName", [(name, name, active) for name, _, active, _ in STAGES]),
        ("Lead", "Lifecycle_Stage__c", [(v, label, True) for v, label in LIFECYCLE.values()]),
        ("Contact", "Lifecycle_Stage__c", [(v, label, True) for v, label in LIFECYCLE.values()]),
        ("Lead", "LeadSource", [(v, v, True) for v in dict.fromkeys(LEAD_SOURCES.values())]),
        ("Contact", "LeadSource", [(v, v, True) for v in dict.fromkeys(LEAD_SOURCES.values())]),
        ("Lead", "Disposition__c", [("Accepted", "Accepted", True), ("Rejected", "Rejected", True)]),
        ("Lead", "Rejection_Reason__c", [(v, v, True) for v in REJECTION_REASONS.values()]),
        ("Opportunity", "Type", [(v, v, True) for v in OPPORTUNITY_TYPES.values()]),
        ("Opportunity", "Loss_Reason__c", [(v, v, True) for v in LOSS_REASONS.values()]),
        ("Account", "Type", [(v, v, True) for v in ["Prospect", "Customer", "Former Customer"]]),
        ("OpportunityContactRole", "Role", [(v, v, True) for v in CONTACT_ROLES]),
    ]
    return pd.DataFrame([(obj, field, value, label, active, i)
                         for obj, field, values in lists for i, (value, label, active) in enumerate(values)],
                        columns=["sobject", "field", "value", "label", "is_active", "sort_order"])


def _write_picklists(r: Renderer) -> None:
    r.register("sf_picklists", _picklists())
    r.write_parquet("salesforce/picklist_values.parquet", """
        SELECT sobject, field, value, label, is_active, sort_order::BIGINT AS sort_order
        FROM sf_picklists ORDER BY sobject, field, sort_order""")
