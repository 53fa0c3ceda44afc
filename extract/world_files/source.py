"""A dlt source per demo-world system: reads its export files and yields Arrow tables.

Parquet files are read in batches; the web export (Segment-spec NDJSON, one file per arrival day)
is parsed by pyarrow with the spec's standard fields and flattened the way dlt flattens nested
JSON (`context.campaign.source` -> `context__campaign__source`). Arrow keeps loading fast: dlt
writes the batches straight to the destination without row-by-row normalization.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from dlt.sources import DltResource

from extract.world_files.settings import SYSTEMS, TableSpec

BATCH_ROWS = 200_000

_STR = pa.string()
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


class WorldFilesError(RuntimeError):
    """A world file is missing or unreadable; the message names the file."""


def world_system_source(system: str, world_dir: str | Path):
    """The dlt source for one system of a demo world (nothing is read until it runs)."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown demo-world system {system!r}; known: {', '.join(SYSTEMS)}")

    def resources() -> list[DltResource]:
        return [
            dlt.resource(
                _read(Path(world_dir) / system, spec),
                name=spec.name,
                primary_key=list(spec.primary_key),
                write_disposition="replace",
            )
            for spec in SYSTEMS[system]
        ]

    return dlt.source(resources, name=system)()


def _read(folder: Path, spec: TableSpec) -> Iterator[pa.Table]:
    for table in _read_tables(folder, spec):
        yield _with_required_keys(table, spec)


def _read_tables(folder: Path, spec: TableSpec) -> Iterator[pa.Table]:
    if spec.path == "events":
        yield from _read_segment_exports(folder / spec.path)
        return
    path = folder / spec.file
    if not path.exists():
        raise WorldFilesError(f"missing demo-world file {path}; generate the world again")
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
        yield pa.Table.from_batches([batch])


def _with_required_keys(table: pa.Table, spec: TableSpec) -> pa.Table:
    """Primary-key columns must be present and non-null; the schema says so to dlt."""
    fields = []
    for field in table.schema:
        if field.name in spec.primary_key:
            nulls = table.column(field.name).null_count
            if nulls:
                raise WorldFilesError(f"{spec.name}: {nulls} rows without {field.name}, its key")
            field = field.with_nullable(False)
        fields.append(field)
    missing = set(spec.primary_key) - set(table.column_names)
    if missing:
        raise WorldFilesError(f"{spec.name}: key column(s) {', '.join(sorted(missing))} missing")
    return table.cast(pa.schema(fields))


def _read_segment_exports(folder: Path) -> Iterator[pa.Table]:
    files = sorted(folder.glob("received_date=*/*.ndjson"))
    if not files:
        raise WorldFilesError(f"no web event files under {folder}; generate the world again")
    options = pa_json.ParseOptions(explicit_schema=SEGMENT_SCHEMA, unexpected_field_behavior="ignore")
    pending: list[pa.Table] = []
    for path in files:
        try:
            table = pa_json.read_json(path, parse_options=options)
        except pa.ArrowInvalid as exc:
            raise WorldFilesError(f"unreadable web event file {path}: {exc}") from exc
        source_file = f"{path.parent.name}/{path.name}"
        table = table.append_column("_source_file", pa.repeat(pa.scalar(source_file, _STR), table.num_rows))
        pending.append(table)
        if sum(t.num_rows for t in pending) >= BATCH_ROWS:
            yield flatten_like_dlt(pa.concat_tables(pending))
            pending = []
    if pending:
        yield flatten_like_dlt(pa.concat_tables(pending))


def flatten_like_dlt(table: pa.Table) -> pa.Table:
    """Flatten nested structs to `parent__child` columns with snake_case names, as dlt does."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    names = ["__".join(_snake(part) for part in name.split(".")) for name in table.column_names]
    return table.rename_columns(names)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
