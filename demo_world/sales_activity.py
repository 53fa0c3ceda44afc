"""Sales reps' calls, meetings and emails: the first touch on each MQL and its follow-ups,
outbound sequences, and the work on every open deal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import choice, rng_for

TYPES = np.asarray(["CALL", "EMAIL", "MEETING"])


def simulate_sales_activity(seed: int, dispositions: pd.DataFrame, outbound: pd.DataFrame,
                            deals: pd.DataFrame, deal_persons: pd.DataFrame,
                            owners: pd.DataFrame, account_owner: np.ndarray,
                            persons: pd.DataFrame) -> pd.DataFrame:
    """One row per engagement: person_no, deal_no (-1), owner_no, type, t."""
    rng = rng_for(seed, "sales_activity")
    sdrs = owners.index[owners["team"] == "Sales Development"].to_numpy()

    # MQL follow-up: the first touch is what speed-to-lead measures; a few more may follow.
    touched = dispositions[dispositions["first_touch_at"] >= 0]
    sdr = sdrs[touched["person_no"].to_numpy() % len(sdrs)]
    n_follow = rng.poisson(1.2, len(touched))
    follow_person = np.repeat(touched["person_no"].to_numpy(), n_follow)
    follow_t = np.repeat(touched["first_touch_at"].to_numpy(), n_follow) + rng.exponential(
        3 * P.DAY, n_follow.sum()).astype(np.int64) + P.HOUR
    lead_work = pd.DataFrame({
        "person_no": np.r_[touched["person_no"].to_numpy(), follow_person],
        "deal_no": -1,
        "owner_no": np.r_[sdr, np.repeat(sdr, n_follow)],
        "type": np.r_[TYPES[choice(rng, [0.55, 0.45, 0.0], len(touched))],
                      TYPES[choice(rng, [0.4, 0.5, 0.1], n_follow.sum())]],
        "t": np.r_[touched["first_touch_at"].to_numpy(), follow_t],
    })

    # Outbound sequences: a handful of emails and calls over a month.
    n_seq = rng.integers(2, 7, len(outbound))
    acc = persons["account_no"].to_numpy()[outbound["person_no"].to_numpy()]
    seq = pd.DataFrame({
        "person_no": np.repeat(outbound["person_no"].to_numpy(), n_seq),
        "deal_no": -1,
        "owner_no": np.repeat(account_owner[acc], n_seq),
        "type": TYPES[choice(rng, [0.35, 0.6, 0.05], n_seq.sum())],
        "t": np.repeat(outbound["t"].to_numpy(), n_seq) + rng.integers(0, 30 * P.DAY, n_seq.sum()),
    })

    # Deal work: roughly one engagement a week with someone on the buying committee.
    end = np.where(deals["is_closed"], deals["closed_at"], P.T_END).astype(np.int64)
    span = np.maximum(end - deals["created_at"].to_numpy(), P.HOUR)
    n_work = 1 + rng.poisson(span / (6 * P.DAY))
    deal_rows = np.repeat(np.arange(len(deals)), n_work)
    t = deals["created_at"].to_numpy()[deal_rows] + (rng.random(len(deal_rows)) * span[deal_rows]).astype(np.int64)
    committee = deal_persons.sort_values(["deal_no", "person_no"]).reset_index(drop=True)
    counts = committee.groupby("deal_no").size()
    firsts = pd.Series(np.r_[0, np.cumsum(counts.to_numpy())[:-1]], index=counts.index)
    deal_no = deals["deal_no"].to_numpy()[deal_rows]
    sizes = counts.reindex(deal_no).fillna(0).to_numpy().astype(int)
    first = firsts.reindex(deal_no).fillna(0).to_numpy().astype(int)
    has = sizes > 0
    pick = first + np.floor(rng.random(len(deal_rows)) * np.maximum(sizes, 1)).astype(int)
    deal_work = pd.DataFrame({
        "person_no": committee["person_no"].to_numpy()[pick[has]],
        "deal_no": deal_no[has],
        "owner_no": deals["owner_no"].to_numpy()[deal_rows][has],
        "type": TYPES[choice(rng, [0.3, 0.45, 0.25], int(has.sum()))],
        "t": t[has],
    })
    out = pd.concat([lead_work, seq, deal_work], ignore_index=True)
    out = out[out["t"] < P.T_END].sort_values(["t", "person_no"], kind="stable").reset_index(drop=True)
    out.insert(0, "engagement_no", np.arange(len(out)))
    return out
