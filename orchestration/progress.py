"""Counted progress lines for a pipeline run, for people watching a terminal.

Dagster passes every event to its loggers; this logger prints one line when a step starts and
one when it ends (with its time), and a line per asset check, instead of the full event log.
"""

import logging
import time
from typing import TextIO

import dagster as dg

STEP_LABELS = {
    "dbt_models_hubspot": "dbt build (staging, intermediate, marts and their tests)",
    "dbt_models_salesforce": "dbt build (staging, intermediate, marts and their tests)",
    "kpi_summary": "KPI summary report",
}


def describe_step(step_key: str) -> str:
    if step_key.startswith("extract_"):
        return f"extract {step_key.removeprefix('extract_')} into raw_{step_key.removeprefix('extract_')}"
    if "gx_" in step_key:
        return "validate " + step_key.split("gx_", 1)[1] + " (Great Expectations)"
    return STEP_LABELS.get(step_key, step_key)


class StepProgressHandler(logging.Handler):
    def __init__(self, out: TextIO, total_steps: int):
        super().__init__(level=logging.DEBUG)
        self.out = out
        self.total = total_steps
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None or not event.step_key:
            return
        kind, step = event.event_type_value, event.step_key
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            self._line(f"[{len(self.started)}/{self.total}] {describe_step(step)} ...")
        elif kind == "STEP_SUCCESS":
            self._line(f"      done in {time.monotonic() - self.started.get(step, time.monotonic()):.1f}s")
        elif kind == "STEP_FAILURE":
            self._line(f"      FAILED: {record.getMessage().splitlines()[0][:300]}")
        elif kind == "STEP_SKIPPED":
            self._line(f"      skipped {describe_step(step)} (an upstream step or blocking check failed)")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if "gx_" in evaluation.asset_check_key.name or not evaluation.passed:
                verdict = "passed" if evaluation.passed else "FAILED"
                self._line(f"      check {evaluation.asset_check_key.name} {verdict}")
                summary = evaluation.metadata.get("summary")
                if summary is not None and not evaluation.passed:
                    self._line(f"      {summary.value}")

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def progress_logger(out: TextIO, total_steps: int) -> dg.LoggerDefinition:
    @dg.logger(description="Counted step progress for the command line")
    def _progress(_init_context):
        log = logging.Logger("revenue_warehouse.progress", level=logging.DEBUG)
        log.addHandler(StepProgressHandler(out, total_steps))
        return log

    return _progress
