import json

import duckdb
import pytest

from demo_world.world import WorldError, generate_world, read_manifest
from tests.conftest import TEST_SCALE, folder_digest


@pytest.fixture(scope="module")
def db():
    return duckdb.connect()


def test_same_seed_and_scale_give_byte_identical_files(small_world, tmp_path):
    again = generate_world(tmp_path / "again", seed=7, scale=TEST_SCALE).path
    assert folder_digest(again) == folder_digest(small_world)


def test_another_seed_gives_different_files(small_world, tmp_path):
    other = generate_world(tmp_path / "other", seed=8, scale=TEST_SCALE).path
    assert folder_digest(other) != folder_digest(small_world)
    a = (small_world / "hubspot" / "contacts.parquet").read_bytes()
    b = (other / "hubspot" / "contacts.parquet").read_bytes()
    assert a != b


def test_scale_sets_the_size(tmp_path):
    small = generate_world(tmp_path / "s", seed=1, scale=0.02)
    bigger = generate_world(tmp_path / "b", seed=1, scale=0.06)
    persons = lambda s: s.row_counts["truth/persons.parquet"]  # noqa: E731
    assert 2.5 < persons(bigger) / persons(small) < 3.5
    assert 2.0 < bigger.row_counts["hubspot/deals.parquet"] / small.row_counts["hubspot/deals.parquet"] < 4.0


def test_manifest_records_seed_scale_and_counts(small_world):
    manifest = read_manifest(small_world)
    assert manifest["seed"] == 7 and manifest["scale"] == TEST_SCALE
    assert manifest["row_counts"]["hubspot/contacts.parquet"] > 0
    assert set(manifest["source_systems"]) == {"hubspot", "mailchimp", "google_ads", "meta_ads", "linkedin_ads", "web"}


def test_every_true_person_has_a_source_record(small_world, db):
    missing = db.execute(f"""
        SELECT count(*) FROM '{small_world}/truth/persons.parquet' p
        WHERE p.true_person_id NOT IN (SELECT true_person_id FROM '{small_world}/truth/person_records.parquet')
    """).fetchall()[0][0]
    assert missing == 0


def test_person_records_exist_in_the_source_data(small_world, db):
    w = small_world
    db.execute(f"""CREATE OR REPLACE VIEW events AS SELECT * FROM read_json_auto('{w}/web/events/*/*.ndjson',
                   union_by_name = true, format = 'newline_delimited')""")
    unmatched = db.execute(f"""
        WITH hubspot_ids AS (
            SELECT id FROM '{w}/hubspot/contacts.parquet'
            UNION ALL
            SELECT unnest(string_split(properties__hs_merged_object_ids, ';'))
            FROM '{w}/hubspot/contacts.parquet' WHERE properties__hs_merged_object_ids IS NOT NULL
        ),
        web_ids AS (
            SELECT anonymousId::VARCHAR AS id FROM events UNION SELECT userId FROM events WHERE userId IS NOT NULL
            UNION SELECT messageId FROM events WHERE type = 'track'
        )
        SELECT r.source_system, count(*) FROM '{w}/truth/person_records.parquet' r
        WHERE (r.source_system = 'hubspot' AND r.source_record_id NOT IN (SELECT id FROM hubspot_ids))
           OR (r.source_system = 'mailchimp' AND r.source_record_id NOT IN
                 (SELECT id FROM '{w}/mailchimp/members.parquet'))
           OR (r.source_system = 'google_ads' AND r.source_record_id NOT IN
                 (SELECT click_view__gclid FROM '{w}/google_ads/click_view.parquet'))
           OR (r.source_system = 'web' AND r.source_record_id NOT IN (SELECT id FROM web_ids))
        GROUP BY 1
    """).fetchall()
    assert unmatched == []
    systems = {row[0] for row in db.execute(
        f"SELECT DISTINCT source_system FROM '{w}/truth/person_records.parquet'").fetchall()}
    assert systems == {"hubspot", "mailchimp", "web", "google_ads"}


def test_every_crm_record_is_in_the_truth(small_world, db):
    w = small_world
    counts = db.execute(f"""
        SELECT
          (SELECT count(*) FROM '{w}/hubspot/contacts.parquet' c WHERE c.id NOT IN (
              SELECT source_record_id FROM '{w}/truth/person_records.parquet' WHERE source_system = 'hubspot'
              UNION ALL SELECT source_record_id FROM '{w}/truth/shared_identifiers.parquet')),
          (SELECT count(*) FROM '{w}/hubspot/companies.parquet' c WHERE c.id NOT IN (
              SELECT source_record_id FROM '{w}/truth/account_records.parquet')),
          (SELECT count(*) FROM '{w}/hubspot/deals.parquet' d WHERE d.id NOT IN (
              SELECT source_record_id FROM '{w}/truth/opportunities.parquet')),
          (SELECT count(*) FROM '{w}/truth/opportunities.parquet' o WHERE o.source_record_id NOT IN (
              SELECT id FROM '{w}/hubspot/deals.parquet'))
    """).fetchall()[0]
    assert counts == (0, 0, 0, 0)


def test_truth_opportunities_match_crm_deals(small_world, db):
    w = small_world
    mismatches = db.execute(f"""
        SELECT count(*) FROM '{w}/truth/opportunities.parquet' o
        JOIN '{w}/hubspot/deals.parquet' d ON d.id = o.source_record_id
        WHERE d.properties__deal_currency_code <> o.currency
           OR (d.properties__hs_is_closed_won = 'true') <> o.is_won
           OR (d.properties__amount IS NOT NULL AND cast(d.properties__amount AS DOUBLE) <> o.amount)
    """).fetchall()[0][0]
    assert mismatches == 0


def test_world_has_the_mess_real_data_has(small_world, db):
    w = small_world
    row = db.execute(f"""
        SELECT
          (SELECT count(*) FROM '{w}/hubspot/contacts.parquet' WHERE properties__hs_merged_object_ids IS NOT NULL),
          (SELECT count(*) FROM '{w}/hubspot/contacts.parquet' WHERE archived),
          (SELECT count(*) FROM '{w}/hubspot/contacts.parquet' WHERE properties__email IS NULL),
          (SELECT count(*) FROM (SELECT true_person_id FROM '{w}/truth/person_records.parquet'
                                  WHERE source_system = 'hubspot' GROUP BY 1 HAVING count(*) > 1)),
          (SELECT count(*) FROM '{w}/mailchimp/members.parquet' WHERE email_address <> lower(trim(email_address))
                                                              OR email_address LIKE '%+%'),
          (SELECT count(DISTINCT currency) FROM '{w}/truth/opportunities.parquet'),
          (SELECT count(DISTINCT deal_type) FROM '{w}/truth/opportunities.parquet'),
          (SELECT count(*) FROM '{w}/truth/shared_identifiers.parquet')
    """).fetchall()[0]
    merged, deleted, no_email, duplicated_people, messy_emails, currencies, deal_types, shared = row
    assert merged > 0 and deleted > 0 and no_email > 0 and duplicated_people > 0 and messy_emails > 0
    assert currencies >= 4 and deal_types == 3 and shared > 0


def test_some_web_events_arrive_late(small_world):
    late = 0
    for path in sorted((small_world / "web" / "events").glob("*/*.ndjson"))[:120]:
        day = path.parent.name.split("=")[1]
        late += sum(1 for line in path.read_text().splitlines() if not json.loads(line)["timestamp"].startswith(day)
                    and json.loads(line)["timestamp"][:10] < day)
    assert late > 0


def test_truth_stage_dates_cover_the_funnel(small_world, db):
    stages = dict(db.execute(f"""SELECT stage, count(DISTINCT true_person_id)
                                 FROM '{small_world}/truth/stage_dates.parquet' GROUP BY 1""").fetchall())
    for stage in ["subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer"]:
        assert stages.get(stage, 0) > 0, stage
    assert stages["lead"] > stages["mql"] > stages["customer"]


def test_marketing_touches_raise_win_rates(tmp_path, db):
    """The causal link: deals whose buying committee had more marketing touches win more often."""
    w = generate_world(tmp_path / "w", seed=3, scale=0.3).path
    low, high = db.execute(f"""
        WITH closed AS (SELECT * FROM '{w}/truth/opportunities.parquet'
                        WHERE is_closed AND deal_type = 'newbusiness'),
             split AS (SELECT median(marketing_touches_around_deal) AS m FROM closed)
        SELECT avg(CASE WHEN marketing_touches_around_deal <= m THEN is_won::INT END),
               avg(CASE WHEN marketing_touches_around_deal > m THEN is_won::INT END)
        FROM closed, split""").fetchall()[0]
    assert high > low + 0.05


def test_channels_differ_in_cost(small_world, db):
    cpc = dict(db.execute(f"""
        SELECT c.channel, sum(d.metrics__cost_micros) / 1e6 / sum(d.metrics__clicks)
        FROM '{small_world}/google_ads/campaign_daily.parquet' d
        JOIN '{small_world}/truth/campaigns.parquet' c ON c.platform_campaign_id = d.campaign__id::VARCHAR
        GROUP BY 1""").fetchall())
    assert cpc["paid_search"] > 2 * cpc["retargeting"]


@pytest.mark.parametrize("scale", [0, -1, 51])
def test_bad_scale_is_refused(tmp_path, scale):
    with pytest.raises(WorldError, match="scale"):
        generate_world(tmp_path / "w", seed=1, scale=scale)


def test_refuses_to_overwrite_a_folder_that_is_not_a_world(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(WorldError, match="not a demo world"):
        generate_world(tmp_path, seed=1, scale=0.01)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_regenerating_replaces_an_earlier_world(tmp_path):
    generate_world(tmp_path / "w", seed=1, scale=0.01)
    (tmp_path / "w" / "stale.txt").write_text("old")
    generate_world(tmp_path / "w", seed=2, scale=0.01)
    assert not (tmp_path / "w" / "stale.txt").exists()
    assert read_manifest(tmp_path / "w")["seed"] == 2
