"""The marketing calendar: which campaigns run on which channel and platform, month by month.

A touch on a campaign channel is assigned one of the campaigns active in its month, so campaign
names, UTM tags and ad-platform ids all agree across systems.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import month_starts

# A campaign group is a (channel, platform) pair; touches choose among a group's campaigns.
GROUPS = [
    # channel,       platform,       utm_source,  utm_medium,    kind
    ("paid_search", "google_ads", "google", "cpc", "evergreen_search"),
    ("retargeting", "google_ads", "google", "display", "evergreen_retargeting"),
    ("paid_social", "meta_ads", "facebook", "paid_social", "quarterly"),
    ("retargeting", "meta_ads", "facebook", "retargeting", "evergreen_retargeting"),
    ("paid_social", "linkedin_ads", "linkedin", "paid_social", "quarterly"),
    ("webinar", None, "webinar", "webinar", "monthly"),
    ("events", None, "event", "event", "quarterly_one"),
    ("content", None, "blog", "content", "half_yearly"),
]
GROUP_INDEX = {(g[0], g[1]): i for i, g in enumerate(GROUPS)}

SEARCH_THEMES = ["Brand", "Competitors", "Generic - Revenue Analytics",
                 "Generic - Marketing Attribution", "Generic - Sales Forecasting"]
SOCIAL_THEMES = {"meta_ads": ["Lead Gen - Ebook", "Awareness - Video"],
                 "linkedin_ads": ["ABM - Enterprise", "Lead Gen - Webinar"]}
WEBINAR_TOPICS = ["forecasting", "attribution", "pipeline-hygiene", "revops-metrics",
                  "lead-scoring", "abm-playbook"]
EVENT_NAMES = ["saastr", "dreamforce", "inbound", "revops-summit", "b2b-marketing-expo",
               "web-summit", "pipeline-conf", "martech-world"]
CONTENT_OFFERS = ["ebook-state-of-revops", "guide-attribution", "template-funnel-model",
                  "report-benchmarks", "ebook-abm", "checklist-data-quality", "guide-forecasting",
                  "report-pipeline-velocity"]


@dataclass
class Catalog:
    campaigns: pd.DataFrame  # one row per campaign
    active: np.ndarray  # [group, month, slot] -> campaign row, -1 when unused
    n_active: np.ndarray  # [group, month] -> number of campaigns active

    def assign(self, rng: np.random.Generator, group: np.ndarray, month: np.ndarray) -> np.ndarray:
        """Pick one active campaign per touch; -1 where the group has none that month."""
        counts = self.n_active[group, month]
        slot = np.floor(rng.random(len(group)) * np.maximum(counts, 1)).astype(int)
        picked = self.active[group, month, slot]
        return np.where(counts > 0, picked, -1)


def build_catalog() -> Catalog:
    months = month_starts()
    labels = [str(np.datetime64(int(m), "s").astype("datetime64[M]")) for m in months[:-1]]
    rows: list[dict] = []

    def add(group: int, name: str, slug: str, first: int, last: int) -> None:
        channel, platform, source, medium, _ = GROUPS[group]
        rows.append({
            "group": group, "channel": channel, "platform": platform, "name": name,
            "utm_source": source, "utm_medium": medium, "utm_campaign": slug,
            "first_month": first, "last_month": last,
            "start_at": int(months[first]), "end_at": int(months[last + 1]),
        })

    for g, (_, platform, _, _, kind) in enumerate(GROUPS):
        if kind == "evergreen_search":
            for theme in SEARCH_THEMES:
                add(g, f"Search - {theme}", "search-" + theme.lower().replace(" - ", "-").replace(" ", "-"), 0, 23)
        elif kind == "evergreen_retargeting":
            add(g, "Retargeting - Website Visitors", f"retargeting-{platform.split('_')[0]}", 0, 23)
        elif kind == "quarterly":
            for q in range(8):
                year, qn = 2024 + (q + 3) // 4, (q + 3) % 4 + 1
                for theme in SOCIAL_THEMES[platform]:
                    slug = f"{year}q{qn}-" + theme.lower().replace(" - ", "-").replace(" ", "-")
                    add(g, f"{year} Q{qn} - {theme}", slug, 3 * q, 3 * q + 2)
        elif kind == "monthly":
            for m in range(24):
                topic = WEBINAR_TOPICS[m % len(WEBINAR_TOPICS)]
                add(g, f"Webinar {labels[m]} - {topic.replace('-', ' ').title()}",
                    f"webinar-{labels[m]}-{topic}", m, m)
        elif kind == "quarterly_one":
            for q in range(8):
                add(g, f"Event - {EVENT_NAMES[q].replace('-', ' ').title()} {labels[3 * q][:4]}",
                    f"event-{EVENT_NAMES[q]}-{labels[3 * q][:4]}", 3 * q, 3 * q + 2)
        elif kind == "half_yearly":
            for h in range(4):
                for k in range(2):
                    offer = CONTENT_OFFERS[2 * h + k]
                    add(g, f"Content - {offer.replace('-', ' ').title()}", offer, 6 * h, 6 * h + 5)

    campaigns = pd.DataFrame(rows)
    campaigns.insert(0, "campaign_no", np.arange(len(campaigns)))
    # Budgets: paid campaigns spend a baseline every day they run; evergreen search the most.
    cpc = {c.name: c.cpc_usd for c in P.CHANNELS}
    campaigns["cpc_usd"] = campaigns["channel"].map(cpc).fillna(0.0)

    n_groups, max_slots = len(GROUPS), 8
    active = np.full((n_groups, 24, max_slots), -1, dtype=np.int64)
    n_active = np.zeros((n_groups, 24), dtype=np.int64)
    for row in campaigns.itertuples():  # a few dozen campaigns: a plain loop is clearest
        for m in range(row.first_month, row.last_month + 1):
            active[row.group, m, n_active[row.group, m]] = row.campaign_no
            n_active[row.group, m] += 1
    return Catalog(campaigns=campaigns, active=active, n_active=n_active)
