"""Identity resolution against the demo world's ground truth, on the warehouse the pipeline built:
pairwise precision and recall of persons and accounts, and the naive exact-email baseline."""

import duckdb
import pytest

from demo_world.scoring import account_score, identified_person_score, naive_email_person_score, person_score


@pytest.fixture(scope="module", params=["hubspot", "salesforce"])
def warehouse(request):
    home, result, _ = request.getfixturevalue("built_home" if request.param == "hubspot" else "built_salesforce_home")
    assert result.success
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        yield con, home / "world" / "truth"


def test_persons_are_resolved_precisely_and_completely(warehouse):
    con, truth = warehouse
    every, identified = person_score(con, truth), identified_person_score(con, truth)
    assert every.precision >= 0.995 and identified.precision >= 0.995
    # Records the data ties to an address, a user id or an email click: nearly all pairs found.
    assert identified.recall >= 0.97, identified.line("identified")
    # Devices that never identified cannot be resolved by anyone; they lower recall over every record.
    assert every.recall < identified.recall


def test_naive_exact_email_match_falls_clearly_short(warehouse):
    con, truth = warehouse
    naive, resolved = naive_email_person_score(con, truth), identified_person_score(con, truth)
    assert naive.recall < 0.6 < resolved.recall
    assert naive.precision < person_score(con, truth).precision


def test_accounts_are_resolved_precisely_and_completely(warehouse):
    con, truth = warehouse
    score = account_score(con, truth)
    assert score.true_pairs > 0
    assert score.precision >= 0.995 and score.recall >= 0.98, score.line("accounts")


def test_shared_devices_are_reported_not_merged(warehouse):
    con, truth = warehouse
    tablets = {row[0] for row in con.execute(
        f"SELECT source_record_id FROM read_parquet('{truth / 'shared_identifiers.parquet'}') "
        "WHERE kind = 'booth_tablet_anonymous_id'").fetchall()}
    reported = {row[0].split("|")[2] for row in con.execute(
        "SELECT node_id FROM intermediate.int_identity__oversized_identifiers "
        "WHERE node_id LIKE 'web|anonymous_id|%'").fetchall()}
    assert tablets and tablets <= reported
    # each tablet is a person of its own: nobody else is resolved through it
    sizes = con.execute("""
        SELECT max(n) FROM (SELECT count(*) AS n FROM core.bridge_person_source_record
        WHERE person_id IN (SELECT person_id FROM core.bridge_person_source_record
                            WHERE record_type = 'anonymous_id' AND source_record_id IN (SELECT unnest(?)))
        GROUP BY person_id)""", [sorted(tablets)]).fetchall()
    assert sizes == [(1,)]


def test_opportunities_and_persons_carry_their_crm_account(warehouse):
    con, truth = warehouse
    (with_account, deals), = con.execute(
        "SELECT count(account_id), count(*) FROM core.fct_opportunities WHERE NOT is_deleted").fetchall()
    assert deals > 0 and with_account / deals >= 0.95
    # deals of one true account share one resolved account
    (split,), = con.execute(f"""
        SELECT count(*) FROM (
            SELECT t.true_account_id FROM core.fct_opportunities o
            JOIN read_parquet('{truth / 'opportunities.parquet'}') t ON t.source_record_id = o.source_record_id
            WHERE o.account_id IS NOT NULL
            GROUP BY t.true_account_id HAVING count(DISTINCT o.account_id) > 1)""").fetchall()
    assert split == 0
    (by_association,), = con.execute(
        "SELECT count(*) FROM core.dim_person WHERE account_matched_by = 'crm_association'").fetchall()
    assert by_association > 0
