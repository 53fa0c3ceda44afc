"""How people actually type their email address into forms.

Most type it the same way every time; some vary the case, leave spaces, add a plus tag, drop the
dots of a Gmail address, or type a throwaway or shared address. Identity resolution has to see
through the first kinds and must not merge people over the last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_world import params as P


def typed_variants(rng: np.random.Generator, emails: pd.Series, tags: pd.Series) -> pd.Series:
    """One typed variant per address; `tags` supplies the plus-addressing tag."""
    emails = emails.reset_index(drop=True)
    n = len(emails)
    u = rng.random(n)
    parts = emails.str.partition("@")
    local, domain = parts[0], parts[2]
    gmail = domain == "gmail.com"
    capitalized = local.str[:1].str.upper() + local.str[1:] + "@" + domain.str.capitalize()
    spaced = np.where(rng.random(n) < 0.5, " " + emails + " ", emails + " ")
    plus = local + "+" + tags.reset_index(drop=True) + "@" + domain
    undotted = local.str.replace(".", "", regex=False) + "@" + domain
    shouted = emails.str.upper()
    out = np.select(
        [u < 0.05, u < 0.08, u < 0.12, (u < 0.16) & gmail, u < 0.16],
        [capitalized, spaced, plus, undotted, shouted],
        default=emails,
    )
    return pd.Series(out, dtype=object)


def junk_or_shared(rng: np.random.Generator, n: int, domains: pd.Series, is_business: np.ndarray):
    """Which typed addresses are throwaway (test@test.com) or a shared role inbox (info@acme)."""
    u = rng.random(n)
    junk = u < 0.006
    role = (~junk) & is_business & (u < 0.014)
    junk_addr = np.asarray(P.JUNK_EMAILS)[rng.integers(0, len(P.JUNK_EMAILS), n)]
    role_addr = np.asarray(P.ROLE_LOCAL_PARTS)[rng.integers(0, len(P.ROLE_LOCAL_PARTS), n)]
    role_addr = pd.Series(role_addr) + "@" + domains.reset_index(drop=True).fillna("")
    replacement = np.where(junk, junk_addr, np.where(role, role_addr, None))
    return junk | role, replacement


def normalize_like_crm(emails: pd.Series) -> pd.Series:
    """How a CRM or email platform keys an address: trimmed and case-folded, nothing more."""
    return emails.str.strip().str.lower()
