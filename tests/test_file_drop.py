"""The file drop: canonical CSV/Parquet files validated on arrival, bad rows quarantined with reasons,
each file processed once, and the demo world's drop loading with exactly the bad rows it was given."""

import csv
import datetime as dt
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import demo_world.world as world_module
from demo_world.world import generate_world
from extract.file_drop.doc_tables import sections
from extract.file_drop.read import FileRejected, read_drop_file
from extract.file_drop.schema import ENTITIES
from extract.file_drop.source import DATASET_NAME, FileDropError, file_drop_source
from tests.conftest import TEST_SCALE, folder_digest

UTC = dt.timezone.utc


class Drop:
    """A drop folder and a pipeline loading it into its own DuckDB file."""

    def __init__(self, tmp_path: Path):
        self.folder = tmp_path / "drop"
        self.folder.mkdir()
        self.db = tmp_path / "warehouse.duckdb"
        self.pipeline = dlt.pipeline("file_drop_test", destination=dlt.destinations.duckdb(str(self.db)),
                                     dataset_name=DATASET_NAME, pipelines_dir=str(tmp_path / "dlt"))

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str):
            text = text.encode()
        mtime = path.stat().st_mtime_ns + 1_000_000_000 if path.exists() else None
        path.write_bytes(text)
        if mtime:  # a rewrite within the same clock tick must still look changed
            os.utime(path, ns=(mtime, mtime))
        return path

    def run(self, source=None) -> dict[str, int]:
        """Runs the source; returns the rows dlt normalized per table in this run (tables with rows)."""
        self.pipeline.run(source or file_drop_source(self.folder), loader_file_format="parquet")
        counts = self.pipeline.last_trace.last_normalize_info.row_counts
        return {t: n for t, n in counts.items() if n and not t.startswith("_dlt")}

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            con.execute(f"USE {DATASET_NAME}")
            return con.execute(sql).fetchall()

    def log(self, source_file: str) -> dict:
        with duckdb.connect(str(self.db), read_only=True) as con:
            cursor = con.execute(f"SELECT * FROM {DATASET_NAME}.file_log WHERE source_file = ?", [source_file])
            return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))


@pytest.fixture
def drop(tmp_path):
    return Drop(tmp_path)


def csv_text(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def clean_rows(name: str) -> tuple[list[str], list[list[str]]]:
    """Two valid rows of an entity: the documented example, and a second record with its optional
    columns empty (but one identifier of each "one of" group)."""
    entity = ENTITIES[name]
    example = [c.example for c in entity.columns]
    id_col = next(k for k in entity.key if k != "source_system" and entity.column(k).type == "text"
                  and not entity.column(k).allowed)
    keep = {g[0] for g in entity.one_of}
    second = [(c.example + "-2" if c.name == id_col else c.example) if c.required or c.name in keep or
              c.name == id_col else "" for c in entity.columns]
    return list(entity.names), [example, second]


def test_a_clean_file_of_every_entity_loads_fully_and_typed(drop):
    for name in ENTITIES:
        header, rows = clean_rows(name)
        drop.write(f"{name}/export.csv", csv_text(header, rows))
    loaded = drop.run()
    for name in ENTITIES:
        assert loaded[name] == 2, name
        log = drop.log(f"{name}/export.csv")
        assert (log["status"], log["rows_read"], log["rows_loaded"], log["rows_quarantined"]) == ("loaded", 2, 2, 0)
    assert drop.rows("SELECT count(*) FROM quarantine") == [(0,)]
    types = dict(drop.rows("""SELECT table_name || '.' || column_name, data_type FROM information_schema.columns
                              WHERE table_schema = 'raw_file_drop'"""))
    assert types["opportunities.amount"] == "DECIMAL(18,4)" and types["opportunities.is_won"] == "BOOLEAN"
    assert types["accounts.employees"] == "BIGINT" and types["ad_spend.date"] == "DATE"
    assert types["persons.created_at"] == "TIMESTAMP WITH TIME ZONE"
    # Values are typed, offsets turned into UTC, empty cells null, provenance kept.
    row = drop.rows("""SELECT created_at AT TIME ZONE 'UTC', amount, is_won, _source_file, _source_row, _extra
                       FROM opportunities ORDER BY _source_row""")
    assert row[0] == (dt.datetime(2025, 3, 1, 9), Decimal("24000.0000"), True, "opportunities/export.csv", 1, None)
    assert row[1][1:3] == (None, None) and row[1][4] == 2
    assert drop.rows("SELECT created_at AT TIME ZONE 'UTC' FROM persons WHERE _source_row = 1") == [
        (dt.datetime(2025, 2, 3, 13, 20),)]


BAD_OPPORTUNITIES = """opportunity_id,account_id,type,created_at,closed_at,is_won,amount,currency,source_system,Region
O-1,A-1,newbusiness,2025-03-01T09:00:00Z,2025-04-01T09:00:00Z,true,1200.50,EUR,partner_crm,emea
O-2,A-1,upsell,2025-03-01T09:00:00Z,,,,,partner_crm,
O-3,A-1,renewal,2025-13-01T09:00:00Z,,,,,partner_crm,
O-4,A-1,renewal,2025-03-01T09:00:00Z,2025-04-01T09:00:00Z,yes,-5,US$,partner_crm,
O-5,,expansion,2025-03-01T09:00:00Z,,,"1,200.00",EUR,partner_crm,
,A-1,expansion,2025-03-01T09:00:00Z,,,,,partner_crm,
O-6,A-1,expansion,2025-03-01T09:00:00Z,2025-02-01T09:00:00Z,false,,,partner_crm,
O-7,A-1,expansion,2025-03-01T09:00:00Z,,,10,,partner_crm,
O-8,A-1,renewal,2025-03-01T09:00:00Z,,,,,Partner CRM,
O-9,A-1,renewal,2025-03-01T09:00:00Z,,,,,partner_crm,
O-9,A-1,renewal,2025-03-02T09:00:00Z,,,,,partner_crm,
O-10,A-2,renewal,2025-03-01T09:00:00+02:00,,,99.999999,JPY,partner_crm,apac
"""
EXPECTED_QUARANTINE = {
    (2, "not_allowed_value"), (3, "invalid_timestamp"), (4, "invalid_boolean"), (4, "negative_value"),
    (4, "unknown_currency"), (5, "invalid_number"), (6, "missing_required_value"), (7, "inconsistent_values"),
    (8, "missing_required_value"), (9, "invalid_format"), (10, "duplicate_key"), (11, "duplicate_key"),
}


def test_bad_rows_are_quarantined_with_rule_and_reason_and_the_good_rows_load(drop):
    drop.write("opportunities/deals.csv", BAD_OPPORTUNITIES)
    drop.write("touches/scans.csv", "touch_id,email,occurred_at,channel,source_system\n"
                                    "T-1,jane@acme.com,2025-03-01T09:00:00Z,events,scanner\n"
                                    "T-2,,2025-03-01T09:00:00Z,events,scanner\n"
                                    "T-3,jane(at)acme.com,2025-03-01T09:00:00Z,Events,scanner\n")
    drop.run()
    quarantined = drop.rows("SELECT source_row, rule, reason, record, columns FROM quarantine "
                            "WHERE source_file = 'opportunities/deals.csv'")
    assert {(r[0], r[1]) for r in quarantined} == EXPECTED_QUARANTINE
    reasons = {(r[0], r[1]): r[2] for r in quarantined}
    assert reasons[(4, "negative_value")] == "amount '-5' is negative; it must be 0 or more"
    assert reasons[(4, "unknown_currency")].startswith("currency 'US$' is not an ISO 4217 currency code")
    assert reasons[(3, "invalid_timestamp")].startswith("created_at '2025-13-01T09:00:00Z' is not an ISO 8601")
    assert reasons[(5, "invalid_number")].startswith("amount '1,200.00' is not a decimal number")
    assert reasons[(8, "missing_required_value")] == "currency is empty; it is required when amount is given"
    assert "rows 10, 11" in reasons[(10, "duplicate_key")]
    record = json.loads(next(r[3] for r in quarantined if r[0] == 4))
    assert record == {"opportunity_id": "O-4", "account_id": "A-1", "type": "renewal",
                      "created_at": "2025-03-01T09:00:00Z", "closed_at": "2025-04-01T09:00:00Z", "is_won": "yes",
                      "amount": "-5", "currency": "US$", "source_system": "partner_crm", "region": None}
    # A row breaking three rules is quarantined three times but counted once.
    log = drop.log("opportunities/deals.csv")
    assert (log["rows_read"], log["rows_loaded"], log["rows_quarantined"]) == (12, 2, 10)
    assert log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]
    assert log["unknown_columns"] == "region" and "10 of 12 rows quarantined" in log["reason"]
    good = drop.rows("SELECT opportunity_id, created_at AT TIME ZONE 'UTC', amount, _extra FROM opportunities "
                     "ORDER BY _source_row")
    assert good == [("O-1", dt.datetime(2025, 3, 1, 9), Decimal("1200.5000"), '{"region":"emea"}'),
                    ("O-10", dt.datetime(2025, 3, 1, 7), Decimal("100.0000"), '{"region":"apac"}')]
    touches = drop.rows("SELECT source_row, rule FROM quarantine WHERE entity = 'touches' ORDER BY 1, 2")
    assert touches == [(2, "missing_identifier"), (3, "invalid_format"), (3, "not_allowed_value")]
    assert drop.rows("SELECT touch_id FROM touches") == [("T-1",)]


def test_a_file_missing_a_required_column_is_rejected_with_its_reason(drop):
    drop.write("persons/no-ids.csv", "email,first_name,source_system\na@x.com,A,crm\nb@x.com,B,crm\nc@x.com,C,crm\n")
    drop.write("touches/no-identifiers.csv", "touch_id,occurred_at,channel,source_system\n"
                                             "T-1,2025-03-01T09:00:00Z,events,scanner\n")
    drop.run()
    assert drop.rows("SELECT count(*) FROM persons") == [(0,)]
    log = drop.log("persons/no-ids.csv")
    assert (log["status"], log["rows_read"], log["rows_loaded"], log["rows_quarantined"]) == ("rejected", 3, 0, 3)
    assert log["reason"] == ("persons/no-ids.csv: missing required column(s) person_id; "
                             "the whole file is rejected")
    assert drop.rows("SELECT DISTINCT rule FROM quarantine WHERE entity = 'persons'") == [("missing_required_column",)]
    assert drop.rows("SELECT count(*) FROM quarantine WHERE entity = 'persons'") == [(3,)]
    reason = drop.log("touches/no-identifiers.csv")["reason"]
    assert "none of the columns person_id, anonymous_id, email present" in reason


def test_malformed_csv_names_the_file_and_the_line(drop):
    # Line 3-4 hold one quoted value with a line break, so the bad record starts on line 5.
    drop.write("accounts/fields.csv", 'account_id,name,source_system\nA-1,Acme,crm\nA-2,"Two\nLines",crm\n'
                                      'A-3,Three,crm,extra\n')
    # An unclosed quote in the last column would swallow the rest of the file without a parse error.
    drop.write("accounts/quote.csv", 'account_id,name,source_system\nA-1,Acme,crm\nA-2,Two,"crm\n'
                                     'A-3,Three,crm\n')
    drop.write("accounts/latin1.csv", "account_id,name,source_system\nA-1,Acme,crm\nA-2,Soci\xe9t\xe9,crm\n"
               .encode("latin-1"))
    drop.write("accounts/good.csv", "account_id,name,source_system\nA-9,Good,crm\n")
    drop.write("accounts/notes.txt", "not a data file")
    drop.write("contacts/people.csv", "person_id,source_system\nP-1,crm\n")
    drop.run()
    assert drop.log("accounts/fields.csv")["reason"] == (
        "accounts/fields.csv line 5: expected 3 fields (as in the header), found 4")
    assert drop.log("accounts/quote.csv")["reason"].startswith(
        "accounts/quote.csv line 3: a quoted value is never closed")
    assert drop.log("accounts/latin1.csv")["reason"].startswith("accounts/latin1.csv line 3: not UTF-8")
    assert drop.log("accounts/notes.txt")["reason"].startswith("accounts/notes.txt: unsupported file type '.txt'")
    assert "folder 'contacts' are not read" in drop.log("contacts/people.csv")["reason"]
    rejected = drop.rows("SELECT count(*), sum(rows_read) FROM file_log WHERE status = 'rejected'")
    assert rejected == [(5, 0)]
    assert drop.rows("SELECT account_id FROM accounts") == [("A-9",)]  # a broken file does not stop the others
    with pytest.raises(FileRejected, match=r"^x/fields.csv line 5: "):
        read_drop_file(drop.folder / "accounts" / "fields.csv", "x/fields.csv")


def test_a_second_run_processes_nothing_new(drop):
    drop.write("touches/a.csv", "touch_id,email,occurred_at,channel,source_system\n"
                                "T-1,a@x.com,2025-03-01T09:00:00Z,events,scanner\nT-2,,2025-03-01T09:00:00Z,events,"
                                "scanner\n")
    first = drop.run()
    assert first["touches"] == 1 and first["quarantine"] == 1 and first["file_log"] == 1
    processed_at = drop.log("touches/a.csv")["processed_at"]
    assert drop.run() == {}
    assert drop.rows("SELECT count(*) FROM touches") == [(1,)]
    assert drop.rows("SELECT count(*) FROM quarantine") == [(1,)]
    assert drop.log("touches/a.csv")["processed_at"] == processed_at
    drop.write("touches/b.csv", "touch_id,email,occurred_at,channel,source_system\n"
                                "T-3,b@x.com,2025-03-02T09:00:00Z,events,scanner\n")
    assert drop.run() == {"touches": 1, "file_log": 1}  # only the new file


def test_a_changed_file_replaces_its_earlier_rows_without_duplicates(drop):
    header = "touch_id,email,occurred_at,channel,source_system\n"
    drop.write("touches/a.csv", header + "T-1,a@x.com,2025-03-01T09:00:00Z,events,scanner\n"
                                         "T-2,b@x.com,2025-03-01T09:00:00Z,events,scanner\n"
                                         "T-3,,2025-03-01T09:00:00Z,events,scanner\n")
    drop.write("touches/other.csv", header + "T-9,z@x.com,2025-03-01T09:00:00Z,events,scanner\n")
    drop.run()
    # T-1 corrected, T-2 dropped from the file, T-3 fixed (so its quarantine row goes), T-4 new.
    drop.write("touches/a.csv", header + "T-1,a.new@x.com,2025-03-01T09:00:00Z,events,scanner\n"
                                         "T-3,c@x.com,2025-03-01T09:00:00Z,events,scanner\n"
                                         "T-4,d@x.com,2025-03-01T09:00:00Z,events,scanner\n")
    drop.run()
    assert drop.rows("SELECT touch_id, email FROM touches ORDER BY 1") == [
        ("T-1", "a.new@x.com"), ("T-3", "c@x.com"), ("T-4", "d@x.com"), ("T-9", "z@x.com")]
    assert drop.rows("SELECT count(*) FROM quarantine") == [(0,)]
    assert drop.rows("SELECT count(*) FROM file_log") == [(2,)]
    log = drop.log("touches/a.csv")
    assert (log["rows_read"], log["rows_loaded"], log["rows_quarantined"]) == (3, 3, 0)
    # A new version with only bad rows leaves nothing of the file in the table.
    drop.write("touches/a.csv", header + "T-1,,2025-03-01T09:00:00Z,events,scanner\n")
    drop.run()
    assert drop.rows("SELECT touch_id FROM touches") == [("T-9",)]
    assert drop.rows("SELECT source_row, rule FROM quarantine") == [(1, "missing_identifier")]


def test_parquet_loads_like_csv(drop):
    created = [dt.datetime(2025, 3, 1, 9, tzinfo=UTC), dt.datetime(2025, 3, 2, 9, tzinfo=UTC),
               dt.datetime(2025, 3, 3, 9, tzinfo=UTC)]
    pq.write_table(pa.table({
        "opportunity_id": ["O-1", "O-2", "O-3"], "type": ["newbusiness", "renewal", "expansion"],
        "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
        "closed_at": pa.array([created[0] + dt.timedelta(days=30), None, None], pa.timestamp("ms", tz="UTC")),
        "is_won": pa.array([True, None, None]), "amount": pa.array([1200.5, 300.0, -1.0]),
        "currency": ["EUR", "USD", "USD"], "source_system": ["partner_crm"] * 3,
    }), drop.folder / "deals.parquet")
    (drop.folder / "opportunities").mkdir()
    (drop.folder / "deals.parquet").rename(drop.folder / "opportunities" / "deals.parquet")
    drop.write("opportunities/deals.csv", "opportunity_id,type,created_at,closed_at,is_won,amount,currency,"
                                          "source_system\n"
               "O-1,newbusiness,2025-03-01T09:00:00Z,2025-03-31T09:00:00Z,true,1200.5,EUR,csv_crm\n"
               "O-2,renewal,2025-03-02T10:00:00+01:00,,,300,USD,csv_crm\n"
               "O-3,expansion,2025-03-03T09:00:00Z,,,-1,USD,csv_crm\n")
    drop.run()
    columns = "opportunity_id, type, created_at, closed_at, is_won, amount, currency"
    from_parquet = drop.rows(f"SELECT {columns} FROM opportunities WHERE source_system = 'partner_crm' ORDER BY 1")
    from_csv = drop.rows(f"SELECT {columns} FROM opportunities WHERE source_system = 'csv_crm' ORDER BY 1")
    assert from_parquet == from_csv and len(from_parquet) == 2
    assert drop.rows("SELECT source_file, source_row, rule FROM quarantine ORDER BY 1") == [
        ("opportunities/deals.csv", 3, "negative_value"), ("opportunities/deals.parquet", 3, "negative_value")]
    assert drop.log("opportunities/deals.parquet")["file_format"] == "parquet"


def test_entities_can_be_loaded_alone_with_quarantine_and_file_log(drop):
    drop.write("touches/a.csv", "touch_id,email,occurred_at,channel,source_system\n"
                                "T-1,a@x.com,2025-03-01T09:00:00Z,events,scanner\n")
    header, rows = clean_rows("accounts")
    drop.write("accounts/a.csv", csv_text(header, rows))
    with pytest.raises(Exception, match="select the quarantine and file_log resources"):
        drop.run(file_drop_source(drop.folder).with_resources("touches"))
    assert drop.run(file_drop_source(drop.folder).with_resources("touches", "quarantine", "file_log")) == {
        "touches": 1, "file_log": 1}
    assert drop.run() == {"accounts": 2, "file_log": 1}  # the folder left for later
    with pytest.raises(Exception, match="file drop folder .* does not exist"):
        drop.run(file_drop_source(drop.folder / "missing"))
    assert issubclass(FileDropError, RuntimeError)


def test_the_docs_show_the_schema():
    docs = (Path(__file__).parents[1] / "docs" / "file-drop.md").read_text()
    for section in sections():
        assert section in docs, section.splitlines()[0]


# ---- the demo world's drop ----

def test_the_demo_worlds_drop_loads_with_the_expected_quarantined_rows(small_world, drop):
    truth = f"'{small_world}/truth/file_drop_rows.parquet'"
    drop.folder = small_world / "file_drop"
    drop.run()
    quarantined = set(drop.rows("SELECT source_file, source_row, rule FROM quarantine"))
    expected = set(drop.rows(f"SELECT source_file, source_row, expected_rule FROM {truth} "
                             "WHERE expected_rule IS NOT NULL"))
    assert quarantined == expected
    assert {rule for _, _, rule in expected} == {"invalid_timestamp", "missing_identifier", "negative_value",
                                                 "unknown_currency", "invalid_date"}
    assert drop.rows("""SELECT count(*) FROM file_log WHERE status <> 'loaded'
                        OR rows_read <> rows_loaded + rows_quarantined""") == [(0,)]
    files = {p.relative_to(drop.folder).as_posix() for p in drop.folder.rglob("*.csv")}
    assert {row[0] for row in drop.rows("SELECT source_file FROM file_log")} == files
    loaded = drop.rows(f"""SELECT count(*), count(t.source_record_id) FROM touches s
                           LEFT JOIN {truth} t ON t.source_record_id = s.touch_id AND t.expected_rule IS NULL""")
    good_in_truth = drop.rows(f"SELECT count(*) FROM {truth} WHERE entity = 'touches' AND expected_rule IS NULL")
    assert loaded[0][0] == loaded[0][1] == good_in_truth[0][0] > 100
    channels = drop.rows(f"""SELECT DISTINCT c.true_channel, s.source_system, json_keys(s._extra)
                             FROM touches s JOIN '{small_world}/truth/touch_channels.parquet' c
                             ON c.source_system = 'file_drop' AND c.source_record_id = s.touch_id""")
    assert channels == [("events", "badge_scanner", ["company", "rating"])]
    spend = drop.rows("SELECT count(*), min(spend), any_value(currency) FROM ad_spend")
    assert spend[0][0] > 100 and spend[0][1] > 0 and spend[0][2] == "USD"


def test_the_file_drop_is_deterministic_and_leaves_the_rest_of_the_world_as_it_was(small_world, tmp_path,
                                                                                   monkeypatch):
    again = generate_world(tmp_path / "again", seed=7, scale=TEST_SCALE).path
    assert folder_digest(again / "file_drop") == folder_digest(small_world / "file_drop")
    other = generate_world(tmp_path / "other", seed=8, scale=TEST_SCALE).path
    assert folder_digest(other / "file_drop") != folder_digest(small_world / "file_drop")

    # Without the file drop every other file is the same, and the truth files it appends to start
    # with exactly the rows they had.
    monkeypatch.setattr(world_module, "render_file_drop", lambda r, sim: None)
    without = generate_world(tmp_path / "without", seed=7, scale=TEST_SCALE).path
    appended = {"truth/touch_channels.parquet", "truth/campaigns.parquet"}
    files = {p.relative_to(without).as_posix() for p in without.rglob("*") if p.is_file()}
    for rel in sorted(files - appended - {"manifest.json"}):
        assert (without / rel).read_bytes() == (small_world / rel).read_bytes(), rel
    for rel in appended:
        before, after = pq.read_table(without / rel), pq.read_table(small_world / rel)
        assert after.slice(0, before.num_rows).equals(before), rel
        assert after.num_rows > before.num_rows
