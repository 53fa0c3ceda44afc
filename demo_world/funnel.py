"""The lead funnel of each person: subscriber, lead, MQL, sales' verdict, SQL.

Odds rise with the account's fit, with how engaged the person is after becoming a lead, and with
the quality of the channel that created the lead. Demo requests skip straight to SQL. Sales
rejects some MQLs (with a reason) and recycles part of them back to lead, where some qualify again.
Opportunity, customer and churn come from deals (see `deals`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import choice, count_in_windows, rng_for, sigmoid
from demo_world.messy_emails import normalize_like_crm

NEVER = np.iinfo(np.int64).max


@dataclass
class Funnel:
    stage_events: pd.DataFrame  # person_no, stage, t (canonical stage names)
    dispositions: pd.DataFrame  # one row per MQL handed to sales
    t_sql: np.ndarray  # per person, SQL time or NEVER
    lead_channel: np.ndarray  # per person, channel index of the lead-creating touch or -1


def simulate_funnel(seed: int, persons: pd.DataFrame, accounts: pd.DataFrame, forms: pd.DataFrame,
                    contacts: pd.DataFrame, touch_person: np.ndarray, touch_t: np.ndarray) -> Funnel:
    rng = rng_for(seed, "funnel")
    n = len(persons)
    acc = persons["account_no"].to_numpy()
    fit = np.where(acc >= 0, accounts["fit"].to_numpy()[np.maximum(acc, 0)], -1.5)
    quality = np.asarray([c.quality for c in P.CHANNELS] + [0.1])

    # Only people with a contact of their own enter the CRM funnel; a shared inbox does not count.
    shared_keys = contacts.loc[contacts["shared"], "key"]
    own = forms[~normalize_like_crm(forms["form_email"]).isin(shared_keys)]
    own = own.sort_values(["t", "touch_no"], kind="stable")
    subs = own[own["form_type"] == "newsletter"].drop_duplicates("person_no")
    leads = own[own["form_type"] != "newsletter"].drop_duplicates("person_no")
    t_sub = np.full(n, NEVER)
    t_sub[subs["person_no"].to_numpy()] = subs["t"].to_numpy() + 5
    t_lead = np.full(n, NEVER)
    lp = leads["person_no"].to_numpy()
    t_lead[lp] = leads["t"].to_numpy() + 5
    lead_type = np.full(n, None, dtype=object)
    lead_type[lp] = leads["form_type"].to_numpy()
    lead_channel = np.full(n, -1)
    lead_channel[lp] = leads["channel"].to_numpy()

    t_sub = np.where(t_sub < t_lead, t_sub, NEVER)  # subscribing after becoming a lead is no stage
    is_lead = t_lead < NEVER
    touches_after = np.zeros(n)
    touches_after[is_lead] = count_in_windows(touch_person, touch_t, np.flatnonzero(is_lead),
                                              t_lead[is_lead], t_lead[is_lead] + 30 * P.DAY)
    demo = np.isin(lead_type, ["demo_request", "contact_us"]) & (acc >= 0)
    fast_sql = is_lead & demo & (rng.random(n) < 0.5)

    events = [("subscriber", t_sub), ("lead", t_lead)]
    t_sql = np.where(fast_sql, t_lead + rng.exponential(1.5 * P.DAY, n).astype(np.int64), NEVER)

    # First MQL cycle, then one recycle for part of the rejected leads.
    p_mql = sigmoid(-1.0 + 0.9 * fit + 0.35 * touches_after + quality[lead_channel])
    mql = is_lead & ~fast_sql & (rng.random(n) < p_mql)
    t_mql = np.where(mql, t_lead + rng.exponential(10 * P.DAY, n).astype(np.int64) + P.HOUR, NEVER)
    dispositions = []
    for cycle in (1, 2):
        d, t_sal, t_recycle = _hand_to_sales(rng, t_mql, fit, quality[lead_channel], cycle)
        dispositions.append(d)
        events += [("mql", t_mql), ("sal", t_sal), ("lead", t_recycle)]
        p_sql = sigmoid(0.0 + 0.9 * fit + 0.25 * np.log1p(touches_after))
        sql = (t_sal < NEVER) & (rng.random(n) < p_sql)
        t_sql = np.minimum(t_sql, np.where(sql, t_sal + rng.exponential(12 * P.DAY, n).astype(np.int64), NEVER))
        requalify = (t_recycle < NEVER) & (rng.random(n) < 0.25)
        t_mql = np.where(requalify, t_recycle + rng.exponential(60 * P.DAY, n).astype(np.int64), NEVER)
    events.append(("sql", t_sql))

    stage_events = pd.concat([
        pd.DataFrame({"person_no": np.flatnonzero(t < P.T_END), "stage": stage, "t": t[t < P.T_END]})
        for stage, t in events
    ], ignore_index=True)
    t_sql = np.where(t_sql < P.T_END, t_sql, NEVER)
    return Funnel(stage_events=stage_events, dispositions=pd.concat(dispositions, ignore_index=True),
                  t_sql=t_sql, lead_channel=lead_channel)


def _hand_to_sales(rng, t_mql: np.ndarray, fit: np.ndarray, quality: np.ndarray, cycle: int):
    """Sales' first touch and verdict on each MQL; returns dispositions, SAL and recycle times."""
    n = len(t_mql)
    is_mql = t_mql < P.T_END
    touched = is_mql & (rng.random(n) < 0.93)
    hours = rng.lognormal(np.log(5.0), 1.4, n)
    t_touch = np.where(touched, t_mql + (hours * P.HOUR).astype(np.int64), NEVER)
    t_verdict = np.where(touched, t_touch + rng.exponential(1.0 * P.DAY, n).astype(np.int64), NEVER)
    decided = t_verdict < P.T_END
    accepted = decided & (rng.random(n) < sigmoid(0.3 + 1.3 * fit + quality))
    rejected = decided & ~accepted
    reason = np.asarray(P.REJECTION_REASONS)[choice(rng, P.REJECTION_WEIGHTS, n)]
    reason = np.where(fit < -1.0, np.where(rng.random(n) < 0.5, "bad_fit", "student_or_job_seeker"), reason)
    recycled = rejected & (rng.random(n) < 0.6)
    people = np.flatnonzero(is_mql)
    dispositions = pd.DataFrame({
        "person_no": people,
        "cycle": cycle,
        "mql_at": t_mql[people],
        "first_touch_at": np.where(t_touch[people] < P.T_END, t_touch[people], -1),
        "disposition": np.where(accepted[people], "accepted", np.where(rejected[people], "rejected", None)),
        "rejection_reason": np.where(rejected[people], reason[people], None),
        "disposition_at": np.where(decided[people], t_verdict[people], -1),
    })
    t_sal = np.where(accepted, t_verdict, NEVER)
    t_recycle = np.where(recycled, t_verdict + 60, NEVER)
    return dispositions, t_sal, t_recycle
