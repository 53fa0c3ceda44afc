"""How well a built warehouse resolved identities, scored against the demo world's ground truth.

Pairwise precision and recall over the records the truth lists: a pair of records is predicted
together when the warehouse gives them one id, truly together when the truth does. Pairs are
counted from cluster sizes (no pair is materialized), so the scores take seconds at scale 10.
Records the truth lists and the warehouse lacks count as unresolved singletons.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

PAIRS = "sum(n * (n - 1) / 2)"


@dataclass(frozen=True)
class PairwiseScore:
    records: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def line(self, label: str) -> str:
        return (f"{label:<34} precision {self.precision:.4f}  recall {self.recall:.4f}  "
                f"({self.records:,} records, {self.true_pairs:,} true pairs, {self.predicted_pairs:,} predicted)")


def pairwise_score(con: duckdb.DuckDBPyConnection, labelled: str) -> PairwiseScore:
    """`labelled` is a query with columns record_key, true_id, predicted_id (one row per record)."""
    (records, predicted, true, correct), = con.execute(f"""
        WITH r AS ({labelled}),
        p AS (SELECT count(*) AS n FROM r GROUP BY predicted_id),
        t AS (SELECT count(*) AS n FROM r GROUP BY true_id),
        c AS (SELECT count(*) AS n FROM r GROUP BY predicted_id, true_id)
        SELECT (SELECT count(*) FROM r), (SELECT {PAIRS} FROM p), (SELECT {PAIRS} FROM t), (SELECT {PAIRS} FROM c)
    """).fetchall()
    return PairwiseScore(int(records), int(predicted or 0), int(true or 0), int(correct or 0))


def _labelled_persons(truth_dir: Path, scope: str = "TRUE") -> str:
    """The truth's person records (those matching `scope`) with their true and resolved person."""
    return f"""
        SELECT t.source_system || '|' || t.source_record_id AS record_key, t.true_person_id AS true_id,
               coalesce(b.person_id, 'unresolved|' || t.source_system || '|' || t.source_record_id) AS predicted_id
        FROM read_parquet('{truth_dir / "person_records.parquet"}') t
        LEFT JOIN (SELECT DISTINCT source_system, source_record_id, person_id
                   FROM intermediate.int_identity__person_records) b
          ON b.source_system = t.source_system AND b.source_record_id = t.source_record_id
        WHERE {scope}"""


def person_score(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> PairwiseScore:
    """The warehouse's persons (bridge of every source record to a person) against the truth."""
    return pairwise_score(con, _labelled_persons(truth_dir))


# Records the data ties to an identity: a web device or ad click is scored only when its device
# ever typed an address, signed in or landed from an email click. A device that never did is an
# anonymous visitor: nothing in any system says whose it is, so no method can resolve it.
IDENTIFIED_DEVICES = """
    SELECT DISTINCT anonymous_id FROM staging.stg_web__events
    WHERE email IS NOT NULL OR user_id IS NOT NULL OR mailchimp_unique_email_id IS NOT NULL"""
IDENTIFIED_CLICKS = f"""
    SELECT DISTINCT gclid FROM staging.stg_web__events
    WHERE gclid IS NOT NULL AND anonymous_id IN ({IDENTIFIED_DEVICES})"""


def identified_person_score(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> PairwiseScore:
    """person_score over the records the data ties to an identity (see IDENTIFIED_DEVICES)."""
    return pairwise_score(con, _labelled_persons(truth_dir, f"""
        NOT (t.record_type = 'anonymous_id' AND t.source_record_id NOT IN ({IDENTIFIED_DEVICES}))
        AND NOT (t.record_type = 'gclid' AND t.source_record_id NOT IN ({IDENTIFIED_CLICKS}))"""))


def naive_email_person_score(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> PairwiseScore:
    """The baseline: records are one person when they carry the very same address, as typed
    (trimmed, lower case: how CRMs and email platforms key addresses); no other link."""
    return pairwise_score(con, f"""
        WITH emails AS (
            SELECT node_id, min(lower(trim(email_as_typed))) AS email
            FROM intermediate.int_identity__record_emails GROUP BY node_id)
        SELECT t.source_system || '|' || t.source_record_id AS record_key, t.true_person_id AS true_id,
               coalesce('email|' || e.email, 'record|' || t.source_system || '|' || t.source_record_id)
                   AS predicted_id
        FROM read_parquet('{truth_dir / "person_records.parquet"}') t
        LEFT JOIN intermediate.int_identity__records r
          ON r.source_system = t.source_system AND r.source_record_id = t.source_record_id
        LEFT JOIN emails e ON e.node_id = r.node_id""")


def account_score(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> PairwiseScore:
    """The warehouse's accounts (bridge of every CRM company record to an account) against the truth."""
    return pairwise_score(con, f"""
        SELECT t.source_system || '|' || t.source_record_id AS record_key, t.true_account_id AS true_id,
               coalesce(b.account_id, 'unresolved|' || t.source_system || '|' || t.source_record_id) AS predicted_id
        FROM read_parquet('{truth_dir / "account_records.parquet"}') t
        LEFT JOIN (SELECT DISTINCT source_system, source_record_id, account_id
                   FROM intermediate.int_identity__account_records) b
          ON b.source_system = t.source_system AND b.source_record_id = t.source_record_id""")
