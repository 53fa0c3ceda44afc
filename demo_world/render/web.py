"""First-party web events in the Segment spec (page, track, identify), one NDJSON file per day of
arrival, as an event-export bucket holds them.

Every visit is a session of page views; the landing page carries the visit's UTM tags and click
id in its URL and in `context.campaign`. A form fill adds a `Form Submitted` track call and an
`identify` call with the address typed. Customers browse signed in, so their events carry a
`userId`; signing in on a device sends an `identify` call with the account's address. A few
events arrive days late and so sit in a later day's file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import rng_for
from demo_world.render.base import Renderer
from demo_world.simulation import Simulation, stage_events

SITE = "https://www.tallyhouse.example"
SITE_PAGES = ["/", "/pricing", "/product", "/customers", "/integrations", "/docs", "/about",
              "/blog/revops-metrics", "/blog/one-funnel", "/blog/attribution-models", "/security"]
ORGANIC_REFERRERS = ["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/"]
REFERRAL_REFERRERS = ["https://www.g2.com/products/tallyhouse/reviews", "https://www.capterra.com/p/tallyhouse/",
                      "https://partner-blog.example/revops-stack", "https://news.ycombinator.com/"]
LATE_SHARE = 0.02  # events that reach the collector 1-10 days after they happened


def sessions_frame(sim: Simulation) -> pd.DataFrame:
    """Web sessions: every non-email visit, plus the tracked visits from email clicks."""
    rng = rng_for(sim.seed, "web_sessions")
    t = sim.journeys.touches
    visits = pd.DataFrame({
        "touch_no": t["touch_no"], "person_no": t["person_no"], "device_no": t["device_no"], "t": t["t"],
        "channel": np.asarray(P.ALL_CHANNEL_NAMES)[t["channel"].to_numpy()], "platform": t["platform"],
        "campaign_no": t["campaign_no"], "email_campaign_no": -1, "member_no": -1,
        "is_form": t["is_form"], "form_type": t["form_type"], "form_email": t["form_email"],
    })
    clicks = sim.email_clicks[rng.random(len(sim.email_clicks)) < 0.85]  # the rest block tracking
    from_email = pd.DataFrame({
        "touch_no": -1, "person_no": clicks["person_no"].to_numpy(),
        "device_no": sim.journeys.first_device[clicks["person_no"].to_numpy()],
        "t": clicks["t"].to_numpy() + 2, "channel": "email", "platform": None, "campaign_no": -1,
        "email_campaign_no": clicks["email_campaign_no"].to_numpy(), "member_no": clicks["member_no"].to_numpy(),
        "is_form": False, "form_type": None, "form_email": None,
    })
    s = pd.concat([visits, from_email], ignore_index=True)
    s = s[s["t"] < P.T_END].sort_values(["t", "person_no", "touch_no"], kind="stable").reset_index(drop=True)
    s.insert(0, "session_no", np.arange(len(s)))
    n = len(s)
    s["n_pages"] = np.minimum(rng.geometric(0.35, n), 10)
    # Customers are signed in when they browse.
    ev = stage_events(sim)
    became_customer = ev[ev["stage"] == "customer"].groupby("person_no")["t"].min()
    s["signed_in"] = s["t"].to_numpy() > became_customer.reindex(s["person_no"]).fillna(np.inf).to_numpy()
    u = rng.random(n)
    s["utm_style"] = np.select([u < 0.03, u < 0.04, u < 0.045], ["upper", "alias", "unknown"], "standard")
    s["referrer_pick"] = rng.integers(0, 1000, n)
    return s


def render_web(r: Renderer, sim: Simulation, sessions: pd.DataFrame) -> None:
    """Writes web/events/received_date=YYYY-MM-DD/events.ndjson; leaves `web_events` for truth."""
    rng = rng_for(sim.seed, "web_events")
    pages = sessions.loc[sessions.index.repeat(sessions["n_pages"]), ["session_no", "t"]].reset_index(drop=True)
    page_k = pages.groupby("session_no").cumcount().to_numpy()
    gaps = rng.integers(20, 240, len(pages))
    gaps[page_k == 0] = 0
    cs = np.cumsum(gaps)
    pages["event_t"] = pages["t"].to_numpy() + cs - cs[np.flatnonzero(page_k == 0).repeat(
        sessions["n_pages"].to_numpy())]
    pages["page_k"] = page_k
    pages["site_page"] = rng.integers(0, len(SITE_PAGES), len(pages))
    end_of_session = pages.groupby("session_no")["event_t"].max()
    forms = sessions[sessions["is_form"]][["session_no"]].copy()
    forms["event_t"] = end_of_session.reindex(forms["session_no"]).to_numpy() + 30
    # Signing in identifies the device: the first signed-in session of each device sends an
    # identify call with the user id and the address the customer's account was opened with.
    signed_in = sessions[sessions["signed_in"]]
    logins = signed_in.drop_duplicates("device_no")[["session_no", "t", "person_no"]]
    people = sim.population.persons
    login_email = people["work_email"].fillna(people["personal_email"]).to_numpy()
    logins = pd.DataFrame({"session_no": logins["session_no"].to_numpy(), "event_t": logins["t"].to_numpy() + 1,
                           "login_email": login_email[logins["person_no"].to_numpy()]})
    events = pd.concat([
        pages.assign(type="page")[["session_no", "event_t", "type", "page_k", "site_page"]],
        forms.assign(type="track", page_k=-1, site_page=-1),
        forms.assign(type="identify", page_k=-1, site_page=-1, event_t=forms["event_t"] + 1),
        logins.assign(type="identify", page_k=-1, site_page=-1),
    ], ignore_index=True)
    events["login_email"] = events["login_email"].astype(object).where(events["login_email"].notna(), None)
    n = len(events)
    late = rng.random(n) < LATE_SHARE
    delay = np.where(late, rng.integers(1 * P.DAY, 10 * P.DAY, n), rng.integers(0, 3, n))
    events["received_t"] = events["event_t"].to_numpy() + delay
    events = events[events["received_t"] < P.T_END]  # later arrivals are not in the export yet
    events = events.sort_values(["received_t", "session_no", "event_t", "type"], kind="stable").reset_index(drop=True)
    events.insert(0, "event_no", np.arange(len(events)))

    r.register("sessions_raw", sessions)
    r.register("events_raw", events)
    r.register("site_pages", pd.DataFrame({"site_page": np.arange(len(SITE_PAGES)), "site_path": SITE_PAGES}))
    r.register("organic_refs", pd.DataFrame({"i": np.arange(len(ORGANIC_REFERRERS)), "ref": ORGANIC_REFERRERS}))
    r.register("referral_refs", pd.DataFrame({"i": np.arange(len(REFERRAL_REFERRERS)), "ref": REFERRAL_REFERRERS}))
    r.con.execute(_SESSION_SQL)
    r.con.execute(_EVENT_SQL)
    _write_daily_files(r)


def _write_daily_files(r: Renderer) -> None:
    """One NDJSON file per arrival day, rows in arrival order, streamed in batches."""
    out = r.out_dir / "web" / "events"
    reader = r.con.sql("""
        SELECT substr(e.receivedAt, 1, 10) AS received_date, to_json(e) AS line
        FROM (SELECT * EXCLUDE (event_no, session_no, true_channel, person_no, device_no, received_date)
              FROM web_events) e
        ORDER BY e.receivedAt, e.messageId""").to_arrow_reader(100_000)
    current_day, handle, rows = None, None, 0
    try:
        for batch in reader:
            days = batch.column(0).to_numpy(zero_copy_only=False)
            lines = batch.column(1).to_pylist()
            bounds = np.r_[0, np.flatnonzero(days[1:] != days[:-1]) + 1, len(days)]
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                if days[lo] != current_day:
                    if handle:
                        handle.close()
                    current_day = days[lo]
                    part = out / f"received_date={current_day}"
                    part.mkdir(parents=True, exist_ok=True)
                    handle = open(part / "events.ndjson", "w")
                handle.write("\n".join(lines[lo:hi]) + "\n")
            rows += len(lines)
    finally:
        if handle:
            handle.close()
    r.row_counts["web/events"] = rows


_SESSION_SQL = """
CREATE OR REPLACE TEMP TABLE web_sessions AS
WITH tagged AS (
    SELECT s.*,
           coalesce(c.utm_source, CASE WHEN s.channel = 'email' THEN 'mailchimp' END) AS utm_source,
           coalesce(c.utm_medium, CASE WHEN s.channel = 'email' THEN 'email' END) AS base_medium,
           coalesce(c.utm_campaign, ec.utm_campaign) AS utm_campaign,
           ec.campaign_id AS mc_cid, m.unique_email_id AS mc_eid, k.click_id, k.platform AS click_platform
    FROM sessions_raw s
    LEFT JOIN catalog_raw c ON c.campaign_no = s.campaign_no
    LEFT JOIN email_campaigns ec ON ec.email_campaign_no = s.email_campaign_no
    LEFT JOIN members m ON m.member_no = s.member_no
    LEFT JOIN ad_clicks k ON k.touch_no = s.touch_no
)
SELECT *,
       CASE WHEN base_medium IS NULL THEN NULL
            WHEN utm_style = 'upper' THEN upper(base_medium)
            WHEN utm_style = 'alias' THEN CASE base_medium WHEN 'cpc' THEN 'ppc' WHEN 'paid_social' THEN 'social'
                                          WHEN 'email' THEN 'newsletter' ELSE base_medium END
            WHEN utm_style = 'unknown' THEN 'partner_xyz'
            ELSE base_medium END AS utm_medium,
       CASE channel
            WHEN 'organic_search' THEN (SELECT ref FROM organic_refs WHERE i = referrer_pick % 3)
            WHEN 'referral' THEN (SELECT ref FROM referral_refs WHERE i = referrer_pick % 4)
            WHEN 'paid_social' THEN CASE click_platform WHEN 'linkedin_ads' THEN 'https://www.linkedin.com/'
                                    ELSE 'https://l.facebook.com/' END
            WHEN 'paid_search' THEN 'https://www.google.com/'
       END AS referrer,
       CASE channel
            WHEN 'paid_search' THEN '/product' WHEN 'paid_social' THEN '/pricing' WHEN 'retargeting' THEN '/pricing'
            WHEN 'content' THEN '/resources/' || utm_campaign WHEN 'webinar' THEN '/webinars/' || utm_campaign
            WHEN 'events' THEN '/events/' || utm_campaign WHEN 'email' THEN '/blog/' || utm_campaign
            WHEN 'organic_search' THEN '/blog/revops-metrics' WHEN 'referral' THEN '/customers' ELSE '/'
       END AS landing_path,
       'usr_' || hexid('user', person_no, 12) AS user_id,
       uuid_of('anon', device_no) AS anonymous_id
FROM tagged
"""

_EVENT_SQL = f"""
CREATE OR REPLACE TEMP VIEW web_events AS
WITH e AS (
    SELECT e.*, s.*,
           CASE WHEN e.page_k = 0 THEN s.landing_path
                WHEN e.page_k > 0 THEN p.site_path END AS path,
           CASE WHEN e.page_k = 0 THEN concat_ws('&',
                    CASE WHEN s.utm_medium IS NOT NULL THEN 'utm_source=' || s.utm_source || '&utm_medium='
                         || s.utm_medium || '&utm_campaign=' || s.utm_campaign END,
                    CASE s.click_platform WHEN 'google_ads' THEN 'gclid=' || s.click_id
                         WHEN 'meta_ads' THEN 'fbclid=' || s.click_id
                         WHEN 'linkedin_ads' THEN 'li_fat_id=' || s.click_id END,
                    CASE WHEN s.mc_cid IS NOT NULL THEN 'mc_cid=' || s.mc_cid || '&mc_eid=' || s.mc_eid END)
           END AS query
    FROM events_raw e
    JOIN web_sessions s USING (session_no)
    LEFT JOIN site_pages p ON p.site_page = e.site_page
)
SELECT
    event_no, session_no, person_no, device_no, channel AS true_channel,
    strftime(make_timestamp(received_t::BIGINT * 1000000), '%Y-%m-%d') AS received_date,
    type,
    'ajs-next-' || hexid('msg', event_no, 32) AS messageId,
    anonymous_id AS anonymousId,
    CASE WHEN signed_in THEN user_id END AS userId,
    CASE WHEN type = 'track' THEN 'Form Submitted' END AS event,
    CASE WHEN type = 'page' THEN CASE WHEN path = '/' THEN 'Home'
         ELSE upper(substr(path, 2, 1)) || replace(substr(path, 3), '-', ' ') END END AS name,
    iso(event_t) AS timestamp,
    iso(event_t) AS sentAt,
    iso(received_t) AS receivedAt,
    CASE type
      WHEN 'page' THEN json_object('path', path, 'url', '{SITE}' || path || coalesce('?' || nullif(query, ''), ''),
                                   'referrer', CASE WHEN page_k = 0 THEN referrer END,
                                   'search', coalesce('?' || nullif(query, ''), ''))
      WHEN 'track' THEN json_object('form_id', hexid('form', form_type, 8), 'form_type', form_type,
                                    'email', form_email)
    END AS properties,
    CASE WHEN type = 'identify' THEN json_object('email', coalesce(login_email, form_email)) END AS traits,
    json_object(
        'library', json_object('name', 'analytics.js', 'version', 'next-1.70.0'),
        'page', json_object('path', coalesce(path, landing_path), 'referrer', CASE WHEN page_k = 0 THEN referrer END),
        'campaign', CASE WHEN page_k = 0 AND utm_medium IS NOT NULL
                         THEN json_object('source', utm_source, 'medium', utm_medium, 'name', utm_campaign) END,
        'userAgent', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)'
    ) AS context
FROM e
"""
