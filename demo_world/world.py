"""Generate a demo world: simulate the company, then write each system's data and the truth.

Layout of a world folder:
    manifest.json            seed, scale, CRM, as-of date and row counts
    hubspot/ (or salesforce/) mailchimp/ google_ads/ meta_ads/ linkedin_ads/   one Parquet file per API object
    web/events/received_date=YYYY-MM-DD/events.ndjson          Segment-spec event export
    file_drop/<entity>/<name>.csv                              canonical files of tools without a connector
    truth/                   ground truth (never read by the pipeline)
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demo_world import params as P
from demo_world.crm_records import build_crm_records
from demo_world.render.ads import prepare_ad_tables, render_ads
from demo_world.render.base import Renderer
from demo_world.render.file_drop import render_file_drop
from demo_world.render.hubspot import render_hubspot
from demo_world.render.mailchimp import prepare_email_tables, render_mailchimp
from demo_world.render.salesforce import render_salesforce
from demo_world.render.truth import hubspot_truth, render_truth
from demo_world.render.web import render_web, sessions_frame
from demo_world.simulation import simulate

MANIFEST = "manifest.json"
CRMS = ("hubspot", "salesforce")
NON_CRM_SYSTEMS = ["mailchimp", "google_ads", "meta_ads", "linkedin_ads", "web"]
SOURCE_SYSTEMS = ["hubspot", *NON_CRM_SYSTEMS]
MAX_SCALE = 50.0


class WorldError(ValueError):
    """A request for a world that cannot be made (bad scale, unknown CRM, unsafe output folder)."""


@dataclass
class WorldSummary:
    path: Path
    seed: int
    scale: float
    row_counts: dict[str, int]


def generate_world(out_dir: str | Path, seed: int = 42, scale: float = 1.0,
                   progress: Callable[[str], None] | None = None, crm: str = "hubspot") -> WorldSummary:
    """Simulate the company and write its systems' files; `crm` picks the CRM it runs (HubSpot or
    Salesforce): both describe the same company, every other system's files are the same."""
    if crm not in CRMS:
        raise WorldError(f"crm must be one of {', '.join(CRMS)}, got {crm!r}")
    if not 0 < scale <= MAX_SCALE:
        raise WorldError(f"scale must be greater than 0 and at most {MAX_SCALE:g}, got {scale:g}")
    if seed < 0:
        raise WorldError(f"seed must be zero or positive, got {seed}")
    out = Path(out_dir)
    _prepare_folder(out)
    # Marks the folder as a world (so a rerun may replace it) before anything else is written.
    (out / MANIFEST).write_text(json.dumps({"complete": False}) + "\n")
    step = progress or (lambda _msg: None)

    sim = simulate(seed, scale, progress=lambda msg: step(f"simulating {msg}"))
    step(f"writing CRM ({crm})")
    records = build_crm_records(sim)
    r = Renderer(seed, out)
    try:
        if crm == "salesforce":
            crm_truth = render_salesforce(r, sim, records)
        else:
            crm_truth = hubspot_truth(records, render_hubspot(r, sim, records))
        step("writing email platform (mailchimp)")
        prepare_email_tables(r, sim)
        render_mailchimp(r, sim)
        step("writing ad platforms (google_ads, meta_ads, linkedin_ads)")
        prepare_ad_tables(r, sim)
        render_ads(r)
        step("writing web events")
        sessions = sessions_frame(sim)
        render_web(r, sim, sessions)
        step("writing ground truth")
        render_truth(r, sim, crm_truth)
        step("writing file drop (badge_scanner, podcast_network)")
        render_file_drop(r, sim)  # last: it appends its records to the truth
        counts = dict(sorted(r.row_counts.items()))
    finally:
        r.close()
    manifest = {
        "complete": True,
        "seed": seed,
        "scale": scale,
        "crm": crm,
        "window_start": P.WINDOW_START.isoformat(),
        "as_of": P.WINDOW_END.isoformat(),
        "source_systems": [crm, *NON_CRM_SYSTEMS],
        "row_counts": counts,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return WorldSummary(path=out, seed=seed, scale=scale, row_counts=counts)


def read_manifest(world_dir: str | Path) -> dict:
    path = Path(world_dir) / MANIFEST
    if not path.exists():
        raise WorldError(f"{world_dir} is not a demo world (no {MANIFEST}); run `generate` first")
    manifest = json.loads(path.read_text())
    if not manifest.get("complete"):
        raise WorldError(f"{world_dir} holds an unfinished demo world; generate it again")
    return manifest


def _prepare_folder(out: Path) -> None:
    """Replace an earlier world in place; never delete a folder that is not one."""
    if out.exists() and any(out.iterdir()):
        if not (out / MANIFEST).exists():
            raise WorldError(f"{out} exists and is not a demo world; choose an empty or new folder")
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
