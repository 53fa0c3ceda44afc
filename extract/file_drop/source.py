"""The file-drop dlt source: reads new or changed files of a drop folder, validates them, and loads
good rows, quarantined rows and a log line per file into `raw_file_drop`.

    <folder>/<entity>/<any name>.csv | .parquet      entities: see schema.ENTITIES

Resources (one table each):
- one per entity (`accounts`, `persons`, …, `ad_spend`): the file's good rows, typed, with
  `_source_file`, `_source_row`, `_source_modified_at` and `_extra` (unknown columns as JSON).
  Merged on the entity key; the delete-insert strategy with `_source_file` as merge key also
  removes rows an earlier version of the same file had, so a changed file replaces its rows.
- `quarantine`: one row per bad row and rule broken, merged on (source_file, source_row, rule) and
  replaced per file the same way.
- `file_log`: one row per file (its latest processing): counts, status and reason.

All three read one hidden parent resource, `drop_files`, that lists the folder, skips files
already processed (name, size and modification time are kept in its dlt resource state) and
validates each new or changed file once; dlt hands every file's outcome to each table's
transformer. A reprocessed file that now yields no rows for a table sends one `_tombstone` row
(dlt's hard-delete column), which removes that file's earlier rows and is not stored itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema
from dlt.sources import DltResource, DltSource

from extract.file_drop.read import FileRejected, read_drop_file
from extract.file_drop.schema import ENTITIES, Column, Entity
from extract.file_drop.validate import Validation, validate

SOURCE_NAME = "file_drop"
DATASET_NAME = "raw_file_drop"
FILES_RESOURCE = "drop_files"
QUARANTINE = "quarantine"
FILE_LOG = "file_log"
# Delete-insert: rows of the loaded files' merge key (_source_file) are deleted, then inserted anew.
MERGE_BY_FILE = {"disposition": "merge", "strategy": "delete-insert"}

log = logging.getLogger(__name__)

_UTC = pa.timestamp("us", tz="UTC")
_ARROW_TYPES = {"text": pa.string(), "currency": pa.string(), "integer": pa.int64(),
                "decimal": pa.decimal128(18, 4), "boolean": pa.bool_(), "date": pa.date32(), "timestamp": _UTC}
_DLT_TYPES: dict[str, TColumnSchema] = {
    "text": {"data_type": "text"}, "currency": {"data_type": "text"}, "integer": {"data_type": "bigint"},
    "decimal": {"data_type": "decimal", "precision": 18, "scale": 4}, "boolean": {"data_type": "bool"},
    "date": {"data_type": "date"}, "timestamp": {"data_type": "timestamp"}}
_META = [  # columns added to every entity row: (name, arrow type, nullable, dlt hints)
    ("_extra", pa.string(), True, {"data_type": "text"}),
    ("_source_file", pa.string(), False, {"data_type": "text"}),
    ("_source_row", pa.int64(), False, {"data_type": "bigint"}),
    ("_source_modified_at", _UTC, True, {"data_type": "timestamp", "dedup_sort": "desc"}),
    ("_tombstone", pa.bool_(), True, {"data_type": "bool", "hard_delete": True}),
]
QUARANTINE_SCHEMA = pa.schema([
    pa.field("entity", pa.string()), pa.field("source_file", pa.string(), False),
    pa.field("source_row", pa.int64(), False), pa.field("rule", pa.string(), False),
    pa.field("columns", pa.string()), pa.field("reason", pa.string()), pa.field("record", pa.string()),
    pa.field("source_system", pa.string()), pa.field("processed_at", _UTC), pa.field("_tombstone", pa.bool_()),
])
FILE_LOG_SCHEMA = pa.schema([
    pa.field("source_file", pa.string(), False), pa.field("entity", pa.string()),
    pa.field("file_format", pa.string()), pa.field("file_size", pa.int64()),
    pa.field("file_modified_at", _UTC), pa.field("rows_read", pa.int64()), pa.field("rows_loaded", pa.int64()),
    pa.field("rows_quarantined", pa.int64()), pa.field("status", pa.string()), pa.field("reason", pa.string()),
    pa.field("unknown_columns", pa.string()), pa.field("processed_at", _UTC),
])


class FileDropError(RuntimeError):
    """The drop cannot be read at all (no folder, resources selected that cannot run alone)."""


@dataclass
class FileOutcome:
    """What processing one file produced, handed by `drop_files` to every table's transformer."""

    entity: str | None
    source_file: str  # path relative to the drop folder, with '/'
    good: pa.Table | None
    quarantine: pa.Table | None
    log: pa.Table | None


def file_drop_source(folder: str | Path) -> DltSource:
    """The file-drop dlt source for `folder` (nothing is read until it runs). Load it into the
    `raw_file_drop` dataset (DATASET_NAME). To load some entities only, select them with
    `.with_resources(...)` together with `quarantine` and `file_log`; other folders are left for later."""
    root = Path(folder)

    @dlt.source(name=SOURCE_NAME)
    def file_drop() -> list[DltResource]:
        @dlt.resource(name=FILES_RESOURCE, selected=False)
        def drop_files() -> Iterator[FileOutcome]:
            yield from _process_new_files(root)

        tables = [_entity_resource(drop_files, entity) for entity in ENTITIES.values()]
        return [*tables, _quarantine_resource(drop_files), _file_log_resource(drop_files)]

    return file_drop()


def entity_arrow_schema(entity: Entity) -> pa.Schema:
    fields = [pa.field(c.name, _ARROW_TYPES[c.type], c.name not in entity.key) for c in entity.columns]
    return pa.schema(fields + [pa.field(name, typ, nullable) for name, typ, nullable, _ in _META])


def entity_columns(entity: Entity) -> dict[str, TColumnSchema]:
    """dlt column hints of an entity table, so types hold even before a file fills a column."""
    columns: dict[str, TColumnSchema] = {c.name: _column_hint(c, entity) for c in entity.columns}
    for name, _, nullable, hints in _META:
        columns[name] = {**hints, "nullable": nullable}
    return columns


def _column_hint(c: Column, entity: Entity) -> TColumnSchema:
    return {**_DLT_TYPES[c.type], "nullable": c.name not in entity.key}


# ---- the resources ----

def _entity_resource(parent: DltResource, entity: Entity) -> DltResource:
    @dlt.transformer(data_from=parent, name=entity.name, primary_key=list(entity.key), merge_key="_source_file",
                     write_disposition=MERGE_BY_FILE, columns=entity_columns(entity))
    def rows(outcome: FileOutcome) -> Iterator[pa.Table]:
        if outcome.entity == entity.name and outcome.good is not None:
            yield outcome.good

    return rows


def _quarantine_resource(parent: DltResource) -> DltResource:
    @dlt.transformer(data_from=parent, name=QUARANTINE, primary_key=["source_file", "source_row", "rule"],
                     merge_key="source_file", write_disposition=MERGE_BY_FILE,
                     columns={"_tombstone": {"data_type": "bool", "hard_delete": True}})
    def quarantine(outcome: FileOutcome) -> Iterator[pa.Table]:
        if outcome.quarantine is not None:
            yield outcome.quarantine

    return quarantine


def _file_log_resource(parent: DltResource) -> DltResource:
    @dlt.transformer(data_from=parent, name=FILE_LOG, primary_key="source_file", write_disposition="merge")
    def file_log(outcome: FileOutcome) -> Iterator[pa.Table]:
        if outcome.log is not None:
            yield outcome.log

    return file_log


# ---- listing and processing files ----

def _process_new_files(root: Path) -> Iterator[FileOutcome]:
    if not root.is_dir():
        raise FileDropError(f"file drop folder {root} does not exist; create it or point the source at the "
                            "folder teams drop their files in")
    selected = set(dlt.current.source().selected_resources)
    if not {QUARANTINE, FILE_LOG} <= selected:
        raise FileDropError("file_drop: select the quarantine and file_log resources together with the entity "
                            "tables; each file is processed once, so its quarantined rows and log would be lost")
    yield from _empty_tables(selected)
    registry: dict[str, dict] = dlt.current.resource_state().setdefault("processed_files", {})
    processed_at = dt.datetime.now(dt.timezone.utc)
    for entity, path in _listed_files(root, selected):
        source_file = path.relative_to(root).as_posix()
        stat = path.stat()
        fingerprint = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if registry.get(source_file) == fingerprint:
            continue
        yield process_file(path, source_file, entity, processed_at, replaces=source_file in registry)
        registry[source_file] = fingerprint  # only once every table took the file's outcome


def _empty_tables(selected: set[str]) -> Iterator[FileOutcome]:
    """Empty typed tables for the selected tables the schema does not have yet, so every table
    exists (with its columns) from the first run on, whether or not a file has filled it."""
    known = dlt.current.source_schema().tables
    for name, entity in ENTITIES.items():
        if name in selected and name not in known:
            yield FileOutcome(name, "", entity_arrow_schema(entity).empty_table(), None, None)
    if QUARANTINE not in known or FILE_LOG not in known:
        yield FileOutcome(None, "", None, QUARANTINE_SCHEMA.empty_table(), FILE_LOG_SCHEMA.empty_table())


def _listed_files(root: Path, selected: set[str]) -> Iterator[tuple[str | None, Path]]:
    """(entity, path) of every visible file, in path order. Files outside an entity folder are
    listed with the folder they are in (None at the top), to be logged as rejected."""
    for entry in sorted(root.iterdir()):
        if _hidden(entry):
            continue
        if entry.is_file():
            yield None, entry
        elif entry.is_dir() and (entry.name not in ENTITIES or entry.name in selected):
            for path in sorted(entry.iterdir()):
                if path.is_file() and not _hidden(path):
                    yield entry.name, path


def _hidden(path: Path) -> bool:
    """Dot files and editors' lock files: a tool writing a file should write it under such a name
    and rename it when done, so half-written files are never read."""
    return path.name.startswith((".", "~", "_"))


def process_file(path: Path, source_file: str, entity: str | None, processed_at: dt.datetime,
                 replaces: bool = False) -> FileOutcome:
    """Read, validate and package one file; never raises for a bad file (it is logged as rejected)."""
    stat = path.stat()
    info = {"source_file": source_file, "entity": entity, "file_format": path.suffix.lower().lstrip(".") or None,
            "file_size": stat.st_size,
            "file_modified_at": dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc),
            "processed_at": processed_at}
    if entity not in ENTITIES:
        where = f"folder {entity!r}" if entity else "the top of the drop folder"
        reason = (f"{source_file}: files in {where} are not read; put each file in the folder of its entity "
                  f"({', '.join(ENTITIES)})")
        return _rejected(info, reason)
    spec = ENTITIES[entity]
    try:
        result = validate(spec, read_drop_file(path, source_file))
    except FileRejected as exc:
        outcome = _rejected(info, str(exc))
        if replaces:  # the file's earlier rows go: the table holds what its latest version holds
            outcome.good, outcome.quarantine = _tombstone(spec, source_file), _quarantine_tombstone(source_file)
        return outcome
    good = _with_file_columns(spec, result.good, source_file, info["file_modified_at"])
    quarantine = _quarantine_table(result, entity, source_file, processed_at)
    if replaces and good.num_rows == 0:
        good = _tombstone(spec, source_file)
    if replaces and quarantine.num_rows == 0:
        quarantine = _quarantine_tombstone(source_file)
    status = "rejected" if result.rejected else "loaded"
    reason = f"{source_file}: {result.rejected}" if result.rejected else _summary(result)
    if status == "rejected":
        log.warning("file drop: %s", reason)
    row = {**info, "rows_read": result.rows_read, "rows_loaded": result.rows_loaded,
           "rows_quarantined": result.rows_quarantined, "status": status, "reason": reason,
           "unknown_columns": ", ".join(result.unknown_columns) or None}
    return FileOutcome(entity, source_file, good if good.num_rows else None,
                       quarantine if quarantine.num_rows else None, pa.Table.from_pylist([row], FILE_LOG_SCHEMA))


def _rejected(info: dict, reason: str) -> FileOutcome:
    log.warning("file drop: %s", reason)
    row = {**info, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "status": "rejected",
           "reason": reason, "unknown_columns": None}
    return FileOutcome(info["entity"], info["source_file"], None, None, pa.Table.from_pylist([row], FILE_LOG_SCHEMA))


def _summary(result: Validation) -> str | None:
    if not result.rows_quarantined:
        return None
    rules = ", ".join(f"{rule} {n}" for rule, n in result.rule_counts.items())
    return f"{result.rows_quarantined} of {result.rows_read} rows quarantined ({rules})"


def _with_file_columns(entity: Entity, good: pa.Table, source_file: str, modified_at: dt.datetime) -> pa.Table:
    n = good.num_rows
    table = good.append_column("_source_file", pa.array([source_file] * n, pa.string()))
    table = table.append_column("_source_modified_at", pa.array([modified_at] * n, _UTC))
    table = table.append_column("_tombstone", pa.nulls(n, pa.bool_()))
    schema = entity_arrow_schema(entity)
    return table.select(schema.names).cast(schema)


def _quarantine_table(result: Validation, entity: str, source_file: str, processed_at: dt.datetime) -> pa.Table:
    q = result.quarantine
    n = q.num_rows
    table = pa.table({
        "entity": pa.array([entity] * n, pa.string()), "source_file": pa.array([source_file] * n, pa.string()),
        "source_row": q["source_row"], "rule": q["rule"], "columns": q["columns"], "reason": q["reason"],
        "record": q["record"], "source_system": q["source_system"],
        "processed_at": pa.array([processed_at] * n, _UTC), "_tombstone": pa.nulls(n, pa.bool_()),
    })
    return table.cast(QUARANTINE_SCHEMA)


_PLACEHOLDER = {"text": "", "currency": "", "integer": 0, "decimal": 0, "boolean": False,
                "date": dt.date(1970, 1, 1), "timestamp": dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)}


def _tombstone(entity: Entity, source_file: str) -> pa.Table:
    """One row that makes dlt delete the file's earlier rows (merge key) and is not stored itself."""
    row = {c.name: _PLACEHOLDER[c.type] for c in entity.columns if c.name in entity.key}
    row.update(_source_file=source_file, _source_row=0, _tombstone=True)
    return pa.Table.from_pylist([row], entity_arrow_schema(entity))


def _quarantine_tombstone(source_file: str) -> pa.Table:
    return pa.Table.from_pylist([{"source_file": source_file, "source_row": 0, "rule": "", "_tombstone": True}],
                                QUARANTINE_SCHEMA)

