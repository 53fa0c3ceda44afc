"""Accounts and the persons who work there (or buy on a personal email address)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world import vocab
from demo_world.arrays import choice, rng_for


@dataclass
class Population:
    accounts: pd.DataFrame  # one row per true account, index = account number
    persons: pd.DataFrame  # one row per true person, index = person number


def build_population(seed: int, scale: float) -> Population:
    accounts = _accounts(seed, scale)
    persons = _persons(seed, scale, accounts)
    return Population(accounts=accounts, persons=persons)


def _accounts(seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "accounts")
    n = max(20, round(P.ACCOUNTS_PER_SCALE * scale))
    n_pre, n_root, n_suf = len(vocab.COMPANY_PREFIXES), len(vocab.COMPANY_ROOTS), len(vocab.COMPANY_SUFFIXES)
    space = n_pre * n_root * n_suf
    combo = rng.permutation(space)[: min(n, space)]
    if n > space:  # beyond scale ~11 names repeat with a number, as real company names do
        combo = np.resize(combo, n)
    pre = np.asarray(vocab.COMPANY_PREFIXES)[combo // (n_root * n_suf)]
    root = np.asarray(vocab.COMPANY_ROOTS)[(combo // n_suf) % n_root]
    suf = np.asarray(vocab.COMPANY_SUFFIXES)[combo % n_suf]
    names = pd.Series(pre) + " " + root + " " + suf
    repeat_no = np.arange(n) // space
    names = names.where(repeat_no == 0, names + " " + (repeat_no + 1).astype(str))

    country = choice(rng, [c[4] for c in P.COUNTRIES], n)
    tld_local = np.asarray([c[3] for c in P.COUNTRIES])[country]
    tld = np.where(rng.random(n) < 0.35, tld_local, np.where(rng.random(n) < 0.2, "io", "com"))
    label = (pd.Series(pre).str.lower() + pd.Series(root).str.lower() + pd.Series(suf).str.lower())
    label = label.where(repeat_no == 0, label + (repeat_no + 1).astype(str))
    domain = label + "." + tld

    size_band = choice(rng, P.SIZE_WEIGHTS, n)
    industry = choice(rng, [1.0] * len(P.INDUSTRIES), n)
    fit = rng.normal(0.0, 0.8, n) + np.asarray(P.SIZE_FIT)[size_band]
    # A minority of non-US companies still buy in US dollars.
    currency = np.asarray([c[2] for c in P.COUNTRIES])[country]
    currency = np.where((currency != "USD") & (rng.random(n) < 0.15), "USD", currency)
    return pd.DataFrame({
        "account_no": np.arange(n),
        "true_account_id": numbered_ids("A", n, 7),
        "name": names.to_numpy(),
        "domain": domain.to_numpy(),
        "industry": np.asarray(P.INDUSTRIES)[industry],
        "size_band": size_band,
        "employees": np.asarray(P.SIZE_BANDS)[size_band],
        "country": np.asarray([c[0] for c in P.COUNTRIES])[country],
        "region": np.asarray([c[1] for c in P.COUNTRIES])[country],
        "currency": currency,
        "fit": fit,
    })


def _persons(seed: int, scale: float, accounts: pd.DataFrame) -> pd.DataFrame:
    rng = rng_for(seed, "persons")
    n_acc = len(accounts)
    committee = np.asarray(P.COMMITTEE_SIZES)[choice(rng, P.COMMITTEE_WEIGHTS, n_acc)]
    account_no = np.repeat(np.arange(n_acc), committee)
    n_business = len(account_no)
    n_personal = max(round(0.1 * n_business), round(P.PERSONS_PER_SCALE * scale) - n_business)
    n = n_business + n_personal
    account_no = np.r_[account_no, np.full(n_personal, -1)]
    is_business = account_no >= 0
    committee_rank = np.r_[np.arange(n_business) - np.repeat(np.cumsum(committee) - committee, committee),
                           np.zeros(n_personal, dtype=int)]

    first = np.asarray(vocab.FIRST_NAMES)[rng.integers(0, len(vocab.FIRST_NAMES), n)]
    last = np.asarray(vocab.LAST_NAMES)[rng.integers(0, len(vocab.LAST_NAMES), n)]
    fn, ln = pd.Series(first).str.lower(), pd.Series(last).str.lower()

    # Work address: first.last, flast, first or first_last at the company domain.
    acc_domain = pd.Series(np.where(is_business, accounts["domain"].to_numpy()[np.maximum(account_no, 0)], ""))
    pattern = choice(rng, [0.6, 0.25, 0.05, 0.10], n)
    local = np.select(
        [pattern == 0, pattern == 1, pattern == 2],
        [fn + "." + ln, fn.str[0] + ln, fn],
        default=fn + "_" + ln,
    )
    work_email = _unique(pd.Series(local) + "@" + acc_domain)
    # Personal address: everyone has one; business persons rarely use it with us.
    p_domain = np.asarray(P.PERSONAL_DOMAINS)[choice(rng, P.PERSONAL_DOMAIN_WEIGHTS, n)]
    digits = rng.integers(1, 999, n).astype(str)
    p_pattern = rng.random(n)
    p_local = np.where(p_pattern < 0.5, fn + "." + ln,
                       np.where(p_pattern < 0.8, fn + ln + digits, fn + "." + ln + digits))
    personal_email = _unique(pd.Series(p_local) + "@" + pd.Series(p_domain))

    uses_personal = ~is_business | (rng.random(n) < 0.07)
    return pd.DataFrame({
        "person_no": np.arange(n),
        "true_person_id": numbered_ids("P", n, 8),
        "account_no": account_no,
        "is_business": is_business,
        "committee_rank": committee_rank,
        "first_name": first,
        "last_name": last,
        "job_title": np.asarray(vocab.JOB_TITLES)[rng.integers(0, len(vocab.JOB_TITLES), n)],
        "work_email": np.where(is_business, work_email, None),
        "personal_email": personal_email.to_numpy(),
        "form_email": np.where(uses_personal, personal_email, work_email),
        "engagement": rng.lognormal(0.0, 0.8, n) * np.where(is_business, 1.15, 0.8),
    })


def _unique(emails: pd.Series) -> pd.Series:
    """Make addresses unique by numbering repeats (john.smith.2@...), as mail admins do.

    Generated local parts never have a digit right after a dot, so numbered ones cannot collide.
    """
    dup_no = emails.groupby(emails, sort=False).cumcount()
    parts = emails.str.partition("@")
    numbered = parts[0] + "." + (dup_no + 1).astype(str) + "@" + parts[2]
    return emails.where(dup_no == 0, numbered)


def numbered_ids(prefix: str, n: int, width: int) -> np.ndarray:
    return (prefix + pd.Series(np.arange(n)).astype(str).str.zfill(width)).to_numpy()
