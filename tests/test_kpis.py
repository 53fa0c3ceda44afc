"""The shared KPI marts on a built demo world: plausible against the world's ground truth, and the
Markov model's chain solved in SQL agrees with an exact linear-algebra solve."""

import duckdb
import numpy as np
import pytest

STAGES = ["subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer"]


@pytest.fixture(scope="module")
def warehouse(built_home):
    home, result, _ = built_home
    assert result.success
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    yield con, home / "world" / "truth"
    con.close()


def test_funnel_counts_are_within_three_percent_of_the_true_stage_counts(warehouse):
    """Persons who reached each stage (or beyond), all cohorts, against the truth's persons.
    Identity resolution merges or splits a few persons, so the counts may differ slightly."""
    con, truth = warehouse
    true_counts = con.execute(f"""
        WITH orders AS (SELECT * FROM (VALUES {", ".join(f"('{s}', {i})" for i, s in enumerate(STAGES, 1))})
                        AS t(stage, stage_order)),
             reached AS (SELECT true_person_id, max(stage_order) AS highest
                         FROM '{truth}/stage_dates.parquet' JOIN orders USING (stage) GROUP BY 1)
        SELECT stage, count(*) FILTER (WHERE highest >= stage_order) FROM orders CROSS JOIN reached GROUP BY stage
    """).fetchall()
    warehouse_counts = dict(con.execute("""
        SELECT stage, sum(persons_reached) FROM kpi.kpi_funnel WHERE funnel_view = 'cohort' GROUP BY stage
    """).fetchall())
    for stage, expected in true_counts:
        assert warehouse_counts[stage] == pytest.approx(expected, rel=0.03), stage
    # every stage was reached by someone, and the period view counts the same persons
    period = dict(con.execute("""SELECT stage, sum(persons_reached) FROM kpi.kpi_funnel
                                 WHERE funnel_view = 'period' GROUP BY stage""").fetchall())
    assert period == warehouse_counts and min(period.values()) > 0


def test_lead_quality_counts_every_true_mql_and_verdict(warehouse):
    con, truth = warehouse
    expected = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE disposition = 'accepted'),
               count(*) FILTER (WHERE disposition = 'rejected')
        FROM '{truth}/lead_dispositions.parquet'""").fetchone()
    actual = con.execute(
        "SELECT sum(mqls), sum(accepted_mqls), sum(rejected_mqls) FROM kpi.kpi_lead_quality").fetchone()
    assert actual == expected
    reasons = con.execute("SELECT sum(rejected_mqls) FROM kpi.kpi_lead_rejection_reasons").fetchone()[0]
    assert reasons == expected[2]


def test_marketing_sourced_pipeline_agrees_with_who_truly_sourced_the_deals(warehouse):
    """The sourcing rule (first touch in the 90 days before creation) against the truth's
    sourced_by, on live new business: at least 90% agree (measured: about 95%)."""
    con, truth = warehouse
    agree, total = con.execute(f"""
        SELECT count(*) FILTER (WHERE o.sourced_by = t.sourced_by), count(*)
        FROM core.fct_opportunities o JOIN '{truth}/opportunities.parquet' t USING (source_record_id)
        WHERE NOT o.is_deleted AND t.deal_type = 'newbusiness'""").fetchone()
    assert total > 100 and agree / total >= 0.9
    sales_sourced_renewals = con.execute("""SELECT count(*) FROM core.fct_opportunities
        WHERE opportunity_type IN ('renewal', 'expansion') AND sourced_by <> 'sales'""").fetchone()[0]
    assert sales_sourced_renewals == 0


def test_arr_follows_the_true_won_deals_month_by_month(warehouse):
    """ARR at each month's end equals the truth's live won deals active then (in USD, at the
    world's rates), within 1%. A won deal the CRM links to no account has no ARR to retain."""
    con, truth = warehouse
    rows = con.execute(f"""
        WITH won AS (SELECT t.* FROM '{truth}/opportunities.parquet' t
                     JOIN core.fct_opportunities o USING (source_record_id)
                     WHERE t.is_won AND NOT o.is_deleted AND o.account_id IS NOT NULL),
             months AS (SELECT DISTINCT month FROM core.fct_account_revenue_monthly),
             truth_arr AS (SELECT month, sum(amount_usd) AS arr FROM months JOIN won
                           ON cast(won.closed_at AS DATE) <= last_day(month)
                          AND cast(won.closed_at AS DATE) + 365 > last_day(month) GROUP BY month)
        SELECT w.month, w.arr, truth_arr.arr
        FROM (SELECT month, sum(arr) AS arr FROM core.fct_account_revenue_monthly GROUP BY month) w
        JOIN truth_arr USING (month) ORDER BY month""").fetchall()
    assert len(rows) >= 20
    for month, actual, expected in rows:
        assert float(actual) == pytest.approx(expected, rel=0.01), month


def test_retention_rates_are_fractions_and_month_zero_is_whole(warehouse):
    con, _ = warehouse
    bad = con.execute("""SELECT count(*) FROM kpi.kpi_retention
        WHERE logo_retention NOT BETWEEN 0 AND 1 OR gross_revenue_retention NOT BETWEEN 0 AND 1
           OR (months_since_start = 0 AND (logo_retention <> 1 OR net_revenue_retention <> 1))""").fetchone()[0]
    assert bad == 0
    churned = con.execute("SELECT sum(churned_arr) FROM kpi.kpi_retention WHERE months_since_start = 13").fetchone()[0]
    assert churned > 0  # the world churns accounts whose renewal is lost


def test_scorecard_sets_actuals_beside_targets(warehouse):
    con, _ = warehouse
    kpis = {r[0] for r in con.execute("SELECT DISTINCT kpi_name FROM kpi.kpi_scorecard").fetchall()}
    assert kpis == {"mqls", "sqls", "pipeline_created", "marketing_sourced_pipeline", "bookings", "win_rate",
                    "speed_to_lead_median_hours", "within_sla_rate", "net_revenue_retention_12m"}
    wrong = con.execute("""SELECT count(*) FROM kpi.kpi_scorecard WHERE target_value IS NOT NULL
        AND abs(attainment - CASE WHEN direction = 'lower_is_better' THEN target_value / actual_value
                                  ELSE actual_value / target_value END) > 1e-9""").fetchone()[0]
    assert wrong == 0
    with_targets = con.execute("SELECT count(*) FROM kpi.kpi_scorecard WHERE target_value IS NOT NULL").fetchone()[0]
    assert with_targets > 100


def _removal_effects_by_linear_algebra(transitions):
    """Exact first-order removal effects: absorption probabilities from (I - Q) p = r."""
    channels = sorted({t[0] for t in transitions if t[0] != "(start)"})
    index = {c: i for i, c in enumerate(channels)}

    def conversion_probability(removed):
        q = np.zeros((len(channels), len(channels)))
        r = np.zeros(len(channels))
        start = np.zeros(len(channels))
        start_conversion = 0.0
        for source, target, probability in transitions:
            if target == removed or target == "(null)":
                continue
            if source == "(start)":
                if target == "(conversion)":
                    start_conversion += probability
                else:
                    start[index[target]] += probability
            elif target == "(conversion)":
                r[index[source]] += probability
            else:
                q[index[source], index[target]] += probability
        p = np.linalg.solve(np.eye(len(channels)) - q, r)
        return start_conversion + start @ p

    whole = conversion_probability(None)
    return {c: 1 - conversion_probability(c) / whole for c in channels}


def test_markov_removal_effects_solved_in_sql_equal_an_exact_solve(warehouse):
    con, _ = warehouse
    chains = con.execute("""SELECT DISTINCT conversion_type, conversion_level
                            FROM intermediate.int_attribution__markov_removal_effects""").fetchall()
    assert len(chains) == 4
    for conversion_type, level in chains:
        transitions = con.execute("""SELECT from_state, to_state, probability
            FROM intermediate.int_attribution__markov_transitions
            WHERE conversion_type = ? AND conversion_level = ?""", [conversion_type, level]).fetchall()
        expected = _removal_effects_by_linear_algebra(transitions)
        actual = dict(con.execute("""SELECT channel, removal_effect
            FROM intermediate.int_attribution__markov_removal_effects
            WHERE conversion_type = ? AND conversion_level = ?""", [conversion_type, level]).fetchall())
        assert actual.keys() == expected.keys()
        for channel, effect in expected.items():
            assert actual[channel] == pytest.approx(effect, abs=1e-9), (conversion_type, level, channel)


def test_markov_credits_follow_the_removal_effects(warehouse):
    """A conversion whose touches are in two channels splits its Markov credit between them in
    the ratio of their removal effects."""
    con, _ = warehouse
    rows = con.execute("""
        WITH two_channels AS (
            SELECT conversion_id FROM core.fct_attribution_credits WHERE model = 'markov'
            GROUP BY conversion_id HAVING count(DISTINCT channel) = 2 LIMIT 50)
        SELECT c.conversion_id, c.channel, sum(c.credit), max(e.removal_effect)
        FROM core.fct_attribution_credits c JOIN two_channels USING (conversion_id)
        JOIN intermediate.int_attribution__markov_removal_effects e
          ON e.conversion_type = c.conversion_type AND e.conversion_level = c.conversion_level
         AND e.channel = c.channel
        WHERE c.model = 'markov' GROUP BY c.conversion_id, c.channel ORDER BY 1, 2""").fetchall()
    assert len(rows) >= 20
    for first, second in zip(rows[::2], rows[1::2], strict=False):
        assert first[0] == second[0]
        assert float(first[2]) / float(second[2]) == pytest.approx(first[3] / second[3], rel=1e-6)
