"""The email platform in the Mailchimp Marketing API's shapes: audience, members, campaigns and
per-recipient activity. A member's id is the MD5 of its lower-cased address, as Mailchimp's is."""

from __future__ import annotations

import numpy as np

from demo_world import params as P
from demo_world.arrays import rng_for
from demo_world.render.base import Renderer
from demo_world.simulation import Simulation

SITE = "https://www.tallyhouse.example"
LIST_CREATED = P.T0 - 300 * P.DAY


def email_landing_url() -> str:
    """SQL for an email click's URL: UTM tags plus Mailchimp's own mc_cid / mc_eid."""
    return (f"'{SITE}/blog/' || utm_campaign || '?utm_source=mailchimp&utm_medium=email&utm_campaign='"
            " || utm_campaign || '&mc_cid=' || campaign_id || '&mc_eid=' || unique_email_id")


def prepare_email_tables(r: Renderer, sim: Simulation) -> None:
    """Registers members, campaigns and activity with their Mailchimp ids (used by web too)."""
    rng = rng_for(sim.seed, "render_mailchimp")
    persons = sim.population.persons
    m = sim.email.members.copy()
    person = m["person_no"].to_numpy()
    from_form = (m["source"] == "Hosted Signup Form").to_numpy()
    keep_name = np.where(from_form, rng.random(len(m)) < 0.6, rng.random(len(m)) < 0.97)
    m["fname"] = np.where(keep_name & ~m["shared"], persons["first_name"].to_numpy()[person], None)
    m["lname"] = np.where(keep_name & ~m["shared"], persons["last_name"].to_numpy()[person], None)
    left = sim.email.activity[sim.email.activity["action"].isin(["unsubscribe", "bounce"])]
    last_change = left.groupby("member_no")["t"].max()
    m["last_changed"] = np.maximum(m["joined_at"], last_change.reindex(m["member_no"]).fillna(0).to_numpy())
    r.register("members_raw", m)
    r.con.execute("""
        CREATE OR REPLACE TEMP TABLE members AS
        SELECT *, md5(lower(email)) AS member_id, hexid('mc_unique', member_no, 10) AS unique_email_id
        FROM members_raw""")
    r.register("campaigns_raw", sim.email.campaigns)
    r.con.execute("""
        CREATE OR REPLACE TEMP TABLE email_campaigns AS
        SELECT *, hexid('mc_campaign', email_campaign_no, 10) AS campaign_id FROM campaigns_raw""")
    r.register("activity_raw", sim.email.activity)
    r.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE email_activity AS
        SELECT a.*, c.campaign_id, c.utm_campaign, m.member_id, m.email, m.unique_email_id,
               CASE WHEN a.action = 'click' THEN {email_landing_url()} END AS url
        FROM activity_raw a
        JOIN email_campaigns c USING (email_campaign_no)
        JOIN members m USING (member_no)""")


def render_mailchimp(r: Renderer, sim: Simulation) -> None:
    list_id = "(SELECT hexid('mc_list', 0, 10))"
    r.write_parquet("mailchimp/lists.parquet", f"""
        SELECT {list_id} AS id, 'Tallyhouse Newsletter & Nurture' AS name,
               iso({LIST_CREATED}) AS date_created, (SELECT count(*) FROM members) AS stats__member_count""")
    r.write_parquet("mailchimp/members.parquet", f"""
        SELECT member_id AS id, email AS email_address, unique_email_id, 'html' AS email_type, status,
               {list_id} AS list_id, fname AS merge_fields__fname, lname AS merge_fields__lname,
               source, CASE WHEN source = 'Hosted Signup Form' THEN iso(joined_at) END AS timestamp_signup,
               iso(joined_at) AS timestamp_opt, iso(last_changed) AS last_changed
        FROM members ORDER BY member_id""")
    r.write_parquet("mailchimp/campaigns.parquet", f"""
        SELECT campaign_id AS id, CASE kind WHEN 'newsletter' THEN 'regular' ELSE 'automation' END AS type,
               iso(CASE WHEN send_time > 0 THEN send_time - 3 * 86400 ELSE {LIST_CREATED} END) AS create_time,
               iso(CASE WHEN send_time > 0 THEN send_time END) AS send_time, 'sent' AS status,
               {list_id} AS recipients__list_id, subject AS settings__subject_line, title AS settings__title,
               utm_campaign AS tracking__google_analytics,
               (SELECT count(*) FROM email_activity a WHERE a.campaign_id = c.campaign_id AND a.action = 'sent')
                   AS emails_sent
        FROM email_campaigns c ORDER BY email_campaign_no""")
    r.write_parquet("mailchimp/email_activity.parquet", f"""
        SELECT campaign_id, {list_id} AS list_id, member_id AS email_id, email AS email_address,
               action, bounce_type AS type, iso(t) AS timestamp, url
        FROM email_activity ORDER BY t, campaign_id, member_id, action""")
