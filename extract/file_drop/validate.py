"""Row-level validation of one file against its entity, in DuckDB SQL over the Arrow table.

Every rule is one set-based query (no Python loop over rows); together they give the file's
violations: (row, rule, column, reason). A row with any violation is quarantined, once per rule it
breaks (reasons of the same rule are joined with "; "), and counted once. The other rows are
typed to the canonical types and loaded.

A file lacking a required column is rejected: nothing loads, and every row is quarantined under
`missing_required_column` with the same reason, so counts still reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from extract.file_drop.currencies import ISO_4217
from extract.file_drop.schema import Column, Entity

ROW = "__file_drop_row"  # 1-based data row number, added before validation (a name no file uses)
_SHOWN = 80  # characters of a value quoted in a reason

_SQL_TYPES = {"text": "VARCHAR", "currency": "VARCHAR", "integer": "BIGINT", "decimal": "DECIMAL(18, 4)",
              "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMPTZ"}
# What a value of each type must look like, as a reason says it.
_EXPECTED = {
    "integer": "a whole number, e.g. 250",
    "decimal": "a decimal number with a '.' and no thousands separator or currency sign, e.g. 1250.50",
    "boolean": "true or false",
    "date": "a date written YYYY-MM-DD, e.g. 2025-03-04",
    "timestamp": "an ISO 8601 timestamp with a UTC offset or Z, e.g. 2025-03-04T09:30:00Z",
}
_TYPE_RULE = {"integer": "invalid_number", "decimal": "invalid_number", "boolean": "invalid_boolean",
              "date": "invalid_date", "timestamp": "invalid_timestamp"}
_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)"


@dataclass
class Validation:
    good: pa.Table  # canonical columns typed, then _extra (unknown columns as JSON) and _source_row
    quarantine: pa.Table  # source_row, rule, columns, reason, record (JSON of the original values), source_system
    rows_read: int
    rows_quarantined: int
    rejected: str | None = None  # why the whole file was rejected, if it was
    unknown_columns: tuple[str, ...] = ()
    rule_counts: dict[str, int] = field(default_factory=dict)  # quarantined rows per rule

    @property
    def rows_loaded(self) -> int:
        return self.good.num_rows


def validate(entity: Entity, table: pa.Table) -> Validation:
    """Split a file's rows into typed good rows and quarantined ones, with reasons."""
    present = set(table.column_names)
    unknown = tuple(c for c in table.column_names if c not in entity.names)
    rejected = _missing_columns(entity, present)
    src = table.append_column(ROW, pa.array(range(1, table.num_rows + 1), pa.int64()))
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")  # timestamps load in UTC
        con.register("src", src)
        con.execute(f"CREATE TEMP TABLE file_rows AS {_typed_rows_sql(entity, present)}")
        checks = [_reject_all_sql(rejected)] if rejected else _check_sqls(entity)
        con.execute("CREATE TEMP TABLE violations AS " + "\nUNION ALL\n".join(checks))
        good = con.sql(_good_sql(entity, unknown)).to_arrow_table()
        quarantine = con.sql(_quarantine_sql(table.column_names, "source_system" in present)).to_arrow_table()
        counts = dict(con.execute(f"SELECT rule, count(DISTINCT {ROW}) FROM violations GROUP BY 1 ORDER BY 1")
                      .fetchall())
        bad_rows = con.execute(f"SELECT count(DISTINCT {ROW}) FROM violations").fetchall()[0][0]
    return Validation(good=good, quarantine=quarantine, rows_read=table.num_rows, rows_quarantined=bad_rows,
                      rejected=rejected, unknown_columns=unknown, rule_counts=counts)


def _missing_columns(entity: Entity, present: set[str]) -> str | None:
    missing = [c for c in entity.required if c not in present]
    groups = [g for g in entity.one_of if not present.intersection(g)]
    if not missing and not groups:
        return None
    parts = [f"missing required column(s) {', '.join(missing)}"] if missing else []
    parts += [f"none of the columns {', '.join(g)} present (at least one is required)" for g in groups]
    return "; ".join(parts) + "; the whole file is rejected"


# ---- SQL builders. Column names come from schema.py; file column names are quoted. ----

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _raw(name: str) -> str:
    return _q(f"raw:{name}")


def _typed_rows_sql(entity: Entity, present: set[str]) -> str:
    """One row per data row: each canonical column as raw text ("raw:<name>") and typed (<name>)."""
    raw = ", ".join(
        (f"CAST({_q(c.name)} AS VARCHAR)" if c.name in present else "NULL::VARCHAR") + f" AS {_raw(c.name)}"
        for c in entity.columns)
    typed = ", ".join(f"{_typed(c)} AS {_q(c.name)}" for c in entity.columns)
    return f"SELECT *, {typed} FROM (SELECT {ROW}, {raw} FROM src)"


def _typed(c: Column) -> str:
    value = f"nullif(trim({_raw(c.name)}), '')"
    sql_type = _SQL_TYPES[c.type]
    if c.type in ("text", "currency"):
        return f"CASE WHEN {value} IS NOT NULL THEN {_raw(c.name)} END" if c.as_typed else value
    if c.type == "integer":  # "250.0" (an integer column written by a float writer) is accepted
        return (f"TRY_CAST(CASE WHEN regexp_full_match({value}, '[+-]?\\d+(\\.0+)?') "
                f"THEN regexp_replace({value}, '\\.0+$', '') END AS {sql_type})")
    if c.type == "decimal":
        return f"TRY_CAST(CASE WHEN regexp_full_match({value}, '[+-]?(\\d+(\\.\\d*)?|\\.\\d+)') THEN {value} END " \
               f"AS {sql_type})"
    if c.type == "boolean":
        return f"CASE lower({value}) WHEN 'true' THEN true WHEN 'false' THEN false END"
    if c.type == "date":
        return f"TRY_CAST(CASE WHEN regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN {value} END AS DATE)"
    if c.type == "timestamp":
        return f"TRY_CAST(CASE WHEN regexp_full_match({value}, '{_TIMESTAMP}') THEN {value} END AS TIMESTAMPTZ)"
    raise ValueError(f"unknown column type {c.type!r}")


def _shown(expr: str) -> str:
    """A value quoted for a reason, shortened when long."""
    return (f"'''' || CASE WHEN length({expr}) > {_SHOWN} THEN left({expr}, {_SHOWN - 3}) || '...' "
            f"ELSE {expr} END || ''''")


def _check(rule: str, order: int, columns: str, condition: str, reason_sql: str) -> str:
    return (f"SELECT {ROW}, {_lit(rule)} AS rule, {order} AS ord, {_lit(columns)} AS col, {reason_sql} AS reason "
            f"FROM file_rows WHERE {condition}")


def _check_sqls(entity: Entity) -> list[str]:
    checks: list[str] = []
    for order, c in enumerate(entity.columns):
        raw, typed, given = _raw(c.name), _q(c.name), f"nullif(trim({_raw(c.name)}), '') IS NOT NULL"
        if c.required:
            checks.append(_check("missing_required_value", order, c.name, f"NOT ({given})",
                                 _lit(f"{c.name} is empty; it is required")))
        if c.type in _TYPE_RULE:
            checks.append(_check(_TYPE_RULE[c.type], order, c.name, f"{given} AND {typed} IS NULL",
                                 f"{_lit(c.name + ' ')} || {_shown(raw)} || {_lit(' is not ' + _EXPECTED[c.type])}"))
        if c.minimum is not None:
            checks.append(_check("negative_value", order, c.name, f"{typed} < {c.minimum}",
                                 f"{_lit(c.name + ' ')} || {_shown(raw)} || "
                                 f"{_lit(f' is negative; it must be {c.minimum} or more')}"))
        if c.type == "currency":
            codes = ", ".join(_lit(code) for code in sorted(ISO_4217))
            checks.append(_check("unknown_currency", order, c.name, f"{typed} NOT IN ({codes})",
                                 f"{_lit(c.name + ' ')} || {_shown(raw)} || "
                                 f"{_lit(' is not an ISO 4217 currency code (upper case, e.g. USD, EUR, GBP)')}"))
        if c.allowed:
            values = ", ".join(_lit(v) for v in c.allowed)
            checks.append(_check("not_allowed_value", order, c.name, f"{typed} NOT IN ({values})",
                                 f"{_lit(c.name + ' ')} || {_shown(raw)} || "
                                 f"{_lit(' is not one of: ' + ', '.join(c.allowed))}"))
        if c.pattern:
            checks.append(_check("invalid_format", order, c.name,
                                 f"{given} AND NOT regexp_full_match(trim({raw}), {_lit(c.pattern)})",
                                 f"{_lit(c.name + ' ')} || {_shown(raw)} || {_lit(' is not ' + c.pattern_hint)}"))
    n = len(entity.columns)
    for i, group in enumerate(entity.one_of):
        none_given = " AND ".join(f"nullif(trim({_raw(g)}), '') IS NULL" for g in group)
        checks.append(_check("missing_identifier", n + i, ", ".join(group), none_given,
                             _lit(f"none of {', '.join(group)} has a value; at least one is required")))
    for i, rule in enumerate(entity.row_rules):
        checks.append(_check(rule.rule, n + len(entity.one_of) + i, ", ".join(rule.columns),
                             f"coalesce({rule.violated_when}, false)", _lit(rule.reason)))
    checks.append(_duplicate_sql(entity, 2 * n))
    return checks


def _duplicate_sql(entity: Entity, order: int) -> str:
    keys = ", ".join(_q(k) for k in entity.key)
    shown = " || ', ' || ".join(f"CAST({_q(k)} AS VARCHAR)" for k in entity.key)
    all_given = " AND ".join(f"{_q(k)} IS NOT NULL" for k in entity.key)
    reason = (f"{_lit('key (' + ', '.join(entity.key) + ') = (')} || {shown} || ') is on rows ' || "
              f"array_to_string(list_slice(rows_with_key, 1, 10), ', ') || "
              f"CASE WHEN len(rows_with_key) > 10 THEN ', ...' ELSE '' END || ' of this file'")
    return (f"SELECT {ROW}, 'duplicate_key' AS rule, {order} AS ord, {_lit(', '.join(entity.key))} AS col, "
            f"{reason} AS reason FROM ("
            f"SELECT {ROW}, {keys}, list_sort(list({ROW}) OVER w) AS rows_with_key FROM file_rows "
            f"WHERE {all_given} WINDOW w AS (PARTITION BY {keys})) WHERE len(rows_with_key) > 1")


def _reject_all_sql(reason: str) -> str:
    return (f"SELECT {ROW}, 'missing_required_column' AS rule, 0 AS ord, NULL AS col, {_lit(reason)} AS reason "
            "FROM src")


def _good_sql(entity: Entity, unknown: tuple[str, ...]) -> str:
    columns = ", ".join(f"r.{_q(c)}" for c in entity.names)
    extra = ("json_object(" + ", ".join(f"{_lit(u)}, s.{_q(u)}" for u in unknown) + ")") if unknown \
        else "NULL::VARCHAR"
    return (f"SELECT {columns}, CAST({extra} AS VARCHAR) AS _extra, r.{ROW} AS _source_row "
            f"FROM file_rows r JOIN src s USING ({ROW}) "
            f"WHERE r.{ROW} NOT IN (SELECT {ROW} FROM violations) ORDER BY r.{ROW}")


def _quarantine_sql(file_columns: list[str], has_source_system: bool) -> str:
    record = "json_object(" + ", ".join(f"{_lit(c)}, s.{_q(c)}" for c in file_columns) + ")" \
        if file_columns else "'{}'"
    source_system = "nullif(trim(CAST(s.source_system AS VARCHAR)), '')" if has_source_system else "NULL::VARCHAR"
    return f"""
        SELECT v.{ROW} AS source_row, v.rule, v.columns, v.reason, CAST({record} AS VARCHAR) AS record,
               {source_system} AS source_system
        FROM (SELECT {ROW}, rule, string_agg(col, ', ' ORDER BY ord) AS columns,
                     string_agg(reason, '; ' ORDER BY ord) AS reason
              FROM violations GROUP BY {ROW}, rule) v
        JOIN src s USING ({ROW})
        ORDER BY source_row, rule"""
