"""Load a suite file, validate a warehouse table with Great Expectations, and summarise the outcome.

A suite file is Great Expectations' JSON suite format plus `meta`:
- `table`: the warehouse table the suite guards (its Dagster asset check sits on it);
- `query` (optional): the SQL whose result is validated, when reading the whole table would be
  heavy (a core mart's profile row in data_quality.dq_mart_profiles); default `select * from table`;
- `freshness` (optional): `{"column", "reference", "max_lag_days"}`: the column's latest value
  must be at most max_lag_days before the date the `reference` SQL returns;
- `volume` (optional): `{"tolerance", "column"}`: the rows (or the `column`'s value) may differ
  from the last validated run's by at most this fraction (default: the environment's
  REVENUE_WAREHOUSE_DQ_VOLUME_TOLERANCE, else 0.5).
Freshness and volume become ordinary Great Expectations expectations at validation time.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pandas as pd

SUITES_DIR = Path(__file__).parent / "suites"
SAMPLE_ROWS = 5
VOLUME_TOLERANCE_ENV = "REVENUE_WAREHOUSE_DQ_VOLUME_TOLERANCE"
DATA_DOCS_ENV = "REVENUE_WAREHOUSE_DQ_DATA_DOCS"  # "off": keep validation results, skip the HTML
DEFAULT_VOLUME_TOLERANCE = 0.5


class SuiteError(ValueError):
    """A suite file that cannot be used as written."""


@dataclass(frozen=True)
class SuiteFile:
    name: str
    table: str
    grain: list[str]
    expectations: list[dict]
    query: str | None = None
    freshness: dict | None = None
    volume: dict | None = None

    @property
    def batch_query(self) -> str:
        return self.query or f"select * from {self.table}"


@dataclass
class FailedExpectation:
    expectation: str
    column: str | None
    observed_value: object
    unexpected_count: int | None
    failing_rows: list[dict] = field(default_factory=list)

    def describe(self) -> str:
        target = f" on {self.column}" if self.column else ""
        if self.unexpected_count:
            detail = f"{self.unexpected_count} failing row(s)"
        else:
            detail = f"observed {self.observed_value!r}"
        return f"{self.expectation}{target}: {detail}"


@dataclass
class ValidationOutcome:
    suite: str
    table: str
    rows: int
    evaluated: int
    failed: list[FailedExpectation]
    docs_page: str | None = None

    @property
    def success(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations passed on {self.rows} rows"
        return f"{self.suite}: {len(self.failed)} of {self.evaluated} expectations failed: " + "; ".join(
            f.describe() for f in self.failed)


def suite_names(suites_dir: Path = SUITES_DIR) -> list[str]:
    return sorted(p.stem for p in suites_dir.glob("*.json"))


def load_suite(name: str, suites_dir: Path = SUITES_DIR) -> SuiteFile:
    path = suites_dir / f"{name}.json"
    if not path.exists():
        raise SuiteError(f"no expectation suite {name!r} in {suites_dir}")
    raw = json.loads(path.read_text())
    meta = raw.get("meta", {})
    if not meta.get("table") or not raw.get("expectations"):
        raise SuiteError(f"suite {path.name} needs meta.table and at least one expectation")
    freshness = meta.get("freshness")
    if freshness and not {"column", "reference"} <= freshness.keys():
        raise SuiteError(f"suite {path.name}: meta.freshness needs a column and a reference query")
    return SuiteFile(name=raw["name"], table=meta["table"], grain=meta.get("grain", []),
                     expectations=raw["expectations"], query=meta.get("query"), freshness=freshness,
                     volume=meta.get("volume"))


def freshness_expectation(suite: SuiteFile, reference_date) -> dict | None:
    """The latest value of the suite's date column may lag the reference date by max_lag_days."""
    if not suite.freshness or reference_date is None:
        return None
    lag = int(suite.freshness.get("max_lag_days", 0))
    earliest = pd.Timestamp(reference_date) - timedelta(days=lag)
    return {"type": "expect_column_max_to_be_between",
            "kwargs": {"column": suite.freshness["column"], "min_value": earliest},
            "meta": {"why": f"freshness: the latest {suite.freshness['column']} is at most {lag} day(s) "
                            f"before {pd.Timestamp(reference_date).date()}"}}


def volume_tolerance(suite: SuiteFile) -> float:
    configured = (suite.volume or {}).get("tolerance", os.environ.get(VOLUME_TOLERANCE_ENV))
    return float(configured) if configured is not None else DEFAULT_VOLUME_TOLERANCE


def volume_expectation(suite: SuiteFile, previous_rows: int | None) -> dict | None:
    """Rows (or the volume column's value) within the tolerance of the last validated run's."""
    if previous_rows is None:
        return None
    tolerance = volume_tolerance(suite)
    low, high = math.floor(previous_rows * (1 - tolerance)), math.ceil(previous_rows * (1 + tolerance))
    why = {"why": f"volume: within {tolerance:.0%} of the last validated run's {previous_rows}"}
    column = (suite.volume or {}).get("column")
    if column:
        return {"type": "expect_column_values_to_be_between",
                "kwargs": {"column": column, "min_value": low, "max_value": high}, "meta": why}
    return {"type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": low, "max_value": high}, "meta": why}


def batch_volume(suite: SuiteFile, df: pd.DataFrame) -> int:
    column = (suite.volume or {}).get("column")
    return int(df[column].sum()) if column else len(df)


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # heavy import: only where validation happens

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def _suite(gx, suite: SuiteFile, expectations: list[dict]):
    try:
        gx_suite = gx.ExpectationSuite(name=suite.name, expectations=expectations)
    except Exception as exc:  # pydantic or GX errors for a malformed expectation
        raise SuiteError(f"suite {suite.name}: an expectation is not valid: {str(exc).splitlines()[0]}") from exc
    if len(gx_suite.expectations) != len(expectations):
        # Great Expectations skips an invalid expectation with only a log line; a check that
        # silently lost an expectation could not fail, so refuse the suite instead.
        raise SuiteError(f"suite {suite.name}: {len(expectations) - len(gx_suite.expectations)} "
                         "expectation(s) are not valid Great Expectations configurations")
    return gx_suite


class QualityWorkspace:
    """A Great Expectations file context under `root`: validation results accumulate there and
    each validation rebuilds the Data Docs site (HTML) in `docs_dir`, unless the environment's
    REVENUE_WAREHOUSE_DQ_DATA_DOCS is `off` (rendering is half of a validation's time)."""

    SITE = "warehouse"

    def __init__(self, root: Path, docs_dir: Path):
        self.root, self.docs_dir = Path(root), Path(docs_dir)
        self.history_path = self.root / "volume_history.json"

    _contexts: dict = {}  # one file context per project folder and process: loading one costs a second

    def _context(self):
        gx = _gx()
        key = (str(self.root.resolve()), str(self.docs_dir.resolve()))
        if key in self._contexts and (self.root / "gx").exists():
            return gx, self._contexts[key]
        context = gx.get_context(mode="file", project_root_dir=str(self.root))
        context.variables.progress_bars = {"globally": False}
        self._contexts[key] = context
        if self.SITE not in context.get_config().data_docs_sites:
            context.add_data_docs_site(site_name=self.SITE, site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}})
        return gx, context

    @property
    def docs_index(self) -> Path:
        return self.docs_dir / "index.html"

    def previous_volume(self, suite: SuiteFile) -> int | None:
        if not self.history_path.exists():
            return None
        return json.loads(self.history_path.read_text()).get(suite.name)

    def record_volume(self, suite: SuiteFile, volume: int) -> None:
        history = json.loads(self.history_path.read_text()) if self.history_path.exists() else {}
        history[suite.name] = volume
        self.history_path.parent.mkdir(parents=True, exist_ok=True)
        self.history_path.write_text(json.dumps(history, indent=2, sort_keys=True) + "\n")

    def validate(self, suite: SuiteFile, df: pd.DataFrame, extra: list[dict] = ()) -> ValidationOutcome:
        from great_expectations.checkpoint import UpdateDataDocsAction

        gx, context = self._context()
        gx_suite = context.suites.add_or_update(_suite(gx, suite, [*suite.expectations, *extra]))
        source = context.data_sources.add_or_update_pandas("warehouse")
        asset = next((a for a in source.assets if a.name == suite.name), None) or source.add_dataframe_asset(suite.name)
        batch_definition = (next((b for b in asset.batch_definitions if b.name == "whole_table"), None)
                            or asset.add_batch_definition_whole_dataframe("whole_table"))
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite))
        docs = os.environ.get(DATA_DOCS_ENV, "on").strip().lower() != "off"
        checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
            name=suite.name, validation_definitions=[definition], result_format="COMPLETE",
            actions=[UpdateDataDocsAction(name="data_docs", site_names=[self.SITE])] if docs else []))
        result = checkpoint.run(batch_parameters={"dataframe": df})
        outcome = _outcome(suite, df, next(iter(result.run_results.values())))
        outcome.docs_page = str(self.docs_index) if docs else None
        return outcome


def validate_dataframe(suite: SuiteFile, df: pd.DataFrame, extra: list[dict] = ()) -> ValidationOutcome:
    """Validate a dataframe in memory (no Data Docs, no history); failing rows are sampled from `df`."""
    gx = _gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    gx_suite = context.suites.add(_suite(gx, suite, [*suite.expectations, *extra]))
    batch = (context.data_sources.add_pandas("warehouse").add_dataframe_asset(name=suite.name)
             .add_batch_definition_whole_dataframe("whole_table").get_batch(batch_parameters={"dataframe": df}))
    return _outcome(suite, df, batch.validate(gx_suite, result_format={"result_format": "COMPLETE"}))


def _outcome(suite: SuiteFile, df: pd.DataFrame, result) -> ValidationOutcome:
    failed = []
    for r in result.results:
        if r.success:
            continue
        kwargs = r.expectation_config.kwargs
        index = (r.result or {}).get("unexpected_index_list") or []
        sample = df.iloc[[i for i in index[:SAMPLE_ROWS] if isinstance(i, int)]]
        failed.append(FailedExpectation(
            expectation=r.expectation_config.type,
            column=kwargs.get("column") or (", ".join(kwargs["column_list"]) if kwargs.get("column_list") else None),
            observed_value=_plain((r.result or {}).get("observed_value")),
            unexpected_count=(r.result or {}).get("unexpected_count"),
            failing_rows=json.loads(sample.to_json(orient="records", date_format="iso")),
        ))
        if r.exception_info and r.exception_info.get("raised_exception"):
            failed[-1].observed_value = f"error: {r.exception_info.get('exception_message')}"
    return ValidationOutcome(suite=suite.name, table=suite.table, rows=len(df),
                             evaluated=len(result.results), failed=failed)


def _plain(value):
    """Observed values as JSON-friendly scalars or lists."""
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)
