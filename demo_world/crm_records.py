"""What the CRM database ends up holding: ids, imported duplicates, merges, deletions, companies.

This is the CRM's own mess, added on top of the people and deals the simulation produced:
- reps import lists that duplicate people already present (under another address or none);
- part of the duplicates are merged (the survivor lists the merged ids), the rest stay;
- some records are deleted (archived) later;
- companies are created from contact domains or by reps, sometimes twice, and part of those
  duplicates are merged too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import rng_for
from demo_world.messy_emails import normalize_like_crm
from demo_world.simulation import Simulation

CONTACT_ID_BASE = 100_000
COMPANY_ID_BASE = 5_000_000
DEAL_ID_BASE = 9_000_000_000
ENGAGEMENT_ID_BASE = 40_000_000_000
OWNER_ID_BASE = 70_000


@dataclass
class CrmRecords:
    contacts: pd.DataFrame  # every contact ever created, with merged_into_id / archived_at
    companies: pd.DataFrame  # every company ever created, with merged_into_id
    contact_company: pd.DataFrame  # contact_id, company_id (surviving records only)
    deal_company: pd.DataFrame  # deal_no, company_id
    person_contact_id: np.ndarray  # per person: the surviving contact sales works with, or -1


def build_crm_records(sim: Simulation) -> CrmRecords:
    rng = rng_for(sim.seed, "crm_records")
    persons, accounts = sim.population.persons, sim.population.accounts
    contacts = _with_imported_duplicates(rng, sim.contacts, persons)
    contacts = contacts.sort_values(["created_at", "key"], kind="stable").reset_index(drop=True)
    contacts["contact_id"] = CONTACT_ID_BASE + np.arange(len(contacts))
    contacts = _merge_and_delete_contacts(rng, contacts)

    companies, contact_company = _companies(rng, contacts, persons, accounts)
    deal_company = _deal_companies(rng, sim.deals.deals, companies)

    # Sales works with the person's first own contact, or where it was merged to.
    own = contacts[~contacts["shared"] & (contacts["origin"] != "import")]
    first_own = own.sort_values("created_at", kind="stable").drop_duplicates("person_no")
    live_id = np.where(first_own["merged_into_id"] > 0, first_own["merged_into_id"], first_own["contact_id"])
    person_contact_id = np.full(len(persons), -1, dtype=np.int64)
    person_contact_id[first_own["person_no"].to_numpy()] = live_id
    return CrmRecords(contacts=contacts, companies=companies, contact_company=contact_company,
                      deal_company=deal_company, person_contact_id=person_contact_id)


def _with_imported_duplicates(rng, contacts: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    own = contacts[~contacts["shared"]]
    dup = own[rng.random(len(own)) < 0.03]
    person = dup["person_no"].to_numpy()
    work = persons["work_email"].to_numpy()[person]
    personal = persons["personal_email"].to_numpy()[person]
    other = np.where(dup["key"].to_numpy() == normalize_like_crm(pd.Series(work)).to_numpy(), personal,
                     np.where(pd.isna(work), personal, work))
    email = np.where(rng.random(len(dup)) < 0.4, None, other)
    imported = pd.DataFrame({
        "email": email,
        "created_at": dup["created_at"].to_numpy() + rng.integers(10, 200, len(dup)) * P.DAY,
        "person_no": person,
        "origin": "import",
        "form_type": None,
        "channel": -1,
        "campaign_no": -1,
        "shared": False,
    })
    imported["key"] = normalize_like_crm(imported["email"])
    # The CRM refuses an address it already holds; a record without address always goes in.
    imported = imported[imported["created_at"] < P.T_END]
    has_key = imported["key"].notna()
    keyed = imported[has_key & ~imported["key"].isin(contacts["key"])].drop_duplicates("key")
    imported = pd.concat([keyed, imported[~has_key].assign(key="")])
    return pd.concat([contacts, imported], ignore_index=True)


def _merge_and_delete_contacts(rng, contacts: pd.DataFrame) -> pd.DataFrame:
    own = contacts[~contacts["shared"]]
    per_person = own.groupby("person_no")["contact_id"].agg(["size", "min"])
    merged_people = per_person[(per_person["size"] > 1) & (rng.random(len(per_person)) < 0.5)]
    last_created = own.groupby("person_no")["created_at"].max()
    contacts["merged_into_id"] = -1
    contacts["merged_at"] = -1
    survivor = merged_people["min"].reindex(contacts["person_no"]).to_numpy()
    merge_at = (last_created.reindex(contacts["person_no"]).to_numpy()
                + rng.integers(1, 30, len(contacts)) * P.DAY)
    is_merged = (~contacts["shared"].to_numpy() & ~np.isnan(survivor)
                 & (contacts["contact_id"].to_numpy() != survivor) & (merge_at < P.T_END))
    contacts.loc[is_merged, "merged_into_id"] = survivor[is_merged].astype(np.int64)
    contacts.loc[is_merged, "merged_at"] = merge_at[is_merged].astype(np.int64)

    archive_at = contacts["created_at"].to_numpy() + rng.integers(1, 300, len(contacts)) * P.DAY
    archived = (~is_merged) & (rng.random(len(contacts)) < 0.012) & (archive_at < P.T_END)
    # A survivor of a merge is never the one deleted: that would orphan the merged ids.
    archived &= ~np.isin(contacts["contact_id"], contacts.loc[is_merged, "merged_into_id"])
    contacts["archived_at"] = np.where(archived, archive_at, -1)
    return contacts


def _companies(rng, contacts: pd.DataFrame, persons: pd.DataFrame, accounts: pd.DataFrame):
    """Companies come from contacts' work domains (auto-association) or from reps."""
    acc_of_person = persons["account_no"].to_numpy()
    c = contacts[contacts["merged_into_id"] < 0]
    acc = acc_of_person[c["person_no"].to_numpy()]
    domain = c["key"].str.partition("@")[2].to_numpy()
    acc_domain = accounts["domain"].to_numpy()[np.maximum(acc, 0)]
    by_domain = (acc >= 0) & (domain == acc_domain) & (rng.random(len(c)) < 0.93)
    by_rep = (acc >= 0) & c["origin"].isin(["sales_prospecting", "sales_deal", "import"]).to_numpy()
    linked = c[by_domain | by_rep].assign(account_no=acc[by_domain | by_rep])

    first = linked.groupby("account_no")["created_at"].min()
    originals = pd.DataFrame({"account_no": first.index.to_numpy(), "created_at": first.to_numpy(),
                              "is_duplicate": False})
    # Reps create a second record for some companies later, with a variant name or domain.
    dup_src = originals[rng.random(len(originals)) < 0.04]
    dups = pd.DataFrame({
        "account_no": dup_src["account_no"].to_numpy(),
        "created_at": dup_src["created_at"].to_numpy() + rng.integers(30, 400, len(dup_src)) * P.DAY,
        "is_duplicate": True,
    })
    dups = dups[dups["created_at"] < P.T_END]
    companies = pd.concat([originals, dups], ignore_index=True)
    companies = companies.sort_values(["created_at", "account_no"], kind="stable").reset_index(drop=True)
    companies["company_id"] = COMPANY_ID_BASE + np.arange(len(companies))
    orig_id = companies[~companies["is_duplicate"]].set_index("account_no")["company_id"]
    merge_at = companies["created_at"].to_numpy() + rng.integers(1, 60, len(companies)) * P.DAY
    merged = companies["is_duplicate"].to_numpy() & (rng.random(len(companies)) < 0.5) & (merge_at < P.T_END)
    companies["merged_into_id"] = np.where(merged, orig_id.reindex(companies["account_no"]).to_numpy(), -1)
    companies["merged_at"] = np.where(merged, merge_at, -1)

    # Contacts reps add after a live duplicate exists are often attached to the duplicate.
    live_dup = companies[companies["is_duplicate"] & (companies["merged_into_id"] < 0)].set_index("account_no")
    target = orig_id.reindex(linked["account_no"]).to_numpy()
    dup_id = live_dup["company_id"].reindex(linked["account_no"]).to_numpy()
    dup_created = live_dup["created_at"].reindex(linked["account_no"]).to_numpy()
    to_dup = (~np.isnan(dup_id) & (linked["origin"] != "form").to_numpy()
              & (linked["created_at"].to_numpy() > dup_created) & (rng.random(len(linked)) < 0.5))
    company_id = np.where(to_dup, dup_id, target).astype(np.int64)
    contact_company = pd.DataFrame({"contact_id": linked["contact_id"].to_numpy(), "company_id": company_id})
    return companies, contact_company


def _deal_companies(rng, deals: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    orig = companies[~companies["is_duplicate"]].set_index("account_no")
    live_dup = companies[companies["is_duplicate"] & (companies["merged_into_id"] < 0)].set_index("account_no")
    acc = deals["account_no"]
    target = orig["company_id"].reindex(acc).to_numpy()
    dup_id = live_dup["company_id"].reindex(acc).to_numpy()
    dup_created = live_dup["created_at"].reindex(acc).to_numpy()
    to_dup = ~np.isnan(dup_id) & (deals["created_at"].to_numpy() > dup_created) & (rng.random(len(deals)) < 0.5)
    company_id = np.where(to_dup, dup_id, target)
    has = ~np.isnan(company_id)
    return pd.DataFrame({"deal_no": deals["deal_no"].to_numpy()[has], "company_id": company_id[has].astype(np.int64)})
