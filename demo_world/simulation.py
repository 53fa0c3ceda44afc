"""Runs the whole simulation in causal order and keeps every piece for the renderers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.ad_spend import simulate_ad_spend
from demo_world.campaigns import Catalog, build_catalog
from demo_world.crm_contacts import add_sales_contacts, contacts_from_forms
from demo_world.deals import Deals, simulate_deals
from demo_world.email_platform import EmailPlatform, build_email_platform
from demo_world.funnel import Funnel, simulate_funnel
from demo_world.journeys import Journeys, simulate_journeys
from demo_world.population import Population, build_population
from demo_world.sales_activity import simulate_sales_activity


@dataclass
class Simulation:
    seed: int
    scale: float
    population: Population
    catalog: Catalog
    journeys: Journeys
    email: EmailPlatform
    email_clicks: pd.DataFrame  # person_no, t, member_no, email_campaign_no of each click
    funnel: Funnel
    deals: Deals
    contacts: pd.DataFrame  # CRM contacts before duplicates and merges are added
    engagements: pd.DataFrame
    ad_daily: pd.DataFrame


def simulate(seed: int, scale: float, progress=None) -> Simulation:
    step = progress or (lambda _msg: None)
    step("population")
    pop = build_population(seed, scale)
    catalog = build_catalog()
    step("marketing journeys")
    journeys = simulate_journeys(seed, pop, catalog)
    touches = journeys.touches
    forms = touches[touches["is_form"]]
    contacts = contacts_from_forms(forms)

    step("email platform")
    email = build_email_platform(seed, pop.persons, forms, contacts)
    clicks = email.activity[email.activity["action"] == "click"]
    clicks = clicks[~email.members["shared"].to_numpy()[clicks["member_no"].to_numpy()]]
    email_clicks = clicks[["person_no", "t", "member_no", "email_campaign_no"]].reset_index(drop=True)

    # Everything marketing did to a person, for the odds of the funnel and of deals.
    touch_person = np.r_[touches["person_no"].to_numpy(), email_clicks["person_no"].to_numpy()]
    touch_t = np.r_[touches["t"].to_numpy(), email_clicks["t"].to_numpy()]

    step("funnel and deals")
    funnel = simulate_funnel(seed, pop.persons, pop.accounts, forms, contacts, touch_person, touch_t)
    deals = simulate_deals(seed, scale, pop.persons, pop.accounts, funnel.t_sql, touch_person, touch_t)
    contacts = add_sales_contacts(contacts, pop.persons, deals.outbound["person_no"].to_numpy(),
                                  deals.outbound["t"].to_numpy(), "sales_prospecting")
    on_deals = deals.deal_persons.merge(deals.deals[["deal_no", "created_at"]], on="deal_no")
    on_deals = on_deals.sort_values("created_at", kind="stable").drop_duplicates("person_no")
    contacts = add_sales_contacts(contacts, pop.persons, on_deals["person_no"].to_numpy(),
                                  on_deals["created_at"].to_numpy() + 600, "sales_deal")
    engagements = simulate_sales_activity(seed, funnel.dispositions, deals.outbound, deals.deals,
                                          deals.deal_persons, deals.owners, deals.account_owner, pop.persons)
    ad_daily = simulate_ad_spend(seed, catalog.campaigns, touches)
    return Simulation(seed=seed, scale=scale, population=pop, catalog=catalog, journeys=journeys,
                      email=email, email_clicks=email_clicks, funnel=funnel, deals=deals,
                      contacts=contacts.reset_index(drop=True), engagements=engagements, ad_daily=ad_daily)


def stage_events(sim: Simulation) -> pd.DataFrame:
    """All true lifecycle stage entries of every person, in time order."""
    ev = pd.concat([sim.funnel.stage_events, sim.deals.person_stage_events], ignore_index=True)
    ev = ev[ev["t"] < P.T_END]
    return ev.sort_values(["person_no", "t", "stage"], kind="stable").reset_index(drop=True)
