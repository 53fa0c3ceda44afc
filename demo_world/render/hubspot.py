"""HubSpot CRM (API v3) as the demo company's CRM holds it.

Files mirror the API's objects flattened the way dlt flattens JSON (`properties__email` for
`properties.email`, snake_case top-level keys), so a raw table loaded from these files has the
same columns as one extracted from the API. Property values are strings, as the API returns them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import rng_for
from demo_world.crm_records import DEAL_ID_BASE, ENGAGEMENT_ID_BASE, OWNER_ID_BASE, CrmRecords
from demo_world.render.base import Renderer
from demo_world.simulation import Simulation, stage_events
from demo_world.vocab import FIRST_NAMES, LAST_NAMES

# Canonical stage -> HubSpot lifecycle stage id. SAL and churned are custom stages, which
# HubSpot identifies by number.
LIFECYCLE_IDS = {
    "subscriber": "subscriber", "lead": "lead", "mql": "marketingqualifiedlead", "sal": "1021458",
    "sql": "salesqualifiedlead", "opportunity": "opportunity", "customer": "customer", "churned": "1021459",
}
LIFECYCLE_LABELS = {
    "subscriber": "Subscriber", "lead": "Lead", "marketingqualifiedlead": "Marketing Qualified Lead",
    "1021458": "Sales Accepted Lead", "salesqualifiedlead": "Sales Qualified Lead",
    "opportunity": "Opportunity", "customer": "Customer", "1021459": "Former Customer",
    "evangelist": "Evangelist", "other": "Other",
}
ANALYTICS_SOURCE = {
    "paid_search": "PAID_SEARCH", "paid_social": "PAID_SOCIAL", "retargeting": "PAID_SOCIAL",
    "organic_search": "ORGANIC_SEARCH", "referral": "REFERRALS", "direct": "DIRECT_TRAFFIC",
    "content": "OTHER_CAMPAIGNS", "webinar": "OTHER_CAMPAIGNS", "events": "OTHER_CAMPAIGNS",
}
LEAD_SOURCE = {"form": "Web Form", "import": "List Import", "sales_prospecting": "Outbound",
               "sales_deal": "Sales"}
OUR_DOMAIN = "tallyhouse.example"


def render_hubspot(r: Renderer, sim: Simulation, crm: CrmRecords) -> dict[str, pd.DataFrame]:
    """Writes hubspot/*.parquet; returns the id maps the truth files need."""
    rng = rng_for(sim.seed, "render_hubspot")
    deals = sim.deals.deals.assign(deal_id=DEAL_ID_BASE + np.arange(len(sim.deals.deals)))
    owners = sim.deals.owners.assign(owner_id=OWNER_ID_BASE + np.arange(len(sim.deals.owners)))

    history = _contact_history(sim, crm)
    contacts = _contact_rows(rng, sim, crm, history, owners, deals)
    r.register("contacts_df", contacts)
    r.register("history_df", history)
    r.write_parquet("hubspot/contacts.parquet", """
        SELECT contact_id::VARCHAR AS id, iso(created_at) AS created_at, iso(updated_at) AS updated_at,
               archived_at >= 0 AS archived, iso(archived_at) AS archived_at,
               email AS properties__email, firstname AS properties__firstname,
               lastname AS properties__lastname, jobtitle AS properties__jobtitle,
               company AS properties__company, country AS properties__country,
               lifecyclestage AS properties__lifecyclestage, hs_lead_status AS properties__hs_lead_status,
               owner_id::VARCHAR AS properties__hubspot_owner_id,
               analytics_source AS properties__hs_analytics_source,
               source_campaign AS properties__hs_analytics_source_data_1,
               lead_source AS properties__lead_source,
               mql_disposition AS properties__mql_disposition,
               mql_rejection_reason AS properties__mql_rejection_reason,
               iso(mql_disposition_at) AS properties__mql_disposition_date,
               merged_ids AS properties__hs_merged_object_ids,
               iso(created_at) AS properties__createdate, iso(updated_at) AS properties__lastmodifieddate,
               iso(e_subscriber) AS properties__hs_v2_date_entered_subscriber,
               iso(e_lead) AS properties__hs_v2_date_entered_lead,
               iso(e_mql) AS properties__hs_v2_date_entered_marketingqualifiedlead,
               iso(e_sal) AS properties__hs_v2_date_entered_1021458,
               iso(e_sql) AS properties__hs_v2_date_entered_salesqualifiedlead,
               iso(e_opportunity) AS properties__hs_v2_date_entered_opportunity,
               iso(e_customer) AS properties__hs_v2_date_entered_customer,
               iso(e_churned) AS properties__hs_v2_date_entered_1021459
        FROM contacts_df ORDER BY contact_id""")
    r.write_parquet("hubspot/contact_property_history.parquet", """
        SELECT contact_id::VARCHAR AS contact_id, property, value, iso(t) AS timestamp, source_type
        FROM history_df ORDER BY contact_id, t, property, value""")

    companies = _company_rows(rng, sim, crm, deals, owners)
    r.register("companies_df", companies)
    r.write_parquet("hubspot/companies.parquet", """
        SELECT company_id::VARCHAR AS id, iso(created_at) AS created_at, iso(updated_at) AS updated_at,
               false AS archived, NULL::VARCHAR AS archived_at,
               name AS properties__name, domain AS properties__domain, industry AS properties__industry,
               numberofemployees AS properties__numberofemployees, country AS properties__country,
               lifecyclestage AS properties__lifecyclestage, owner_id::VARCHAR AS properties__hubspot_owner_id,
               churn_date AS properties__churn_date, merged_ids AS properties__hs_merged_object_ids,
               iso(created_at) AS properties__createdate
        FROM companies_df ORDER BY company_id""")

    deal_rows = _deal_rows(rng, sim, deals, owners)
    r.register("deals_df", deal_rows)
    r.write_parquet("hubspot/deals.parquet", """
        SELECT deal_id::VARCHAR AS id, iso(created_at) AS created_at, iso(updated_at) AS updated_at,
               archived_at >= 0 AS archived, iso(archived_at) AS archived_at,
               dealname AS properties__dealname,
               CASE WHEN amount_missing THEN NULL ELSE printf('%.2f', amount) END AS properties__amount,
               currency AS properties__deal_currency_code, dealstage AS properties__dealstage,
               'default' AS properties__pipeline, iso(close_at) AS properties__closedate,
               iso(created_at) AS properties__createdate, deal_type AS properties__dealtype,
               lost_reason AS properties__closed_lost_reason,
               CASE WHEN is_won THEN 'true' ELSE 'false' END AS properties__hs_is_closed_won,
               CASE WHEN is_closed THEN 'true' ELSE 'false' END AS properties__hs_is_closed,
               owner_id::VARCHAR AS properties__hubspot_owner_id
        FROM deals_df ORDER BY deal_id""")
    stage_hist = sim.deals.stage_history.merge(deals[["deal_no", "deal_id"]], on="deal_no")
    r.register("deal_hist_df", stage_hist)
    r.write_parquet("hubspot/deal_property_history.parquet", """
        SELECT deal_id::VARCHAR AS deal_id, 'dealstage' AS property, stage AS value, iso(t) AS timestamp,
               'CRM_UI' AS source_type
        FROM deal_hist_df ORDER BY deal_id, t, value""")

    engagements = sim.engagements.assign(
        engagement_id=ENGAGEMENT_ID_BASE + sim.engagements["engagement_no"],
        contact_id=crm.person_contact_id[sim.engagements["person_no"].to_numpy()],
        owner_id=owners["owner_id"].to_numpy()[sim.engagements["owner_no"].to_numpy()],
    ).merge(deals[["deal_no", "deal_id"]], on="deal_no", how="left")
    r.register("eng_df", engagements)
    r.write_parquet("hubspot/engagements.parquet", """
        SELECT engagement_id::VARCHAR AS id, type, iso(t) AS created_at, iso(t) AS updated_at,
               false AS archived, iso(t) AS properties__hs_timestamp,
               owner_id::VARCHAR AS properties__hubspot_owner_id,
               CASE type WHEN 'CALL' THEN 'OUTBOUND' WHEN 'EMAIL' THEN 'EMAIL' END AS properties__hs_direction,
               CASE type WHEN 'MEETING' THEN 'COMPLETED' END AS properties__hs_meeting_outcome
        FROM eng_df ORDER BY engagement_id""")

    _write_associations(r, sim, crm, deals, engagements)
    _write_reference_tables(r, owners)
    return {"deals": deals, "contacts": contacts, "companies": companies}


def _contact_history(sim: Simulation, crm: CrmRecords) -> pd.DataFrame:
    """Property history: lifecycle stage and sales' disposition, per surviving contact."""
    c = crm.contacts
    live = c[c["merged_into_id"] < 0]
    primary = live[live["contact_id"].isin(crm.person_contact_id)]
    ev = stage_events(sim)
    ev = ev.merge(primary[["person_no", "contact_id", "created_at"]], on="person_no")
    ev["t"] = np.maximum(ev["t"], ev["created_at"])
    life = pd.DataFrame({"contact_id": ev["contact_id"], "property": "lifecyclestage",
                         "value": ev["stage"].map(LIFECYCLE_IDS), "t": ev["t"], "source_type": "AUTOMATION_PLATFORM"})
    # Contacts that are not a person's primary record only hold the stage they were created at.
    others = live[~live["contact_id"].isin(primary["contact_id"])]
    first_stage = np.select(
        [others["origin"] == "sales_deal", others["form_type"] == "newsletter"], ["opportunity", "subscriber"], "lead")
    created = pd.DataFrame({"contact_id": others["contact_id"], "property": "lifecyclestage", "value": first_stage,
                            "t": others["created_at"], "source_type": "CRM_UI"})
    d = sim.funnel.dispositions
    d = d[d["disposition_at"] >= 0].merge(primary[["person_no", "contact_id"]], on="person_no")
    disp = pd.DataFrame({"contact_id": d["contact_id"], "property": "mql_disposition",
                         "value": d["disposition"], "t": d["disposition_at"], "source_type": "CRM_UI"})
    reason = pd.DataFrame({"contact_id": d["contact_id"], "property": "mql_rejection_reason",
                           "value": d["rejection_reason"], "t": d["disposition_at"], "source_type": "CRM_UI"})
    out = pd.concat([life, created, disp, reason[reason["value"].notna()]], ignore_index=True)
    return out.sort_values(["contact_id", "t", "property"], kind="stable").reset_index(drop=True)


def _contact_rows(rng, sim, crm, history, owners, deals) -> pd.DataFrame:
    persons, accounts = sim.population.persons, sim.population.accounts
    c = crm.contacts[crm.contacts["merged_into_id"] < 0].copy()
    n = len(c)
    person = c["person_no"].to_numpy()
    acc = persons["account_no"].to_numpy()[person]
    shared = c["shared"].to_numpy()

    def maybe(values, keep_share):
        return np.where(rng.random(n) < keep_share, values, None)

    first = persons["first_name"].to_numpy()[person]
    last = persons["last_name"].to_numpy()[person]
    c["firstname"] = np.where(shared, np.asarray(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)], maybe(first, 0.96))
    c["lastname"] = np.where(shared, np.asarray(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)], maybe(last, 0.98))
    c["jobtitle"] = maybe(persons["job_title"].to_numpy()[person], 0.65)
    c["company"] = np.where(acc >= 0, maybe(accounts["name"].to_numpy()[np.maximum(acc, 0)], 0.6), None)
    c["country"] = np.where(acc >= 0, maybe(accounts["country"].to_numpy()[np.maximum(acc, 0)], 0.7), None)
    c["email"] = c["email"].where(c["email"] != "", None)

    life = history[history["property"] == "lifecyclestage"]
    last_life = life.groupby("contact_id").last()
    c["lifecyclestage"] = last_life["value"].reindex(c["contact_id"]).to_numpy()
    last_change = history.groupby("contact_id")["t"].max().reindex(c["contact_id"]).fillna(0).to_numpy()
    c["updated_at"] = np.maximum(c["created_at"], last_change)
    reverse = {v: k for k, v in LIFECYCLE_IDS.items()}
    entered = life.assign(stage=life["value"].map(reverse)).groupby(["contact_id", "stage"])["t"].max().unstack()
    for stage in LIFECYCLE_IDS:
        col = entered[stage] if stage in entered else pd.Series(dtype=float)
        c[f"e_{stage}"] = col.reindex(c["contact_id"]).fillna(-1).to_numpy().astype(np.int64)

    d = sim.funnel.dispositions.sort_values(["person_no", "cycle"]).drop_duplicates("person_no", keep="last")
    d = d.set_index("person_no")
    is_primary = c["contact_id"].isin(crm.person_contact_id).to_numpy()
    disp = d["disposition"].reindex(person).to_numpy()
    touched = d["first_touch_at"].reindex(person).fillna(-1).to_numpy() >= 0
    has_mql = d["mql_at"].reindex(person).notna().to_numpy() & is_primary
    c["mql_disposition"] = np.where(is_primary, disp, None)
    c["mql_rejection_reason"] = np.where(is_primary, d["rejection_reason"].reindex(person).to_numpy(), None)
    disposition_at = d["disposition_at"].reindex(person).fillna(-1).to_numpy()
    c["mql_disposition_at"] = np.where(is_primary, disposition_at, -1).astype(np.int64)
    in_deal = c["lifecyclestage"].isin(["opportunity", "customer"]).to_numpy()
    lead_status = np.select([in_deal, disp == "accepted", disp == "rejected", touched],
                            ["OPEN_DEAL", "IN_PROGRESS", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT"], "NEW")
    c["hs_lead_status"] = np.where(has_mql | (in_deal & is_primary), lead_status, None)

    # Owner: the account's AE once a deal exists, the SDR team while a lead is worked.
    sdrs = owners.index[owners["team"] == "Sales Development"].to_numpy()
    on_deal = np.isin(person, sim.deals.deal_persons["person_no"].to_numpy())
    ae = owners["owner_id"].to_numpy()[sim.deals.account_owner[np.maximum(acc, 0)]]
    sdr = owners["owner_id"].to_numpy()[sdrs[person % len(sdrs)]]
    c["owner_id"] = np.where(on_deal & (acc >= 0), ae, np.where(has_mql, sdr, -1))
    c["owner_id"] = c["owner_id"].astype("Int64").where(c["owner_id"] >= 0)

    channel_name = pd.Series(np.asarray(P.CHANNEL_NAMES + [None])[c["channel"].to_numpy()])
    c["analytics_source"] = np.where(c["origin"] == "form", channel_name.map(ANALYTICS_SOURCE).to_numpy(), "OFFLINE")
    camp = sim.catalog.campaigns["utm_campaign"].to_numpy()
    c["source_campaign"] = np.where(c["campaign_no"] >= 0, camp[np.maximum(c["campaign_no"], 0)], None)
    c["lead_source"] = c["origin"].map(LEAD_SOURCE)

    merged = crm.contacts[crm.contacts["merged_into_id"] > 0]
    merged_ids = merged.groupby("merged_into_id")["contact_id"].apply(lambda s: ";".join(map(str, sorted(s))))
    c["merged_ids"] = merged_ids.reindex(c["contact_id"]).to_numpy()
    merged_at = merged.groupby("merged_into_id")["merged_at"].max()
    c["updated_at"] = np.maximum(c["updated_at"], merged_at.reindex(c["contact_id"]).fillna(0).to_numpy())
    c["updated_at"] = np.maximum(c["updated_at"], c["archived_at"])
    return c.reset_index(drop=True)


def _company_rows(rng, sim, crm, deals, owners) -> pd.DataFrame:
    accounts = sim.population.accounts
    co = crm.companies[crm.companies["merged_into_id"] < 0].copy()
    n = len(co)
    a = accounts.iloc[co["account_no"].to_numpy()]
    dup = co["is_duplicate"].to_numpy()

    def maybe(values, keep_share):
        return np.where(rng.random(n) < keep_share, values, None)

    variant = np.where(rng.random(n) < 0.5, a["name"].to_numpy() + ".", a["name"].str.upper().to_numpy())
    co["name"] = np.where(dup, variant, a["name"].to_numpy())
    co["domain"] = np.where(dup, np.where(rng.random(n) < 0.5, "www." + a["domain"].to_numpy(), None),
                            maybe(a["domain"].to_numpy(), 0.92))
    co["industry"] = maybe(a["industry"].to_numpy(), 0.85)
    midpoints = {"1-10": "6", "11-50": "30", "51-200": "120", "201-1000": "450", "1001-5000": "2500", "5001+": "8000"}
    co["numberofemployees"] = maybe(a["employees"].map(midpoints).to_numpy(), 0.8)
    co["country"] = maybe(a["country"].to_numpy(), 0.9)
    co["owner_id"] = owners["owner_id"].to_numpy()[sim.deals.account_owner[co["account_no"].to_numpy()]]

    d = deals
    won_nb = d[d["is_won"]].groupby("account_no")["closed_at"].min()
    churned = d[(d["deal_type"] == "renewal") & d["is_closed"] & ~d["is_won"]].groupby("account_no")["closed_at"].min()
    has_deal = np.isin(co["account_no"], d["account_no"])
    is_customer = ~np.isnan(won_nb.reindex(co["account_no"]).to_numpy())
    churn_at = churned.reindex(co["account_no"]).to_numpy()
    co["lifecyclestage"] = np.where(~np.isnan(churn_at), "1021459",
                                    np.where(is_customer, "customer", np.where(has_deal, "opportunity", "lead")))
    churn_day = pd.to_datetime(pd.Series(churn_at), unit="s").dt.strftime("%Y-%m-%d")
    co["churn_date"] = churn_day.where(churn_day.notna(), None).to_numpy()

    merged = crm.companies[crm.companies["merged_into_id"] > 0]
    merged_ids = merged.groupby("merged_into_id")["company_id"].apply(lambda s: ";".join(map(str, sorted(s))))
    co["merged_ids"] = merged_ids.reindex(co["company_id"]).to_numpy()
    co["updated_at"] = np.maximum(co["created_at"], merged.groupby("merged_into_id")["merged_at"].max()
                                  .reindex(co["company_id"]).fillna(0).to_numpy())
    return co.reset_index(drop=True)


def _deal_rows(rng, sim, deals, owners) -> pd.DataFrame:
    accounts = sim.population.accounts
    d = deals.copy()
    n = len(d)
    name = accounts["name"].to_numpy()[d["account_no"].to_numpy()]
    year = pd.Series(d["close_at"].to_numpy().astype("datetime64[s]")).dt.year.astype(str).to_numpy()
    label = np.select([d["deal_type"] == "newbusiness", d["deal_type"] == "renewal"],
                      ["New Business", "Renewal " + year], "Expansion")
    d["dealname"] = name + " - " + label
    last_stage = sim.deals.stage_history.groupby("deal_no")["stage"].last()
    d["dealstage"] = last_stage.reindex(d["deal_no"]).fillna("appointmentscheduled").to_numpy()
    d["owner_id"] = owners["owner_id"].to_numpy()[d["owner_no"].to_numpy()]
    archive_at = d["created_at"].to_numpy() + rng.integers(1, 200, n) * P.DAY
    archived = (rng.random(n) < 0.005) & (archive_at < P.T_END)
    d["archived_at"] = np.where(archived, archive_at, -1)
    last_change = sim.deals.stage_history.groupby("deal_no")["t"].max().reindex(d["deal_no"]).fillna(0).to_numpy()
    d["updated_at"] = np.maximum.reduce([d["created_at"].to_numpy(), last_change, d["archived_at"].to_numpy()])
    return d


def _write_associations(r: Renderer, sim, crm: CrmRecords, deals, engagements) -> None:
    dp = sim.deals.deal_persons.merge(deals[["deal_no", "deal_id"]], on="deal_no")
    dp = dp.assign(contact_id=crm.person_contact_id[dp["person_no"].to_numpy()])
    dp = dp[dp["contact_id"] >= 0]
    dc = crm.deal_company.merge(deals[["deal_no", "deal_id"]], on="deal_no")
    eng_deal = engagements[engagements["deal_id"].notna()]
    parts = [
        ("contact", crm.contact_company["contact_id"], "company", crm.contact_company["company_id"],
         "contact_to_company"),
        ("deal", dc["deal_id"], "company", dc["company_id"], "deal_to_company"),
        ("deal", dp["deal_id"], "contact", dp["contact_id"], "deal_to_contact"),
        ("engagement", engagements["engagement_id"], "contact", engagements["contact_id"], "engagement_to_contact"),
        ("engagement", eng_deal["engagement_id"], "deal", eng_deal["deal_id"].astype(np.int64), "engagement_to_deal"),
    ]
    assoc = pd.concat([pd.DataFrame({"from_object_type": f, "from_id": fi.to_numpy().astype(np.int64),
                                     "to_object_type": t, "to_id": ti.to_numpy().astype(np.int64),
                                     "association_type": kind})
                       for f, fi, t, ti, kind in parts], ignore_index=True)
    assoc = assoc[assoc["to_id"] >= 0].drop_duplicates()
    r.register("assoc_df", assoc)
    r.write_parquet("hubspot/associations.parquet", """
        SELECT from_object_type, from_id::VARCHAR AS from_id, to_object_type, to_id::VARCHAR AS to_id,
               association_type
        FROM assoc_df ORDER BY association_type, from_id, to_id""")


def _write_reference_tables(r: Renderer, owners: pd.DataFrame) -> None:
    n = len(owners)
    first = np.asarray(FIRST_NAMES)[(np.arange(n) * 37 + 11) % len(FIRST_NAMES)]
    last = np.asarray(LAST_NAMES)[(np.arange(n) * 53 + 7) % len(LAST_NAMES)]
    r.register("owners_df", owners.assign(first_name=first, last_name=last))
    r.write_parquet("hubspot/owners.parquet", f"""
        SELECT owner_id::VARCHAR AS id, lower(first_name || '.' || last_name) || '@{OUR_DOMAIN}' AS email,
               first_name, last_name, team AS teams__name, iso({P.T0 - 400 * P.DAY}) AS created_at,
               iso({P.T0 - 400 * P.DAY}) AS updated_at, false AS archived
        FROM owners_df ORDER BY owner_id""")
    stages = pd.DataFrame(
        [(sid, label, i, prob, False) for i, (sid, label, prob, _) in enumerate(P.DEAL_STAGES)]
        + [("closedwon", "Closed Won", len(P.DEAL_STAGES), 1.0, True),
           ("closedlost", "Closed Lost", len(P.DEAL_STAGES) + 1, 0.0, True)],
        columns=["stage_id", "label", "display_order", "probability", "is_closed"])
    r.register("stages_df", stages)
    r.write_parquet("hubspot/deal_pipeline_stages.parquet", """
        SELECT 'default' AS pipeline_id, 'Sales Pipeline' AS pipeline_label, stage_id AS id, label,
               display_order, printf('%.1f', probability) AS metadata__probability,
               CASE WHEN is_closed THEN 'true' ELSE 'false' END AS metadata__is_closed
        FROM stages_df ORDER BY display_order""")
    life = pd.DataFrame([(sid, label, i) for i, (sid, label) in enumerate(LIFECYCLE_LABELS.items())],
                        columns=["stage_id", "label", "display_order"])
    r.register("life_df", life)
    r.write_parquet("hubspot/lifecycle_stages.parquet", """
        SELECT stage_id AS id, label, display_order FROM life_df ORDER BY display_order""")
