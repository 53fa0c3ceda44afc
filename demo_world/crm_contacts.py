"""CRM contacts: created by form fills (keyed as the CRM keys them) and by sales reps.

A CRM recognizes a returning address only when it matches after trimming and case-folding, so a
plus tag or a dot-less Gmail address creates a second contact for the same person. Throwaway and
shared inboxes become one contact that stands for several people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_world.messy_emails import normalize_like_crm


def contacts_from_forms(forms: pd.DataFrame) -> pd.DataFrame:
    """One contact per distinct CRM key among form fills, created by the first fill."""
    f = forms.assign(key=normalize_like_crm(forms["form_email"]))
    f = f.sort_values(["t", "touch_no"], kind="stable")
    first = f.drop_duplicates("key", keep="first")
    persons_per_key = f.groupby("key")["person_no"].nunique()
    return pd.DataFrame({
        "key": first["key"].to_numpy(),
        "email": first["key"].to_numpy(),
        "created_at": first["t"].to_numpy() + 5,
        "person_no": first["person_no"].to_numpy(),
        "origin": "form",
        "form_type": first["form_type"].to_numpy(),
        "channel": first["channel"].to_numpy(),
        "campaign_no": first["campaign_no"].to_numpy(),
        "shared": (persons_per_key.reindex(first["key"]).to_numpy() > 1),
    })


def add_sales_contacts(contacts: pd.DataFrame, persons: pd.DataFrame, person_no: np.ndarray,
                       created_at: np.ndarray, origin: str) -> pd.DataFrame:
    """Contacts that reps type in (outbound prospects, buying-committee members on a deal).

    Reps type the work address when there is one. An address the CRM already holds is not added
    again: the existing contact is reused.
    """
    work = persons["work_email"].to_numpy()[person_no]
    email = np.where(pd.isna(work), persons["personal_email"].to_numpy()[person_no], work)
    new = pd.DataFrame({
        "key": normalize_like_crm(pd.Series(email)).to_numpy(),
        "email": email,
        "created_at": created_at,
        "person_no": person_no,
        "origin": origin,
        "form_type": None,
        "channel": -1,
        "campaign_no": -1,
        "shared": False,
    }).sort_values("created_at", kind="stable").drop_duplicates("key")
    new = new[~new["key"].isin(contacts["key"])]
    return pd.concat([contacts, new], ignore_index=True)

