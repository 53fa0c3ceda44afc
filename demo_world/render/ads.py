"""The three ad platforms in their APIs' shapes (flattened as dlt flattens them).

- Google Ads: search-stream rows (`campaign__id`, `metrics__cost_micros`, `segments__date`) and
  `click_view` with each click's gclid, in the account's currency (USD).
- Meta Ads: campaigns and daily insights with spend as a string and an `actions` list, in EUR.
- LinkedIn Ads: campaign groups, campaigns and daily ad analytics with `cost_in_local_currency`.
Click ids (gclid, fbclid, li_fat_id) also ride on the landing-page URLs the web events record.
"""

from __future__ import annotations

from demo_world import params as P
from demo_world.render.base import Renderer
from demo_world.simulation import Simulation

GOOGLE_CUSTOMER_ID = "4821736650"
META_ACCOUNT_ID = "act_1029384756"
LINKEDIN_ACCOUNT_URN = "urn:li:sponsoredAccount:508812345"


def prepare_ad_tables(r: Renderer, sim: Simulation) -> None:
    """Registers campaigns with platform ids, daily rows and per-click ids (web uses them too)."""
    c = sim.catalog.campaigns
    r.register("catalog_raw", c)
    r.con.execute("""
        CREATE OR REPLACE TEMP TABLE ad_campaigns AS
        SELECT *, CASE platform
                    WHEN 'google_ads' THEN (21000000000 + campaign_no)::VARCHAR
                    WHEN 'meta_ads' THEN (120210000000000 + campaign_no * 7919)::VARCHAR
                    WHEN 'linkedin_ads' THEN (310000000 + campaign_no)::VARCHAR
                  END AS platform_campaign_id,
               CASE WHEN platform = 'linkedin_ads' THEN (600000000 + first_month // 3)::VARCHAR END
                   AS linkedin_group_id
        FROM catalog_raw WHERE platform IS NOT NULL""")
    r.register("ad_daily_raw", sim.ad_daily)
    r.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ad_daily AS
        SELECT d.*, c.platform, c.platform_campaign_id, c.name,
               strftime(make_timestamp(({P.T0} + d.day * 86400)::BIGINT * 1000000), '%Y-%m-%d') AS date,
               d.cost_usd * CASE c.platform WHEN 'meta_ads' THEN {P.USD_TO['EUR']} ELSE 1 END AS cost_local
        FROM ad_daily_raw d JOIN ad_campaigns c USING (campaign_no)""")
    touches = sim.journeys.touches
    paid = touches[touches["platform"].notna()][["touch_no", "platform", "campaign_no", "t"]]
    r.register("paid_touches", paid)
    r.con.execute("""
        CREATE OR REPLACE TEMP TABLE ad_clicks AS
        SELECT touch_no, platform, campaign_no, t,
               CASE platform
                 WHEN 'google_ads' THEN 'Cj0KCQiA' || hexid('gclid', touch_no, 32) || '_BwE'
                 WHEN 'meta_ads' THEN 'IwAR' || hexid('fbclid', touch_no, 28) || hexid('fbclid2', touch_no, 16)
                 ELSE uuid_of('li_fat_id', touch_no)
               END AS click_id
        FROM paid_touches""")


def render_ads(r: Renderer) -> None:
    _google(r)
    _meta(r)
    _linkedin(r)


def _google(r: Renderer) -> None:
    r.write_parquet("google_ads/campaigns.parquet", f"""
        SELECT platform_campaign_id::BIGINT AS campaign__id, name AS campaign__name,
               CASE WHEN channel = 'paid_search' THEN 'SEARCH' ELSE 'DISPLAY' END AS campaign__advertising_channel_type,
               CASE WHEN end_at >= {P.T_END} THEN 'ENABLED' ELSE 'PAUSED' END AS campaign__status,
               day_of(start_at) AS campaign__start_date, day_of(end_at - 86400) AS campaign__end_date,
               '{GOOGLE_CUSTOMER_ID}' AS customer__id, 'USD' AS customer__currency_code
        FROM ad_campaigns WHERE platform = 'google_ads' ORDER BY campaign_no""")
    r.write_parquet("google_ads/ad_groups.parquet", """
        SELECT (platform_campaign_id::BIGINT * 10 + g) AS ad_group__id,
               name || CASE g WHEN 1 THEN ' - Exact' ELSE ' - Broad' END AS ad_group__name,
               platform_campaign_id::BIGINT AS campaign__id, 'ENABLED' AS ad_group__status
        FROM ad_campaigns, range(1, 3) t(g) WHERE platform = 'google_ads' ORDER BY campaign_no, g""")
    r.write_parquet("google_ads/campaign_daily.parquet", f"""
        SELECT date AS segments__date, platform_campaign_id::BIGINT AS campaign__id, name AS campaign__name,
               (round(cost_local * 100) * 10000)::BIGINT AS metrics__cost_micros,
               impressions AS metrics__impressions, clicks AS metrics__clicks,
               conversions::DOUBLE AS metrics__conversions, '{GOOGLE_CUSTOMER_ID}' AS customer__id,
               'USD' AS customer__currency_code
        FROM ad_daily WHERE platform = 'google_ads' ORDER BY date, campaign_no""")
    r.write_parquet("google_ads/click_view.parquet", """
        SELECT k.click_id AS click_view__gclid, day_of(k.t) AS segments__date,
               c.platform_campaign_id::BIGINT AS campaign__id,
               (c.platform_campaign_id::BIGINT * 10 + 1 + k.touch_no % 2) AS ad_group__id
        FROM ad_clicks k JOIN ad_campaigns c USING (campaign_no)
        WHERE k.platform = 'google_ads' ORDER BY k.t, k.touch_no""")


def _meta(r: Renderer) -> None:
    r.write_parquet("meta_ads/campaigns.parquet", f"""
        SELECT platform_campaign_id AS id, name,
               CASE WHEN channel = 'retargeting' THEN 'OUTCOME_TRAFFIC'
                    WHEN name LIKE '%Awareness%' THEN 'OUTCOME_AWARENESS' ELSE 'OUTCOME_LEADS' END AS objective,
               CASE WHEN end_at >= {P.T_END} THEN 'ACTIVE' ELSE 'PAUSED' END AS status,
               strftime(make_timestamp(start_at::BIGINT * 1000000), '%Y-%m-%dT%H:%M:%S+0000') AS start_time,
               strftime(make_timestamp(end_at::BIGINT * 1000000), '%Y-%m-%dT%H:%M:%S+0000') AS stop_time,
               '{META_ACCOUNT_ID}' AS account_id
        FROM ad_campaigns WHERE platform = 'meta_ads' ORDER BY campaign_no""")
    r.write_parquet("meta_ads/insights_daily.parquet", f"""
        SELECT '{META_ACCOUNT_ID}' AS account_id, 'EUR' AS account_currency,
               platform_campaign_id AS campaign_id, name AS campaign_name,
               date AS date_start, date AS date_stop,
               printf('%.2f', cost_local) AS spend, impressions::VARCHAR AS impressions,
               clicks::VARCHAR AS clicks,
               [{{'action_type': 'link_click', 'value': clicks::VARCHAR}},
                {{'action_type': 'lead', 'value': conversions::VARCHAR}}] AS actions
        FROM ad_daily WHERE platform = 'meta_ads' ORDER BY date, campaign_no""")


def _linkedin(r: Renderer) -> None:
    r.write_parquet("linkedin_ads/campaign_groups.parquet", f"""
        SELECT DISTINCT linkedin_group_id::BIGINT AS id,
               'FY' || strftime(make_timestamp(start_at::BIGINT * 1000000), '%Y') || ' Q'
                   || (1 + (first_month // 3 + 3) % 4)::VARCHAR || ' Programs' AS name,
               CASE WHEN end_at >= {P.T_END} THEN 'ACTIVE' ELSE 'ARCHIVED' END AS status,
               '{LINKEDIN_ACCOUNT_URN}' AS account
        FROM ad_campaigns WHERE platform = 'linkedin_ads' ORDER BY id""")
    r.write_parquet("linkedin_ads/campaigns.parquet", f"""
        SELECT platform_campaign_id::BIGINT AS id, name,
               'urn:li:sponsoredCampaignGroup:' || linkedin_group_id AS campaign_group,
               CASE WHEN end_at >= {P.T_END} THEN 'ACTIVE' ELSE 'COMPLETED' END AS status,
               'SPONSORED_UPDATES' AS type, 'CPC' AS cost_type,
               start_at::BIGINT * 1000 AS run_schedule__start, end_at::BIGINT * 1000 AS run_schedule__end,
               'USD' AS daily_budget__currency_code, '{LINKEDIN_ACCOUNT_URN}' AS account
        FROM ad_campaigns WHERE platform = 'linkedin_ads' ORDER BY campaign_no""")
    r.write_parquet("linkedin_ads/ad_analytics_daily.parquet", """
        SELECT year(date::DATE) AS date_range__start__year, month(date::DATE) AS date_range__start__month,
               day(date::DATE) AS date_range__start__day, year(date::DATE) AS date_range__end__year,
               month(date::DATE) AS date_range__end__month, day(date::DATE) AS date_range__end__day,
               ['urn:li:sponsoredCampaign:' || platform_campaign_id] AS pivot_values,
               printf('%.2f', cost_local) AS cost_in_local_currency, printf('%.2f', cost_usd) AS cost_in_usd,
               impressions, clicks, conversions AS one_click_leads
        FROM ad_daily WHERE platform = 'linkedin_ads' ORDER BY date, campaign_no""")

