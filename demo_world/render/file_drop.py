"""The file drop: two tools the company uses that have no connector, exporting canonical CSV files
(docs/file-drop.md) into `file_drop/`.

- A trade-show badge scanner (`source_system` badge_scanner): at every event, the booth scans the
  badges of the persons who register for the event campaign, a few minutes before they register
  on the booth's form. One file per event, `file_drop/touches/<event utm_campaign>.csv`, times in
  the venue's UTC offset, the email as the person typed it at registration, plus two columns the
  canonical format does not have (`company`, `rating`).
- A podcast network (`source_system` podcast_network): the weekly sponsorship spend of two shows
  in USD, `file_drop/ad_spend/podcast-sponsorships.csv`.

Real exports have bad rows, and so do these: a few scans with an unparseable timestamp or without
an email (the badge did not scan), a make-good credit typed as negative spend, a currency typed
"US$" and a date typed "Mar 3, 2025". `truth/file_drop_rows.parquet` lists the rule each bad row
breaks. Random draws come from the component's own stream, so no other file changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import rng_for
from demo_world.render.base import Renderer
from demo_world.render.truth import append_file_drop_truth
from demo_world.simulation import Simulation

BADGE_SCANNER = "badge_scanner"
PODCAST_NETWORK = "podcast_network"
SCAN_SHARE = 0.9  # registrants whose badge the booth scans (the others walk past the scanner)
RATINGS = ["hot", "warm", "cold"]
RATING_WEIGHTS = [0.2, 0.45, 0.35]
# Each event's venue offset from UTC in hours (the scanner writes local time with its offset).
VENUE_UTC_OFFSET = {"saastr": -8, "dreamforce": -8, "inbound": -4, "revops-summit": -5,
                    "b2b-marketing-expo": 0, "web-summit": 0, "pipeline-conf": -7, "martech-world": 1}
# The badge rows a real scanner export gets wrong, in the order they are placed.
BAD_SCANS = [("day_first_time", "invalid_timestamp"), ("no_email", "missing_identifier"),
             ("time_without_offset", "invalid_timestamp"), ("no_email", "missing_identifier")]
# campaign_id, name, first Monday, last Monday, USD per episode
PODCASTS = [
    ("podcast-revops-radio", "Podcast - RevOps Radio", "2025-01-06", "2026-10-26", 1800),
    ("podcast-b2b-growth-show", "Podcast - B2B Growth Show", "2025-06-02", "2026-05-25", 2400),
]
BAD_SPEND = [("negative_credit", "negative_value"), ("currency_symbol", "unknown_currency"),
             ("written_date", "invalid_date")]


def render_file_drop(r: Renderer, sim: Simulation) -> None:
    """Writes file_drop/ and appends the truth about it; runs after the other renderers."""
    rng = rng_for(sim.seed, "file_drop")
    persons, accounts = sim.population.persons, sim.population.accounts
    r.register("fd_people", pd.DataFrame({"person_no": persons["person_no"], "account_no": persons["account_no"]}))
    r.register("fd_companies", pd.DataFrame({"account_no": accounts["account_no"], "company": accounts["name"]}))
    r.register("fd_scans_raw", _badge_scans(rng, sim))
    r.register("fd_offsets", pd.DataFrame({"event": list(VENUE_UTC_OFFSET), "hours": list(VENUE_UTC_OFFSET.values())}))
    r.con.execute(_SCAN_SQL)
    for (event,) in r.con.execute("SELECT DISTINCT utm_campaign FROM fd_scans ORDER BY 1").fetchall():
        _write_csv(r, f"file_drop/touches/{event}.csv", f"""
            SELECT touch_id, email, occurred_at, channel, campaign_id, utm_source, utm_medium, utm_campaign,
                   company, rating, source_system
            FROM fd_scans WHERE utm_campaign = '{event}' ORDER BY source_row""")

    r.register("fd_podcasts", pd.DataFrame(PODCASTS, columns=["campaign_id", "name", "first_monday", "last_monday",
                                                              "usd_per_episode"]))
    r.register("fd_spend_raw", _podcast_weeks(rng))
    r.con.execute(_SPEND_SQL)
    _write_csv(r, "file_drop/ad_spend/podcast-sponsorships.csv", """
        SELECT date, platform, campaign_id, campaign_name, channel, spend, currency, impressions, clicks,
               source_system
        FROM fd_spend ORDER BY source_row""")
    append_file_drop_truth(r)


def _badge_scans(rng: np.random.Generator, sim: Simulation) -> pd.DataFrame:
    """One row per scanned registration, with the bad rows marked."""
    t = sim.journeys.touches
    reg = t[(t["form_type"] == "event_registration") & (t["campaign_no"] >= 0)]
    reg = reg[rng.random(len(reg)) < SCAN_SHARE]
    n = len(reg)
    scans = pd.DataFrame({
        "touch_no": reg["touch_no"].to_numpy(), "person_no": reg["person_no"].to_numpy(),
        "campaign_no": reg["campaign_no"].to_numpy(), "form_email": reg["form_email"].to_numpy(),
        # Scanned at the booth 2-20 minutes before registering on its form.
        "t": reg["t"].to_numpy() - rng.integers(2 * 60, 20 * 60, n),
        "rating": np.asarray(RATINGS)[rng.choice(len(RATINGS), n, p=RATING_WEIGHTS)],
        "flaw": None, "expected_rule": None,
    })
    bad = rng.choice(n, size=min(len(BAD_SCANS), n), replace=False)
    scans.loc[bad, "flaw"] = [f for f, _ in BAD_SCANS[:len(bad)]]
    scans.loc[bad, "expected_rule"] = [rule for _, rule in BAD_SCANS[:len(bad)]]
    return scans


def _podcast_weeks(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for campaign_id, name, first, last, usd in PODCASTS:
        mondays = pd.date_range(first, last, freq="7D")
        mondays = mondays[mondays < pd.Timestamp(P.WINDOW_END.date())]
        rows.append(pd.DataFrame({"campaign_id": campaign_id, "campaign_name": name,
                                  "date": mondays.strftime("%Y-%m-%d"), "usd": usd}))
    weeks = pd.concat(rows, ignore_index=True).sort_values(["date", "campaign_id"], kind="stable")
    n = len(weeks)
    weeks["downloads"] = rng.integers(9_000, 16_000, n)
    weeks["visits"] = rng.integers(15, 90, n)
    weeks["flaw"], weeks["expected_rule"] = None, None
    bad = rng.choice(n, size=len(BAD_SPEND), replace=False)
    weeks.iloc[bad, weeks.columns.get_loc("flaw")] = [f for f, _ in BAD_SPEND]
    weeks.iloc[bad, weeks.columns.get_loc("expected_rule")] = [rule for _, rule in BAD_SPEND]
    return weeks.reset_index(drop=True)


def _write_csv(r: Renderer, rel_path: str, sql: str) -> None:
    """RFC 4180 CSV with a header, quoting only values that need it; rows in the query's order."""
    path = r.out_dir / rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    (rows,) = r.con.execute(f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER true)").fetchone()
    r.row_counts[rel_path] = rows


# Local time at the venue, formatted the way the scanner writes it (or gets it wrong).
_SCAN_SQL = f"""
CREATE OR REPLACE TEMP TABLE fd_scans AS
WITH s AS (
    SELECT s.*, c.utm_campaign, c.utm_source, c.utm_medium, a.company, o.hours,
           make_timestamp((s.t + o.hours * 3600)::BIGINT * 1000000) AS local_time
    FROM fd_scans_raw s
    JOIN catalog_raw c USING (campaign_no)
    JOIN fd_offsets o ON c.utm_campaign LIKE 'event-' || o.event || '-%'
    LEFT JOIN fd_people p USING (person_no)
    LEFT JOIN fd_companies a USING (account_no)
)
SELECT
    touch_no, person_no, utm_campaign, expected_rule,
    'touches/' || utm_campaign || '.csv' AS source_file,
    row_number() OVER (PARTITION BY utm_campaign ORDER BY t, touch_no) AS source_row,
    'bs-' || hexid('badge_scan', touch_no, 12) AS touch_id,
    CASE WHEN flaw = 'no_email' THEN NULL ELSE form_email END AS email,
    CASE flaw
        WHEN 'day_first_time' THEN strftime(local_time, '%d/%m/%Y %H:%M')
        WHEN 'time_without_offset' THEN strftime(local_time, '%Y-%m-%d %H:%M:%S')
        ELSE strftime(local_time, '%Y-%m-%dT%H:%M:%S') ||
             CASE WHEN hours = 0 THEN 'Z' ELSE printf('%+03d:00', hours) END
    END AS occurred_at,
    'events' AS channel, utm_campaign AS campaign_id, utm_source, utm_medium,
    company, rating, '{BADGE_SCANNER}' AS source_system
FROM s
"""

_SPEND_SQL = f"""
CREATE OR REPLACE TEMP TABLE fd_spend AS
SELECT
    campaign_id, campaign_name, expected_rule, date AS week,
    'ad_spend/podcast-sponsorships.csv' AS source_file,
    row_number() OVER (ORDER BY date, campaign_id) AS source_row,
    CASE WHEN flaw = 'written_date' THEN strftime(date::DATE, '%b %-d, %Y') ELSE date END AS date,
    '{PODCAST_NETWORK}' AS platform, 'sponsorship' AS channel,
    printf('%.2f', (CASE WHEN flaw = 'negative_credit' THEN -usd ELSE usd END)::DOUBLE) AS spend,
    CASE WHEN flaw = 'currency_symbol' THEN 'US$' ELSE 'USD' END AS currency,
    downloads::VARCHAR AS impressions, visits::VARCHAR AS clicks, '{PODCAST_NETWORK}' AS source_system
FROM fd_spend_raw
"""
