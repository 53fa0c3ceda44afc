"""Marketing journeys: each person's visits by channel, the devices they use, the forms they fill.

Every person arrives once (the first touch) and comes back a number of times that grows with
their engagement. A visit on a campaign channel carries that campaign's UTM tags; paid visits
carry the ad platform's click id. Filling a form is what turns an anonymous visitor into a known
person; the address they type is messy (see `messy_emails`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_world import params as P
from demo_world.arrays import choice, month_index, rank_within, rng_for
from demo_world.campaigns import GROUP_INDEX, Catalog
from demo_world.messy_emails import junk_or_shared, typed_variants
from demo_world.population import Population

KIOSK_SHARE = 0.3  # event registrations typed on the booth's shared tablet


@dataclass
class Journeys:
    touches: pd.DataFrame  # one row per visit (web session) on a non-email channel
    n_devices: int  # devices numbered 0..n_devices-1; kiosks are the last ones
    kiosk_devices: np.ndarray  # device numbers of shared booth tablets
    arrival: np.ndarray  # per person, first touch time
    first_device: np.ndarray  # per person, the device number of their first visit


def simulate_journeys(seed: int, pop: Population, catalog: Catalog) -> Journeys:
    rng = rng_for(seed, "journeys")
    persons = pop.persons
    n = len(persons)
    is_business = persons["is_business"].to_numpy()

    # Arrivals grow over the window (density rising linearly by 60% from start to end).
    g = 0.6
    u = rng.random(n)
    x = (-1 + np.sqrt(1 + 2 * g * (1 + g / 2) * u)) / g
    arrival = (P.T0 + x * (P.T_END - P.T0)).astype(np.int64)

    engagement = persons["engagement"].to_numpy()
    n_touch = np.minimum(1 + rng.poisson(1.3 * engagement), 40)
    person = np.repeat(np.arange(n), n_touch)
    k = rank_within(person)
    gaps = rng.exponential(12 * P.DAY, len(person)).astype(np.int64)
    gaps[k == 0] = 0
    cs = np.cumsum(gaps)
    t = arrival[person] + cs - cs[np.repeat(np.r_[0, np.cumsum(n_touch)[:-1]], n_touch)]

    first_business = choice(rng, [c.first_touch_business for c in P.CHANNELS], len(person))
    first_personal = choice(rng, [c.first_touch_personal for c in P.CHANNELS], len(person))
    returning = choice(rng, [c.return_share for c in P.CHANNELS], len(person))
    channel = np.where(k == 0, np.where(is_business[person], first_business, first_personal), returning)

    keep = t < P.T_END
    person, k, t, channel = person[keep], k[keep], t[keep], channel[keep]
    m = len(person)

    # Devices: 1-3 per person; the first visit is on the first device.
    n_dev = 1 + choice(rng, [0.6, 0.3, 0.1], n)
    dev_offset = np.r_[0, np.cumsum(n_dev)[:-1]]
    dev_pick = np.where(k == 0, 0, np.floor(rng.random(m) * n_dev[person]).astype(int))
    device = dev_offset[person] + dev_pick

    # Campaigns and ad platforms.
    platform = np.full(m, None, dtype=object)
    names = np.asarray(P.CHANNEL_NAMES)[channel]
    platform[names == "paid_search"] = "google_ads"
    retarg = names == "retargeting"
    platform[retarg] = np.where(rng.random(retarg.sum()) < 0.5, "google_ads", "meta_ads")
    social = names == "paid_social"
    linked = is_business[person[social]] & (rng.random(social.sum()) < 0.45)
    platform[social] = np.where(linked, "linkedin_ads", "meta_ads")
    group = np.full(m, -1)
    for (ch, plat), gi in GROUP_INDEX.items():
        group[(names == ch) & (platform == plat if plat else True)] = gi
    month = month_index(t)
    campaign = np.full(m, -1)
    has_group = group >= 0
    campaign[has_group] = catalog.assign(rng, group[has_group], month[has_group])

    # Forms: the chance depends on the channel (a webinar visit is a registration), less for
    # personal-email visitors.
    form_rate = np.asarray([c.form_rate for c in P.CHANNELS])[channel]
    form_rate = form_rate * np.where(is_business[person], 1.0, 0.7)
    is_form = rng.random(m) < form_rate
    form_type = np.full(m, None, dtype=object)
    for ch_i, ch in enumerate(P.CHANNEL_NAMES):
        sel = is_form & (channel == ch_i)
        mix = P.FORM_MIX_BY_CHANNEL.get(ch, P.FORM_MIX_DEFAULT)
        form_type[sel] = np.asarray(P.FORM_TYPES)[choice(rng, mix, sel.sum())]

    # Booth tablets: one shared device per event campaign.
    event_campaigns = catalog.campaigns.loc[catalog.campaigns["channel"] == "events", "campaign_no"].to_numpy()
    n_person_devices = int(n_dev.sum())
    kiosk_devices = n_person_devices + np.arange(len(event_campaigns))
    kiosk = (names == "events") & is_form & (rng.random(m) < KIOSK_SHARE) & (campaign >= 0)
    kiosk_of_campaign = dict(zip(event_campaigns, kiosk_devices, strict=True))
    device[kiosk] = pd.Series(campaign[kiosk]).map(kiosk_of_campaign).to_numpy()

    # The address typed into each form.
    form_email = np.full(m, None, dtype=object)
    fi = np.flatnonzero(is_form)
    base = persons["form_email"].to_numpy()[person[fi]]
    typed = typed_variants(rng, pd.Series(base), pd.Series(form_type[fi]).str.split("_").str[0])
    acc_no = persons["account_no"].to_numpy()[person[fi]]
    domains = pd.Series(pop.accounts["domain"].to_numpy()[np.maximum(acc_no, 0)])
    swapped, replacement = junk_or_shared(rng, len(fi), domains, acc_no >= 0)
    form_email[fi] = np.where(swapped, replacement, typed)

    touches = pd.DataFrame({
        "person_no": person,
        "visit_no": k,
        "t": t,
        "channel": channel,
        "platform": platform,
        "campaign_no": campaign,
        "device_no": device,
        "is_form": is_form,
        "form_type": form_type,
        "form_email": form_email,
        "email_is_junk_or_shared": np.isin(np.arange(m), fi[swapped]),
    })
    touches.insert(0, "touch_no", np.arange(m))
    return Journeys(
        touches=touches,
        n_devices=n_person_devices + len(event_campaigns),
        kiosk_devices=kiosk_devices,
        arrival=arrival,
        first_device=dev_offset,
    )
