"""The web-events reader: every event of every file, incremental by file, merged on message_id,
new fields as new columns, and clear errors for bad files."""

import json
import shutil

import dlt
import duckdb
import pyarrow as pa
import pytest

from extract.common.pages import PageError
from extract.web_events.source import flatten_like_dlt, web_events_source
from orchestration.dlt_runs import actionable_cause


@pytest.fixture
def events_dir(small_world, tmp_path):
    """A copy of the demo world's first 40 daily export files."""
    target = tmp_path / "events"
    for folder in sorted((small_world / "web" / "events").iterdir())[:40]:
        shutil.copytree(folder, target / folder.name)
    return target


@pytest.fixture
def pipeline(tmp_path):
    return dlt.pipeline(pipeline_name="web_test", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_web", pipelines_dir=str(tmp_path / "dlt"))


def query(pipeline, sql):
    with duckdb.connect(pipeline.destination_client().config.credentials.database, read_only=True) as con:
        return con.execute(sql).fetchall()


def served(folder) -> set[str]:
    return {json.loads(line)["messageId"]
            for path in folder.rglob("*.ndjson") for line in path.read_text().splitlines()}


def add_file(folder, day: str, events: list[dict]):
    (folder / f"received_date={day}").mkdir()
    (folder / f"received_date={day}" / "events.ndjson").write_text("\n".join(json.dumps(e) for e in events) + "\n")


def test_flatten_names_nested_fields_like_dlt():
    table = pa.table({"messageId": ["m1"], "context": [{"campaign": {"source": "google"}, "userAgent": "x"}]})
    assert flatten_like_dlt(table).column_names == ["message_id", "context__campaign__source", "context__user_agent"]


def test_every_event_of_every_file_loads_once(events_dir, pipeline):
    pipeline.run(web_events_source(str(events_dir)), loader_file_format="parquet")
    loaded = {row[0] for row in query(pipeline, "SELECT message_id FROM raw_web.events")}
    assert loaded == served(events_dir)
    assert query(pipeline, "SELECT count(DISTINCT _source_file) FROM raw_web.events")[0][0] == 40
    utm = query(pipeline, "SELECT count(*) FROM raw_web.events WHERE context__campaign__medium IS NOT NULL")
    assert utm[0][0] > 0


def test_a_second_run_reads_only_new_files(events_dir, pipeline):
    pipeline.run(web_events_source(str(events_dir)), loader_file_format="parquet")
    pipeline.run(web_events_source(str(events_dir)), loader_file_format="parquet")
    assert pipeline.last_trace.last_normalize_info.row_counts.get("events", 0) == 0
    late = {"type": "page", "messageId": "late-1", "anonymousId": "a-1", "timestamp": "2024-11-02T10:00:00.000Z",
            "receivedAt": "2026-01-01T00:00:00.000Z", "properties": {"path": "/pricing"}}
    duplicate = {**late, "messageId": next(iter(served(events_dir)))}
    add_file(events_dir, "2099-01-01", [late, duplicate])
    pipeline.run(web_events_source(str(events_dir)), loader_file_format="parquet")
    assert pipeline.last_trace.last_normalize_info.row_counts.get("events") == 2
    total, distinct = query(pipeline, "SELECT count(*), count(DISTINCT message_id) FROM raw_web.events")[0]
    assert total == distinct == len(served(events_dir))  # the resent event was merged, not added


def test_a_new_field_becomes_a_new_column(events_dir, pipeline):
    pipeline.run(web_events_source(str(events_dir)), loader_file_format="parquet")
    add_file(events_dir, "2099-01-02", [{"type": "track", "messageId": "drift-1", "event": "Trial Started",
                                         "timestamp": "2026-01-01T00:00:00.000Z",
                                         "context": {"locale": "de-DE"}}])
    pipeline.run(web_events_source(str(events_dir)), loader_file_format="parquet")
    assert query(pipeline, "SELECT context__locale FROM raw_web.events WHERE message_id = 'drift-1'") == [("de-DE",)]


def test_a_malformed_file_is_named_in_the_error(events_dir, pipeline):
    (events_dir / "received_date=2099-01-03").mkdir()
    (events_dir / "received_date=2099-01-03" / "events.ndjson").write_text('{"type": "page", "messageId": \n')
    with pytest.raises(Exception) as failure:
        pipeline.run(web_events_source(str(events_dir)))
    cause = actionable_cause(failure.value)
    assert isinstance(cause, PageError) and "received_date=2099-01-03" in str(cause)


def test_an_event_without_message_id_is_refused(events_dir, pipeline):
    add_file(events_dir, "2099-01-04", [{"type": "page", "timestamp": "2026-01-01T00:00:00.000Z"}])
    with pytest.raises(Exception) as failure:
        pipeline.run(web_events_source(str(events_dir)))
    assert "without messageId" in str(actionable_cause(failure.value))


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="WEB_EVENTS_URL"):
        web_events_source(str(tmp_path / "nowhere"))
