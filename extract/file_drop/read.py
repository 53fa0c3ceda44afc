"""Reads one dropped file into an Arrow table, or rejects it with one line naming the file.

CSV is parsed by pyarrow with every column as text (the validator does the typing, so a bad value
becomes a quarantined row instead of a failed file); empty cells are null. Parquet is read as it
is. Column names are trimmed and lower-cased. A file that cannot be parsed as a whole (not UTF-8,
a broken quote, a row with the wrong number of fields, no header) raises FileRejected; for CSV the
message gives the line, found by re-reading the file with Python's csv module on that path only.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FORMATS = (".csv", ".parquet")
_BOM = b"\xef\xbb\xbf"


class FileRejected(Exception):
    """A file that cannot be read as a whole; the message names the file (and the line, for CSV)."""


def read_drop_file(path: Path, name: str) -> pa.Table:
    """The file's rows with normalized column names; `name` is how messages refer to the file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _read_csv(path, name)
    elif suffix == ".parquet":
        table = _read_parquet(path, name)
    else:
        raise FileRejected(f"{name}: unsupported file type {suffix or '(no extension)'!r}; "
                           f"drop {' or '.join(FORMATS)} files")
    return table.rename_columns(_normalized_names(table.column_names, name))


def _normalized_names(names: list[str], name: str) -> list[str]:
    normalized = [n.strip().lower() for n in names]
    for i, column in enumerate(normalized):
        if not column:
            raise FileRejected(f"{name}: column {i + 1} of the header has no name")
        if column in normalized[:i]:
            raise FileRejected(f"{name}: column {column!r} appears more than once in the header")
    return normalized


def _read_csv(path: Path, name: str) -> pa.Table:
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileRejected(f"{name} line {line}: not UTF-8 text (byte {data[exc.start]:#04x}); "
                           "save the file as UTF-8") from None
    header = next(csv.reader(io.StringIO(text, newline="")), None)
    if not header or not any(h.strip() for h in header):
        raise FileRejected(f"{name}: empty file; the first line must be the header row")
    # An odd number of quote characters means a quoted value is never closed; pyarrow would read
    # it silently to the end of the file, so look for the line first.
    if data.count(b'"') % 2:
        problem = _locate_problem(text, len(header))
        if problem:
            raise FileRejected(f"{name} {problem}")
    options = pa_csv.ConvertOptions(column_types={h: pa.string() for h in header}, null_values=[""],
                                    strings_can_be_null=True, quoted_strings_can_be_null=True)
    try:
        return pa_csv.read_csv(pa.py_buffer(data), convert_options=options,
                               parse_options=pa_csv.ParseOptions(newlines_in_values=True))
    except pa.ArrowInvalid as exc:
        problem = _locate_problem(text, len(header))
        raise FileRejected(f"{name} {problem}" if problem else f"{name}: unreadable CSV ({exc})") from None


def _locate_problem(text: str, n_fields: int) -> str | None:
    """`line N: what is wrong` for the first malformed record, or None. A Python loop over rows,
    run only once a file is known to be broken."""
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # values may be long; the default limit is 128 KiB
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1  # the line the current record starts on
    try:
        for row in reader:
            if row and len(row) != n_fields:
                return f"line {start}: expected {n_fields} fields (as in the header), found {len(row)}"
            start = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            return f"line {start}: a quoted value is never closed (missing '\"')"
        return f"line {start}: malformed quoting ({exc}); a '\"' inside a value must be doubled"
    finally:
        csv.field_size_limit(limit)
    return None


def _read_parquet(path: Path, name: str) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected(f"{name}: not a readable Parquet file ({exc})") from None
