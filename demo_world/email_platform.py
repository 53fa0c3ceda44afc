"""The email platform: its audience, the newsletter and the nurture sequence, and what recipients do.

Members join by signing up for the newsletter (the address as typed) or are synced from the CRM
when a lead opts in. Every member gets the monthly newsletter and a five-step nurture sequence
after joining; they open, click, bounce and unsubscribe, and a hard bounce or an unsubscribe ends
their sends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import month_starts, rank_within, rng_for, sigmoid
from demo_world.messy_emails import normalize_like_crm

NURTURE_DAYS = [0, 3, 7, 14, 21]
NURTURE_SUBJECTS = ["Welcome - how teams align on one funnel", "3 metrics both sales and marketing trust",
                    "Case study: one pipeline number", "Attribution without the arguments",
                    "Ready to see your own funnel?"]


@dataclass
class EmailPlatform:
    members: pd.DataFrame  # one row per audience member
    campaigns: pd.DataFrame  # newsletters then nurture steps
    activity: pd.DataFrame  # one row per sent / open / click / bounce / unsubscribe


def newsletter_send_times() -> np.ndarray:
    """First and third Tuesday of every month, 15:00 UTC."""
    starts = month_starts()[:-1]
    weekday = (starts // P.DAY + 3) % 7  # 1970-01-01 was a Thursday (3 with Monday = 0)
    first = starts + ((1 - weekday) % 7) * P.DAY + 15 * P.HOUR
    return np.sort(np.r_[first, first + 14 * P.DAY])


def build_email_platform(seed: int, persons: pd.DataFrame, forms: pd.DataFrame,
                         contacts: pd.DataFrame) -> EmailPlatform:
    rng = rng_for(seed, "email_platform")

    signups = forms[forms["form_type"] == "newsletter"]
    signup_members = pd.DataFrame({
        "email": signups["form_email"].str.strip().to_numpy(),
        "joined_at": signups["t"].to_numpy() + 30,
        "person_no": signups["person_no"].to_numpy(),
        "source": "Hosted Signup Form",
    })
    synced = contacts[(contacts["origin"] == "form") & (contacts["form_type"] != "newsletter")]
    synced = synced[rng.random(len(synced)) < 0.8]
    synced_members = pd.DataFrame({
        "email": synced["email"].to_numpy(),
        "joined_at": synced["created_at"].to_numpy() + P.HOUR,
        "person_no": synced["person_no"].to_numpy(),
        "source": "API - Integration",
    })
    candidates = pd.concat([signup_members, synced_members], ignore_index=True)
    candidates = candidates[candidates["joined_at"] < P.T_END]
    candidates["key"] = normalize_like_crm(candidates["email"])
    candidates = candidates.sort_values(["joined_at", "person_no"], kind="stable")
    persons_per_key = candidates.groupby("key")["person_no"].nunique()
    members = candidates.drop_duplicates("key").reset_index(drop=True)
    members["shared"] = persons_per_key.reindex(members["key"]).to_numpy() > 1
    members.insert(0, "member_no", np.arange(len(members)))

    campaigns = _campaigns()
    sends = _potential_sends(members, campaigns)
    activity, status = _recipient_behaviour(rng, sends, members, persons)
    members["status"] = status
    return EmailPlatform(members=members, campaigns=campaigns, activity=activity)


def _campaigns() -> pd.DataFrame:
    send_times = newsletter_send_times()
    labels = [str(np.datetime64(int(t), "s").astype("datetime64[D]")) for t in send_times]
    newsletters = pd.DataFrame({
        "kind": "newsletter",
        "title": [f"Newsletter {lab}" for lab in labels],
        "subject": [f"The Revenue Brief - {lab}" for lab in labels],
        "utm_campaign": [f"newsletter-{lab}" for lab in labels],
        "send_time": send_times,
        "step": -1,
    })
    nurture = pd.DataFrame({
        "kind": "nurture",
        "title": [f"Nurture step {i + 1}" for i in range(len(NURTURE_DAYS))],
        "subject": NURTURE_SUBJECTS,
        "utm_campaign": [f"nurture-step-{i + 1}" for i in range(len(NURTURE_DAYS))],
        "send_time": -1,  # automation: sent per member
        "step": np.arange(len(NURTURE_DAYS)),
    })
    out = pd.concat([newsletters, nurture], ignore_index=True)
    out.insert(0, "email_campaign_no", np.arange(len(out)))
    return out


def _potential_sends(members: pd.DataFrame, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Every send a member would get if they never left, sorted by member and time."""
    news = campaigns[campaigns["kind"] == "newsletter"]
    news_times = news["send_time"].to_numpy()
    joined = members["joined_at"].to_numpy()
    first_news = np.searchsorted(news_times, joined, "right")
    n_news = len(news_times) - first_news
    m_news = np.repeat(members["member_no"].to_numpy(), n_news)
    idx = np.repeat(first_news, n_news) + rank_within(m_news)
    newsletter_sends = pd.DataFrame({
        "member_no": m_news, "email_campaign_no": news["email_campaign_no"].to_numpy()[idx],
        "t": news_times[idx],
    })
    nurture = campaigns[campaigns["kind"] == "nurture"]
    k = len(nurture)
    m_nur = np.repeat(members["member_no"].to_numpy(), k)
    step = np.tile(np.arange(k), len(members))
    nurture_sends = pd.DataFrame({
        "member_no": m_nur, "email_campaign_no": nurture["email_campaign_no"].to_numpy()[step],
        "t": np.repeat(joined, k) + np.asarray(NURTURE_DAYS)[step] * P.DAY + 2 * P.HOUR,
    })
    sends = pd.concat([newsletter_sends, nurture_sends], ignore_index=True)
    sends = sends[sends["t"] < P.T_END]
    return sends.sort_values(["member_no", "t", "email_campaign_no"], kind="stable").reset_index(drop=True)


def _recipient_behaviour(rng, sends: pd.DataFrame, members: pd.DataFrame, persons: pd.DataFrame):
    n = len(sends)
    member = sends["member_no"].to_numpy()
    person = members["person_no"].to_numpy()[member]
    eng = persons["engagement"].to_numpy()[person]
    junk = members["shared"].to_numpy()[member]

    bounce = rng.random(n) < np.where(junk, 0.6, 0.012)
    hard = bounce & (rng.random(n) < 0.6)
    opened = ~bounce & (rng.random(n) < sigmoid(-1.1 + 0.5 * np.log(eng)))
    clicked = opened & (rng.random(n) < np.clip(0.16 * (1 + 0.4 * np.log(eng)), 0.02, 0.6))
    unsub = opened & ~clicked & (rng.random(n) < 0.02)

    # A hard bounce or an unsubscribe is the member's last send.
    stop = (hard | unsub).astype(np.int64)
    cs = np.cumsum(stop)
    starts = np.r_[0, np.flatnonzero(member[1:] != member[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    before = cs - stop - np.repeat(cs[starts] - stop[starts], lengths)
    alive = before == 0

    t = sends["t"].to_numpy()
    open_t = t + rng.lognormal(np.log(3 * P.HOUR), 1.2, n).astype(np.int64)
    click_t = open_t + rng.exponential(120, n).astype(np.int64) + 5
    bounce_t = t + rng.integers(5, 600, n)
    unsub_t = open_t + rng.integers(10, 300, n)

    def rows(mask, action, when, bounce_type=None):
        sel = alive & mask & (when < P.T_END)
        return pd.DataFrame({
            "member_no": member[sel], "email_campaign_no": sends["email_campaign_no"].to_numpy()[sel],
            "action": action, "t": when[sel],
            "bounce_type": None if bounce_type is None else bounce_type[sel],
            "person_no": person[sel], "send_no": np.flatnonzero(sel),
        })

    activity = pd.concat([
        rows(np.ones(n, bool), "sent", t),
        rows(opened, "open", open_t),
        rows(clicked, "click", click_t),
        rows(bounce, "bounce", bounce_t, np.where(hard, "hard", "soft")),
        rows(unsub, "unsubscribe", unsub_t),
    ], ignore_index=True).sort_values(["t", "member_no", "action"], kind="stable").reset_index(drop=True)

    left = pd.DataFrame({"member_no": member, "hard": alive & hard, "unsub": alive & unsub})
    left = left.groupby("member_no")[["hard", "unsub"]].any().reindex(members["member_no"], fill_value=False)
    status = np.where(left["unsub"], "unsubscribed", np.where(left["hard"], "cleaned", "subscribed"))
    return activity, status
