"""Daily ad-platform performance: spend, impressions, clicks and conversions per campaign.

The clicks our simulated persons made are part of each day's clicks; most clicks come from people
who never engage further (the wider market), as on real ad accounts. Spend follows clicks at the
channel's cost per click, so channels differ in cost per lead and per opportunity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import rng_for

CTR = {"paid_search": 0.045, "paid_social": 0.009, "retargeting": 0.003}
MARKET_CLICK_MULTIPLIER = 1.8  # clicks from the wider market per click by a simulated person


def simulate_ad_spend(seed: int, campaigns: pd.DataFrame, touches: pd.DataFrame) -> pd.DataFrame:
    rng = rng_for(seed, "ad_spend")
    paid = campaigns[campaigns["platform"].notna()]
    # One row per campaign and day it ran.
    days_run = ((paid["end_at"] - paid["start_at"]) // P.DAY).to_numpy()
    rows = pd.DataFrame({
        "campaign_no": np.repeat(paid["campaign_no"].to_numpy(), days_run),
        "day": np.repeat(((paid["start_at"] - P.T0) // P.DAY).to_numpy(), days_run),
    })
    rows["day"] += rows.groupby("campaign_no").cumcount().to_numpy()

    clicks = touches[touches["campaign_no"].isin(paid["campaign_no"]) & touches["platform"].notna()]
    per_day = (clicks.assign(day=(clicks["t"] - P.T0) // P.DAY)
               .groupby(["campaign_no", "day"])
               .agg(person_clicks=("touch_no", "size"), forms=("is_form", "sum")))
    rows = rows.merge(per_day.reset_index(), on=["campaign_no", "day"], how="left").fillna(
        {"person_clicks": 0, "forms": 0})
    mean_daily = rows.groupby("campaign_no")["person_clicks"].transform("mean").to_numpy()
    n = len(rows)
    market = rng.poisson(np.maximum(mean_daily, 0.5) * MARKET_CLICK_MULTIPLIER)
    total_clicks = rows["person_clicks"].to_numpy().astype(np.int64) + market
    channel = campaigns.set_index("campaign_no")["channel"].reindex(rows["campaign_no"]).to_numpy()
    ctr = pd.Series(channel).map(CTR).to_numpy()
    cpc = campaigns.set_index("campaign_no")["cpc_usd"].reindex(rows["campaign_no"]).to_numpy()
    rows["clicks"] = total_clicks
    impressions = np.round(total_clicks / ctr * rng.lognormal(0.0, 0.1, n)).astype(np.int64)
    rows["impressions"] = impressions + rng.integers(0, 50, n)
    rows["cost_usd"] = total_clicks * cpc * rng.lognormal(0.0, 0.15, n)
    rows["conversions"] = rows["forms"].to_numpy().astype(np.int64) + rng.poisson(0.1 * total_clicks * 0.02)
    return rows[["campaign_no", "day", "clicks", "impressions", "cost_usd", "conversions"]]
