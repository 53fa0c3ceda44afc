"""Ground truth, kept apart from the source data in `truth/` (the pipeline never reads it).

`source_system` is spelled as the raw schema names the system (`raw_hubspot` -> `hubspot`,
`raw_salesforce` -> `salesforce`) and `source_record_id` as the raw data spells the record's id, so
any warehouse row joins back here. See truth/README.md in a generated world for each file's grain.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from demo_world.crm_records import CrmRecords
from demo_world.render.base import Renderer
from demo_world.simulation import Simulation, stage_events

TRUTH_README = """# Ground truth of this demo world

Never read by the pipeline; tests and benchmarks compare the warehouse against it.

| file | grain |
|---|---|
| persons.parquet | one row per true person (name, account, addresses) |
| accounts.parquet | one row per true account |
| person_records.parquet | one row per source record that stands for exactly one person: {crm_person_records}, Mailchimp members, web anonymousId / userId, web form fills (the `Form Submitted` track event's messageId), Google Ads gclids |
| shared_identifiers.parquet | records that stand for several persons (a booth tablet's anonymousId, a throwaway or shared inbox): identity resolution must not merge people over them |
| account_records.parquet | one row per CRM company record{crm_account_records} (merged-away and duplicates included) |
| touch_channels.parquet | one row per marketing touch record with its true channel: web page and form events (messageId), Google Ads clicks (gclid), Mailchimp clicks (id `campaign_id|email_id|timestamp`), then the file drop's badge scans (source_system `file_drop`, the scan's touch_id; the rows the drop quarantines included) |
| stage_dates.parquet | one row per lifecycle stage entry of a person (re-entries after a regression are extra rows; skipped stages have none) |
| lead_dispositions.parquet | one row per MQL handed to sales: first sales touch and verdict |
| opportunities.parquet | one row per CRM deal{crm_deals}: account, type, outcome, amount in its currency |
| campaigns.parquet | one row per campaign with its channel and the ids each platform gives it, then the file drop's podcast sponsorships (campaign_no from 2001, platform_campaign_id = their campaign_id) |
| file_drop_rows.parquet | one row per data row of the `file_drop/` files: source_file (relative to `file_drop/`, as the file-drop source names it), source_row (1-based), entity, record id (touch_id; `campaign_id|date` for spend), true person of a badge scan, and the quarantine rule the row is made to break (empty for a good row) |
"""
# What the README says about each CRM's records; HubSpot's wording is the original one.
_CRM_README = {
    "hubspot": {"crm_person_records": "HubSpot contacts (merged-away, deleted and duplicate ones included)",
                "crm_account_records": "", "crm_deals": ""},
    "salesforce": {
        "crm_person_records": "Salesforce leads and contacts (merged-away, deleted, converted and duplicate ones "
                              "included; a converted lead and the contact it became are both records of its person)",
        "crm_account_records": ", a Salesforce Account", "crm_deals": ", a Salesforce Opportunity"},
}


@dataclass
class CrmTruth:
    """The CRM's record ids the truth files list, whichever CRM the world runs."""

    system: str  # source_system as the raw schema names it: hubspot | salesforce
    person_records: pd.DataFrame  # source_record_id, person_no, record_type, shared (stands for several persons)
    account_records: pd.DataFrame  # source_record_id, account_no, is_duplicate, is_merged_away, sort_key
    deals: pd.DataFrame  # the simulation's deals plus source_record_id and sort_key


def hubspot_truth(crm: CrmRecords, hubspot_ids: dict[str, pd.DataFrame]) -> CrmTruth:
    contacts, companies = crm.contacts, crm.companies
    deals = hubspot_ids["deals"]
    return CrmTruth(
        system="hubspot",
        person_records=pd.DataFrame({"source_record_id": contacts["contact_id"].astype(str).to_numpy(dtype=object),
                                     "person_no": contacts["person_no"].to_numpy(), "record_type": "contact",
                                     "shared": contacts["shared"].to_numpy()}),
        account_records=pd.DataFrame({
            "source_record_id": companies["company_id"].astype(str).to_numpy(dtype=object),
            "account_no": companies["account_no"].to_numpy(), "is_duplicate": companies["is_duplicate"].to_numpy(),
            "is_merged_away": (companies["merged_into_id"] > 0).to_numpy(),
            "sort_key": companies["company_id"].to_numpy()}),
        deals=deals.assign(source_record_id=deals["deal_id"].astype(str).to_numpy(dtype=object),
                           sort_key=deals["deal_id"].to_numpy()),
    )


def render_truth(r: Renderer, sim: Simulation, crm_truth: CrmTruth) -> None:
    persons, accounts = sim.population.persons, sim.population.accounts
    system = crm_truth.system
    r.register("t_persons", persons.drop(columns=["engagement"]))
    r.register("t_accounts", accounts)
    r.register("t_crm_persons", crm_truth.person_records)
    r.register("t_companies", crm_truth.account_records)
    r.con.execute("""CREATE OR REPLACE TEMP VIEW t_web AS
        SELECT messageId AS message_id, type, anonymousId AS anonymous_id, userId AS user_id,
               person_no, device_no, true_channel
        FROM web_events""")
    kiosks = pd.DataFrame({"device_no": sim.journeys.kiosk_devices})
    r.register("t_kiosks", kiosks)

    r.write_parquet("truth/persons.parquet", """
        SELECT p.true_person_id, a.true_account_id, p.is_business, p.first_name, p.last_name, p.job_title,
               p.work_email, p.personal_email
        FROM t_persons p LEFT JOIN t_accounts a ON a.account_no = p.account_no ORDER BY p.person_no""")
    r.write_parquet("truth/accounts.parquet", """
        SELECT true_account_id, name, domain, industry, employees, country, region, currency
        FROM t_accounts ORDER BY account_no""")

    r.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE person_records AS
        SELECT '{system}' AS source_system, source_record_id::VARCHAR AS source_record_id, person_no,
               record_type::VARCHAR AS record_type
        FROM t_crm_persons WHERE NOT shared
        UNION ALL
        SELECT 'mailchimp', member_id, person_no, 'member' FROM members WHERE NOT shared
        UNION ALL
        SELECT DISTINCT 'web', anonymous_id, person_no, 'anonymous_id'
        FROM t_web WHERE device_no NOT IN (SELECT device_no FROM t_kiosks)
        UNION ALL
        SELECT DISTINCT 'web', user_id, person_no, 'user_id' FROM t_web WHERE user_id IS NOT NULL
        UNION ALL
        SELECT 'web', message_id, person_no, 'form_fill' FROM t_web WHERE type = 'track'
        UNION ALL
        SELECT 'google_ads', k.click_id, s.person_no, 'gclid'
        FROM ad_clicks k JOIN sessions_raw s USING (touch_no) WHERE k.platform = 'google_ads'
    """)
    r.write_parquet("truth/person_records.parquet", """
        SELECT r.source_system, r.source_record_id, p.true_person_id, r.record_type
        FROM person_records r JOIN t_persons p USING (person_no)
        ORDER BY r.source_system, r.record_type, r.source_record_id""")
    r.write_parquet("truth/shared_identifiers.parquet", f"""
        SELECT 'web' AS source_system, uuid_of('anon', device_no) AS source_record_id,
               'booth_tablet_anonymous_id' AS kind
        FROM t_kiosks
        UNION ALL SELECT '{system}', source_record_id::VARCHAR, 'shared_or_throwaway_inbox' FROM t_crm_persons
        WHERE shared
        UNION ALL SELECT 'mailchimp', member_id, 'shared_or_throwaway_inbox' FROM members WHERE shared
        ORDER BY 1, 2""")
    r.write_parquet("truth/account_records.parquet", f"""
        SELECT '{system}' AS source_system, c.source_record_id::VARCHAR AS source_record_id, a.true_account_id,
               c.is_duplicate, c.is_merged_away
        FROM t_companies c JOIN t_accounts a USING (account_no) ORDER BY c.sort_key""")

    r.write_parquet("truth/touch_channels.parquet", """
        SELECT 'web' AS source_system, message_id AS source_record_id, true_channel, 'web_event' AS record_type
        FROM t_web WHERE type IN ('page', 'track')
        UNION ALL
        SELECT 'google_ads', k.click_id, c.channel, 'gclid'
        FROM ad_clicks k JOIN catalog_raw c USING (campaign_no) WHERE k.platform = 'google_ads'
        UNION ALL
        SELECT 'mailchimp', campaign_id || '|' || member_id || '|' || iso(t), 'email', 'email_click'
        FROM email_activity WHERE action = 'click'
        ORDER BY 1, 2""")

    r.register("t_stages", stage_events(sim))
    r.write_parquet("truth/stage_dates.parquet", """
        SELECT p.true_person_id, s.stage, ts(s.t) AS entered_at
        FROM t_stages s JOIN t_persons p USING (person_no) ORDER BY p.person_no, s.t, s.stage""")
    r.register("t_dispositions", sim.funnel.dispositions)
    r.write_parquet("truth/lead_dispositions.parquet", """
        SELECT p.true_person_id, d.cycle, ts(d.mql_at) AS mql_at, ts(d.first_touch_at) AS first_touch_at,
               d.disposition, d.rejection_reason, ts(d.disposition_at) AS disposition_at
        FROM t_dispositions d JOIN t_persons p USING (person_no) ORDER BY p.person_no, d.cycle""")
    r.register("t_deals", crm_truth.deals)
    r.write_parquet("truth/opportunities.parquet", f"""
        SELECT '{system}' AS source_system, d.source_record_id::VARCHAR AS source_record_id, a.true_account_id,
               d.deal_type, d.source AS sourced_by, ts(d.created_at) AS created_at, ts(d.closed_at) AS closed_at,
               d.is_closed, d.is_won,
               CASE WHEN d.is_won THEN 'won' WHEN d.is_closed THEN 'lost' ELSE 'open' END AS outcome,
               d.lost_reason, d.amount, d.currency, round(d.amount_usd, 2) AS amount_usd,
               d.influence AS marketing_touches_around_deal
        FROM t_deals d JOIN t_accounts a USING (account_no) ORDER BY d.sort_key""")
    r.write_parquet("truth/campaigns.parquet", """
        SELECT c.campaign_no, c.name, c.channel, c.platform, a.platform_campaign_id, c.utm_source,
               c.utm_medium, c.utm_campaign, ts(c.start_at) AS starts_at, ts(c.end_at) AS ends_at
        FROM catalog_raw c LEFT JOIN ad_campaigns a USING (campaign_no)
        UNION ALL
        SELECT 1000 + email_campaign_no, title, 'email', 'mailchimp', campaign_id, 'mailchimp', 'email',
               utm_campaign, ts(CASE WHEN send_time > 0 THEN send_time END), NULL
        FROM email_campaigns ORDER BY 1""")
    (r.out_dir / "truth" / "README.md").write_text(TRUTH_README.format(**_CRM_README[system]))


def append_file_drop_truth(r: Renderer) -> None:
    """The file drop's records, written after the other truth: badge scans are appended to
    touch_channels and the podcast sponsorships to campaigns (after the rows already there, which
    stay as they are), and file_drop_rows lists every row of the drop's files with the quarantine
    rule it is expected to break. Reads the fd_* tables render_file_drop leaves."""
    _append_rows(r, "truth/touch_channels.parquet", """
        SELECT 'file_drop', touch_id, 'events', 'badge_scan' FROM fd_scans""", order_by="touch_id")
    _append_rows(r, "truth/campaigns.parquet", """
        SELECT 2000 + row_number() OVER (ORDER BY campaign_id), name, 'sponsorship', 'podcast_network', campaign_id,
               NULL, NULL, NULL, first_monday::TIMESTAMP, last_monday::TIMESTAMP + INTERVAL 7 DAY
        FROM fd_podcasts""", order_by="campaign_id")
    r.write_parquet("truth/file_drop_rows.parquet", """
        SELECT s.source_file, s.source_row, 'touches' AS entity, s.touch_id AS source_record_id, p.true_person_id,
               s.expected_rule
        FROM fd_scans s JOIN t_persons p USING (person_no)
        UNION ALL
        SELECT source_file, source_row, 'ad_spend', campaign_id || '|' || week, NULL, expected_rule FROM fd_spend
        ORDER BY 1, 2""")


def _append_rows(r: Renderer, rel_path: str, sql: str, order_by: str) -> None:
    """Rewrite a truth file as its rows in their order, then the new rows (columns by position)."""
    path = r.out_dir / rel_path
    r.write_parquet(rel_path, f"""
        SELECT * EXCLUDE (part, k) FROM (
            SELECT * EXCLUDE (file_row_number), 0 AS part, file_row_number AS k
            FROM read_parquet('{path}', file_row_number = true)
            UNION ALL
            SELECT *, 1, row_number() OVER (ORDER BY {order_by}) FROM ({sql})
        ) ORDER BY part, k""")
