"""Load a suite file, validate a warehouse table with it, and summarise the outcome."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SUITES_DIR = Path(__file__).parent / "suites"
SAMPLE_ROWS = 5


class SuiteError(ValueError):
    """A suite file that cannot be used as written."""


@dataclass(frozen=True)
class SuiteFile:
    name: str
    table: str
    grain: list[str]
    expectations: list[dict]


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

    @property
    def success(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations passed on {self.rows} rows"
        return f"{self.suite}: {len(self.failed)} of {self.evaluated} expectations failed: " + "; ".join(
            f.describe() for f in self.failed)


def suite_names() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def load_suite(name: str, suites_dir: Path = SUITES_DIR) -> SuiteFile:
    path = suites_dir / f"{name}.json"
    if not path.exists():
        raise SuiteError(f"no expectation suite {name!r} in {suites_dir}")
    raw = json.loads(path.read_text())
    table = raw.get("meta", {}).get("table")
    if not table or not raw.get("expectations"):
        raise SuiteError(f"suite {path.name} needs meta.table and at least one expectation")
    return SuiteFile(name=raw["name"], table=table, grain=raw["meta"].get("grain", []),
                     expectations=raw["expectations"])


def validate_dataframe(suite: SuiteFile, df: pd.DataFrame) -> ValidationOutcome:
    """Validate a dataframe with Great Expectations; failing rows are sampled from `df`."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # heavy import: only where validation happens

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batch_definition = (context.data_sources.add_pandas("warehouse")
                        .add_dataframe_asset(name=suite.name)
                        .add_batch_definition_whole_dataframe("whole_table"))
    try:
        gx_suite = gx.ExpectationSuite(name=suite.name, expectations=suite.expectations)
    except Exception as exc:  # pydantic or GX errors for a malformed expectation
        raise SuiteError(f"suite {suite.name}: an expectation is not valid: {str(exc).splitlines()[0]}") from exc
    if len(gx_suite.expectations) != len(suite.expectations):
        # Great Expectations skips an invalid expectation with only a log line; a check that
        # silently lost an expectation could not fail, so refuse the suite instead.
        raise SuiteError(f"suite {suite.name}: {len(suite.expectations) - len(gx_suite.expectations)} "
                         "expectation(s) are not valid Great Expectations configurations")
    gx_suite = context.suites.add(gx_suite)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(gx_suite, result_format={"result_format": "COMPLETE"})

    failed = []
    for r in result.results:
        if r.success:
            continue
        kwargs = r.expectation_config.kwargs
        index = (r.result or {}).get("unexpected_index_list") or []
        sample = df.iloc[[i for i in index[:SAMPLE_ROWS] if isinstance(i, int)]]
        failed.append(FailedExpectation(
            expectation=r.expectation_config.type,
            column=kwargs.get("column"),
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
