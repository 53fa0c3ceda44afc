"""First-party web events in the Segment spec (page, track, identify) from an event-export
bucket or folder, read file by file.

dlt's filesystem source lists the files (local folder, s3://, gs://, az://, ...) and remembers
the newest modification date it has read, so each run reads only files that arrived since. Each
file is parsed by pyarrow (the spec's standard fields typed, any other field inferred, so new
fields arrive as new columns) and flattened the way dlt flattens JSON
(`context.campaign.source` -> `context__campaign__source`). Events are merged on `message_id`:
a file delivered twice or an event retried by the collector is kept once.
"""

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.json as pa_json
from dlt.sources.filesystem import FileItemDict, filesystem

from extract.common.pages import PageError

SOURCE = "web"
FILE_GLOB = "**/*.ndjson"
BATCH_ROWS = 200_000

_STR = pa.string()
# The Segment spec's standard fields, typed as strings; any other field is inferred.
SEGMENT_SCHEMA = pa.schema([
    ("type", _STR), ("messageId", _STR), ("anonymousId", _STR), ("userId", _STR), ("event", _STR),
    ("name", _STR), ("timestamp", _STR), ("sentAt", _STR), ("receivedAt", _STR),
    ("properties", pa.struct([("path", _STR), ("url", _STR), ("referrer", _STR), ("search", _STR),
                              ("form_id", _STR), ("form_type", _STR), ("email", _STR)])),
    ("traits", pa.struct([("email", _STR)])),
    ("context", pa.struct([
        ("library", pa.struct([("name", _STR), ("version", _STR)])),
        ("page", pa.struct([("path", _STR), ("referrer", _STR)])),
        ("campaign", pa.struct([("source", _STR), ("medium", _STR), ("name", _STR), ("term", _STR),
                                ("content", _STR)])),
        ("userAgent", _STR), ("ip", _STR),
    ])),
])


def web_events_source(bucket_url: str, initial_modified_at: datetime = datetime(1970, 1, 1, tzinfo=timezone.utc)):
    """Events from every NDJSON file under `bucket_url` that arrived since the last run."""
    if "://" not in bucket_url and bucket_url != "." and not Path(bucket_url).is_dir():
        raise FileNotFoundError(f"web events folder {bucket_url} does not exist (set WEB_EVENTS_URL)")

    @dlt.source(name=SOURCE)
    def source():
        files = filesystem(bucket_url=bucket_url, file_glob=FILE_GLOB)
        files.apply_hints(incremental=dlt.sources.incremental("modification_date", initial_value=initial_modified_at))

        @dlt.transformer(name="events", primary_key="message_id", write_disposition="merge")
        def events(items: list[FileItemDict]) -> Iterator[pa.Table]:
            pending: list[pa.Table] = []
            for item in sorted(items, key=lambda f: f["relative_path"]):
                pending.append(read_events_file(item))
                if sum(t.num_rows for t in pending) >= BATCH_ROWS:
                    yield _combine(pending)
                    pending = []
            if pending:
                yield _combine(pending)

        return files | events

    return source()


def read_events_file(item: FileItemDict) -> pa.Table:
    """One export file as a flat Arrow table with the file it came from."""
    options = pa_json.ParseOptions(explicit_schema=SEGMENT_SCHEMA, unexpected_field_behavior="infer")
    try:
        with item.open() as handle:
            table = pa_json.read_json(handle, parse_options=options)
    except pa.ArrowInvalid as exc:
        raise PageError(f"web events: file {item['relative_path']} is not valid NDJSON: {exc}") from None
    if table.column("messageId").null_count:
        raise PageError(f"web events: file {item['relative_path']} has events without messageId")
    table = flatten_like_dlt(table)
    # The key is never null (checked above); saying so matches dlt's primary-key hint.
    key = table.schema.get_field_index("message_id")
    table = table.cast(table.schema.set(key, table.schema.field(key).with_nullable(False)))
    return table.append_column("_source_file", pa.repeat(pa.scalar(item["relative_path"], _STR), table.num_rows))


def _combine(tables: list[pa.Table]) -> pa.Table:
    """One table from files whose inferred extra fields may differ (missing columns become null)."""
    return pa.concat_tables(tables, promote_options="permissive")


def flatten_like_dlt(table: pa.Table) -> pa.Table:
    """Flatten nested structs to `parent__child` columns with snake_case names, as dlt does."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table.rename_columns(["__".join(_snake(part) for part in name.split(".")) for name in table.column_names])


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
