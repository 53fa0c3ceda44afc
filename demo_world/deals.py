"""Deals: new business from marketing SQLs and from sales' own outbound, then expansions and
renewals for customers, and churn when a renewal is lost.

A deal's odds of being won rise with the account's fit and with the marketing touches its buying
committee had around the deal: the causal link that makes attribution analysis meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import choice, count_in_windows, rank_within, rng_for, sigmoid
from demo_world.funnel import NEVER

STAGE_IDS = [s[0] for s in P.DEAL_STAGES]
STAGE_FRACTIONS = np.asarray([s[3] for s in P.DEAL_STAGES])


@dataclass
class Deals:
    deals: pd.DataFrame  # one row per deal
    stage_history: pd.DataFrame  # deal_no, stage, t
    deal_persons: pd.DataFrame  # deal_no, person_no: the buying committee on the deal
    outbound: pd.DataFrame  # person_no, t: prospects created by sales
    person_stage_events: pd.DataFrame  # person_no, stage, t (opportunity, customer, lead, churned)
    owners: pd.DataFrame  # sales reps
    account_owner: np.ndarray  # per account, the owner (AE) row


def simulate_deals(seed: int, scale: float, persons: pd.DataFrame, accounts: pd.DataFrame,
                   t_sql: np.ndarray, touch_person: np.ndarray, touch_t: np.ndarray) -> Deals:
    rng = rng_for(seed, "deals")
    owners = _owners(scale)
    n_acc = len(accounts)
    fit = accounts["fit"].to_numpy()
    acc_of_person = persons["account_no"].to_numpy()
    aes = owners.index[owners["team"] == "Account Executive"].to_numpy()
    ams = owners.index[owners["team"] == "Account Management"].to_numpy()
    account_owner = aes[rng.integers(0, len(aes), n_acc)]

    business_touch = acc_of_person[touch_person] >= 0
    touch_acc, touch_time = acc_of_person[touch_person][business_touch], touch_t[business_touch]

    # Marketing-sourced: the account's first SQL opens the deal a couple of days later.
    sql_people = np.flatnonzero((t_sql < NEVER) & (acc_of_person >= 0))
    first_sql = pd.Series(t_sql[sql_people]).groupby(acc_of_person[sql_people]).min()
    mkt_acc = first_sql.index.to_numpy()
    mkt_created = first_sql.to_numpy() + P.HOUR + rng.exponential(2 * P.DAY, len(mkt_acc)).astype(np.int64)

    # Sales-sourced: reps prospect into some accounts marketing never qualified.
    untouched = np.setdiff1d(np.arange(n_acc), mkt_acc)
    targeted = untouched[rng.random(len(untouched)) < 0.7 * sigmoid(fit[untouched])]
    t_out = rng.integers(P.T0, P.T_END - 20 * P.DAY, len(targeted))
    m_before = count_in_windows(touch_acc, touch_time, targeted, t_out - 180 * P.DAY, t_out)
    qualifies = rng.random(len(targeted)) < sigmoid(-0.8 + 0.9 * fit[targeted] + 0.3 * np.log1p(m_before))
    out_created = t_out + rng.integers(10, 45, len(targeted)) * P.DAY
    ok = qualifies & (out_created < P.T_END)
    ranks = persons["committee_rank"].to_numpy()
    prospect = np.isin(acc_of_person, targeted) & (ranks < 2)
    t_out_of_acc = pd.Series(t_out, index=targeted)
    outbound = pd.DataFrame({
        "person_no": np.flatnonzero(prospect),
        "t": t_out_of_acc.reindex(acc_of_person[prospect]).to_numpy() + ranks[prospect] * P.HOUR,
    })

    new_business = pd.DataFrame({
        "account_no": np.r_[mkt_acc, targeted[ok]],
        "created_at": np.r_[mkt_created, out_created[ok]],
        "source": np.r_[np.full(len(mkt_acc), "marketing"), np.full(ok.sum(), "sales")],
    })
    new_business = new_business[new_business["created_at"] < P.T_END]
    new_business = new_business.assign(deal_type="newbusiness", parent_deal_no=-1)

    deal_persons = _buying_committees(rng, persons, new_business, t_sql, outbound)

    # Close new business, then each generation of renewals and expansions.
    batches = []
    batch = _close(rng, new_business, accounts, touch_acc, touch_time, lookback_days=90)
    next_no = 0
    while len(batch):
        batch["deal_no"] = np.arange(next_no, next_no + len(batch))
        next_no += len(batch)
        batches.append(batch)
        batch = _follow_ons(rng, batch, accounts, touch_acc, touch_time)
    deals = pd.concat(batches, ignore_index=True)
    deals["owner_no"] = np.where(deals["deal_type"] == "newbusiness", account_owner[deals["account_no"]],
                                 ams[deals["account_no"].to_numpy() % len(ams)])
    deals = deals.sort_values(["created_at", "deal_no"], kind="stable").reset_index(drop=True)

    # Follow-on deals carry the committee of the deal that started the relationship.
    root = _root_deal(deals)
    nb_persons = deal_persons.merge(
        deals.loc[deals["deal_type"] == "newbusiness", ["account_no", "deal_no"]], on="account_no")
    all_persons = deals[["deal_no"]].assign(root=root).merge(
        nb_persons[["deal_no", "person_no"]].rename(columns={"deal_no": "root"}), on="root")[["deal_no", "person_no"]]

    return Deals(
        deals=deals,
        stage_history=_stage_history(deals),
        deal_persons=all_persons,
        outbound=outbound,
        person_stage_events=_person_stages(rng, deals, all_persons, outbound),
        owners=owners,
        account_owner=account_owner,
    )


def _owners(scale: float) -> pd.DataFrame:
    k = np.sqrt(max(scale, 0.01))
    teams = [("Sales Development", max(3, round(10 * k))), ("Account Executive", max(4, round(20 * k))),
             ("Account Management", max(2, round(6 * k)))]
    rows = []
    for team, count in teams:
        rows += [{"team": team} for _ in range(count)]
    return pd.DataFrame(rows)


def _buying_committees(rng, persons, new_business, t_sql, outbound) -> pd.DataFrame:
    """The SQL persons (or outbound prospects) on each deal plus 0-3 colleagues sales adds."""
    acc_of_person = persons["account_no"].to_numpy()
    created = pd.Series(new_business["created_at"].to_numpy(), index=new_business["account_no"].to_numpy())
    on_deal_acc = np.isin(acc_of_person, created.index.to_numpy())
    people = np.flatnonzero(on_deal_acc)
    acc = acc_of_person[people]
    t_created = created.reindex(acc).to_numpy()
    qualified = t_sql[people] <= t_created
    prospects = np.isin(people, outbound["person_no"].to_numpy())
    core = qualified | prospects
    extra_wanted = pd.Series(choice(rng, [0.2, 0.35, 0.3, 0.15], len(created)), index=created.index)
    order = pd.DataFrame({"acc": acc, "u": rng.random(len(people)), "core": core})
    order = order.sort_values(["acc", "core", "u"], ascending=[True, False, True], kind="stable")
    rank_extra = rank_within(order["acc"].to_numpy()) - order.groupby("acc")["core"].transform("sum").to_numpy()
    chosen = order["core"].to_numpy() | (rank_extra < extra_wanted.reindex(order["acc"]).to_numpy())
    picked = people[order.index.to_numpy()[chosen]]
    return pd.DataFrame({"account_no": acc_of_person[picked], "person_no": picked})


def _close(rng, batch: pd.DataFrame, accounts, touch_acc, touch_time, lookback_days: int) -> pd.DataFrame:
    """Cycle length, outcome, amount and stage reached for a batch of new deals."""
    b = batch.reset_index(drop=True).copy()
    n = len(b)
    acc = b["account_no"].to_numpy()
    band = accounts["size_band"].to_numpy()[acc]
    fit = accounts["fit"].to_numpy()[acc]
    kind = b["deal_type"].to_numpy()
    cycle_days = np.asarray(P.SIZE_CYCLE_DAYS)[band] * rng.lognormal(0.0, 0.5, n)
    cycle_days = np.where(kind == "newbusiness", cycle_days, np.where(kind == "renewal", 60, cycle_days * 0.5))
    created = b["created_at"].to_numpy()
    close_at = created + (np.maximum(cycle_days, 3) * P.DAY).astype(np.int64)
    if "close_at" in b:  # renewals close on the contract end date
        close_at = np.where(b["close_at"].to_numpy() > 0, b["close_at"].to_numpy(), close_at)
    influence = count_in_windows(touch_acc, touch_time, acc, created - lookback_days * P.DAY, close_at)
    logit = np.select(
        [kind == "newbusiness", kind == "expansion"],
        [-2.0 + 0.7 * fit + 0.45 * np.log1p(influence) + np.where(b["source"] == "marketing", 0.2, 0.0),
         0.0 + 0.4 * fit + 0.3 * np.log1p(influence)],
        default=1.5 + 0.4 * fit + 0.3 * np.log1p(influence),
    )
    won = rng.random(n) < sigmoid(logit)
    closed = close_at < P.T_END

    usd = np.where(kind == "newbusiness",
                   np.asarray(P.SIZE_DEAL_USD)[band] * rng.lognormal(0.0, 0.45, n),
                   b.get("parent_usd", pd.Series(np.zeros(n))).to_numpy()
                   * np.where(kind == "renewal", 1 + rng.normal(0.03, 0.05, n), rng.uniform(0.2, 0.5, n)))
    currency = accounts["currency"].to_numpy()[acc]
    rate = pd.Series(currency).map(P.USD_TO).to_numpy()
    step = pd.Series(currency).map(P.CURRENCY_ROUNDING).to_numpy()
    amount = np.maximum(np.round(usd * rate / step), 1) * step

    # Lost deals stop at a random stage; open deals are where the calendar has reached.
    first_stage = np.where(kind == "newbusiness", 0, 1)
    last_stage = np.where(won, len(STAGE_IDS) - 1, rng.integers(first_stage, len(STAGE_IDS)))
    b["cycle_days"] = cycle_days
    b["close_at"] = close_at
    b["is_closed"] = closed
    b["is_won"] = closed & won
    b["closed_at"] = np.where(closed, close_at, -1)
    b["lost_reason"] = np.where(closed & ~won, np.where(
        kind == "renewal", "churned", np.asarray(P.LOST_REASONS)[choice(rng, P.LOST_REASON_WEIGHTS, n)]), None)
    b["amount_usd"] = usd
    b["currency"] = currency
    b["amount"] = amount
    b["amount_missing"] = ~closed & (rng.random(n) < 0.3)
    b["first_stage"] = first_stage
    b["last_stage"] = last_stage
    b["skips_presentation"] = (kind == "newbusiness") & (rng.random(n) < 0.2)
    b["influence"] = influence
    return b


def _follow_ons(rng, batch, accounts, touch_acc, touch_time) -> pd.DataFrame:
    """Renewals (a year after a win) and expansions (during the contract) of won deals."""
    won = batch[batch["is_won"]]
    renew_at = won["closed_at"].to_numpy() + 365 * P.DAY
    renewals = pd.DataFrame({
        "account_no": won["account_no"].to_numpy(), "created_at": renew_at - 60 * P.DAY,
        "close_at": renew_at, "source": "sales", "deal_type": "renewal",
        "parent_deal_no": won["deal_no"].to_numpy(), "parent_usd": won["amount_usd"].to_numpy(),
    })
    expanding = won[(won["deal_type"] != "expansion") & (rng.random(len(won)) < 0.4)]
    expansions = pd.DataFrame({
        "account_no": expanding["account_no"].to_numpy(),
        "created_at": expanding["closed_at"].to_numpy() + rng.integers(60, 300, len(expanding)) * P.DAY,
        "close_at": -1, "source": "sales", "deal_type": "expansion",
        "parent_deal_no": expanding["deal_no"].to_numpy(), "parent_usd": expanding["amount_usd"].to_numpy(),
    })
    nxt = pd.concat([renewals, expansions], ignore_index=True)
    nxt = nxt[nxt["created_at"] < P.T_END]
    if nxt.empty:
        return nxt
    return _close(rng, nxt, accounts, touch_acc, touch_time, lookback_days=180)


def _root_deal(deals: pd.DataFrame) -> np.ndarray:
    parent = pd.Series(deals["parent_deal_no"].to_numpy(), index=deals["deal_no"].to_numpy())
    root = deals["deal_no"].to_numpy().copy()
    cur = parent.reindex(root).to_numpy()
    while (cur >= 0).any():
        root = np.where(cur >= 0, cur, root)
        cur = np.where(cur >= 0, parent.reindex(cur).fillna(-1).to_numpy().astype(np.int64), -1)
    return root


def _stage_history(deals: pd.DataFrame) -> pd.DataFrame:
    n_st = len(STAGE_IDS)
    d = deals.loc[deals.index.repeat(n_st)].reset_index(drop=True)
    k = np.tile(np.arange(n_st), len(deals))
    span = d["close_at"].to_numpy() - d["created_at"].to_numpy()
    first = d["first_stage"].to_numpy()
    frac = (STAGE_FRACTIONS[k] - STAGE_FRACTIONS[first]) / (1 - STAGE_FRACTIONS[first])
    t = d["created_at"].to_numpy() + (frac * span).astype(np.int64)
    keep = (k >= first) & (k <= d["last_stage"].to_numpy()) & (t < P.T_END)
    keep &= ~(d["skips_presentation"].to_numpy() & (k == 2))
    hist = pd.DataFrame({"deal_no": d["deal_no"].to_numpy()[keep], "stage": np.asarray(STAGE_IDS)[k[keep]],
                         "t": t[keep]})
    closed = deals[deals["is_closed"]]
    final = pd.DataFrame({"deal_no": closed["deal_no"].to_numpy(),
                          "stage": np.where(closed["is_won"], "closedwon", "closedlost"),
                          "t": closed["closed_at"].to_numpy()})
    out = pd.concat([hist, final], ignore_index=True)
    return out.sort_values(["deal_no", "t"], kind="stable").reset_index(drop=True)


def _person_stages(rng, deals, deal_persons, outbound) -> pd.DataFrame:
    """Stages that deals move people through: opportunity, customer, back to lead, churned."""
    dp = deal_persons.merge(deals, on="deal_no")
    nb = dp[dp["deal_type"] == "newbusiness"]
    won = nb[nb["is_won"]]
    lost = nb[nb["is_closed"] & ~nb["is_won"]]
    recycled = lost[rng.random(len(lost)) < 0.5]
    churn = dp[(dp["deal_type"] == "renewal") & dp["is_closed"] & ~dp["is_won"]]
    prospected = nb[(nb["source"] == "sales") & nb["person_no"].isin(outbound["person_no"])]
    parts = [
        ("lead", outbound["person_no"].to_numpy(), outbound["t"].to_numpy()),
        ("sql", prospected["person_no"].to_numpy(), prospected["created_at"].to_numpy() - P.HOUR),
        ("opportunity", nb["person_no"].to_numpy(), nb["created_at"].to_numpy()),
        ("customer", won["person_no"].to_numpy(), won["closed_at"].to_numpy()),
        ("lead", recycled["person_no"].to_numpy(), recycled["closed_at"].to_numpy() + 60),
        ("churned", churn["person_no"].to_numpy(), churn["closed_at"].to_numpy()),
    ]
    out = pd.concat([pd.DataFrame({"person_no": p, "stage": s, "t": t}) for s, p, t in parts], ignore_index=True)
    return out[out["t"] < P.T_END]
