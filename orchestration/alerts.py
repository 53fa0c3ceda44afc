"""Failure alerts: a JSON message to the webhook in REVENUE_WAREHOUSE_ALERT_WEBHOOK_URL (Slack,
Teams or any HTTP receiver that takes a POST) when a run fails or a data-quality check fails.

Messages name the run, job, step, check and what failed; they never carry credentials, data rows
or the webhook address itself (which often holds a token). Without the variable, alerts
are off. A receiver that does not answer is logged, never fails the run.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request

import dagster as dg

WEBHOOK_ENV = "REVENUE_WAREHOUSE_ALERT_WEBHOOK_URL"
TIMEOUT_SECONDS = 10
log = logging.getLogger(__name__)


def post_alert(message: dict) -> bool:
    """POST the message as JSON (with a `text` line for chat tools); True when it was delivered."""
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        return False
    body = json.dumps({"text": message["title"], **message}, default=str).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return 200 <= response.status < 300
    except OSError as exc:  # the webhook's address stays out of the log: it often holds a token
        log.warning("the failure alert could not be delivered (%s)", type(exc).__name__)
        return False


def check_failure_message(run_id: str, check_name: str, table: str, summary: str, failed: list[str]) -> dict:
    return {
        "title": f"revenue warehouse: data-quality check {check_name} failed on {table}",
        "kind": "check_failure",
        "run_id": run_id,
        "check": check_name,
        "table": table,
        "summary": summary,
        "failed_expectations": failed,
    }


def run_failure_message(run_id: str, job_name: str, failed_steps: list[str], error: str | None) -> dict:
    return {
        "title": f"revenue warehouse: run of {job_name} failed",
        "kind": "run_failure",
        "run_id": run_id,
        "job": job_name,
        "failed_steps": failed_steps,
        # the error's first line names what broke; tracebacks and payloads stay in Dagster
        "error": (error or "").splitlines()[0][:500] if error else None,
    }


@dg.run_failure_sensor(name="alert_on_run_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       description=f"Posts a failed run to the webhook in {WEBHOOK_ENV} (when set).")
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    failed_steps = [event.step_key for event in context.get_step_failure_events() if event.step_key]
    message = run_failure_message(context.dagster_run.run_id, context.dagster_run.job_name, failed_steps,
                                  context.failure_event.message)
    post_alert(message)
